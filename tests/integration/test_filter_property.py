"""Property: for random members and random filters, SQL on both databases agrees with the Python reference.

The strategies reach every path of `filter_sql`: indexed columns (userName, externalId, displayName, active,
meta dates), the `member_emails` child table, the JSON document (name, title, the enterprise extension, and the
multi-valued phoneNumbers and ims), `schemas`, `meta.resourceType`, the absent `groups`, and value filters on
multi-valued and singular complex attributes.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scimkeeper.domain import accounts, members
from scimkeeper.domain.audit import OPERATOR
from scimkeeper.scim.documents import Meta, format_datetime, parse_resource, render_resource
from scimkeeper.scim.errors import InvalidFilter
from scimkeeper.scim.filter import And, AttrPath, Compare, CompValue, Filter, Not, Or, Present, ValuePath
from scimkeeper.scim.filter_eval import matches_resource
from scimkeeper.scim.query import ListRequest
from scimkeeper.scim.schema import ENTERPRISE_USER_URN, USER_RESOURCE, USER_SCHEMA_URN
from scimkeeper.storage import members as member_store
from scimkeeper.storage.db import WRITE_OPTION, Database
from tests.integration.conftest import NOW

WORDS = ["ada", "Ada", "ADA", "bob", "Ölaf", "ölaf", "straße", "STRASSE", "a_b", "a%b", "", "zed"]
TYPES = ["work", "Work", "home"]
MAILS = ["ada@acme.com", "ADA@acme.com", "bob@x.org", "ölaf@x.org", ""]
PHONES = ["+1 555 0100", "+1 555 0199", "tel:+44-20", "a%b"]
MANAGERS = ["m-1", "M-1", "m-2"]
URNS = [USER_SCHEMA_URN, ENTERPRISE_USER_URN, ENTERPRISE_USER_URN.upper(), "urn:example:other"]

word = st.sampled_from(WORDS)


def labelled(values: list[str]) -> st.SearchStrategy[list[dict[str, Any]]]:
    """A multi-valued attribute's values: value always set (see below), the others optional, one primary at most.

    Every email has a value: storage indexes only emails with one, so a value-less email would be missed by
    `emails[type eq "work"]` in SQL (a storage gap, reported; not a semantic choice).
    """
    item = st.fixed_dictionaries(
        {"value": st.sampled_from(values)},
        optional={"type": st.sampled_from(TYPES), "primary": st.booleans(), "display": word},
    )
    return st.lists(item, max_size=3).filter(lambda items: sum(i.get("primary") is True for i in items) <= 1)


member_body = st.fixed_dictionaries(
    {"active": st.booleans()},
    optional={
        "displayName": word,
        "title": word,
        "userType": st.sampled_from(["Employee", "employee", "Intern"]),
        "externalId": st.sampled_from(["x1", "X1", "x2"]),
        "nickName": word,
        "emails": labelled(MAILS),
        "phoneNumbers": labelled(PHONES),
        "ims": labelled(["ada@xmpp", "Bob@Skype"]),
        "name": st.fixed_dictionaries({}, optional={"givenName": word, "familyName": word}),
        ENTERPRISE_USER_URN: st.fixed_dictionaries(
            {},
            optional={
                "department": word,
                "manager": st.one_of(st.sampled_from(MANAGERS), st.builds(dict, value=st.sampled_from(MANAGERS))),
            },
        ),
    },
)


def path(text: str) -> AttrPath:
    urn, _, rest = text.rpartition(":")
    attr, _, sub = rest.partition(".")
    return AttrPath(urn or None, attr, sub or None)


ENTERPRISE = f"{ENTERPRISE_USER_URN}:"
STRINGS: dict[str, list[str]] = {
    "displayName": WORDS,
    "title": WORDS,
    "userType": ["Employee", "EMPLOYEE", "Intern", "emp"],
    "externalId": ["x1", "X1", "x"],
    "nickName": WORDS,
    "userName": ["user0@acme.com", "USER1@ACME.COM", "user", ".com"],
    f"{USER_SCHEMA_URN}:userName": ["user0@acme.com", "user"],
    "name.givenName": WORDS,
    "name.familyName": WORDS,
    "emails": [*MAILS, "acme.com", "x.org"],
    "emails.value": [*MAILS, "ACME", "ö"],
    "emails.type": TYPES,
    "emails.display": WORDS,
    "phoneNumbers": [*PHONES, "555"],
    "phoneNumbers.value": [*PHONES, "+1"],
    "phoneNumbers.type": TYPES,
    "phoneNumbers.display": WORDS,
    "ims": ["ada@xmpp", "bob", "@"],
    "ims.type": TYPES,
    f"{ENTERPRISE}department": WORDS,
    f"{ENTERPRISE}manager.value": MANAGERS,
    "schemas": URNS,
    "meta.resourceType": ["User", "user"],
    "groups": ["g1"],
    "groups.value": ["g1"],
}
BOOLEANS = ["active", "emails.primary", "phoneNumbers.primary", "ims.primary"]
INSTANTS = ["meta.created", "meta.lastModified"]
TWO_HOURS_EAST = timezone(timedelta(hours=2))
PRESENCE = [*STRINGS, *BOOLEANS, *INSTANTS, "name", "emails", "phoneNumbers", f"{ENTERPRISE}manager", "meta", "id"]
ANY_OP = st.sampled_from(["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"])
ORDER_OP = st.sampled_from(["eq", "ne", "gt", "ge", "lt", "le"])


def instant(seconds: int, form: int) -> str:
    """NOW moved by `seconds`, written with "Z", with a +02:00 offset, or without an offset (read as UTC)."""
    moment = NOW + timedelta(seconds=seconds)
    return [
        format_datetime(moment),
        moment.astimezone(TWO_HOURS_EAST).isoformat(),
        moment.replace(tzinfo=None).isoformat(),
    ][form]


string_comparison = st.sampled_from(sorted(STRINGS)).flatmap(
    lambda name: st.builds(Compare, st.just(path(name)), ANY_OP, st.sampled_from(STRINGS[name]))
)
boolean_comparison = st.builds(
    Compare,
    st.sampled_from(BOOLEANS).map(path),
    st.sampled_from(["eq", "ne"]),
    st.one_of(st.booleans(), st.sampled_from(["True", "false"])),
)
instant_comparison = st.builds(
    Compare,
    st.sampled_from(INSTANTS).map(path),
    ORDER_OP,
    st.builds(instant, st.integers(-1, 6), st.integers(0, 2)),
)
null_comparison = st.builds(Compare, st.sampled_from(PRESENCE).map(path), st.sampled_from(["eq", "ne"]), st.none())
comparison = st.one_of(
    string_comparison,
    boolean_comparison,
    instant_comparison,
    null_comparison,
    st.builds(Present, st.sampled_from(PRESENCE).map(path)),
)

# Value filters: the sub-attributes of each complex attribute, with values to compare them with.
SUBS: dict[str, dict[str, Sequence[CompValue]]] = {
    "emails": {"value": [*MAILS, "x.org"], "type": TYPES, "display": WORDS, "primary": [True, False, "True"]},
    "phoneNumbers": {"value": [*PHONES, "+1"], "type": TYPES, "display": WORDS, "primary": [True, False]},
    "ims": {"value": ["ada@xmpp"], "type": TYPES, "primary": [True, False]},
    "name": {"givenName": WORDS, "familyName": WORDS},
    f"{ENTERPRISE}manager": {"value": MANAGERS},
    "groups": {"value": ["g1"]},
}


def element_filter(parent: str) -> st.SearchStrategy[Filter]:
    def leaf(sub: str) -> st.SearchStrategy[Filter]:
        wanted = SUBS[parent][sub]
        op = st.sampled_from(["eq", "ne"]) if isinstance(wanted[0], bool) else ANY_OP
        return st.one_of(
            st.builds(Compare, st.just(AttrPath(None, sub)), op, st.sampled_from(wanted)),
            st.builds(Compare, st.just(AttrPath(None, sub)), st.sampled_from(["eq", "ne"]), st.none()),
            st.just(Present(AttrPath(None, sub))),
        )

    leaves = st.sampled_from(sorted(SUBS[parent])).flatmap(leaf)
    return st.recursive(
        leaves,
        lambda inner: st.one_of(st.builds(And, inner, inner), st.builds(Or, inner, inner), st.builds(Not, inner)),
        max_leaves=3,
    )


value_path = st.sampled_from(sorted(SUBS)).flatmap(
    lambda parent: st.builds(ValuePath, st.just(path(parent)), element_filter(parent))
)
filters: st.SearchStrategy[Filter] = st.recursive(
    st.one_of(comparison, value_path),
    lambda inner: st.one_of(st.builds(And, inner, inner), st.builds(Or, inner, inner), st.builds(Not, inner)),
    max_leaves=5,
)


def rendered(member: member_store.Member) -> dict[str, Any]:
    meta = Meta("User", member.created_at, member.updated_at, f"/Users/{member.id}", f'W/"{member.version}"')
    return render_resource(
        {**member.document, "active": member.active}, resource_type=USER_RESOURCE, id=member.id, meta=meta
    )


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bodies=st.lists(member_body, min_size=1, max_size=5), f=filters)
def test_sql_filter_agrees_with_the_reference_evaluator(db: Database, bodies: list[dict[str, Any]], f: Filter) -> None:
    """The members the database selects are exactly those the Python evaluator accepts."""
    with db.engine.connect() as connection:
        conn = connection.execution_options(**{WRITE_OPTION: True})
        transaction = conn.begin()
        try:
            account = accounts.create(conn, f"p-{uuid.uuid4()}", plan="enterprise", actor=OPERATOR, now=NOW)
            created = []
            for i, body in enumerate(bodies):
                document = parse_resource({**body, "userName": f"user{i}@acme.com"}, USER_RESOURCE)
                active = document.pop("active")
                now = NOW + timedelta(seconds=i)
                member = member_store.Member(str(uuid.uuid4()), account.id, document, active, 1, now, now)
                member_store.insert_member(conn, member)  # stored as is: filters are tested, not the domain policy
                created.append(member)
            try:
                expected = sorted(m.id for m in created if matches_resource(f, rendered(m), USER_RESOURCE))
            except InvalidFilter:
                with pytest.raises(InvalidFilter):
                    members.search(conn, account, ListRequest(filter=f), now=NOW, cursor_timeout=60)
                return
            page = members.search(conn, account, ListRequest(filter=f), now=NOW, cursor_timeout=60)
            assert sorted(m.id for m in page.resources) == expected
        finally:
            transaction.rollback()
