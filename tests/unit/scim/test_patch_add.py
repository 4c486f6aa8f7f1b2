"""PATCH add (RFC 7644 §3.5.2.1): singular, complex and multi-valued targets, value filters, path-less values."""

from __future__ import annotations

from typing import Any

import pytest

from scimkeeper.scim.documents import parse_resource
from scimkeeper.scim.errors import InvalidValue, Mutability, NoTarget
from scimkeeper.scim.patch import PATCH_OP_URN, apply_patch, parse_patch_request
from scimkeeper.scim.schema import (
    ENTERPRISE_USER_URN,
    GROUP_RESOURCE,
    GROUP_SCHEMA_URN,
    USER_RESOURCE,
    USER_SCHEMA_URN,
    ResourceType,
)
from tests.documents import bjensen, user

BJENSEN = parse_resource(bjensen(), USER_RESOURCE)
BARE = parse_resource(user("bare"), USER_RESOURCE)
GUIDES = parse_resource(
    {"schemas": [GROUP_SCHEMA_URN], "displayName": "Tour Guides", "members": [{"value": "m1", "display": "One"}]},
    GROUP_RESOURCE,
)


def patch(document: dict[str, Any], *operations: object, resource_type: ResourceType = USER_RESOURCE) -> dict[str, Any]:
    request = {"schemas": [PATCH_OP_URN], "Operations": list(operations)}
    return apply_patch(document, parse_patch_request(request), resource_type)


def add(document: dict[str, Any], path: str | None, value: object) -> dict[str, Any]:
    operation: dict[str, Any] = {"op": "add", "value": value}
    if path is not None:
        operation["path"] = path
    return patch(document, operation)


def test_add_sets_an_unassigned_attribute() -> None:
    """§3.5.2.1: a target that does not exist is added."""
    assert add(BJENSEN, "nickName", "Babs")["nickName"] == "Babs"


def test_add_replaces_a_single_valued_attribute() -> None:
    """§3.5.2.1: on a single-valued attribute the existing value is replaced."""
    assert add(BJENSEN, "userName", "babs")["userName"] == "babs"


def test_add_merges_sub_attributes_into_a_complex_attribute() -> None:
    """A complex value adds its sub-attributes and keeps the others."""
    assert add(BJENSEN, "name", {"middleName": "Jane"})["name"] == {
        "familyName": "Jensen",
        "givenName": "Barbara",
        "middleName": "Jane",
    }


def test_add_sets_a_sub_attribute() -> None:
    """name.givenName sets that sub-attribute alone."""
    assert add(BJENSEN, "name.givenName", "Babs")["name"] == {"familyName": "Jensen", "givenName": "Babs"}


def test_add_sets_a_sub_attribute_of_an_unassigned_complex_attribute() -> None:
    """name.givenName on a resource without name creates name."""
    assert add(BARE, "name.givenName", "Babs")["name"] == {"givenName": "Babs"}


def test_add_appends_values_to_a_multi_valued_attribute() -> None:
    """§3.5.2.1: on a multi-valued attribute the values are added."""
    result = add(BJENSEN, "emails", [{"value": "b@example.net", "type": "other"}])
    assert result["emails"][2] == {"value": "b@example.net", "type": "other"}
    assert len(result["emails"]) == 3


def test_add_accepts_one_object_for_a_multi_valued_attribute() -> None:
    """A single object, not in a list, is added as one value."""
    assert add(BARE, "emails", {"value": "b@example.net"})["emails"] == [{"value": "b@example.net"}]


def test_add_of_a_present_value_changes_nothing() -> None:
    """§3.5.2.1: a value already present is not added again, so the document is unchanged."""
    assert add(BJENSEN, "emails", [{"value": "babs@jensen.org", "type": "home"}]) == BJENSEN


def test_add_of_a_value_agreeing_with_a_present_one_changes_nothing() -> None:
    """A value whose sub-attributes all match those of a present value is already there."""
    assert add(BJENSEN, "emails", [{"value": "babs@jensen.org"}]) == BJENSEN


def test_add_of_a_primary_value_demotes_the_other() -> None:
    """RFC 7643 §2.4: a new primary value makes the former primary value non-primary."""
    result = add(BJENSEN, "emails", {"value": "new@example.com", "primary": "True"})
    assert [email.get("primary") for email in result["emails"]] == [False, None, True]


def test_add_through_a_filter_sets_the_sub_attribute_of_matches() -> None:
    """Entra ID: add on emails[type eq "work"].value changes the matching values."""
    result = add(BJENSEN, 'emails[type eq "work"].value', "babs@example.com")
    assert result["emails"][0] == {"value": "babs@example.com", "type": "work", "primary": True}


def test_add_through_a_filter_merges_an_object_into_matches() -> None:
    """An object added through a filter merges into each matching value."""
    result = add(BJENSEN, 'emails[type eq "home"]', {"display": "Home"})
    assert result["emails"][1] == {"value": "babs@jensen.org", "display": "Home", "type": "home"}


def test_add_through_a_filter_matching_nothing_builds_the_value() -> None:
    """Entra ID: a filter of eq comparisons that matches nothing describes the value to create."""
    result = add(BARE, 'emails[type eq "work" and primary eq true]', {"value": "b@example.com"})
    assert result["emails"] == [{"value": "b@example.com", "type": "work", "primary": True}]


def test_add_through_a_filter_of_other_comparisons_matching_nothing_is_no_target() -> None:
    """A filter that is not eq comparisons joined by and cannot describe a new value."""
    with pytest.raises(NoTarget, match="only eq comparisons joined by and"):
        add(BARE, 'emails[type eq "work" or type eq "home"].value', "b@example.com")


def test_add_through_a_contradictory_filter_is_no_target() -> None:
    """Two eq comparisons of one sub-attribute with different values describe no value."""
    with pytest.raises(NoTarget, match="contradict"):
        add(BARE, 'emails[type eq "work" and type eq "home"].value', "b@example.com")


def test_add_through_a_filter_needs_an_object_without_sub_attribute() -> None:
    """A value path without a sub-attribute takes an object."""
    with pytest.raises(InvalidValue, match="must be an object"):
        add(BJENSEN, 'emails[type eq "work"]', "b@example.com")


def test_add_of_a_sub_attribute_of_every_value() -> None:
    """emails.display sets the sub-attribute of every value."""
    result = add(BJENSEN, "emails.display", "E-mail")
    assert [email["display"] for email in result["emails"]] == ["E-mail", "E-mail"]


def test_add_of_a_sub_attribute_of_no_values_creates_one() -> None:
    """emails.value on a resource without emails creates one value."""
    assert add(BARE, "emails.value", "b@example.com")["emails"] == [{"value": "b@example.com"}]


def test_add_without_path_merges_each_attribute() -> None:
    """§3.5.2.1: without a path, each attribute of the value is added, names read case-insensitively."""
    result = add(BJENSEN, None, {"NickName": "Babs", "name": {"middleName": "J"}, "emails": [{"value": "c@d.org"}]})
    assert result["nickName"] == "Babs"
    assert result["name"]["middleName"] == "J"
    assert result["emails"][-1] == {"value": "c@d.org"}


def test_add_without_path_accepts_an_extension_object() -> None:
    """The extension URN as a key takes an object of the extension's attributes."""
    result = add(BARE, None, {ENTERPRISE_USER_URN: {"department": "Tours", "manager": "m1"}})
    assert result["schemas"] == [USER_SCHEMA_URN, ENTERPRISE_USER_URN]
    assert result[ENTERPRISE_USER_URN] == {"department": "Tours", "manager": {"value": "m1"}}


def test_add_to_the_extension_path() -> None:
    """The extension URN as a path takes an object of the extension's attributes."""
    result = add(BARE, ENTERPRISE_USER_URN, {"manager.value": "m1", "costCenter": "4130"})
    assert result[ENTERPRISE_USER_URN] == {"costCenter": "4130", "manager": {"value": "m1"}}


def test_add_to_the_core_schema_path() -> None:
    """The core schema URN as a path takes an object of core attributes."""
    assert add(BARE, USER_SCHEMA_URN, {"title": "Guide"})["title"] == "Guide"


def test_add_of_an_extension_attribute_adds_the_extension_schema() -> None:
    """An extension attribute brings its schema into schemas."""
    result = add(BARE, f"{ENTERPRISE_USER_URN}:department", "Tours")
    assert result["schemas"] == [USER_SCHEMA_URN, ENTERPRISE_USER_URN]


def test_add_of_password_is_accepted_and_dropped() -> None:
    """password is write-only and never stored: add succeeds and changes nothing."""
    assert add(BJENSEN, "password", "t1meMa$heen") == BJENSEN


def test_add_of_a_sub_attribute_that_was_unassigned_is_allowed_when_immutable() -> None:
    """§3.5.2: a client may add a value to an immutable attribute that had none."""
    operation = {"op": "add", "path": 'members[value eq "m1"].display', "value": "One"}
    assert patch(GUIDES, operation, resource_type=GROUP_RESOURCE) == GUIDES


def test_add_changing_an_immutable_sub_attribute_is_mutability() -> None:
    """§3.5.2: an immutable value, once set, cannot change."""
    operation = {"op": "add", "path": 'members[value eq "m1"].display', "value": "Uno"}
    with pytest.raises(Mutability, match="display is immutable"):
        patch(GUIDES, operation, resource_type=GROUP_RESOURCE)


def test_add_of_a_new_group_member() -> None:
    """A member whose immutable sub-attributes are new is added."""
    operation = {"op": "add", "path": "members", "value": [{"value": "m2"}]}
    result = patch(GUIDES, operation, resource_type=GROUP_RESOURCE)
    assert result["members"] == [{"value": "m1", "display": "One"}, {"value": "m2"}]
