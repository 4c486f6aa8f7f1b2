"""Who changed what: actors and audit entries, recorded in the same transaction as the change."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from scimkeeper.domain.vocabulary import Action, ActorType
from scimkeeper.storage import audit as audit_store
from scimkeeper.storage.audit import AuditEvent, EventFilter
from scimkeeper.storage.console import ConsoleUser

__all__ = ["OPERATOR", "Actor", "AuditEvent", "EventFilter", "diff", "events", "record", "search"]


@dataclass(frozen=True)
class Actor:
    """The origin of a change: a SCIM token (with the IdP's User-Agent), the operator's CLI, an admin, a job."""

    type: ActorType
    id: str | None = None
    agent: str | None = None
    request_id: str | None = None
    # The owner or admin an ADMIN actor is: what they may do depends on their role (see `roles`).
    console_user: ConsoleUser | None = field(default=None, compare=False, repr=False)
    # Told each action recorded on this actor's behalf (the web layer counts provisioning events with it).
    on_record: Callable[[Action], None] | None = field(default=None, compare=False, repr=False)


OPERATOR = Actor(ActorType.OPERATOR)


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Top-level attributes that differ, as {name: [before, after]} (None where absent)."""
    return {
        name: [before.get(name), after.get(name)]
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }


def record(
    conn: Connection,
    actor: Actor,
    action: Action,
    target_id: str | None,
    *,
    account_id: str | None,
    now: datetime,
    changes: dict[str, Any] | None = None,
) -> None:
    """Write one entry: `actor` did `action` to `target_id` (of the action's target type) in an account, or in none."""
    audit_store.insert_event(
        conn,
        AuditEvent(
            account_id=account_id,
            at=now,
            actor_type=str(actor.type),  # plain strings in the row, whatever the driver
            actor_id=actor.id,
            actor_agent=actor.agent,
            action=str(action),
            target_type=str(action.target),
            target_id=target_id,
            changes=changes,
            request_id=actor.request_id,
        ),
    )
    if actor.on_record is not None:
        actor.on_record(action)


def events(conn: Connection, account_id: str, *, since: datetime | None = None) -> list[AuditEvent]:
    return audit_store.list_events(conn, account_id, since=since)


def search(conn: Connection, account_id: str, wanted: EventFilter, *, limit: int) -> list[tuple[int, AuditEvent]]:
    """An account's entries matching `wanted`, newest first, with their ids for paging."""
    return audit_store.search_events(conn, account_id, wanted, limit)
