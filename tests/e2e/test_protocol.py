"""Protocol hygiene over real HTTP: media types, errors, routing, paging, tenancy and discovery."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.documents import CORE_USER, ENTERPRISE_USER, user
from tests.e2e.conftest import Server, Tenant
from tests.oracle import valid_error, valid_list, valid_resource_type, valid_schema, valid_service_provider_config


def assert_error(response: Any, status: int, scim_type: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/scim+json"
    document: dict[str, Any] = response.json()
    valid_error(document)
    assert document["status"] == str(status)
    assert document.get("scimType") == scim_type
    assert document["detail"]
    return document


def test_plain_json_with_charset_is_accepted(tenant: Tenant) -> None:
    """application/json with a charset parameter is as good as application/scim+json."""
    response = tenant.client.post(
        "/Users", content=b'{"userName": "a@acme.com"}', headers={"Content-Type": "application/json; charset=UTF-8"}
    )
    assert response.status_code == 201, response.text


def test_other_media_types_are_refused_with_415(tenant: Tenant) -> None:
    """A form or text body is not SCIM."""
    response = tenant.client.post("/Users", content=b"userName=a", headers={"Content-Type": "text/plain"})
    assert "text/plain" in assert_error(response, 415)["detail"]


def test_malformed_json_is_invalid_syntax(tenant: Tenant) -> None:
    """A body that is not JSON gets invalidSyntax, not a 500."""
    response = tenant.client.post("/Users", content=b'{"userName": ', headers={"Content-Type": "application/scim+json"})
    assert "not valid JSON" in assert_error(response, 400, "invalidSyntax")["detail"]


def test_oversized_body_is_refused_with_413(tenant: Tenant) -> None:
    """Bodies beyond the configured limit (1 MiB by default) are refused."""
    response = tenant.client.post("/Users", json=user("big@acme.com", title="x" * 1_100_000))
    assert_error(response, 413)


def test_unknown_attribute_is_invalid_syntax_naming_it(tenant: Tenant) -> None:
    """An attribute of no known schema is refused by name; nothing is stored."""
    response = tenant.client.post("/Users", json=user("odd@acme.com", favouriteColour="blue"))
    assert "favouriteColour" in assert_error(response, 400, "invalidSyntax")["detail"]
    assert tenant.client.get("/Users").json()["totalResults"] == 0


def test_missing_user_name_is_invalid_value(tenant: Tenant) -> None:
    """userName is required."""
    response = tenant.client.post("/Users", json={"schemas": [CORE_USER], "displayName": "Nobody"})
    assert "userName" in assert_error(response, 400, "invalidValue")["detail"]


def test_unknown_schema_urn_without_data_is_tolerated(tenant: Tenant) -> None:
    """IdPs list schemas they do not send data for; that is fine."""
    response = tenant.client.post("/Users", json={**user("x@acme.com"), "schemas": [CORE_USER, "urn:example:unknown"]})
    assert response.status_code == 201
    assert response.json()["schemas"] == [CORE_USER]


def test_enterprise_extension_round_trips(tenant: Tenant) -> None:
    """The enterprise extension is stored under its URN, manager included."""
    response = tenant.client.post(
        "/Users",
        json={
            "schemas": [CORE_USER, ENTERPRISE_USER],
            "userName": "e@acme.com",
            ENTERPRISE_USER: {"employeeNumber": "42", "department": "R&D", "manager": {"value": "boss-id"}},
        },
    )
    assert response.status_code == 201, response.text
    fetched = tenant.client.get(f"/Users/{response.json()['id']}").json()
    assert fetched["schemas"] == [CORE_USER, ENTERPRISE_USER]
    assert fetched[ENTERPRISE_USER]["employeeNumber"] == "42"
    assert fetched[ENTERPRISE_USER]["manager"]["value"] == "boss-id"


@pytest.mark.parametrize("path", ["/Users/", "//Users", "/Users//", "///Users///"])
def test_extra_slashes_do_not_break_routing(server: Server, tenant: Tenant, path: str) -> None:
    """Trailing and doubled slashes reach the same endpoint."""
    assert tenant.client.get(server.scim_url + path).status_code == 200  # absolute: httpx reads //x as a host


def test_delete_answers_204_then_the_user_is_gone(tenant: Tenant) -> None:
    """After DELETE every operation on the id is 404 and the userName is free."""
    user_id = tenant.client.post("/Users", json=user("gone@acme.com")).json()["id"]
    deleted = tenant.client.delete(f"/Users/{user_id}")
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert_error(tenant.client.get(f"/Users/{user_id}"), 404)
    assert_error(tenant.client.put(f"/Users/{user_id}", json=user("gone@acme.com")), 404)
    assert_error(tenant.client.delete(f"/Users/{user_id}"), 404)
    assert tenant.client.post("/Users", json=user("gone@acme.com")).status_code == 201


def test_put_ignores_read_only_attributes_and_clears_omitted_ones(tenant: Tenant) -> None:
    """id, meta and groups in a PUT body are ignored; omitted readWrite attributes are cleared."""
    created = tenant.client.post("/Users", json=user("p@acme.com", title="Boss", nickName="P")).json()
    replaced = tenant.client.put(
        f"/Users/{created['id']}",
        json={
            **user("p@acme.com", title="Chief"),
            "id": "forged",
            "meta": {"version": "x"},
            "groups": [{"value": "g"}],
        },
    )
    assert replaced.status_code == 200, replaced.text
    document = replaced.json()
    assert (document["id"], document["title"], "nickName" in document, "groups" in document) == (
        created["id"],
        "Chief",
        False,
        False,
    )


def test_me_and_bulk_are_not_implemented(tenant: Tenant) -> None:
    """/Me and /Bulk answer 501 with a SCIM body."""
    assert_error(tenant.client.get("/Me"), 501)
    assert_error(tenant.client.post("/Bulk", json={}), 501)


def test_unknown_endpoint_and_wrong_method_are_scim_errors(server: Server, tenant: Tenant) -> None:
    """404 and 405 also come as SCIM errors."""
    assert_error(tenant.client.get("/Widgets"), 404)
    assert_error(tenant.client.get(server.scim_url + "/"), 404)
    wrong_method = tenant.client.delete("/Users")
    assert_error(wrong_method, 405)
    assert wrong_method.headers["allow"] == "GET, HEAD, POST"


def test_request_id_is_echoed(tenant: Tenant) -> None:
    """A sane X-Request-Id is echoed; otherwise one is assigned."""
    assert tenant.client.get("/Users", headers={"X-Request-Id": "okta-123"}).headers["x-request-id"] == "okta-123"
    assigned = tenant.client.get("/Users", headers={"X-Request-Id": "bad id with spaces"}).headers["x-request-id"]
    again = tenant.client.get("/Users").headers["x-request-id"]
    # A random prefix of the process, then a counter.
    assert re.fullmatch(r"[0-9a-f]{12}-[0-9a-f]+", assigned), assigned
    assert again != assigned
    assert again.split("-")[0] == assigned.split("-")[0]


def test_bearer_scheme_is_case_insensitive(server: Server, tenant: Tenant) -> None:
    """`bearer`, `Bearer` and `BEARER` all work."""
    for scheme in ("bearer", "BEARER"):
        assert server.client(Authorization=f"{scheme} {tenant.token}").get("/Users").status_code == 200


@pytest.mark.parametrize("authorization", [None, "Basic dXNlcjpwYXNz", "Bearer", "Bearer skp_" + "A" * 43])
def test_missing_malformed_or_unknown_credentials_get_401(server: Server, authorization: str | None) -> None:
    """Every kind of bad credential gets 401 with a SCIM body and a Bearer challenge."""
    headers = {"Authorization": authorization} if authorization else {}
    response = server.client(**headers).get("/Users")
    assert_error(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_authentication_comes_before_body_validation(server: Server) -> None:
    """Without a valid token nothing about the request is evaluated."""
    response = server.client(Authorization="Bearer nope").post(
        "/Users", content=b"garbage", headers={"Content-Type": "text/plain"}
    )
    assert_error(response, 401)


def test_regenerated_token_replaces_the_old_one(server: Server, tenant: Tenant) -> None:
    """After `token generate` the previous token is refused at once."""
    new_token = server.cli_json("token", "generate", tenant.id)["token"]
    assert_error(tenant.client.get("/Users"), 401)
    assert server.client(new_token).get("/Users").status_code == 200


def test_standard_plan_token_gets_403(server: Server) -> None:
    """An account without the Enterprise plan cannot use SCIM, and is told why."""
    standard = server.tenant(enterprise=False)
    detail = assert_error(standard.client.get("/Users"), 403)["detail"]
    assert "Enterprise plan" in detail


def test_another_accounts_user_looks_exactly_like_a_missing_one(server: Server, tenant: Tenant) -> None:
    """No request can see or touch another account's data."""
    other = server.tenant(email_domains=("globex.com",))
    theirs = other.client.post("/Users", json=user("eve@globex.com")).json()["id"]
    missing = "00000000-0000-4000-8000-000000000000"
    requests: list[tuple[str, dict[str, Any]]] = [("GET", {}), ("PUT", {"json": user("eve@acme.com")}), ("DELETE", {})]
    for method, extra in requests:
        foreign = tenant.client.request(method, f"/Users/{theirs}", **extra)
        absent = tenant.client.request(method, f"/Users/{missing}", **extra)
        assert foreign.status_code == absent.status_code == 404
        assert foreign.json()["detail"].replace(theirs, missing) == absent.json()["detail"]
    assert tenant.client.get("/Users").json()["totalResults"] == 0
    assert other.client.get(f"/Users/{theirs}").status_code == 200


@pytest.fixture(scope="module")
def paged(server: Server) -> tuple[Tenant, list[str]]:
    """A live account of seven users and their ids in creation order."""
    tenant = server.tenant(email_domains=("paged.acme.com",))
    ids = [tenant.client.post("/Users", json=user(f"u{i}@paged.acme.com")).json()["id"] for i in range(7)]
    return tenant, ids


class TestPaging:
    """Index paging (RFC 7644 §3.4.2.4)."""

    def test_pages_of_any_size_walk_the_same_order(self, paged: tuple[Tenant, list[str]]) -> None:
        """Creation order, whatever the page size; itemsPerPage is the number returned."""
        tenant, ids = paged
        for size in (1, 2, 3, 7, 50):
            seen: list[str] = []
            start = 1
            while True:
                page = tenant.client.get("/Users", params={"startIndex": start, "count": size}).json()
                valid_list(page)
                assert page["itemsPerPage"] == len(page["Resources"])
                assert page["totalResults"] == 7
                if not page["Resources"]:
                    break
                seen += [r["id"] for r in page["Resources"]]
                start += size
            assert seen == ids

    def test_count_zero_returns_totals_only(self, paged: tuple[Tenant, list[str]]) -> None:
        """count=0 answers how many without any resource."""
        page = paged[0].client.get("/Users", params={"count": 0}).json()
        assert (page["totalResults"], page["itemsPerPage"], page["Resources"]) == (7, 0, [])

    def test_out_of_range_values_are_clamped(self, paged: tuple[Tenant, list[str]]) -> None:
        """Negative startIndex means 1, negative count 0, a huge count the maximum."""
        tenant, ids = paged
        assert tenant.client.get("/Users", params={"startIndex": -5}).json()["startIndex"] == 1
        assert tenant.client.get("/Users", params={"count": -1}).json()["itemsPerPage"] == 0
        huge = tenant.client.get("/Users", params={"count": 10**30}).json()
        assert [r["id"] for r in huge["Resources"]] == ids

    def test_start_beyond_the_end_is_an_empty_page_with_the_total(self, paged: tuple[Tenant, list[str]]) -> None:
        """Past the last member: no resources, the right totalResults."""
        page = paged[0].client.get("/Users", params={"startIndex": 100}).json()
        assert (page["totalResults"], page["Resources"], page["startIndex"]) == (7, [], 100)

    def test_non_integer_paging_is_invalid_value(self, paged: tuple[Tenant, list[str]]) -> None:
        """Text where an integer belongs is a 400."""
        assert_error(paged[0].client.get("/Users", params={"count": "ten"}), 400, "invalidValue")


class TestDiscovery:
    """/ServiceProviderConfig, /ResourceTypes and /Schemas tell the truth and validate against the oracle."""

    def test_service_provider_config(self, tenant: Tenant) -> None:
        document = tenant.client.get("/ServiceProviderConfig").json()
        valid_service_provider_config(document)
        assert document["authenticationSchemes"][0]["type"] == "oauthbearertoken"
        assert document["bulk"]["supported"] is False

    def test_resource_types(self, tenant: Tenant) -> None:
        listed = tenant.client.get("/ResourceTypes").json()
        assert [r["id"] for r in listed["Resources"]] == ["User"]
        user_type = tenant.client.get("/ResourceTypes/User").json()
        valid_resource_type(user_type)
        assert user_type["schemaExtensions"] == [{"schema": ENTERPRISE_USER, "required": False}]

    def test_schemas(self, tenant: Tenant) -> None:
        listed = tenant.client.get("/Schemas").json()
        assert {s["id"] for s in listed["Resources"]} == {CORE_USER, ENTERPRISE_USER}
        for schema in listed["Resources"]:
            valid_schema(schema)
        one = tenant.client.get(f"/Schemas/{CORE_USER.upper()}").json()
        assert one["id"] == CORE_USER
        names = {a["name"] for a in one["attributes"]}
        assert {"userName", "name", "emails", "x509Certificates", "password", "groups"} <= names

    def test_discovery_refuses_filters_with_403(self, tenant: Tenant) -> None:
        """RFC 7644 §4: discovery endpoints do not filter."""
        assert_error(tenant.client.get("/Schemas", params={"filter": 'id eq "x"'}), 403)

    def test_unknown_schema_and_resource_type_are_404(self, tenant: Tenant) -> None:
        assert_error(tenant.client.get("/Schemas/urn:nope"), 404)
        assert_error(tenant.client.get("/ResourceTypes/Widget"), 404)
