"""Storage errors that higher layers may handle without knowing SQLAlchemy.

Only a violation of a named unique key of the schema becomes `UniqueViolation`; every other integrity error (a
foreign key, a NOT NULL, a primary key collision) is a bug and propagates as it is, to be answered as an internal
error. The databases name the violated key differently: PostgreSQL by its name (sqlstate 23505,
`diag.constraint_name`), SQLite by its columns (`UNIQUE constraint failed: members.account_id,
members.user_name_key`) or, for an index on expressions, by its name (`index 'name'`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Index, UniqueConstraint
from sqlalchemy.exc import IntegrityError

from scimkeeper.storage.tables import metadata

PG_UNIQUE_VIOLATION = "23505"
SQLITE_UNIQUE = "SQLITE_CONSTRAINT_UNIQUE"  # primary keys are SQLITE_CONSTRAINT_PRIMARYKEY
SQLITE_PREFIX = "UNIQUE constraint failed: "


class UniqueViolation(Exception):
    """A row collided with a unique key of the schema; `constraint` names it (`uq_members_live_user_name`)."""

    def __init__(self, constraint: str) -> None:
        super().__init__(constraint)
        self.constraint = constraint


@dataclass(frozen=True)
class UniqueKey:
    """A unique constraint or unique index, and how SQLite's message names it."""

    name: str
    sqlite_names: frozenset[str]  # "table.a, table.b" and "index 'name'"


def _unique_keys() -> dict[str, UniqueKey]:
    keys: dict[str, UniqueKey] = {}
    for table in metadata.tables.values():
        found: list[UniqueConstraint | Index] = [c for c in table.constraints if isinstance(c, UniqueConstraint)]
        found += [i for i in table.indexes if i.unique]
        for key in found:
            assert isinstance(key.name, str), f"unnamed unique key on {table.name}: name it in tables.py"
            columns = ", ".join(f"{table.name}.{column.name}" for column in key.columns)
            keys[key.name] = UniqueKey(key.name, frozenset({columns, f"index '{key.name}'"}))
    return keys


UNIQUE_KEYS = _unique_keys()


def violates(exc: IntegrityError, key: UniqueKey) -> bool:
    """Whether the database refused the statement because of `key` (and not of any other constraint)."""
    orig = exc.orig
    if isinstance(orig, sqlite3.IntegrityError):
        failed = str(orig).removeprefix(SQLITE_PREFIX)
        return orig.sqlite_errorname == SQLITE_UNIQUE and failed in key.sqlite_names
    diag = getattr(orig, "diag", None)  # psycopg, not imported here: a SQLite deployment never loads it
    return getattr(orig, "sqlstate", None) == PG_UNIQUE_VIOLATION and getattr(diag, "constraint_name", None) == key.name


@contextmanager
def unique(name: str) -> Iterator[None]:
    """Turn a violation of the unique key `name` inside the block into UniqueViolation(name); let others propagate.

    The database decides (no check-then-insert race). Combine with `conn.begin_nested()` where the caller's
    transaction must stay usable after the collision (PostgreSQL aborts it otherwise).
    """
    key = UNIQUE_KEYS[name]  # a KeyError here is a name the schema does not have
    try:
        yield
    except IntegrityError as exc:
        if not violates(exc, key):
            raise
        raise UniqueViolation(name) from exc
