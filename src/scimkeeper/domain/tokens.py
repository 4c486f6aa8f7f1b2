"""SCIM tokens: `skp_` secrets (see `secrets`), one live token per account, Enterprise accounts only."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from scimkeeper.domain import audit, secrets
from scimkeeper.domain.accounts import require_enterprise
from scimkeeper.domain.errors import TokenInvalid
from scimkeeper.domain.vocabulary import Action
from scimkeeper.storage import tokens as store
from scimkeeper.storage.accounts import Account
from scimkeeper.storage.tokens import Token

PREFIX = "skp_"
# last_used_at is a display hint; writing it on every request would turn each read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)

__all__ = ["Token", "authenticate", "generate", "live_token", "record_use"]


@dataclass(frozen=True)
class IssuedToken:
    """A token just generated: the plaintext exists only here, to be shown once."""

    token: Token
    plaintext: str


def generate(conn: Connection, account: Account, *, actor: audit.Actor, now: datetime) -> IssuedToken:
    """Issue a new token for an Enterprise account and revoke the previous one at once."""
    require_enterprise(account)
    plaintext = secrets.new_secret(PREFIX)
    revoked = store.revoke_live_token(conn, account.id, now)
    token = Token(
        id=str(uuid.uuid4()),
        account_id=account.id,
        token_hash=secrets.hash_secret(plaintext),
        last4=plaintext[-4:],
        created_at=now,
        revoked_at=None,
        last_used_at=None,
    )
    store.insert_token(conn, token)
    changes = {"revoked_token_id": [revoked, None], "last4": [None, token.last4]} if revoked else None
    audit.record(conn, actor, Action.TOKEN_GENERATED, token.id, account_id=account.id, now=now, changes=changes)
    return IssuedToken(token, plaintext)


def authenticate(conn: Connection, candidate: str) -> tuple[Token, Account]:
    """The live token and its account; TokenInvalid otherwise, EnterpriseRequired for other plans."""
    if not secrets.is_well_formed(candidate, PREFIX):
        raise TokenInvalid("the bearer token is not a scimkeeper SCIM token")
    digest = secrets.hash_secret(candidate)
    found = store.find_live_token(conn, digest)
    if found is None or not secrets.same_hash(found[0].token_hash, digest):
        raise TokenInvalid("the bearer token is unknown or has been revoked")
    token, account = found
    require_enterprise(account)
    return token, account


def use_is_stale(token: Token, now: datetime) -> bool:
    return token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION


def record_use(conn: Connection, token: Token, now: datetime) -> None:
    """Record a use; a no-op when another request (of any process) recorded one within the last minute."""
    store.record_use(conn, token.id, now, unless_since=now - LAST_USED_RESOLUTION)


def live_token(conn: Connection, account: Account) -> Token | None:
    return store.live_token(conn, account.id)
