"""Operator commands: serve, migrate, accounts, plans and SCIM tokens. Every command accepts --json."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, TypeVar

import click
import orjson
from sqlalchemy import Connection

from scimkeeper import log
from scimkeeper.config import ConfigError, Settings
from scimkeeper.domain import accounts, audit, tokens
from scimkeeper.domain.audit import OPERATOR
from scimkeeper.domain.errors import DomainError
from scimkeeper.storage import migrate
from scimkeeper.storage.accounts import Account
from scimkeeper.storage.db import Database

T = TypeVar("T")
DEMO_ACCOUNT = "Demo"


class Context:
    """What every command needs: the settings (read lazily, so --help works with a broken environment)."""

    def __init__(self) -> None:
        self._settings: Settings | None = None

    def settings(self, **overrides: Any) -> Settings:
        if self._settings is None or overrides:
            try:
                self._settings = Settings.from_env(os.environ, **overrides)
            except ConfigError as exc:
                raise click.ClickException(str(exc)) from None
        return self._settings

    def database(self) -> Database:
        return open_database(self.settings())

    @contextmanager
    def write(self) -> Iterator[Connection]:
        db = self.database()
        try:
            with db.write() as conn:
                yield conn
        except DomainError as exc:
            raise click.ClickException(str(exc)) from None
        finally:
            db.dispose()

    def transact(self, operation: Callable[[Connection], T]) -> T:
        with self.write() as conn:
            return operation(conn)


pass_context = click.make_pass_decorator(Context, ensure=True)
json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")


def open_database(settings: Settings) -> Database:
    return Database(
        settings.database_url,
        pool_size=settings.db_pool_size,
        pool_timeout=settings.db_pool_timeout,
        sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms,
    )


def _now() -> datetime:
    return datetime.now(UTC)


def _jsonable(value: Any) -> Any:
    return orjson.loads(orjson.dumps(value, default=str))


def _emit(as_json: bool, data: Any, text: str) -> None:
    click.echo(orjson.dumps(_jsonable(data), option=orjson.OPT_INDENT_2).decode() if as_json else text)


def _account_text(account: Account) -> str:
    return f"{account.id}  {account.name}  plan={account.plan}  created={account.created_at.isoformat()}"


@click.group()
@click.version_option(package_name="scimkeeper")
def main() -> None:
    """scimkeeper: keep account members in sync with your identity provider over SCIM 2.0."""


# --- serve --------------------------------------------------------------------------------------------------


def _serve(settings: Settings, banner: Callable[[Database], None] | None = None) -> None:
    import uvicorn  # noqa: PLC0415 - only the serve commands need the server

    from scimkeeper.web.app import create_app  # noqa: PLC0415 - the web layer is not loaded for other commands

    log.configure(settings.log_level, settings.log_format)
    db = open_database(settings)
    migrate.upgrade(db)
    if banner is not None:
        banner(db)
    app = create_app(settings, db)
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None, server_header=False)


@main.command()
@click.option("--host", help="Interface to listen on [env SCIMKEEPER_HOST, default 127.0.0.1].")
@click.option("--port", type=int, help="Port to listen on [env SCIMKEEPER_PORT, default 8000].")
@pass_context
def serve(ctx: Context, host: str | None, port: int | None) -> None:
    """Apply pending migrations, then serve the SCIM API."""
    _serve(ctx.settings(host=host, port=port))


@main.command()
@click.option("--host", help="Interface to listen on.")
@click.option("--port", type=int, help="Port to listen on.")
@pass_context
def demo(ctx: Context, host: str | None, port: int | None) -> None:
    """Serve with a ready Enterprise account named Demo and print its SCIM URL and a fresh token."""
    settings = ctx.settings(host=host, port=port)

    def banner(db: Database) -> None:
        with db.write() as conn:
            try:
                account = accounts.resolve(conn, DEMO_ACCOUNT)
            except DomainError:
                account = accounts.create(conn, DEMO_ACCOUNT, plan=accounts.ENTERPRISE, actor=OPERATOR, now=_now())
            issued = tokens.generate(conn, account, actor=OPERATOR, now=_now())
        click.echo(
            f"\nscimkeeper demo account {account.name!r} ({account.id})\n"
            f"  SCIM base URL: {settings.scim_base_url}\n"
            f"  SCIM token:    {issued.plaintext}\n"
            f"  (shown once; `scimkeeper token generate {DEMO_ACCOUNT}` issues a new one)\n\n"
            f"  try: curl -H 'Authorization: Bearer {issued.plaintext}' {settings.scim_base_url}/Users\n"
        )
        sys.stdout.flush()

    _serve(settings, banner)


# --- db -----------------------------------------------------------------------------------------------------


@main.group()
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
    _emit(as_json, {"revision": revision}, f"database at revision {revision}")


@db.command("current")
@json_option
@pass_context
def db_current(ctx: Context, as_json: bool) -> None:
    """Show the schema revision of the database and of this release."""
    revision, head = migrate.current_revision(ctx.database()), migrate.head_revision()
    _emit(as_json, {"revision": revision, "head": head}, f"database at {revision}; this release needs {head}")


# --- accounts and tokens ------------------------------------------------------------------------------------


@main.group()
def account() -> None:
    """Accounts (tenants) and their plan."""


@account.command("create")
@click.argument("name")
@click.option("--enterprise", is_flag=True, help="Put the account on the Enterprise plan (needed for SCIM).")
@json_option
@pass_context
def account_create(ctx: Context, name: str, enterprise: bool, as_json: bool) -> None:
    """Create an account (standard plan unless --enterprise)."""
    plan = accounts.ENTERPRISE if enterprise else accounts.STANDARD
    created = ctx.transact(lambda conn: accounts.create(conn, name, plan=plan, actor=OPERATOR, now=_now()))
    _emit(as_json, asdict(created), _account_text(created))


@account.command("list")
@json_option
@pass_context
def account_list(ctx: Context, as_json: bool) -> None:
    """List every account."""
    found = ctx.transact(accounts.list_all)
    _emit(as_json, [asdict(a) for a in found], "\n".join(_account_text(a) for a in found) or "no accounts")


@account.command("show")
@click.argument("ref", metavar="ACCOUNT")
@json_option
@pass_context
def account_show(ctx: Context, ref: str, as_json: bool) -> None:
    """Show an account (by id or name) and its SCIM token's last characters."""

    def operation(conn: Connection) -> tuple[Account, tokens.Token | None]:
        found = accounts.resolve(conn, ref)
        return found, tokens.live_token(conn, found)

    found, token = ctx.transact(operation)
    token_data = (
        {"last4": token.last4, "created_at": token.created_at, "last_used_at": token.last_used_at} if token else None
    )
    text = _account_text(found) + (
        f"\n  SCIM token …{token.last4}, created {token.created_at.isoformat()}, "
        f"last used {token.last_used_at.isoformat() if token.last_used_at else 'never'}"
        if token
        else "\n  no SCIM token"
    )
    _emit(as_json, {**asdict(found), "scim_token": token_data}, text)


@account.command("plan")
@click.argument("ref", metavar="ACCOUNT")
@click.argument("plan", type=click.Choice(accounts.PLANS))
@json_option
@pass_context
def account_plan(ctx: Context, ref: str, plan: str, as_json: bool) -> None:
    """Move an account to another plan."""

    def operation(conn: Connection) -> Account:
        return accounts.set_plan(conn, accounts.resolve(conn, ref), plan, actor=OPERATOR, now=_now())

    changed = ctx.transact(operation)
    _emit(as_json, asdict(changed), _account_text(changed))


@main.group()
def token() -> None:
    """SCIM tokens."""


@token.command("generate")
@click.argument("ref", metavar="ACCOUNT")
@json_option
@pass_context
def token_generate(ctx: Context, ref: str, as_json: bool) -> None:
    """Issue a new SCIM token (printed once) and revoke the previous one."""

    def operation(conn: Connection) -> tuple[Account, tokens.IssuedToken]:
        found = accounts.resolve(conn, ref)
        return found, tokens.generate(conn, found, actor=OPERATOR, now=_now())

    found, issued = ctx.transact(operation)
    settings = ctx.settings()
    data = {
        "account_id": found.id,
        "token": issued.plaintext,
        "last4": issued.token.last4,
        "scim_base_url": settings.scim_base_url,
    }
    _emit(
        as_json,
        data,
        f"{issued.plaintext}\n(shown once; the previous token of {found.name!r} no longer works)\n"
        f"SCIM base URL: {settings.scim_base_url}",
    )


@main.command("audit")
@click.argument("ref", metavar="ACCOUNT")
@click.option("--since", type=click.DateTime(), help="Only entries at or after this UTC time.")
@json_option
@pass_context
def audit_log(ctx: Context, ref: str, since: datetime | None, as_json: bool) -> None:
    """Print the account's audit log, oldest first."""
    since_utc = since.replace(tzinfo=UTC) if since else None
    found = ctx.transact(lambda conn: audit.events(conn, accounts.resolve(conn, ref).id, since=since_utc))
    lines = [
        f"{e.at.isoformat()}  {e.actor_type}:{e.actor_id or '-'}  {e.action}  {e.target_type}:{e.target_id or '-'}"
        for e in found
    ]
    _emit(as_json, [asdict(e) for e in found], "\n".join(lines) or "no entries")
