"""The audit log: one row per change, written in the transaction of the change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select

from scimkeeper.storage.prepared import Prepared
from scimkeeper.storage.tables import audit_events


@dataclass(frozen=True)
class AuditEvent:
    account_id: str | None
    at: datetime
    actor_type: str
    actor_id: str | None
    actor_agent: str | None
    action: str
    target_type: str
    target_id: str | None
    changes: dict[str, Any] | None
    request_id: str | None


_COLUMNS = tuple(audit_events.c[name] for name in AuditEvent.__dataclass_fields__)


# Every change writes one: prepared (see storage.prepared).
_INSERT = Prepared(insert(audit_events).values({c.name: bindparam(c.name, type_=c.type) for c in _COLUMNS}))


def insert_event(conn: Connection, event: AuditEvent) -> None:
    _INSERT.execute(conn, **{c.name: getattr(event, c.name) for c in _COLUMNS})


def list_events(conn: Connection, account_id: str, *, since: datetime | None = None) -> list[AuditEvent]:
    query = select(*_COLUMNS).where(audit_events.c.account_id == account_id)
    if since is not None:
        query = query.where(audit_events.c.at >= since)
    return [AuditEvent(*row) for row in conn.execute(query.order_by(audit_events.c.at, audit_events.c.id))]


@dataclass(frozen=True)
class EventFilter:
    """Which entries of an account's log to read: all by default."""

    target_id: str | None = None
    actor_type: str | None = None
    since: datetime | None = None
    until: datetime | None = None  # exclusive
    before_id: int | None = None  # keyset paging, newest first


def search_events(conn: Connection, account_id: str, wanted: EventFilter, limit: int) -> list[tuple[int, AuditEvent]]:
    """Entries newest first, each with its id (for paging)."""
    query = select(audit_events.c.id, *_COLUMNS).where(audit_events.c.account_id == account_id)
    if wanted.target_id:
        query = query.where(audit_events.c.target_id == wanted.target_id)
    if wanted.actor_type:
        query = query.where(audit_events.c.actor_type == wanted.actor_type)
    if wanted.since is not None:
        query = query.where(audit_events.c.at >= wanted.since)
    if wanted.until is not None:
        query = query.where(audit_events.c.at < wanted.until)
    if wanted.before_id is not None:
        query = query.where(audit_events.c.id < wanted.before_id)
    rows = conn.execute(query.order_by(audit_events.c.id.desc()).limit(limit))
    return [(row[0], AuditEvent(*row[1:])) for row in rows]
