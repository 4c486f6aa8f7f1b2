"""SCIM bearer tokens: only their SHA-256 hash and last four characters are stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, insert, or_, select, update

from scimkeeper.storage.accounts import COLUMNS as ACCOUNT_COLUMNS
from scimkeeper.storage.accounts import Account
from scimkeeper.storage.prepared import Prepared
from scimkeeper.storage.tables import accounts, scim_tokens


@dataclass(frozen=True)
class Token:
    id: str
    account_id: str
    token_hash: str
    last4: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


_COLUMNS = (
    scim_tokens.c.id,
    scim_tokens.c.account_id,
    scim_tokens.c.token_hash,
    scim_tokens.c.last4,
    scim_tokens.c.created_at,
    scim_tokens.c.revoked_at,
    scim_tokens.c.last_used_at,
)


def revoke_live_token(conn: Connection, account_id: str, now: datetime) -> str | None:
    """Revoke the account's live token, if any; return its id."""
    return conn.execute(
        update(scim_tokens)
        .where(scim_tokens.c.account_id == account_id, scim_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
        .returning(scim_tokens.c.id)
    ).scalar()


def insert_token(conn: Connection, token: Token) -> None:
    conn.execute(
        insert(scim_tokens).values(
            id=token.id,
            account_id=token.account_id,
            token_hash=token.token_hash,
            last4=token.last4,
            created_at=token.created_at,
        )
    )


def live_token(conn: Connection, account_id: str) -> Token | None:
    row = conn.execute(
        select(*_COLUMNS).where(scim_tokens.c.account_id == account_id, scim_tokens.c.revoked_at.is_(None))
    ).first()
    return Token(*row) if row else None


# Every SCIM request runs it: prepared (see storage.prepared).
_FIND_LIVE_TOKEN = Prepared(
    select(*_COLUMNS, *ACCOUNT_COLUMNS)
    .join(accounts, accounts.c.id == scim_tokens.c.account_id)
    .where(scim_tokens.c.token_hash == bindparam("token_hash"), scim_tokens.c.revoked_at.is_(None))
)


def find_live_token(conn: Connection, token_hash: str) -> tuple[Token, Account] | None:
    """The live token with this hash and its account, in one indexed lookup."""
    row = _FIND_LIVE_TOKEN.first(conn, token_hash=token_hash)
    if row is None:
        return None
    n = len(_COLUMNS)
    return Token(*row[:n]), Account(*row[n:])


def record_use(conn: Connection, token_id: str, now: datetime, *, unless_since: datetime) -> bool:
    """Set last_used_at unless it is already at or after `unless_since` (so racing processes write it once)."""
    stale = or_(scim_tokens.c.last_used_at.is_(None), scim_tokens.c.last_used_at < unless_since)
    result = conn.execute(update(scim_tokens).where(scim_tokens.c.id == token_id, stale).values(last_used_at=now))
    return result.rowcount == 1
