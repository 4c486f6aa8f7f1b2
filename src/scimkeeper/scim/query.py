"""List and search requests (RFC 7644 §3.4.2, §3.4.3) and opaque cursors for cursor paging (RFC 9865).

One `ListRequest` comes from a GET's query parameters or from a POST `.search` body; both read the same way.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from scimkeeper.scim.errors import ExpiredCursor, InvalidCount, InvalidCursor, InvalidSyntax, InvalidValue
from scimkeeper.scim.filter import AttrPath, Filter, format_attr_path, format_filter, parse_filter, parse_path
from scimkeeper.scim.listing import IndexPage, parse_index_paging

SEARCH_REQUEST_URN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
_SEARCH_KEYS = ("attributes", "excludedAttributes", "filter", "sortBy", "sortOrder", "startIndex", "count", "cursor")


@dataclass(frozen=True)
class QueryLimits:
    default_count: int
    max_count: int
    max_filter_length: int = 2048
    max_filter_depth: int = 10
    max_filter_comparisons: int = 50


@dataclass(frozen=True)
class ListRequest:
    filter: Filter | None = None
    sort_by: AttrPath | None = None
    descending: bool = False
    page: IndexPage = field(default_factory=lambda: IndexPage(1, 100))
    cursor: str | None = None  # None: index paging; "": the first page of cursor paging
    attributes: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()

    @property
    def fingerprint(self) -> str:
        """What a cursor is bound to: the filter and the order (not the page size)."""
        text = "|".join(
            (
                format_filter(self.filter) if self.filter else "",
                format_attr_path(self.sort_by).lower() if self.sort_by else "",
                "d" if self.descending else "a",
            )
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def from_query(params: Mapping[str, str], limits: QueryLimits) -> ListRequest:
    """A list request from GET query parameters (names case-sensitive, as RFC 7644 writes them)."""
    return _build(
        filter_text=params.get("filter"),
        sort_by=params.get("sortBy"),
        sort_order=params.get("sortOrder"),
        start_index=params.get("startIndex"),
        count=params.get("count"),
        cursor=params.get("cursor"),
        attributes=_split(params.get("attributes")),
        excluded=_split(params.get("excludedAttributes")),
        limits=limits,
    )


def from_search_body(body: object, limits: QueryLimits) -> ListRequest:
    """A list request from a `SearchRequest` body (RFC 7644 §3.4.3); keys are case-insensitive."""
    if not isinstance(body, dict):
        raise InvalidSyntax("A search request body must be a JSON object.")
    fields = {key.lower(): value for key, value in body.items()}
    unknown = set(fields) - {k.lower() for k in (*_SEARCH_KEYS, "schemas")}
    if unknown:
        raise InvalidSyntax(f"Unknown search request attribute {sorted(unknown)[0]!r}.")
    schemas = fields.get("schemas")
    if schemas is not None and (
        not isinstance(schemas, list) or SEARCH_REQUEST_URN.lower() not in {str(s).lower() for s in schemas}
    ):
        raise InvalidSyntax(f"A search request's schemas must contain {SEARCH_REQUEST_URN}.")
    return _build(
        filter_text=_text(fields, "filter"),
        sort_by=_text(fields, "sortby"),
        sort_order=_text(fields, "sortorder"),
        start_index=_number_text(fields, "startindex"),
        count=_number_text(fields, "count"),
        cursor=_text(fields, "cursor"),
        attributes=_names(fields, "attributes"),
        excluded=_names(fields, "excludedattributes"),
        limits=limits,
    )


def _build(
    *,
    filter_text: str | None,
    sort_by: str | None,
    sort_order: str | None,
    start_index: str | None,
    count: str | None,
    cursor: str | None,
    attributes: tuple[str, ...],
    excluded: tuple[str, ...],
    limits: QueryLimits,
) -> ListRequest:
    page = parse_index_paging(start_index, count, default_count=limits.default_count, max_count=limits.max_count)
    if cursor is not None:
        if start_index is not None and start_index.strip():
            raise InvalidValue("Use either cursor or startIndex, not both.")
        if count is not None and count.strip().startswith("-"):
            raise InvalidCount(f"count must be between 0 and {limits.max_count} with cursor paging.")
    return ListRequest(
        filter=_filter(filter_text, limits),
        sort_by=_sort_by(sort_by),
        descending=_descending(sort_order),
        page=page,
        cursor=cursor.strip() if cursor is not None else None,
        attributes=attributes,
        excluded=excluded,
    )


def _filter(text: str | None, limits: QueryLimits) -> Filter | None:
    if text is None:
        return None
    return parse_filter(
        text,
        max_length=limits.max_filter_length,
        max_depth=limits.max_filter_depth,
        max_comparisons=limits.max_filter_comparisons,
    )


def _sort_by(text: str | None) -> AttrPath | None:
    if text is None or not text.strip():
        return None
    path = parse_path(text.strip())
    if path.value_filter is not None or path.sub_attr is not None:
        raise InvalidValue(f"sortBy must name an attribute, not a value filter: {text[:80]!r}.")
    return path.path


def _descending(text: str | None) -> bool:
    if text is None or not text.strip():
        return False
    order = text.strip().lower()
    if order not in ("ascending", "descending"):
        raise InvalidValue(f'sortOrder must be "ascending" or "descending", got {text[:40]!r}.')
    return order == "descending"


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(name.strip() for name in (text or "").split(",") if name.strip())


def _text(fields: Mapping[str, Any], key: str) -> str | None:
    value = fields.get(key)
    if value is None or isinstance(value, str):
        return value
    raise InvalidValue(f"{key} must be a string in a search request.")


def _number_text(fields: Mapping[str, Any], key: str) -> str | None:
    value = fields.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValue(f"{key} must be an integer in a search request.")
    return str(value)


def _names(fields: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = fields.get(key)
    if value is None:
        return ()
    if isinstance(value, str):  # lenient: a comma-separated string as in the query form
        return _split(value)
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise InvalidValue(f"{key} must be a list of attribute names in a search request.")
    return tuple(name.strip() for name in value if name.strip())


# --- cursors (RFC 9865) -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    """A position in one listing's order: the page after it, or (backwards) the page before it."""

    key: Any  # the sort key value: str, number, bool, an aware datetime, or None
    id: str
    backwards: bool
    fingerprint: str
    issued_at: int  # Unix seconds, for expiry


def encode_cursor(cursor: Cursor) -> str:
    key = {"t": cursor.key.isoformat()} if isinstance(cursor.key, datetime) else {"v": cursor.key}
    payload = [1, key, cursor.id, int(cursor.backwards), cursor.fingerprint, cursor.issued_at]
    return base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")


def decode_cursor(text: str, *, fingerprint: str, now: int, timeout: int) -> Cursor:
    """Read a cursor this server issued for the same filter and order; invalidCursor or expiredCursor otherwise."""
    invalid = InvalidCursor("The cursor is not one this server issued; start again with cursor= (empty).")
    try:
        payload = orjson.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        version, key, member_id, backwards, bound_to, issued_at = payload
        value = datetime.fromisoformat(key["t"]) if "t" in key else key["v"]
    except (ValueError, TypeError, KeyError, binascii.Error, orjson.JSONDecodeError):
        raise invalid from None
    if version != 1 or not isinstance(member_id, str) or not isinstance(issued_at, int):
        raise invalid
    if bound_to != fingerprint:
        raise InvalidCursor("The cursor belongs to a different filter or sort order; start again with cursor=.")
    if now - issued_at > timeout:
        raise ExpiredCursor(f"The cursor has expired (cursors last {timeout} seconds); start again with cursor=.")
    return Cursor(value, member_id, bool(backwards), bound_to, issued_at)
