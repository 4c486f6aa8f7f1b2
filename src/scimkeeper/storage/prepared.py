"""Prepared statements: SQLAlchemy Core compiled once per dialect, run on the driver's cursor.

The request path reads with a handful of statements whose text never changes, only their parameters. Building
and executing them through SQLAlchemy each time costs 20-300 µs per statement (construction, cache key, execution
context, result wrapping) against 2-5 µs for the driver itself, so hot reads are `Prepared`: the Core statement
is compiled on first use per dialect, and each call binds its parameters with the columns' own bind processors
and converts rows with their result processors, exactly as SQLAlchemy would, without the rest of its machinery.

Statements run inside the caller's SQLAlchemy transaction (`conn.connection` is its DBAPI connection). Driver
errors are re-raised as SQLAlchemy's (`sqlalchemy.exc.DBAPIError.instance`), so callers see one family of errors.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from threading import Lock
from typing import Any

from sqlalchemy import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # parameter names in the order the driver wants them (positional dialects)
    positional: bool
    constants: Mapping[str, Any]  # values of the statement's own bound literals (JSON paths, literal(1), ...)
    binds: Mapping[str, Processor]
    results: tuple[Processor, ...]

    def parameters(self, given: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        """The driver's parameters: a list in statement order (positional dialects) or a dict by name."""
        values = {**self.constants, **given} if self.constants else given
        processed = []
        for name in self.names:
            process = self.binds.get(name)
            processed.append(values[name] if process is None else process(values[name]))
        return processed if self.positional else dict(zip(self.names, processed, strict=True))

    def row(self, raw: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(
            value if process is None else process(value) for process, value in zip(self.results, raw, strict=True)
        )


def compile_statement(statement: ClauseElement, dialect: Dialect) -> _Compiled:
    """Compile `statement` for `dialect`: its SQL, parameter order, constant values and type processors."""
    compiled = statement.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)
    names = tuple(compiled.positiontup or ()) if dialect.positional else tuple(compiled.bind_names.values())
    if "POSTCOMPILE" in compiled.string:  # expanding IN lists and literal-rendered values need SQLAlchemy
        raise ValueError(f"cannot prepare a statement that is completed at execution: {compiled.string}")
    # Parameters we name and give per call are `bindparam(name)` (required); every other one is a constant.
    constants = {name: bind.effective_value for bind, name in compiled.bind_names.items() if not bind.required}
    binds = {name: bind.type._cached_bind_processor(dialect) for bind, name in compiled.bind_names.items()}
    results = tuple(column.type._cached_result_processor(dialect, None) for column in compiled._result_columns or ())
    return _Compiled(compiled.string, names, dialect.positional, constants, binds, results)


class Prepared:
    """One Core statement whose parameters are given per call by name (`bindparam("account_id")`)."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._compiled: dict[str, _Compiled] = {}
        self._lock = Lock()

    def compiled(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            with self._lock:
                found = self._compiled.setdefault(dialect.name, compile_statement(self.statement, dialect))
        return found

    def all(self, conn: Connection, **params: Any) -> list[tuple[Any, ...]]:
        """The rows of a query."""
        compiled = self.compiled(conn.dialect)
        return [compiled.row(raw) for raw in self._fetch(conn, compiled, compiled.sql, params)]

    def first(self, conn: Connection, **params: Any) -> tuple[Any, ...] | None:
        rows = self.all(conn, **params)
        return rows[0] if rows else None

    def explain(self, conn: Connection, **params: Any) -> list[Any]:
        """The database's plan of the statement (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL)."""
        compiled = self.compiled(conn.dialect)
        prefix = "EXPLAIN QUERY PLAN " if conn.dialect.name == "sqlite" else "EXPLAIN "
        return self._fetch(conn, compiled, prefix + compiled.sql, params)

    def execute(self, conn: Connection, **params: Any) -> int:
        """Run a write; the number of rows it changed."""
        compiled = self.compiled(conn.dialect)

        def run(cursor: Any) -> int:
            cursor.execute(compiled.sql, compiled.parameters(params))
            return int(cursor.rowcount)

        result: int = self._run(conn, compiled, run)
        return result

    def execute_many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run a write once per parameter set (the driver's executemany)."""
        if not rows:
            return
        compiled = self.compiled(conn.dialect)
        self._run(
            conn, compiled, lambda cursor: cursor.executemany(compiled.sql, [compiled.parameters(r) for r in rows])
        )

    def _fetch(self, conn: Connection, compiled: _Compiled, sql: str, params: Mapping[str, Any]) -> list[Any]:
        def fetch(cursor: Any) -> list[Any]:
            cursor.execute(sql, compiled.parameters(params))
            return list(cursor.fetchall())

        result: list[Any] = self._run(conn, compiled, fetch)
        return result

    @staticmethod
    def _run(conn: Connection, compiled: _Compiled, use: Callable[[Any], Any]) -> Any:
        dbapi = conn.dialect.loaded_dbapi
        dbapi_conn = conn.connection.dbapi_connection
        try:
            cursor = dbapi_conn.cursor()  # type: ignore[union-attr]
            try:
                return use(cursor)
            finally:
                cursor.close()
        except dbapi.Error as exc:  # as SQLAlchemy would raise it (IntegrityError, OperationalError, ...)
            # A connection the server closed is invalidated, as SQLAlchemy's own execution does, so that the pool
            # replaces it and the caller may retry (`Database.run_read`).
            lost = conn.dialect.is_disconnect(exc, dbapi_conn, None)
            error = DBAPIError.instance(compiled.sql, None, exc, dbapi.Error, connection_invalidated=lost)
            if lost:
                conn.invalidate(error)
            raise error from exc
