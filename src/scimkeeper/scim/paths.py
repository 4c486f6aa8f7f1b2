"""Attribute paths (RFC 7644 §3.10) resolved against a resource type's schemas, case-insensitively (RFC 7643 §2.1).

The one place that finds an attribute by name: filters (both evaluators), PATCH paths and request bodies use it.
A name is a core attribute, a common attribute (`id`, `externalId`, `meta`, RFC 7643 §3.1), `schemas`, or an
attribute qualified by its schema URN: an extension's, or the core schema's (`urn:…:core:2.0:User:userName`).
"""

from __future__ import annotations

from dataclasses import dataclass

from scimkeeper.scim.errors import ScimError
from scimkeeper.scim.filter import AttrPath, format_attr_path
from scimkeeper.scim.schema import Attribute, ResourceType, Schema, common_attribute

# `schemas` is not a schema attribute (RFC 7643 §3) but filters may test it (RFC 7644 §3.4.2.2 examples).
SCHEMAS = Attribute("schemas", "reference", multi_valued=True, mutability="readOnly", returned="always")


@dataclass(frozen=True)
class Resolved:
    """Where an attribute path points: its definitions and its location in a canonical document."""

    attribute: Attribute
    sub: Attribute | None
    key: tuple[str, ...]  # e.g. ("name", "givenName") or (ENTERPRISE_URN, "manager", "value")

    @property
    def target(self) -> Attribute:
        return self.sub or self.attribute

    @property
    def name(self) -> str:
        return ".".join(part for part in self.key if not part.startswith("urn:"))

    @property
    def extension(self) -> str | None:
        """The URN of the extension holding the attribute; None for core and common attributes."""
        return self.key[0] if self.key[0].startswith("urn:") else None

    @property
    def attribute_key(self) -> tuple[str, ...]:
        """The location of the attribute itself (without the sub-attribute)."""
        return self.key if self.sub is None else self.key[:-1]


def resolve(path: AttrPath, resource_type: ResourceType, error: type[ScimError]) -> Resolved:
    """Resolve `[urn:]attr[.sub]`; raise `error` (InvalidFilter, InvalidPath, ...) naming what is unknown."""
    schema, attribute = _top(path, resource_type, error)
    prefix = () if schema is resource_type.schema else (schema.id,)
    top = Resolved(attribute, None, (*prefix, attribute.name))
    return top if path.sub_attr is None else resolve_sub(top, path.sub_attr, error)


def resolve_sub(parent: Resolved, name: str, error: type[ScimError]) -> Resolved:
    """A sub-attribute of the attribute `parent` names (which has no sub-attribute itself)."""
    sub = _sub_attribute(parent.attribute, name, error)
    return Resolved(parent.attribute, sub, (*parent.attribute_key, sub.name))


def resolve_inner(parent: Resolved, path: AttrPath, error: type[ScimError]) -> Resolved:
    """A name inside a value filter `emails[type eq "work"]`: a bare sub-attribute of `parent`."""
    if path.urn is not None or path.sub_attr is not None:
        raise error(
            f'"{format_attr_path(path)}" inside {parent.attribute.name}[...]: name a sub-attribute of '
            f"{parent.attribute.name} ({_names(parent.attribute.sub_attributes)}) without a URN or a dot."
        )
    return resolve_sub(parent, path.attr, error)


def _sub_attribute(attribute: Attribute, name: str, error: type[ScimError]) -> Attribute:
    """The sub-attribute `name` of `attribute`, or `error` saying which sub-attributes there are."""
    sub = attribute.sub_attribute(name)
    if sub is not None:
        return sub
    if attribute.type != "complex":
        raise error(
            f'Unknown attribute "{attribute.name}.{name}": {attribute.name} is not complex, so it has no '
            f'sub-attribute "{name}".'
        )
    raise error(
        f'Unknown attribute "{attribute.name}.{name}": {attribute.name} has no sub-attribute "{name}" '
        f"(it has {_names(attribute.sub_attributes)})."
    )


def attribute_in(schema: Schema, name: str, resource_type: ResourceType) -> Attribute | None:
    """An attribute of `schema` by name; the core schema also holds the common attributes."""
    found = schema.attribute(name)
    if found is None and schema is resource_type.schema:
        found = common_attribute(name)
    return found


def whole_schema(path: AttrPath, resource_type: ResourceType) -> Schema | None:
    """The schema a bare URN names (`urn:…:enterprise:2.0:User` parses as urn `…:2.0`, attribute `User`)."""
    if path.urn is None or path.sub_attr is not None:
        return None
    return resource_type.schema_by_urn(f"{path.urn}:{path.attr}")


def schemas_of(resource_type: ResourceType) -> tuple[Schema, ...]:
    """The core schema, then the extensions."""
    return (resource_type.schema, *(extension for extension, _ in resource_type.extensions))


def split_qualified(key: str, resource_type: ResourceType) -> tuple[Schema, str] | None:
    """Split "urn:...:User:userName" into its schema and the rest, preferring the longest URN; None if unqualified."""
    lowered = key.lower()
    for schema in sorted(schemas_of(resource_type), key=lambda schema: len(schema.id), reverse=True):
        if lowered.startswith(f"{schema.id.lower()}:"):
            return schema, key[len(schema.id) + 1 :]
    return None


def implied_value(attribute: Attribute, sub: Attribute) -> bool | None:
    """The value an unassigned sub-attribute stands for: RFC 7643 §2.4 says an unspecified `primary` is false."""
    return False if attribute.multi_valued and sub.name == "primary" else None


def _top(path: AttrPath, resource_type: ResourceType, error: type[ScimError]) -> tuple[Schema, Attribute]:
    if path.urn is None and path.attr.lower() == "schemas":
        return resource_type.schema, SCHEMAS
    schema = resource_type.schema if path.urn is None else resource_type.schema_by_urn(path.urn)
    if schema is None:
        raise error(
            f'Unknown schema "{path.urn}" in "{format_attr_path(path)}": {resource_type.name} resources use '
            f"{', '.join(schema.id for schema in schemas_of(resource_type))}."
        )
    attribute = attribute_in(schema, path.attr, resource_type)
    if attribute is not None:
        return schema, attribute
    text = format_attr_path(path)
    if schema is not resource_type.schema:
        raise error(f'Unknown attribute "{text}": {schema.id} has no attribute "{path.attr}".')
    hint = next(
        (
            f' Did you mean "{extension.id}:{found.name}"? Extension attributes are qualified by their schema URN.'
            for extension in schemas_of(resource_type)[1:]
            if (found := extension.attribute(path.attr)) is not None
        ),
        "",
    )
    raise error(
        f'Unknown attribute "{text}": not an attribute of {schema.id}, nor a common attribute '
        f"(id, externalId, meta).{hint}"
    )


def _names(attributes: tuple[Attribute, ...]) -> str:
    return ", ".join(attribute.name for attribute in attributes)
