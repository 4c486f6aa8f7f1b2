"""Every error becomes a response here and only here: SCIM Error documents (RFC 7644 §3.12), never a traceback."""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from scimkeeper.domain import errors as domain
from scimkeeper.domain.addresses import DomainNotAuthorized, InvalidEmail
from scimkeeper.scim import errors as scim
from scimkeeper.scim.errors import error_document
from scimkeeper.web.responses import ScimResponse

log = logging.getLogger("scimkeeper.web")

# Domain errors as (status, scimType). Anything else a SCIM route raises is a bug: 500.
_DOMAIN_STATUS: dict[type[domain.DomainError], tuple[int, str | None]] = {
    domain.TokenInvalid: (401, None),
    domain.AppKeyInvalid: (401, None),
    domain.AccountNotFound: (404, None),
    domain.EnterpriseRequired: (403, None),
    domain.MemberNotFound: (404, None),
    domain.UserNameTaken: (409, "uniqueness"),
    domain.VersionMismatch: (412, None),
    DomainNotAuthorized: (403, None),
    domain.NoAuthorizedDomains: (403, None),
    InvalidEmail: (400, "invalidValue"),
}

_HTTP_DETAILS = {
    404: "No such SCIM endpoint. The endpoints are /Users, /ServiceProviderConfig, /ResourceTypes and /Schemas.",
    405: "This endpoint does not accept that HTTP method.",
}


def request_id(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id", "-"))


def error_response(request: Request, status: int, detail: str, scim_type: str | None = None) -> Response:
    """A SCIM Error document; plain JSON for the access API; a short HTML page for the console."""
    headers = {"WWW-Authenticate": 'Bearer realm="scimkeeper"'} if status == 401 else None
    if request.url.path.startswith("/api/"):
        return JSONResponse({"status": status, "detail": detail}, status_code=status, headers=headers)
    if request.url.path.startswith("/console"):
        text = "Not found." if status == 404 else "Something went wrong." if status >= 500 else detail
        page = f"<!doctype html><title>{status}</title><p>{html.escape(text)}</p><p><a href='/console/'>Console</a></p>"
        return HTMLResponse(page, status_code=status)
    return ScimResponse(error_document(status, detail, scim_type), status_code=status, headers=headers)


async def on_scim_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, scim.ScimError)
    response = error_response(request, exc.status, exc.detail, exc.scim_type)
    response.headers.update(exc.headers)
    return response


async def on_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, domain.DomainError)
    mapped = next((v for k, v in _DOMAIN_STATUS.items() if isinstance(exc, k)), None)
    if mapped is None:
        return await on_unexpected_error(request, exc)
    status, scim_type = mapped
    return error_response(request, status, str(exc), scim_type)


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    detail = _HTTP_DETAILS.get(exc.status_code, str(exc.detail))
    return error_response(request, exc.status_code, detail)


async def on_unexpected_error(request: Request, exc: Exception) -> Response:
    rid = request_id(request)
    log.error("unhandled error", exc_info=exc, extra={"request_id": rid})
    return error_response(request, 500, f"internal error (request id {rid})")


HANDLERS: dict[type[Exception], Callable[[Request, Exception], Awaitable[Response]]] = {
    scim.ScimError: on_scim_error,
    domain.DomainError: on_domain_error,
    HTTPException: on_http_error,
    Exception: on_unexpected_error,
}


async def response_for(request: Request, exc: Exception) -> Response:
    """The response for `exc`, by the most specific handler of its class (what Starlette's middleware does)."""
    handler = next(HANDLERS[cls] for cls in type(exc).__mro__ if cls in HANDLERS)
    return await handler(request, exc)
