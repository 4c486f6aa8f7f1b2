"""Where a request's database work runs, decided from measurements (README, "Performance").

- **SQLite, reads**: on the event loop, on one pinned connection. An indexed read takes microseconds; handing it
  to a thread pool and back cost more than the work (a 40-thread pool spent ~30% of a core in `Condition.notify`
  and GIL hand-offs under 32 concurrent lookups). WAL readers never wait for writers.
- **SQLite, writes**: on one writer thread per process, in arrival order, with group commit
  (`storage.group_commit`). SQLite has one write lock; a writer thread per process queues writers in FIFO order
  instead of letting up to 40 threads poll the busy timeout with back-off (which gave creates a 1.8 s p99),
  keeps each commit's fsync off the event loop, and shares one fsync among the writes that queued meanwhile.
- **PostgreSQL**: a thread pool as large as the connection pool, so every thread keeps a pooled connection
  (a larger pool of threads opened and closed overflow connections all the time): each statement is a
  network round trip that releases the GIL.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy import Connection

from scimkeeper.storage.db import Database
from scimkeeper.storage.group_commit import GroupCommitWriter

T = TypeVar("T")
Work = Callable[[Connection], T]


class Transactions:
    """Runs `work(conn)` in a read or a write transaction of `db`, where the database's kind says it should run."""

    def __init__(self, db: Database, *, pool_size: int) -> None:
        self.db = db
        self.sqlite = db.dialect == "sqlite"
        self._writer = GroupCommitWriter(db) if self.sqlite else None
        self._executor = (
            None if self.sqlite else ThreadPoolExecutor(max(1, pool_size), thread_name_prefix="scimkeeper-db")
        )

    async def read(self, work: Work[T]) -> T:
        if self._executor is None:
            with self.db.read_pinned() as conn:
                return work(conn)
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._read, work)

    async def write(self, work: Work[T]) -> T:
        if self._writer is not None:
            result: T = await asyncio.wrap_future(self._writer.submit(work))
            return result
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._write, work)

    def _read(self, work: Work[T]) -> T:
        with self.db.read() as conn:
            return work(conn)

    def _write(self, work: Work[T]) -> T:
        with self.db.write() as conn:
            return work(conn)

    def close(self) -> None:
        """Let queued work finish, then stop the threads."""
        if self._writer is not None:
            self._writer.close()
        if self._executor is not None:
            self._executor.shutdown(wait=True)
