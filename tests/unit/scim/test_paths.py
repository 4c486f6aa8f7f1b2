"""Attribute paths resolved against the User resource type (RFC 7644 §3.10, RFC 7643 §2.1 and §3.1)."""

from __future__ import annotations

import pytest

from scimkeeper.scim.errors import InvalidFilter, InvalidPath
from scimkeeper.scim.filter import AttrPath
from scimkeeper.scim.paths import (
    SCHEMAS,
    attribute_in,
    implied_value,
    resolve,
    resolve_inner,
    resolve_sub,
    schemas_of,
    split_qualified,
    whole_schema,
)
from scimkeeper.scim.schema import (
    ENTERPRISE_USER,
    ENTERPRISE_USER_URN,
    GROUP_RESOURCE,
    USER,
    USER_RESOURCE,
    USER_SCHEMA_URN,
)

CORE = USER_SCHEMA_URN
EXT = ENTERPRISE_USER_URN


def key(text: str) -> tuple[str, ...]:
    urn, _, rest = text.rpartition(":")
    attr, _, sub = rest.partition(".")
    return resolve(AttrPath(urn or None, attr, sub or None), USER_RESOURCE, InvalidFilter).key


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("userName", ("userName",)),
        ("USERNAME", ("userName",)),
        ("name.GIVENNAME", ("name", "givenName")),
        ("emails.value", ("emails", "value")),
        ("id", ("id",)),
        ("externalid", ("externalId",)),
        ("meta.lastmodified", ("meta", "lastModified")),
        (f"{CORE}:userName", ("userName",)),
        (f"{CORE.upper()}:name.familyName", ("name", "familyName")),
        (f"{CORE}:id", ("id",)),
        (f"{CORE}:meta.created", ("meta", "created")),
        (f"{EXT}:department", (EXT, "department")),
        (f"{EXT.lower()}:MANAGER.value", (EXT, "manager", "value")),
        ("schemas", ("schemas",)),
    ],
)
def test_path_resolves_to_its_canonical_key(text: str, expected: tuple[str, ...]) -> None:
    """Core, common, extension, core-URN-qualified names and `schemas` resolve case-insensitively."""
    assert key(text) == expected


def test_schemas_is_the_pseudo_attribute() -> None:
    """`schemas` is no schema attribute but resolves to a read-only multi-valued reference."""
    resolved = resolve(AttrPath(None, "Schemas"), USER_RESOURCE, InvalidFilter)
    assert resolved.attribute is SCHEMAS
    assert resolved.extension is None


def test_resolved_describes_an_extension_sub_attribute() -> None:
    """A resolved extension sub-attribute knows its extension, its attribute's key, its name and its target."""
    resolved = resolve(AttrPath(EXT, "manager", "value"), USER_RESOURCE, InvalidFilter)
    assert resolved.extension == EXT
    assert resolved.attribute_key == (EXT, "manager")
    assert resolved.name == "manager.value"
    assert resolved.target.name == "value"


def test_unknown_attribute_names_the_schema_and_the_common_attributes() -> None:
    """An unknown core name says it is neither a core nor a common attribute."""
    with pytest.raises(InvalidFilter, match=rf'^Unknown attribute "colour": not an attribute of {CORE}, nor a'):
        resolve(AttrPath(None, "colour"), USER_RESOURCE, InvalidFilter)


def test_unqualified_extension_attribute_suggests_its_urn() -> None:
    """An extension attribute named without its URN is refused with the qualified name to use."""
    with pytest.raises(InvalidPath, match=f'Did you mean "{EXT}:department"'):
        resolve(AttrPath(None, "department"), USER_RESOURCE, InvalidPath)


def test_unknown_extension_attribute_names_the_extension() -> None:
    """An unknown name qualified by an extension URN names that extension."""
    with pytest.raises(InvalidFilter, match=f'^Unknown attribute "{EXT}:colour": {EXT} has no attribute "colour"'):
        resolve(AttrPath(EXT, "colour"), USER_RESOURCE, InvalidFilter)


def test_extension_does_not_hold_the_common_attributes() -> None:
    """`id` qualified by an extension URN is unknown: common attributes belong to the resource (core schema)."""
    with pytest.raises(InvalidFilter, match="has no attribute"):
        resolve(AttrPath(EXT, "id"), USER_RESOURCE, InvalidFilter)


def test_unknown_schema_lists_the_schemas_of_the_resource_type() -> None:
    """A URN the resource type lacks is refused, listing the URNs it has."""
    with pytest.raises(InvalidFilter, match=f'^Unknown schema "urn:x:y" in "urn:x:y:z": User resources use {CORE}, '):
        resolve(AttrPath("urn:x:y", "z"), USER_RESOURCE, InvalidFilter)


def test_unknown_sub_attribute_lists_the_sub_attributes() -> None:
    """An unknown sub-attribute of a complex attribute is refused, listing the ones it has."""
    with pytest.raises(InvalidFilter, match=r'has no sub-attribute "nick" \(it has formatted, familyName, '):
        resolve(AttrPath(None, "name", "nick"), USER_RESOURCE, InvalidFilter)


def test_sub_attribute_of_a_simple_attribute_is_refused() -> None:
    """A simple attribute has no sub-attributes."""
    with pytest.raises(InvalidPath, match='userName is not complex, so it has no sub-attribute "x"'):
        resolve(AttrPath(None, "userName", "x"), USER_RESOURCE, InvalidPath)


def test_sub_attribute_resolves_from_its_parent() -> None:
    """resolve_sub names a sub-attribute of a resolved attribute, keeping the extension prefix."""
    manager = resolve(AttrPath(EXT, "manager"), USER_RESOURCE, InvalidFilter)
    assert resolve_sub(manager, "VALUE", InvalidFilter).key == (EXT, "manager", "value")


def test_inner_name_is_a_bare_sub_attribute() -> None:
    """Inside `emails[...]` a bare name is a sub-attribute of emails."""
    emails = resolve(AttrPath(None, "emails"), USER_RESOURCE, InvalidFilter)
    assert resolve_inner(emails, AttrPath(None, "Type"), InvalidFilter).key == ("emails", "type")


@pytest.mark.parametrize("inner", [AttrPath(CORE, "type"), AttrPath(None, "type", "x")])
def test_inner_name_with_a_urn_or_a_dot_is_refused(inner: AttrPath) -> None:
    """Inside brackets, a qualified or dotted name is refused, listing the sub-attributes."""
    emails = resolve(AttrPath(None, "emails"), USER_RESOURCE, InvalidFilter)
    with pytest.raises(InvalidFilter, match=r"name a sub-attribute of emails \(value, display, type, primary\)"):
        resolve_inner(emails, inner, InvalidFilter)


def test_attribute_in_the_core_schema_includes_the_common_attributes() -> None:
    """The core schema holds id, externalId and meta; an extension does not."""
    common_id = attribute_in(USER, "ID", USER_RESOURCE)
    assert common_id is not None
    assert (common_id.name, common_id.mutability, common_id.returned) == ("id", "readOnly", "always")
    assert attribute_in(ENTERPRISE_USER, "id", USER_RESOURCE) is None
    department = attribute_in(ENTERPRISE_USER, "Department", USER_RESOURCE)
    assert department is not None
    assert (department.name, department.type) == ("department", "string")


def test_whole_schema_is_a_bare_urn() -> None:
    """A bare URN names a whole schema; a URN-qualified attribute or an unqualified name does not."""
    assert whole_schema(AttrPath(EXT.rpartition(":")[0], "User"), USER_RESOURCE) is ENTERPRISE_USER
    assert whole_schema(AttrPath(EXT, "manager"), USER_RESOURCE) is None
    assert whole_schema(AttrPath(None, "userName"), USER_RESOURCE) is None
    assert whole_schema(AttrPath("urn:x", "User", "y"), USER_RESOURCE) is None


def test_split_qualified_prefers_the_longest_urn() -> None:
    """A key qualified by a URN splits into its schema and the rest; an unqualified key does not split."""
    assert split_qualified(f"{EXT}:manager.value", USER_RESOURCE) == (ENTERPRISE_USER, "manager.value")
    assert split_qualified(f"{CORE.lower()}:userName", USER_RESOURCE) == (USER, "userName")
    assert split_qualified("userName", USER_RESOURCE) is None


def test_schemas_of_lists_core_then_extensions() -> None:
    """The core schema comes first."""
    assert [schema.id for schema in schemas_of(USER_RESOURCE)] == [CORE, EXT]
    assert len(schemas_of(GROUP_RESOURCE)) == 1


def test_unspecified_primary_is_false() -> None:
    """RFC 7643 §2.4: an unspecified primary of a multi-valued attribute's value is false; nothing else is implied."""
    emails = resolve(AttrPath(None, "emails", "primary"), USER_RESOURCE, InvalidFilter)
    given = resolve(AttrPath(None, "name", "givenName"), USER_RESOURCE, InvalidFilter)
    assert emails.sub is not None
    assert given.sub is not None
    assert implied_value(emails.attribute, emails.sub) is False
    assert implied_value(given.attribute, given.sub) is None
