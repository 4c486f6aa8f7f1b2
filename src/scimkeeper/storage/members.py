"""Members (SCIM Users): the canonical document plus the normalised columns that make filters index lookups."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Column, ColumnElement, Connection, and_, delete, func, insert, or_, select, tuple_, update

from scimkeeper.scim.filter import AttrPath, Filter
from scimkeeper.scim.filter_sql import ChildTable, Layout, compile_filter, sort_key
from scimkeeper.scim.keys import search_document
from scimkeeper.scim.schema import USER_RESOURCE
from scimkeeper.storage.errors import unique
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
    deprovisioned_at: datetime | None = None
    provisioned_by: str = "scim"


_COLUMNS = (
    members.c.id,
    members.c.account_id,
    members.c.document,
    members.c.active,
    members.c.version,
    members.c.created_at,
    members.c.updated_at,
    members.c.deprovisioned_at,
    members.c.provisioned_by,
)
_LIVE = members.c.removed_at.is_(None)


def _member(row: Sequence[Any]) -> Member:
    return Member(*row)


def _index_columns(member: Member) -> dict[str, Any]:
    search = search_document({**member.document, "active": member.active}, USER_RESOURCE)
    return {
        "user_name_key": search["userName"],
        "external_id": search.get("externalId"),
        "display_name_key": search.get("displayName"),
        "search_document": search,
    }


def _email_rows(member: Member, search: Mapping[str, Any]) -> list[dict[str, Any]]:
    emails: Sequence[Mapping[str, Any]] = search.get("emails", ())
    return [
        {
            "member_id": member.id,
            "account_id": member.account_id,
            "position": position,
            "value_key": email.get("value"),
            "type_key": email.get("type"),
            "display_key": email.get("display"),
            "is_primary": bool(email.get("primary", False)),
        }
        for position, email in enumerate(emails)
    ]


def insert_member(conn: Connection, member: Member) -> None:
    """Insert a new member; raise UniqueViolation when a live member of the account has the same userName."""
    indexed = _index_columns(member)
    with unique("members.userName"):
        conn.execute(
            insert(members).values(
                id=member.id,
                account_id=member.account_id,
                document=member.document,
                active=member.active,
                deprovisioned_at=member.deprovisioned_at,
                provisioned_by=member.provisioned_by,
                version=member.version,
                created_at=member.created_at,
                updated_at=member.updated_at,
                **indexed,
            )
        )
    rows = _email_rows(member, indexed["search_document"])
    if rows:
        conn.execute(insert(member_emails), rows)


def update_member(conn: Connection, member: Member) -> None:
    """Store a changed member (document, active, version, updated_at) and its e-mail index."""
    indexed = _index_columns(member)
    with unique("members.userName"):
        conn.execute(
            update(members)
            .where(members.c.id == member.id, members.c.account_id == member.account_id, _LIVE)
            .values(
                document=member.document,
                active=member.active,
                deprovisioned_at=member.deprovisioned_at,
                version=member.version,
                updated_at=member.updated_at,
                **indexed,
            )
        )
    conn.execute(delete(member_emails).where(member_emails.c.member_id == member.id))
    rows = _email_rows(member, indexed["search_document"])
    if rows:
        conn.execute(insert(member_emails), rows)


def get_member(conn: Connection, account_id: str, member_id: str, *, for_update: bool = False) -> Member | None:
    """A live (not removed) member of the account, or None."""
    query = select(*_COLUMNS).where(members.c.id == member_id, members.c.account_id == account_id, _LIVE)
    if for_update:
        query = query.with_for_update()
    row = conn.execute(query).first()
    return _member(row) if row else None


def _erase(now: datetime) -> dict[str, Any]:
    """What removal leaves of a member: a tombstone with its id, account and dates, no personal data."""
    return {
        "user_name_key": None,
        "external_id": None,
        "display_name_key": None,
        "document": {},
        "search_document": {},
        "active": False,
        "removed_at": now,
        "updated_at": now,
    }


def remove_member(conn: Connection, account_id: str, member_id: str, now: datetime) -> bool:
    """Remove a live member of the account at once; False if there is none."""
    query = update(members).where(members.c.id == member_id, members.c.account_id == account_id, _LIVE)
    result = conn.execute(query.values(_erase(now)))
    conn.execute(delete(member_emails).where(member_emails.c.member_id == member_id))
    return result.rowcount == 1


def _due(cutoff: datetime) -> list[ColumnElement[bool]]:
    return [
        _LIVE,
        members.c.deprovisioned_at.is_not(None),
        members.c.deprovisioned_at <= cutoff,
        members.c.active.is_(False),
    ]


def due_for_purge(conn: Connection, cutoff: datetime, limit: int) -> list[tuple[str, str]]:
    """(member id, account id) of members deprovisioned at or before `cutoff`, oldest first.

    On PostgreSQL the rows are locked and rows locked by another purge are skipped, so concurrent purges
    share the work; SQLite's single writer serialises them anyway.
    """
    query = (
        select(members.c.id, members.c.account_id)
        .where(*_due(cutoff))
        .order_by(members.c.deprovisioned_at, members.c.id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return [(row[0], row[1]) for row in conn.execute(query)]


def purge_member(conn: Connection, member_id: str, cutoff: datetime, now: datetime) -> bool:
    """Remove the member if it is still due (not reactivated, not removed meanwhile); True if this call did it."""
    result = conn.execute(update(members).where(members.c.id == member_id, *_due(cutoff)).values(_erase(now)))
    if result.rowcount != 1:
        return False
    conn.execute(delete(member_emails).where(member_emails.c.member_id == member_id))
    return True


def was_removed(conn: Connection, account_id: str, member_id: str) -> bool:
    """Whether a tombstone of this member exists in the account."""
    query = select(members.c.id).where(
        members.c.id == member_id, members.c.account_id == account_id, members.c.removed_at.is_not(None)
    )
    return conn.execute(query).first() is not None


def find_by_email(conn: Connection, account_id: str, email_key: str) -> Member | None:
    """The live member whose userName, else one of whose e-mail addresses, is this (folded) address."""
    by_name = select(*_COLUMNS).where(members.c.account_id == account_id, _LIVE, members.c.user_name_key == email_key)
    row = conn.execute(by_name).first()
    if row is None:
        owners = select(member_emails.c.member_id).where(
            member_emails.c.account_id == account_id, member_emails.c.value_key == email_key
        )
        by_email = select(*_COLUMNS).where(members.c.id.in_(owners), _LIVE).order_by(members.c.created_at).limit(1)
        row = conn.execute(by_email).first()
    return _member(row) if row else None


@dataclass(frozen=True)
class Listing:
    """Which live members a list request selects, and in which order (creation time, then id, by default)."""

    filter: Filter | None = None
    sort_by: AttrPath | None = None
    descending: bool = False


Position = tuple[Any, str]  # (sort key value, id) of a member in a listing's order


def layout(dialect: str, account_id: str) -> Layout:
    """Where each User attribute lives, for the filter and sort compiler."""
    return Layout(
        dialect=dialect,
        id=members.c.id,
        search_document=members.c.search_document,
        columns={
            ("id",): members.c.id,
            ("externalId",): members.c.external_id,
            ("userName",): members.c.user_name_key,
            ("displayName",): members.c.display_name_key,
            ("active",): members.c.active,
            ("meta", "created"): members.c.created_at,
            ("meta", "lastModified"): members.c.updated_at,
        },
        children={
            "emails": ChildTable(
                table=member_emails,
                parent_id=member_emails.c.member_id,
                scope=member_emails.c.account_id == account_id,
                columns={
                    "value": member_emails.c.value_key,
                    "type": member_emails.c.type_key,
                    "display": member_emails.c.display_key,
                    "primary": member_emails.c.is_primary,
                },
                primary=member_emails.c.is_primary,
                position=member_emails.c.position,
            )
        },
    )


def _where(conn: Connection, account_id: str, listing: Listing) -> list[ColumnElement[bool]]:
    clauses = [members.c.account_id == account_id, _LIVE]
    if listing.filter is not None:
        clauses.append(compile_filter(listing.filter, USER_RESOURCE, layout(conn.dialect.name, account_id)))
    return clauses


def _sort_key(conn: Connection, account_id: str, listing: Listing) -> ColumnElement[Any]:
    if listing.sort_by is None:
        return members.c.created_at
    return sort_key(listing.sort_by, USER_RESOURCE, layout(conn.dialect.name, account_id))


def _order(key: ColumnElement[Any], descending: bool) -> list[Any]:
    """Nulls sort as the greatest value; the id breaks ties."""
    if descending:
        return [key.desc().nulls_first(), members.c.id.desc()]
    return [key.asc().nulls_last(), members.c.id.asc()]


def _after(key: ColumnElement[Any], position: Position, descending: bool) -> ColumnElement[bool]:
    """Rows strictly after `position` in the order `_order(key, descending)`.

    A row-value comparison `(key, id) > (?, ?)` is an index range on both databases; the NULL cases are only
    added for keys that can be NULL.
    """
    value, member_id = position
    # userName is NULL only on tombstones, which listings exclude.
    nullable = key is not members.c.user_name_key and (not isinstance(key, Column) or key.nullable)
    if value is None:  # only NULL keys remain after a NULL (ascending); descending, NULLs came first
        if descending:
            return or_(key.is_not(None), and_(key.is_(None), members.c.id < member_id))
        return and_(key.is_(None), members.c.id > member_id)
    if descending:
        return tuple_(key, members.c.id) < tuple_(value, member_id)
    after = tuple_(key, members.c.id) > tuple_(value, member_id)
    return or_(after, key.is_(None)) if nullable else after


def count_members(conn: Connection, account_id: str, listing: Listing) -> int:
    query = select(func.count()).select_from(members).where(*_where(conn, account_id, listing))
    return int(conn.execute(query).scalar_one())


def page_members(
    conn: Connection, account_id: str, listing: Listing, *, offset: int, limit: int
) -> list[tuple[Member, Position]]:
    """One page by offset (index paging), each member with its position. Ids first (from the index), then rows."""
    key = _sort_key(conn, account_id, listing)
    query = (
        select(members.c.id, key).where(*_where(conn, account_id, listing)).order_by(*_order(key, listing.descending))
    )
    return _with_rows(conn, list(conn.execute(query.offset(offset).limit(limit)).all()))


def changed_since(conn: Connection, account_id: str, since: datetime) -> bool:
    """Whether any member of the account was created, changed or removed at or after `since` (an index probe)."""
    query = select(members.c.id).where(members.c.account_id == account_id, members.c.updated_at >= since).limit(1)
    return conn.execute(query).first() is not None


def seek_members(
    conn: Connection, account_id: str, listing: Listing, *, after: Position | None, limit: int, backwards: bool = False
) -> list[tuple[Member, Position]]:
    """Up to `limit` members after (or, backwards, before) a position, each with its own position (cursors)."""
    key = _sort_key(conn, account_id, listing)
    descending = listing.descending != backwards
    query = select(members.c.id, key).where(*_where(conn, account_id, listing))
    if after is not None:
        query = query.where(_after(key, after, descending))
    rows = list(conn.execute(query.order_by(*_order(key, descending)).limit(limit)).all())
    if backwards:
        rows.reverse()
    return _with_rows(conn, rows)


def _with_rows(conn: Connection, keys: Sequence[Any]) -> list[tuple[Member, Position]]:
    """The members of (id, sort key) pairs, in the given order, each with its position."""
    if not keys:
        return []
    query = select(*_COLUMNS).where(members.c.id.in_([key[0] for key in keys]))
    found = {row[0]: _member(row) for row in conn.execute(query)}
    return [(found[key[0]], (key[1], key[0])) for key in keys]
