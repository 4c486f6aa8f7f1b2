"""Members provisioned over SCIM: provision, get, replace, patch, remove, search and purge, each change audited.

Documents arrive already validated and canonical (`scim.documents.parse_resource`). `active` is the member's
lifecycle state, kept in its own column and not in the stored document.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace as dc_replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection

from scimkeeper.domain import audit, domains, roles
from scimkeeper.domain import search as searching
from scimkeeper.domain.errors import MemberNotFound, UserNameTaken, VersionMismatch
from scimkeeper.domain.vocabulary import Action, ActorType
from scimkeeper.scim import etags
from scimkeeper.scim.patch import PatchOperation, apply_patch
from scimkeeper.scim.query import ListRequest
from scimkeeper.scim.schema import USER_RESOURCE
from scimkeeper.storage import members as store
from scimkeeper.storage.accounts import Account
from scimkeeper.storage.errors import UniqueViolation
from scimkeeper.storage.members import Member

__all__ = [
    "Member",
    "ProvisionedBy",
    "due_for_purge",
    "get",
    "patch",
    "provision",
    "purge_batch",
    "removal_due",
    "remove",
    "replace",
    "search",
    "state",
]


class ProvisionedBy(StrEnum):
    """Who created a member, as stored in `members.provisioned_by`."""

    SCIM = "scim"  # an identity provider
    MANUAL = "manual"  # the operator or the console


def _split_active(document: dict[str, Any], default: bool) -> tuple[dict[str, Any], bool]:
    document = dict(document)
    active = document.pop("active", default)
    return document, bool(active)


def _taken(document: dict[str, Any]) -> UserNameTaken:
    return UserNameTaken(f"a user with userName {document['userName']!r} already exists in this account")


def provision(
    conn: Connection, account: Account, document: dict[str, Any], *, actor: audit.Actor, now: datetime
) -> Member:
    """Create a member; an absent `active` means active. Its addresses must be in authorized domains."""
    document, active = _split_active(document, default=True)
    domains.enforce(conn, account, document, active=active)
    member = Member(
        id=str(uuid.uuid4()),
        account_id=account.id,
        document=document,
        active=active,
        version=1,
        created_at=now,
        updated_at=now,
        deprovisioned_at=None if active else now,
        provisioned_by=ProvisionedBy.SCIM if actor.type == ActorType.SCIM_TOKEN else ProvisionedBy.MANUAL,
    )
    try:
        store.insert_member(conn, member)
    except UniqueViolation:
        raise _taken(document) from None
    changes = audit.diff({}, member.resource)
    audit.record(conn, actor, Action.MEMBER_PROVISIONED, member.id, account_id=account.id, now=now, changes=changes)
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
    if_match: str | None = None,
) -> Member:
    """Replace every readWrite attribute (PUT); an absent `active` leaves the state unchanged."""
    current = _current(conn, account, member_id, if_match)
    return _change(conn, account, current, document, action=Action.MEMBER_REPLACED, actor=actor, now=now)


def patch(
    conn: Connection,
    account: Account,
    member_id: str,
    operations: Sequence[PatchOperation],
    *,
    actor: audit.Actor,
    now: datetime,
    if_match: str | None = None,
) -> Member:
    """Apply PATCH operations atomically (RFC 7644 §3.5.2); a PATCH that changes nothing changes no version."""
    current = _current(conn, account, member_id, if_match)
    document = apply_patch(current.resource, operations, USER_RESOURCE)
    return _change(conn, account, current, document, action=Action.MEMBER_PATCHED, actor=actor, now=now)


def search(
    conn: Connection,
    account: Account,
    request: ListRequest,
    *,
    now: datetime,
    cursor_timeout: int,
    hints: searching.PagingHints | None = None,
) -> searching.Page[Member]:
    """The members a list or search request selects (filter, order, index or cursor paging)."""
    return searching.search(conn, account, request, store.LISTINGS, now=now, cursor_timeout=cursor_timeout, hints=hints)


def _current(conn: Connection, account: Account, member_id: str, if_match: str | None) -> Member:
    """The member, locked for the change, if it still has the version the client saw."""
    current = get(conn, account, member_id, for_update=True)
    if if_match is not None and not etags.matches(if_match, current.version):
        raise VersionMismatch(
            f"The user has changed: its version is {etags.etag(current.version)}, not {if_match}. "
            "Read it again and retry."
        )
    return current


def _change(
    conn: Connection,
    account: Account,
    current: Member,
    document: dict[str, Any],
    *,
    action: Action,
    actor: audit.Actor,
    now: datetime,
) -> Member:
    """Store a new document for a member. Every change of `active` (PUT or PATCH) passes here."""
    document, active = _split_active(document, default=current.active)
    if document == current.document and active == current.active:
        return current
    domains.enforce(conn, account, document, active=active, previous=current.document)
    deprovisioned_at, transition = _transition(current, active, now)
    changed = dc_replace(
        current,
        document=document,
        active=active,
        deprovisioned_at=deprovisioned_at,
        version=current.version + 1,
        updated_at=now,
    )
    try:
        store.update_member(conn, changed)
    except UniqueViolation:
        raise _taken(document) from None
    changes = audit.diff(current.resource, changed.resource)
    audit.record(conn, actor, transition or action, current.id, account_id=account.id, now=now, changes=changes)
    return changed


def _transition(current: Member, active: bool, now: datetime) -> tuple[datetime | None, Action | None]:
    """The lifecycle step of a change of `active`: (deprovisioned_at, audit action or None).

    Deactivation flags the member for suspension and starts the clock; a repeated deactivation does not
    restart it. Reactivation before the purge restores the member as it was: same id, same memberships.
    """
    if current.active and not active:
        return now, Action.MEMBER_DEPROVISIONED
    if not current.active and active:
        return None, Action.MEMBER_REACTIVATED
    return current.deprovisioned_at, None


def state(member: Member) -> str:
    """`active`, or `deprovisioned` (flagged for suspension: no access, removed when the window passes)."""
    return "active" if member.active else "deprovisioned"


def removal_due(member: Member, window: timedelta) -> datetime | None:
    """When the purge will remove a deprovisioned member."""
    return member.deprovisioned_at + window if member.deprovisioned_at is not None else None


def purge_batch(
    conn: Connection, *, now: datetime, window: timedelta, limit: int, actor: audit.Actor
) -> list[tuple[str, str]]:
    """Remove up to `limit` members deprovisioned at least `window` ago; (member id, account id) of each.

    A member due exactly now (deprovisioned `window` ago to the microsecond) is removed.
    """
    cutoff = now - window
    purged = []
    for member_id, account_id in store.due_for_purge(conn, cutoff, limit):
        if store.purge_member(conn, member_id, cutoff, now):
            audit.record(conn, actor, Action.MEMBER_PURGED, member_id, account_id=account_id, now=now)
            purged.append((member_id, account_id))
    return purged


def due_for_purge(conn: Connection, *, now: datetime, window: timedelta, limit: int) -> list[tuple[str, str]]:
    """What `purge_batch` would remove, without removing anything."""
    return store.due_for_purge(conn, now - window, limit)


def remove(
    conn: Connection,
    account: Account,
    member_id: str,
    *,
    actor: audit.Actor,
    now: datetime,
    if_match: str | None = None,
) -> None:
    """Remove at once: personal data erased, a tombstone kept, the userName free for a new member.

    A console admin (not an owner) may not remove a member whose address is an owner's (see `roles`).
    """
    by_admin = roles.role_of(actor, account) == roles.ADMIN
    if by_admin or if_match is not None:  # read (and locked) once, for either check
        current = _current(conn, account, member_id, if_match)
        if by_admin:
            roles.check_remove(actor, account, current, roles.owner_addresses(conn, account))
    if not store.remove_member(conn, account.id, member_id, now):
        raise MemberNotFound(f"no user with id {member_id!r}")
    audit.record(conn, actor, Action.MEMBER_REMOVED, member_id, account_id=account.id, now=now)
