"""Where a request's database work runs, decided from measurements (README, "Performance").

- **SQLite, reads**: on the event loop, on one pinned connection. An indexed read takes microseconds; handing it
  to a thread pool and back cost more than the work (a 40-thread pool spent ~30% of a core in `Condition.notify`
  and GIL hand-offs under 32 concurrent lookups). WAL readers never wait for writers.
- **SQLite, writes**: on one writer thread per process, in arrival order, with group commit
  (`storage.group_commit`). SQLite has one write lock; a writer thread per process queues writers in FIFO order
  instead of letting up to 40 threads poll the busy timeout with back-off (which gave creates a 1.8 s p99),
  keeps each commit's fsync off the event loop, and shares one fsync among the writes that queued meanwhile.
- **PostgreSQL**: on the event loop too, over psycopg's asyncio driver (`Database.run_read`/`run_write`): each
  statement is a network round trip, awaited while other requests run. The domain code stays synchronous;
  SQLAlchemy's asyncio extension runs it in a greenlet. A thread pool did the same with 10-20 threads
  contending for the GIL, and opened and closed overflow connections all the time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection

from scimkeeper.storage.db import Database
from scimkeeper.storage.group_commit import GroupCommitWriter

T = TypeVar("T")
Work = Callable[[Connection], T]


class Transactions:
    """Runs `work(conn)` in a read or a write transaction of `db`, where the database's kind says it should run."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._writer = GroupCommitWriter(db) if db.dialect == "sqlite" else None  # None: PostgreSQL

    async def read(self, work: Work[T]) -> T:
        if self._writer is not None:
            with self.db.read_pinned() as conn:
                return work(conn)
        return await self.db.run_read(work)

    async def write(self, work: Work[T]) -> T:
        if self._writer is not None:
            result: T = await asyncio.wrap_future(self._writer.submit(work))
            return result
        return await self.db.run_write(work)

    async def close(self) -> None:
        """Let queued writes finish and stop the writer thread (SQLite); close the connections (PostgreSQL)."""
        if self._writer is not None:
            await asyncio.get_running_loop().run_in_executor(None, self._writer.close)
        await self.db.dispose_async()
