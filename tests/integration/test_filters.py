"""Filters compiled to SQL give the same answers on SQLite and PostgreSQL, and use the indexes."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection

from scimkeeper.domain import members
from scimkeeper.domain.audit import OPERATOR
from scimkeeper.scim.documents import parse_resource
from scimkeeper.scim.errors import InvalidFilter
from scimkeeper.scim.filter import AttrPath, parse_filter
from scimkeeper.scim.query import ListRequest
from scimkeeper.scim.schema import USER_RESOURCE
from scimkeeper.storage import members as member_store
from scimkeeper.storage.accounts import Account
from scimkeeper.storage.db import Database
from scimkeeper.storage.listings import Listing
from tests.documents import employee
from tests.integration.conftest import NOW, enterprise, unique_domain

DATA = Path(__file__).parents[1] / "data" / "filters"
PEOPLE: dict[str, dict[str, Any]] = json.loads((DATA / "sql_members.json").read_text())
CASES = json.loads((DATA / "sql_cases.json").read_text())


@pytest.fixture
def people(conn: Connection, account: Account) -> dict[str, str]:
    """The four people of sql_members.json, stored as they are (no domain policy: filters are tested here)."""
    ids = {}
    for name, body in PEOPLE.items():
        document = parse_resource(body, USER_RESOURCE)
        active = document.pop("active", True)
        member = member_store.Member(str(uuid.uuid4()), account.id, document, active, 1, NOW, NOW)
        member_store.insert_member(conn, member)
        ids[member.id] = name
    return ids


def matching(conn: Connection, account: Account, people: dict[str, str], text: str) -> list[str]:
    request = ListRequest(filter=parse_filter(text))
    page = members.search(conn, account, request, now=NOW, cursor_timeout=60)
    return sorted(people[m.id] for m in page.resources)


@pytest.mark.parametrize(("text", "expected"), CASES["matches"], ids=[c[0][:60] for c in CASES["matches"]])
def test_filter_selects_exactly_the_expected_members(
    conn: Connection, account: Account, people: dict[str, str], text: str, expected: list[str]
) -> None:
    """Each vector of sql_cases.json selects the same members on both databases."""
    assert matching(conn, account, people, text) == expected


@pytest.mark.parametrize(("text", "fragment"), CASES["errors"], ids=[c[0][:60] for c in CASES["errors"]])
def test_invalid_filter_is_refused_with_a_precise_detail(
    conn: Connection, account: Account, people: dict[str, str], text: str, fragment: str
) -> None:
    """Unknown attributes, ill-typed comparisons and syntax errors are invalidFilter, never a wider result."""
    with pytest.raises(InvalidFilter, match=fragment.replace("(", r"\(")):
        matching(conn, account, people, text)


def test_filters_never_see_another_accounts_members(conn: Connection, account: Account, people: dict[str, str]) -> None:
    """An always-true filter still selects only the token's account."""
    other = enterprise(conn, "Other", ("globex.com",))
    members.provision(
        conn, other, parse_resource({"userName": "ada@globex.com"}, USER_RESOURCE), actor=OPERATOR, now=NOW
    )
    assert matching(conn, account, people, "userName pr or not (userName pr)") == ["ada", "bob", "cy", "dee"]


@pytest.mark.parametrize(
    ("sort_by", "detail"),
    [
        ("name", "name is complex; sort by one of its sub-attributes."),
        ("groups", "groups cannot be used to sort."),
        ("phoneNumbers", "phoneNumbers.value cannot be used to sort."),
    ],
)
def test_sort_by_an_attribute_without_one_value_is_invalid_filter(
    conn: Connection, account: Account, people: dict[str, str], sort_by: str, detail: str
) -> None:
    """A complex attribute, groups (not stored) and a multi-valued attribute kept only in the document have no
    single value to order by; the refusal says which."""
    request = ListRequest(sort_by=AttrPath(None, sort_by))
    with pytest.raises(InvalidFilter) as caught:
        members.search(conn, account, request, now=NOW, cursor_timeout=60)
    assert caught.value.detail == detail


@pytest.mark.parametrize(
    ("descending", "expected"),
    [(False, ["Employee", "Employee", "Intern"]), (True, ["Intern", "Employee", "Employee"])],
)
def test_sort_by_an_attribute_kept_in_the_document(
    conn: Connection, account: Account, people: dict[str, str], descending: bool, expected: list[str]
) -> None:
    """userType has no column: it sorts by its text in the JSON document, the same on both databases."""
    request = ListRequest(filter=parse_filter("userType pr"), sort_by=AttrPath(None, "userType"), descending=descending)
    page = members.search(conn, account, request, now=NOW, cursor_timeout=60)
    assert [member.document["userType"] for member in page.resources] == expected


# The plan of the page statement that list requests run (ORDER BY creation time, LIMIT). For a boolean or a range
# the planner may walk the account's order index (ix_members_live_order) instead, filtering as it goes: still no
# scan of the table, and it stops after one page.
INDEXED = [
    ('userName eq "ada@acme.com"', "uq_members_live_user_name"),
    ('externalId eq "ext-1"', "ix_members_account_id_external_id"),
    ('id eq "00000000-0000-4000-8000-000000000000"', "pk_members|sqlite_autoindex_members_1"),
    ('emails.value eq "ada@acme.com"', "ix_member_emails_account_id_value_key"),
    ('emails[type eq "work"].value eq "ada@acme.com"', "ix_member_emails_account_id_value_key"),
    ("active eq false", "ix_members_account_id_active|ix_members_live_order"),
    ('displayName eq "ada lovelace"', "ix_members_account_id_display_name_key"),
    ('meta.lastModified gt "2026-11-29T12:49:00Z"', "ix_members_account_id_updated_at|ix_members_live_order"),
    ('userName sw "ad"', "uq_members_live_user_name"),
]


@pytest.fixture(scope="module")
def crowd(migrated_db: Database) -> str:
    """A committed account of 3,000 members with statistics gathered, so plans are realistic; its id."""
    with migrated_db.write() as conn:
        domain = unique_domain()
        account = enterprise(conn, f"crowd-{uuid.uuid4()}", (domain,))
        for i in range(3000):
            body = employee(f"user{i}@{domain}", externalId=f"ext-{i}", displayName=f"User {i}", active=i % 10 != 0)
            member_store.insert_member(
                conn,
                member_store.Member(
                    str(uuid.uuid4()),
                    account.id,
                    parse_resource(body, USER_RESOURCE),
                    i % 10 != 0,
                    1,
                    NOW + timedelta(seconds=i),
                    NOW + timedelta(seconds=i),
                ),
            )
        conn.exec_driver_sql("ANALYZE")
    return account.id


@pytest.mark.parametrize(("text", "index"), INDEXED, ids=[i[0] for i in INDEXED])
def test_the_filters_idps_send_are_index_lookups(migrated_db: Database, crowd: str, text: str, index: str) -> None:
    """EXPLAIN shows an index search, not a scan of the members table, for Okta's and Entra's filters."""
    with migrated_db.read() as conn:
        plan = explain(conn, crowd, text)
    assert "SCAN members" not in plan, plan
    assert "SCAN member_emails" not in plan, plan
    assert "Seq Scan" not in plan, plan
    assert any(name in plan for name in index.split("|")), plan


def explain(conn: Connection, account_id: str, text: str) -> str:
    """The plan of the statement a list request with this filter runs."""
    return member_store.LISTINGS.plan(conn, account_id, Listing(filter=parse_filter(text)))


def test_search_document_folds_only_case_insensitive_strings() -> None:
    """externalId (caseExact) keeps its case in the search copy; userName and emails are folded."""
    from scimkeeper.scim.keys import search_document  # noqa: PLC0415

    folded = search_document(parse_resource(PEOPLE["bob"], USER_RESOURCE), USER_RESOURCE)
    assert (folded["externalId"], folded["userName"], folded["displayName"]) == (
        "EXT-2",
        "bob@acme.com",
        "bob o'malley",
    )


@pytest.mark.parametrize(
    "text", ['userName eq "ada@acme.com"', 'USERNAME eq "x"', 'id eq "00000000-0000-4000-8000-000000000000"']
)
def test_a_lookup_of_a_unique_attribute_is_not_ordered(migrated_db: Database, crowd: str, text: str) -> None:
    """At most one row: no ORDER BY, so no planner can walk the order's index instead (stale statistics did)."""
    with migrated_db.read() as conn:
        sql = member_store.LISTINGS.first_page_sql(conn, Listing(filter=parse_filter(text)))
        ordered = member_store.LISTINGS.first_page_sql(conn, Listing(filter=parse_filter('displayName eq "x"')))
    assert "ORDER BY" not in sql
    assert "ORDER BY" in ordered
