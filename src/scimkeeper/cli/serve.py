"""`serve`, `demo` and `db`: running the service and migrating its schema."""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from scimkeeper import log
from scimkeeper.cli.base import (
    DEMO_ACCOUNT,
    DEMO_DOMAIN,
    Context,
    emit,
    json_option,
    now,
    open_database,
    pass_context,
)
from scimkeeper.config import Settings
from scimkeeper.domain import accounts, domains, tokens
from scimkeeper.domain.audit import OPERATOR
from scimkeeper.domain.errors import DomainError
from scimkeeper.metrics import MULTIPROC_DIR_VARIABLE, prepare_multiprocess_dir
from scimkeeper.storage import migrate
from scimkeeper.storage.db import Database

# --- serve --------------------------------------------------------------------------------------------------


def _serve(settings: Settings, banner: Callable[[Database], None] | None = None) -> None:
    """Migrate once, here, then serve: in this process, or in `settings.workers` worker processes."""
    import uvicorn  # noqa: PLC0415 - only the serve commands need the server

    log.configure(settings.log_level, settings.log_format)
    db = open_database(settings)
    migrate.upgrade(db)
    if banner is not None:
        banner(db)
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        # Named, not "auto": a missing uvloop or httptools fails at start instead of quietly serving slower.
        "loop": "uvloop",
        "http": "httptools",
        "ws": "none",  # no WebSocket routes, and no websockets package (uvicorn[standard] is not a dependency)
        "log_config": None,
        "server_header": False,
        "timeout_graceful_shutdown": settings.shutdown_timeout_seconds or None,
    }
    if settings.workers == 1:
        from scimkeeper.web.app import create_app  # noqa: PLC0415 - the web layer is not loaded for other commands

        with _metrics_directory(create=False):
            uvicorn.run(create_app(settings, db), **options)
        return
    db.dispose()  # the workers open their own pools
    if db.dialect == "sqlite":
        logging.getLogger("scimkeeper.serve").warning(
            "several workers on SQLite: they share one file and its single write lock (fine for one machine and "
            "moderate write rates; use PostgreSQL to serve from several machines)",
            extra={"workers": settings.workers},
        )
    # Each worker reads its settings from the environment: pass the command-line options on through it.
    os.environ.update({"SCIMKEEPER_HOST": settings.host, "SCIMKEEPER_PORT": str(settings.port)})
    with _metrics_directory(create=True):
        uvicorn.run("scimkeeper.web.app:app_from_environment", factory=True, workers=settings.workers, **options)


@contextmanager
def _metrics_directory(*, create: bool) -> Iterator[None]:
    """Prometheus multiprocess mode: wipe PROMETHEUS_MULTIPROC_DIR of a previous run, or (for several workers)
    make a private one for this run when the operator has not set one."""
    given = os.environ.get(MULTIPROC_DIR_VARIABLE)
    if given:
        prepare_multiprocess_dir(given)
    if given or not create:
        yield
        return
    with tempfile.TemporaryDirectory(prefix="scimkeeper-metrics-") as directory:
        os.environ[MULTIPROC_DIR_VARIABLE] = directory
        try:
            yield
        finally:
            del os.environ[MULTIPROC_DIR_VARIABLE]


workers_option = click.option(
    "--workers", type=int, help="Serving processes [env SCIMKEEPER_WORKERS, default 1]; migrations run once before."
)


@click.command()
@click.option("--host", help="Interface to listen on [env SCIMKEEPER_HOST, default 127.0.0.1].")
@click.option("--port", type=int, help="Port to listen on [env SCIMKEEPER_PORT, default 8000].")
@workers_option
@pass_context
def serve(ctx: Context, host: str | None, port: int | None, workers: int | None) -> None:
    """Apply pending migrations, then serve the SCIM API."""
    _serve(ctx.settings(host=host, port=port, workers=workers))


@click.command()
@click.option("--host", help="Interface to listen on.")
@click.option("--port", type=int, help="Port to listen on.")
@workers_option
@pass_context
def demo(ctx: Context, host: str | None, port: int | None, workers: int | None) -> None:
    """Serve with a ready Enterprise account named Demo and print its SCIM URL and a fresh token."""
    settings = ctx.settings(host=host, port=port, workers=workers)

    def banner(db: Database) -> None:
        with db.write() as conn:
            try:
                account = accounts.resolve(conn, DEMO_ACCOUNT)
            except DomainError:
                account = accounts.create(conn, DEMO_ACCOUNT, plan=accounts.ENTERPRISE, actor=OPERATOR, now=now())
                domains.authorize(conn, account, DEMO_DOMAIN, include_subdomains=True, actor=OPERATOR, now=now())
            issued = tokens.generate(conn, account, actor=OPERATOR, now=now())
        click.echo(
            f"\nscimkeeper demo account {account.name!r} ({account.id})\n"
            f"  SCIM base URL: {settings.scim_base_url}\n"
            f"  SCIM token:    {issued.plaintext}\n"
            f"  (shown once; `scimkeeper token generate {DEMO_ACCOUNT}` issues a new one)\n"
            f"  Authorized email domain: {DEMO_DOMAIN} (and its subdomains)\n\n"
            f"  try: curl -H 'Authorization: Bearer {issued.plaintext}' {settings.scim_base_url}/Users\n"
        )
        sys.stdout.flush()

    _serve(settings, banner)


# --- db -----------------------------------------------------------------------------------------------------


@click.group()
def db() -> None:
    """Database schema migrations."""


@db.command("upgrade")
@json_option
@pass_context
def db_upgrade(ctx: Context, as_json: bool) -> None:
    """Apply every pending migration (safe to run from several processes at once)."""
    database = ctx.database()
    migrate.upgrade(database)
    revision = migrate.current_revision(database)
    emit(as_json, {"revision": revision}, f"database at revision {revision}")


@db.command("current")
@json_option
@pass_context
def db_current(ctx: Context, as_json: bool) -> None:
    """Show the schema revision of the database and of this release."""
    revision, head = migrate.current_revision(ctx.database()), migrate.head_revision()
    emit(as_json, {"revision": revision, "head": head}, f"database at {revision}; this release needs {head}")
