"""PATCH remove (RFC 7644 §3.5.2.2): attributes, sub-attributes, values by filter, extensions, and its refusals."""

from __future__ import annotations

from typing import Any

import pytest

from scimkeeper.scim.documents import parse_resource
from scimkeeper.scim.errors import Mutability
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
    {
        "schemas": [GROUP_SCHEMA_URN],
        "displayName": "Tour Guides",
        "members": [{"value": "m1", "display": "One"}, {"value": "m2", "display": "Two"}],
    },
    GROUP_RESOURCE,
)


def patch(document: dict[str, Any], *operations: object, resource_type: ResourceType = USER_RESOURCE) -> dict[str, Any]:
    request = {"schemas": [PATCH_OP_URN], "Operations": list(operations)}
    return apply_patch(document, parse_patch_request(request), resource_type)


def remove(path: str, document: dict[str, Any] = BJENSEN) -> dict[str, Any]:
    return patch(document, {"op": "remove", "path": path})


def test_remove_unassigns_a_single_valued_attribute() -> None:
    """§3.5.2.2: a single-valued attribute is removed and becomes unassigned."""
    assert "title" not in remove("title")


def test_remove_unassigns_a_sub_attribute() -> None:
    """name.givenName removes that sub-attribute alone."""
    assert remove("name.givenName")["name"] == {"familyName": "Jensen"}


def test_removing_the_last_sub_attribute_unassigns_the_attribute() -> None:
    """A complex attribute left with no sub-attributes is unassigned."""
    assert "name" not in patch(
        BJENSEN, {"op": "remove", "path": "name.givenName"}, {"op": "remove", "path": "name.familyName"}
    )


def test_remove_unassigns_a_complex_attribute() -> None:
    """name removes the whole complex attribute."""
    assert "name" not in remove("name")


def test_remove_unassigns_all_values() -> None:
    """§3.5.2.2: without a filter all values of a multi-valued attribute are removed."""
    assert "emails" not in remove("emails")


def test_remove_takes_the_values_a_filter_matches() -> None:
    """§3.5.2.2: the values matched by the filter are removed."""
    assert remove('emails[type eq "work"]')["emails"] == [{"value": "babs@jensen.org", "type": "home"}]


def test_removing_every_value_unassigns_the_attribute() -> None:
    """§3.5.2.2: with no values left, the multi-valued attribute is unassigned."""
    assert "emails" not in remove('emails[value co "@"]')


def test_remove_takes_a_sub_attribute_of_matches() -> None:
    """emails[type eq "work"].primary removes primary from the matching values."""
    assert remove('emails[type eq "work"].primary')["emails"][0] == {"value": "bjensen@example.com", "type": "work"}


def test_remove_takes_a_sub_attribute_of_every_value() -> None:
    """emails.type removes type from every value."""
    assert [set(email) for email in remove("emails.type")["emails"]] == [{"value", "primary"}, {"value"}]


def test_remove_of_an_unassigned_attribute_changes_nothing() -> None:
    """Removing what is not there succeeds and leaves the document as it was."""
    assert remove("nickName") == BJENSEN
    assert remove("name.middleName", BARE) == BARE
    assert remove("emails", BARE) == BARE


def test_remove_through_a_filter_matching_nothing_changes_nothing() -> None:
    """A filter that matches no value removes nothing and succeeds."""
    assert remove('emails[type eq "other"]') == BJENSEN


def test_remove_of_an_extension_attribute() -> None:
    """An extension attribute is removed; an empty extension leaves schemas."""
    result = patch(
        BJENSEN,
        {"op": "remove", "path": f"{ENTERPRISE_USER_URN}:department"},
        {"op": "remove", "path": f"{ENTERPRISE_USER_URN}:manager.value"},
    )
    assert ENTERPRISE_USER_URN not in result
    assert result["schemas"] == [USER_SCHEMA_URN]


def test_remove_of_an_extension_attribute_without_the_extension() -> None:
    """Removing an attribute of an extension the document lacks changes nothing."""
    assert remove(f"{ENTERPRISE_USER_URN}:department", BARE) == BARE


def test_remove_of_the_whole_extension() -> None:
    """The extension URN as a path removes all of its attributes."""
    assert ENTERPRISE_USER_URN not in remove(ENTERPRISE_USER_URN)


def test_remove_of_the_core_schema_is_mutability() -> None:
    """The core schema cannot be removed: it holds userName."""
    with pytest.raises(Mutability, match="core schema"):
        remove(USER_SCHEMA_URN)


def test_remove_of_a_required_attribute_is_mutability() -> None:
    """§3.5.2.2: removing a required attribute is a mutability error."""
    with pytest.raises(Mutability, match=r"^Operation 1 \(remove userName\): userName is required"):
        remove("userName")


def test_remove_of_a_read_only_attribute_is_mutability() -> None:
    """§3.5.2.2: removing a read-only attribute is a mutability error."""
    with pytest.raises(Mutability, match="id is read-only"):
        remove("id")


def test_remove_of_password_changes_nothing() -> None:
    """password is never stored, so removing it succeeds with no change."""
    assert remove("password") == BJENSEN


def test_remove_with_a_value_list_removes_agreeing_values() -> None:
    """Entra ID: remove members with value [{"value": id}] removes those members; null sub-attributes are ignored."""
    operation = {"op": "Remove", "path": "members", "value": [{"$ref": None, "value": "m1"}]}
    assert patch(GUIDES, operation, resource_type=GROUP_RESOURCE)["members"] == [{"value": "m2", "display": "Two"}]


def test_remove_with_a_single_object_value() -> None:
    """A single object as the value of a remove is one entry."""
    operation = {"op": "remove", "path": "emails", "value": {"value": "babs@jensen.org"}}
    assert len(patch(BJENSEN, operation)["emails"]) == 1


def test_remove_with_an_empty_entry_removes_nothing() -> None:
    """An entry with no sub-attributes agrees with nothing, rather than with everything."""
    operation = {"op": "remove", "path": "members", "value": [{"value": None}]}
    assert patch(GUIDES, operation, resource_type=GROUP_RESOURCE) == GUIDES


def test_remove_with_a_value_list_of_unassigned_attribute_changes_nothing() -> None:
    """Removing listed values from an attribute with none succeeds."""
    assert patch(BARE, {"op": "remove", "path": "emails", "value": [{"value": "x@example.com"}]}) == BARE


def test_filter_on_primary_false_selects_values_without_primary() -> None:
    """RFC 7643 §2.4: an unspecified primary is false, so `[primary eq false]` removes the non-primary values."""
    assert remove("emails[primary eq false]")["emails"] == [
        {"value": "bjensen@example.com", "type": "work", "primary": True}
    ]


def test_removing_schemas_is_mutability() -> None:
    """`schemas` is a read-only pseudo-attribute: a path naming it is a mutability error."""
    with pytest.raises(Mutability, match="schemas is read-only"):
        remove("schemas")


def test_core_urn_qualified_common_attribute_resolves() -> None:
    """`urn:…:core:2.0:User:id` names the common attribute id, which is read-only."""
    with pytest.raises(Mutability, match="id is read-only"):
        remove(f"{USER_SCHEMA_URN}:id")
