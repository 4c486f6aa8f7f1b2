"""Evaluate a parsed SCIM filter (RFC 7644 §3.4.2.2) in Python, over one resource or one value of an attribute.

Used by the PATCH engine for value filters (`emails[type eq "work"]`, §3.5.2) and, in tests, as the reference
that the SQL compiler must agree with. It owns the rules both share (which paths a filter may name, which
operators and values suit an attribute); `filter_sql` imports them. Filters are compiled first, so an error
never depends on the data.
"""

# Semantics, including choices where RFC 7644 is silent (the one list: filter_sql compiles them to SQL):
# - Every comparison, `ne` included, matches when some value of the attribute satisfies it; an attribute with
#   no value therefore never matches a comparison. `not (...)` is its exact complement.
# - A multi-valued complex attribute compared without a sub-attribute stands for its `value` sub-attribute:
#   `emails co "x"` is `emails.value co "x"` (the §3.4.2.2 example `emails co "example.com"`). Any other
#   complex attribute (`name`, and `manager` although it has a `value`) can only be tested with `pr`,
#   `eq null`/`ne null` or `[...]`.
# - `attr[filter]` applies to a singular complex attribute too (`name[givenName eq "x"]`): the §3.4.2.2 grammar
#   allows it, and there is just one value to test.
# - `pr` is false for null, "", [] and {} (§3.4.2.2: "a non-empty value").
# - `eq null` matches an unassigned attribute and `ne null` an assigned one; other operators refuse null.
# - An unspecified `primary` of a multi-valued attribute's value is false (RFC 7643 §2.4): `[primary eq false]`
#   matches it, and `primary pr` is true for every value.
# - Strings compare case-insensitively (`scim.keys.fold`) unless the attribute is caseExact; gt/ge/lt/le order
#   them by code point. dateTime values compare as instants; one without an offset is read as UTC.
# - A boolean attribute accepts "true"/"false" strings as comparison values (Entra ID sends
#   `emails[primary eq "True"]`). Booleans allow only eq/ne; binary refuses gt/ge/lt/le; co/sw/ew need a
#   string, reference or binary attribute.
# - A stored value of the wrong type for its attribute never matches.
# - `password`, `meta.location` and `meta.version` cannot be filtered on (a secret; values made at rendering).
# - `groups` has no values until groups exist (filter_sql: `Layout.absent`; rendered Users carry none).
# - Unknown attributes, sub-attributes and schemas, and comparison values of the wrong type, are InvalidFilter.

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, TypeAlias

from scimkeeper.scim.errors import InvalidFilter
from scimkeeper.scim.filter import And, AttrPath, Compare, CompareOp, CompValue, Filter, Not, Or, Present, ValuePath
from scimkeeper.scim.keys import fold
from scimkeeper.scim.paths import Resolved, implied_value, resolve, resolve_inner, resolve_sub
from scimkeeper.scim.schema import Attribute, ResourceType

Predicate: TypeAlias = Callable[[Mapping[str, Any]], bool]
# The values a path names in a resource or a value: none, one, or several for a multi-valued attribute.
_Values: TypeAlias = Callable[[Mapping[str, Any]], list[Any]]
# Turns a stored value or a comparison value into a comparable key, or None when it has the wrong type.
_Key: TypeAlias = Callable[[object], Any]

_EQUALITY: Final[frozenset[CompareOp]] = frozenset({"eq", "ne"})
_ORDERING: Final[frozenset[CompareOp]] = frozenset({"gt", "ge", "lt", "le"})
_SUBSTRING: Final[frozenset[CompareOp]] = frozenset({"co", "sw", "ew"})
_ALLOWED: Final[dict[str, frozenset[CompareOp]]] = {
    "string": _EQUALITY | _SUBSTRING | _ORDERING,
    "reference": _EQUALITY | _SUBSTRING | _ORDERING,
    "binary": _EQUALITY | _SUBSTRING,
    "boolean": _EQUALITY,
    "integer": _EQUALITY | _ORDERING,
    "decimal": _EQUALITY | _ORDERING,
    "dateTime": _EQUALITY | _ORDERING,
}
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
# Readable only, never filterable: a secret, and values derived from others at rendering.
_NOT_FILTERABLE: Final = frozenset({("meta", "location"), ("meta", "version"), ("password",)})


def matches(filter: Filter, item: Mapping[str, Any], attribute: Attribute) -> bool:  # noqa: A002 -- RFC term
    """Whether one value of the complex `attribute` satisfies a value filter over its sub-attributes."""
    return value_predicate(filter, attribute)(item)


def matches_resource(filter: Filter, resource: Mapping[str, Any], resource_type: ResourceType) -> bool:  # noqa: A002
    """Whether a resource (canonical or rendered document) satisfies a `filter` parameter."""
    return resource_predicate(filter, resource_type)(resource)


def value_predicate(filter: Filter, attribute: Attribute) -> Predicate:  # noqa: A002 -- RFC term
    """Compile a value filter (`type eq "work"` inside `emails[...]`); raise InvalidFilter if it cannot apply."""
    parent = value_path_target(Resolved(attribute, None, (attribute.name,)))
    return _compile(filter, _ValueScope(parent))


def resource_predicate(filter: Filter, resource_type: ResourceType) -> Predicate:  # noqa: A002 -- RFC term
    """Compile a filter over whole resources of `resource_type`; raise InvalidFilter if it cannot apply."""
    return _compile(filter, _ResourceScope(resource_type))


# --- Rules shared with filter_sql ----------------------------------------------------------------------------


def filter_target(path: AttrPath, resource_type: ResourceType) -> Resolved:
    """What a path in a `filter` (or `sortBy`) names; InvalidFilter if it is unknown or not filterable."""
    return _filterable(resolve(path, resource_type, InvalidFilter))


def _filterable(target: Resolved) -> Resolved:
    if tuple(part for part in target.key if not part.startswith("urn:")) in _NOT_FILTERABLE:
        raise InvalidFilter(f"{target.name} cannot be used in a filter or sortBy.")
    return target


def inner_target(parent: Resolved, path: AttrPath) -> Resolved:
    """What a name inside `parent[...]` names; InvalidFilter if it is unknown or not filterable."""
    return _filterable(resolve_inner(parent, path, InvalidFilter))


def comparison_target(target: Resolved) -> Resolved:
    """What a comparison tests: `emails` (multi-valued complex, no sub-attribute) stands for `emails.value`."""
    if target.sub is None and target.attribute.multi_valued and target.attribute.type == "complex":
        if target.attribute.sub_attribute("value") is None:
            raise InvalidFilter(
                f"{target.name} has no value sub-attribute to compare; compare one of its sub-attributes, "
                f"e.g. {target.name}.{target.attribute.sub_attributes[0].name}."
            )
        return resolve_sub(target, "value", InvalidFilter)
    return target


def value_path_target(target: Resolved) -> Resolved:
    """The attribute before `[...]`, which must be a complex attribute (not a sub-attribute)."""
    if target.target.type != "complex":
        raise InvalidFilter(f"{target.name}[...] needs a complex attribute; {target.name} has no sub-attributes.")
    return target


def comparison_key(leaf: Resolved, op: CompareOp, value: CompValue) -> Any:
    """Check that `op` and `value` suit the attribute compared; return the value's comparison key."""
    attribute, name = leaf.target, leaf.name
    if attribute.type == "complex":
        raise InvalidFilter(
            f"{name} is a complex attribute: compare one of its sub-attributes, e.g. "
            f"{name}.{attribute.sub_attributes[0].name}, or use pr or {name}[...]."
        )
    if value is None:
        raise InvalidFilter(f'{name} can be compared with null by "eq" and "ne" only (or use "{name} pr").')
    if op not in _ALLOWED[attribute.type]:
        allowed = ", ".join(sorted(_ALLOWED[attribute.type]))
        raise InvalidFilter(f'The operator "{op}" cannot compare {name}: {_NOUNS[attribute.type]} takes {allowed}.')
    key = key_function(attribute)(value)
    if key is None:
        raise InvalidFilter(f"{name} is {_NOUNS[attribute.type]}; compare it with {_LITERALS[attribute.type]}.")
    return key


def compare_keys(op: CompareOp, stored: Any, wanted: Any) -> bool:
    """`stored op wanted` on comparison keys."""
    return _TESTS[op](stored, wanted)


def key_function(attribute: Attribute) -> _Key:
    """How values of `attribute`, stored or compared, become comparison keys (None: wrong type)."""
    if attribute.type in ("string", "reference") and not attribute.case_exact:
        return _folded_key
    return _KEYS[attribute.type]


# --- Scopes: where the names in a filter are looked up -----------------------------------------------------


@dataclass(frozen=True)
class _ValueScope:
    """Names inside `attr[...]`: bare sub-attributes of one value of `parent`."""

    parent: Resolved

    def resolve(self, path: AttrPath) -> Resolved:
        return inner_target(self.parent, path)

    def values(self, target: Resolved) -> _Values:
        return lambda item: _sub_values([item], target)

    def value_path(self, path: ValuePath) -> Predicate:
        raise InvalidFilter(f"value filters cannot be nested: {path.path.attr}[...] inside {self.parent.name}[...]")


@dataclass(frozen=True)
class _ResourceScope:
    """Names in a `filter` parameter: attributes of the resource type, optionally URN-qualified."""

    resource_type: ResourceType

    def resolve(self, path: AttrPath) -> Resolved:
        return filter_target(path, self.resource_type)

    def values(self, target: Resolved) -> _Values:
        def read(resource: Mapping[str, Any]) -> list[Any]:
            container = resource if target.extension is None else resource.get(target.extension)
            value = container.get(target.attribute.name) if isinstance(container, Mapping) else None
            found: list[Any] = [] if value is None else [value]
            if target.attribute.multi_valued and isinstance(value, list):
                found = value
            return found if target.sub is None else _sub_values(found, target)

        return read

    def value_path(self, path: ValuePath) -> Predicate:
        target = value_path_target(self.resolve(path.path))
        inner, values = value_predicate(path.filter, target.attribute), self.values(target)
        return lambda resource: any(isinstance(value, Mapping) and inner(value) for value in values(resource))


_Scope: TypeAlias = _ValueScope | _ResourceScope


def _sub_values(values: list[Any], target: Resolved) -> list[Any]:
    assert target.sub is not None
    name, implied = target.sub.name, implied_value(target.attribute, target.sub)
    read = (value.get(name, implied) for value in values if isinstance(value, Mapping))
    return [value for value in read if value is not None]


# --- Compilation ---------------------------------------------------------------------------------------------


def _compile(f: Filter, scope: _Scope) -> Predicate:
    match f:
        case Compare(path, op, value):
            return _compare(scope, scope.resolve(path), op, value)
        case Present(path):
            values = scope.values(scope.resolve(path))
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


def _compare(scope: _Scope, target: Resolved, op: CompareOp, wanted: CompValue) -> Predicate:
    if wanted is None and op in _EQUALITY:
        values, assigned = scope.values(target), op == "ne"
        return lambda document: any(_is_present(value) for value in values(document)) is assigned
    leaf = comparison_target(target)
    wanted_key = comparison_key(leaf, op, wanted)
    key, values = key_function(leaf.target), scope.values(leaf)
    return lambda document: any(
        (stored := key(value)) is not None and compare_keys(op, stored, wanted_key) for value in values(document)
    )


# --- Comparison keys -----------------------------------------------------------------------------------------


def _string_key(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _folded_key(value: object) -> str | None:
    return fold(value) if isinstance(value, str) else None


def _boolean_key(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):  # Entra ID sends "True"
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

_NOUNS: Final = {
    "string": "a string",
    "reference": "a reference",
    "binary": "binary",
    "boolean": "a boolean",
    "integer": "an integer",
    "decimal": "a decimal",
    "dateTime": "a date-time",
}
_LITERALS: Final = {
    "string": "a quoted string",
    "reference": "a quoted string",
    "binary": "a quoted base64 string",
    "boolean": "true or false",
    "integer": "a number",
    "decimal": "a number",
    "dateTime": 'a quoted instant such as "2026-01-31T12:00:00Z"',
}
