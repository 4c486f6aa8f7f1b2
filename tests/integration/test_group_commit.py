"""Group commit on a real SQLite file: writes queued together share a transaction, each in its own savepoint."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, event, text
from sqlalchemy.exc import OperationalError

from scimkeeper.storage.db import Database
from scimkeeper.storage.group_commit import GroupCommitWriter


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'group.db'}")
    with db.write() as conn:
        conn.execute(text("CREATE TABLE notes (n INTEGER PRIMARY KEY)"))
    yield db
    db.dispose()


def stored(db: Database) -> list[int]:
    with db.read() as conn:
        return [row[0] for row in conn.execute(text("SELECT n FROM notes ORDER BY n"))]


def insert(n: int) -> object:
    def work(conn: Connection) -> int:
        conn.execute(text("INSERT INTO notes (n) VALUES (:n)"), {"n": n})
        return n

    return work


def test_queued_writes_share_one_transaction_and_a_failing_one_is_rolled_back_alone(db: Database) -> None:
    writer = GroupCommitWriter(db)
    gate = threading.Event()
    transactions: list[int] = []

    started = threading.Event()

    def blocker(conn: Connection) -> None:
        started.set()
        gate.wait(5)

    def failing(conn: Connection) -> None:
        conn.execute(text("INSERT INTO notes (n) VALUES (99)"))
        raise ValueError("refused")

    @event.listens_for(db.engine, "commit")
    def count(_conn: Connection) -> None:
        transactions.append(1)

    first = writer.submit(blocker)  # holds the writer while the others queue up
    assert started.wait(5)
    futures = [writer.submit(insert(1)), writer.submit(failing), writer.submit(insert(2))]  # type: ignore[arg-type]
    gate.set()
    first.result(5)
    assert futures[0].result(5) == 1
    with pytest.raises(ValueError, match="refused"):
        futures[1].result(5)
    assert futures[2].result(5) == 2
    writer.close()
    assert len(transactions) == 2  # the blocker alone, then the three that queued behind it together
    assert stored(db) == [1, 2]  # 99 was rolled back with its savepoint only


def test_when_the_group_cannot_begin_every_write_of_it_fails_and_none_is_stored(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    impatient = Database(f"sqlite:///{path}", sqlite_busy_timeout_ms=50)
    with impatient.write() as conn:
        conn.execute(text("CREATE TABLE notes (n INTEGER PRIMARY KEY)"))
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    writer = GroupCommitWriter(impatient)
    futures = [writer.submit(insert(n)) for n in (1, 2)]  # type: ignore[arg-type]
    for future in futures:
        with pytest.raises(OperationalError, match="locked"):
            future.result(5)
    holder.execute("ROLLBACK")
    holder.close()
    writer.close()
    assert stored(impatient) == []
    impatient.dispose()


def test_close_finishes_the_queued_writes(db: Database) -> None:
    writer = GroupCommitWriter(db)
    futures = [writer.submit(insert(n)) for n in range(10)]  # type: ignore[arg-type]
    writer.close()
    assert [future.result(0) for future in futures] == list(range(10))
    assert stored(db) == list(range(10))
