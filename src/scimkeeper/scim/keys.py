"""Comparison keys for attributes with `caseExact: false` (RFC 7643 §2.2): stored and queried the same way."""

from __future__ import annotations


def fold(value: str) -> str:
    """The case-insensitive comparison key of a string value."""
    return value.casefold()
