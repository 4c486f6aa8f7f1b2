"""Console plumbing: session cookies, CSRF checks, security headers and page rendering.

The session cookie is HttpOnly, SameSite=Lax, Secure when the service is reached over https, and scoped to
/console; it never opens the SCIM API (which takes bearer tokens only). Every form carries a CSRF token: the
session's own once signed in, a double-submit cookie before.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

from scimkeeper.domain.accounts import Account
from scimkeeper.domain.admins import ConsoleUser, Session

SESSION_COOKIE = "scimkeeper_session"
CSRF_COOKIE = "scimkeeper_csrf"
COOKIE_PATH = "/console"
HERE = Path(__file__).parent
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # set-password links carry a secret in their path
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class SignedIn:
    session: Session
    user: ConsoleUser
    account: Account


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


@cache  # one engine per process, shared by the console's pages and its error pages (web.errors)
def templates() -> Jinja2Templates:
    engine = Jinja2Templates(directory=str(HERE / "templates"))
    engine.env.globals["static"] = lambda name: f"/console/static/{name}"
    engine.env.globals["when"] = when
    return engine


def render(
    engine: Jinja2Templates, request: Request, name: str, context: Mapping[str, Any], status: int = 200
) -> HTMLResponse:
    response = engine.TemplateResponse(request, name, dict(context), status_code=status)
    response.headers.update(SECURITY_HEADERS)
    return response


def redirect(url: str) -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    response.headers.update(SECURITY_HEADERS)
    return response


def set_session_cookie(response: Response, token: str, *, secure: bool, max_age: int) -> None:
    response.set_cookie(
        SESSION_COOKIE, token, max_age=max_age, path=COOKIE_PATH, secure=secure, httponly=True, samesite="lax"
    )


def clear_session_cookie(response: Response, *, secure: bool) -> None:
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH, secure=secure, httponly=True, samesite="lax")


def pre_session_csrf(request: Request) -> str:
    """The double-submit token for forms shown before sign-in (read from, or new for, the CSRF cookie)."""
    return request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)


def set_csrf_cookie(response: Response, token: str, *, secure: bool) -> None:
    response.set_cookie(CSRF_COOKIE, token, path=COOKIE_PATH, secure=secure, httponly=True, samesite="strict")


def csrf_ok(expected: str | None, given: object) -> bool:
    return bool(expected) and isinstance(given, str) and hmac.compare_digest(expected or "", given)
