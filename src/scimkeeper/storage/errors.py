"""Storage errors that higher layers may handle without knowing SQLAlchemy."""

from __future__ import annotations


class UniqueViolation(Exception):
    """A row collided with a unique constraint; `constraint` names it."""

    def __init__(self, constraint: str) -> None:
        super().__init__(constraint)
        self.constraint = constraint
