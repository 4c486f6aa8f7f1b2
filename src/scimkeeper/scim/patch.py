"""PATCH requests (RFC 7644 §3.5.2): parse the PatchOp message and apply its operations to a canonical document.

Sans-IO and pure: `apply_patch` works on a copy and re-validates the result with `documents.parse_resource`, so a
request either applies completely or raises a ScimError and changes nothing (§3.5.2: PATCH is atomic).
"""

# Choices where RFC 7644 is silent or loose, and deviations (keep in step with the project's list):
# - A body without `schemas` is accepted; when present it must list the PatchOp URN. Member names
#   (`Operations`, `op`, `path`, `value`) and the `op` values are case-insensitive: Entra ID sends "Replace".
#   Unknown members are ignored.
# - At most MAX_OPERATIONS operations per request, else 413 (PayloadTooLarge), as §3.7.4 does for bulk requests.
# - add and replace need a `value` member; add refuses null. A null value elsewhere (replace with a path, or a
#   key of a path-less value) unassigns the target (RFC 7643 §2.5), exactly as remove would.
# - add or replace on a complex attribute merges the given sub-attributes and keeps the others (§3.5.2.3); a bare
#   string for a complex attribute with a `value` sub-attribute (Entra ID's manager id) replaces it whole, so a
#   new manager id never keeps the old manager's `$ref`. replace on `emails[type eq "work"]` merges the value
#   into each match, so a partial value does not drop `type`.
# - add or replace on a value filter that matches nothing creates the value from the filter's `eq` comparisons
#   (Entra ID: `emails[type eq "work"].value`); §3.5.2.3 says noTarget, which is kept for other filters.
#   add on a filter that matches sets the sub-attribute of the matches, as replace does (Entra ID sends add
#   when a work email changes).
# - remove is idempotent: removing an unassigned attribute, or a filter that matches nothing, succeeds without
#   change (Table 9 would give noTarget; an IdP retrying after a timeout must not fail forever).
# - remove on a multi-valued attribute with a `value` list removes the values that agree with an entry on all
#   its given sub-attributes (Entra ID: `{"op": "Remove", "path": "members", "value": [{"value": "<id>"}]}`).
# - Keys of a path-less value may be paths: dotted (`name.givenName`), URN-qualified, or with a value filter
#   (Entra ID). Read-only and write-only keys there are ignored (Okta sends `id`); a path naming a read-only
#   attribute is a mutability error; `password` (write-only) is accepted anywhere and dropped.
# - Paths resolve as everywhere else (`scim.paths`): `schemas` names the read-only pseudo-attribute, so a path
#   naming it is a mutability error. Value filters follow `filter_eval`: an unspecified `primary` is false
#   (RFC 7643 §2.4), so `emails[primary eq false]` selects the values without `primary`.
# - add does not append a value whose given sub-attributes all equal those of a present value (so Entra ID's
#   `{"value": "<id>"}` for a member already listed changes nothing). Setting `primary` true on a value sets
#   it false on the others (RFC 7643 §2.4).
# - Each operation's result is validated before the next, so an error names the operation that caused it;
#   this costs one validation per operation, which MAX_OPERATIONS bounds.

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final, Literal, TypeAlias

from scimkeeper.scim.documents import parse_resource
from scimkeeper.scim.errors import (
    InvalidPath,
    InvalidSyntax,
    InvalidValue,
    Mutability,
    NoTarget,
    PayloadTooLarge,
    ScimError,
)
from scimkeeper.scim.filter import And, Compare, Filter, PatchPath, format_path, parse_path
from scimkeeper.scim.filter_eval import Predicate, value_predicate
from scimkeeper.scim.paths import resolve, whole_schema
from scimkeeper.scim.schema import Attribute, ResourceType, Schema

PATCH_OP_URN: Final = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
MAX_OPERATIONS: Final = 1000

Op: TypeAlias = Literal["add", "replace", "remove"]
_OPS: Final[dict[str, Op]] = {"add": "add", "replace": "replace", "remove": "remove"}
_ABSENT: Final = object()


@dataclass(frozen=True)
class PatchOperation:
    """One entry of `Operations`; `index` is its 0-based position (error details count from 1)."""

    index: int
    op: Op
    path: PatchPath | None
    value: Any  # the raw JSON value; None when absent (remove) or null

    def describe(self) -> str:
        where = "" if self.path is None else f" {format_path(self.path)}"
        return f"Operation {self.index + 1} ({self.op}{where})"


# --- Parsing the request -------------------------------------------------------------------------------------


def parse_patch_request(body: object) -> tuple[PatchOperation, ...]:
    """Read a PatchOp message; raise InvalidSyntax, InvalidPath, InvalidValue, NoTarget or PayloadTooLarge.

    Error details name the operation counting from 1, as people do.
    """
    if not isinstance(body, dict):
        raise InvalidSyntax("The request body must be a JSON object with the PatchOp schema and Operations")
    _check_schemas(_member(body, "schemas", None))
    operations = _member(body, "operations", None)
    if not isinstance(operations, list) or not operations:
        raise InvalidSyntax("Operations must be a non-empty list of PATCH operations")
    if len(operations) > MAX_OPERATIONS:
        raise PayloadTooLarge(f"The request has {len(operations)} operations; the limit is {MAX_OPERATIONS}")
    return tuple(_parse_operation(index, entry) for index, entry in enumerate(operations))


def _member(entry: Mapping[str, Any], name: str, default: object) -> Any:
    return next((value for key, value in entry.items() if str(key).lower() == name), default)


def _check_schemas(schemas: object) -> None:
    if schemas is None:
        return
    if not isinstance(schemas, list) or PATCH_OP_URN.lower() not in {str(urn).lower() for urn in schemas}:
        raise InvalidSyntax(f"schemas must be a list containing {PATCH_OP_URN}")


def _parse_operation(index: int, entry: object) -> PatchOperation:
    label = f"Operation {index + 1}"
    if not isinstance(entry, dict):
        raise InvalidSyntax(f"{label}: must be an object with op, path and value")
    raw_op = _member(entry, "op", None)
    op = _OPS.get(raw_op.lower()) if isinstance(raw_op, str) else None
    if op is None:
        raise InvalidSyntax(f'{label}: "op" must be "add", "replace" or "remove"')
    label = f"{label} ({op})"
    raw_path = _member(entry, "path", None)
    if raw_path is not None and not isinstance(raw_path, str):
        raise InvalidSyntax(f'{label}: "path" must be a string')
    try:
        path = None if raw_path is None else parse_path(raw_path)
    except InvalidPath as error:
        raise InvalidPath(f"{label}: {error.detail}") from None
    value = _member(entry, "value", _ABSENT)
    operation = PatchOperation(index, op, path, None if value is _ABSENT else value)
    _check_operation(operation, has_value=value is not _ABSENT)
    return operation


def _check_operation(operation: PatchOperation, *, has_value: bool) -> None:
    label = operation.describe()
    if operation.op == "remove":
        if operation.path is None:
            raise NoTarget(f'{label}: remove needs a "path" naming what to remove')
        return
    if not has_value or (operation.op == "add" and operation.value is None):
        raise InvalidValue(f'{label}: {operation.op} needs a "value"')
    if operation.path is None and not isinstance(operation.value, dict):
        raise InvalidValue(f"{label}: without a path, the value must be an object of attributes")


# --- Applying operations -------------------------------------------------------------------------------------


def apply_patch(
    document: Mapping[str, Any],
    operations: Sequence[PatchOperation],
    resource_type: ResourceType,
) -> dict[str, Any]:
    """Apply the operations in order to a copy of a canonical document and return the canonical result.

    The document is as the client sees it (`schemas` and `active` included, `id` and `meta` not needed). The
    input is never modified; when nothing changes, the result equals the input.
    """
    # parse_resource builds new containers: the result shares nothing with the input.
    result = parse_resource(dict(document), resource_type)
    for operation in operations:
        try:
            if operation.path is None:
                _apply_object(result, operation.op, operation.value, resource_type.schema, resource_type)
            else:
                _apply_path(result, operation, resource_type)
            result = parse_resource(result, resource_type)
        except ScimError as error:
            raise _prefixed(error, operation.describe()) from None
    return result


def _prefixed(error: ScimError, prefix: str) -> ScimError:
    return type(error)(f"{prefix}: {error.detail}")


@dataclass(frozen=True)
class _Target:
    """What a path names: a whole schema (attribute None), an attribute, a sub-attribute, values by filter."""

    schema: Schema
    attribute: Attribute | None = None
    sub: Attribute | None = None
    value_filter: Filter | None = None
    predicate: Predicate | None = None

    def mutability(self) -> str:
        kinds = {part.mutability for part in (self.attribute, self.sub) if part is not None}
        return next((kind for kind in ("readOnly", "writeOnly") if kind in kinds), "readWrite")


def _apply_path(document: dict[str, Any], operation: PatchOperation, resource_type: ResourceType) -> None:
    assert operation.path is not None
    target = _resolve(operation.path, resource_type)
    match target.mutability():
        case "readOnly":
            raise Mutability(f"{_name(target)} is read-only")
        case "writeOnly":
            return  # password: accepted and dropped, as on POST and PUT
    _perform(document, operation.op, target, operation.value, resource_type)


def _apply_object(
    document: dict[str, Any],
    op: Op,
    value: object,
    schema: Schema,
    resource_type: ResourceType,
) -> None:
    """add or replace each key of an object, read as a path relative to `schema`; read-only keys are ignored."""
    if not isinstance(value, dict):
        raise InvalidValue(f"the value for {schema.id} must be an object of its attributes")
    for key, item in value.items():
        if str(key).lower() == "schemas":
            continue
        text = str(key) if schema is resource_type.schema else f"{schema.id}:{key}"
        try:
            target = _resolve(parse_path(text), resource_type)
        except ScimError as error:
            raise _prefixed(error, f'value key "{key}"') from None
        if target.mutability() == "readWrite":
            _perform(document, op, target, item, resource_type)


def _perform(document: dict[str, Any], op: Op, target: _Target, value: Any, resource_type: ResourceType) -> None:
    if op == "remove" or value is None:
        _remove(document, target, value if op == "remove" else None, resource_type)
    elif target.attribute is None:
        _apply_object(document, op, value, target.schema, resource_type)
    elif target.attribute.multi_valued:
        _set_values(_container(document, target.schema, resource_type), target, op, value)
    else:
        _set_single(_container(document, target.schema, resource_type), target.attribute, target.sub, value)


# --- Resolving paths -----------------------------------------------------------------------------------------


def _resolve(path: PatchPath, resource_type: ResourceType) -> _Target:
    whole = whole_schema(path.path, resource_type) if path.value_filter is None else None
    if whole is not None:
        return _Target(whole)
    attr_path = path.path if path.sub_attr is None else replace(path.path, sub_attr=path.sub_attr)
    found = resolve(attr_path, resource_type, InvalidPath)
    schema = resource_type.schema if found.extension is None else resource_type.schema_by_urn(found.extension)
    assert schema is not None  # resolve() found the attribute in it
    if path.value_filter is None:
        return _Target(schema, found.attribute, found.sub)
    if not found.attribute.multi_valued or found.attribute.type != "complex":
        raise InvalidPath(f'"{found.attribute.name}" is not a multi-valued complex attribute, so it takes no [filter]')
    predicate = value_predicate(path.value_filter, found.attribute)
    return _Target(schema, found.attribute, found.sub, path.value_filter, predicate)


def _name(target: _Target) -> str:
    assert target.attribute is not None  # a whole schema is never read-only
    return target.attribute.name if target.sub is None else f"{target.attribute.name}.{target.sub.name}"


def _container(document: dict[str, Any], schema: Schema, resource_type: ResourceType) -> dict[str, Any]:
    if schema is resource_type.schema:
        return document
    extension: dict[str, Any] = document.setdefault(schema.id, {})
    return extension


# --- add and replace -----------------------------------------------------------------------------------------


def _set_single(container: dict[str, Any], attribute: Attribute, sub: Attribute | None, value: Any) -> None:
    if sub is not None:
        current = container.setdefault(attribute.name, {})
        if not isinstance(current, dict):  # set by an earlier key of the same path-less value
            raise InvalidValue(f"{attribute.name} must be an object, so {attribute.name}.{sub.name} can be set")
        _overwrite(sub, current, sub.name, _canonical(sub, value))
        return
    new = _canonical(attribute, value)
    current = container.get(attribute.name)
    if isinstance(value, dict) and isinstance(new, dict) and isinstance(current, dict):
        _merge(attribute, current, new)  # §3.5.2.3: sub-attributes not given are left unchanged
    else:
        _overwrite(attribute, container, attribute.name, new)


def _set_values(container: dict[str, Any], target: _Target, op: Op, value: Any) -> None:
    attribute = target.attribute
    assert attribute is not None
    items: list[Any] = container.setdefault(attribute.name, [])
    if target.sub is None and target.predicate is None:
        new = _canonical(attribute, value)
        if op == "replace":
            items.clear()
        touched = [item for item in _as_list(new) if _append_new(items, item)]
    else:
        touched = _set_matching(items, target, value)
    _clear_other_primaries(items, touched)


def _append_new(items: list[Any], item: Any) -> bool:
    if any(_agrees(existing, item) for existing in items):
        return False  # §3.5.2.1: a value already there changes nothing
    items.append(item)
    return True


def _agrees(existing: Any, given: Any) -> bool:
    """Whether `existing` has each sub-attribute of `given` with an equal value (plain equality otherwise)."""
    if isinstance(existing, dict) and isinstance(given, dict):
        return all(existing.get(name) == value for name, value in given.items())
    return bool(existing == given)


def _set_matching(items: list[Any], target: _Target, value: Any) -> list[Any]:
    """Set a sub-attribute of, or merge an object into, the values a filter selects, creating one if none."""
    attribute = target.attribute
    assert attribute is not None
    matched = [item for item in items if isinstance(item, dict) and (target.predicate or _every)(item)]
    if not matched:
        created = _template(target.value_filter, attribute)
        items.append(created)
        matched = [created]
    for item in matched:
        if target.sub is not None:
            _overwrite(target.sub, item, target.sub.name, _canonical(target.sub, value))
            continue
        new = _canonical(attribute, value)
        if not isinstance(new, dict):
            raise InvalidValue(f"the value for a value of {attribute.name} must be an object")
        _merge(attribute, item, new)
    return matched


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _every(_: Mapping[str, Any]) -> bool:
    return True


def _template(value_filter: Filter | None, attribute: Attribute) -> dict[str, Any]:
    """The value a filter of `eq` comparisons joined by `and` describes: `type eq "work"` gives {"type": "work"}."""
    match value_filter:
        case None:
            return {}
        case Compare(path, "eq", compared):
            sub = attribute.sub_attribute(path.attr)
            assert sub is not None  # value_predicate has checked every name
            return {sub.name: _canonical(sub, compared)}
        case And(left, right):
            first, second = _template(left, attribute), _template(right, attribute)
            if any(first[name] != second[name] for name in first.keys() & second.keys()):
                raise NoTarget("no value matches the filter, and its comparisons contradict each other")
            return first | second
        case _:
            raise NoTarget("no value matches the filter, and only eq comparisons joined by and say what value to add")


def _merge(attribute: Attribute, current: dict[str, Any], new: Mapping[str, Any]) -> None:
    for name, value in new.items():
        sub = attribute.sub_attribute(name)
        if sub is None:
            current[name] = value  # unknown: parse_resource names it in the error
        else:
            _overwrite(sub, current, name, value)


def _overwrite(attribute: Attribute, container: dict[str, Any], name: str, value: Any) -> None:
    old = container.get(name)
    if attribute.mutability == "immutable" and old is not None and old != value:
        raise Mutability(f"{attribute.name} is immutable: it has a value, which cannot change")
    container[name] = value


def _clear_other_primaries(items: list[Any], touched: list[Any]) -> None:
    """RFC 7643 §2.4: at most one value is primary, so a new primary demotes the others."""
    if not any(isinstance(item, dict) and item.get("primary") is True for item in touched):
        return
    for item in items:
        if isinstance(item, dict) and item.get("primary") is True and not any(item is t for t in touched):
            item["primary"] = False


def _canonical(attribute: Attribute, value: Any) -> Any:
    """Canonical sub-attribute names and real booleans, so values can be merged and compared."""
    if attribute.multi_valued and isinstance(value, list):
        return [_canonical_single(attribute, item) for item in value]
    return _canonical_single(attribute, value)


def _canonical_single(attribute: Attribute, value: Any) -> Any:
    if attribute.type == "boolean" and isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"  # Entra ID sends "True" and "False"
    if attribute.type != "complex":
        return value
    if isinstance(value, str) and value.strip() and not attribute.multi_valued and attribute.sub_attribute("value"):
        return {"value": value}  # Entra ID's bare manager id; parse_resource reads it the same way
    if not isinstance(value, dict):
        return value  # anything else is left for parse_resource to accept or refuse
    canonical: dict[str, Any] = {}
    for key, item in value.items():
        if item is None:
            continue  # null is unassigned (RFC 7643 §2.5); Entra ID sends "$ref": null
        sub = attribute.sub_attribute(str(key))
        name = str(key) if sub is None else sub.name
        if name in canonical:
            raise InvalidSyntax(f'"{attribute.name}.{name}" is given more than once')
        canonical[name] = item if sub is None else _canonical_single(sub, item)
    return canonical


# --- remove --------------------------------------------------------------------------------------------------


def _remove(document: dict[str, Any], target: _Target, value: Any, resource_type: ResourceType) -> None:
    attribute = target.attribute
    if attribute is None:
        if target.schema is resource_type.schema:
            raise Mutability(f"{target.schema.id} is the core schema and cannot be removed")
        document.pop(target.schema.id, None)
        return
    if attribute.required and target.sub is None and target.value_filter is None:
        raise Mutability(f"{attribute.name} is required and cannot be removed")
    container = document if target.schema is resource_type.schema else document.get(target.schema.id, {})
    current = container.get(attribute.name)
    if attribute.multi_valued:
        _remove_values(container, target, value)
    elif target.sub is None:
        container.pop(attribute.name, None)
    elif isinstance(current, dict):
        current.pop(target.sub.name, None)


def _remove_values(container: dict[str, Any], target: _Target, value: Any) -> None:
    attribute = target.attribute
    assert attribute is not None
    current = container.get(attribute.name)
    if not isinstance(current, list):
        return
    if target.sub is None and target.predicate is None:
        if value is None:
            del container[attribute.name]
        else:  # Entra ID: {"op": "Remove", "path": "members", "value": [{"value": "<id>"}]}
            entries = [entry for entry in _as_list(_canonical(attribute, _as_list(value))) if entry != {}]
            current[:] = [item for item in current if not any(_agrees(item, entry) for entry in entries)]
        return
    predicate = target.predicate or _every
    for item in [item for item in current if isinstance(item, dict) and predicate(item)]:
        if target.sub is None:
            current.remove(item)
        else:
            item.pop(target.sub.name, None)
