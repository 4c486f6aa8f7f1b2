"""Members and the deprovisioning lifecycle: list, remove, purge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click
from sqlalchemy import Connection

from scimkeeper import jobs
from scimkeeper.cli.base import Context, emit, json_option, now, pass_context
from scimkeeper.domain import accounts, members
from scimkeeper.domain.audit import OPERATOR
from scimkeeper.scim.listing import IndexPage
from scimkeeper.scim.query import ListRequest


@click.group()
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
            page = members.search(conn, account_, request, now=now(), cursor_timeout=60)
            found += page.resources
            if len(found) >= page.total or not page.resources:
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
    emit(as_json, rows, "\n".join(lines) or "no members")


@member.command("remove")
@click.argument("ref", metavar="ACCOUNT")
@click.argument("member_id", metavar="ID")
@json_option
@pass_context
def member_remove(ctx: Context, ref: str, member_id: str, as_json: bool) -> None:
    """Remove a member at once (personal data erased; the IdP sees 404 from now on)."""
    ctx.transact(lambda conn: members.remove(conn, accounts.resolve(conn, ref), member_id, actor=OPERATOR, now=now()))
    emit(as_json, {"removed": member_id}, f"removed {member_id}")


def _instant(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{text!r} is not an ISO 8601 instant such as 2026-12-31T00:00:00Z") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="List what would be removed; change nothing.")
@click.option("--as-of", "as_of", metavar="TIMESTAMP", help="Purge as if it were this instant (ISO 8601).")
@click.option("--yes", is_flag=True, help="Confirm a real run as of a future instant.")
@json_option
@pass_context
def purge_command(ctx: Context, dry_run: bool, as_of: str | None, yes: bool, as_json: bool) -> None:
    """Remove the members whose deprovisioning window has passed (the serve loop does this periodically)."""
    current = now()
    moment = _instant(as_of) or current
    if moment > current + timedelta(minutes=1) and not (dry_run or yes):
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
    emit(as_json, data, text)
