"""The application factory and the request middleware: path hygiene, request ids, one access-log line and the
request metrics each. `app_from_environment` is the factory each worker of `serve --workers N` calls."""

from __future__ import annotations

import itertools
import logging
import os
import re
import secrets
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scimkeeper import log
from scimkeeper.config import Settings
from scimkeeper.jobs import PurgeLoop
from scimkeeper.metrics import Metrics
from scimkeeper.scim.filter import filter_shape
from scimkeeper.storage.db import Database, open_database
from scimkeeper.web.access_api import AccessApi
from scimkeeper.web.console import Console
from scimkeeper.web.errors import HANDLERS, Flavour, declare
from scimkeeper.web.ops import OpsApi
from scimkeeper.web.scim_api import ScimApi
from scimkeeper.web.scim_router import ScimRouter
from scimkeeper.web.transactions import Transactions

access_log = logging.getLogger("scimkeeper.access")

_SLASHES = re.compile(r"/{2,}")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# Polled every few seconds by load balancers and Prometheus: their access lines are DEBUG, not INFO.
_QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})


class RequestIds:
    """Request ids unique across processes and restarts: a random per-process prefix and a counter.

    `uuid4()` per request cost ~7% of a lookup's CPU (an os.urandom system call each); this costs a counter step.
    """

    def __init__(self) -> None:
        self._prefix = secrets.token_hex(6)
        self._counter = itertools.count(1)

    def next(self) -> str:
        return f"{self._prefix}-{next(self._counter):x}"


def utc_now() -> datetime:
    return datetime.now(UTC)


class RequestContext:
    """Normalise the path (`//Users/` → `/Users`), assign a request id, log and count the request when it ends.

    The access line has the route template, never the raw path or query: ids, addresses and filter values stay
    out of the log (a filter appears as its shape, `userName eq ?`, made here from the filter the SCIM API leaves
    in the request state, and only when the line is written).
    """

    def __init__(self, app: ASGIApp, metrics: Metrics | None = None, scim: ScimRouter | None = None) -> None:
        self.app = app
        self.metrics = metrics
        self.scim = scim
        self.ids = RequestIds()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = _SLASHES.sub("/", scope["path"])
        if len(path) > 1:
            path = path.rstrip("/")
        headers = dict(scope["headers"])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID.fullmatch(incoming) else self.ids.next()
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

        app = self.scim if self.scim is not None and self.scim.handles(path) else self.app
        try:
            await app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            template = getattr(scope.get("route"), "path_format", None)
            route = scope.get("root_path", "") + template if template else None
            level = logging.DEBUG if route in _QUIET_ROUTES else logging.INFO
            if access_log.isEnabledFor(level):
                fields = {
                    "request_id": request_id,
                    "method": scope["method"],
                    "route": route or "-",
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                    "account_id": state.get("account_id"),
                    "user_agent": headers.get(b"user-agent", b"").decode("latin-1") or None,
                }
                if "filter" in state:
                    fields["filter"] = filter_shape(state["filter"])
                access_log.log(level, "request", extra=fields)
            if self.metrics is not None:
                self.metrics.request(scope["method"], route, status, seconds, state.get("account_id"))


def create_app(
    settings: Settings, db: Database, clock: Callable[[], datetime] = utc_now, metrics: Metrics | None = None
) -> ASGIApp:
    metrics = metrics or Metrics.for_process(account_labels=settings.metrics_account_labels)
    transactions = Transactions(db)
    scim = ScimApi(settings, transactions, clock, metrics)
    access = AccessApi(transactions, settings.deprovision_window)
    ops = OpsApi(db, metrics, settings.metrics_token)

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
                metrics=metrics,
            )
            loop.start()
        try:
            yield
        finally:
            if loop is not None:
                loop.stop()
            await transactions.close()

    app = Starlette(
        routes=[
            Mount("/api/v1", routes=access.routes(), middleware=[declare(Flavour.JSON)]),
            Mount("/console", routes=Console(settings, db, clock).routes(), middleware=[declare(Flavour.HTML)]),
            *ops.routes(),
        ],
        middleware=[declare(Flavour.JSON)],  # the operational endpoints, and paths that belong to no API
        exception_handlers=HANDLERS,
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False  # RequestContext already normalised the path; a redirect would lose a POST
    return RequestContext(app, metrics, ScimRouter("/scim/v2", scim.routes()))


def app_from_environment() -> ASGIApp:
    """The application of one worker process: settings from the environment (`serve` exported its options there;
    it also applied the migrations before starting the workers)."""
    settings = Settings.from_env(os.environ)
    log.configure(settings.log_level, settings.log_format)
    return create_app(settings, open_database(settings))
