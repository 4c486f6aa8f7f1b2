"""Okta's provisioning conversation, replayed against a live server exactly as Okta sends it."""

from __future__ import annotations

from scim2_models import Context

from tests.documents import LIST_RESPONSE, okta_user
from tests.e2e.conftest import Server, Tenant
from tests.oracle import valid_error, valid_list, valid_user

# Okta's recorded body, moved from the special-use .local domain to one the e-mail validator of the oracle accepts.
OKTA_USER = okta_user("test.user@acme.com")
OKTA_HEADERS = {"User-Agent": "Okta SCIM Client 1.0.0", "Content-Type": "application/scim+json; charset=utf-8"}


def test_okta_crud_flow(server: Server, tenant: Tenant) -> None:
    """List on an empty account, create, read, rename, deactivate and reactivate, refuse duplicates and strangers."""
    scim = tenant.client
    scim.headers.update(OKTA_HEADERS)

    empty = scim.get("/Users", params={"startIndex": 1, "count": 2})
    assert empty.status_code == 200
    assert empty.headers["content-type"] == "application/scim+json"
    assert empty.json() == {
        "schemas": [LIST_RESPONSE],
        "totalResults": 0,
        "startIndex": 1,
        "itemsPerPage": 0,
        "Resources": [],
    }

    created = scim.post("/Users", json=OKTA_USER)
    assert created.status_code == 201, created.text
    user = created.json()
    valid_user(user, Context.RESOURCE_CREATION_RESPONSE)
    user_id = user["id"]
    assert created.headers["location"] == f"{server.scim_url}/Users/{user_id}" == user["meta"]["location"]
    assert created.headers["etag"] == user["meta"]["version"]
    assert "password" not in user
    assert "groups" not in user
    assert (user["userName"], user["externalId"], user["locale"], user["active"]) == (
        "test.user@acme.com",
        "00ujl29u0le5T6Aj10h7",
        "en-US",
        True,
    )

    fetched = scim.get(f"/Users/{user_id}")
    assert fetched.status_code == 200
    assert fetched.json() == user

    renamed_body = {**fetched.json(), "name": {"givenName": "Tess", "familyName": "User"}, "password": "x1"}
    renamed = scim.put(f"/Users/{user_id}", json=renamed_body)
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == {"givenName": "Tess", "familyName": "User"}
    assert renamed.json()["meta"]["version"] != user["meta"]["version"]
    valid_user(renamed.json(), Context.RESOURCE_REPLACEMENT_RESPONSE)

    for active in (False, True):
        toggled = scim.put(f"/Users/{user_id}", json={**renamed.json(), "active": active})
        assert toggled.status_code == 200, toggled.text
        assert (toggled.json()["id"], toggled.json()["active"]) == (user_id, active)
        assert scim.get(f"/Users/{user_id}").json()["active"] is active

    duplicate = scim.post("/Users", json={**OKTA_USER, "userName": "TEST.USER@acme.com"})
    assert duplicate.status_code == 409
    assert duplicate.json()["scimType"] == "uniqueness"
    valid_error(duplicate.json())

    for unknown in ("00000000-0000-4000-8000-000000000000", "not-a-uuid", "%20", "x" * 300):
        missing = scim.get(f"/Users/{unknown}")
        assert missing.status_code == 404, unknown
        valid_error(missing.json())

    listed = scim.get("/Users", params={"startIndex": 1, "count": 100})
    valid_list(listed.json())
    assert [r["id"] for r in listed.json()["Resources"]] == [user_id]

    stranger = server.client(Authorization="non-token").get("/Users")
    assert stranger.status_code == 401
    assert stranger.headers["www-authenticate"].startswith("Bearer")
    assert stranger.headers["content-type"] == "application/scim+json"
    valid_error(stranger.json())
