"""The access decision: may this member use the application now? Yes only for an active member of an
Enterprise account. Deprovisioned (flagged for suspension), removed and unknown members are refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import Connection

from scimkeeper.domain import accounts, members
from scimkeeper.scim.keys import fold
from scimkeeper.storage import members as store
from scimkeeper.storage.accounts import Account
from scimkeeper.storage.members import Member

State = Literal["active", "deprovisioned", "removed", "unknown"]


@dataclass(frozen=True)
class AccessDecision:
    allowed: bool
    state: State
    reason: str
    account_id: str
    member_id: str | None
    removal_at: datetime | None = None


def decide(account: Account, member: Member | None, *, window: timedelta, removed: bool = False) -> AccessDecision:
    """The one rule, as a pure function of the account and the member's current row."""
    if member is None:
        state: State = "removed" if removed else "unknown"
        reason = "the member was removed from the account" if removed else "no such member in the account"
        return AccessDecision(False, state, reason, account.id, None)
    if not member.active:
        due = members.removal_due(member, window)
        reason = "the member was deprovisioned by the identity provider (flagged for suspension)"
        return AccessDecision(False, "deprovisioned", reason, account.id, member.id, due)
    if account.plan != accounts.ENTERPRISE:
        return AccessDecision(False, "active", "the account is not on the Enterprise plan", account.id, member.id)
    return AccessDecision(True, "active", "active member of an Enterprise account", account.id, member.id)


def for_member(conn: Connection, account_ref: str, member_id: str, *, window: timedelta) -> AccessDecision:
    account = accounts.resolve(conn, account_ref)
    member = store.get_member(conn, account.id, member_id)
    removed = member is None and store.was_removed(conn, account.id, member_id)
    return decide(account, member, window=window, removed=removed)


def for_email(conn: Connection, account_ref: str, email: str, *, window: timedelta) -> AccessDecision:
    account = accounts.resolve(conn, account_ref)
    return decide(account, store.find_by_email(conn, account.id, fold(email.strip())), window=window)
