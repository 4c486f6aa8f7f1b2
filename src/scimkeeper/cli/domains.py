"""Authorized e-mail domains (operator only)."""

from __future__ import annotations

from dataclasses import asdict

import click
from sqlalchemy import Connection

from scimkeeper.cli.base import Context, emit, json_option, now, pass_context
from scimkeeper.domain import accounts, domains
from scimkeeper.domain.addresses import normalise_domain, unicode_domain
from scimkeeper.domain.audit import OPERATOR


@click.group()
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
        return domains.authorize(conn, account_, name, include_subdomains=include_subdomains, actor=OPERATOR, now=now())

    row = ctx.transact(operation)
    scope = " and its subdomains" if row.include_subdomains else ""
    emit(as_json, asdict(row), f"authorized {unicode_domain(row.domain)}{scope} ({row.domain})")


@domain.command("revoke")
@click.argument("ref", metavar="ACCOUNT")
@click.argument("name", metavar="DOMAIN")
@json_option
@pass_context
def domain_revoke(ctx: Context, ref: str, name: str, as_json: bool) -> None:
    """Revoke DOMAIN. Members in it stay as they are; their next change (other than deprovisioning) is refused."""
    affected = ctx.transact(
        lambda conn: domains.revoke(conn, accounts.resolve(conn, ref), name, actor=OPERATOR, now=now())
    )
    emit(
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
    emit(as_json, [asdict(r) for r in rows], "\n".join(lines) or "no authorized domains")
