"""Application keys: how the host application authenticates to the access API. Separate from SCIM tokens."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from scimkeeper.domain import audit, secrets
from scimkeeper.domain.errors import AppKeyInvalid, AppKeyNotFound
from scimkeeper.domain.vocabulary import Action
from scimkeeper.storage import app_keys as store
from scimkeeper.storage.app_keys import AppKey

PREFIX = "ska_"

__all__ = ["AppKey", "IssuedAppKey", "authenticate", "generate", "list_all", "revoke"]


@dataclass(frozen=True)
class IssuedAppKey:
    key: AppKey
    plaintext: str  # shown once


def generate(conn: Connection, name: str, *, actor: audit.Actor, now: datetime) -> IssuedAppKey:
    plaintext = secrets.new_secret(PREFIX)
    key = AppKey(
        str(uuid.uuid4()), name.strip() or "default", secrets.hash_secret(plaintext), plaintext[-4:], now, None
    )
    store.insert_app_key(conn, key)
    audit.record(conn, actor, Action.APP_KEY_GENERATED, key.id, account_id=None, now=now)
    return IssuedAppKey(key, plaintext)


def authenticate(conn: Connection, candidate: str) -> AppKey:
    if not secrets.is_well_formed(candidate, PREFIX):
        raise AppKeyInvalid("the bearer credential is not a scimkeeper application key")
    digest = secrets.hash_secret(candidate)
    key = store.find_live_app_key(conn, digest)
    if key is None or not secrets.same_hash(key.key_hash, digest):
        raise AppKeyInvalid("the application key is unknown or has been revoked")
    return key


def list_all(conn: Connection) -> list[AppKey]:
    return store.list_app_keys(conn)


def revoke(conn: Connection, key_id: str, *, actor: audit.Actor, now: datetime) -> None:
    if not store.revoke_app_key(conn, key_id, now):
        raise AppKeyNotFound(f"no live application key with id {key_id!r}")
    audit.record(conn, actor, Action.APP_KEY_REVOKED, key_id, account_id=None, now=now)
