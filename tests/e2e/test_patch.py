"""PATCH as Okta and Entra send it, PUT's rules, and ETags, over real HTTP on both databases."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.documents import PATCH_OP, employee
from tests.e2e.conftest import Server, Tenant
from tests.oracle import valid_error, valid_user

DATA = Path(__file__).parents[1] / "data" / "patch"


def recorded(dialect: str) -> list[tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]]:
    """(name, starting document, request, expected document) for every User case of a dialect's data file."""
    data = json.loads((DATA / f"{dialect}.json").read_text())
    return [
        (case["name"], data["documents"][case["document"]], case["request"], case["expected"])
        for case in data["cases"]
        if case["resource"] == "User" and "expected" in case
    ]


CASES = [
    (f"{dialect}: {name}", document, request, expected)
    for dialect in ("okta", "entra")
    for name, document, request, expected in recorded(dialect)
]


def without_server_fields(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k not in ("id", "meta")}


@pytest.mark.parametrize(("name", "document", "request_body", "expected"), CASES, ids=[c[0] for c in CASES])
def test_recorded_idp_patch_bodies(
    tenant: Tenant, name: str, document: dict[str, Any], request_body: dict[str, Any], expected: dict[str, Any]
) -> None:
    """Each recorded Okta and Entra PATCH body, sent as is, leaves the user as the IdP means."""
    created = tenant.client.post("/Users", json=document)
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    patched = tenant.client.patch(f"/Users/{user_id}", json=request_body)
    assert patched.status_code == 200, f"{name}: {patched.text}"
    fetched = tenant.client.get(f"/Users/{user_id}").json()
    assert fetched == patched.json()
    assert without_server_fields(fetched) == expected


def create(tenant: Tenant, **extra: Any) -> dict[str, Any]:
    response = tenant.client.post("/Users", json=employee("pat@acme.com", **extra))
    assert response.status_code == 201, response.text
    return dict(response.json())


def patch(tenant: Tenant, user_id: str, *operations: dict[str, Any], **headers: str) -> httpx.Response:
    return tenant.client.patch(
        f"/Users/{user_id}", json={"schemas": [PATCH_OP], "Operations": list(operations)}, headers=headers
    )


def test_okta_deactivation_is_readable_and_reversible(tenant: Tenant) -> None:
    """A path-less `active: false` deactivates; GET still answers 200; `true` restores the same id."""
    user = create(tenant)
    off = patch(tenant, user["id"], {"op": "replace", "value": {"active": False}})
    assert (off.status_code, off.json()["active"]) == (200, False)
    valid_user(off.json())
    assert tenant.client.get(f"/Users/{user['id']}").json()["active"] is False
    on = patch(tenant, user["id"], {"op": "replace", "value": {"active": True}})
    assert (on.json()["id"], on.json()["active"]) == (user["id"], True)


def test_patch_that_changes_nothing_keeps_the_version(tenant: Tenant) -> None:
    """200 with the resource, and no new version."""
    user = create(tenant)
    same = patch(tenant, user["id"], {"op": "replace", "path": "userName", "value": "pat@acme.com"})
    assert same.status_code == 200
    assert same.json()["meta"]["version"] == user["meta"]["version"] == same.headers["etag"]


def test_operations_apply_atomically(tenant: Tenant) -> None:
    """A failing second operation leaves the first unapplied."""
    user = create(tenant)
    failed = patch(
        tenant,
        user["id"],
        {"op": "replace", "path": "title", "value": "Boss"},
        {"op": "remove", "path": "userName"},
    )
    assert (failed.status_code, failed.json()["scimType"]) == (400, "mutability")
    assert "Operation 2" in failed.json()["detail"]
    assert "title" not in tenant.client.get(f"/Users/{user['id']}").json()


@pytest.mark.parametrize(
    ("operation", "scim_type"),
    [
        ({"op": "remove"}, "noTarget"),
        ({"op": "replace", "path": "shoeSize", "value": 42}, "invalidPath"),
        ({"op": "replace", "path": "id", "value": "x"}, "mutability"),
        ({"op": "replace", "path": "active", "value": "maybe"}, "invalidValue"),
        ({"op": "jump", "path": "title", "value": "x"}, "invalidSyntax"),
    ],
)
def test_bad_operations_get_the_right_scim_type(tenant: Tenant, operation: dict[str, Any], scim_type: str) -> None:
    """Each kind of mistake has its scimType and a detail naming the operation."""
    user = create(tenant)
    response = patch(tenant, user["id"], operation)
    assert response.status_code == 400, response.text
    valid_error(response.json())
    assert response.json()["scimType"] == scim_type
    assert "Operation 1" in response.json()["detail"] or scim_type == "invalidSyntax"


def test_if_match_guards_changes(tenant: Tenant) -> None:
    """A stale If-Match is 412 on PATCH, PUT and DELETE; the current one succeeds."""
    user = create(tenant)
    stale = user["meta"]["version"]
    assert (
        patch(tenant, user["id"], {"op": "replace", "path": "title", "value": "A"}, **{"If-Match": stale}).status_code
        == 200
    )
    assert (
        patch(tenant, user["id"], {"op": "replace", "path": "title", "value": "B"}, **{"If-Match": stale}).status_code
        == 412
    )
    put = tenant.client.put(f"/Users/{user['id']}", json={"userName": "pat@acme.com"}, headers={"If-Match": stale})
    assert put.status_code == 412
    valid_error(put.json())
    assert tenant.client.delete(f"/Users/{user['id']}", headers={"If-Match": stale}).status_code == 412
    current = tenant.client.get(f"/Users/{user['id']}").headers["etag"]
    assert tenant.client.delete(f"/Users/{user['id']}", headers={"If-Match": current}).status_code == 204


def test_if_none_match_answers_304_while_unchanged(tenant: Tenant) -> None:
    """A GET naming the current version gets 304 and no body."""
    user = create(tenant)
    unchanged = tenant.client.get(f"/Users/{user['id']}", headers={"If-None-Match": user["meta"]["version"]})
    assert (unchanged.status_code, unchanged.content, unchanged.headers["etag"]) == (304, b"", user["meta"]["version"])
    patch(tenant, user["id"], {"op": "add", "path": "nickName", "value": "P"})
    assert (
        tenant.client.get(f"/Users/{user['id']}", headers={"If-None-Match": user["meta"]["version"]}).status_code == 200
    )


def test_concurrent_patches_with_one_if_match_yield_one_success(server: Server, tenant: Tenant) -> None:
    """Two PATCHes racing with the same If-Match: exactly one 200 and one 412."""
    for attempt in range(5):
        user = create(tenant, userName=f"race{attempt}@acme.com")
        barrier = threading.Barrier(2)
        statuses: list[int] = []

        def send(
            title: str,
            user: dict[str, Any] = user,
            barrier: threading.Barrier = barrier,
            statuses: list[int] = statuses,
        ) -> None:
            client = server.client(tenant.token)
            barrier.wait()
            response = patch(
                Tenant(tenant.id, tenant.name, tenant.token, client),
                user["id"],
                {"op": "replace", "path": "title", "value": title},
                **{"If-Match": user["meta"]["version"]},
            )
            statuses.append(response.status_code)

        threads = [threading.Thread(target=send, args=(title,)) for title in ("A", "B")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(statuses) == [200, 412]


def test_okta_put_flow_reads_then_replaces_with_read_only_fields(tenant: Tenant) -> None:
    """Okta's wizard GETs, then PUTs the whole user with id, meta and groups; active false then true."""
    user = create(tenant, title="Engineer")
    for active in (False, True):
        body = {**tenant.client.get(f"/Users/{user['id']}").json(), "active": active, "groups": []}
        replaced = tenant.client.put(f"/Users/{user['id']}", json=body)
        assert replaced.status_code == 200, replaced.text
        assert (replaced.json()["active"], replaced.json()["title"]) == (active, "Engineer")
