"""SCIM filters and sort keys (RFC 7644 §3.4.2.2, §3.4.2.3) compiled to SQLAlchemy Core, bound parameters only.

The only SQL-aware module of scim/. Storage describes where each attribute lives (`Layout`): indexed columns,
child tables for multi-valued attributes, and the JSON document for everything else. Which paths may be named,
and which operators and values suit an attribute, are the reference evaluator's rules (`filter_eval`), imported,
so both refuse the same filters. Code-point order is SQLite's BINARY and PostgreSQL's "C" collation; folded
strings come from the search document (`scim.keys.search_document`). The semantics, choices where RFC 7644 is
silent included, are the reference evaluator's, listed once at the top of `filter_eval`; the property tests
(tests/integration/test_filter_property.py) hold the two to them on both databases.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ARRAY,
    JSON,
    Boolean,
    ColumnElement,
    Float,
    FromClause,
    String,
    Text,
    and_,
    bindparam,
    cast,
    column,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB

from scimkeeper.scim.errors import InvalidFilter
from scimkeeper.scim.filter import (
    And,
    AttrPath,
    Compare,
    CompareOp,
    CompValue,
    Filter,
    Not,
    Or,
    Present,
    ValuePath,
    filter_values,
)
from scimkeeper.scim.filter_eval import (
    compare_keys,
    comparison_key,
    comparison_target,
    filter_target,
    inner_target,
    value_path_target,
)
from scimkeeper.scim.paths import Resolved, implied_value
from scimkeeper.scim.schema import Attribute, ResourceType

Predicate = ColumnElement[bool]
Derive = Callable[[CompValue], Any]  # a comparison value → the parameter bound for it (validating it)


@dataclass(frozen=True)
class FilterParameters:
    """How a compiled filter binds the values of another filter with the same `filter.filter_template`."""

    recipes: tuple[tuple[str, int, Derive], ...]  # (parameter name, index in `filter_values`, derivation)
    # Keys written into the SQL instead of bound (booleans, for the query planner): (index, derivation).
    inlined: tuple[tuple[int, Derive], ...] = ()

    def bind(self, values: Sequence[CompValue]) -> dict[str, Any]:
        """The parameters for another filter's `filter.filter_values`."""
        return {name: derive(values[index]) for name, index, derive in self.recipes}

    def variant(self, values: Sequence[CompValue]) -> tuple[Any, ...]:
        """The inlined keys of a filter's values: filters of one template share a statement only when these are
        equal too."""
        return tuple(derive(values[index]) for index, derive in self.inlined)


@dataclass(frozen=True)
class ChildTable:
    """A multi-valued attribute kept in its own table, one row per value."""

    table: FromClause
    parent_id: ColumnElement[str]
    scope: Predicate  # restricts the table to the account, so lookups use the (account, key) indexes
    columns: Mapping[str, ColumnElement[Any]]  # sub-attribute → column (folded text where caseExact is false)
    primary: ColumnElement[bool]
    position: ColumnElement[int]


@dataclass(frozen=True)
class Layout:
    """Where storage keeps each attribute of one resource type."""

    dialect: str
    id: ColumnElement[str]
    # The canonical document with the strings of caseExact=false attributes folded (`scim.keys.search_document`).
    search_document: ColumnElement[Any]
    # Document key → indexed column (holding folded text where the attribute's caseExact is false).
    columns: Mapping[tuple[str, ...], ColumnElement[Any]]
    children: Mapping[str, ChildTable] = field(default_factory=dict)
    resource_type_name: str = "User"
    absent: frozenset[str] = frozenset({"groups"})  # attributes not stored: they match nothing


def compile_template(
    f: Filter, resource_type: ResourceType, layout: Layout
) -> tuple[Predicate, FilterParameters | None]:
    """A WHERE clause for `f` (InvalidFilter for unknown attributes and ill-typed comparisons), and how to reuse
    it for any filter of the same template (None: it cannot be).

    Comparison values become named parameters (`filter_0`, ...). The SQL depends on the template only, except
    where a value decides it at compile time (`meta.resourceType eq ...` is true or false): then None.
    """
    compiler = _Compiler(resource_type, layout)
    predicate = compiler.filter(f)
    parameters = FilterParameters(tuple(compiler.recipes), tuple(compiler.inlined))
    return predicate, parameters if compiler.reusable else None


@dataclass(frozen=True)
class _Slot:
    """One comparison value being compiled: its comparison key, and how to derive it from another value."""

    key: Any
    derive: Derive
    index: int
    compiler: _Compiler

    def bind(self, type_: Any, shape: Callable[[Any], Any] | None = None) -> Any:
        """A named parameter for the key (or `shape(key)`), recorded so another filter's value can fill it."""
        recipes = self.compiler.recipes
        name = f"filter_{len(recipes)}"
        derive = self.derive if shape is None else _then(self.derive, shape)
        recipes.append((name, self.index, derive))
        return bindparam(name, self.key if shape is None else shape(self.key), type_=type_)

    def inline(self) -> Any:
        """The key written into the SQL: a planner picks an index by a constant (`active = 0` is rare, so the
        `active` index), not by a parameter. The statement then depends on the key (`FilterParameters.variant`)."""
        self.compiler.inlined.append((self.index, self.derive))
        return true() if self.key else false()


def _then(first: Derive, then: Callable[[Any], Any]) -> Derive:
    return lambda value: then(first(value))


def sort_key(path: AttrPath, resource_type: ResourceType, layout: Layout) -> ColumnElement[Any]:
    """The ORDER BY expression of `sortBy`; a multi-valued attribute sorts by its primary value."""
    return _Compiler(resource_type, layout).sort_key(filter_target(path, resource_type))


class _Compiler:
    def __init__(self, resource_type: ResourceType, layout: Layout) -> None:
        self.resource_type = resource_type
        self.layout = layout
        self.json = _POSTGRES_JSON if layout.dialect == "postgresql" else _SQLITE_JSON
        self.recipes: list[tuple[str, int, Derive]] = []
        self.inlined: list[tuple[int, Derive]] = []
        self.compared = 0  # comparisons visited so far: the index of the next one in `filter_values`
        self.reusable = True

    def slot(self, leaf: Resolved, op: CompareOp, value: CompValue, index: int) -> _Slot:
        """Validate `value` against the attribute and make it a parameter slot."""

        def derive(other: CompValue) -> Any:
            return comparison_key(leaf, op, other)

        return _Slot(derive(value), derive, index, self)

    def next_comparison(self) -> int:
        """Comparisons are visited in the order they are written; each takes the next index."""
        self.compared += 1
        return self.compared - 1

    def filter(self, f: Filter) -> Predicate:
        match f:
            case And(left, right):
                return and_(self.filter(left), self.filter(right))
            case Or(left, right):
                return or_(self.filter(left), self.filter(right))
            case Not(inner):
                return not_(self.filter(inner))
            case Present(path):
                return self.present(filter_target(path, self.resource_type))
            case Compare(path, op, value):
                return self.compare(filter_target(path, self.resource_type), op, value)
            case ValuePath(path, inner):  # pragma: no branch - Filter is a closed union: nothing falls through
                return self.value_path(value_path_target(filter_target(path, self.resource_type)), inner)

    # --- leaves on the resource ---------------------------------------------------------------------------

    def present(self, target: Resolved) -> Predicate:
        if target.attribute.name in self.layout.absent:
            return false()
        if target.attribute.multi_valued:
            # The whole list is read from the document: a child table may keep only the values it can index.
            by_document = target.sub is None
            return self._any_element(target, lambda element: element.present(target.sub), by_document=by_document)
        indexed = self.layout.columns.get(target.key)
        if indexed is not None:
            return _present_column(indexed, target.target)
        if target.key[:1] == ("meta",):
            return true()  # meta, meta.resourceType, created and lastModified always have a value
        return self._present_json(target)

    def compare(self, target: Resolved, op: CompareOp, value: CompValue) -> Predicate:
        index = self.next_comparison()
        if value is None and op in ("eq", "ne"):  # `eq null` means unassigned, `ne null` assigned
            present = self.present(target)
            return not_(present) if op == "eq" else present
        leaf = comparison_target(target)
        bound = self.slot(leaf, op, value, index)
        if leaf.attribute.name in self.layout.absent:
            return false()
        if leaf.attribute.multi_valued:
            return self._any_element(leaf, lambda element: element.compare(leaf.sub, op, bound))
        if leaf.key == ("meta", "resourceType"):
            self.reusable = False  # the value decides the SQL
            return true() if compare_keys(op, self.layout.resource_type_name, bound.key) else false()
        indexed = self.layout.columns.get(leaf.key)
        if indexed is not None:
            return _guarded(indexed, op, bound, self.layout.dialect)
        expression = self.json.typed(self.layout.search_document, leaf.key, leaf.target.type)
        return _guarded(expression, op, bound, self.layout.dialect)

    def value_path(self, target: Resolved, inner: Filter) -> Predicate:
        if target.attribute.name in self.layout.absent:
            self.compared += len(filter_values(inner))  # skipped: the next comparison keeps its index
            return false()
        if not target.attribute.multi_valued:
            # One value: `name[givenName eq "x"]` is `name.givenName eq "x"` on a resource that has a name.
            return and_(self.present(target), self.filter(_lifted(inner, target)))
        return self._any_element(target, lambda element: element.filter(inner, target))

    def _present_json(self, target: Resolved) -> Predicate:
        text = self.json.text(self.layout.search_document, target.key)
        if target.target.type in ("string", "reference", "binary"):
            return and_(text.is_not(None), text != "")
        return text.is_not(None)

    def _any_element(
        self, target: Resolved, predicate: Callable[[_Elements], Predicate], *, by_document: bool = False
    ) -> Predicate:
        child = None if by_document else self.layout.children.get(target.attribute.name)
        if child is not None:
            # An IN (semi-join) lets the database start from the child table's (account, value) index.
            condition = predicate(_ChildElements(self, target.attribute, child))
            return self.layout.id.in_(select(child.parent_id).where(child.scope, condition))
        json_elements = _JsonElements(self, target.attribute, target.attribute_key)
        condition = predicate(json_elements)
        return exists(select(literal(1)).select_from(json_elements.source).where(condition))

    # --- sorting -----------------------------------------------------------------------------------------

    def sort_key(self, target: Resolved) -> ColumnElement[Any]:
        if target.attribute.name in self.layout.absent:
            raise InvalidFilter(f"{target.name} cannot be used to sort.")
        if target.attribute.multi_valued:
            return self._primary_value(comparison_target(target))
        if target.target.type == "complex":
            raise InvalidFilter(f"{target.name} is complex; sort by one of its sub-attributes.")
        indexed = self.layout.columns.get(target.key)
        if indexed is not None:
            return indexed
        typed = self.json.typed(self.layout.search_document, target.key, target.target.type)
        return _bytewise(typed, self.layout.dialect)

    def _primary_value(self, leaf: Resolved) -> ColumnElement[Any]:
        child = self.layout.children.get(leaf.attribute.name)
        if child is None or leaf.sub is None or leaf.sub.name not in child.columns:
            raise InvalidFilter(f"{leaf.name} cannot be used to sort.")
        return (
            select(child.columns[leaf.sub.name])
            .where(child.parent_id == self.layout.id)
            .order_by(child.primary.desc(), child.position)
            .limit(1)
            .scalar_subquery()
        )


def _lifted(f: Filter, parent: Resolved) -> Filter:
    """A value filter on a singular attribute, as a filter on the resource: `givenName` becomes `name.givenName`."""
    match f:
        case And(left, right):
            return And(_lifted(left, parent), _lifted(right, parent))
        case Or(left, right):
            return Or(_lifted(left, parent), _lifted(right, parent))
        case Not(inner):
            return Not(_lifted(inner, parent))
        case Present(path):
            return Present(_outer(path, parent))
        case Compare(path, op, value):
            return Compare(_outer(path, parent), op, value)
        case ValuePath():  # pragma: no cover - the parser never nests value filters
            raise InvalidFilter("A value filter cannot contain another value filter.")


def _outer(path: AttrPath, parent: Resolved) -> AttrPath:
    inner = inner_target(parent, path)
    assert inner.sub is not None
    return AttrPath(parent.extension, parent.attribute.name, inner.sub.name)


# --- the elements of a multi-valued attribute ---------------------------------------------------------------


class _Elements:
    """The values of one multi-valued attribute, as seen from inside an EXISTS or IN subquery."""

    def __init__(self, compiler: _Compiler, attribute: Attribute) -> None:
        self.compiler = compiler
        self.dialect = compiler.layout.dialect
        self.attribute = attribute

    def present(self, sub: Attribute | None) -> Predicate:
        if sub is not None and implied_value(self.attribute, sub) is not None:
            return true()  # never unassigned
        return self._present(sub)

    def _present(self, sub: Attribute | None) -> Predicate:
        raise NotImplementedError  # pragma: no cover - abstract: _ChildElements and _JsonElements override it

    def compare(self, sub: Attribute | None, op: CompareOp, bound: _Slot) -> Predicate:
        raise NotImplementedError  # pragma: no cover - abstract: _ChildElements and _JsonElements override it

    def filter(self, f: Filter, parent: Resolved) -> Predicate:
        match f:
            case And(left, right):
                return and_(self.filter(left, parent), self.filter(right, parent))
            case Or(left, right):
                return or_(self.filter(left, parent), self.filter(right, parent))
            case Not(inner):
                return not_(self.filter(inner, parent))
            case Present(path):
                return self.present(inner_target(parent, path).sub)
            case Compare(path, op, value):
                index = self.compiler.next_comparison()
                target = inner_target(parent, path)
                if value is None and op in ("eq", "ne"):
                    present = self.present(target.sub)
                    return not_(present) if op == "eq" else present
                return self.compare(target.sub, op, self.compiler.slot(target, op, value, index))
            case ValuePath():  # pragma: no cover - the parser never nests value filters
                raise InvalidFilter("A value filter cannot contain another value filter.")


class _ChildElements(_Elements):
    def __init__(self, compiler: _Compiler, attribute: Attribute, child: ChildTable) -> None:
        super().__init__(compiler, attribute)
        self.child = child

    def _column(self, sub: Attribute | None) -> ColumnElement[Any]:
        name = "value" if sub is None else sub.name
        if name not in self.child.columns:  # pragma: no cover - storage keeps every sub-attribute it declares
            raise InvalidFilter(f"The sub-attribute {name} cannot be used in a filter.")
        return self.child.columns[name]

    def _present(self, sub: Attribute | None) -> Predicate:
        return _present_text(self._column(sub))

    def compare(self, sub: Attribute | None, op: CompareOp, bound: _Slot) -> Predicate:
        return _guarded(self._column(sub), op, bound, self.dialect)


class _JsonElements(_Elements):
    def __init__(self, compiler: _Compiler, attribute: Attribute, key: tuple[str, ...]) -> None:
        super().__init__(compiler, attribute)
        self.source, self.value = compiler.json.elements(compiler.layout.search_document, key, attribute)

    def _present(self, sub: Attribute | None) -> Predicate:
        if sub is None:
            # Documents keep no empty objects; a simple value may be "".
            return true() if self.attribute.type == "complex" else _present_text(self.value)
        expression = self.compiler.json.element_typed(self.value, sub.name, "string")
        if sub.type in ("string", "reference", "binary"):
            return _present_text(expression)
        return expression.is_not(None)

    def compare(self, sub: Attribute | None, op: CompareOp, bound: _Slot) -> Predicate:
        if sub is None:
            return _guarded(self.value, op, bound, self.dialect)
        expression = self.compiler.json.element_typed(self.value, sub.name, sub.type)
        implied = implied_value(self.attribute, sub)
        if implied is not None:
            expression = func.coalesce(expression, literal(implied))
        return _guarded(expression, op, bound, self.dialect)


# --- dialects -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _JsonDialect:
    """How one database reads values out of the JSON document."""

    text: Callable[[ColumnElement[Any], tuple[str, ...]], ColumnElement[Any]]
    typed: Callable[[ColumnElement[Any], tuple[str, ...], str], ColumnElement[Any]]
    elements: Callable[[ColumnElement[Any], tuple[str, ...], Attribute], tuple[FromClause, ColumnElement[Any]]]
    element_typed: Callable[[ColumnElement[Any], str, str], ColumnElement[Any]]


def _json_typed(document: ColumnElement[Any], key: tuple[str, ...], kind: str) -> ColumnElement[Any]:
    value = document[key]
    typed: ColumnElement[Any]
    match kind:
        case "boolean":
            typed = value.as_boolean()
        case "integer" | "decimal":
            typed = value.as_float()
        case _:
            typed = value.as_string()
    return typed


def _sqlite_elements(
    document: ColumnElement[Any], key: tuple[str, ...], attribute: Attribute
) -> tuple[FromClause, ColumnElement[Any]]:
    source = func.json_each(document, _sqlite_path(key)).table_valued("value").alias("element")
    return source, source.c.value


def _sqlite_path(key: tuple[str, ...]) -> str:
    return "$" + "".join('."' + part.replace('"', '""') + '"' for part in key)


def _sqlite_element_typed(value: ColumnElement[Any], sub: str, kind: str) -> ColumnElement[Any]:
    extracted = func.json_extract(value, _sqlite_path((sub,)))
    if kind == "boolean":
        return cast(extracted, Boolean)
    if kind in ("integer", "decimal"):
        return cast(extracted, Float)
    return cast(extracted, String)


def _postgres_elements(
    document: ColumnElement[Any], key: tuple[str, ...], attribute: Attribute
) -> tuple[FromClause, ColumnElement[Any]]:
    array = document.op("#>")(cast(list(key), _TEXT_ARRAY))
    if attribute.type == "complex":
        source = func.jsonb_array_elements(array).table_valued(column("value", JSONB)).alias("element")
    else:
        source = func.jsonb_array_elements_text(array).table_valued(column("value", String)).alias("element")
    return source, source.c.value


def _postgres_element_typed(value: ColumnElement[Any], sub: str, kind: str) -> ColumnElement[Any]:
    text: ColumnElement[Any] = value.op("->>", return_type=Text)(sub)
    if kind == "boolean":
        return cast(value.op("->", return_type=JSONB)(sub), Boolean)
    if kind in ("integer", "decimal"):
        return cast(text, Float)
    return text


def _json_text(document: ColumnElement[Any], key: tuple[str, ...]) -> ColumnElement[Any]:
    text: ColumnElement[Any] = document[key].as_string()
    return text


_TEXT_ARRAY = ARRAY(Text)
_SQLITE_JSON = _JsonDialect(_json_text, _json_typed, _sqlite_elements, _sqlite_element_typed)
_POSTGRES_JSON = _JsonDialect(_json_text, _json_typed, _postgres_elements, _postgres_element_typed)


# --- leaf predicates ----------------------------------------------------------------------------------------


def _bytewise(expression: ColumnElement[Any], dialect: str) -> ColumnElement[Any]:
    """Code-point order for text: PostgreSQL's "C" collation (SQLite's BINARY is already that)."""
    if dialect == "postgresql" and isinstance(expression.type, String | JSON):
        return expression.collate("C")
    return expression


def _guarded(expression: ColumnElement[Any], op: CompareOp, bound: _Slot, dialect: str) -> Predicate:
    """`expression op bound`, false (never NULL) when the expression is NULL."""
    return and_(expression.is_not(None), _operator(expression, op, bound, dialect))


def _operator(expression: ColumnElement[Any], op: CompareOp, bound: _Slot, dialect: str) -> Predicate:
    # The key's type follows from the attribute's type alone, so this branch depends on the template only.
    if isinstance(bound.key, str) and op in ("gt", "ge", "lt", "le"):
        expression = _bytewise(expression, dialect)
    if op in _PATTERNS:
        return expression.like(bound.bind(String(), _PATTERNS[op]), escape="/")
    value = bound.inline() if isinstance(bound.key, bool) else bound.bind(expression.type)
    predicate: Predicate
    match op:
        case "eq":
            predicate = expression == value
        case "ne":
            predicate = expression != value
        case "gt":
            predicate = expression > value
        case "ge":
            predicate = expression >= value
        case "lt":
            predicate = expression < value
        case _:  # "le"
            predicate = expression <= value
    return predicate


_PATTERNS: dict[str, Callable[[Any], str]] = {
    "co": lambda key: f"%{_escape_like(key)}%",
    "sw": lambda key: f"{_escape_like(key)}%",
    "ew": lambda key: f"%{_escape_like(key)}",
}


def _escape_like(text: str) -> str:
    """The pattern is one bound parameter (not `? || '%'`), so `LIKE 'prefix%'` can use an index."""
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_")


def _present_column(expression: ColumnElement[Any], attribute: Attribute) -> Predicate:
    if attribute.type in ("string", "reference"):
        return _present_text(expression)
    return expression.is_not(None)


def _present_text(expression: ColumnElement[Any]) -> Predicate:
    return and_(expression.is_not(None), expression != "")
