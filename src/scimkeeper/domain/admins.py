"""Account owners and admins: who may use the console, their passwords, sign-in throttling and sessions.

Owners are created by the operator and invite admins (who may do what: `roles`); both set their password through
a one-time link. Passwords are hashed with argon2id. Sessions are random secrets stored as hashes, with an absolute
expiry.
"""

from __future__ import annotations

import secrets as random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection

from scimkeeper.domain import audit, roles, secrets
from scimkeeper.domain.addresses import parse_email
from scimkeeper.domain.errors import ConsoleUserExists, InvalidPassword, LinkInvalid
from scimkeeper.domain.roles import ADMIN, OWNER, ROLES
from scimkeeper.domain.vocabulary import Action, ActorType
from scimkeeper.scim.keys import fold
from scimkeeper.storage import console as store
from scimkeeper.storage.accounts import Account
from scimkeeper.storage.console import ConsoleUser, Session
from scimkeeper.storage.errors import UniqueViolation

_INVITED = {OWNER: Action.CONSOLE_OWNER_INVITED, ADMIN: Action.CONSOLE_ADMIN_INVITED}
LINK_PREFIX = "ski_"
SESSION_PREFIX = "sks_"
LINK_LIFETIME = timedelta(days=7)
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
# Sign-in throttling: failures counted over a window, per address and per client address.
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_EMAIL = 5
MAX_FAILURES_PER_CLIENT = 20

_HASHER = PasswordHasher()  # argon2id with the library's RFC 9106 defaults

__all__ = [
    "ConsoleUser",
    "IssuedLink",
    "IssuedSession",
    "Session",
    "SignInRefused",
    "invite",
    "session_for",
    "set_password",
    "sign_in",
]


@dataclass(frozen=True)
class IssuedLink:
    user: ConsoleUser
    token: str  # shown once, as part of /console/set-password/<token>


@dataclass(frozen=True)
class IssuedSession:
    session: Session
    user: ConsoleUser
    token: str  # the cookie value


@dataclass(frozen=True)
class SignInRefused:
    """Sign-in refused: `throttled` after too many failures, otherwise a wrong address or password (told alike)."""

    throttled: bool
    message: str  # a sentence for the person signing in


WRONG_CREDENTIALS = SignInRefused(throttled=False, message="The email address or the password is not right.")
THROTTLED = SignInRefused(throttled=True, message="Too many failed sign-ins. Wait 15 minutes and try again.")


def invite(
    conn: Connection, account: Account, email: str, role: str, *, actor: audit.Actor, now: datetime
) -> IssuedLink:
    """Create an owner or admin without a password and a one-time link to set one (if `actor` may invite)."""
    if role not in ROLES:
        raise ValueError(role)
    roles.check_invite(actor, account, role)
    parsed = parse_email(email.strip())
    address = fold(f"{parsed.local}@{parsed.domain}")
    user = ConsoleUser(str(uuid.uuid4()), account.id, address, role, None, now)
    try:
        store.insert_user(conn, user)
    except UniqueViolation:
        raise ConsoleUserExists(f"{address} already has a console sign-in") from None
    changes = {"email": [None, address]}
    audit.record(conn, actor, _INVITED[role], user.id, account_id=account.id, now=now, changes=changes)
    return IssuedLink(user, new_link(conn, user, now=now))


def new_link(conn: Connection, user: ConsoleUser, *, now: datetime) -> str:
    token = secrets.new_secret(LINK_PREFIX)
    store.insert_link(conn, str(uuid.uuid4()), user.id, secrets.hash_secret(token), now + LINK_LIFETIME)
    return token


def link_is_usable(conn: Connection, token: str, *, now: datetime) -> bool:
    return secrets.is_well_formed(token, LINK_PREFIX) and store.link_is_usable(conn, secrets.hash_secret(token), now)


def set_password(conn: Connection, token: str, password: str, *, now: datetime) -> ConsoleUser:
    """Use a one-time link to set a password (at least 12 characters)."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise InvalidPassword(f"Choose a password of at least {MIN_PASSWORD_LENGTH} characters.")
    user_id = (
        store.use_link(conn, secrets.hash_secret(token), now) if secrets.is_well_formed(token, LINK_PREFIX) else None
    )
    user = store.user_by_id(conn, user_id) if user_id else None
    if user is None:
        raise LinkInvalid("This link has expired or was already used. Ask your account owner or support for a new one.")
    store.set_password_hash(conn, user.id, _HASHER.hash(password))
    audit.record(conn, actor(user), Action.CONSOLE_PASSWORD_SET, user.id, account_id=user.account_id, now=now)
    return user


def sign_in(
    conn: Connection, email: str, password: str, client: str, *, now: datetime, lifetime: timedelta
) -> IssuedSession | SignInRefused:
    """Check the password (throttled per address and per client) and open a session.

    A wrong address or password is recorded (it counts towards the throttle) and refused: commit the transaction.
    """
    address = fold(email.strip())[:320]
    by_email, by_client = store.recent_failures(conn, address, client, now - THROTTLE_WINDOW)
    if by_email >= MAX_FAILURES_PER_EMAIL or by_client >= MAX_FAILURES_PER_CLIENT:
        return THROTTLED
    user = store.user_by_email(conn, address)
    if user is None or user.password_hash is None or not _verify(user.password_hash, password):
        if user is None or user.password_hash is None:
            _verify(_dummy_hash(), password)
        store.record_failure(conn, address, client, now)
        return WRONG_CREDENTIALS
    store.forget_failures(conn, address, now - THROTTLE_WINDOW)
    token = secrets.new_secret(SESSION_PREFIX)
    session = Session(str(uuid.uuid4()), user.id, random.token_urlsafe(32), now, now + lifetime, None)
    store.insert_session(conn, session, secrets.hash_secret(token))
    return IssuedSession(session, user, token)


@cache
def _dummy_hash() -> str:
    """Verified against for unknown addresses, so that a wrong address costs as much time as a wrong password.

    Hashed on first use rather than at import, where every CLI command paid for it (~0.15 s). Threads racing here
    may each hash once; any of the results serves."""
    return _HASHER.hash("not a password of anyone")


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password[:MAX_PASSWORD_LENGTH])
    except (VerificationError, InvalidHashError):
        return False


def session_for(conn: Connection, token: str, *, now: datetime) -> tuple[Session, ConsoleUser] | None:
    """The live session of a cookie value, or None (unknown, ended or expired)."""
    if not secrets.is_well_formed(token, SESSION_PREFIX):
        return None
    return store.live_session(conn, secrets.hash_secret(token), now)


def sign_out(conn: Connection, session: Session, *, now: datetime) -> None:
    store.end_session(conn, session.id, now)


def put_flash(conn: Connection, session: Session, flash: dict[str, Any]) -> None:
    """Keep something to show once on the next page (e.g. a new token after a redirect)."""
    store.set_flash(conn, session.id, flash)


def take_flash(conn: Connection, session: Session) -> dict[str, Any] | None:
    if session.flash is not None:
        store.set_flash(conn, session.id, None)
    return session.flash


def users_of(conn: Connection, account: Account) -> list[ConsoleUser]:
    return store.users_of(conn, account.id)


def actor(user: ConsoleUser, request_id: str | None = None) -> audit.Actor:
    return audit.Actor(ActorType.ADMIN, user.email, None, request_id, console_user=user)
