"""Members provisioned over SCIM: provision, read, replace, remove and list, each change audited.

Documents arrive already validated and canonical (`scim.documents.parse_resource`). `active` is the member's
lifecycle state, kept in its own column and not in the stored document.
"""

from __future__ import annotations

import uuid
from dataclasses import replace as dc_replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from scimkeeper.domain import audit
from scimkeeper.domain.errors import MemberNotFound, UserNameTaken
from scimkeeper.storage import members as store
from scimkeeper.storage.accounts import Account
from scimkeeper.storage.errors import UniqueViolation
from scimkeeper.storage.members import Member

__all__ = ["Member", "get", "list_page", "provision", "remove", "replace"]


def _split_active(document: dict[str, Any], default: bool) -> tuple[dict[str, Any], bool]:
    document = dict(document)
    active = document.pop("active", default)
    return document, bool(active)


def _taken(document: dict[str, Any]) -> UserNameTaken:
    return UserNameTaken(f"a user with userName {document['userName']!r} already exists in this account")


def _audit_document(member: Member) -> dict[str, Any]:
    return {**member.document, "active": member.active}


def provision(
    conn: Connection, account: Account, document: dict[str, Any], *, actor: audit.Actor, now: datetime
) -> Member:
    """Create a member; an absent `active` means active."""
    document, active = _split_active(document, default=True)
    member = Member(
        id=str(uuid.uuid4()),
        account_id=account.id,
        document=document,
        active=active,
        version=1,
        created_at=now,
        updated_at=now,
    )
    try:
        store.insert_member(conn, member)
    except UniqueViolation:
        raise _taken(document) from None
    audit.record(
        conn,
        actor=actor,
        action="member.provisioned",
        target_type="member",
        target_id=member.id,
        account_id=account.id,
        now=now,
        changes=audit.diff({}, _audit_document(member)),
    )
    return member


def get(conn: Connection, account: Account, member_id: str, *, for_update: bool = False) -> Member:
    member = store.get_member(conn, account.id, member_id, for_update=for_update)
    if member is None:
        raise MemberNotFound(f"no user with id {member_id!r}")
    return member


def replace(
    conn: Connection,
    account: Account,
    member_id: str,
    document: dict[str, Any],
    *,
    actor: audit.Actor,
    now: datetime,
) -> Member:
    """Replace every readWrite attribute (PUT); an absent `active` leaves the state unchanged."""
    current = get(conn, account, member_id, for_update=True)
    document, active = _split_active(document, default=current.active)
    if document == current.document and active == current.active:
        return current
    changed = dc_replace(current, document=document, active=active, version=current.version + 1, updated_at=now)
    try:
        store.update_member(conn, changed)
    except UniqueViolation:
        raise _taken(document) from None
    audit.record(
        conn,
        actor=actor,
        action="member.replaced",
        target_type="member",
        target_id=member_id,
        account_id=account.id,
        now=now,
        changes=audit.diff(_audit_document(current), _audit_document(changed)),
    )
    return changed


def remove(conn: Connection, account: Account, member_id: str, *, actor: audit.Actor, now: datetime) -> None:
    """Remove at once: personal data erased, a tombstone kept, the userName free for a new member."""
    if not store.remove_member(conn, account.id, member_id, now):
        raise MemberNotFound(f"no user with id {member_id!r}")
    audit.record(
        conn,
        actor=actor,
        action="member.removed",
        target_type="member",
        target_id=member_id,
        account_id=account.id,
        now=now,
    )


def list_page(conn: Connection, account: Account, *, offset: int, limit: int) -> tuple[int, list[Member]]:
    """The total number of live members and one page of them in the stable order."""
    total = store.count_members(conn, account.id)
    page = store.page_members(conn, account.id, offset=offset, limit=limit) if limit > 0 and offset < total else []
    return total, page
