"""Console users, their one-time set-password links, sessions and failed sign-ins."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, or_, select, update

from scimkeeper.storage.errors import unique
from scimkeeper.storage.tables import console_links, console_sessions, console_users, signin_failures


@dataclass(frozen=True)
class ConsoleUser:
    id: str
    account_id: str
    email: str
    role: str
    password_hash: str | None
    created_at: datetime


@dataclass(frozen=True)
class Session:
    id: str
    user_id: str
    csrf_token: str
    created_at: datetime
    expires_at: datetime
    flash: dict[str, Any] | None


_USER = tuple(console_users.c[name] for name in ConsoleUser.__dataclass_fields__)
_SESSION = tuple(console_sessions.c[name] for name in Session.__dataclass_fields__)


def _user(row: Sequence[Any] | None) -> ConsoleUser | None:
    return ConsoleUser(*row) if row else None


def insert_user(conn: Connection, user: ConsoleUser) -> None:
    with unique("uq_console_users_email"), conn.begin_nested():
        conn.execute(insert(console_users).values({c.name: getattr(user, c.name) for c in _USER}))


def user_by_email(conn: Connection, email: str) -> ConsoleUser | None:
    return _user(conn.execute(select(*_USER).where(console_users.c.email == email)).first())


def user_by_id(conn: Connection, user_id: str) -> ConsoleUser | None:
    return _user(conn.execute(select(*_USER).where(console_users.c.id == user_id)).first())


def users_of(conn: Connection, account_id: str) -> list[ConsoleUser]:
    query = select(*_USER).where(console_users.c.account_id == account_id).order_by(console_users.c.created_at)
    return [ConsoleUser(*row) for row in conn.execute(query)]


def set_password_hash(conn: Connection, user_id: str, password_hash: str) -> None:
    conn.execute(update(console_users).where(console_users.c.id == user_id).values(password_hash=password_hash))


def insert_link(conn: Connection, link_id: str, user_id: str, token_hash: str, expires_at: datetime) -> None:
    conn.execute(
        insert(console_links).values(id=link_id, user_id=user_id, token_hash=token_hash, expires_at=expires_at)
    )


def use_link(conn: Connection, token_hash: str, now: datetime) -> str | None:
    """Mark an unused, unexpired link used; the user id it was for, or None."""
    query = (
        update(console_links)
        .where(console_links.c.token_hash == token_hash, console_links.c.used_at.is_(None))
        .where(console_links.c.expires_at > now)
        .values(used_at=now)
        .returning(console_links.c.user_id)
    )
    user_id: str | None = conn.execute(query).scalar()
    return user_id


def link_is_usable(conn: Connection, token_hash: str, now: datetime) -> bool:
    query = select(console_links.c.id).where(
        console_links.c.token_hash == token_hash, console_links.c.used_at.is_(None), console_links.c.expires_at > now
    )
    return conn.execute(query).first() is not None


def insert_session(conn: Connection, session: Session, token_hash: str) -> None:
    values = {c.name: getattr(session, c.name) for c in _SESSION}
    conn.execute(insert(console_sessions).values(token_hash=token_hash, **values))


def live_session(conn: Connection, token_hash: str, now: datetime) -> tuple[Session, ConsoleUser] | None:
    query = (
        select(*_SESSION, *_USER)
        .join(console_users, console_users.c.id == console_sessions.c.user_id)
        .where(
            console_sessions.c.token_hash == token_hash,
            console_sessions.c.ended_at.is_(None),
            console_sessions.c.expires_at > now,
        )
    )
    row = conn.execute(query).first()
    if row is None:
        return None
    n = len(_SESSION)
    return Session(*row[:n]), ConsoleUser(*row[n:])


def set_flash(conn: Connection, session_id: str, flash: dict[str, Any] | None) -> None:
    conn.execute(update(console_sessions).where(console_sessions.c.id == session_id).values(flash=flash))


def end_session(conn: Connection, session_id: str, now: datetime) -> None:
    conn.execute(update(console_sessions).where(console_sessions.c.id == session_id).values(ended_at=now))


def record_failure(conn: Connection, email: str, client: str, now: datetime) -> None:
    conn.execute(insert(signin_failures).values(email=email, client=client, at=now))


def recent_failures(conn: Connection, email: str, client: str, since: datetime) -> tuple[int, int]:
    """Failed sign-ins since `since`: (for this address, from this client)."""
    by_email = select(func.count()).where(signin_failures.c.email == email, signin_failures.c.at >= since)
    by_client = select(func.count()).where(signin_failures.c.client == client, signin_failures.c.at >= since)
    return int(conn.execute(by_email).scalar_one()), int(conn.execute(by_client).scalar_one())


def forget_failures(conn: Connection, email: str, before: datetime) -> None:
    """Clear an address's failures after a successful sign-in, and everyone's old ones."""
    conn.execute(delete(signin_failures).where(or_(signin_failures.c.email == email, signin_failures.c.at < before)))
