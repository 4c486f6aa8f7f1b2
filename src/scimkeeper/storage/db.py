"""Engines and transactions: SQLite in WAL mode with `BEGIN IMMEDIATE` writes, PostgreSQL through psycopg 3."""

from __future__ import annotations

import fcntl
import math
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import orjson
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

if TYPE_CHECKING:
    from scimkeeper.config import Settings

T = TypeVar("T")
SQLITE_POOL_SIZE = 40
# Execution option that marks a connection as a writer (SQLite: `BEGIN IMMEDIATE`).
WRITE_OPTION = "scimkeeper_write"


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


class Database:
    """One engine and the two kinds of transaction the service uses: `read()` and `write()`."""

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 10,
        pool_timeout: float = 10.0,
        connect_timeout: float = 5.0,
        sqlite_busy_timeout_ms: int = 5000,
    ) -> None:
        sa_url = make_url(url)
        if sa_url.drivername in ("postgresql", "postgres"):
            sa_url = sa_url.set(drivername="postgresql+psycopg")
        self.url = sa_url
        self.dialect = sa_url.get_backend_name()
        options: dict[str, Any] = {
            "json_serializer": _json_dumps,
            "json_deserializer": orjson.loads,
            "pool_timeout": pool_timeout,
        }
        if self.dialect == "sqlite":
            options["connect_args"] = {"timeout": sqlite_busy_timeout_ms / 1000}
            # A file has no connection limit: keep one connection per request thread (anyio's default limit is
            # 40), so busy moments do not open and close connections with their PRAGMAs.
            options["pool_size"] = max(pool_size, SQLITE_POOL_SIZE)
        else:
            options["pool_size"] = pool_size
            options["max_overflow"] = pool_size
            options["pool_pre_ping"] = True
            # Without it, connecting to an unreachable server waits for the operating system's TCP timeout.
            options["connect_args"] = {"connect_timeout": max(1, math.ceil(connect_timeout))}
        self.engine: Engine = create_engine(sa_url, **options)
        self._options = options
        self._async_engines: dict[str, AsyncEngine] = {}  # PostgreSQL: "read" and "write" (see run_read)
        self._pinned = threading.local()
        self._writers = _WriterTurns(_lock_file(sa_url.database) if self.dialect == "sqlite" else None)
        if self.dialect == "sqlite":
            _configure_sqlite(self.engine, sqlite_busy_timeout_ms)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction: committed on success (nothing to commit), rolled back on error."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction: `BEGIN IMMEDIATE` on SQLite, so writers queue instead of failing at commit."""
        with self._writers, self.engine.connect() as conn:
            writer = conn.execution_options(**{WRITE_OPTION: True})
            with writer.begin():
                yield writer

    @contextmanager
    def read_pinned(self) -> Iterator[Connection]:
        """A read transaction on this thread's own long-lived connection (SQLite): no pool checkout, and BEGIN and
        COMMIT sent straight to the driver (SQLAlchemy's transaction bookkeeping cost more than the reads).

        For a thread that reads on every request: the event loop's reads on SQLite. Statements run through
        SQLAlchemy inside it join the transaction (see `on_begin`).
        """
        conn = getattr(self._pinned, "conn", None)
        if conn is None or conn.closed or conn.invalidated:
            conn = self._pinned.conn = self.engine.connect()
        driver = conn.connection.driver_connection
        assert isinstance(driver, sqlite3.Connection), "read_pinned is for SQLite"
        driver.execute("BEGIN DEFERRED")
        try:
            yield conn
        except BaseException:
            if conn.in_transaction():
                conn.rollback()
            if driver.in_transaction:
                driver.execute("ROLLBACK")
            raise
        if conn.in_transaction():
            conn.commit()
        if driver.in_transaction:
            driver.execute("COMMIT")

    # --- PostgreSQL on the event loop --------------------------------------------------------------------------

    async def run_read(self, work: Callable[[Connection], T]) -> T:
        """`work(conn)` on a reading connection, on the event loop, over psycopg's asyncio driver (PostgreSQL).

        `work` is the same synchronous code as everywhere else: SQLAlchemy's asyncio extension runs it in a
        greenlet and turns each statement's wait into an await, so no thread is needed per request.

        Reads run in autocommit: PostgreSQL's READ COMMITTED gives every statement its own snapshot inside a
        transaction too, so BEGIN and COMMIT would only add two round trips. And reading connections are not
        pinged before use (another round trip): a read that meets a connection the server has closed (a restart,
        an idle timeout) is run again, once, on a new one, after the pool has let go of its other connections
        (a restart closes them all). Reads change nothing, so running one twice is safe.
        """
        engine = self._async("read")
        try:
            return await _read_on(engine, work)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
        await engine.dispose()
        return await _read_on(engine, work)

    async def run_write(self, work: Callable[[Connection], T]) -> T:
        """`work(conn)` in a write transaction, like `run_read` (PostgreSQL), on a connection checked before use:
        a write is never run twice."""
        async with self._async("write").connect() as conn:
            writer = await conn.execution_options(**{WRITE_OPTION: True})
            return await writer.run_sync(_in_transaction, work)

    def _async(self, kind: str) -> AsyncEngine:
        engine = self._async_engines.get(kind)
        if engine is None:
            assert self.dialect == "postgresql", "the asyncio engines are for PostgreSQL"
            url = self.url.set(drivername="postgresql+psycopg_async")
            # Requests come in bursts of many at once: keep the connections instead of opening and closing
            # overflow ones all the time (hundreds of backends per benchmark run).
            options = {**self._options, "max_overflow": 0}
            if kind == "read":
                options.update(isolation_level="AUTOCOMMIT", pool_pre_ping=False)
            engine = self._async_engines[kind] = create_async_engine(url, **options)
        return engine

    async def dispose_async(self) -> None:
        engines, self._async_engines = self._async_engines, {}
        for engine in engines.values():
            await engine.dispose()

    def dispose(self) -> None:
        self.engine.dispose()
        self._writers.close()


async def _read_on(engine: AsyncEngine, work: Callable[[Connection], T]) -> T:
    async with engine.connect() as conn:
        return await conn.run_sync(work)


def _in_transaction(conn: Connection, work: Callable[[Connection], T]) -> T:
    with conn.begin():
        return work(conn)


def _lock_file(database: str | None) -> str | None:
    """The file beside a SQLite database that its writers, in every process, take turns on (none in memory)."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return database + "-writers.lock"


class _WriterTurns:
    """SQLite writers take turns: a lock per process, and an `flock` on a file beside the database across processes.

    SQLite's own wait for its write lock polls with sleeps of up to 100 ms, so a process whose writer releases
    and retakes the lock back to back can keep another process's writer waiting past the busy timeout (seen with
    two workers under concurrent PUTs: 500s after 5 s). A blocking `flock` wakes the waiting process as soon as
    the lock is released instead. PostgreSQL has no such need: nothing is locked here.
    """

    def __init__(self, path: str | None) -> None:
        self._thread_lock = threading.Lock() if path else None
        self._path = path
        self._file: int | None = None

    def __enter__(self) -> None:
        if self._thread_lock is None:
            return
        self._thread_lock.acquire()
        try:
            if self._file is None:
                self._file = os.open(self._path or "", os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._file, fcntl.LOCK_EX)
        except BaseException:
            self._thread_lock.release()
            raise

    def close(self) -> None:
        if self._file is not None:
            os.close(self._file)
            self._file = None

    def __exit__(self, *_exc: object) -> None:
        if self._thread_lock is None:
            return
        try:
            if self._file is not None:
                fcntl.flock(self._file, fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()


def open_database(settings: Settings) -> Database:
    """The database of a deployment, with its pool settings."""
    return Database(
        settings.database_url,
        pool_size=settings.db_pool_size,
        pool_timeout=settings.db_pool_timeout,
        connect_timeout=settings.db_connect_timeout,
        sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms,
    )


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn: Any, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy's "begin" event below emit BEGIN itself, instead of pysqlite's implicit one.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # LIKE must be case-sensitive (keys are folded already; caseExact attributes must stay exact), which
        # also lets `LIKE 'prefix%'` use an index.
        cursor.execute("PRAGMA case_sensitive_like=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Connection) -> None:
        # On the driver's connection: this runs for every transaction, and SQLAlchemy's execution adds ~20 µs.
        driver = conn.connection.driver_connection
        assert isinstance(driver, sqlite3.Connection)
        if driver.in_transaction:  # inside `read_pinned`'s transaction: join it
            return
        statement = "BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE_OPTION) else "BEGIN DEFERRED"
        try:
            driver.execute(statement)
        except sqlite3.Error as exc:  # the same error SQLAlchemy's execution would raise ("database is locked")
            raise DBAPIError.instance(statement, None, exc, sqlite3.Error) from exc
