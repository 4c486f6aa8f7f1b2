"""How many SQL statements each hot request runs: a guard against N+1 queries and extra round trips.

Counted by SQLite itself (`sqlite3.Connection.set_trace_callback` sees every statement that reaches the
database, whichever layer sent it), through the real application and a real database file. A change that adds a
statement to a lookup, a GET, a create, a PATCH or an import page fails here, deterministically; timing lives in
`bench/`. PostgreSQL runs the same storage code (one statement per storage call on both databases).
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.pool import ConnectionPoolEntry

from scimkeeper.config import Settings
from scimkeeper.domain import tokens
from scimkeeper.domain.audit import OPERATOR
from scimkeeper.storage import migrate
from scimkeeper.storage.db import Database
from scimkeeper.web.app import create_app
from tests.documents import employee
from tests.integration.conftest import NOW, enterprise

DOMAIN = "acme.com"


class Trace:
    """The statements SQLite ran since the last `take()`, reduced to their verb and first table."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, sql: str) -> None:
        self.statements.append(sql)

    def take(self) -> list[str]:
        taken, self.statements = self.statements, []
        return [_summary(sql) for sql in taken]


def _summary(sql: str) -> str:
    words = sql.split()
    verb = words[0].upper()
    if verb == "BEGIN":
        return " ".join(words[:2]).upper()
    table = re.search(r"\b(?:FROM|INTO|UPDATE)\s+(\w+)", sql, re.IGNORECASE)
    return f"{verb} {table.group(1)}" if table else verb


class Client:
    """The application over ASGI, with a real SQLite file underneath whose statements are traced."""

    def __init__(self, tmp_path: Path) -> None:
        self.trace = Trace()
        self.now = NOW
        self.db = Database(f"sqlite:///{tmp_path / 'count.db'}")
        migrate.upgrade(self.db)

        @event.listens_for(self.db.engine, "connect")
        def traced(dbapi_conn: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
            dbapi_conn.set_trace_callback(self.trace)

        self.db.dispose()  # connections made from now on are traced
        with self.db.write() as conn:
            account = enterprise(conn, f"count-{uuid.uuid4()}", (DOMAIN,))
            token = tokens.generate(conn, account, actor=OPERATOR, now=NOW).plaintext
        settings = Settings.from_env(
            {"SCIMKEEPER_RATE_LIMIT_PER_SECOND": "0", "SCIMKEEPER_PURGE_INTERVAL_SECONDS": "0"}
        )
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(settings, self.db, clock=lambda: self.now)),
            base_url="http://test/scim/v2",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"},
        )
        # The application's event loop runs in a thread of its own: the test's thread may already run one
        # (Playwright's, when the browser tests ran first).
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def request(self, method: str, url: str, **kwargs: Any) -> tuple[httpx.Response, list[str]]:
        self.trace.take()
        response = asyncio.run_coroutine_threadsafe(self.http.request(method, url, **kwargs), self.loop).result(30)
        return response, self.trace.take()

    def create(self, n: int) -> dict[str, Any]:
        body = employee(f"user{n}@{DOMAIN}", name={"givenName": "Ada", "familyName": f"Lovelace {n}"}, active=True)
        response, _ = self.request("POST", "/Users", json=body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.http.aclose(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)
        self.loop.close()
        self.db.dispose()


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Client]:
    client = Client(tmp_path)
    client.create(0)  # the token's first use is recorded now, not in the requests counted below
    yield client
    client.close()


READ = ["BEGIN DEFERRED", "SELECT scim_tokens", "COMMIT"]


def test_a_user_name_lookup_is_one_query_after_authentication(client: Client) -> None:
    client.create(1)
    response, statements = client.request("GET", "/Users", params={"filter": f'userName eq "user1@{DOMAIN}"'})
    assert response.json()["totalResults"] == 1
    assert statements == [*READ[:2], "SELECT members", "COMMIT"]


def test_a_get_by_id_is_one_query_after_authentication(client: Client) -> None:
    user = client.create(1)
    response, statements = client.request("GET", f"/Users/{user['id']}")
    assert response.status_code == 200
    assert statements == [*READ[:2], "SELECT members", "COMMIT"]


def test_a_create_writes_the_member_its_addresses_and_one_audit_row(client: Client) -> None:
    client.create(1)
    client.trace.take()
    _, statements = client.request(
        "POST", "/Users", json={"userName": f"user2@{DOMAIN}", "emails": [{"value": f"user2@{DOMAIN}"}]}
    )
    # Writes share transactions (group commit): each runs in its own savepoint.
    assert statements == [
        "BEGIN IMMEDIATE",
        "SAVEPOINT",
        "SELECT scim_tokens",
        "SELECT authorized_domains",
        "INSERT members",
        "INSERT member_emails",
        "INSERT audit_events",
        "RELEASE",
        "COMMIT",
    ]


def test_a_refused_create_rolls_back_its_savepoint_only(client: Client) -> None:
    client.create(1)
    response, statements = client.request("POST", "/Users", json={"userName": f"user1@{DOMAIN}"})
    assert response.status_code == 409
    assert statements[:2] == ["BEGIN IMMEDIATE", "SAVEPOINT"]
    assert statements[-3:] == ["ROLLBACK", "RELEASE", "COMMIT"]  # back to its savepoint; the group commits


def test_a_deactivating_patch_reads_once_and_writes_once(client: Client) -> None:
    user = client.create(1)
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"active": False}}],
    }
    response, statements = client.request("PATCH", f"/Users/{user['id']}", json=body)
    assert response.json()["active"] is False
    # Deactivation is never refused (not even outside the authorized domains): no domain check.
    assert statements == [
        "BEGIN IMMEDIATE",
        "SAVEPOINT",
        "SELECT scim_tokens",
        "SELECT members",
        "UPDATE members",
        "DELETE member_emails",
        "INSERT member_emails",
        "INSERT audit_events",
        "RELEASE",
        "COMMIT",
    ]


def test_an_import_page_after_the_first_continues_by_key_without_counting(client: Client) -> None:
    for n in range(1, 6):
        client.create(n)
    client.now += timedelta(minutes=2)  # the hints distrust changes of the last 30 seconds
    client.request("GET", "/ServiceProviderConfig")  # records the token's use of this new minute
    first, statements = client.request("GET", "/Users", params={"startIndex": "1", "count": "2"})
    assert first.json()["totalResults"] == 6
    assert statements == [*READ[:2], "SELECT members", "SELECT members", "COMMIT"]  # the page, its COUNT(*)
    response, statements = client.request("GET", "/Users", params={"startIndex": "3", "count": "2"})
    assert response.json()["itemsPerPage"] == 2
    # The paging hint: one probe for changes since the first page, then the next rows by key; no COUNT(*).
    assert statements == [*READ[:2], "SELECT members", "SELECT members", "COMMIT"]
