"""The schema is built by the migrations, matches the table definitions, and SQLite runs with safe settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from scimkeeper.storage import migrate
from scimkeeper.storage.db import Database
from scimkeeper.storage.tables import metadata
from tests.conftest import BACKENDS, database_url


def test_migrations_build_exactly_the_declared_tables(db: Database) -> None:
    """`alembic check` in code: the migrated schema has no difference from storage/tables.py."""
    with db.read() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_database_is_at_the_head_revision(db: Database) -> None:
    """After upgrade the recorded revision is this release's head."""
    assert migrate.current_revision(db) == migrate.head_revision()


@pytest.mark.parametrize("backend", BACKENDS)
def test_downgrade_to_base_and_upgrade_again(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """Every migration can be rolled back and re-applied."""
    fresh = Database(database_url(backend, request, tmp_path))
    try:
        migrate.upgrade(fresh)
        migrate.upgrade(fresh)  # a second run is a no-op
        migrate.downgrade(fresh, "base")
        with fresh.read() as conn:
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
        migrate.upgrade(fresh)
        assert migrate.current_revision(fresh) == migrate.head_revision()
    finally:
        fresh.dispose()


def test_sqlite_connections_use_wal_full_sync_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    """Each pooled SQLite connection is set up for durability and concurrent writers."""
    db = Database(f"sqlite:///{tmp_path / 'x.db'}", sqlite_busy_timeout_ms=4321)
    try:
        with db.read() as conn:
            pragmas = {
                name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            }
    finally:
        db.dispose()
    assert pragmas == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1, "busy_timeout": 4321}
