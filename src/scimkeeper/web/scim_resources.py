"""One SCIM resource type over HTTP (RFC 7644 §3.2-3.6): list, search, create, read, replace, patch and delete.

A resource is its `ResourceType` (schema and endpoint), its domain functions (`ResourceDomain`: a module such as
`domain.members` satisfies it) and what its entities show (`Stored`). Everything else is shared: authentication,
transactions, one clock reading per request (`web.scim_calls`), bodies, attribute selection, list responses,
index and cursor paging (`domain.search`), ETags and errors.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import Response

from scimkeeper.domain.accounts import Account
from scimkeeper.domain.audit import Actor
from scimkeeper.domain.search import Page, PagingHints
from scimkeeper.scim import etags, listing, query
from scimkeeper.scim.documents import (
    Meta,
    parse_attribute_list,
    parse_resource,
    render_resource,
    rendering_is_default_selection,
    select_attributes,
)
from scimkeeper.scim.errors import NotFound
from scimkeeper.scim.patch import PatchOperation, parse_patch_request
from scimkeeper.scim.schema import ResourceType
from scimkeeper.web.responses import ScimResponse
from scimkeeper.web.scim_calls import Call, ScimCalls, json_body, parse_early, read_body
from scimkeeper.web.scim_router import Endpoint

# Longer than any id this server issues (UUIDs): answered 404 without a database round trip.
MAX_ID_LENGTH = 64


class Stored(Protocol):
    """What the HTTP layer shows of a stored resource."""

    @property
    def id(self) -> str: ...

    @property
    def version(self) -> int: ...

    @property
    def created_at(self) -> datetime: ...

    @property
    def updated_at(self) -> datetime: ...

    @property
    def resource(self) -> dict[str, Any]:
        """The resource's document as clients see it, without `id` and `meta`."""
        ...


E = TypeVar("E", bound=Stored)
E_co = TypeVar("E_co", bound=Stored, covariant=True)
P = TypeVar("P")
P_contra = TypeVar("P_contra", contravariant=True)


class _Change(Protocol[P_contra, E_co]):
    """A domain function that changes one resource with a parsed body: `replace` (a document), `patch` (operations)."""

    def __call__(self, conn: Connection, account: Account, resource_id: str, parsed: P_contra, /, *, actor: Actor,
                 now: datetime, if_match: str | None) -> E_co: ...  # fmt: skip


class ResourceDomain(Protocol[E]):
    """The domain functions of a resource: each checks the account's rules and audits its change."""

    def provision(self, conn: Connection, account: Account, document: dict[str, Any], /, *, actor: Actor,
                  now: datetime) -> E: ...  # fmt: skip

    def get(self, conn: Connection, account: Account, resource_id: str, /) -> E: ...

    def replace(self, conn: Connection, account: Account, resource_id: str, document: dict[str, Any], /, *,
                actor: Actor, now: datetime, if_match: str | None) -> E: ...  # fmt: skip

    def patch(self, conn: Connection, account: Account, resource_id: str, operations: Sequence[PatchOperation], /,
              *, actor: Actor, now: datetime, if_match: str | None) -> E: ...  # fmt: skip

    def remove(self, conn: Connection, account: Account, resource_id: str, /, *, actor: Actor, now: datetime,
               if_match: str | None) -> None: ...  # fmt: skip

    def search(self, conn: Connection, account: Account, request: query.ListRequest, /, *, now: datetime,
               cursor_timeout: int, hints: PagingHints | None) -> Page[E]: ...  # fmt: skip


class ResourceEndpoints(Generic[E]):
    """The endpoints of one resource type, at its endpoint (`/Users`) under the SCIM base URL."""

    def __init__(
        self,
        resource_type: ResourceType,
        domain: ResourceDomain[E],
        calls: ScimCalls,
        *,
        base_url: str,
        limits: query.QueryLimits,
        max_body_bytes: int,
        cursor_timeout: int,
        hints: PagingHints,
    ) -> None:
        self.type = resource_type
        self.domain = domain
        self.calls = calls
        self.base = base_url + resource_type.endpoint
        self.limits = limits
        self.max_body_bytes = max_body_bytes
        self.cursor_timeout = cursor_timeout
        self.hints = hints

    def routes(self) -> list[tuple[str, str, Endpoint]]:
        path = self.type.endpoint
        return [
            ("GET", path, self.list),
            ("POST", path, self.create),
            ("POST", f"{path}/.search", self.search),
            ("GET", f"{path}/{{id}}", self.get),
            ("PUT", f"{path}/{{id}}", self.replace),
            ("PATCH", f"{path}/{{id}}", self.patch),
            ("DELETE", f"{path}/{{id}}", self.delete),
        ]

    # --- list and search ------------------------------------------------------------------------------------

    async def list(self, request: Request) -> Response:
        return await self._search(request, lambda: query.from_query(request.query_params, self.limits))

    async def search(self, request: Request) -> Response:
        """POST /.search (RFC 7644 §3.4.3): the query in a body."""
        body = await read_body(request, self.max_body_bytes)
        return await self._search(request, lambda: query.from_search_body(json_body(request, body), self.limits))

    async def _search(self, request: Request, parse: Callable[[], query.ListRequest]) -> Response:
        def operation(conn: Connection, call: Call) -> tuple[query.ListRequest, Page[E]]:
            list_request = parse()
            if list_request.filter is not None:  # the access log shows its shape (`filter_shape`), never its values
                request.state.filter = list_request.filter
            page = self.domain.search(
                conn, call.account, list_request, now=call.now, cursor_timeout=self.cursor_timeout, hints=self.hints
            )
            return list_request, page

        list_request, page = await self.calls.run(request, operation, write=False)
        resources = [self._render(e, list_request.attributes, list_request.excluded) for e in page.resources]
        document = listing.list_response(
            resources,
            total_results=page.total,
            start_index=page.start_index,
            next_cursor=page.next_cursor,
            previous_cursor=page.previous_cursor,
        )
        return ScimResponse(document)

    # --- one resource ---------------------------------------------------------------------------------------

    async def create(self, request: Request) -> Response:
        body = await read_body(request, self.max_body_bytes)
        document = parse_early(lambda: parse_resource(json_body(request, body), self.type))

        def operation(conn: Connection, call: Call) -> E:
            return self.domain.provision(conn, call.account, document.get(), actor=call.actor, now=call.now)

        return self._response(await self.calls.run(request, operation, write=True), request, status=201)

    async def get(self, request: Request) -> Response:
        resource_id = self._id(request)
        found = await self.calls.run(
            request, lambda conn, call: self.domain.get(conn, call.account, resource_id), write=False
        )
        if_none_match = request.headers.get("if-none-match")
        if if_none_match is not None and etags.matches(if_none_match, found.version):
            return Response(status_code=304, headers={"ETag": etags.etag(found.version)})
        return self._response(found, request)

    async def replace(self, request: Request) -> Response:
        return await self._change(request, lambda body: parse_resource(body, self.type), self.domain.replace)

    async def patch(self, request: Request) -> Response:
        return await self._change(request, parse_patch_request, self.domain.patch)

    async def _change(self, request: Request, parse: Callable[[Any], P], change: _Change[P, E]) -> Response:
        """PUT or PATCH: the body parsed before the write transaction, then `change` applied inside it."""
        resource_id = self._id(request)
        body = await read_body(request, self.max_body_bytes)
        parsed = parse_early(lambda: parse(json_body(request, body)))

        def operation(conn: Connection, call: Call) -> E:
            if_match = _if_match(request)
            return change(
                conn, call.account, resource_id, parsed.get(), actor=call.actor, now=call.now, if_match=if_match
            )

        return self._response(await self.calls.run(request, operation, write=True), request)

    async def delete(self, request: Request) -> Response:
        resource_id = self._id(request)

        def operation(conn: Connection, call: Call) -> None:
            self.domain.remove(
                conn, call.account, resource_id, actor=call.actor, now=call.now, if_match=_if_match(request)
            )

        await self.calls.run(request, operation, write=True)
        return Response(status_code=204)

    # --- rendering ------------------------------------------------------------------------------------------

    def _render(self, stored: E, attributes: Sequence[str], excluded: Sequence[str]) -> dict[str, Any]:
        meta = Meta(
            self.type.name, stored.created_at, stored.updated_at, f"{self.base}/{stored.id}", etags.etag(stored.version)
        )
        resource = render_resource(stored.resource, resource_type=self.type, id=stored.id, meta=meta)
        if not attributes and not excluded and rendering_is_default_selection(self.type):
            return resource
        # Drops attributes returned only on request (RFC 7643 §7 "returned"), and applies the parameters.
        return select_attributes(resource, self.type, attributes=attributes, excluded=excluded)

    def _response(self, stored: E, request: Request, status: int = 200) -> Response:
        headers = {"ETag": etags.etag(stored.version)}
        if status == 201:
            headers["Location"] = f"{self.base}/{stored.id}"
        attributes = parse_attribute_list(request.query_params.get("attributes"))
        excluded = parse_attribute_list(request.query_params.get("excludedAttributes"))
        return ScimResponse(self._render(stored, attributes, excluded), status_code=status, headers=headers)

    def _id(self, request: Request) -> str:
        resource_id: str = request.path_params["id"]
        if len(resource_id) > MAX_ID_LENGTH:
            raise NotFound(f"no {self.type.name.lower()} with id {resource_id[:MAX_ID_LENGTH]!r}...")
        return resource_id


def _if_match(request: Request) -> str | None:
    return request.headers.get("if-match")
