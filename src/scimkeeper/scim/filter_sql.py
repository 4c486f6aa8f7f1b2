"""SCIM filters and sort keys (RFC 7644 §3.4.2.2, §3.4.2.3) compiled to SQLAlchemy Core, bound parameters only.

The only SQL-aware module of scim/. Storage describes where each attribute lives (`Layout`): indexed columns,
child tables for multi-valued attributes, and the JSON document for everything else. Semantics, shared with the
reference evaluator `filter_eval`:

- every comparison is two-valued: on an absent attribute it is false (also `ne`), so `not (...)` is its exact
  complement;
- a multi-valued attribute matches when any of its values matches; `emails co "x"` means `emails.value co "x"`;
- strings of `caseExact: false` attributes compare case-folded (`scim.keys.fold`), others exactly; ordering
  operators compare code points (SQLite's BINARY, PostgreSQL's "C" collation);
- `eq null` matches an unassigned attribute and `ne null` an assigned one; `groups` has no values until groups
  exist.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
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
from scimkeeper.scim.filter import And, Compare, CompareOp, CompValue, Filter, Not, Or, Present, ValuePath
from scimkeeper.scim.keys import fold
from scimkeeper.scim.paths import Resolved, resolve, resolve_sub
from scimkeeper.scim.schema import Attribute, ResourceType

Predicate = ColumnElement[bool]
_ORDERING: frozenset[CompareOp] = frozenset({"gt", "ge", "lt", "le"})
_SUBSTRING: frozenset[CompareOp] = frozenset({"co", "sw", "ew"})
_EQUALITY: frozenset[CompareOp] = frozenset({"eq", "ne"})
_ALLOWED: Mapping[str, frozenset[CompareOp]] = {
    "string": _EQUALITY | _SUBSTRING | _ORDERING,
    "reference": _EQUALITY | _SUBSTRING | _ORDERING,
    "boolean": _EQUALITY,
    "binary": _EQUALITY | _SUBSTRING,
    "integer": _EQUALITY | _ORDERING,
    "decimal": _EQUALITY | _ORDERING,
    "dateTime": _EQUALITY | _ORDERING,
}
# Readable only, never filterable: derived from other columns or secret.
_NOT_FILTERABLE = {("meta", "location"), ("meta", "version"), ("password",)}


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


def compile_filter(f: Filter, resource_type: ResourceType, layout: Layout) -> Predicate:
    """A WHERE clause for `f`; InvalidFilter for unknown attributes and ill-typed comparisons."""
    return _Compiler(resource_type, layout).filter(f)


def sort_key(path: Any, resource_type: ResourceType, layout: Layout) -> ColumnElement[Any]:
    """The ORDER BY expression of `sortBy` (an AttrPath); a multi-valued attribute sorts by its primary value."""
    return _Compiler(resource_type, layout).sort_key(resolve(path, resource_type, InvalidFilter))


def comparison_value(attribute: Attribute, op: CompareOp, value: CompValue, name: str) -> Any:
    """Check that `op` and `value` suit the attribute's type; return the value to bind (folded, parsed)."""
    kind = attribute.type
    if kind == "complex":
        raise InvalidFilter(f"{name} is a complex attribute; compare one of its sub-attributes, e.g. {name}.value.")
    if op not in _ALLOWED[kind]:
        raise InvalidFilter(f'The operator "{op}" cannot compare {name}, which is a {kind}.')
    if value is None:
        raise InvalidFilter(f'{name} can be compared with null by "eq" and "ne" only (or use "{name} pr").')
    match kind:
        case "boolean":
            return _boolean(value, name)
        case "integer" | "decimal":
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidFilter(f"{name} is a number; compare it with a number.")
            return value
        case "dateTime":
            return _instant(value, name)
        case _:
            if not isinstance(value, str):
                raise InvalidFilter(f"{name} is a string; compare it with a quoted string.")
            return value if attribute.case_exact else fold(value)


def _boolean(value: CompValue, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):  # Entra sends "True"
        return value.lower() == "true"
    raise InvalidFilter(f"{name} is a boolean; compare it with true or false.")


def _instant(value: CompValue, name: str) -> datetime:
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            pass
        else:
            if moment.tzinfo is not None:
                return moment
    raise InvalidFilter(f'{name} is a date-time; compare it with a quoted instant such as "2026-01-31T12:00:00Z".')


class _Compiler:
    def __init__(self, resource_type: ResourceType, layout: Layout) -> None:
        self.resource_type = resource_type
        self.layout = layout
        self.json = _POSTGRES_JSON if layout.dialect == "postgresql" else _SQLITE_JSON

    def filter(self, f: Filter) -> Predicate:
        match f:
            case And(left, right):
                return and_(self.filter(left), self.filter(right))
            case Or(left, right):
                return or_(self.filter(left), self.filter(right))
            case Not(inner):
                return not_(self.filter(inner))
            case Present(path):
                return self.present(resolve(path, self.resource_type, InvalidFilter))
            case Compare(path, op, value):
                return self.compare(resolve(path, self.resource_type, InvalidFilter), op, value)
            case ValuePath(path, inner):
                return self.value_path(resolve(path, self.resource_type, InvalidFilter), inner)

    # --- leaves on the resource ---------------------------------------------------------------------------

    def present(self, target: Resolved) -> Predicate:
        self._check_filterable(target)
        if target.attribute.name in self.layout.absent:
            return false()
        if target.attribute.multi_valued:
            sub = target.sub.name if target.sub else None
            return self._any_element(target.attribute, lambda element: element.present(sub))
        indexed = self.layout.columns.get(target.key)
        if indexed is not None:
            return _present_column(indexed, target.target)
        if target.key[:1] == ("meta",):
            return true()  # meta.resourceType, created and lastModified always have a value
        return self._present_json(target)

    def compare(self, target: Resolved, op: CompareOp, value: CompValue) -> Predicate:
        if value is None and op in ("eq", "ne"):  # `eq null` means unassigned, `ne null` assigned
            present = self.present(target)
            return not_(present) if op == "eq" else present
        self._check_filterable(target)
        if target.attribute.name in self.layout.absent:
            comparison_value(target.target, op, value, target.name)
            return false()
        if target.attribute.multi_valued:
            sub = self._value_sub(target)
            bound = comparison_value(sub or target.attribute, op, value, target.name)
            name = sub.name if sub else None
            return self._any_element(target.attribute, lambda element: element.compare(name, op, bound))
        bound = comparison_value(target.target, op, value, target.name)
        if target.key == ("meta", "resourceType"):
            return true() if _python_compare(self.layout.resource_type_name, op, bound) else false()
        indexed = self.layout.columns.get(target.key)
        if indexed is not None:
            return _guarded(indexed, op, bound, self.layout.dialect)
        return self._compare_json(target, op, bound)

    def value_path(self, target: Resolved, inner: Filter) -> Predicate:
        if not target.attribute.multi_valued or target.attribute.type != "complex":
            raise InvalidFilter(f"{target.name}[...] needs a multi-valued complex attribute; {target.name} is not one.")
        if target.attribute.name in self.layout.absent:
            return false()
        return self._any_element(target.attribute, lambda element: element.filter(inner, target, self))

    def _check_filterable(self, target: Resolved) -> None:
        if tuple(k for k in target.key if not k.startswith("urn:")) in _NOT_FILTERABLE:
            raise InvalidFilter(f"{target.name} cannot be used in a filter.")

    def _value_sub(self, target: Resolved) -> Attribute | None:
        """The sub-attribute a multi-valued comparison tests: the named one, else `value` of a complex one."""
        if target.sub is not None or target.attribute.type != "complex":
            return target.sub
        value = target.attribute.sub_attribute("value")
        if value is None:
            raise InvalidFilter(f"{target.name} has no value sub-attribute; compare one of its sub-attributes.")
        return value

    # --- JSON document ------------------------------------------------------------------------------------

    def _present_json(self, target: Resolved) -> Predicate:
        text = self.json.text(self.layout.search_document, target.key)
        if target.target.type in ("string", "reference", "binary"):
            return and_(text.is_not(None), text != "")
        return text.is_not(None)

    def _compare_json(self, target: Resolved, op: CompareOp, bound: Any) -> Predicate:
        expression = self.json.typed(self.layout.search_document, target.key, target.target.type)
        return _guarded(expression, op, bound, self.layout.dialect)

    def _any_element(self, attribute: Attribute, predicate: Callable[[_Elements], Predicate]) -> Predicate:
        child = self.layout.children.get(attribute.name)
        if child is not None:
            # An IN (semi-join) lets the database start from the child table's (account, value) index.
            condition = predicate(_ChildElements(child, self.layout.dialect))
            return self.layout.id.in_(select(child.parent_id).where(child.scope, condition))
        key = (attribute.name,) if self._in_core(attribute) else (self._extension_of(attribute), attribute.name)
        json_elements = _JsonElements(self, attribute, key)
        condition = predicate(json_elements)
        return exists(select(literal(1)).select_from(json_elements.source).where(condition))

    def _in_core(self, attribute: Attribute) -> bool:
        return attribute.name == "schemas" or self.resource_type.schema.attribute(attribute.name) is attribute

    def _extension_of(self, attribute: Attribute) -> str:
        for schema, _required in self.resource_type.extensions:
            if schema.attribute(attribute.name) is attribute:
                return schema.id
        raise AssertionError(f"{attribute.name} belongs to no schema")  # pragma: no cover - resolve() found it

    # --- sorting -----------------------------------------------------------------------------------------

    def sort_key(self, target: Resolved) -> ColumnElement[Any]:
        if target.attribute.name in self.layout.absent or tuple(target.key) in _NOT_FILTERABLE:
            raise InvalidFilter(f"{target.name} cannot be used to sort.")
        if target.attribute.multi_valued:
            return self._primary_value(target)
        if target.target.type == "complex":
            raise InvalidFilter(f"{target.name} is complex; sort by one of its sub-attributes.")
        indexed = self.layout.columns.get(target.key)
        if indexed is not None:
            return indexed
        typed = self.json.typed(self.layout.search_document, target.key, target.target.type)
        return _bytewise(typed, self.layout.dialect)

    def _primary_value(self, target: Resolved) -> ColumnElement[Any]:
        sub = self._value_sub(target)
        child = self.layout.children.get(target.attribute.name)
        if child is None or sub is None:
            raise InvalidFilter(f"{target.name} cannot be used to sort.")
        value = child.columns[sub.name]
        return (
            select(value)
            .where(child.parent_id == self.layout.id)
            .order_by(child.primary.desc(), child.position)
            .limit(1)
            .scalar_subquery()
        )


# --- the elements of a multi-valued attribute ---------------------------------------------------------------


class _Elements:
    """The values of one multi-valued attribute, as seen from inside an EXISTS subquery."""

    def present(self, sub: str | None) -> Predicate:
        raise NotImplementedError

    def compare(self, sub: str | None, op: CompareOp, bound: Any) -> Predicate:
        raise NotImplementedError

    def filter(self, f: Filter, parent: Resolved, compiler: _Compiler) -> Predicate:
        match f:
            case And(left, right):
                return and_(self.filter(left, parent, compiler), self.filter(right, parent, compiler))
            case Or(left, right):
                return or_(self.filter(left, parent, compiler), self.filter(right, parent, compiler))
            case Not(inner):
                return not_(self.filter(inner, parent, compiler))
            case Present(path):
                return self.present(self._sub(path, parent).target.name)
            case Compare(path, op, value):
                target = self._sub(path, parent)
                return self.compare(target.target.name, op, comparison_value(target.target, op, value, target.name))
            case ValuePath():
                raise InvalidFilter("A value filter cannot contain another value filter.")  # pragma: no cover

    @staticmethod
    def _sub(path: Any, parent: Resolved) -> Resolved:
        if path.urn is not None or path.sub_attr is not None:
            raise InvalidFilter(f"Inside {parent.name}[...] name sub-attributes of {parent.name} only.")
        return resolve_sub(parent, path.attr, InvalidFilter)


class _ChildElements(_Elements):
    def __init__(self, child: ChildTable, dialect: str) -> None:
        self.child = child
        self.dialect = dialect

    def _column(self, sub: str | None) -> ColumnElement[Any]:
        name = sub or "value"
        if name not in self.child.columns:
            raise InvalidFilter(f"The sub-attribute {name} cannot be used in a filter.")  # pragma: no cover
        return self.child.columns[name]

    def present(self, sub: str | None) -> Predicate:
        column_ = self._column(sub)
        if sub == "primary":
            return column_.is_(True)
        return _present_text(column_)

    def compare(self, sub: str | None, op: CompareOp, bound: Any) -> Predicate:
        return _guarded(self._column(sub), op, bound, self.dialect)


class _JsonElements(_Elements):
    def __init__(self, compiler: _Compiler, attribute: Attribute, key: tuple[str, ...]) -> None:
        self.attribute = attribute
        self.compiler = compiler
        self.dialect = compiler.layout.dialect
        self.source, self.value = compiler.json.elements(compiler.layout.search_document, key, attribute)

    def _definition(self, sub: str | None) -> Attribute:
        if sub is None:
            return self.attribute
        definition = self.attribute.sub_attribute(sub)
        assert definition is not None
        return definition

    def _expression(self, sub: str | None) -> ColumnElement[Any]:
        definition = self._definition(sub)
        if sub is None:
            return self.value
        return self.compiler.json.element_typed(self.value, sub, definition.type)

    def present(self, sub: str | None) -> Predicate:
        if sub is None:
            return true()
        expression = self.compiler.json.element_typed(self.value, sub, "string")
        if self._definition(sub).type in ("string", "reference", "binary"):
            return and_(expression.is_not(None), expression != "")
        return expression.is_not(None)

    def compare(self, sub: str | None, op: CompareOp, bound: Any) -> Predicate:
        return _guarded(self._expression(sub), op, bound, self.dialect)


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


def _guarded(expression: ColumnElement[Any], op: CompareOp, bound: Any, dialect: str) -> Predicate:
    """`expression op bound`, false (never NULL) when the expression is NULL."""
    return and_(expression.is_not(None), _operator(expression, op, bound, dialect))


def _operator(expression: ColumnElement[Any], op: CompareOp, bound: Any, dialect: str) -> Predicate:
    if isinstance(bound, str) and op in _ORDERING:
        expression = _bytewise(expression, dialect)
    predicate: Predicate
    match op:
        case "eq":
            predicate = expression == bound
        case "ne":
            predicate = expression != bound
        case "co":
            predicate = expression.like(f"%{_escape_like(bound)}%", escape="/")
        case "sw":
            predicate = expression.like(f"{_escape_like(bound)}%", escape="/")
        case "ew":
            predicate = expression.like(f"%{_escape_like(bound)}", escape="/")
        case "gt":
            predicate = expression > bound
        case "ge":
            predicate = expression >= bound
        case "lt":
            predicate = expression < bound
        case "le":
            predicate = expression <= bound
    return predicate


def _escape_like(text: str) -> str:
    """The pattern is one bound parameter (not `? || '%'`), so `LIKE 'prefix%'` can use an index."""
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_")


def _present_column(expression: ColumnElement[Any], attribute: Attribute) -> Predicate:
    if attribute.type in ("string", "reference"):
        return _present_text(expression)
    return expression.is_not(None)


def _present_text(expression: ColumnElement[Any]) -> Predicate:
    return and_(expression.is_not(None), expression != "")


def _python_compare(actual: str, op: CompareOp, bound: str) -> bool:
    match op:
        case "eq":
            return actual == bound
        case "ne":
            return actual != bound
        case "co":
            return bound in actual
        case "sw":
            return actual.startswith(bound)
        case "ew":
            return actual.endswith(bound)
        case "gt":
            return actual > bound
        case "ge":
            return actual >= bound
        case "lt":
            return actual < bound
        case "le":
            return actual <= bound
