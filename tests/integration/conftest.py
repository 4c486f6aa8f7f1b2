"""Integration fixtures: every test here runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection

from scimkeeper.domain import accounts
from scimkeeper.domain.audit import OPERATOR
from scimkeeper.storage.accounts import Account
from scimkeeper.storage.db import WRITE_OPTION, Database

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@pytest.fixture
def db(migrated_db: Database) -> Database:
    return migrated_db


@pytest.fixture
def conn(db: Database) -> Iterator[Connection]:
    """A write transaction that is rolled back after the test."""
    with db.engine.connect() as connection:
        writer = connection.execution_options(**{WRITE_OPTION: True})
        transaction = writer.begin()
        yield writer
        transaction.rollback()


@pytest.fixture
def account(conn: Connection) -> Account:
    return accounts.create(conn, "Acme", plan=accounts.ENTERPRISE, actor=OPERATOR, now=NOW)
