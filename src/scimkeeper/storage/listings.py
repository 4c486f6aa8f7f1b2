"""Listing the live rows of a resource table: filter, order, offset pages, keyset pages and counts.

Generic over a `Listed` table (its columns, its `Layout` for the filter compiler, the entity a row becomes).
Statements are compiled once per *template* (the filter with its values replaced by their types, the sort
attribute, the direction and the kind of page) and prepared (`storage.prepared`): a request of a known template
only computes its parameters. So `userName eq "a@x"` and `userName eq "b@x"` share one statement, and Okta's
lookups cost what their SQL costs.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from threading import Lock
from typing import Any, Generic, TypeVar

from sqlalchemy import Column, ColumnElement, Connection, Table, and_, bindparam, func, or_, select, tuple_
from sqlalchemy.sql.elements import BindParameter

from scimkeeper.scim.filter import (
    AttrPath,
    Compare,
    CompValue,
    Filter,
    filter_template,
    filter_values,
    format_attr_path,
)
from scimkeeper.scim.filter_sql import FilterParameters, Layout, compile_template, sort_key
from scimkeeper.scim.schema import ResourceType
from scimkeeper.storage.prepared import Prepared

E = TypeVar("E")
Position = tuple[Any, str]  # (sort key value, id) of a row in a listing's order
# Every listing statement is scoped to one account by this parameter.
ACCOUNT: BindParameter[str] = bindparam("account_id")
_FIRST_PAGE = ("seek", None, False)  # the statement kind of a first page: by key, from the start, forwards


@dataclass(frozen=True)
class Listing:
    """Which live rows a list request selects, and in which order (creation time, then id, by default)."""

    filter: Filter | None = None
    sort_by: AttrPath | None = None
    descending: bool = False


@dataclass(frozen=True)
class Listed(Generic[E]):
    """A resource table as listings see it."""

    table: Table
    columns: Sequence[Column[Any]]  # what a page returns of each row (then its sort key)
    entity: Callable[[Sequence[Any]], E]  # what a row of `columns` becomes
    live: ColumnElement[bool]  # rows that exist (not removed)
    created: Column[Any]  # the default order
    updated: Column[Any]  # when a row was last created, changed or removed (`changed_since`)
    layout: Callable[[str], Layout]  # per dialect, scoped to the account by `ACCOUNT`
    resource_type: ResourceType
    never_null: frozenset[str] = frozenset()  # names of sort columns that are never NULL on live rows
    # Attributes unique per account (lower case): `attr eq "..."` selects at most one row.
    unique: frozenset[str] = frozenset()


@dataclass(frozen=True)
class _Statement:
    prepared: Prepared
    filter_parameters: FilterParameters | None


@dataclass
class _Template:
    """The statements of one template, one per variant (`FilterParameters.variant`)."""

    parameters: FilterParameters | None
    statements: dict[tuple[Any, ...], _Statement]

    def variant(self, values: Sequence[CompValue]) -> tuple[Any, ...]:
        return () if self.parameters is None else self.parameters.variant(values)


class Listings(Generic[E]):
    """Count, page and seek the live rows of one `Listed` table, with statements cached per template."""

    def __init__(self, listed: Listed[E], capacity: int = 512) -> None:
        self.listed = listed
        self._capacity = capacity
        self._cache: OrderedDict[tuple[Any, ...], _Template] = OrderedDict()
        self._lock = Lock()
        self.id = listed.table.c.id
        self.account = listed.table.c.account_id
        updated = listed.updated
        self._changed_since = Prepared(
            select(self.id).where(self.account == ACCOUNT, updated >= bindparam("since", type_=updated.type)).limit(1)
        )

    @property
    def resource_type(self) -> ResourceType:
        return self.listed.resource_type

    def changed_since(self, conn: Connection, account_id: str, since: Any) -> bool:
        """Whether any row of the account was created, changed or removed at or after `since` (an index probe)."""
        return self._changed_since.first(conn, account_id=account_id, since=since) is not None

    def count(self, conn: Connection, account_id: str, listing: Listing) -> int:
        row = self._run(conn, listing, ("count",), account_id=account_id)
        return int(row[0][0])

    def page(
        self, conn: Connection, account_id: str, listing: Listing, *, offset: int, limit: int
    ) -> list[tuple[E, Position]]:
        """One page by offset (index paging), each entity with its position."""
        if offset == 0:
            return self.seek(conn, account_id, listing, after=None, limit=limit)
        rows = self._run(conn, listing, ("page",), account_id=account_id, offset=offset, limit=limit)
        return self._entities(rows)

    def seek(
        self,
        conn: Connection,
        account_id: str,
        listing: Listing,
        *,
        after: Position | None,
        limit: int,
        backwards: bool = False,
    ) -> list[tuple[E, Position]]:
        """Up to `limit` entities after (or, backwards, before) a position, each with its own position."""
        after_null = None if after is None else after[0] is None
        params: dict[str, Any] = {"account_id": account_id, "limit": limit}
        if after is not None:
            params |= {"after_key": after[0], "after_id": after[1]}
        rows = self._run(conn, listing, ("seek", after_null, backwards), **params)
        if backwards:
            rows.reverse()
        return self._entities(rows)

    def _entities(self, rows: Sequence[Sequence[Any]]) -> list[tuple[E, Position]]:
        """Each row (its columns, then its sort key) as its entity and its position (sort key, id)."""
        entity = self.listed.entity
        return [(entity(row[:-1]), (row[-1], row[0])) for row in rows]

    def plan(self, conn: Connection, account_id: str, listing: Listing) -> str:
        """The database's plan (EXPLAIN) for the first page of `listing`, to check that it uses indexes."""
        statement, params = self._bound(conn, listing, _FIRST_PAGE, account_id=account_id, limit=100)
        return " | ".join(str(row[-1]) for row in statement.prepared.explain(conn, **params))

    def first_page_sql(self, conn: Connection, listing: Listing) -> str:
        """The SQL of the statement that reads the first page of `listing` (for tests and diagnostics)."""
        statement, _ = self._bound(conn, listing, _FIRST_PAGE)
        return statement.prepared.compiled(conn.dialect).sql

    # --- statements ---------------------------------------------------------------------------------------

    def _run(self, conn: Connection, listing: Listing, kind: tuple[Any, ...], **params: Any) -> list[tuple[Any, ...]]:
        statement, bound = self._bound(conn, listing, kind, **params)
        return statement.prepared.all(conn, **bound)

    def _bound(
        self, conn: Connection, listing: Listing, kind: tuple[Any, ...], **params: Any
    ) -> tuple[_Statement, dict[str, Any]]:
        """The statement for `listing` and `kind`, and `params` with the filter's values bound for it."""
        values = filter_values(listing.filter) if listing.filter is not None else []  # walked once per request
        statement = self._statement(conn.dialect.name, listing, kind, values)
        if statement.filter_parameters is not None:
            params |= statement.filter_parameters.bind(values)
        return statement, params

    def _statement(
        self, dialect: str, listing: Listing, kind: tuple[Any, ...], values: Sequence[CompValue]
    ) -> _Statement:
        key = (
            dialect,
            filter_template(listing.filter) if listing.filter is not None else None,
            format_attr_path(listing.sort_by).lower() if listing.sort_by is not None else None,
            listing.descending,
            kind,
        )
        with self._lock:
            template = self._cache.get(key)
            if template is not None:
                self._cache.move_to_end(key)
        variant = template.variant(values) if template is not None else None
        if template is not None and variant in template.statements:
            return template.statements[variant]
        made = self._build(dialect, listing, kind)
        if made.filter_parameters is None and listing.filter is not None:
            return made  # the values decide the SQL: not reusable
        with self._lock:
            template = self._cache.setdefault(key, _Template(made.filter_parameters, {}))
            template.statements[template.variant(values)] = made
            while len(self._cache) > self._capacity:
                self._cache.popitem(last=False)
        return made

    def _build(self, dialect: str, listing: Listing, kind: tuple[Any, ...]) -> _Statement:
        listed = self.listed
        layout = listed.layout(dialect)
        where: list[ColumnElement[bool]] = [self.account == ACCOUNT, listed.live]
        parameters = None
        if listing.filter is not None:
            predicate, parameters = compile_template(listing.filter, listed.resource_type, layout)
            where.append(predicate)
        if kind[0] == "count":
            statement = select(func.count()).select_from(listed.table).where(*where)
            return _Statement(Prepared(statement), parameters)
        key = listed.created if listing.sort_by is None else sort_key(listing.sort_by, listed.resource_type, layout)
        descending = listing.descending
        if kind[0] == "seek":  # by key: the rows themselves, from the order's index
            _, after_null, backwards = kind
            descending = descending != backwards
            if after_null is not None:
                where.append(self._after(key, descending, after_null=after_null))
            rows = select(*listed.columns, key.label("sort_key")).where(*where).limit(bindparam("limit"))
            # At most one row needs no order: and without one, PostgreSQL cannot prefer walking the order's index
            # (filtering every member of the account) over the unique index, as it did when its statistics lagged
            # behind a bulk import (111 lookups/s at 20,000 members).
            if not self._selects_one(listing):
                rows = rows.order_by(*self._order(key, self.id, descending))
            return _Statement(Prepared(rows), parameters)
        # By offset: ids and keys first (an index-only scan past the offset), then the rows of just that page.
        keys = (
            select(self.id.label("id"), key.label("sort_key"))
            .where(*where)
            .order_by(*self._order(key, self.id, descending))
            .limit(bindparam("limit"))
            .offset(bindparam("offset"))
            .subquery("page")
        )
        statement = (
            select(*listed.columns, keys.c.sort_key)
            .join_from(keys, listed.table, listed.table.c.id == keys.c.id)
            .order_by(*self._order(keys.c.sort_key, keys.c.id, descending))
        )
        return _Statement(Prepared(statement), parameters)

    def _selects_one(self, listing: Listing) -> bool:
        """Whether the filter is `attr eq value` on an attribute unique per account (Okta's userName lookup)."""
        match listing.filter:
            case Compare(AttrPath(urn, attr, None), "eq", str()):
                core = urn is None or urn.lower() == self.listed.resource_type.schema.id.lower()
                return core and attr.lower() in self.listed.unique
            case _:
                return False

    @staticmethod
    def _order(key: ColumnElement[Any], id_: ColumnElement[Any], descending: bool) -> list[Any]:
        """Nulls sort as the greatest value; the id breaks ties."""
        if descending:
            return [key.desc().nulls_first(), id_.desc()]
        return [key.asc().nulls_last(), id_.asc()]

    def _after(self, key: ColumnElement[Any], descending: bool, *, after_null: bool) -> ColumnElement[bool]:
        """Rows strictly after the position (`after_key`, `after_id`) in the order `_order(key, descending)`.

        A row-value comparison `(key, id) > (?, ?)` is an index range on both databases; the NULL cases are only
        added for keys that can be NULL.
        """
        after_id = bindparam("after_id", type_=self.id.type)
        if after_null:  # only NULL keys remain after a NULL (ascending); descending, NULLs came first
            if descending:
                return or_(key.is_not(None), and_(key.is_(None), self.id < after_id))
            return and_(key.is_(None), self.id > after_id)
        after_key = bindparam("after_key", type_=key.type)
        nullable = not (isinstance(key, Column) and (key.name in self.listed.never_null or not key.nullable))
        if descending:
            return tuple_(key, self.id) < tuple_(after_key, after_id)
        after = tuple_(key, self.id) > tuple_(after_key, after_id)
        return or_(after, key.is_(None)) if nullable else after
