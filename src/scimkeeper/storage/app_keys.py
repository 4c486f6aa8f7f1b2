"""Application keys: credentials of the host application for the access API, stored as SHA-256 hashes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from scimkeeper.storage.tables import app_keys


@dataclass(frozen=True)
class AppKey:
    id: str
    name: str
    key_hash: str
    last4: str
    created_at: datetime
    revoked_at: datetime | None


_COLUMNS = (
    app_keys.c.id,
    app_keys.c.name,
    app_keys.c.key_hash,
    app_keys.c.last4,
    app_keys.c.created_at,
    app_keys.c.revoked_at,
)


def insert_app_key(conn: Connection, key: AppKey) -> None:
    conn.execute(
        insert(app_keys).values(
            id=key.id, name=key.name, key_hash=key.key_hash, last4=key.last4, created_at=key.created_at
        )
    )


def find_live_app_key(conn: Connection, key_hash: str) -> AppKey | None:
    query = select(*_COLUMNS).where(app_keys.c.key_hash == key_hash, app_keys.c.revoked_at.is_(None))
    row = conn.execute(query).first()
    return AppKey(*row) if row else None


def list_app_keys(conn: Connection) -> list[AppKey]:
    return [AppKey(*row) for row in conn.execute(select(*_COLUMNS).order_by(app_keys.c.created_at))]


def revoke_app_key(conn: Connection, key_id: str, now: datetime) -> bool:
    query = update(app_keys).where(app_keys.c.id == key_id, app_keys.c.revoked_at.is_(None)).values(revoked_at=now)
    return conn.execute(query).rowcount == 1
