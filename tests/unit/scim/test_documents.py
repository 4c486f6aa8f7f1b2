"""Resource documents: parsing request bodies, rendering, attribute selection (RFC 7643 §2-§3, RFC 7644 §3.9)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from scim2_models import Context, EnterpriseUser, User

from scimkeeper.scim.documents import (
    Meta,
    format_datetime,
    parse_attribute_list,
    parse_resource,
    render_resource,
    rendering_is_default_selection,
    select_attributes,
)
from scimkeeper.scim.errors import InvalidSyntax, InvalidValue
from scimkeeper.scim.schema import (
    ENTERPRISE_USER_URN,
    GROUP_RESOURCE,
    USER_RESOURCE,
    USER_SCHEMA_URN,
    Attribute,
    ResourceType,
    Schema,
)
from tests.documents import recorded

USER_ID = "2819c223-7f76-453a-919d-413861904646"
NOW = datetime(2026, 11, 29, 4, 12, 0, 123456, tzinfo=UTC)

# A schema exercising the attribute types and "returned" values the User schema does not use.
WIDGET = Schema(
    id="urn:example:schemas:Widget",
    name="Widget",
    description="Test schema",
    attributes=(
        Attribute("label", "string", required=True),
        Attribute("size", "integer"),
        Attribute("weight", "decimal"),
        Attribute("builtAt", "dateTime"),
        Attribute("blob", "binary"),
        Attribute("tags", "string", multi_valued=True),
        Attribute("secret", "string", returned="request"),
        Attribute("hidden", "string", returned="never"),
        Attribute(
            "badge",
            "complex",
            returned="always",
            sub_attributes=(Attribute("text", "string"), Attribute("code", "string", returned="never")),
        ),
        Attribute(
            "dims",
            "complex",
            sub_attributes=(Attribute("width", "integer"), Attribute("depth", "integer", returned="request")),
        ),
    ),
)
# Its URN starts with the core URN, so qualified names must match the longest URN.
WIDGET_EXTRA = Schema(
    id="urn:example:schemas:Widget:Extra",
    name="Extra",
    description="Required test extension",
    attributes=(Attribute("colour", "string", required=True), Attribute("hidden", "string", returned="never")),
)
WIDGET_RESOURCE = ResourceType(
    id="Widget",
    name="Widget",
    endpoint="/Widgets",
    description="Widgets",
    schema=WIDGET,
    extensions=((WIDGET_EXTRA, True),),
)


def meta_of(body: dict[str, Any]) -> Meta:
    meta = body["meta"]
    return Meta(
        resource_type=meta["resourceType"],
        created=datetime.fromisoformat(meta["created"]),
        last_modified=datetime.fromisoformat(meta["lastModified"]),
        location=meta["location"],
        version=meta["version"],
    )


def user(**attributes: Any) -> dict[str, Any]:
    return parse_resource({"schemas": [USER_SCHEMA_URN], "userName": "bjensen", **attributes}, USER_RESOURCE)


def widget(**attributes: Any) -> dict[str, Any]:
    body = {"label": "w", "urn:example:schemas:Widget:Extra": {"colour": "red"}, **attributes}
    return parse_resource(body, WIDGET_RESOURCE)


def render_user(document: dict[str, Any]) -> dict[str, Any]:
    meta = Meta("User", NOW, NOW, f"https://example.com/v2/Users/{USER_ID}", 'W/"1"')
    return render_resource(document, resource_type=USER_RESOURCE, id=USER_ID, meta=meta)


@pytest.fixture
def full_user() -> dict[str, Any]:
    """The RFC 7643 §8.3 enterprise user, parsed and rendered."""
    body = recorded("rfc7643_8_3_enterprise_user")
    return render_resource(
        parse_resource(body, USER_RESOURCE), resource_type=USER_RESOURCE, id=USER_ID, meta=meta_of(body)
    )


# --- parse_resource: spec vectors ------------------------------------------------------------------------


def test_full_user_round_trips_without_password_and_groups() -> None:
    """Parsing and rendering the RFC 7643 §8.2 user keeps every attribute but password and readOnly groups."""
    body = recorded("rfc7643_8_2_full_user")
    rendered = render_resource(
        parse_resource(body, USER_RESOURCE), resource_type=USER_RESOURCE, id=body["id"], meta=meta_of(body)
    )
    expected = {key: value for key, value in body.items() if key not in ("password", "groups")}
    assert rendered == expected


def test_enterprise_user_round_trips_without_read_only_manager_display_name() -> None:
    """The RFC 7643 §8.3 user round-trips; manager.displayName is readOnly and so not taken from input."""
    body = recorded("rfc7643_8_3_enterprise_user")
    rendered = render_resource(
        parse_resource(body, USER_RESOURCE), resource_type=USER_RESOURCE, id=body["id"], meta=meta_of(body)
    )
    expected = {key: value for key, value in body.items() if key not in ("password", "groups")}
    del expected[ENTERPRISE_USER_URN]["manager"]["displayName"]
    assert rendered == expected


def test_rendered_enterprise_user_is_valid_for_scim2_models(full_user: dict[str, Any]) -> None:
    """scim2_models accepts the rendered §8.3 user as a query response."""
    parsed = User[EnterpriseUser].model_validate(full_user, scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
    assert parsed[EnterpriseUser].department == "Tour Operations"


def test_canonical_document_is_a_valid_creation_request_for_scim2_models() -> None:
    """scim2_models accepts the canonical document of the §8.3 user as a creation request."""
    document = parse_resource(recorded("rfc7643_8_3_enterprise_user"), USER_RESOURCE)
    parsed = User[EnterpriseUser].model_validate(document, scim_ctx=Context.RESOURCE_CREATION_REQUEST)
    assert parsed.user_name == "bjensen@example.com"


def test_okta_create_body_keeps_profile_and_drops_password_and_groups() -> None:
    """Okta's POST /Users body becomes a document without password or the empty groups list."""
    assert parse_resource(recorded("okta_create_user"), USER_RESOURCE) == {
        "schemas": [USER_SCHEMA_URN],
        "externalId": "00ujl29u0le5T6Aj10h7",
        "userName": "test.user@okta.local",
        "name": {"familyName": "User", "givenName": "Test"},
        "displayName": "Test User",
        "locale": "en-US",
        "active": True,
        "emails": [{"value": "test.user@okta.local", "type": "work", "primary": True}],
    }


def test_entra_create_body_keeps_the_enterprise_extension_and_drops_meta() -> None:
    """Entra ID's POST /Users body keeps the extension and drops meta and the empty roles list."""
    document = parse_resource(recorded("entra_create_user"), USER_RESOURCE)
    assert document["schemas"] == [USER_SCHEMA_URN, ENTERPRISE_USER_URN]
    assert document[ENTERPRISE_USER_URN] == {
        "employeeNumber": "1234",
        "department": "Engineering",
        "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"},
    }
    assert "meta" not in document
    assert "roles" not in document


def test_parsing_a_canonical_document_returns_it_unchanged() -> None:
    """parse_resource is idempotent, so a patched canonical document can be validated again."""
    document = parse_resource(recorded("rfc7643_8_3_enterprise_user"), USER_RESOURCE)
    assert parse_resource(copy.deepcopy(document), USER_RESOURCE) == document


# --- parse_resource: names -------------------------------------------------------------------------------


def test_attribute_names_are_case_insensitive_and_made_canonical() -> None:
    """Input names in any case come out in canonical camelCase (RFC 7643 §2.1)."""
    body = {"UserName": "bjensen", "NAME": {"GIVENNAME": "Barbara"}, "Emails": [{"VALUE": "b@example.com"}]}
    assert parse_resource(body, USER_RESOURCE) == {
        "schemas": [USER_SCHEMA_URN],
        "userName": "bjensen",
        "name": {"givenName": "Barbara"},
        "emails": [{"value": "b@example.com"}],
    }


def test_canonical_document_orders_attributes_as_the_schema_does() -> None:
    """Attributes and sub-attributes come out in schema order, whatever the input order."""
    document = user(active=True, name={"givenName": "B", "familyName": "J"}, externalId="x")
    assert list(document) == ["schemas", "externalId", "userName", "name", "active"]
    assert list(document["name"]) == ["familyName", "givenName"]


def test_extension_attribute_may_be_given_fully_qualified_at_top_level() -> None:
    """An extension attribute qualified with its URN lands under the extension key."""
    document = user(**{f"{ENTERPRISE_USER_URN.upper()}:Department": "Tours"})
    assert document[ENTERPRISE_USER_URN] == {"department": "Tours"}
    assert document["schemas"] == [USER_SCHEMA_URN, ENTERPRISE_USER_URN]


def test_qualified_and_nested_extension_attributes_are_merged() -> None:
    """A qualified extension attribute joins those of the extension object."""
    document = user(**{ENTERPRISE_USER_URN: {"division": "Parks"}, f"{ENTERPRISE_USER_URN}:department": "Tours"})
    assert document[ENTERPRISE_USER_URN] == {"division": "Parks", "department": "Tours"}


def test_core_attribute_may_be_given_fully_qualified() -> None:
    """A core attribute qualified with the core URN is that core attribute."""
    body = {f"{USER_SCHEMA_URN}:userName": "bjensen"}
    assert parse_resource(body, USER_RESOURCE) == {"schemas": [USER_SCHEMA_URN], "userName": "bjensen"}


def test_core_urn_key_holding_an_object_gives_core_attributes() -> None:
    """A body key equal to the core URN contributes its attributes to the core schema."""
    assert parse_resource({USER_SCHEMA_URN: {"userName": "bjensen"}}, USER_RESOURCE)["userName"] == "bjensen"


def test_qualified_name_matches_the_longest_schema_urn() -> None:
    """When one URN extends another, a qualified name goes to the schema with the longer URN."""
    document = parse_resource({"label": "w", "urn:example:schemas:Widget:Extra:colour": "red"}, WIDGET_RESOURCE)
    assert document["urn:example:schemas:Widget:Extra"] == {"colour": "red"}


def test_unknown_attribute_is_invalid_syntax() -> None:
    """An attribute no schema defines is an invalidSyntax error naming it."""
    with pytest.raises(InvalidSyntax) as caught:
        user(favouriteColour="green")
    assert caught.value.detail == (
        'Unknown attribute "favouriteColour": it is not part of '
        "urn:ietf:params:scim:schemas:core:2.0:User or its extensions"
    )


def test_unknown_qualified_extension_attribute_names_the_extension() -> None:
    """An unknown attribute qualified with the enterprise URN names that extension."""
    with pytest.raises(InvalidSyntax) as caught:
        user(**{f"{ENTERPRISE_USER_URN}:shoeSize": "9"})
    assert caught.value.detail == f'Unknown attribute "shoeSize": it is not part of {ENTERPRISE_USER_URN}'


def test_unknown_sub_attribute_is_invalid_syntax() -> None:
    """A sub-attribute the attribute does not define is an invalidSyntax error naming its path."""
    with pytest.raises(InvalidSyntax) as caught:
        user(emails=[{"value": "a@example.com"}, {"value": "b@example.com", "label": "x"}])
    assert caught.value.detail == 'Unknown attribute "emails[1].label": emails has no sub-attribute "label"'


def test_attribute_given_twice_in_different_cases_is_invalid_syntax() -> None:
    """The same attribute twice, in different cases, is ambiguous and so rejected."""
    with pytest.raises(InvalidSyntax) as caught:
        parse_resource({"userName": "a", "USERNAME": "b"}, USER_RESOURCE)
    assert caught.value.detail == 'Attribute "userName" is given more than once'


def test_extension_attribute_given_nested_and_qualified_is_invalid_syntax() -> None:
    """The same extension attribute given nested and qualified is rejected with its qualified name."""
    with pytest.raises(InvalidSyntax) as caught:
        user(**{ENTERPRISE_USER_URN: {"department": "a"}, f"{ENTERPRISE_USER_URN}:department": "b"})
    assert caught.value.detail == f'Attribute "{ENTERPRISE_USER_URN}:department" is given more than once'


def test_sub_attribute_given_twice_is_invalid_syntax() -> None:
    """The same sub-attribute twice in one object is rejected."""
    with pytest.raises(InvalidSyntax) as caught:
        user(name={"givenName": "a", "GIVENNAME": "b"})
    assert caught.value.detail == 'Attribute "name.givenName" is given more than once'


# --- parse_resource: schemas -----------------------------------------------------------------------------


def test_schemas_is_rebuilt_from_the_extensions_that_carry_data() -> None:
    """An extension listed in schemas without data, and an unknown URN without data, are dropped."""
    body = {
        "schemas": [USER_SCHEMA_URN, ENTERPRISE_USER_URN, "urn:example:unknown"],
        "userName": "bjensen",
        ENTERPRISE_USER_URN: {},
    }
    assert parse_resource(body, USER_RESOURCE) == {"schemas": [USER_SCHEMA_URN], "userName": "bjensen"}


@pytest.mark.parametrize("body", [{"userName": "bjensen"}, {"schemas": None, "userName": "bjensen"}])
def test_missing_schemas_is_tolerated(body: dict[str, Any]) -> None:
    """A body without schemas, or with schemas null, still parses."""
    assert parse_resource(body, USER_RESOURCE)["schemas"] == [USER_SCHEMA_URN]


def test_schemas_urns_are_case_insensitive() -> None:
    """The core URN may be given in any case."""
    body = {"Schemas": [USER_SCHEMA_URN.upper()], "userName": "bjensen"}
    assert parse_resource(body, USER_RESOURCE)["schemas"] == [USER_SCHEMA_URN]


@pytest.mark.parametrize(
    ("schemas", "detail"),
    [
        (USER_SCHEMA_URN, f'schemas must be a list of schema URNs, got "{USER_SCHEMA_URN}"'),
        ([USER_SCHEMA_URN, 7], "schemas must be a list of schema URNs, got a list"),
        ([ENTERPRISE_USER_URN], f"schemas must contain {USER_SCHEMA_URN}"),
    ],
)
def test_malformed_schemas_is_invalid_syntax(schemas: object, detail: str) -> None:
    """schemas must be a list of strings that contains the core URN."""
    with pytest.raises(InvalidSyntax) as caught:
        parse_resource({"schemas": schemas, "userName": "bjensen"}, USER_RESOURCE)
    assert caught.value.detail == detail


def test_unknown_schema_key_with_data_is_invalid_syntax() -> None:
    """A body key that is an unknown URN and carries data is rejected, naming the URN."""
    with pytest.raises(InvalidSyntax) as caught:
        user(**{"urn:example:ext:1.0:User": {"shoeSize": 9}})
    assert caught.value.detail == (
        f'Unknown schema "urn:example:ext:1.0:User": User accepts {USER_SCHEMA_URN}, {ENTERPRISE_USER_URN}'
    )


@pytest.mark.parametrize("value", [None, {}, []])
def test_unknown_schema_key_without_data_is_dropped(value: object) -> None:
    """An unknown URN key that is null or empty is tolerated."""
    assert user(**{"urn:example:ext:1.0:User": value}) == {"schemas": [USER_SCHEMA_URN], "userName": "bjensen"}


def test_extension_key_holding_a_non_object_is_invalid_value() -> None:
    """The extension key must hold an object."""
    with pytest.raises(InvalidValue) as caught:
        user(**{ENTERPRISE_USER_URN: "Tours"})
    assert caught.value.detail == f'{ENTERPRISE_USER_URN} must be an object, got "Tours"'


def test_extension_key_holding_null_is_dropped() -> None:
    """A null extension is unassigned."""
    assert ENTERPRISE_USER_URN not in user(**{ENTERPRISE_USER_URN: None})


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ([], "The request body must be a JSON object, got a list"),
        ("bjensen", 'The request body must be a JSON object, got "bjensen"'),
        (None, "The request body must be a JSON object, got null"),
    ],
)
def test_body_that_is_not_an_object_is_invalid_syntax(body: object, detail: str) -> None:
    """Only a JSON object is a resource."""
    with pytest.raises(InvalidSyntax) as caught:
        parse_resource(body, USER_RESOURCE)
    assert caught.value.detail == detail


# --- parse_resource: mutability and unassigned values ----------------------------------------------------


def test_read_only_attributes_are_dropped() -> None:
    """id, meta and groups in a body are ignored, never an error (RFC 7643 §2.2)."""
    document = user(id="abc", meta={"resourceType": "User"}, groups=[{"value": "g1"}])
    assert document == {"schemas": [USER_SCHEMA_URN], "userName": "bjensen"}


def test_read_only_sub_attribute_is_dropped() -> None:
    """manager.displayName is ignored on input."""
    document = user(**{ENTERPRISE_USER_URN: {"manager": {"value": "m1", "displayName": "Boss"}}})
    assert document[ENTERPRISE_USER_URN] == {"manager": {"value": "m1"}}


def test_password_is_accepted_and_dropped() -> None:
    """password is writeOnly: accepted, never stored."""
    assert "password" not in user(password="t1meMa$heen")


@pytest.mark.parametrize(
    "attributes",
    [
        {"displayName": None},
        {"emails": []},
        {"emails": [None, {}]},
        {"name": {}},
        {"name": {"givenName": None}},
    ],
)
def test_null_and_empty_values_are_unassigned(attributes: dict[str, Any]) -> None:
    """null, empty lists and empty objects are dropped (RFC 7643 §2.5)."""
    assert user(**attributes) == {"schemas": [USER_SCHEMA_URN], "userName": "bjensen"}


def test_empty_string_is_a_value() -> None:
    """An empty string is kept: RFC 7643 §2.5 only equates null and empty arrays with unassigned."""
    assert user(nickName="")["nickName"] == ""


@pytest.mark.parametrize("user_name", [None, "", "   "])
def test_missing_or_blank_user_name_is_invalid_value(user_name: str | None) -> None:
    """userName is required and must not be blank."""
    body = {} if user_name is None else {"userName": user_name}
    with pytest.raises(InvalidValue) as caught:
        parse_resource(body, USER_RESOURCE)
    assert caught.value.detail == "userName is required"


def test_group_display_name_is_required() -> None:
    """A Group body without displayName is an invalidValue error."""
    with pytest.raises(InvalidValue) as caught:
        parse_resource({"members": [{"value": "u1"}]}, GROUP_RESOURCE)
    assert caught.value.detail == "displayName is required"


def test_required_extension_must_be_present() -> None:
    """An extension marked required by the resource type must carry data."""
    with pytest.raises(InvalidValue) as caught:
        parse_resource({"label": "w"}, WIDGET_RESOURCE)
    assert caught.value.detail == "urn:example:schemas:Widget:Extra is required for Widget resources"


def test_required_extension_attribute_is_named_qualified() -> None:
    """A required attribute missing from an extension is named with its URN."""
    with pytest.raises(InvalidValue) as caught:
        parse_resource({"label": "w", "urn:example:schemas:Widget:Extra": {"hidden": "x"}}, WIDGET_RESOURCE)
    assert caught.value.detail == "urn:example:schemas:Widget:Extra:colour is required"


# --- parse_resource: types -------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [("True", True), ("false", False), ("TRUE", True)])
def test_boolean_strings_are_converted(text: str, expected: bool) -> None:
    """Entra ID's "True" and "False" strings become booleans, in any case."""
    assert user(active=text)["active"] is expected


def test_boolean_strings_are_converted_in_sub_attributes() -> None:
    """emails[].primary given as "True" becomes true."""
    assert user(emails=[{"value": "a@example.com", "primary": "True"}])["emails"][0]["primary"] is True


def test_non_boolean_is_invalid_value_naming_the_path() -> None:
    """A wrong boolean is reported with its path and value."""
    with pytest.raises(InvalidValue) as caught:
        user(emails=[{"value": "a@example.com"}, {"value": "b@example.com", "primary": "yes"}])
    assert caught.value.detail == 'emails[1].primary must be a boolean, got "yes"'


def test_long_wrong_values_are_shortened_in_the_detail() -> None:
    """A wrong value longer than 60 characters is cut in the error detail."""
    with pytest.raises(InvalidValue) as caught:
        user(active="x" * 100)
    assert caught.value.detail == f'active must be a boolean, got "{"x" * 56}...'


@pytest.mark.parametrize(
    ("attributes", "detail"),
    [
        ({"userName": 42}, "userName must be a string, got 42"),
        ({"emails": {"value": "a@example.com"}}, "emails must be a list, got an object"),
        ({"name": "Barbara"}, 'name must be an object, got "Barbara"'),
        ({"emails": ["a@example.com"]}, 'emails[0] must be an object, got "a@example.com"'),
        ({"displayName": ["B"]}, "displayName must be a string, got a list"),
        ({"active": 1}, "active must be a boolean, got 1"),
    ],
)
def test_wrong_types_are_invalid_value(attributes: dict[str, Any], detail: str) -> None:
    """Each attribute type is checked, and the detail names the attribute."""
    body = {"userName": "bjensen", **attributes}
    with pytest.raises(InvalidValue) as caught:
        parse_resource(body, USER_RESOURCE)
    assert caught.value.detail == detail


def test_two_primary_values_are_invalid_value() -> None:
    """At most one value of a multi-valued attribute may be primary (RFC 7643 §2.4)."""
    emails = [{"value": "a@example.com", "primary": True}, {"value": "b@example.com", "primary": "True"}]
    with pytest.raises(InvalidValue) as caught:
        user(emails=emails)
    assert caught.value.detail == "emails has more than one primary value; at most one may be true"


def test_primary_false_on_every_value_is_fine() -> None:
    """Several values with primary false are kept as given."""
    emails = [{"value": "a@example.com", "primary": False}, {"value": "b@example.com", "primary": False}]
    assert user(emails=emails)["emails"] == emails


def test_manager_given_as_a_string_becomes_its_value() -> None:
    """A bare manager id is {"value": id}."""
    assert user(**{ENTERPRISE_USER_URN: {"manager": "m1"}})[ENTERPRISE_USER_URN] == {"manager": {"value": "m1"}}


def test_blank_manager_string_is_unassigned() -> None:
    """A blank manager string unassigns the manager."""
    assert ENTERPRISE_USER_URN not in user(**{ENTERPRISE_USER_URN: {"manager": " "}})


def test_wrong_extension_value_is_named_with_the_extension_urn() -> None:
    """A wrong extension value is reported under its qualified name."""
    with pytest.raises(InvalidValue) as caught:
        user(**{ENTERPRISE_USER_URN: {"manager": {"value": 7}}})
    assert caught.value.detail == f"{ENTERPRISE_USER_URN}:manager.value must be a string, got 7"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("size", 3),
        ("weight", 2),
        ("weight", 2.5),
        ("builtAt", "2008-01-23T04:56:22Z"),
        ("builtAt", "2008-01-23T04:56:22.1234567+05:30"),
        ("blob", "TWFu"),
        ("tags", ["a", "b"]),
    ],
)
def test_values_of_the_right_type_are_kept(name: str, value: object) -> None:
    """integer, decimal, dateTime, binary and multi-valued strings accept their types."""
    assert widget(**{name: value})[name] == value


@pytest.mark.parametrize(
    ("name", "value", "detail"),
    [
        ("size", True, "size must be an integer, got true"),
        ("size", "3", 'size must be an integer, got "3"'),
        ("weight", False, "weight must be a decimal number, got false"),
        ("weight", float("nan"), "weight must be a decimal number, got NaN"),
        ("builtAt", "yesterday", 'builtAt must be an xsd:dateTime such as 2008-01-23T04:56:22Z, got "yesterday"'),
        (
            "builtAt",
            "2008-13-23T04:56:22Z",
            'builtAt must be an xsd:dateTime such as 2008-01-23T04:56:22Z, got "2008-13-23T04:56:22Z"',
        ),
        ("blob", "not base64!", 'blob must be base64-encoded binary, got "not base64!"'),
        ("blob", 5, "blob must be base64-encoded binary, got 5"),
        ("tags", ["a", 1], "tags[1] must be a string, got 1"),
    ],
)
def test_values_of_the_wrong_type_are_invalid_value(name: str, value: object, detail: str) -> None:
    """integer, decimal, dateTime, binary and multi-valued strings reject other values."""
    with pytest.raises(InvalidValue) as caught:
        widget(**{name: value})
    assert caught.value.detail == detail


# --- render_resource -------------------------------------------------------------------------------------


def test_rendered_resource_puts_schemas_id_external_id_first_and_meta_last() -> None:
    """Rendering orders schemas, id, externalId, the attributes, then meta."""
    rendered = render_user(user(externalId="e1", active=True))
    assert list(rendered) == ["schemas", "id", "externalId", "userName", "active", "meta"]


def test_rendered_meta_has_rfc3339_utc_times() -> None:
    """meta times are UTC strings ending in Z, with the version and location as given."""
    assert render_user(user())["meta"] == {
        "resourceType": "User",
        "created": "2026-11-29T04:12:00.123456Z",
        "lastModified": "2026-11-29T04:12:00.123456Z",
        "location": f"https://example.com/v2/Users/{USER_ID}",
        "version": 'W/"1"',
    }


def test_rendered_resource_without_external_id_has_no_external_id_key() -> None:
    """externalId appears only when the document has one."""
    assert "externalId" not in render_user(user())


def test_rendered_resource_is_valid_for_scim2_models_without_extension() -> None:
    """scim2_models accepts a rendered minimal user as a creation response."""
    rendered = render_user(user(emails=[{"value": "b@example.com", "primary": True}]))
    assert User.model_validate(rendered, scim_ctx=Context.RESOURCE_CREATION_RESPONSE).id == USER_ID


def test_render_drops_attributes_returned_never() -> None:
    """Attributes returned "never" are not rendered, in the core schema or an extension."""
    document = widget(hidden="h", **{"urn:example:schemas:Widget:Extra": {"colour": "red", "hidden": "h"}})
    meta = Meta("Widget", NOW, NOW, "https://example.com/Widgets/1", 'W/"1"')
    rendered = render_resource(document, resource_type=WIDGET_RESOURCE, id="1", meta=meta)
    assert "hidden" not in rendered
    assert rendered["urn:example:schemas:Widget:Extra"] == {"colour": "red"}


def test_render_drops_an_extension_holding_only_never_returned_attributes() -> None:
    """An extension left empty is not rendered and not listed in schemas."""
    document = {"label": "w", "urn:example:schemas:Widget:Extra": {"hidden": "h"}}
    meta = Meta("Widget", NOW, NOW, "https://example.com/Widgets/1", 'W/"1"')
    rendered = render_resource(document, resource_type=WIDGET_RESOURCE, id="1", meta=meta)
    assert rendered["schemas"] == ["urn:example:schemas:Widget"]
    assert "urn:example:schemas:Widget:Extra" not in rendered


def test_format_datetime_converts_to_utc() -> None:
    """An aware time in another zone is written in UTC with Z."""
    moment = datetime(2026, 11, 29, 6, 12, tzinfo=timezone(timedelta(hours=2)))
    assert format_datetime(moment) == "2026-11-29T04:12:00Z"


def test_format_datetime_refuses_naive_times() -> None:
    """A naive datetime is a programming error."""
    with pytest.raises(ValueError, match="timezone-aware"):
        format_datetime(datetime(2026, 11, 29))  # noqa: DTZ001 -- the naive time is the point


# --- parse_attribute_list --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ()),
        ("", ()),
        ("a,b , name.givenName", ("a", "b", "name.givenName")),
        (" ,userName,, ", ("userName",)),
    ],
)
def test_attribute_list_is_split_on_commas_and_trimmed(value: str | None, expected: tuple[str, ...]) -> None:
    """The parameter is a comma-separated list; blanks between commas are ignored."""
    assert parse_attribute_list(value) == expected


# --- select_attributes -----------------------------------------------------------------------------------


def select(resource: dict[str, Any], attributes: str = "", excluded: str = "") -> dict[str, Any]:
    return select_attributes(
        resource,
        USER_RESOURCE,
        attributes=parse_attribute_list(attributes),
        excluded=parse_attribute_list(excluded),
    )


def test_no_parameters_return_every_default_attribute(full_user: dict[str, Any]) -> None:
    """Without attributes or excludedAttributes the rendered resource is returned as is."""
    assert select(full_user) == full_user


def test_attributes_return_only_those_plus_schemas_and_id(full_user: dict[str, Any]) -> None:
    """attributes=userName returns schemas, id and userName only; meta is not "always"."""
    assert select(full_user, "userName") == {
        "schemas": full_user["schemas"],
        "id": USER_ID,
        "userName": "bjensen@example.com",
    }


def test_attribute_names_in_parameters_are_case_insensitive(full_user: dict[str, Any]) -> None:
    """USERNAME selects userName."""
    assert select(full_user, "USERNAME") == select(full_user, "userName")


def test_sub_attribute_selects_part_of_a_complex_attribute(full_user: dict[str, Any]) -> None:
    """name.givenName returns name with givenName only."""
    assert select(full_user, "name.givenName")["name"] == {"givenName": "Barbara"}


def test_sub_attribute_selects_part_of_every_value(full_user: dict[str, Any]) -> None:
    """emails.value returns every email with its value only."""
    assert select(full_user, "emails.value")["emails"] == [
        {"value": "bjensen@example.com"},
        {"value": "babs@jensen.org"},
    ]


def test_unknown_sub_attribute_selects_nothing(full_user: dict[str, Any]) -> None:
    """emails.nothing leaves no email to return."""
    assert "emails" not in select(full_user, "emails.nothing")


def test_common_sub_attribute_can_be_selected(full_user: dict[str, Any]) -> None:
    """meta.lastModified returns meta with lastModified only."""
    assert select(full_user, "meta.lastModified")["meta"] == {"lastModified": "2011-05-13T04:42:34Z"}


def test_qualified_extension_attribute_can_be_selected(full_user: dict[str, Any]) -> None:
    """A URN-qualified name selects one extension attribute."""
    selected = select(full_user, f"{ENTERPRISE_USER_URN}:department")
    assert selected[ENTERPRISE_USER_URN] == {"department": "Tour Operations"}
    assert "userName" not in selected


def test_qualified_extension_sub_attribute_can_be_selected(full_user: dict[str, Any]) -> None:
    """urn:...:manager.value selects the manager's value only."""
    selected = select(full_user, f"{ENTERPRISE_USER_URN}:manager.value")
    assert selected[ENTERPRISE_USER_URN] == {"manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"}}


def test_extension_urn_selects_the_whole_extension(full_user: dict[str, Any]) -> None:
    """The extension URN alone selects every attribute of the extension."""
    selected = select(full_user, ENTERPRISE_USER_URN)
    assert selected[ENTERPRISE_USER_URN] == full_user[ENTERPRISE_USER_URN]
    assert set(selected) == {"schemas", "id", ENTERPRISE_USER_URN}


def test_unknown_names_are_ignored(full_user: dict[str, Any]) -> None:
    """Unknown names in either parameter select and exclude nothing."""
    assert select(full_user, "nonsense,userName") == select(full_user, "userName")
    assert select(full_user, excluded="nonsense,urn:example:x:y") == full_user


def test_excluded_attribute_is_removed(full_user: dict[str, Any]) -> None:
    """excludedAttributes=emails removes emails and keeps the rest."""
    selected = select(full_user, excluded="emails")
    assert "emails" not in selected
    assert selected["userName"] == "bjensen@example.com"


def test_excluded_never_removes_always_returned_attributes(full_user: dict[str, Any]) -> None:
    """excludedAttributes=id leaves id in place."""
    assert select(full_user, excluded="id,schemas")["id"] == USER_ID
    assert "schemas" in select(full_user, excluded="id,schemas")


def test_excluded_sub_attribute_is_removed(full_user: dict[str, Any]) -> None:
    """excludedAttributes=name.familyName removes only familyName."""
    name = select(full_user, excluded="name.familyName")["name"]
    assert "familyName" not in name
    assert name["givenName"] == "Barbara"


def test_excluded_extension_urn_removes_the_extension(full_user: dict[str, Any]) -> None:
    """excludedAttributes with the extension URN removes the whole extension."""
    assert ENTERPRISE_USER_URN not in select(full_user, excluded=ENTERPRISE_USER_URN)


def test_attributes_then_excluded_attributes_apply_in_turn(full_user: dict[str, Any]) -> None:
    """With both parameters, attributes selects and excludedAttributes then removes."""
    assert select(full_user, "name", "name.givenName")["name"] == {
        key: value for key, value in full_user["name"].items() if key != "givenName"
    }


def test_attributes_and_excluded_of_the_same_attribute_return_nothing_of_it(full_user: dict[str, Any]) -> None:
    """An attribute both selected and excluded is not returned."""
    assert "userName" not in select(full_user, "userName", "userName")


def test_keys_no_schema_describes_are_not_emitted() -> None:
    """Keys outside every schema, top level or inside an extension, are dropped."""
    resource = {"schemas": [USER_SCHEMA_URN], "id": "1", "shoeSize": 9, ENTERPRISE_USER_URN: {"shoeSize": 9}}
    assert select(resource) == {"schemas": [USER_SCHEMA_URN], "id": "1"}


def select_widget(resource: dict[str, Any], attributes: str = "", excluded: str = "") -> dict[str, Any]:
    return select_attributes(
        resource,
        WIDGET_RESOURCE,
        attributes=parse_attribute_list(attributes),
        excluded=parse_attribute_list(excluded),
    )


WIDGET_RENDERED: dict[str, Any] = {
    "schemas": ["urn:example:schemas:Widget"],
    "id": "1",
    "label": "w",
    "secret": "s",
    "hidden": "h",
    "badge": {"text": "t", "code": "c"},
    "dims": {"width": 1, "depth": 2},
}


def test_request_returned_attribute_is_omitted_by_default() -> None:
    """Attributes and sub-attributes returned "request" are left out without attributes."""
    selected = select_widget(WIDGET_RENDERED)
    assert "secret" not in selected
    assert selected["dims"] == {"width": 1}


def test_request_returned_attribute_appears_when_named() -> None:
    """Naming a "request" attribute, or its parent, returns it."""
    assert select_widget(WIDGET_RENDERED, "secret")["secret"] == "s"
    assert select_widget(WIDGET_RENDERED, "dims")["dims"] == {"width": 1, "depth": 2}
    assert select_widget(WIDGET_RENDERED, "dims.depth")["dims"] == {"depth": 2}


def test_never_returned_attribute_is_omitted_even_when_named() -> None:
    """Attributes and sub-attributes returned "never" never appear."""
    selected = select_widget(WIDGET_RENDERED, "hidden,badge.code")
    assert "hidden" not in selected
    assert selected["badge"] == {"text": "t"}


def test_always_returned_attribute_survives_selection_and_exclusion() -> None:
    """An attribute returned "always" stays, without its "never" sub-attributes."""
    assert select_widget(WIDGET_RENDERED, "label", "badge")["badge"] == {"text": "t"}


# --- the default selection ------------------------------------------------------------------------------


def test_a_rendered_user_is_its_own_default_selection(full_user: dict[str, Any]) -> None:
    """Reads without attributes/excludedAttributes may skip selecting: it would change nothing for a User."""
    assert rendering_is_default_selection(USER_RESOURCE)
    assert select_attributes(full_user, USER_RESOURCE) == full_user


def test_a_resource_with_an_extension_attribute_returned_never_needs_the_selection() -> None:
    """Rendering drops only top-level "never" attributes; the Widget's extension has one inside."""
    assert not rendering_is_default_selection(WIDGET_RESOURCE)
