"""Resource documents: validate request bodies, render responses and select attributes.

Implements RFC 7643 §2 (attributes, types, unassigned values) and §3 (resources, extensions), and the
`attributes`/`excludedAttributes` parameters of RFC 7644 §3.4.2.5 and §3.9.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, TypeVar

from scimkeeper.scim.errors import InvalidSyntax, InvalidValue
from scimkeeper.scim.paths import attribute_in, schemas_of, split_qualified
from scimkeeper.scim.schema import COMMON_ATTRIBUTES, Attribute, ResourceType, Schema

# Marks a value that is absent, null or empty: RFC 7643 §2.5 treats all three as "unassigned".
_UNASSIGNED: Final = object()

_XSD_DATETIME: Final = re.compile(
    r"-?[0-9]{4,}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:Z|[+-][0-9]{2}:[0-9]{2})?"
)

# Keys render_resource places itself, around the document's attributes.
_RENDERED_APART: Final = frozenset({"schemas", "id", "externalId", "meta"})


# --- Input: request bodies (POST, PUT) -------------------------------------------------------------------


def parse_resource(body: object, resource_type: ResourceType) -> dict[str, Any]:
    """Validate a POST or PUT body and return the canonical document.

    The canonical document has canonical attribute names, core attributes at the top level, extension
    attributes under their extension URN, `schemas` listing the core URN and the extensions that carry data,
    and no read-only, write-only or unassigned attributes.
    """
    if not isinstance(body, dict):
        raise InvalidSyntax(f"The request body must be a JSON object, got {_describe(body)}")
    _check_schemas(body, resource_type)
    parser = _BodyParser(resource_type)
    for key, value in body.items():
        parser.add(str(key), value)
    return parser.document()


def _check_schemas(body: Mapping[str, Any], resource_type: ResourceType) -> None:
    declared = next((value for key, value in body.items() if str(key).lower() == "schemas"), None)
    if declared is None:
        # Some clients leave `schemas` out; the endpoint already says which resource type is meant.
        return
    if not isinstance(declared, list) or not all(isinstance(urn, str) for urn in declared):
        raise InvalidSyntax(f"schemas must be a list of schema URNs, got {_describe(declared)}")
    core = resource_type.schema.id
    if core.lower() not in {urn.lower() for urn in declared}:
        raise InvalidSyntax(f"schemas must contain {core}")


class _BodyParser:
    """Collects a body's attributes per schema, in canonical form."""

    def __init__(self, resource_type: ResourceType) -> None:
        self._resource_type = resource_type
        self._values: dict[str, dict[str, Any]] = {schema.id: {} for schema in schemas_of(resource_type)}
        self._seen: set[tuple[str, str]] = set()

    def add(self, key: str, value: object) -> None:
        if key.lower() == "schemas":
            return
        schema = self._resource_type.schema_by_urn(key)
        if schema is not None:
            self._add_schema_object(schema, value)
            return
        qualified = split_qualified(key, self._resource_type)
        if qualified is not None:
            self._add_attribute(*qualified, value)
        elif key.lower().startswith("urn:"):
            # An extension this server does not know is tolerated only while it carries no data.
            if not _is_unassigned(value):
                accepted = ", ".join(schema.id for schema in schemas_of(self._resource_type))
                raise InvalidSyntax(f'Unknown schema "{key}": {self._resource_type.name} accepts {accepted}')
        else:
            self._add_attribute(self._resource_type.schema, key, value)

    def document(self) -> dict[str, Any]:
        core = self._resource_type.schema
        core_values = self._values[core.id]
        _check_required(core, core_values, prefix="")
        schemas = [core.id]
        document: dict[str, Any] = {"schemas": schemas}
        document.update(_ordered(core_values, (*COMMON_ATTRIBUTES, *core.attributes)))
        for extension, required in self._resource_type.extensions:
            values = self._values[extension.id]
            if values:
                _check_required(extension, values, prefix=f"{extension.id}:")
                schemas.append(extension.id)
                document[extension.id] = _ordered(values, extension.attributes)
            elif required:
                raise InvalidValue(f"{extension.id} is required for {self._resource_type.name} resources")
        return document

    def _add_schema_object(self, schema: Schema, value: object) -> None:
        if _is_unassigned(value):
            return
        if not isinstance(value, dict):
            raise InvalidValue(f"{schema.id} must be an object, got {_describe(value)}")
        for name, item in value.items():
            self._add_attribute(schema, str(name), item)

    def _add_attribute(self, schema: Schema, name: str, value: object) -> None:
        is_core = schema is self._resource_type.schema
        attribute = attribute_in(schema, name, self._resource_type)
        if attribute is None:
            owner = f"{schema.id} or its extensions" if is_core else schema.id
            raise InvalidSyntax(f'Unknown attribute "{name}": it is not part of {owner}')
        path = attribute.name if is_core else f"{schema.id}:{attribute.name}"
        if (schema.id, attribute.name) in self._seen:
            raise InvalidSyntax(f'Attribute "{path}" is given more than once')
        self._seen.add((schema.id, attribute.name))
        parsed = _parse_value(attribute, value, path)
        if parsed is not _UNASSIGNED:
            self._values[schema.id][attribute.name] = parsed


def _check_required(schema: Schema, values: Mapping[str, Any], *, prefix: str) -> None:
    for attribute in schema.attributes:
        value = values.get(attribute.name)
        if attribute.required and (value is None or (isinstance(value, str) and not value.strip())):
            raise InvalidValue(f"{prefix}{attribute.name} is required")


def _parse_value(attribute: Attribute, value: object, path: str) -> object:
    if attribute.mutability in ("readOnly", "writeOnly"):
        # readOnly input is ignored (RFC 7643 §2.2). The only writeOnly attribute is password, and this
        # server never stores secrets, so it is accepted and dropped.
        return _UNASSIGNED
    if _is_unassigned(value):
        return _UNASSIGNED
    if attribute.multi_valued:
        return _parse_list(attribute, value, path)
    return _parse_single(attribute, value, path)


def _parse_list(attribute: Attribute, value: object, path: str) -> object:
    if not isinstance(value, list):
        raise InvalidValue(f"{path} must be a list, got {_describe(value)}")
    items = [
        parsed
        for index, item in enumerate(value)
        if (parsed := _parse_single(attribute, item, f"{path}[{index}]")) is not _UNASSIGNED
    ]
    if not items:
        return _UNASSIGNED
    if sum(1 for item in items if isinstance(item, dict) and item.get("primary") is True) > 1:
        raise InvalidValue(f"{path} has more than one primary value; at most one may be true")
    return items


def _parse_single(attribute: Attribute, value: object, path: str) -> object:
    if value is None:
        return _UNASSIGNED
    if attribute.type == "complex":
        return _parse_complex(attribute, value, path)
    return _SCALAR_PARSERS[attribute.type](value, path)


def _parse_complex(attribute: Attribute, value: object, path: str) -> object:
    if isinstance(value, str) and not attribute.multi_valued and attribute.sub_attribute("value"):
        # A bare string stands for the "value" sub-attribute, as in Entra ID's "manager": "<id>";
        # a blank one unassigns the attribute.
        if not value.strip():
            return _UNASSIGNED
        value = {"value": value}
    if not isinstance(value, dict):
        raise InvalidValue(f"{path} must be an object, got {_describe(value)}")
    parsed: dict[str, Any] = {}
    seen: set[str] = set()
    for key, sub_value in value.items():
        sub = attribute.sub_attribute(str(key))
        if sub is None:
            detail = f'Unknown attribute "{path}.{key}": {attribute.name} has no sub-attribute "{key}"'
            raise InvalidSyntax(detail)
        if sub.name in seen:
            raise InvalidSyntax(f'Attribute "{path}.{sub.name}" is given more than once')
        seen.add(sub.name)
        item = _parse_value(sub, sub_value, f"{path}.{sub.name}")
        if item is not _UNASSIGNED:
            parsed[sub.name] = item
    return _ordered(parsed, attribute.sub_attributes) if parsed else _UNASSIGNED


def _parse_string(value: object, path: str) -> str:
    if isinstance(value, str):
        return value
    raise _wrong_type(path, "a string", value)


def _parse_boolean(value: object, path: str) -> bool:
    if isinstance(value, bool):
        return value
    # Entra ID sends booleans as the strings "True" and "False".
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise _wrong_type(path, "a boolean", value)


def _parse_integer(value: object, path: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise _wrong_type(path, "an integer", value)


def _parse_decimal(value: object, path: str) -> int | float:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return value
    raise _wrong_type(path, "a decimal number", value)


def _parse_datetime(value: object, path: str) -> str:
    if isinstance(value, str) and _XSD_DATETIME.fullmatch(value):
        try:
            datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return value
    raise _wrong_type(path, "an xsd:dateTime such as 2008-01-23T04:56:22Z", value)


def _parse_binary(value: object, path: str) -> str:
    if isinstance(value, str):
        try:
            base64.b64decode(value, validate=True)
        except binascii.Error:
            pass
        else:
            return value
    raise _wrong_type(path, "base64-encoded binary", value)


_SCALAR_PARSERS: Final[dict[str, Callable[[object, str], object]]] = {
    "string": _parse_string,
    "reference": _parse_string,
    "boolean": _parse_boolean,
    "integer": _parse_integer,
    "decimal": _parse_decimal,
    "dateTime": _parse_datetime,
    "binary": _parse_binary,
}


def _wrong_type(path: str, expected: str, value: object) -> InvalidValue:
    return InvalidValue(f"{path} must be {expected}, got {_describe(value)}")


def _describe(value: object) -> str:
    match value:
        case dict():
            return "an object"
        case list():
            return "a list"
        case _:
            text = json.dumps(value, default=repr)
            return text if len(text) <= 60 else f"{text[:57]}..."


def _is_unassigned(value: object) -> bool:
    return value is None or (isinstance(value, list | dict) and not value)


def _ordered(values: Mapping[str, Any], attributes: Sequence[Attribute]) -> dict[str, Any]:
    return {attribute.name: values[attribute.name] for attribute in attributes if attribute.name in values}


# --- Output: rendering and attribute selection -----------------------------------------------------------


@dataclass(frozen=True)
class Meta:
    """The server-assigned `meta` of a resource (RFC 7643 §3.1)."""

    resource_type: str
    created: datetime
    last_modified: datetime
    location: str
    version: str


def format_datetime(moment: datetime) -> str:
    """Format an aware datetime as an RFC 3339 UTC string ending in "Z"."""
    if moment.tzinfo is not UTC:  # stored times are UTC already: the common case skips the conversion
        if moment.utcoffset() is None:
            raise ValueError("SCIM times must be timezone-aware")
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None).isoformat() + "Z"


def render_resource(
    document: Mapping[str, Any],
    *,
    resource_type: ResourceType,
    id: str,  # noqa: A002 -- the SCIM attribute is called "id"
    meta: Meta,
) -> dict[str, Any]:
    """Render a canonical document as the full resource: schemas, id, externalId, attributes, meta."""
    attributes: dict[str, Any] = {}
    for key, value in document.items():
        visible = _UNASSIGNED if key in _RENDERED_APART else _without_never(key, value, resource_type)
        if visible is not _UNASSIGNED:
            attributes[key] = visible
    extensions = [extension.id for extension, _ in resource_type.extensions if extension.id in attributes]
    rendered: dict[str, Any] = {"schemas": [resource_type.schema.id, *extensions], "id": id}
    if document.get("externalId") is not None:
        rendered["externalId"] = document["externalId"]
    rendered |= attributes
    rendered["meta"] = {
        "resourceType": meta.resource_type,
        "created": format_datetime(meta.created),
        "lastModified": format_datetime(meta.last_modified),
        "location": meta.location,
        "version": meta.version,
    }
    return rendered


def _without_never(key: str, value: Any, resource_type: ResourceType) -> Any:
    if key in _shown_as_is(resource_type):
        return value
    extension = resource_type.schema_by_urn(key)
    if extension is not None:
        kept = {
            name: item
            for name, item in value.items()
            if (attribute := extension.attribute(name)) is None or attribute.returned != "never"
        }
        return kept or _UNASSIGNED
    attribute = resource_type.schema.attribute(key)
    return _UNASSIGNED if attribute is not None and attribute.returned == "never" else value


_T = TypeVar("_T")


def _per_resource_type(compute: Callable[[ResourceType], _T]) -> Callable[[ResourceType], _T]:
    """Memoise a function of a resource type by the type's name: hashing a ResourceType itself walks its whole
    schema (~35 µs), which `functools.cache` would do on every call."""
    found: dict[str, _T] = {}

    def memoised(resource_type: ResourceType) -> _T:
        value = found.get(resource_type.name)
        if value is None:
            value = found[resource_type.name] = compute(resource_type)
        return value

    return memoised


@_per_resource_type
def rendering_is_default_selection(resource_type: ResourceType) -> bool:
    """Whether `render_resource`'s output is already what `select_attributes` returns without parameters.

    True when no attribute is returned only on request and "never" is said only of top-level attributes
    (which rendering drops): then a read without `attributes`/`excludedAttributes` need not select.
    """
    schemas = [resource_type.schema, *(extension for extension, _ in resource_type.extensions)]
    return all(
        attribute.returned != "request"
        and all(sub.returned in ("always", "default") for sub in attribute.sub_attributes)
        and (attribute.returned != "never" or schema is resource_type.schema)
        for schema in schemas
        for attribute in schema.attributes
    )


@_per_resource_type
def _shown_as_is(resource_type: ResourceType) -> frozenset[str]:
    """The top-level document keys that rendering shows as they are: core attributes not returned "never"."""
    return frozenset(attribute.name for attribute in resource_type.schema.attributes if attribute.returned != "never")


def parse_attribute_list(value: str | None) -> tuple[str, ...]:
    """Split an `attributes` or `excludedAttributes` parameter: "a,b , name.givenName" → three names."""
    if value is None:
        return ()
    return tuple(name for part in value.split(",") if (name := part.strip()))


def select_attributes(
    resource: Mapping[str, Any],
    resource_type: ResourceType,
    *,
    attributes: Sequence[str] = (),
    excluded: Sequence[str] = (),
) -> dict[str, Any]:
    """Apply `attributes` and `excludedAttributes` (RFC 7644 §3.4.2.5) to a rendered resource.

    Decisions: names that match no attribute are ignored rather than refused (there is simply nothing
    to return for them, and IdPs ask for attributes of schemas a server may not serve). When both lists
    are given, `attributes` selects first and `excludedAttributes` then removes. `schemas` and attributes
    returned "always" are always kept; attributes returned "never" never appear.
    """
    selection = _Selection(
        requested=_parse_names(attributes, resource_type) if attributes else None,
        excluded=_parse_names(excluded, resource_type),
    )
    selected: dict[str, Any] = {}
    for key, value in resource.items():
        if key == "schemas":
            selected[key] = value
            continue
        schema = resource_type.schema_by_urn(key)
        if schema is not None:
            projected = selection.project_schema(schema, value)
        else:
            core = resource_type.schema
            attribute = attribute_in(core, key, resource_type)
            # Keys that no schema describes are not emitted.
            projected = _UNASSIGNED if attribute is None else selection.project(core.id, attribute, value)
        if projected is not _UNASSIGNED:
            selected[key] = projected
    return selected


@dataclass(frozen=True)
class _Names:
    """Attribute names from one parameter, lowercased and grouped by the URN of their schema."""

    schemas: frozenset[str]
    attributes: frozenset[tuple[str, str]]
    sub_attributes: frozenset[tuple[str, str, str]]

    def names_whole(self, urn: str, attribute: Attribute) -> bool:
        return urn.lower() in self.schemas or (urn.lower(), attribute.name.lower()) in self.attributes

    def named_subs(self, urn: str, attribute: Attribute) -> frozenset[str]:
        owner = (urn.lower(), attribute.name.lower())
        return frozenset(sub for scope, name, sub in self.sub_attributes if (scope, name) == owner)


def _parse_names(names: Sequence[str], resource_type: ResourceType) -> _Names:
    schemas: set[str] = set()
    attributes: set[tuple[str, str]] = set()
    sub_attributes: set[tuple[str, str, str]] = set()
    for name in names:
        whole = resource_type.schema_by_urn(name)
        if whole is not None:
            schemas.add(whole.id.lower())
            continue
        schema, path = split_qualified(name, resource_type) or (resource_type.schema, name)
        attribute, _, sub = path.lower().partition(".")
        if sub:
            sub_attributes.add((schema.id.lower(), attribute, sub))
        else:
            attributes.add((schema.id.lower(), attribute))
    return _Names(frozenset(schemas), frozenset(attributes), frozenset(sub_attributes))


@dataclass(frozen=True)
class _Selection:
    requested: _Names | None
    excluded: _Names

    def project_schema(self, schema: Schema, values: Mapping[str, Any]) -> Any:
        projected: dict[str, Any] = {}
        for name, value in values.items():
            attribute = schema.attribute(name)
            kept = _UNASSIGNED if attribute is None else self.project(schema.id, attribute, value)
            if kept is not _UNASSIGNED:
                projected[name] = kept
        return projected or _UNASSIGNED

    def project(self, urn: str, attribute: Attribute, value: Any) -> Any:
        if attribute.returned == "never":
            return _UNASSIGNED
        if attribute.returned == "always":
            return _keep_subs(attribute, value, _not_never)
        if self.requested is None:
            if attribute.returned == "request":
                return _UNASSIGNED
            value = _keep_subs(attribute, value, _returned_by_default)
        elif self.requested.names_whole(urn, attribute):
            value = _keep_subs(attribute, value, _not_never)
        else:
            wanted = self.requested.named_subs(urn, attribute)
            if not wanted:
                return _UNASSIGNED
            value = _keep_subs(attribute, value, lambda sub: _always(sub) or (_not_never(sub) and _named(sub, wanted)))
        if value is _UNASSIGNED or self.excluded.names_whole(urn, attribute):
            return _UNASSIGNED
        unwanted = self.excluded.named_subs(urn, attribute)
        return _keep_subs(attribute, value, lambda sub: _always(sub) or not _named(sub, unwanted))


_Keep = Callable[[Attribute], bool]


def _keep_subs(attribute: Attribute, value: Any, keep: _Keep) -> Any:
    if attribute.type != "complex":
        return value
    if attribute.multi_valued:
        items = [kept for item in value if (kept := _keep_fields(attribute, item, keep))]
        return items or _UNASSIGNED
    return _keep_fields(attribute, value, keep) or _UNASSIGNED


def _keep_fields(attribute: Attribute, item: Mapping[str, Any], keep: _Keep) -> dict[str, Any]:
    return {
        name: value for name, value in item.items() if (sub := attribute.sub_attribute(name)) is not None and keep(sub)
    }


def _always(attribute: Attribute) -> bool:
    return attribute.returned == "always"


def _not_never(attribute: Attribute) -> bool:
    return attribute.returned != "never"


def _returned_by_default(attribute: Attribute) -> bool:
    return attribute.returned in ("always", "default")


def _named(attribute: Attribute, names: frozenset[str]) -> bool:
    return attribute.name.lower() in names
