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
        values = {**self.constants, **given} if self.constants else given
        binds = self.binds
        if self.positional:
            out: list[Any] = []
            for name in self.names:
                value = values[name]
                process = binds.get(name)
                out.append(process(value) if process is not None and value is not None else value)
            return out
        named: dict[str, Any] = {}
        for name in self.names:
            value = values[name]
            process = binds.get(name)
            named[name] = process(value) if process is not None and value is not None else value
        return named

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
        compiled = self.compiled(conn.dialect)
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(compiled.sql, compiled.parameters(params))
            rows = cursor.fetchall()
        except conn.dialect.loaded_dbapi.Error as exc:
            raise DBAPIError.instance(compiled.sql, None, exc, conn.dialect.loaded_dbapi.Error) from exc
        finally:
            cursor.close()
        return [compiled.row(raw) for raw in rows]

    def first(self, conn: Connection, **params: Any) -> tuple[Any, ...] | None:
        rows = self.all(conn, **params)
        return rows[0] if rows else None
