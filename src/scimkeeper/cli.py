"""Operator commands: serve, migrate, accounts, plans and SCIM tokens. Every command accepts --json."""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import click
import orjson
from sqlalchemy import Connection

from scimkeeper import jobs, log
from scimkeeper.config import ConfigError, Settings
from scimkeeper.domain import accounts, admins, app_keys, audit, domains, members, search, tokens
from scimkeeper.domain.addresses import normalise_domain, unicode_domain
from scimkeeper.domain.audit import OPERATOR
from scimkeeper.domain.errors import DomainError
from scimkeeper.metrics import MULTIPROC_DIR_VARIABLE, prepare_multiprocess_dir
from scimkeeper.scim.listing import IndexPage
from scimkeeper.scim.query import ListRequest
from scimkeeper.storage import db as storage_db
from scimkeeper.storage import migrate
from scimkeeper.storage.accounts import Account
from scimkeeper.storage.db import Database

T = TypeVar("T")
DEMO_ACCOUNT = "Demo"
DEMO_DOMAIN = "example.com"


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
    return storage_db.open_database(settings)


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


@main.command()
@click.option("--host", help="Interface to listen on [env SCIMKEEPER_HOST, default 127.0.0.1].")
@click.option("--port", type=int, help="Port to listen on [env SCIMKEEPER_PORT, default 8000].")
@workers_option
@pass_context
def serve(ctx: Context, host: str | None, port: int | None, workers: int | None) -> None:
    """Apply pending migrations, then serve the SCIM API."""
    _serve(ctx.settings(host=host, port=port, workers=workers))


@main.command()
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
                account = accounts.create(conn, DEMO_ACCOUNT, plan=accounts.ENTERPRISE, actor=OPERATOR, now=_now())
                domains.authorize(conn, account, DEMO_DOMAIN, include_subdomains=True, actor=OPERATOR, now=_now())
            issued = tokens.generate(conn, account, actor=OPERATOR, now=_now())
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
@click.option("--owner-email", help="Create the account's owner; prints a one-time link to set their password.")
@json_option
@pass_context
def account_create(ctx: Context, name: str, enterprise: bool, owner_email: str | None, as_json: bool) -> None:
    """Create an account (standard plan unless --enterprise), optionally with its console owner."""
    plan = accounts.ENTERPRISE if enterprise else accounts.STANDARD

    def operation(conn: Connection) -> tuple[Account, str | None]:
        created = accounts.create(conn, name, plan=plan, actor=OPERATOR, now=_now())
        if owner_email is None:
            return created, None
        link = admins.invite(conn, created, owner_email, admins.OWNER, actor=OPERATOR, now=_now())
        return created, _set_password_url(ctx, link.token)

    created, url = ctx.transact(operation)
    text = _account_text(created) + (f"\nowner's set-password link (works once, for 7 days): {url}" if url else "")
    _emit(as_json, {**asdict(created), "owner_set_password_url": url}, text)


def _set_password_url(ctx: Context, token: str) -> str:
    return f"{ctx.settings().base_url}/console/set-password/{token}"


@main.group()
def admin() -> None:
    """Console owners and admins of an account."""


@admin.command("invite")
@click.argument("ref", metavar="ACCOUNT")
@click.argument("email")
@click.option("--role", type=click.Choice(["owner", "admin"]), default="admin", show_default=True)
@json_option
@pass_context
def admin_invite(ctx: Context, ref: str, email: str, role: str, as_json: bool) -> None:
    """Create an owner or admin and print their one-time set-password link."""
    link = ctx.transact(
        lambda conn: admins.invite(conn, accounts.resolve(conn, ref), email, role, actor=OPERATOR, now=_now())
    )
    url = _set_password_url(ctx, link.token)
    _emit(as_json, {"email": link.user.email, "role": role, "set_password_url": url}, url)


@admin.command("list")
@click.argument("ref", metavar="ACCOUNT")
@json_option
@pass_context
def admin_list(ctx: Context, ref: str, as_json: bool) -> None:
    """List the account's owners and admins."""
    found = ctx.transact(lambda conn: admins.users_of(conn, accounts.resolve(conn, ref)))
    rows = [{"email": u.email, "role": u.role, "password_set": u.password_hash is not None} for u in found]
    _emit(as_json, rows, "\n".join(f"{r['email']}  {r['role']}" for r in rows) or "no owners or admins")


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


# --- members and the lifecycle -------------------------------------------------------------------------------


@main.group()
def member() -> None:
    """Account members (SCIM Users)."""


@member.command("list")
@click.argument("ref", metavar="ACCOUNT")
@json_option
@pass_context
def member_list(ctx: Context, ref: str, as_json: bool) -> None:
    """List the account's members with their state and, if deprovisioned, the date of their removal."""
    window = ctx.settings().deprovision_window

    def operation(conn: Connection) -> list[members.Member]:
        account_ = accounts.resolve(conn, ref)
        found: list[members.Member] = []
        while True:
            request = ListRequest(page=IndexPage(len(found) + 1, 1000))
            page = search.search(conn, account_, request, now=_now(), cursor_timeout=60)
            found += page.members
            if len(found) >= page.total or not page.members:
                return found

    found = ctx.transact(operation)
    rows = [
        {
            "id": m.id,
            "userName": m.document.get("userName"),
            "state": members.state(m),
            "deprovisioned_at": m.deprovisioned_at,
            "removal_at": members.removal_due(m, window),
        }
        for m in found
    ]
    lines = []
    for m in found:
        due = members.removal_due(m, window)
        removal = f"  removal {due.isoformat()}" if due else ""
        lines.append(f"{m.id}  {m.document.get('userName')}  {members.state(m)}{removal}")
    _emit(as_json, rows, "\n".join(lines) or "no members")


@member.command("remove")
@click.argument("ref", metavar="ACCOUNT")
@click.argument("member_id", metavar="ID")
@json_option
@pass_context
def member_remove(ctx: Context, ref: str, member_id: str, as_json: bool) -> None:
    """Remove a member at once (personal data erased; the IdP sees 404 from now on)."""
    ctx.transact(lambda conn: members.remove(conn, accounts.resolve(conn, ref), member_id, actor=OPERATOR, now=_now()))
    _emit(as_json, {"removed": member_id}, f"removed {member_id}")


def _instant(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{text!r} is not an ISO 8601 instant such as 2026-12-31T00:00:00Z") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@main.command("purge")
@click.option("--dry-run", is_flag=True, help="List what would be removed; change nothing.")
@click.option("--as-of", "as_of", metavar="TIMESTAMP", help="Purge as if it were this instant (ISO 8601).")
@click.option("--yes", is_flag=True, help="Confirm a real run as of a future instant.")
@json_option
@pass_context
def purge_command(ctx: Context, dry_run: bool, as_of: str | None, yes: bool, as_json: bool) -> None:
    """Remove the members whose deprovisioning window has passed (the serve loop does this periodically)."""
    now = _now()
    moment = _instant(as_of) or now
    if moment > now + timedelta(minutes=1) and not (dry_run or yes):
        raise click.ClickException(
            f"--as-of {moment.isoformat()} is in the future: members deprovisioned less than the window ago "
            "would be removed early. Add --dry-run to preview, or --yes to do it."
        )
    settings = ctx.settings()
    database = ctx.database()
    try:
        report = jobs.purge(
            database,
            now=moment,
            window=settings.deprovision_window,
            batch_size=settings.purge_batch_size,
            dry_run=dry_run,
        )
    finally:
        database.dispose()
    verb = "would remove" if dry_run else "removed"
    data = {
        "as_of": moment,
        "dry_run": dry_run,
        "count": len(report.members),
        "members": [{"id": m, "account_id": a} for m, a in report.members],
    }
    text = f"{verb} {len(report.members)} member(s) as of {moment.isoformat()}" + "".join(
        f"\n  {m} (account {a})" for m, a in report.members
    )
    _emit(as_json, data, text)


# --- application keys (the access API) ----------------------------------------------------------------------


@main.group("app-key")
def app_key() -> None:
    """Keys of the host application for the access API (/api/v1), separate from SCIM tokens."""


@app_key.command("generate")
@click.option("--name", default="default", help="What the key is for, e.g. the application's name.")
@json_option
@pass_context
def app_key_generate(ctx: Context, name: str, as_json: bool) -> None:
    """Issue a new application key (printed once). Existing keys keep working until revoked."""
    issued = ctx.transact(lambda conn: app_keys.generate(conn, name, actor=OPERATOR, now=_now()))
    _emit(
        as_json,
        {"id": issued.key.id, "name": issued.key.name, "key": issued.plaintext},
        f"{issued.plaintext}\n(shown once; id {issued.key.id})",
    )


@app_key.command("list")
@json_option
@pass_context
def app_key_list(ctx: Context, as_json: bool) -> None:
    """List application keys (last four characters only)."""
    found = ctx.transact(app_keys.list_all)
    rows = [
        {"id": k.id, "name": k.name, "last4": k.last4, "created_at": k.created_at, "revoked_at": k.revoked_at}
        for k in found
    ]
    lines = [f"{k.id}  {k.name}  …{k.last4}" + ("  revoked" if k.revoked_at else "") for k in found]
    _emit(as_json, rows, "\n".join(lines) or "no application keys")


@app_key.command("revoke")
@click.argument("key_id", metavar="ID")
@json_option
@pass_context
def app_key_revoke(ctx: Context, key_id: str, as_json: bool) -> None:
    """Revoke an application key at once."""
    ctx.transact(lambda conn: app_keys.revoke(conn, key_id, actor=OPERATOR, now=_now()))
    _emit(as_json, {"revoked": key_id}, f"revoked {key_id}")


# --- authorized domains (operator only) ---------------------------------------------------------------------


@main.group()
def domain() -> None:
    """Authorized email domains: only addresses in them can be provisioned into an account."""


@domain.command("authorize")
@click.argument("ref", metavar="ACCOUNT")
@click.argument("name", metavar="DOMAIN")
@click.option("--include-subdomains", is_flag=True, help="Also authorize every subdomain (sub.acme.com).")
@json_option
@pass_context
def domain_authorize(ctx: Context, ref: str, name: str, include_subdomains: bool, as_json: bool) -> None:
    """Authorize DOMAIN for ACCOUNT (stored lower case, punycode for international names)."""

    def operation(conn: Connection) -> domains.DomainRow:
        account_ = accounts.resolve(conn, ref)
        return domains.authorize(
            conn, account_, name, include_subdomains=include_subdomains, actor=OPERATOR, now=_now()
        )

    row = ctx.transact(operation)
    scope = " and its subdomains" if row.include_subdomains else ""
    _emit(as_json, asdict(row), f"authorized {unicode_domain(row.domain)}{scope} ({row.domain})")


@domain.command("revoke")
@click.argument("ref", metavar="ACCOUNT")
@click.argument("name", metavar="DOMAIN")
@json_option
@pass_context
def domain_revoke(ctx: Context, ref: str, name: str, as_json: bool) -> None:
    """Revoke DOMAIN. Members in it stay as they are; their next change (other than deprovisioning) is refused."""
    affected = ctx.transact(
        lambda conn: domains.revoke(conn, accounts.resolve(conn, ref), name, actor=OPERATOR, now=_now())
    )
    _emit(
        as_json,
        {"revoked": normalise_domain(name), "members_in_domain": affected},
        f"revoked {name}; {affected} member(s) have an address in it and keep it until their next change",
    )


@domain.command("list")
@click.argument("ref", metavar="[ACCOUNT]", required=False)
@json_option
@pass_context
def domain_list(ctx: Context, ref: str | None, as_json: bool) -> None:
    """List authorized domains, of one account or of all."""

    def operation(conn: Connection) -> list[domains.DomainRow]:
        return domains.list_for(conn, accounts.resolve(conn, ref)) if ref else domains.list_all(conn)

    rows = ctx.transact(operation)
    lines = [
        f"{r.account_id}  {unicode_domain(r.domain)}" + ("  +subdomains" if r.include_subdomains else "") for r in rows
    ]
    _emit(as_json, [asdict(r) for r in rows], "\n".join(lines) or "no authorized domains")
