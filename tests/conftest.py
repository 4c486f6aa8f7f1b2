"""Shared fixtures: real SQLite files and a real PostgreSQL database, schema built by the migrations."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from hypothesis import settings as hypothesis_settings
from psycopg import sql

from scimkeeper.storage import migrate
from scimkeeper.storage.db import Database

# Under CI the property tests draw the same examples on every run, so that a run (and the coverage `scripts/test`
# holds scim/ to) never depends on which examples were drawn; local runs draw new ones and keep exploring.
hypothesis_settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")

POSTGRES_ADMIN_URL = os.environ.get("SCIMKEEPER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
BACKENDS = ["sqlite", "postgresql"]


class PostgresServer:
    """Creates throwaway databases on the test PostgreSQL server and drops them at the end of the session."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.created: list[str] = []

    def create_database(self) -> str:
        name = f"scimkeeper_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        self.created.append(name)
        return self.admin_url.rsplit("/", 1)[0] + "/" + name

    def drop_all(self) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            for name in self.created:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    try:
        psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is unreachable at {POSTGRES_ADMIN_URL} and CI=true: {exc}")
        pytest.skip(f"PostgreSQL is unreachable at {POSTGRES_ADMIN_URL}: {exc}")
    server = PostgresServer(POSTGRES_ADMIN_URL)
    yield server
    server.drop_all()


def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new, empty database of the given backend."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'scimkeeper.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_database()


@pytest.fixture(scope="session", params=BACKENDS)
def migrated_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """One migrated database per backend for the session; tests isolate themselves in rolled-back transactions."""
    url = database_url(request.param, request, tmp_path_factory.mktemp("db"))
    db = Database(url)
    migrate.upgrade(db)
    yield db
    db.dispose()
