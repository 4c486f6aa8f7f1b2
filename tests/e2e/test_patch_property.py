"""Property: any PATCH sent over HTTP leaves the user exactly as the PATCH engine, applied to what GET showed, says."""

from __future__ import annotations

import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scimkeeper.scim.errors import ScimError
from scimkeeper.scim.patch import apply_patch, parse_patch_request
from scimkeeper.scim.schema import ENTERPRISE_USER_URN, USER_RESOURCE
from tests.e2e.conftest import Tenant

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
word = st.sampled_from(["Ada", "bob", "Ölaf", "x" * 20, "Ω"])
operation = st.one_of(
    st.fixed_dictionaries(
        {
            "op": st.sampled_from(["replace", "add", "Replace"]),
            "path": st.sampled_from(
                ["title", "nickName", "displayName", "name.givenName", "userType", f"{ENTERPRISE_USER_URN}:department"]
            ),
            "value": word,
        }
    ),
    st.fixed_dictionaries({"op": st.just("remove"), "path": st.sampled_from(["title", "nickName", "name", "emails"])}),
    st.fixed_dictionaries(
        {
            "op": st.just("replace"),
            "value": st.fixed_dictionaries(
                {}, optional={"active": st.booleans(), "title": word, "name.familyName": word}
            ),
        }
    ),
    st.fixed_dictionaries(
        {
            "op": st.just("add"),
            "path": st.just("emails"),
            "value": st.lists(
                st.fixed_dictionaries(
                    {"value": st.sampled_from(["a@acme.com", "b@acme.com"]), "type": st.sampled_from(["work", "home"])}
                ),
                min_size=1,
                max_size=2,
            ),
        }
    ),
    st.fixed_dictionaries(
        {
            "op": st.just("replace"),
            "path": st.just('emails[type eq "work"].value'),
            "value": st.sampled_from(["c@acme.com", "d@acme.com"]),
        }
    ),
    st.fixed_dictionaries(
        {"op": st.just("replace"), "path": st.just("active"), "value": st.sampled_from([True, False, "True", "False"])}
    ),
)


def visible(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k not in ("id", "meta")}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=st.lists(operation, min_size=1, max_size=4))
def test_patch_over_http_matches_the_engine(tenant: Tenant, operations: list[dict[str, Any]]) -> None:
    """PATCH response, a later GET and the engine's result agree; a refused PATCH changes nothing."""
    body = {"userName": f"p{uuid.uuid4().hex[:8]}@acme.com", "title": "Start", "emails": [{"value": "a@acme.com"}]}
    created = tenant.client.post("/Users", json=body).json()
    before = tenant.client.get(f"/Users/{created['id']}").json()
    request = {"schemas": [PATCH_OP], "Operations": operations}
    try:
        expected: dict[str, Any] | None = apply_patch(visible(before), parse_patch_request(request), USER_RESOURCE)
    except ScimError:
        expected = None
    response = tenant.client.patch(f"/Users/{created['id']}", json=request)
    after = tenant.client.get(f"/Users/{created['id']}").json()
    if expected is None:
        assert response.status_code == 400, response.text
        assert after == before
        return
    assert response.status_code == 200, response.text
    assert response.json() == after
    assert visible(after) == expected
    assert (after["meta"]["version"] == before["meta"]["version"]) == (visible(before) == expected)
