"""Running list and search requests on any resource: filters, order, index paging (RFC 7644 §3.4.2.4) and cursor
paging (RFC 9865), over the resource's `storage.listings.Listings`.

Index paging is what Okta's import uses: `startIndex=1, 101, 201, ...`. Counting the members and skipping
`startIndex - 1` of them grows with the account, so `PagingHints` remembers where each page ended and the total;
the next page then starts by key. A hint is used only while no resource of its type in the account has changed
since it was taken (one index probe), so answers are the same as without hints.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from threading import Lock
from typing import Generic, TypeVar

from sqlalchemy import Connection

from scimkeeper.scim.query import Cursor, ListRequest, decode_cursor, encode_cursor
from scimkeeper.storage.accounts import Account
from scimkeeper.storage.listings import Listing, Listings, Position

E = TypeVar("E")

# Writes are stamped with their transaction's start time; one that started before a hint was taken may commit
# after it. Hints therefore distrust any change stamped up to this long before they were taken.
HINT_MARGIN = timedelta(seconds=30)


@dataclass(frozen=True)
class Page(Generic[E]):
    """One page of a list or search: index paging fills `start_index`, cursor paging the cursors."""

    total: int
    resources: list[E]
    start_index: int | None = None
    next_cursor: str | None = None
    previous_cursor: str | None = None


@dataclass(frozen=True)
class _Hint:
    after: Position | None  # the position of member startIndex - 1 (None: before the first)
    total: int
    taken_at: datetime


_HintKey = tuple[str, str, str, int]  # (resource type, account id, request fingerprint, start index)


class PagingHints:
    """Where recent index pages ended, per resource type, account and query; bounded, thread-safe, per process."""

    def __init__(self, capacity: int = 4096) -> None:
        self._capacity = capacity
        self._hints: OrderedDict[_HintKey, _Hint] = OrderedDict()
        self._lock = Lock()

    def get(self, key: _HintKey) -> _Hint | None:
        with self._lock:
            return self._hints.get(key)

    def put(self, key: _HintKey, hint: _Hint) -> None:
        with self._lock:
            self._hints[key] = hint
            self._hints.move_to_end(key)
            while len(self._hints) > self._capacity:
                self._hints.popitem(last=False)


def search(
    conn: Connection,
    account: Account,
    request: ListRequest,
    listings: Listings[E],
    *,
    now: datetime,
    cursor_timeout: int,
    hints: PagingHints | None = None,
) -> Page[E]:
    """Run a list or search request on a resource's listings: its filter, order, and index or cursor paging."""
    listing = Listing(request.filter, request.sort_by, request.descending)
    if request.cursor is None:
        return _index_page(conn, account, request, listings, listing, now=now, hints=hints)
    return _cursor_page(conn, account, request, listings, listing, now=now, cursor_timeout=cursor_timeout)


def _index_page(
    conn: Connection,
    account: Account,
    request: ListRequest,
    listings: Listings[E],
    listing: Listing,
    *,
    now: datetime,
    hints: PagingHints | None,
) -> Page[E]:
    start, count = request.page.start_index, request.page.count
    # A first page needs no hint (it starts at the start); only a full page may have a next one to hint at. The
    # key is made only then: a lookup (a first page, not full) never hashes its request.
    hint = hints.get(_hint_key(listings, account, request, start)) if hints and start > 1 else None
    if hint is not None and listings.changed_since(conn, account.id, hint.taken_at - HINT_MARGIN):
        hint = None
    if hint is not None:
        total, taken_at = hint.total, hint.taken_at
        rows = listings.seek(conn, account.id, listing, after=hint.after, limit=count) if count else []
    else:
        taken_at = now
        rows = listings.page(conn, account.id, listing, offset=start - 1, limit=count) if count else []
        # A first page that is not full holds every match: Okta's `userName eq` lookup needs no COUNT(*).
        total = len(rows) if start == 1 and len(rows) < count else listings.count(conn, account.id, listing)
    if hints is not None and count and len(rows) == count:  # a lookup's page (not full) leaves no hint
        hints.put(_hint_key(listings, account, request, start + count), _Hint(rows[-1][1], total, taken_at))
    return Page(total, [entity for entity, _ in rows], start_index=start)


def _hint_key(listings: Listings[E], account: Account, request: ListRequest, start: int) -> _HintKey:
    return (listings.resource_type.name, account.id, request.fingerprint, start)


def _cursor_page(
    conn: Connection,
    account: Account,
    request: ListRequest,
    listings: Listings[E],
    listing: Listing,
    *,
    now: datetime,
    cursor_timeout: int,
) -> Page[E]:
    epoch = int(now.timestamp())
    cursor = (
        decode_cursor(request.cursor, fingerprint=request.fingerprint, now=epoch, timeout=cursor_timeout)
        if request.cursor
        else None
    )
    limit = request.page.count
    backwards = cursor.backwards if cursor else False
    total = listings.count(conn, account.id, listing)
    after = (cursor.key, cursor.id) if cursor else None
    rows = listings.seek(conn, account.id, listing, after=after, limit=limit + 1, backwards=backwards) if limit else []
    more = len(rows) > limit
    if more:
        rows = rows[1:] if backwards else rows[:limit]

    def encode(position: Position, *, back: bool) -> str:
        return encode_cursor(Cursor(position[0], position[1], back, request.fingerprint, epoch))

    has_next = bool(rows) and (backwards or more)
    has_previous = bool(rows) and (more if backwards else cursor is not None)
    return Page(
        total,
        [entity for entity, _ in rows],
        next_cursor=encode(rows[-1][1], back=False) if has_next else None,
        previous_cursor=encode(rows[0][1], back=True) if has_previous else None,
    )
