"""The query language over HTTP: filters, sorting, index and cursor paging, attribute selection, .search."""

from __future__ import annotations

from typing import Any

import pytest

from tests.documents import CORE_USER, SEARCH_REQUEST, employee
from tests.e2e.conftest import Server, Tenant
from tests.oracle import valid_error, valid_list

NAMES = ["carol", "alice", "Bob", "dave", "erin"]


@pytest.fixture(scope="module")
def crowd(server: Server) -> tuple[Tenant, dict[str, str]]:
    """Five users created in the order of NAMES; name → id."""
    tenant = server.tenant(email_domains=("query.acme.com",))
    ids = {}
    for i, name in enumerate(NAMES):
        body = employee(
            f"{name}@query.acme.com", displayName=name.title(), externalId=f"ext-{i}", active=name != "dave"
        )
        response = tenant.client.post("/Users", json=body)
        assert response.status_code == 201, response.text
        ids[name] = response.json()["id"]
    return tenant, ids


def names(page: dict[str, Any], ids: dict[str, str]) -> list[str]:
    by_id = {v: k for k, v in ids.items()}
    return [by_id[r["id"]] for r in page["Resources"]]


def test_oktas_lookup_by_user_name_finds_exactly_one(crowd: tuple[Tenant, dict[str, str]]) -> None:
    """`userName eq` is case-insensitive and returns the one match."""
    tenant, ids = crowd
    page = tenant.client.get(
        "/Users", params={"filter": 'userName eq "ALICE@query.acme.com"', "startIndex": 1, "count": 100}
    )
    assert page.status_code == 200
    valid_list(page.json())
    assert (page.json()["totalResults"], names(page.json(), ids)) == (1, ["alice"])
    none = tenant.client.get("/Users", params={"filter": 'userName eq "nobody@query.acme.com"'}).json()
    assert (none["totalResults"], none["Resources"]) == (0, [])


def test_plus_and_percent_encoded_spaces_both_work(crowd: tuple[Tenant, dict[str, str]], server: Server) -> None:
    """Spaces may arrive as %20 or +."""
    tenant, ids = crowd
    for raw in ("userName+eq+%22bob%40query.acme.com%22", "userName%20eq%20%22bob%40query.acme.com%22"):
        page = tenant.client.get(f"{server.scim_url}/Users?filter={raw}").json()
        assert names(page, ids) == ["Bob"]


def test_entras_work_email_filter(crowd: tuple[Tenant, dict[str, str]]) -> None:
    """Entra matches on emails[type eq "work"].value."""
    tenant, ids = crowd
    page = tenant.client.get(
        "/Users", params={"filter": 'emails[type eq "work"].value eq "erin@query.acme.com"'}
    ).json()
    assert names(page, ids) == ["erin"]


def test_invalid_filter_is_a_400_pointing_at_the_position(crowd: tuple[Tenant, dict[str, str]]) -> None:
    """A syntax error says where and what was expected."""
    response = crowd[0].client.get("/Users", params={"filter": 'userName equals "x"'})
    assert response.status_code == 400
    valid_error(response.json())
    assert response.json()["scimType"] == "invalidFilter"
    assert "position 10" in response.json()["detail"]


def test_filter_longer_than_the_limit_is_refused(crowd: tuple[Tenant, dict[str, str]]) -> None:
    """Filters beyond 2,048 characters are invalidFilter."""
    text = " or ".join(['userName eq "a"'] * 140)
    response = crowd[0].client.get("/Users", params={"filter": text})
    assert (response.status_code, response.json()["scimType"]) == (400, "invalidFilter")
    assert "2048" in response.json()["detail"]


def test_sort_by_user_name_both_ways_and_by_primary_email(crowd: tuple[Tenant, dict[str, str]]) -> None:
    """sortBy orders case-insensitively; descending reverses; a multi-valued attribute sorts by its primary."""
    tenant, ids = crowd
    ascending = tenant.client.get("/Users", params={"sortBy": "userName"}).json()
    assert names(ascending, ids) == ["alice", "Bob", "carol", "dave", "erin"]
    descending = tenant.client.get("/Users", params={"sortBy": "userName", "sortOrder": "descending"}).json()
    assert names(descending, ids) == ["erin", "dave", "carol", "Bob", "alice"]
    by_email = tenant.client.get("/Users", params={"sortBy": "emails"}).json()
    assert names(by_email, ids) == ["alice", "Bob", "carol", "dave", "erin"]


def test_bad_sort_requests_are_400(crowd: tuple[Tenant, dict[str, str]]) -> None:
    """An unknown sortBy attribute or sortOrder is refused."""
    tenant = crowd[0]
    assert tenant.client.get("/Users", params={"sortBy": "shoeSize"}).status_code == 400
    assert tenant.client.get("/Users", params={"sortBy": "userName", "sortOrder": "up"}).status_code == 400


def test_default_order_is_creation_order(crowd: tuple[Tenant, dict[str, str]]) -> None:
    """Without sortBy the order is creation time, then id."""
    tenant, ids = crowd
    assert names(tenant.client.get("/Users").json(), ids) == NAMES


@pytest.mark.parametrize("sort", [{}, {"sortBy": "userName"}, {"sortBy": "displayName", "sortOrder": "descending"}])
def test_cursor_paging_walks_forward_and_back(crowd: tuple[Tenant, dict[str, str]], sort: dict[str, str]) -> None:
    """RFC 9865: nextCursor until the end, previousCursor back to the start, every member once each way."""
    tenant, ids = crowd
    full = names(tenant.client.get("/Users", params=sort).json(), ids)
    forward: list[str] = []
    pages = []
    cursor: str | None = ""
    while cursor is not None:
        page = tenant.client.get("/Users", params={**sort, "cursor": cursor, "count": 2}).json()
        assert "startIndex" not in page
        assert page["totalResults"] == 5
        forward += names(page, ids)
        pages.append(page)
        cursor = page.get("nextCursor")
    assert forward == full
    assert "previousCursor" not in pages[0]
    backward: list[str] = []
    cursor = pages[-1].get("previousCursor")
    while cursor is not None:
        page = tenant.client.get("/Users", params={**sort, "cursor": cursor, "count": 2}).json()
        backward = names(page, ids) + backward
        cursor = page.get("previousCursor")
    assert backward + names(pages[-1], ids) == full


def test_cursor_errors(crowd: tuple[Tenant, dict[str, str]]) -> None:
    """Garbage and foreign cursors are invalidCursor; a negative count is invalidCount."""
    tenant = crowd[0]
    garbage = tenant.client.get("/Users", params={"cursor": "not-a-cursor"})
    assert garbage.json()["scimType"] == "invalidCursor"
    first = tenant.client.get("/Users", params={"cursor": "", "count": 1}).json()
    other_query = tenant.client.get("/Users", params={"cursor": first["nextCursor"], "sortBy": "userName"})
    assert (other_query.status_code, other_query.json()["scimType"]) == (400, "invalidCursor")
    negative = tenant.client.get("/Users", params={"cursor": "", "count": -1})
    assert negative.json()["scimType"] == "invalidCount"


def test_search_endpoints_answer_like_get(crowd: tuple[Tenant, dict[str, str]]) -> None:
    """POST /Users/.search and POST /.search take a SearchRequest with the same meaning as GET."""
    tenant, ids = crowd
    body = {
        "schemas": [SEARCH_REQUEST],
        "filter": "active eq true",
        "sortBy": "userName",
        "startIndex": 2,
        "count": 2,
        "attributes": ["userName"],
    }
    for path in ("/Users/.search", "/.search"):
        response = tenant.client.post(path, json=body)
        assert response.status_code == 200, response.text
        page = response.json()
        assert (page["totalResults"], page["startIndex"], names(page, ids)) == (4, 2, ["Bob", "carol"])
        assert set(page["Resources"][0]) == {"schemas", "id", "userName"}


def test_attributes_and_excluded_attributes(crowd: tuple[Tenant, dict[str, str]]) -> None:
    """attributes keeps only what is asked (and id); excludedAttributes drops what is named."""
    tenant, ids = crowd
    only = tenant.client.get(f"/Users/{ids['alice']}", params={"attributes": "userName,emails.value"}).json()
    assert only == {
        "schemas": [CORE_USER],
        "id": ids["alice"],
        "userName": "alice@query.acme.com",
        "emails": [{"value": "alice@query.acme.com"}],
    }
    without = tenant.client.get("/Users", params={"excludedAttributes": "emails,meta", "count": 1}).json()
    assert {"emails", "meta"}.isdisjoint(without["Resources"][0])


def test_service_provider_config_announces_filter_sort_and_cursors(crowd: tuple[Tenant, dict[str, str]]) -> None:
    """Discovery tells the truth about the query language."""
    config = crowd[0].client.get("/ServiceProviderConfig").json()
    assert (config["filter"]["supported"], config["sort"]["supported"]) == (True, True)
    assert config["pagination"]["cursor"] is True
    assert config["pagination"]["index"] is True
