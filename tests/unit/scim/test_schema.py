"""Schema definitions as data (RFC 7643 §3.1, §4, §8.7.1)."""

from __future__ import annotations

import pytest

from scimkeeper.scim.schema import (
    COMMON_ATTRIBUTES,
    ENTERPRISE_USER,
    ENTERPRISE_USER_URN,
    GROUP,
    GROUP_RESOURCE,
    USER,
    USER_RESOURCE,
    USER_SCHEMA_URN,
    Attribute,
)


def _attribute(name: str) -> Attribute:
    attribute = USER.attribute(name)
    assert attribute is not None
    return attribute


def test_attribute_lookup_ignores_case() -> None:
    """Schema.attribute finds "USERNAME" as userName (RFC 7643 §2.1)."""
    assert _attribute("USERNAME").name == "userName"


def test_attribute_lookup_returns_none_for_unknown_names() -> None:
    """Schema.attribute returns None for a name the schema does not define."""
    assert USER.attribute("favouriteColour") is None


def test_sub_attribute_lookup_ignores_case() -> None:
    """Attribute.sub_attribute finds "GIVENNAME" as givenName."""
    sub = _attribute("name").sub_attribute("GIVENNAME")
    assert sub is not None
    assert sub.name == "givenName"


def test_sub_attribute_lookup_returns_none_for_unknown_names() -> None:
    """Attribute.sub_attribute returns None for a sub-attribute that is not defined."""
    assert _attribute("name").sub_attribute("nick") is None


@pytest.mark.parametrize(
    ("urn", "expected"),
    [
        (USER_SCHEMA_URN, USER),
        (ENTERPRISE_USER_URN.upper(), ENTERPRISE_USER),
        ("urn:example:unknown", None),
    ],
)
def test_schema_by_urn_finds_core_and_extension_schemas_case_insensitively(urn: str, expected: object) -> None:
    """ResourceType.schema_by_urn finds the core schema and extensions in any case, and None otherwise."""
    assert USER_RESOURCE.schema_by_urn(urn) is expected


def test_user_name_has_the_rfc_characteristics() -> None:
    """userName is required, case-insensitive, server-unique and returned by default (RFC 7643 §8.7.1)."""
    user_name = _attribute("userName")
    assert (user_name.required, user_name.case_exact, user_name.uniqueness, user_name.returned) == (
        True,
        False,
        "server",
        "default",
    )


def test_password_is_write_only_and_never_returned() -> None:
    """password is writeOnly and returned "never" (RFC 7643 §4.1.1)."""
    password = _attribute("password")
    assert (password.mutability, password.returned) == ("writeOnly", "never")


def test_groups_and_their_sub_attributes_are_read_only() -> None:
    """groups and every sub-attribute of it are readOnly (RFC 7643 §4.1.2)."""
    groups = _attribute("groups")
    assert {groups.mutability, *(sub.mutability for sub in groups.sub_attributes)} == {"readOnly"}


@pytest.mark.parametrize(
    "name", ["emails", "phoneNumbers", "ims", "photos", "entitlements", "roles", "x509Certificates"]
)
def test_multi_valued_attributes_have_value_display_type_and_primary(name: str) -> None:
    """The plural attributes of RFC 7643 §4.1.2 carry value, display, type and primary."""
    attribute = _attribute(name)
    assert attribute.multi_valued
    assert [sub.name for sub in attribute.sub_attributes] == ["value", "display", "type", "primary"]


def test_photos_value_is_an_external_reference() -> None:
    """photos.value is a reference to an external resource (RFC 7643 §8.7.1)."""
    value = _attribute("photos").sub_attribute("value")
    assert value is not None
    assert (value.type, value.reference_types) == ("reference", ("external",))


def test_email_types_have_canonical_values() -> None:
    """emails.type lists work, home and other as canonical values."""
    type_ = _attribute("emails").sub_attribute("type")
    assert type_ is not None
    assert type_.canonical_values == ("work", "home", "other")


def test_manager_display_name_is_read_only() -> None:
    """manager.displayName is readOnly (RFC 7643 §4.3)."""
    manager = ENTERPRISE_USER.attribute("manager")
    assert manager is not None
    display_name = manager.sub_attribute("displayName")
    assert display_name is not None
    assert display_name.mutability == "readOnly"


def test_group_display_name_is_required() -> None:
    """Group displayName is required, following the text of RFC 7643 §4.2."""
    display_name = GROUP.attribute("displayName")
    assert display_name is not None
    assert display_name.required


def test_common_id_is_read_only_case_exact_and_always_returned() -> None:
    """id is readOnly, caseExact, server-unique and returned "always" (RFC 7643 §3.1)."""
    id_ = COMMON_ATTRIBUTES[0]
    assert (id_.name, id_.mutability, id_.case_exact, id_.returned, id_.uniqueness) == (
        "id",
        "readOnly",
        True,
        "always",
        "server",
    )


def test_user_resource_serves_users_with_an_optional_enterprise_extension() -> None:
    """The User resource type lives at /Users and takes the enterprise extension as optional."""
    assert (USER_RESOURCE.id, USER_RESOURCE.endpoint, USER_RESOURCE.extensions) == (
        "User",
        "/Users",
        ((ENTERPRISE_USER, False),),
    )


def test_group_resource_has_no_extensions() -> None:
    """The Group resource type lives at /Groups with no extensions."""
    assert (GROUP_RESOURCE.endpoint, GROUP_RESOURCE.extensions) == ("/Groups", ())
