"""Integration fixtures: every test here runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection

from scimkeeper.domain import accounts
from scimkeeper.domain import domains as domains_
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


# The e-mail domains the tests' addresses use; tests that commit data use a unique domain instead (`unique_domain`).
TEST_DOMAINS = ("acme.com", "home.org", "example.org", "x.org", "b.io")


def enterprise(conn: Connection, name: str, domains: tuple[str, ...] = TEST_DOMAINS) -> Account:
    """An Enterprise account with authorized e-mail domains, as an operator would set it up."""
    account = accounts.create(conn, name, plan=accounts.ENTERPRISE, actor=OPERATOR, now=NOW)
    for domain in domains:
        domains_.authorize(conn, account, domain, include_subdomains=False, actor=OPERATOR, now=NOW)
    return account


def unique_domain() -> str:
    """A domain no other test uses: a domain belongs to at most one account, and some tests commit."""
    return f"t{uuid.uuid4().hex[:10]}.acme.com"


@pytest.fixture
def account(conn: Connection) -> Account:
    return enterprise(conn, "Acme")
