"""The SCIM 2.0 HTTP API under /scim/v2 (RFC 7644 §3): its resources and the discovery endpoints.

Each resource is a `web.scim_resources.ResourceEndpoints` on the plumbing every request shares
(`web.scim_calls`); this module lists them and answers discovery (RFC 7644 §4) from the same list.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from scimkeeper.config import Settings
from scimkeeper.domain import members
from scimkeeper.domain.search import PagingHints
from scimkeeper.metrics import Metrics
from scimkeeper.scim import discovery, listing, query
from scimkeeper.scim.errors import Forbidden, NotFound, NotImplementedByServer
from scimkeeper.scim.schema import USER_RESOURCE
from scimkeeper.web.rate_limit import RateLimiter
from scimkeeper.web.responses import ScimResponse
from scimkeeper.web.scim_calls import ScimCalls
from scimkeeper.web.scim_resources import ResourceEndpoints
from scimkeeper.web.scim_router import Endpoint
from scimkeeper.web.transactions import Transactions


class ScimApi:
    """Route handlers bound to one deployment's settings, database and clock."""

    def __init__(
        self,
        settings: Settings,
        transactions: Transactions,
        clock: Callable[[], datetime],
        metrics: Metrics | None = None,
    ) -> None:
        limiter = (
            RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst)
            if settings.rate_limit_per_second > 0
            else None
        )
        self.calls = ScimCalls(transactions, clock, metrics=metrics, limiter=limiter)
        base = settings.scim_base_url
        hints = PagingHints()
        limits = query.QueryLimits(default_count=settings.default_page_size, max_count=settings.max_page_size)
        self.users = ResourceEndpoints(
            USER_RESOURCE,
            members,
            self.calls,
            base_url=base,
            limits=limits,
            max_body_bytes=settings.max_body_bytes,
            cursor_timeout=settings.cursor_timeout_seconds,
            hints=hints,
        )
        self.resources: list[ResourceEndpoints[Any]] = [self.users]
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
        self.service_provider_config = discovery.service_provider_config(features, base_url=base)
        types = [resource.type for resource in self.resources]
        schemas = {schema.id: schema for t in types for schema in (t.schema, *(ext for ext, _ in t.extensions))}
        self.resource_types = discovery.resource_type_documents(types, base_url=base)
        self.schemas = discovery.schema_documents(list(schemas.values()), base_url=base)

    def routes(self) -> list[tuple[str, str, Endpoint]]:
        """(method, path, endpoint) under /scim/v2, for `web.scim_router`."""
        return [
            *(route for resource in self.resources for route in resource.routes()),
            # A search at the root searches every resource type (RFC 7644 §3.4.3); Users are the only one yet.
            ("POST", "/.search", self.users.search),
            ("GET", "/ServiceProviderConfig", self.get_service_provider_config),
            ("GET", "/ResourceTypes", self.list_resource_types),
            ("GET", "/ResourceTypes/{id}", self.get_resource_type),
            ("GET", "/Schemas", self.list_schemas),
            ("GET", "/Schemas/{id}", self.get_schema),
            ("GET", "/Me", not_implemented("/Me is not supported: SCIM tokens identify an account, not a user.")),
            ("POST", "/Bulk", not_implemented("Bulk operations are not supported yet.")),
        ]

    # --- discovery (RFC 7644 §4) ----------------------------------------------------------------------------

    async def _discovery(self, request: Request, document: dict[str, Any]) -> Response:
        refuse_filter(request)
        await self.calls.run(request, lambda _conn, _call: None, write=False)
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


def not_implemented(detail: str) -> Endpoint:
    async def endpoint(_request: Request) -> Response:
        raise NotImplementedByServer(detail)

    return endpoint


def refuse_filter(request: Request) -> None:
    if "filter" in request.query_params:
        raise Forbidden("Discovery endpoints do not accept a filter (RFC 7644 §4).")


def find_by_id(documents: list[dict[str, Any]], wanted: str, what: str) -> dict[str, Any]:
    for document in documents:
        if str(document["id"]).lower() == wanted.lower():
            return document
    raise NotFound(f"no {what} with id {wanted!r}")
