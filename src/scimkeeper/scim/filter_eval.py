"""Evaluate a parsed SCIM filter (RFC 7644 §3.4.2.2) in Python, over one resource or one value of an attribute.

Used by the PATCH engine for value filters (`emails[type eq "work"]`, §3.5.2) and, in tests, as the reference
that the SQL compiler must agree with. Filters are compiled first, so an error never depends on the data.
"""

# Semantics, including choices where RFC 7644 is silent (the SQL compiler must agree):
# - Every comparison, `ne` included, matches when some value of the attribute satisfies it; an attribute with
#   no value therefore never matches a comparison. `not (...)` is how a client asks for the complement.
# - `pr` is false for null, "", [] and {} (§3.4.2.2: "a non-empty value").
# - `eq null` matches an unassigned attribute and `ne null` an assigned one; other operators refuse null.
# - Strings compare case-insensitively (casefold) unless the attribute is caseExact; gt/ge/lt/le order them
#   by code point. dateTime values compare as instants; one without an offset is read as UTC.
# - A boolean attribute accepts "true"/"false" strings as comparison values (Entra ID sends
#   `emails[primary eq "True"]`). Booleans allow only eq/ne; binary refuses gt/ge/lt/le; co/sw/ew need a
#   string or reference or binary attribute. A complex attribute can only be tested with `pr` or `[...]`.
# - A stored value of the wrong type for its attribute never matches.
# - Unknown attributes, sub-attributes and schemas, and comparison values of the wrong type, are InvalidFilter.

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, TypeAlias

from scimkeeper.scim.errors import InvalidFilter
from scimkeeper.scim.filter import And, AttrPath, Compare, CompareOp, CompValue, Filter, Not, Or, Present, ValuePath
from scimkeeper.scim.keys import fold
from scimkeeper.scim.schema import COMMON_ATTRIBUTES, Attribute, ResourceType, Schema

# `schemas` is no schema attribute (RFC 7643 §3), but filters may test it (RFC 7644 §3.4.2.2 examples).
_SCHEMAS: Final = Attribute("schemas", "reference", multi_valued=True, mutability="readOnly")

Predicate: TypeAlias = Callable[[Mapping[str, Any]], bool]
# The values a path names in a resource or a value: none, one, or several for a multi-valued attribute.
_Values: TypeAlias = Callable[[Mapping[str, Any]], list[Any]]
# Turns a stored value or a comparison value into a comparable key, or None when it has the wrong type.
_Key: TypeAlias = Callable[[object], Any]

_ORDERING: Final = frozenset({"gt", "ge", "lt", "le"})
_SUBSTRING: Final = frozenset({"co", "sw", "ew"})
_TESTS: Final[dict[CompareOp, Callable[[Any, Any], bool]]] = {
    "eq": lambda stored, wanted: stored == wanted,
    "ne": lambda stored, wanted: stored != wanted,
    "co": lambda stored, wanted: wanted in stored,
    "sw": lambda stored, wanted: stored.startswith(wanted),
    "ew": lambda stored, wanted: stored.endswith(wanted),
    "gt": lambda stored, wanted: stored > wanted,
    "ge": lambda stored, wanted: stored >= wanted,
    "lt": lambda stored, wanted: stored < wanted,
    "le": lambda stored, wanted: stored <= wanted,
}


def matches(filter: Filter, item: Mapping[str, Any], attribute: Attribute) -> bool:  # noqa: A002 -- RFC term
    """Whether one value of the complex `attribute` satisfies a value filter over its sub-attributes."""
    return value_predicate(filter, attribute)(item)


def matches_resource(filter: Filter, resource: Mapping[str, Any], resource_type: ResourceType) -> bool:  # noqa: A002
    """Whether a resource (canonical or rendered document) satisfies a `filter` parameter."""
    return resource_predicate(filter, resource_type)(resource)


def value_predicate(filter: Filter, attribute: Attribute) -> Predicate:  # noqa: A002 -- RFC term
    """Compile a value filter (`type eq "work"` inside `emails[...]`); raise InvalidFilter if it cannot apply."""
    if attribute.type != "complex":
        raise InvalidFilter(f'"{attribute.name}" has no sub-attributes to filter on')
    return _compile(filter, _ValueScope(attribute))


def resource_predicate(filter: Filter, resource_type: ResourceType) -> Predicate:  # noqa: A002 -- RFC term
    """Compile a filter over whole resources of `resource_type`; raise InvalidFilter if it cannot apply."""
    return _compile(filter, _ResourceScope(resource_type))


# --- Scopes: where the names in a filter are looked up -----------------------------------------------------


@dataclass(frozen=True)
class _Field:
    """What a path in a filter names: the owning attribute, the attribute compared, and how to read values."""

    attribute: Attribute
    leaf: Attribute
    values: _Values


@dataclass(frozen=True)
class _ValueScope:
    """Names inside `attr[...]`: bare sub-attributes of one value of `attribute`."""

    attribute: Attribute

    def field(self, path: AttrPath) -> _Field:
        sub = self.attribute.sub_attribute(path.attr)
        if path.urn is not None or path.sub_attr is not None or sub is None:
            raise InvalidFilter(f'"{_text(path)}" is not a sub-attribute of "{self.attribute.name}"')
        name = sub.name
        return _Field(sub, sub, lambda item: [] if item.get(name) is None else [item[name]])

    def value_path(self, path: ValuePath) -> Predicate:
        raise InvalidFilter(f'value filters cannot be nested: "{_text(path.path)}[...]" inside "{self.attribute.name}"')


@dataclass(frozen=True)
class _ResourceScope:
    """Names in a `filter` parameter: attributes of the resource type, optionally URN-qualified."""

    resource_type: ResourceType

    def field(self, path: AttrPath) -> _Field:
        schema, attribute = self._attribute(path)
        values = _attribute_values(schema, attribute, self.resource_type)
        if path.sub_attr is None:
            return _Field(attribute, attribute, values)
        sub = attribute.sub_attribute(path.sub_attr)
        if sub is None:
            raise InvalidFilter(f'"{_text(path)}": "{attribute.name}" has no sub-attribute "{path.sub_attr}"')
        name = sub.name
        return _Field(
            attribute,
            sub,
            lambda resource: [
                value[name] for value in values(resource) if isinstance(value, Mapping) and value.get(name) is not None
            ],
        )

    def value_path(self, path: ValuePath) -> Predicate:
        if path.path.sub_attr is not None:
            raise InvalidFilter(f'"[" must follow an attribute, not the sub-attribute "{_text(path.path)}"')
        field = self.field(path.path)
        inner = value_predicate(path.filter, field.attribute)
        return lambda resource: any(isinstance(value, Mapping) and inner(value) for value in field.values(resource))

    def _attribute(self, path: AttrPath) -> tuple[Schema, Attribute]:
        core = self.resource_type.schema
        if path.urn is None and path.attr.lower() == "schemas":
            return core, _SCHEMAS
        schema = core if path.urn is None else self.resource_type.schema_by_urn(path.urn)
        if schema is None:
            raise InvalidFilter(f'"{_text(path)}": unknown schema "{path.urn}"')
        attribute = schema.attribute(path.attr)
        if attribute is None and schema is core:
            attribute = next((a for a in COMMON_ATTRIBUTES if a.name.lower() == path.attr.lower()), None)
        if attribute is None:
            raise InvalidFilter(f'"{_text(path)}": no attribute "{path.attr}" in {schema.id}')
        return schema, attribute


_Scope: TypeAlias = _ValueScope | _ResourceScope


def _attribute_values(schema: Schema, attribute: Attribute, resource_type: ResourceType) -> _Values:
    name = attribute.name
    extension = None if schema is resource_type.schema else schema.id

    def values(resource: Mapping[str, Any]) -> list[Any]:
        container = resource if extension is None else resource.get(extension)
        value = container.get(name) if isinstance(container, Mapping) else None
        if value is None:
            return []
        return list(value) if attribute.multi_valued and isinstance(value, list) else [value]

    return values


def _text(path: AttrPath) -> str:
    text = path.attr if path.urn is None else f"{path.urn}:{path.attr}"
    return text if path.sub_attr is None else f"{text}.{path.sub_attr}"


# --- Compilation ---------------------------------------------------------------------------------------------


def _compile(f: Filter, scope: _Scope) -> Predicate:
    match f:
        case Compare(path, op, value):
            return _compare(scope.field(path), op, value, path)
        case Present(path):
            values = scope.field(path).values
            return lambda document: any(_is_present(value) for value in values(document))
        case And(left, right):
            both = (_compile(left, scope), _compile(right, scope))
            return lambda document: both[0](document) and both[1](document)
        case Or(left, right):
            either = (_compile(left, scope), _compile(right, scope))
            return lambda document: either[0](document) or either[1](document)
        case Not(inner):
            negated = _compile(inner, scope)
            return lambda document: not negated(document)
        case _:  # ValuePath
            return scope.value_path(f)


def _is_present(value: object) -> bool:
    if isinstance(value, str | list | dict):
        return bool(value)
    return value is not None


def _compare(field: _Field, op: CompareOp, wanted: CompValue, path: AttrPath) -> Predicate:
    leaf = field.leaf
    where = f'"{_text(path)}"'
    if leaf.type == "complex":
        raise InvalidFilter(f"{where} is complex: compare one of its sub-attributes, or use pr or [...]")
    values = field.values
    if wanted is None:
        if op not in ("eq", "ne"):
            raise InvalidFilter(f"{where} {op} null: null can only be compared with eq or ne")
        assigned = op == "ne"
        return lambda document: any(_is_present(value) for value in values(document)) is assigned
    key = _key_for(leaf)
    _check_operator(leaf, op, where)
    wanted_key = key(wanted)
    if wanted_key is None:
        raise InvalidFilter(f"{where} is {_TYPE_NAMES[leaf.type]}; the comparison value does not fit")
    test = _TESTS[op]
    return lambda document: any(
        (stored := key(value)) is not None and test(stored, wanted_key) for value in values(document)
    )


def _check_operator(leaf: Attribute, op: CompareOp, where: str) -> None:
    if leaf.type == "boolean" and op not in ("eq", "ne"):
        raise InvalidFilter(f"{where} is a boolean: only eq and ne apply, not {op}")
    if op in _ORDERING and leaf.type == "binary":
        raise InvalidFilter(f"{where} is binary: {op} does not apply")
    if op in _SUBSTRING and leaf.type not in ("string", "reference", "binary"):
        raise InvalidFilter(f"{where} is {_TYPE_NAMES[leaf.type]}: {op} applies to strings only")


def _key_for(leaf: Attribute) -> _Key:
    if leaf.type in ("string", "reference") and not leaf.case_exact:
        return _folded_key
    return _KEYS[leaf.type]


def _string_key(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _folded_key(value: object) -> str | None:
    return fold(value) if isinstance(value, str) else None


def _boolean_key(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def _number_key(value: object) -> int | float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _instant_key(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


_KEYS: Final[dict[str, _Key]] = {
    "string": _string_key,
    "reference": _string_key,
    "binary": _string_key,
    "boolean": _boolean_key,
    "integer": _number_key,
    "decimal": _number_key,
    "dateTime": _instant_key,
}

_TYPE_NAMES: Final = {
    "string": "a string",
    "reference": "a reference",
    "binary": "binary",
    "boolean": "a boolean",
    "integer": "an integer",
    "decimal": "a decimal",
    "dateTime": "a dateTime",
}
