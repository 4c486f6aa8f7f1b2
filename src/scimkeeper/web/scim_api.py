"""The SCIM 2.0 HTTP API under /scim/v2 (RFC 7644 §3): Users and the discovery endpoints."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

import orjson
from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import Response

from scimkeeper.config import Settings
from scimkeeper.domain import members, search, tokens
from scimkeeper.domain.audit import Actor
from scimkeeper.domain.vocabulary import ActorType
from scimkeeper.metrics import Metrics
from scimkeeper.scim import discovery, etags, listing, query
from scimkeeper.scim.documents import (
    Meta,
    parse_attribute_list,
    parse_resource,
    render_resource,
    rendering_is_default_selection,
    select_attributes,
)
from scimkeeper.scim.errors import (
    Forbidden,
    InvalidSyntax,
    NotFound,
    NotImplementedByServer,
    PayloadTooLarge,
    ScimError,
    TooManyRequests,
    UnsupportedMediaType,
)
from scimkeeper.scim.patch import parse_patch_request
from scimkeeper.scim.schema import ENTERPRISE_USER, USER, USER_RESOURCE
from scimkeeper.storage.accounts import Account
from scimkeeper.web import auth
from scimkeeper.web.rate_limit import RateLimiter
from scimkeeper.web.responses import ScimResponse
from scimkeeper.web.scim_router import Endpoint
from scimkeeper.web.transactions import Transactions

T = TypeVar("T")
Operation = Callable[[Connection, Account, Actor], T]

JSON_MEDIA_TYPES = frozenset({"application/scim+json", "application/json"})
# Longer than any id this server issues (UUIDs): answered 404 without a database round trip.
MAX_ID_LENGTH = 64


class ScimApi:
    """Route handlers bound to one deployment's settings, database and clock."""

    def __init__(
        self,
        settings: Settings,
        transactions: Transactions,
        clock: Callable[[], datetime],
        metrics: Metrics | None = None,
    ) -> None:
        self.settings = settings
        self.transactions = transactions
        self.clock = clock
        self.metrics = metrics
        self.limiter = (
            RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst)
            if settings.rate_limit_per_second > 0
            else None
        )
        self.base = settings.scim_base_url
        self.hints = search.PagingHints()
        self.limits = query.QueryLimits(default_count=settings.default_page_size, max_count=settings.max_page_size)
        features = discovery.Features(
            patch=True,
            filter=True,
            max_results=settings.max_page_size,
            sort=True,
            etag=True,
            change_password=False,
            bulk=False,
            bulk_max_operations=0,
            bulk_max_payload_size=0,
            cursor_pagination=True,
            index_pagination=True,
            default_page_size=settings.default_page_size,
            max_page_size=settings.max_page_size,
            cursor_timeout_seconds=settings.cursor_timeout_seconds,
            documentation_uri=None,
        )
        self.service_provider_config = discovery.service_provider_config(features, base_url=self.base)
        self.resource_types = discovery.resource_type_documents([USER_RESOURCE], base_url=self.base)
        self.schemas = discovery.schema_documents([USER, ENTERPRISE_USER], base_url=self.base)

    def routes(self) -> list[tuple[str, str, Endpoint]]:
        """(method, path, endpoint) under /scim/v2, for `web.scim_router`."""
        return [
            ("GET", "/Users", self.list_users),
            ("POST", "/Users", self.create_user),
            ("POST", "/Users/.search", self.search_users),
            ("POST", "/.search", self.search_users),
            ("GET", "/Users/{id}", self.get_user),
            ("PUT", "/Users/{id}", self.replace_user),
            ("PATCH", "/Users/{id}", self.patch_user),
            ("DELETE", "/Users/{id}", self.delete_user),
            ("GET", "/ServiceProviderConfig", self.get_service_provider_config),
            ("GET", "/ResourceTypes", self.list_resource_types),
            ("GET", "/ResourceTypes/{id}", self.get_resource_type),
            ("GET", "/Schemas", self.list_schemas),
            ("GET", "/Schemas/{id}", self.get_schema),
            ("GET", "/Me", not_implemented("/Me is not supported: SCIM tokens identify an account, not a user.")),
            ("POST", "/Bulk", not_implemented("Bulk operations are not supported yet.")),
        ]

    # --- plumbing -------------------------------------------------------------------------------------------

    async def _run(self, request: Request, operation: Operation[T], *, write: bool) -> T:
        """Authenticate and run `operation` in one transaction (see `web.transactions` for where it runs)."""
        now = self.clock()
        authorization = request.headers.get("authorization")
        agent = request.headers.get("user-agent")
        request_id = request.scope.get("state", {}).get("request_id")
        actions: list[str] = []  # the audit actions of the transaction, counted once it has committed
        if self.limiter is not None:
            # Keyed on the credential, not the header: `bearer`, `BEARER` or two spaces are the same token.
            wait = self.limiter.retry_after(auth.bearer_credential(authorization))
            if wait is not None:
                raise TooManyRequests(
                    f"Too many requests with this token; retry in {wait} s.", headers={"Retry-After": str(wait)}
                )

        stale: list[tokens.Token] = []  # the token, when its last use must be recorded after a read

        def work(conn: Connection) -> T:
            token, account, is_stale = auth.authenticate(conn, authorization, now)
            request.state.account_id = account.id
            if is_stale and write:
                tokens.record_use(conn, token, now)
            elif is_stale:
                stale.append(token)
            actor = Actor(ActorType.SCIM_TOKEN, token.id, agent, request_id, on_record=actions.append)
            return operation(conn, account, actor)

        result = await (self.transactions.write(work) if write else self.transactions.read(work))
        if stale:
            await self.transactions.write(lambda conn: tokens.record_use(conn, stale[0], now))
        if actions and self.metrics is not None:
            self.metrics.lifecycle(actions, request.state.account_id)
        return result

    def _location(self, member_id: str) -> str:
        return f"{self.base}/Users/{member_id}"

    def _render(self, member: members.Member, attributes: Sequence[str], excluded: Sequence[str]) -> dict[str, Any]:
        meta = Meta("User", member.created_at, member.updated_at, self._location(member.id), etags.etag(member.version))
        resource = render_resource(
            {**member.document, "active": member.active}, resource_type=USER_RESOURCE, id=member.id, meta=meta
        )
        if not attributes and not excluded and rendering_is_default_selection(USER_RESOURCE):
            return resource
        # Drops attributes returned only on request (RFC 7643 §7 "returned"), and applies the parameters.
        return select_attributes(resource, USER_RESOURCE, attributes=attributes, excluded=excluded)

    def _member_response(self, member: members.Member, request: Request, status: int = 200) -> Response:
        headers = {"ETag": etags.etag(member.version)}
        if status == 201:
            headers["Location"] = self._location(member.id)
        attributes = parse_attribute_list(request.query_params.get("attributes"))
        excluded = parse_attribute_list(request.query_params.get("excludedAttributes"))
        return ScimResponse(self._render(member, attributes, excluded), status_code=status, headers=headers)

    # --- Users ----------------------------------------------------------------------------------------------

    async def list_users(self, request: Request) -> Response:
        return await self._search(request, lambda: query.from_query(request.query_params, self.limits))

    async def search_users(self, request: Request) -> Response:
        """POST /Users/.search and POST /.search (RFC 7644 §3.4.3): the same query in a body."""
        body = await read_body(request, self.settings.max_body_bytes)
        return await self._search(request, lambda: query.from_search_body(json_body(request, body), self.limits))

    async def _search(self, request: Request, parse: Callable[[], query.ListRequest]) -> Response:
        def operation(conn: Connection, account: Account, _actor: Actor) -> tuple[query.ListRequest, search.Page]:
            list_request = parse()
            if list_request.filter is not None:  # the access log shows its shape (`filter_shape`), never its values
                request.state.filter = list_request.filter
            page = search.search(
                conn,
                account,
                list_request,
                now=self.clock(),
                cursor_timeout=self.settings.cursor_timeout_seconds,
                hints=self.hints,
            )
            return list_request, page

        list_request, page = await self._run(request, operation, write=False)
        resources = [self._render(m, list_request.attributes, list_request.excluded) for m in page.members]
        document = listing.list_response(
            resources,
            total_results=page.total,
            start_index=page.start_index,
            next_cursor=page.next_cursor,
            previous_cursor=page.previous_cursor,
        )
        return ScimResponse(document)

    async def create_user(self, request: Request) -> Response:
        body = await read_body(request, self.settings.max_body_bytes)

        document = parse_early(lambda: parse_resource(json_body(request, body), USER_RESOURCE))

        def operation(conn: Connection, account: Account, actor: Actor) -> members.Member:
            return members.provision(conn, account, document.get(), actor=actor, now=self.clock())

        member = await self._run(request, operation, write=True)
        return self._member_response(member, request, status=201)

    async def get_user(self, request: Request) -> Response:
        member_id = resource_id(request)

        def operation(conn: Connection, account: Account, _actor: Actor) -> members.Member:
            return members.get(conn, account, member_id)

        member = await self._run(request, operation, write=False)
        if_none_match = request.headers.get("if-none-match")
        if if_none_match is not None and etags.matches(if_none_match, member.version):
            return Response(status_code=304, headers={"ETag": etags.etag(member.version)})
        return self._member_response(member, request)

    async def replace_user(self, request: Request) -> Response:
        member_id = resource_id(request)
        body = await read_body(request, self.settings.max_body_bytes)

        document = parse_early(lambda: parse_resource(json_body(request, body), USER_RESOURCE))

        def operation(conn: Connection, account: Account, actor: Actor) -> members.Member:
            return members.replace(
                conn, account, member_id, document.get(), actor=actor, now=self.clock(), if_match=if_match(request)
            )

        return self._member_response(await self._run(request, operation, write=True), request)

    async def patch_user(self, request: Request) -> Response:
        member_id = resource_id(request)
        body = await read_body(request, self.settings.max_body_bytes)

        operations = parse_early(lambda: parse_patch_request(json_body(request, body)))

        def operation(conn: Connection, account: Account, actor: Actor) -> members.Member:
            return members.patch(
                conn, account, member_id, operations.get(), actor=actor, now=self.clock(), if_match=if_match(request)
            )

        return self._member_response(await self._run(request, operation, write=True), request)

    async def delete_user(self, request: Request) -> Response:
        member_id = resource_id(request)

        def operation(conn: Connection, account: Account, actor: Actor) -> None:
            members.remove(conn, account, member_id, actor=actor, now=self.clock(), if_match=if_match(request))

        await self._run(request, operation, write=True)
        return Response(status_code=204)

    # --- discovery (RFC 7644 §4) ----------------------------------------------------------------------------

    async def _discovery(self, request: Request, document: dict[str, Any]) -> Response:
        refuse_filter(request)
        await self._run(request, lambda _conn, _account, _actor: None, write=False)
        return ScimResponse(document)

    async def get_service_provider_config(self, request: Request) -> Response:
        return await self._discovery(request, self.service_provider_config)

    async def list_resource_types(self, request: Request) -> Response:
        return await self._discovery(
            request,
            listing.list_response(self.resource_types, total_results=len(self.resource_types), start_index=1),
        )

    async def get_resource_type(self, request: Request) -> Response:
        return await self._discovery(
            request, find_by_id(self.resource_types, request.path_params["id"], "resource type")
        )

    async def list_schemas(self, request: Request) -> Response:
        return await self._discovery(
            request, listing.list_response(self.schemas, total_results=len(self.schemas), start_index=1)
        )

    async def get_schema(self, request: Request) -> Response:
        return await self._discovery(request, find_by_id(self.schemas, request.path_params["id"], "schema"))


class Parsed(Generic[T]):
    """A request body parsed before the write transaction (not while holding SQLite's write lock), or its error.

    The error is raised only by `get()`, inside the transaction and after authentication: a request without a
    valid token is answered 401 whatever its body holds, as when the body was parsed inside.
    """

    def __init__(self, value: T | None, error: ScimError | None) -> None:
        self._value = value
        self._error = error

    def get(self) -> T:
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


def parse_early(parse: Callable[[], T]) -> Parsed[T]:
    try:
        return Parsed(parse(), None)
    except ScimError as exc:
        return Parsed(None, exc)


def not_implemented(detail: str) -> Endpoint:
    async def endpoint(_request: Request) -> Response:
        raise NotImplementedByServer(detail)

    return endpoint


def if_match(request: Request) -> str | None:
    return request.headers.get("if-match")


def resource_id(request: Request) -> str:
    member_id: str = request.path_params["id"]
    if len(member_id) > MAX_ID_LENGTH:
        raise NotFound(f"no user with id {member_id[:MAX_ID_LENGTH]!r}...")
    return member_id


def json_body(request: Request, body: bytes) -> Any:
    """The JSON document of a request whose Content-Type is SCIM or plain JSON (a missing one is tolerated)."""
    content_type = request.headers.get("content-type")
    if content_type is not None and content_type.split(";", 1)[0].strip().lower() not in JSON_MEDIA_TYPES:
        raise UnsupportedMediaType(
            f"Content-Type {content_type!r} is not supported; send application/scim+json or application/json."
        )
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidSyntax(f"The request body is not valid JSON: {exc}.") from None


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it is known to exceed `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"The request body is {int(declared)} bytes; the limit is {limit} bytes.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"The request body exceeds the limit of {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


def refuse_filter(request: Request) -> None:
    if "filter" in request.query_params:
        raise Forbidden("Discovery endpoints do not accept a filter (RFC 7644 §4).")


def find_by_id(documents: list[dict[str, Any]], wanted: str, what: str) -> dict[str, Any]:
    for document in documents:
        if str(document["id"]).lower() == wanted.lower():
            return document
    raise NotFound(f"no {what} with id {wanted!r}")
