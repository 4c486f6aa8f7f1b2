"""PATCH requests (RFC 7644 §3.5.2): reading the PatchOp message, and the errors of Table 9 with their details."""

from __future__ import annotations

from typing import Any

import pytest

from scimkeeper.scim.documents import parse_resource
from scimkeeper.scim.errors import (
    InvalidFilter,
    InvalidPath,
    InvalidSyntax,
    InvalidValue,
    Mutability,
    NoTarget,
    PayloadTooLarge,
)
from scimkeeper.scim.filter import AttrPath, PatchPath, parse_path
from scimkeeper.scim.patch import MAX_OPERATIONS, PATCH_OP_URN, PatchOperation, apply_patch, parse_patch_request
from scimkeeper.scim.schema import USER_RESOURCE, USER_SCHEMA_URN
from tests.documents import bjensen

BJENSEN = parse_resource(bjensen(), USER_RESOURCE)


def body(*operations: object) -> dict[str, Any]:
    return {"schemas": [PATCH_OP_URN], "Operations": list(operations)}


def patch(*operations: object) -> dict[str, Any]:
    return apply_patch(BJENSEN, parse_patch_request(body(*operations)), USER_RESOURCE)


# --- The message -------------------------------------------------------------------------------------------


def test_operations_are_parsed_in_order() -> None:
    """Each operation keeps its 0-based index, its op, its parsed path and its raw value."""
    parsed = parse_patch_request(
        body({"op": "add", "path": "nickName", "value": "Babs"}, {"op": "remove", "path": "title"})
    )
    assert parsed == (
        PatchOperation(0, "add", parse_path("nickName"), "Babs"),
        PatchOperation(1, "remove", PatchPath(AttrPath(None, "title")), None),
    )


def test_body_must_be_an_object() -> None:
    """A JSON array or scalar is not a PatchOp message."""
    with pytest.raises(InvalidSyntax, match="must be a JSON object"):
        parse_patch_request([{"op": "add"}])


def test_missing_schemas_is_tolerated() -> None:
    """A body without schemas is read as a PatchOp message."""
    assert len(parse_patch_request({"Operations": [{"op": "remove", "path": "title"}]})) == 1


def test_schemas_match_case_insensitively() -> None:
    """The PatchOp URN in schemas is compared case-insensitively."""
    upper = parse_patch_request({"schemas": [PATCH_OP_URN.upper()], "Operations": [{"op": "remove", "path": "title"}]})
    assert upper == parse_patch_request({"schemas": [PATCH_OP_URN], "Operations": [{"op": "remove", "path": "title"}]})
    assert len(upper) == 1


@pytest.mark.parametrize("schemas", [["urn:ietf:params:scim:schemas:core:2.0:User"], PATCH_OP_URN])
def test_schemas_without_the_patch_op_urn_is_invalid_syntax(schemas: object) -> None:
    """schemas, when given, must be a list holding the PatchOp URN."""
    with pytest.raises(InvalidSyntax, match="schemas must be a list containing"):
        parse_patch_request({"schemas": schemas, "Operations": [{"op": "remove", "path": "title"}]})


@pytest.mark.parametrize("operations", [None, [], {"op": "add"}], ids=["absent", "empty", "object"])
def test_operations_must_be_a_non_empty_list(operations: object) -> None:
    """Operations must be a list with at least one operation."""
    request: dict[str, Any] = {"schemas": [PATCH_OP_URN]}
    if operations is not None:
        request["Operations"] = operations
    with pytest.raises(InvalidSyntax, match="Operations must be a non-empty list"):
        parse_patch_request(request)


def test_member_names_are_case_insensitive() -> None:
    """OPERATIONS, Op, Path and Value are read like their canonical spellings."""
    parsed = parse_patch_request({"OPERATIONS": [{"Op": "add", "Path": "nickName", "Value": "Babs"}]})
    assert parsed == (PatchOperation(0, "add", parse_path("nickName"), "Babs"),)


def test_op_is_case_insensitive() -> None:
    """Entra ID's "Replace" is replace."""
    assert parse_patch_request(body({"op": "Replace", "path": "active", "value": False}))[0].op == "replace"


def test_operation_limit_is_accepted() -> None:
    """A request with exactly MAX_OPERATIONS operations is read."""
    assert len(parse_patch_request(body(*[{"op": "remove", "path": "title"}] * MAX_OPERATIONS))) == MAX_OPERATIONS


def test_too_many_operations_is_payload_too_large() -> None:
    """More than MAX_OPERATIONS operations is refused with 413, as for bulk requests (§3.7.4)."""
    with pytest.raises(PayloadTooLarge, match=f"the limit is {MAX_OPERATIONS}") as raised:
        parse_patch_request(body(*[{"op": "remove", "path": "title"}] * (MAX_OPERATIONS + 1)))
    assert raised.value.status == 413


def test_operation_must_be_an_object() -> None:
    """An operation that is not an object is invalid syntax naming its 1-based position."""
    with pytest.raises(InvalidSyntax, match=r"^Operation 2: must be an object"):
        parse_patch_request(body({"op": "remove", "path": "title"}, "remove"))


@pytest.mark.parametrize("op", [None, 1, "delete"], ids=["absent", "number", "unknown"])
def test_op_must_be_add_replace_or_remove(op: object) -> None:
    """An absent, non-string or unknown op is invalid syntax."""
    operation = {"path": "title"} if op is None else {"op": op, "path": "title"}
    with pytest.raises(InvalidSyntax, match=r'^Operation 1: "op" must be "add", "replace" or "remove"$'):
        parse_patch_request(body(operation))


def test_path_must_be_a_string() -> None:
    """A path that is not a string is invalid syntax."""
    with pytest.raises(InvalidSyntax, match=r'^Operation 1 \(remove\): "path" must be a string$'):
        parse_patch_request(body({"op": "remove", "path": ["title"]}))


def test_malformed_path_is_invalid_path_with_position() -> None:
    """A path the grammar refuses is invalidPath naming the operation and the position."""
    with pytest.raises(InvalidPath, match=r"^Operation 1 \(replace\): Invalid path at position 15: "):
        parse_patch_request(body({"op": "replace", "path": "emails[type eq", "value": "x"}))


def test_remove_without_path_is_no_target() -> None:
    """§3.5.2.2: remove without a path fails with noTarget."""
    with pytest.raises(NoTarget, match=r'^Operation 1 \(remove\): remove needs a "path"'):
        parse_patch_request(body({"op": "remove"}))


@pytest.mark.parametrize("op", ["add", "replace"])
def test_add_or_replace_without_value_is_invalid_value(op: str) -> None:
    """add and replace need a value member."""
    with pytest.raises(InvalidValue, match=rf'^Operation 1 \({op} title\): {op} needs a "value"$'):
        parse_patch_request(body({"op": op, "path": "title"}))


def test_add_with_null_value_is_invalid_value() -> None:
    """add with a null value has nothing to add."""
    with pytest.raises(InvalidValue, match='add needs a "value"'):
        parse_patch_request(body({"op": "add", "path": "title", "value": None}))


def test_replace_with_null_value_is_accepted() -> None:
    """replace with a null value is read; applying it unassigns the target."""
    assert parse_patch_request(body({"op": "replace", "path": "title", "value": None}))[0].value is None


def test_path_less_value_must_be_an_object() -> None:
    """Without a path the value must be an object of attributes."""
    with pytest.raises(InvalidValue, match=r"^Operation 1 \(replace\): without a path, the value must be an object"):
        parse_patch_request(body({"op": "replace", "value": [{"active": False}]}))


def test_describe_counts_from_one_and_shows_the_path() -> None:
    """describe() names the operation as a person counts, with its canonical path."""
    operations = parse_patch_request(
        body({"op": "remove", "path": "title"}, {"op": "Add", "path": 'emails[type  eq "work"].value', "value": "x"})
    )
    assert [operation.describe() for operation in operations] == [
        "Operation 1 (remove title)",
        'Operation 2 (add emails[type eq "work"].value)',
    ]


# --- Errors while applying ---------------------------------------------------------------------------------


def test_unknown_attribute_is_invalid_path() -> None:
    """A path naming no attribute of the schema is invalidPath naming it and the schema."""
    detail = f'^Operation 1 \\(replace foo\\): Unknown attribute "foo": not an attribute of {USER_SCHEMA_URN}, nor a'
    with pytest.raises(InvalidPath, match=detail):
        patch({"op": "replace", "path": "foo", "value": "x"})


def test_unknown_schema_is_invalid_path() -> None:
    """A path qualified by a schema the resource type lacks is invalidPath."""
    with pytest.raises(InvalidPath, match='Unknown schema "urn:example:ext"'):
        patch({"op": "replace", "path": "urn:example:ext:color", "value": "x"})


def test_unknown_sub_attribute_is_invalid_path() -> None:
    """A path naming no sub-attribute of a complex attribute is invalidPath."""
    with pytest.raises(InvalidPath, match=r'Unknown attribute "name\.nick": name has no sub-attribute "nick"'):
        patch({"op": "replace", "path": "name.nick", "value": "x"})


def test_sub_attribute_of_a_simple_attribute_is_invalid_path() -> None:
    """A simple attribute has no sub-attributes."""
    with pytest.raises(InvalidPath, match='userName is not complex, so it has no sub-attribute "first"'):
        patch({"op": "replace", "path": "userName.first", "value": "x"})


def test_value_filter_on_a_single_valued_attribute_is_invalid_path() -> None:
    """A value filter applies only to a multi-valued complex attribute."""
    with pytest.raises(InvalidPath, match='"name" is not a multi-valued complex attribute'):
        patch({"op": "replace", "path": 'name[givenName eq "x"].familyName', "value": "y"})


def test_value_filter_naming_no_sub_attribute_is_invalid_filter() -> None:
    """Table 9 gives invalidFilter for a path filter that names no sub-attribute, even with no values to test."""
    with pytest.raises(InvalidFilter, match='emails has no sub-attribute "kind"'):
        patch({"op": "remove", "path": 'emails[kind eq "x"]'})


def test_read_only_attribute_is_mutability() -> None:
    """A path naming a read-only attribute is a mutability error naming it."""
    with pytest.raises(Mutability, match=r"^Operation 1 \(add groups\): groups is read-only$"):
        patch({"op": "add", "path": "groups", "value": [{"value": "g1"}]})


def test_read_only_sub_attribute_is_mutability() -> None:
    """A path naming a read-only sub-attribute is a mutability error."""
    path = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName"
    with pytest.raises(Mutability, match=r"manager\.displayName is read-only"):
        patch({"op": "replace", "path": path, "value": "Boss"})


def test_read_only_meta_sub_attribute_is_mutability() -> None:
    """meta.created cannot be written."""
    with pytest.raises(Mutability, match=r"meta\.created is read-only"):
        patch({"op": "replace", "path": "meta.created", "value": "2011-08-01T21:32:44.882Z"})


def test_error_names_the_operation_and_its_path() -> None:
    """A validation error after an operation names it, counting from 1, with its path."""
    expected = r'^Operation 2 \(replace emails\[type eq "work"\].value\): emails\[0\].value must be a string, got 5$'
    with pytest.raises(InvalidValue, match=expected):
        patch(
            {"op": "replace", "path": "title", "value": "Guide"},
            {"op": "replace", "path": 'emails[type eq "work"].value', "value": 5},
        )


def test_unknown_key_in_path_less_value_is_invalid_path() -> None:
    """A key of a path-less value that names no attribute is invalidPath naming the key."""
    expected = (
        r'^Operation 1 \(replace\): value key "colour": '
        rf'Unknown attribute "colour": not an attribute of {USER_SCHEMA_URN}'
    )
    with pytest.raises(InvalidPath, match=expected):
        patch({"op": "replace", "value": {"colour": "blue"}})


def test_malformed_key_in_path_less_value_is_invalid_path() -> None:
    """A key of a path-less value that is no path is invalidPath."""
    with pytest.raises(InvalidPath, match=r'value key "name\.": Invalid path'):
        patch({"op": "replace", "value": {"name.": "x"}})


def test_unknown_extension_in_path_less_value_is_invalid_path() -> None:
    """An extension the resource type lacks, as a key of a path-less value, is invalidPath."""
    with pytest.raises(InvalidPath, match="Unknown schema"):
        patch({"op": "add", "value": {"urn:example:ext:2.0:User": {"color": "blue"}}})


def test_extension_value_must_be_an_object() -> None:
    """The value of a whole extension must be an object of its attributes."""
    urn = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    with pytest.raises(InvalidValue, match=f"the value for {urn} must be an object"):
        patch({"op": "add", "path": urn, "value": "Sales"})


def test_unknown_sub_attribute_in_value_is_refused() -> None:
    """A value with a sub-attribute the schema lacks is refused by the re-validation."""
    with pytest.raises(InvalidSyntax, match=r'^Operation 1 \(add emails\): Unknown attribute "emails\[2\]\.label"'):
        patch({"op": "add", "path": "emails", "value": [{"value": "b@example.com", "label": "x"}]})


def test_sub_attribute_given_twice_is_invalid_syntax() -> None:
    """A value naming one sub-attribute twice, in different cases, is refused."""
    with pytest.raises(InvalidSyntax, match=r'"name\.givenName" is given more than once'):
        patch({"op": "add", "path": "name", "value": {"givenName": "A", "GIVENNAME": "B"}})


def test_failed_request_leaves_the_document_untouched() -> None:
    """§3.5.2: PATCH is atomic; a failing operation raises and the input is unchanged."""
    before = parse_resource(BJENSEN, USER_RESOURCE)
    with pytest.raises(Mutability):
        patch({"op": "replace", "path": "title", "value": "Guide"}, {"op": "remove", "path": "userName"})
    assert before == BJENSEN


def test_unknown_sub_attribute_merged_into_a_complex_value_is_refused() -> None:
    """A sub-attribute the schema lacks, merged into name, is refused by the re-validation."""
    with pytest.raises(InvalidSyntax, match=r'^Operation 2 \(replace name\): Unknown attribute "name.nick"'):
        patch(
            {"op": "add", "path": "name", "value": {"givenName": "Barbara"}},
            {"op": "replace", "path": "name", "value": {"nick": "Babs"}},
        )


def test_bare_string_for_a_multi_valued_complex_attribute_is_invalid_value() -> None:
    """emails takes objects; a bare string is refused by the re-validation."""
    with pytest.raises(InvalidValue, match=r"emails\[2\] must be an object"):
        patch({"op": "add", "path": "emails", "value": "babs@example.com"})


def test_sub_attribute_of_a_value_that_is_no_object_is_invalid_value() -> None:
    """name.givenName after a path-less name that is not an object is refused."""
    with pytest.raises(InvalidValue, match=r"name must be an object, so name.givenName can be set"):
        patch({"op": "replace", "value": {"name": 5, "name.givenName": "Babs"}})
