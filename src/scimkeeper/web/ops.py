"""Endpoints for the operator's load balancer and monitoring: /healthz, /readyz and /metrics.

Their errors are plain JSON (`web.errors`). A 503 from /readyz is not an error but the probe's other answer: a
status document like its 200, with the reason.
"""

from __future__ import annotations

import hmac
import logging

from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from scimkeeper.metrics import CONTENT_TYPE, Metrics
from scimkeeper.storage import migrate
from scimkeeper.storage.db import Database
from scimkeeper.web.auth import bearer_credential

log = logging.getLogger("scimkeeper.ops")
NO_STORE = {"Cache-Control": "no-store"}


class OpsApi:
    def __init__(self, db: Database, metrics: Metrics, metrics_token: str = "") -> None:
        self.db = db
        self.metrics = metrics
        self.metrics_token = metrics_token.encode()
        self.head = migrate.head_revision()

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/healthz", self.healthz, methods=["GET"]),
            Route("/readyz", self.readyz, methods=["GET"]),
            Route("/metrics", self.render_metrics, methods=["GET"]),
        ]

    async def healthz(self, _request: Request) -> Response:
        """The process is up and serving; the database is not consulted (that is /readyz)."""
        return JSONResponse({"status": "ok"}, headers=NO_STORE)

    async def readyz(self, _request: Request) -> Response:
        """Ready when the database answers and its schema is this release's: send traffic here."""
        try:
            revision = await run_in_threadpool(migrate.current_revision, self.db)
        except (SQLAlchemyError, OSError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            log.warning("not ready: database unreachable", extra={"error": reason})
            return unavailable("database unreachable")
        if revision != self.head:
            log.warning("not ready: schema not current", extra={"revision": revision, "head": self.head})
            return unavailable(f"database schema at revision {revision}; this release needs {self.head}")
        return JSONResponse({"status": "ready", "revision": revision}, headers=NO_STORE)

    async def render_metrics(self, request: Request) -> Response:
        """Prometheus text format; with SCIMKEEPER_METRICS_TOKEN set, only for `Authorization: Bearer <it>`."""
        if self.metrics_token and not self._authorized(request.headers.get("authorization")):
            raise HTTPException(
                401,
                "send the metrics token as 'Authorization: Bearer <token>'",
                headers={"WWW-Authenticate": 'Bearer realm="scimkeeper-metrics"'},
            )
        body = await run_in_threadpool(self.metrics.render)
        return Response(body, media_type=CONTENT_TYPE, headers=NO_STORE)

    def _authorized(self, authorization: str | None) -> bool:
        credential = bearer_credential(authorization)
        return credential is not None and hmac.compare_digest(credential.encode(), self.metrics_token)


def unavailable(reason: str) -> Response:
    return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503, headers=NO_STORE)
