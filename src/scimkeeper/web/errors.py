"""Every error becomes a response here and only here, never with a traceback.

One mapping from an error to what the client is told (a `Problem`: status, detail, scimType, headers), rendered
in the flavour of the API the request belongs to: SCIM Error documents (RFC 7644 §3.12) for /scim/v2, plain JSON
for the access API and the operational endpoints, an HTML page for the console. An API declares its flavour where
it is mounted (`declare`); the SCIM router names its own when an error reaches it, so its successful requests pay
nothing for this. Anything unexpected is a 500 that says "internal error" and the request id; the cause is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum

from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from scimkeeper.domain import errors as domain
from scimkeeper.domain.addresses import DomainNotAuthorized, InvalidDomain, InvalidEmail
from scimkeeper.scim.errors import ScimError, error_document
from scimkeeper.web import console_session
from scimkeeper.web.responses import ScimResponse

log = logging.getLogger("scimkeeper.web")


class Flavour(Enum):
    """How an API answers errors."""

    SCIM = "scim"  # application/scim+json Error documents
    JSON = "json"  # {"status": 404, "detail": "..."}
    HTML = "html"  # a console page


@dataclass(frozen=True)
class Problem:
    """What a client is told about an error, whatever the flavour."""

    status: int
    detail: str
    scim_type: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


# Domain errors carry no status; this is each one's (every one is listed: a test checks it).
DOMAIN_STATUS: dict[type[domain.DomainError], tuple[int, str | None]] = {
    domain.TokenInvalid: (401, None),
    domain.AppKeyInvalid: (401, None),
    domain.EnterpriseRequired: (403, None),
    domain.NoAuthorizedDomains: (403, None),
    DomainNotAuthorized: (403, None),
    domain.NotAllowed: (403, None),
    domain.AccountNotFound: (404, None),
    domain.MemberNotFound: (404, None),
    domain.AppKeyNotFound: (404, None),
    domain.DomainNotFound: (404, None),
    domain.UserNameTaken: (409, "uniqueness"),
    domain.AccountNameTaken: (409, None),
    domain.DomainAlreadyAuthorized: (409, None),
    domain.ConsoleUserExists: (409, None),
    domain.VersionMismatch: (412, None),
    InvalidEmail: (400, "invalidValue"),
    InvalidDomain: (400, None),
    domain.InvalidAccountName: (400, None),
    domain.InvalidPlan: (400, None),
    domain.InvalidPassword: (400, None),
    domain.LinkInvalid: (400, None),
}


def problem_for(exc: Exception) -> Problem | None:
    """What the client is told about `exc`; None when it is unexpected (a bug: 500)."""
    if isinstance(exc, ScimError):
        return Problem(exc.status, exc.detail, exc.scim_type, exc.headers)
    if isinstance(exc, domain.DomainError):
        mapped = next((DOMAIN_STATUS[cls] for cls in type(exc).__mro__ if cls in DOMAIN_STATUS), None)
        return Problem(mapped[0], str(exc), mapped[1]) if mapped else None
    if isinstance(exc, HTTPException):
        return Problem(exc.status_code, exc.detail, None, exc.headers or {})
    return None


def status_for(exc: Exception) -> int:
    """The status of `exc`'s response, for a page that shows the error itself (the console's forms)."""
    problem = problem_for(exc)
    return problem.status if problem else 500


def request_id(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id", "-"))


def response_for(request: Request, exc: Exception, flavour: Flavour) -> Response:
    """The response for `exc` in `flavour`; an unexpected error is logged with its traceback and the request id."""
    problem = problem_for(exc)
    if problem is None:
        rid = request_id(request)
        log.error("unhandled error", exc_info=exc, extra={"request_id": rid})
        problem = Problem(500, f"internal error (request id {rid})")
    return RENDERERS[flavour](request, problem)


# --- the flavours ---------------------------------------------------------------------------------------------

BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="scimkeeper"'}  # RFC 6750 §3; an error may name its own


def _bearer_headers(problem: Problem) -> dict[str, str]:
    """The APIs authenticated with bearer credentials challenge for one with every 401."""
    return {**BEARER_CHALLENGE, **problem.headers} if problem.status == 401 else dict(problem.headers)


def render_scim(_request: Request, problem: Problem) -> Response:
    document = error_document(problem.status, problem.detail, problem.scim_type)
    return ScimResponse(document, status_code=problem.status, headers=_bearer_headers(problem))


def render_json(_request: Request, problem: Problem) -> Response:
    body = {"status": problem.status, "detail": problem.detail}
    return JSONResponse(body, status_code=problem.status, headers=_bearer_headers(problem))


_TITLES = {401: "Not signed in", 403: "Not allowed", 404: "Not found", 429: "Too many attempts"}


def render_html(request: Request, problem: Problem) -> Response:
    """A console page: the detail for a refusal; nothing about what may exist in another account."""
    status = problem.status
    title = _TITLES.get(status, "Something went wrong" if status >= 500 else "Not possible")
    message = "There is no such page or member in your account." if status == 404 else problem.detail
    context = {
        "page_title": title,
        "message": message,
        "next_url": "/console/",
        "next_label": "Go to the console",
        "user": None,
    }
    response = console_session.render(console_session.templates(), request, "message.html", context, status)
    response.headers.update(problem.headers)
    return response


RENDERERS: dict[Flavour, Callable[[Request, Problem], Response]] = {
    Flavour.SCIM: render_scim,
    Flavour.JSON: render_json,
    Flavour.HTML: render_html,
}


# --- how an API declares its flavour --------------------------------------------------------------------------

FLAVOUR = "scimkeeper.flavour"  # the scope key that `declare` sets and Starlette's exception handlers read


class _Declares:
    def __init__(self, app: ASGIApp, flavour: Flavour) -> None:
        self.app = app
        self.flavour = flavour

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[FLAVOUR] = self.flavour
        await self.app(scope, receive, send)


def declare(flavour: Flavour) -> Middleware:
    """The middleware of a Mount (or of the whole application) whose errors are answered in `flavour`."""
    return Middleware(_Declares, flavour=flavour)


async def on_error(request: Request, exc: Exception) -> Response:
    """Starlette's exception handler: the console, the access API and the operational endpoints."""
    return response_for(request, exc, request.scope.get(FLAVOUR, Flavour.JSON))


HANDLERS: dict[type[Exception], Callable[[Request, Exception], Awaitable[Response]]] = {
    ScimError: on_error,
    domain.DomainError: on_error,
    HTTPException: on_error,
    Exception: on_error,  # Starlette's ServerErrorMiddleware: answers, then re-raises to the server's log
}
