"""Accounts, plans, console owners and admins, SCIM tokens and the audit log."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

import click
from sqlalchemy import Connection

from scimkeeper.cli.base import Context, account_text, emit, json_option, now, pass_context
from scimkeeper.domain import accounts, admins, audit, roles, tokens
from scimkeeper.domain.audit import OPERATOR
from scimkeeper.storage.accounts import Account

# --- accounts and tokens ------------------------------------------------------------------------------------


@click.group()
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
        created = accounts.create(conn, name, plan=plan, actor=OPERATOR, now=now())
        if owner_email is None:
            return created, None
        link = admins.invite(conn, created, owner_email, roles.OWNER, actor=OPERATOR, now=now())
        return created, _set_password_url(ctx, link.token)

    created, url = ctx.transact(operation)
    text = account_text(created) + (f"\nowner's set-password link (works once, for 7 days): {url}" if url else "")
    emit(as_json, {**asdict(created), "owner_set_password_url": url}, text)


def _set_password_url(ctx: Context, token: str) -> str:
    return f"{ctx.settings().base_url}/console/set-password/{token}"


@click.group()
def admin() -> None:
    """Console owners and admins of an account."""


@admin.command("invite")
@click.argument("ref", metavar="ACCOUNT")
@click.argument("email")
@click.option("--role", type=click.Choice(roles.ROLES), default=roles.ADMIN, show_default=True)
@json_option
@pass_context
def admin_invite(ctx: Context, ref: str, email: str, role: str, as_json: bool) -> None:
    """Create an owner or admin and print their one-time set-password link."""
    link = ctx.transact(
        lambda conn: admins.invite(conn, accounts.resolve(conn, ref), email, role, actor=OPERATOR, now=now())
    )
    url = _set_password_url(ctx, link.token)
    emit(as_json, {"email": link.user.email, "role": role, "set_password_url": url}, url)


@admin.command("list")
@click.argument("ref", metavar="ACCOUNT")
@json_option
@pass_context
def admin_list(ctx: Context, ref: str, as_json: bool) -> None:
    """List the account's owners and admins."""
    found = ctx.transact(lambda conn: admins.users_of(conn, accounts.resolve(conn, ref)))
    rows = [{"email": u.email, "role": u.role, "password_set": u.password_hash is not None} for u in found]
    emit(as_json, rows, "\n".join(f"{r['email']}  {r['role']}" for r in rows) or "no owners or admins")


@account.command("list")
@json_option
@pass_context
def account_list(ctx: Context, as_json: bool) -> None:
    """List every account."""
    found = ctx.transact(accounts.list_all)
    emit(as_json, [asdict(a) for a in found], "\n".join(account_text(a) for a in found) or "no accounts")


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
    text = account_text(found) + (
        f"\n  SCIM token …{token.last4}, created {token.created_at.isoformat()}, "
        f"last used {token.last_used_at.isoformat() if token.last_used_at else 'never'}"
        if token
        else "\n  no SCIM token"
    )
    emit(as_json, {**asdict(found), "scim_token": token_data}, text)


@account.command("plan")
@click.argument("ref", metavar="ACCOUNT")
@click.argument("plan", type=click.Choice(accounts.PLANS))
@json_option
@pass_context
def account_plan(ctx: Context, ref: str, plan: str, as_json: bool) -> None:
    """Move an account to another plan."""

    def operation(conn: Connection) -> Account:
        return accounts.set_plan(conn, accounts.resolve(conn, ref), plan, actor=OPERATOR, now=now())

    changed = ctx.transact(operation)
    emit(as_json, asdict(changed), account_text(changed))


@click.group()
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
        return found, tokens.generate(conn, found, actor=OPERATOR, now=now())

    found, issued = ctx.transact(operation)
    settings = ctx.settings()
    data = {
        "account_id": found.id,
        "token": issued.plaintext,
        "last4": issued.token.last4,
        "scim_base_url": settings.scim_base_url,
    }
    emit(
        as_json,
        data,
        f"{issued.plaintext}\n(shown once; the previous token of {found.name!r} no longer works)\n"
        f"SCIM base URL: {settings.scim_base_url}",
    )


@click.command("audit")
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
    emit(as_json, [asdict(e) for e in found], "\n".join(lines) or "no entries")
