"""PATCH replace (RFC 7644 §3.5.2.3): singular, complex and multi-valued targets, value filters, path-less values."""

from __future__ import annotations

from typing import Any

import pytest

from scimkeeper.scim.documents import parse_resource
from scimkeeper.scim.errors import Mutability
from scimkeeper.scim.patch import PATCH_OP_URN, apply_patch, parse_patch_request
from scimkeeper.scim.schema import (
    ENTERPRISE_USER_URN,
    USER_RESOURCE,
    USER_SCHEMA_URN,
    Attribute,
    ResourceType,
    Schema,
)
from tests.documents import bjensen

BJENSEN = parse_resource(
    bjensen(
        emails=[*bjensen()["emails"], {"value": "b@jensen.example", "type": "work"}],
        **{ENTERPRISE_USER_URN: {"department": "Tours", "manager": {"value": "m1", "$ref": "../Users/m1"}}},
    ),
    USER_RESOURCE,
)

# A resource type with an immutable top-level attribute, which User and Group lack.
BADGE = Schema(
    id="urn:example:schemas:Badge",
    name="Badge",
    description="Test schema",
    attributes=(Attribute("serial", "string", mutability="immutable"), Attribute("label", "string")),
)
BADGE_RESOURCE = ResourceType(id="Badge", name="Badge", endpoint="/Badges", description="", schema=BADGE)


def patch(document: dict[str, Any], *operations: object, resource_type: ResourceType = USER_RESOURCE) -> dict[str, Any]:
    request = {"schemas": [PATCH_OP_URN], "Operations": list(operations)}
    return apply_patch(document, parse_patch_request(request), resource_type)


def replace(path: str | None, value: object, document: dict[str, Any] = BJENSEN) -> dict[str, Any]:
    operation: dict[str, Any] = {"op": "replace", "value": value}
    if path is not None:
        operation["path"] = path
    return patch(document, operation)


def test_replace_sets_a_single_valued_attribute() -> None:
    """§3.5.2.3: a single-valued attribute's value is replaced."""
    assert replace("title", "Senior Guide")["title"] == "Senior Guide"


def test_replace_of_an_unassigned_attribute_adds_it() -> None:
    """§3.5.2.3: replacing an attribute that does not exist is an add."""
    assert replace("nickName", "Babs")["nickName"] == "Babs"


def test_replace_of_a_complex_attribute_keeps_unnamed_sub_attributes() -> None:
    """§3.5.2.3: sub-attributes not specified in the value are left unchanged."""
    assert replace("name", {"givenName": "Babs"})["name"] == {"familyName": "Jensen", "givenName": "Babs"}


def test_replace_of_the_manager_with_a_bare_id() -> None:
    """Entra ID's bare manager id replaces the whole manager."""
    result = replace(f"{ENTERPRISE_USER_URN}:manager", "m2")
    assert result[ENTERPRISE_USER_URN]["manager"] == {"value": "m2"}


def test_replace_of_a_multi_valued_attribute_replaces_all_values() -> None:
    """§3.5.2.3: without a filter, all values are replaced."""
    assert replace("emails", [{"value": "new@example.com"}])["emails"] == [{"value": "new@example.com"}]


def test_replace_of_a_multi_valued_attribute_with_one_object() -> None:
    """A single object replaces all values with itself."""
    assert replace("emails", {"value": "new@example.com"})["emails"] == [{"value": "new@example.com"}]


def test_replace_through_a_filter_sets_the_sub_attribute_of_every_match() -> None:
    """§3.5.2.3: the sub-attribute of all matching values is replaced."""
    result = replace('emails[type eq "work"].display', "Work")
    assert [email.get("display") for email in result["emails"]] == ["Work", None, "Work"]


def test_replace_through_a_filter_merges_into_matches() -> None:
    """An object given for emails[type eq "home"] merges into the match, keeping its type."""
    result = replace('emails[type eq "home"]', {"value": "babs@example.org"})
    assert result["emails"][1] == {"value": "babs@example.org", "type": "home"}


def test_replace_through_a_filter_matching_nothing_creates_the_value() -> None:
    """Entra ID: a filter of eq comparisons that matches nothing describes the value to create."""
    result = replace('emails[type eq "other"].value', "o@example.com")
    assert result["emails"][-1] == {"value": "o@example.com", "type": "other"}


def test_replace_of_primary_demotes_the_other_values() -> None:
    """RFC 7643 §2.4: setting primary on one value sets it false on the former primary."""
    result = replace('emails[value eq "babs@jensen.org"].primary', True)
    assert [email.get("primary") for email in result["emails"]] == [False, True, None]


def test_replace_with_null_unassigns_the_attribute() -> None:
    """RFC 7643 §2.5: null is unassigned, so replace with null removes the attribute."""
    assert "title" not in replace("title", None)


def test_replace_of_a_required_attribute_with_null_is_mutability() -> None:
    """Unassigning userName is a mutability error, as remove would be."""
    with pytest.raises(Mutability, match="userName is required"):
        replace("userName", None)


def test_replace_with_the_same_value_returns_an_equal_document() -> None:
    """A no-op PATCH returns a document equal to its input, so the caller can tell nothing changed."""
    assert replace("title", "Tour Guide") == BJENSEN
    assert replace('emails[type eq "work"].type', "work") == BJENSEN


def test_replace_without_path_replaces_each_attribute() -> None:
    """§3.5.2.3: without a path, each attribute of the value is replaced."""
    result = replace(None, {"title": "Guide", "emails": [{"value": "x@example.com"}]})
    assert (result["title"], result["emails"]) == ("Guide", [{"value": "x@example.com"}])


def test_replace_without_path_ignores_read_only_keys() -> None:
    """Okta sends id; read-only keys (id, meta, groups) and schemas in a path-less value are ignored."""
    value = {"id": "x", "meta": {"created": "2011-08-01T21:32:44.882Z"}, "groups": [], "schemas": [], "title": "G"}
    assert replace(None, value) == {**BJENSEN, "title": "G"}


def test_replace_without_path_drops_password() -> None:
    """Okta's password sync is accepted and changes nothing."""
    assert replace(None, {"password": "t1meMa$heen"}) == BJENSEN


def test_replace_without_path_with_null_unassigns() -> None:
    """A null value for a key of a path-less value unassigns that attribute."""
    assert "title" not in replace(None, {"title": None})


def test_replace_without_path_with_null_extension_removes_the_extension() -> None:
    """A null extension object unassigns all of the extension's attributes."""
    result = replace(None, {ENTERPRISE_USER_URN: None})
    assert ENTERPRISE_USER_URN not in result
    assert result["schemas"] == [USER_SCHEMA_URN]


def test_replace_without_path_of_a_dotted_key() -> None:
    """Entra ID: name.givenName as a key replaces that sub-attribute."""
    assert replace(None, {"name.givenName": "Babs"})["name"] == {"familyName": "Jensen", "givenName": "Babs"}


def test_replace_without_path_of_a_qualified_sub_attribute() -> None:
    """Entra ID: urn:...:manager.value as a key replaces the manager's id and keeps its $ref."""
    result = replace(None, {f"{ENTERPRISE_USER_URN}:manager.value": "m2"})
    assert result[ENTERPRISE_USER_URN]["manager"] == {"value": "m2", "$ref": "../Users/m1"}


def test_replace_changing_an_immutable_attribute_is_mutability() -> None:
    """§3.5.2: an immutable attribute with a value cannot change."""
    badge = {"schemas": [BADGE.id], "serial": "A1"}
    with pytest.raises(Mutability, match="serial is immutable"):
        patch(badge, {"op": "replace", "path": "serial", "value": "B2"}, resource_type=BADGE_RESOURCE)


def test_replace_of_an_immutable_attribute_with_its_value_is_allowed() -> None:
    """Writing the value an immutable attribute already has changes nothing and succeeds."""
    badge = {"schemas": [BADGE.id], "serial": "A1"}
    operation = {"op": "replace", "path": "serial", "value": "A1"}
    assert patch(badge, operation, resource_type=BADGE_RESOURCE) == badge


def test_setting_an_unassigned_immutable_attribute_is_allowed() -> None:
    """§3.5.2: an immutable attribute without a value may be given one."""
    badge = {"schemas": [BADGE.id], "label": "L"}
    operation = {"op": "add", "path": "serial", "value": "A1"}
    assert patch(badge, operation, resource_type=BADGE_RESOURCE)["serial"] == "A1"
