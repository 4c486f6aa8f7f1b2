"""The application factory and the request middleware: path hygiene, request ids, one access-log line each."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scimkeeper.config import Settings
from scimkeeper.jobs import PurgeLoop
from scimkeeper.storage.db import Database
from scimkeeper.web.access_api import AccessApi
from scimkeeper.web.errors import HANDLERS
from scimkeeper.web.scim_api import ScimApi

access_log = logging.getLogger("scimkeeper.access")

_SLASHES = re.compile(r"/{2,}")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def utc_now() -> datetime:
    return datetime.now(UTC)


class RequestContext:
    """Normalise the path (`//Users/` → `/Users`), assign a request id, and log the request when it ends."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = _SLASHES.sub("/", scope["path"])
        if len(path) > 1:
            path = path.rstrip("/")
        headers = dict(scope["headers"])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        scope = {**scope, "path": path, "raw_path": path.encode()}
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = getattr(scope.get("route"), "path_format", None)
            access_log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    "route": scope.get("root_path", "") + route if route else "-",
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "account_id": state.get("account_id"),
                    "user_agent": headers.get(b"user-agent", b"").decode("latin-1") or None,
                },
            )


def create_app(settings: Settings, db: Database, clock: Callable[[], datetime] = utc_now) -> ASGIApp:
    scim = ScimApi(settings, db, clock)
    access = AccessApi(db, settings.deprovision_window)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        loop = None
        if settings.purge_interval_seconds > 0:
            loop = PurgeLoop(
                db,
                window=settings.deprovision_window,
                interval=timedelta(seconds=settings.purge_interval_seconds),
                batch_size=settings.purge_batch_size,
                clock=clock,
            )
            loop.start()
        try:
            yield
        finally:
            if loop is not None:
                loop.stop()

    app = Starlette(
        routes=[Mount("/scim/v2", routes=scim.routes()), Mount("/api/v1", routes=access.routes())],
        exception_handlers=HANDLERS,
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False  # RequestContext already normalised the path; a redirect would lose a POST
    return RequestContext(app)
