"""Members (SCIM Users): the canonical document plus the normalised columns that make filters index lookups."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    bindparam,
    delete,
    insert,
    select,
    update,
)

from scimkeeper.scim.filter_sql import ChildTable, Layout
from scimkeeper.scim.keys import search_document
from scimkeeper.scim.schema import USER_RESOURCE
from scimkeeper.storage.errors import unique
from scimkeeper.storage.listings import ACCOUNT, Listed, Listings
from scimkeeper.storage.prepared import Prepared
from scimkeeper.storage.tables import member_emails, members


@dataclass(frozen=True)
class Member:
    id: str
    account_id: str
    document: dict[str, Any]  # the SCIM User without `active`, which is the lifecycle state below
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime
    deprovisioned_at: datetime | None = None
    provisioned_by: str = "scim"

    @property
    def resource(self) -> dict[str, Any]:
        """The SCIM User as clients see it: the document with `active` (without `id` and `meta`)."""
        return {**self.document, "active": self.active}


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
    search = search_document(member.resource, USER_RESOURCE)
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


def _prepared_values(table: Any, names: Sequence[str]) -> dict[str, Any]:
    return {name: bindparam(name, type_=table.c[name].type) for name in names}


_INDEXED = ("user_name_key", "external_id", "display_name_key", "search_document")
_CHANGED = ("document", "active", "deprovisioned_at", "version", "updated_at", *_INDEXED)
# Provisioning and changes are the hot writes: prepared (see storage.prepared).
_INSERT_MEMBER = Prepared(
    insert(members).values(_prepared_values(members, ("id", "account_id", "provisioned_by", "created_at", *_CHANGED)))
)
# By primary key (and account), without `removed_at IS NULL`: that condition lets PostgreSQL's planner pick the
# partial index ix_members_live_order (account_id, created_at, id), and with statistics that lag behind a bulk
# import it did, scanning the account's whole index per update (63 PATCHes/s at 100,000 members). The member
# was read live and locked in the same transaction (`domain.members._current`).
_UPDATE_MEMBER = Prepared(
    update(members)
    .where(members.c.id == bindparam("member_id"), members.c.account_id == bindparam("member_account_id"))
    .values(_prepared_values(members, _CHANGED))
)
_EMAIL_COLUMNS = ("member_id", "account_id", "position", "value_key", "type_key", "display_key", "is_primary")
_INSERT_EMAIL = Prepared(insert(member_emails).values(_prepared_values(member_emails, _EMAIL_COLUMNS)))
_DELETE_EMAILS = Prepared(delete(member_emails).where(member_emails.c.member_id == bindparam("member_id")))


def _changed_values(member: Member, indexed: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "document": member.document,
        "active": member.active,
        "deprovisioned_at": member.deprovisioned_at,
        "version": member.version,
        "updated_at": member.updated_at,
        **indexed,
    }


def insert_member(conn: Connection, member: Member) -> None:
    """Insert a new member; raise UniqueViolation when a live member of the account has the same userName."""
    indexed = _index_columns(member)
    with unique("uq_members_live_user_name"):
        _INSERT_MEMBER.execute(
            conn,
            id=member.id,
            account_id=member.account_id,
            provisioned_by=member.provisioned_by,
            created_at=member.created_at,
            **_changed_values(member, indexed),
        )
    _INSERT_EMAIL.execute_many(conn, _email_rows(member, indexed["search_document"]))


def update_member(conn: Connection, member: Member) -> None:
    """Store a changed member (document, active, version, updated_at) and its e-mail index."""
    indexed = _index_columns(member)
    with unique("uq_members_live_user_name"):
        _UPDATE_MEMBER.execute(
            conn, member_id=member.id, member_account_id=member.account_id, **_changed_values(member, indexed)
        )
    _DELETE_EMAILS.execute(conn, member_id=member.id)
    _INSERT_EMAIL.execute_many(conn, _email_rows(member, indexed["search_document"]))


# By primary key and account; liveness is checked on the row (see _UPDATE_MEMBER for why not in the SQL).
_GET_MEMBER = select(*_COLUMNS, members.c.removed_at).where(
    members.c.id == bindparam("member_id"), members.c.account_id == bindparam("account_id")
)
_GET = {False: Prepared(_GET_MEMBER), True: Prepared(_GET_MEMBER.with_for_update())}


def get_member(conn: Connection, account_id: str, member_id: str, *, for_update: bool = False) -> Member | None:
    """A live (not removed) member of the account, or None."""
    row = _GET[for_update].first(conn, member_id=member_id, account_id=account_id)
    return _member(row[:-1]) if row is not None and row[-1] is None else None


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


def _layout(dialect: str) -> Layout:
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
                scope=member_emails.c.account_id == ACCOUNT,
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


# Listing members: filters, order and paging (`storage.listings`; `domain.search` runs list requests on it).
LISTINGS = Listings(
    Listed(
        table=members,
        columns=_COLUMNS,
        entity=_member,
        live=_LIVE,
        created=members.c.created_at,
        updated=members.c.updated_at,
        layout=_layout,
        resource_type=USER_RESOURCE,
        never_null=frozenset({"user_name_key"}),  # NULL only on tombstones, which listings exclude
        unique=frozenset({"id", "username"}),
    )
)
