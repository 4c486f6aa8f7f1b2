"""The deprovisioning lifecycle end to end: Okta's flow, the purge through the CLI, and the access API."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.documents import PATCH_OP, okta_user
from tests.e2e.conftest import CLI, Server, Tenant


def set_active(tenant: Tenant, user_id: str, active: bool) -> httpx.Response:
    operations = [{"op": "replace", "value": {"active": active}}]
    return tenant.client.patch(f"/Users/{user_id}", json={"schemas": [PATCH_OP], "Operations": operations})


def later(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


@pytest.fixture(scope="module")
def app_key(server: Server) -> str:
    return str(server.cli_json("app-key", "generate", "--name", "tracker")["key"])


def access(server: Server, key: str, account: str, member: str) -> dict[str, Any]:
    response = httpx.get(
        f"{server.base_url}/api/v1/accounts/{account}/members/{member}/access",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_okta_flow_through_deprovisioning_purge_and_reprovisioning(server: Server, tenant: Tenant) -> None:
    """filter, POST, PUT, PATCH false, GET 200, PATCH true (same id), PATCH false, purge, 404, POST again."""
    scim = tenant.client
    assert scim.get("/Users", params={"filter": 'userName eq "olga@acme.com"'}).json()["totalResults"] == 0
    user = scim.post("/Users", json=okta_user("olga@acme.com")).json()
    renamed = scim.put(f"/Users/{user['id']}", json={**user, "name": {"givenName": "Olga", "familyName": "New"}})
    assert renamed.json()["name"]["familyName"] == "New"
    assert set_active(tenant, user["id"], False).json()["active"] is False
    fetched = scim.get(f"/Users/{user['id']}")
    assert (fetched.status_code, fetched.json()["active"]) == (200, False)
    listed = server.cli_json("member", "list", tenant.id)
    assert [(m["state"], m["removal_at"] is not None) for m in listed] == [("deprovisioned", True)]
    back = set_active(tenant, user["id"], True).json()
    assert (back["id"], back["active"]) == (user["id"], True)
    set_active(tenant, user["id"], False)

    preview = server.cli_json("purge", "--dry-run", "--as-of", later(31))
    assert user["id"] in [m["id"] for m in preview["members"]]
    assert scim.get(f"/Users/{user['id']}").status_code == 200
    report = server.cli_json("purge", "--as-of", later(31), "--yes")
    assert user["id"] in [m["id"] for m in report["members"]]

    assert scim.get(f"/Users/{user['id']}").status_code == 404
    assert scim.get("/Users", params={"filter": 'userName eq "olga@acme.com"'}).json()["totalResults"] == 0
    again = scim.post("/Users", json=okta_user("olga@acme.com"))
    assert again.status_code == 201
    assert again.json()["id"] != user["id"]


def test_purge_as_of_a_future_instant_needs_yes(server: Server) -> None:
    """A real purge in the future would remove members early: it needs --yes."""
    refused = server.cli("purge", "--as-of", later(60), check=False)
    assert refused.returncode == 1
    assert "--yes" in refused.stderr


def test_entra_delete_removes_at_once_and_frees_the_user_name(tenant: Tenant) -> None:
    """DELETE (Entra, after its own soft delete) → 204, then 404, and the userName can be used again."""
    user = tenant.client.post("/Users", json=okta_user("emil@acme.com")).json()
    assert tenant.client.delete(f"/Users/{user['id']}").status_code == 204
    assert tenant.client.get(f"/Users/{user['id']}").status_code == 404
    assert tenant.client.post("/Users", json=okta_user("emil@acme.com")).status_code == 201


def test_operator_removes_a_member_by_hand(server: Server, tenant: Tenant) -> None:
    """`member remove` removes at once; the IdP sees 404."""
    user = tenant.client.post("/Users", json=okta_user("rita@acme.com")).json()
    server.cli("member", "remove", tenant.id, user["id"])
    assert tenant.client.get(f"/Users/{user['id']}").status_code == 404


def test_access_is_refused_as_soon_as_the_idp_deprovisions(server: Server, tenant: Tenant, app_key: str) -> None:
    """Allowed while active; refused right after the PATCH is acknowledged; allowed again after reactivation."""
    user = tenant.client.post("/Users", json=okta_user("paul@acme.com")).json()
    assert access(server, app_key, tenant.id, user["id"])["allowed"] is True
    set_active(tenant, user["id"], False)
    refused = access(server, app_key, tenant.id, user["id"])
    assert (refused["allowed"], refused["state"]) == (False, "deprovisioned")
    assert refused["removalAt"] is not None
    set_active(tenant, user["id"], True)
    assert access(server, app_key, tenant.id, user["id"])["allowed"] is True
    tenant.client.delete(f"/Users/{user['id']}")
    assert access(server, app_key, tenant.id, user["id"])["state"] == "removed"


def test_access_by_email(server: Server, tenant: Tenant, app_key: str) -> None:
    """The host application can ask by the address the member signs in with."""
    user = tenant.client.post("/Users", json=okta_user("vera@acme.com")).json()
    response = httpx.get(
        f"{server.base_url}/api/v1/accounts/{tenant.id}/access",
        params={"email": "VERA@acme.com"},
        headers={"Authorization": f"Bearer {app_key}"},
    )
    assert (response.json()["member"], response.json()["allowed"]) == (user["id"], True)


def test_scim_tokens_and_app_keys_do_not_open_each_others_api(server: Server, tenant: Tenant, app_key: str) -> None:
    """The credentials are separate: each API refuses the other's."""
    by_token = httpx.get(
        f"{server.base_url}/api/v1/accounts/{tenant.id}/access",
        params={"email": "x@acme.com"},
        headers={"Authorization": f"Bearer {tenant.token}"},
    )
    assert by_token.status_code == 401
    assert by_token.headers["content-type"] == "application/json"
    assert server.client(app_key).get("/Users").status_code == 401
    unknown_account = httpx.get(
        f"{server.base_url}/api/v1/accounts/nope/members/x/access", headers={"Authorization": f"Bearer {app_key}"}
    )
    assert unknown_account.status_code == 404


def test_two_purge_processes_at_once_remove_each_member_exactly_once(server: Server, tenant: Tenant) -> None:
    """Two `scimkeeper purge` processes started together: every due member is purged by exactly one of them."""
    ids = []
    for i in range(30):
        user = tenant.client.post("/Users", json=okta_user(f"p{i}@acme.com")).json()
        set_active(tenant, user["id"], False)
        ids.append(user["id"])
    command = [*CLI, "purge", "--as-of", later(31), "--yes", "--json"]
    processes = [
        subprocess.Popen(command, env=server.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    purged = [m["id"] for stdout, _ in outputs for m in json.loads(stdout)["members"] if m["id"] in ids]
    assert sorted(purged) == sorted(ids)
    audited = [e["target_id"] for e in server.cli_json("audit", tenant.id) if e["action"] == "member.purged"]
    assert sorted(audited) == sorted(ids)
