"""Attribute paths (RFC 7644 §3.10) resolved against a resource type's schemas, case-insensitively."""

from __future__ import annotations

from dataclasses import dataclass

from scimkeeper.scim.errors import ScimError
from scimkeeper.scim.filter import AttrPath, format_attr_path
from scimkeeper.scim.schema import COMMON_ATTRIBUTES, Attribute, ResourceType

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


def resolve(path: AttrPath, resource_type: ResourceType, error: type[ScimError]) -> Resolved:
    """Resolve `[urn:]attr[.sub]`; raise `error` (InvalidFilter, InvalidPath, ...) naming what is unknown."""
    attribute, prefix = _top(path, resource_type, error)
    if path.sub_attr is None:
        return Resolved(attribute, None, (*prefix, attribute.name))
    sub = attribute.sub_attribute(path.sub_attr)
    if sub is None:
        raise error(
            f'Unknown attribute "{format_attr_path(path)}": {attribute.name} has no sub-attribute "{path.sub_attr}".'
        )
    return Resolved(attribute, sub, (*prefix, attribute.name, sub.name))


def resolve_sub(parent: Resolved, name: str, error: type[ScimError]) -> Resolved:
    """A sub-attribute of a complex attribute, as named inside a value filter `emails[type eq "work"]`."""
    sub = parent.attribute.sub_attribute(name)
    if sub is None:
        raise error(
            f'Unknown attribute "{parent.attribute.name}.{name}": {parent.attribute.name} has no '
            f'sub-attribute "{name}".'
        )
    return Resolved(parent.attribute, sub, (*parent.key, sub.name))


def _top(path: AttrPath, resource_type: ResourceType, error: type[ScimError]) -> tuple[Attribute, tuple[str, ...]]:
    if path.urn is None:
        if path.attr.lower() == "schemas":
            return SCHEMAS, ()
        core = resource_type.schema.attribute(path.attr)
        if core is not None:
            return core, ()
        common = next((a for a in COMMON_ATTRIBUTES if a.name.lower() == path.attr.lower()), None)
        if common is not None:
            return common, ()
        raise error(
            f'Unknown attribute "{format_attr_path(path)}": it is not part of {resource_type.schema.id}, '
            "its extensions or the common attributes."
        )
    schema = resource_type.schema_by_urn(path.urn)
    if schema is None:
        raise error(f'Unknown schema "{path.urn}" in "{format_attr_path(path)}".')
    attribute = schema.attribute(path.attr)
    if attribute is None:
        raise error(f'Unknown attribute "{format_attr_path(path)}": {schema.id} has no attribute "{path.attr}".')
    prefix = () if schema is resource_type.schema else (schema.id,)
    return attribute, prefix
