"""Only a violation of a named unique key becomes UniqueViolation; any other integrity error propagates (a bug)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import pytest
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from scimkeeper.storage import members as store
from scimkeeper.storage.accounts import Account
from scimkeeper.storage.db import Database
from scimkeeper.storage.errors import UNIQUE_KEYS, UniqueViolation
from scimkeeper.web.transactions import Transactions
from tests.integration.conftest import NOW, enterprise, unique_domain

T = TypeVar("T")


def member(account_id: str, user_name: str, member_id: str | None = None) -> store.Member:
    document = {"userName": user_name, "emails": [{"value": user_name, "primary": True}]}
    return store.Member(member_id or str(uuid.uuid4()), account_id, document, True, 1, NOW, NOW)


def test_a_duplicate_user_name_is_a_violation_of_the_user_name_key(conn: Connection, account: Account) -> None:
    """Two live members with one userName: UniqueViolation naming uq_members_live_user_name."""
    store.insert_member(conn, member(account.id, "ada@acme.com"))
    with pytest.raises(UniqueViolation) as refused:
        store.insert_member(conn, member(account.id, "ada@acme.com"))
    assert refused.value.constraint == "uq_members_live_user_name"


def test_a_rename_onto_a_taken_user_name_is_a_violation_of_the_user_name_key(
    conn: Connection, account: Account
) -> None:
    """An update that collides with another live member's userName: UniqueViolation too."""
    store.insert_member(conn, member(account.id, "ada@acme.com"))
    bob = member(account.id, "bob@acme.com")
    store.insert_member(conn, bob)
    with pytest.raises(UniqueViolation):
        store.update_member(conn, member(account.id, "ada@acme.com", member_id=bob.id))


def test_a_foreign_key_violation_is_not_a_unique_violation(conn: Connection) -> None:
    """A member of an account that does not exist is a bug: the IntegrityError propagates as it is."""
    with pytest.raises(IntegrityError) as failed:
        store.insert_member(conn, member(str(uuid.uuid4()), "ada@acme.com"))
    assert "foreign key" in str(failed.value.orig).lower()


def test_a_primary_key_collision_is_not_a_unique_violation(conn: Connection, account: Account) -> None:
    """Another unique key than the one the caller names (here the primary key) propagates too."""
    first = member(account.id, "ada@acme.com")
    store.insert_member(conn, first)
    with pytest.raises(IntegrityError):
        store.insert_member(conn, member(account.id, "bob@acme.com", member_id=first.id))


def run_write(db: Database, work: Callable[[Connection], T]) -> T:
    """`work` on the request path's write transaction: group commit (SQLite), psycopg's asyncio driver (PostgreSQL)."""

    async def write() -> T:
        transactions = Transactions(db)
        try:
            return await transactions.write(work)
        finally:
            await transactions.close()

    # In a thread of its own: the browser tests leave Playwright's event loop running in this one.
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(lambda: asyncio.run(write())).result()


def test_on_the_request_path_a_duplicate_is_a_unique_violation(db: Database) -> None:
    """The drivers the server uses report the violated key as the test connections do; nothing is committed."""

    def work(conn: Connection) -> None:
        account = enterprise(conn, f"dup-{uuid.uuid4()}", (unique_domain(),))
        store.insert_member(conn, member(account.id, "ada@acme.com"))
        store.insert_member(conn, member(account.id, "ada@acme.com"))

    with pytest.raises(UniqueViolation):
        run_write(db, work)


def test_on_the_request_path_a_foreign_key_violation_propagates(db: Database) -> None:
    """Through group commit and the asyncio driver alike, a foreign-key violation stays an IntegrityError."""
    with pytest.raises(IntegrityError):
        run_write(db, lambda conn: store.insert_member(conn, member(str(uuid.uuid4()), "ada@acme.com")))


def test_sqlite_can_tell_every_unique_key_apart() -> None:
    """SQLite names a violated key by its columns: no two unique keys may share them."""
    names = [name for key in UNIQUE_KEYS.values() for name in key.sqlite_names]
    assert len(names) == len(set(names))
