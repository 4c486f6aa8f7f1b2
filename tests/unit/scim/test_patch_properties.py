"""Property tests for PATCH (RFC 7644 §3.5.2): any request fails only with a ScimError, and never alters its input."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from scimkeeper.scim.documents import parse_resource
from scimkeeper.scim.errors import ScimError
from scimkeeper.scim.patch import PATCH_OP_URN, apply_patch, parse_patch_request
from scimkeeper.scim.schema import ENTERPRISE_USER_URN, USER_RESOURCE, USER_SCHEMA_URN
from tests.documents import bjensen

BJENSEN = parse_resource(bjensen(), USER_RESOURCE)
PATHS = [
    "title", "userName", "UserName", "active", "name", "name.givenName", "emails", "Emails.Value", "emails.primary",
    'emails[type eq "work"]', 'emails[type eq "work"].value', 'emails[primary eq "True"].type',
    'emails[value co "x" or type eq "home"].display', 'emails[type eq "a" and type eq "b"].value',
    "id", "meta.created", "groups", "password", "foo", "name[givenName eq \"x\"]", "emails[foo eq 1]",
    f"{ENTERPRISE_USER_URN}:manager", f"{ENTERPRISE_USER_URN}:manager.value", f"{ENTERPRISE_USER_URN}:department",
    ENTERPRISE_USER_URN, USER_SCHEMA_URN, "urn:example:ext:color", "emails[type eq",
]  # fmt: skip
KEYS = [
    "title", "Active", "name.givenName", "id", "schemas", "password", 'emails[type eq "home"].value', "emails",
    f"{ENTERPRISE_USER_URN}:manager", f"{ENTERPRISE_USER_URN}:manager.value", ENTERPRISE_USER_URN, "nope",
    "name", "emails.value", "emails.primary",
]  # fmt: skip

scalars = st.one_of(
    st.none(), st.booleans(), st.sampled_from(["True", "false", "", "x", "a@example.com"]), st.integers(-2, 2)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["value", "type", "primary", "givenName", "display", "x"]), inner, max_size=3)
    ),
    max_leaves=6,
)
values = json_values | st.dictionaries(st.sampled_from(KEYS), json_values, max_size=3)
operations = st.fixed_dictionaries(
    {"op": st.sampled_from(["add", "replace", "remove", "Replace", "Add", "Remove"])},
    optional={"path": st.sampled_from(PATHS), "value": values},
)


def apply(document: dict[str, Any], request: dict[str, Any]) -> dict[str, Any] | None:
    try:
        return apply_patch(document, parse_patch_request(request), USER_RESOURCE)
    except ScimError:
        return None


@settings(max_examples=500, database=None)
@given(st.lists(operations, min_size=1, max_size=4))
def test_patch_fails_only_with_scim_errors_and_keeps_its_input(ops: list[dict[str, Any]]) -> None:
    """Any sequence of operations either applies or raises a ScimError, and the input document never changes."""
    document = copy.deepcopy(BJENSEN)
    apply(document, {"schemas": [PATCH_OP_URN], "Operations": ops})
    assert document == BJENSEN


@settings(max_examples=300, database=None)
@given(st.lists(operations, min_size=1, max_size=4))
def test_patch_result_is_canonical(ops: list[dict[str, Any]]) -> None:
    """A successful PATCH returns a canonical document: validating it again gives it back unchanged."""
    result = apply(BJENSEN, {"schemas": [PATCH_OP_URN], "Operations": ops})
    if result is not None:
        assert parse_resource(result, USER_RESOURCE) == result
