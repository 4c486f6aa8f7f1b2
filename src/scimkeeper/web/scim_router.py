"""The SCIM API's own router: a dictionary lookup per request instead of Starlette's middleware and regex routes.

Starlette's exception middlewares, router and request/response wrapper cost a lookup about as much as its SQL
(profiled under the benchmark's lookups). The SCIM API has a dozen fixed paths, most of them without a
parameter, so it is routed here by its path segments; errors become SCIM Error responses through `web.errors`,
like everywhere else. The console, the access API and the operational endpoints stay on Starlette.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from scimkeeper.scim.errors import NotFound
from scimkeeper.web.errors import Flavour, response_for

Endpoint = Callable[[Request], Awaitable[Response]]
PARAMETER = "{id}"


@dataclass(frozen=True)
class Template:
    """A route as the access log and the metrics name it (`scope["route"].path_format`)."""

    path_format: str


@dataclass
class _Route:
    template: Template
    endpoints: dict[str, Endpoint]


class ScimRouter:
    """Routes `/prefix/A` and `/prefix/A/{id}`-shaped paths (paths are normalised by `RequestContext` first)."""

    def __init__(self, prefix: str, routes: list[tuple[str, str, Endpoint]]) -> None:
        self.prefix = prefix
        self._routes: dict[tuple[str, ...], _Route] = {}
        for method, path, endpoint in routes:
            key = tuple(path.strip("/").split("/"))
            route = self._routes.setdefault(key, _Route(Template(prefix + path), {}))
            route.endpoints[method] = endpoint
            if method == "GET":
                route.endpoints.setdefault("HEAD", endpoint)
        # Named in the 404 of an unknown path: the top-level paths that can be read, as routed (a new resource
        # type appears here by being routed).
        readable = sorted(
            "/" + key[0] for key, route in self._routes.items() if len(key) == 1 and "GET" in route.endpoints
        )
        self._no_such_endpoint = f"No such SCIM endpoint. The endpoints are {', '.join(readable)}."

    def handles(self, path: str) -> bool:
        return path == self.prefix or path.startswith(self.prefix + "/")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            response = await self._dispatch(scope, request)
        except Exception as exc:  # noqa: BLE001 - every error becomes a response, in web.errors
            response = response_for(request, exc, Flavour.SCIM)
        await response(scope, receive, send)

    def _dispatch(self, scope: Scope, request: Request) -> Awaitable[Response]:
        parts = tuple(scope["path"][len(self.prefix) + 1 :].split("/"))
        route = self._routes.get(parts)
        if route is None and len(parts) == 2:
            route = self._routes.get((parts[0], PARAMETER))
            if route is not None:
                scope["path_params"] = {"id": parts[1]}
        if route is None:
            raise NotFound(self._no_such_endpoint)
        scope["route"] = route.template
        endpoint = route.endpoints.get(scope["method"])
        if endpoint is None:
            allow = {"Allow": ", ".join(sorted(route.endpoints))}
            raise HTTPException(405, "This endpoint does not accept that HTTP method.", headers=allow)
        return endpoint(request)
