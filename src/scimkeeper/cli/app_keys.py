"""Application keys of the host application for the access API."""

from __future__ import annotations

import click

from scimkeeper.cli.base import Context, emit, json_option, now, pass_context
from scimkeeper.domain import app_keys
from scimkeeper.domain.audit import OPERATOR


@click.group("app-key")
def app_key() -> None:
    """Keys of the host application for the access API (/api/v1), separate from SCIM tokens."""


@app_key.command("generate")
@click.option("--name", default="default", help="What the key is for, e.g. the application's name.")
@json_option
@pass_context
def app_key_generate(ctx: Context, name: str, as_json: bool) -> None:
    """Issue a new application key (printed once). Existing keys keep working until revoked."""
    issued = ctx.transact(lambda conn: app_keys.generate(conn, name, actor=OPERATOR, now=now()))
    emit(
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
    emit(as_json, rows, "\n".join(lines) or "no application keys")


@app_key.command("revoke")
@click.argument("key_id", metavar="ID")
@json_option
@pass_context
def app_key_revoke(ctx: Context, key_id: str, as_json: bool) -> None:
    """Revoke an application key at once."""
    ctx.transact(lambda conn: app_keys.revoke(conn, key_id, actor=OPERATOR, now=now()))
    emit(as_json, {"revoked": key_id}, f"revoked {key_id}")
