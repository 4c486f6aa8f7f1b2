"""Members (SCIM Users): the canonical document plus the normalised columns that make filters index lookups."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from scimkeeper.scim.keys import fold
from scimkeeper.storage.errors import UniqueViolation
from scimkeeper.storage.tables import member_emails, members


@dataclass(frozen=True)
class Member:
    id: str
    account_id: str
    document: dict[str, Any]
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime


_COLUMNS = (
    members.c.id,
    members.c.account_id,
    members.c.document,
    members.c.active,
    members.c.version,
    members.c.created_at,
    members.c.updated_at,
)
_LIVE = members.c.removed_at.is_(None)


def _member(row: Sequence[Any]) -> Member:
    return Member(*row)


def _index_columns(document: Mapping[str, Any]) -> dict[str, Any]:
    display_name = document.get("displayName")
    return {
        "user_name_key": fold(document["userName"]),
        "external_id": document.get("externalId"),
        "display_name_key": fold(display_name) if isinstance(display_name, str) else None,
    }


def _email_rows(member: Member) -> list[dict[str, Any]]:
    emails: Sequence[Mapping[str, Any]] = member.document.get("emails", ())
    return [
        {
            "member_id": member.id,
            "account_id": member.account_id,
            "position": position,
            "value_key": fold(email["value"]),
            "type": email.get("type"),
            "is_primary": bool(email.get("primary", False)),
        }
        for position, email in enumerate(emails)
        if isinstance(email.get("value"), str)
    ]


def insert_member(conn: Connection, member: Member) -> None:
    """Insert a new member; raise UniqueViolation when a live member of the account has the same userName."""
    try:
        conn.execute(
            insert(members).values(
                id=member.id,
                account_id=member.account_id,
                document=member.document,
                active=member.active,
                version=member.version,
                created_at=member.created_at,
                updated_at=member.updated_at,
                **_index_columns(member.document),
            )
        )
    except IntegrityError as exc:
        raise UniqueViolation("members.userName") from exc
    rows = _email_rows(member)
    if rows:
        conn.execute(insert(member_emails), rows)


def update_member(conn: Connection, member: Member) -> None:
    """Store a changed member (document, active, version, updated_at) and its e-mail index."""
    try:
        conn.execute(
            update(members)
            .where(members.c.id == member.id, members.c.account_id == member.account_id, _LIVE)
            .values(
                document=member.document,
                active=member.active,
                version=member.version,
                updated_at=member.updated_at,
                **_index_columns(member.document),
            )
        )
    except IntegrityError as exc:
        raise UniqueViolation("members.userName") from exc
    conn.execute(delete(member_emails).where(member_emails.c.member_id == member.id))
    rows = _email_rows(member)
    if rows:
        conn.execute(insert(member_emails), rows)


def get_member(conn: Connection, account_id: str, member_id: str, *, for_update: bool = False) -> Member | None:
    """A live (not removed) member of the account, or None."""
    query = select(*_COLUMNS).where(members.c.id == member_id, members.c.account_id == account_id, _LIVE)
    if for_update:
        query = query.with_for_update()
    row = conn.execute(query).first()
    return _member(row) if row else None


def remove_member(conn: Connection, account_id: str, member_id: str, now: datetime) -> bool:
    """Erase the member's personal data and keep a tombstone (id, account, dates); False if not live."""
    result = conn.execute(
        update(members)
        .where(members.c.id == member_id, members.c.account_id == account_id, _LIVE)
        .values(
            user_name_key=None,
            external_id=None,
            display_name_key=None,
            document={},
            active=False,
            removed_at=now,
            updated_at=now,
        )
    )
    conn.execute(delete(member_emails).where(member_emails.c.member_id == member_id))
    return result.rowcount == 1


def count_members(conn: Connection, account_id: str) -> int:
    query = select(func.count()).select_from(members).where(members.c.account_id == account_id, _LIVE)
    return int(conn.execute(query).scalar_one())


def page_members(conn: Connection, account_id: str, *, offset: int, limit: int) -> list[Member]:
    """Live members in creation order (then id), the one stable order of index paging."""
    query = (
        select(*_COLUMNS)
        .where(members.c.account_id == account_id, _LIVE)
        .order_by(members.c.created_at, members.c.id)
        .offset(offset)
        .limit(limit)
    )
    return [_member(row) for row in conn.execute(query)]
