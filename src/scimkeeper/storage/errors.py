"""Storage errors that higher layers may handle without knowing SQLAlchemy."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError


class UniqueViolation(Exception):
    """A row collided with a unique constraint; `constraint` names it."""

    def __init__(self, constraint: str) -> None:
        super().__init__(constraint)
        self.constraint = constraint


@contextmanager
def unique(constraint: str) -> Iterator[None]:
    """Turn the database's integrity error inside the block into UniqueViolation(constraint).

    The database decides (no check-then-insert race). Combine with `conn.begin_nested()` where the caller's
    transaction must stay usable after the collision (PostgreSQL aborts it otherwise).
    """
    try:
        yield
    except IntegrityError as exc:
        raise UniqueViolation(constraint) from exc
