"""Index-based paging parameters and the ListResponse message (RFC 7644 §3.4.2.4, §3.4.2)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from scimkeeper.scim.errors import InvalidValue

LIST_RESPONSE_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"

# Far beyond any real result set, and small enough for a signed 32-bit OFFSET in any database.
MAX_START_INDEX: Final = 2**31 - 1

_INTEGER: Final = re.compile(r"[+-]?[0-9]+")
# Longer digit strings are clamped without conversion (Python refuses to convert very long ones).
_MAX_DIGITS: Final = 18


@dataclass(frozen=True)
class IndexPage:
    """A 1-based start index and a page size, both already clamped to what the server serves."""

    start_index: int
    count: int


def parse_index_paging(
    start_index: str | None,
    count: str | None,
    *,
    default_count: int,
    max_count: int,
) -> IndexPage:
    """Read `startIndex` and `count` from query text, clamping rather than refusing (RFC 7644 §3.4.2.4).

    startIndex below 1 means 1; a negative count means 0; a count above `max_count` means `max_count`.
    Empty parameters count as absent. Text that is not an integer is an `invalidValue` error.
    """
    start = _parse_integer("startIndex", start_index)
    size = _parse_integer("count", count)
    return IndexPage(
        start_index=1 if start is None else _clamp(start, 1, MAX_START_INDEX),
        count=_clamp(default_count if size is None else size, 0, max_count),
    )


def _parse_integer(name: str, text: str | None) -> int | None:
    if text is None or not text.strip():
        return None
    stripped = text.strip()
    if not _INTEGER.fullmatch(stripped):
        raise InvalidValue(f"{name} must be an integer, got {text[:40]!r}")
    digits = stripped.lstrip("+-")
    if len(digits) > _MAX_DIGITS:
        return -(10**_MAX_DIGITS) if stripped.startswith("-") else 10**_MAX_DIGITS
    return int(stripped)


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(value, high))


def list_response(
    resources: Sequence[Mapping[str, Any]],
    *,
    total_results: int,
    start_index: int | None,
    next_cursor: str | None = None,
    previous_cursor: str | None = None,
) -> dict[str, Any]:
    """Build a ListResponse; `Resources` is present even when empty.

    Index paging gives `start_index`; cursor paging (RFC 9865) gives None and the cursors that exist.
    """
    response: dict[str, Any] = {"schemas": [LIST_RESPONSE_URN], "totalResults": total_results}
    if start_index is not None:
        response["startIndex"] = start_index
    response["itemsPerPage"] = len(resources)
    if next_cursor is not None:
        response["nextCursor"] = next_cursor
    if previous_cursor is not None:
        response["previousCursor"] = previous_cursor
    response["Resources"] = [dict(resource) for resource in resources]
    return response
