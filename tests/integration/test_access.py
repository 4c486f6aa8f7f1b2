"""The access decision: only an active member of an Enterprise account may use the application."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Connection

from scimkeeper.domain import access, accounts, app_keys, members
from scimkeeper.domain.audit import OPERATOR
from scimkeeper.domain.errors import AppKeyInvalid
from scimkeeper.scim.documents import parse_resource
from scimkeeper.scim.schema import USER_RESOURCE
from scimkeeper.storage.accounts import Account
from tests.integration.conftest import NOW, enterprise

WINDOW = timedelta(days=30)


def provision(conn: Connection, account: Account, name: str, **extra: object) -> members.Member:
    document = parse_resource(
        {"userName": f"{name}@acme.com", "emails": [{"value": f"{name}.alias@acme.com"}], **extra}, USER_RESOURCE
    )
    return members.provision(conn, account, document, actor=OPERATOR, now=NOW)


def test_active_member_of_an_enterprise_account_is_allowed(conn: Connection, account: Account) -> None:
    """The one case that grants access."""
    member = provision(conn, account, "ada")
    decision = access.for_member(conn, account.id, member.id, window=WINDOW)
    assert (decision.allowed, decision.state) == (True, "active")


def test_deprovisioned_member_is_refused_with_the_removal_date(conn: Connection, account: Account) -> None:
    """Flagged for suspension: refused, and the decision says when the member will be removed."""
    member = provision(conn, account, "ada", active=False)
    decision = access.for_member(conn, account.name, member.id, window=WINDOW)
    assert (decision.allowed, decision.state, decision.removal_at) == (False, "deprovisioned", NOW + WINDOW)


def test_removed_and_unknown_members_are_refused(conn: Connection, account: Account) -> None:
    """A tombstone says removed; an id never seen says unknown."""
    member = provision(conn, account, "ada")
    members.remove(conn, account, member.id, actor=OPERATOR, now=NOW)
    assert access.for_member(conn, account.id, member.id, window=WINDOW).state == "removed"
    assert access.for_member(conn, account.id, "nope", window=WINDOW).state == "unknown"


def test_members_of_a_standard_account_are_refused(conn: Connection, account: Account) -> None:
    """Access through scimkeeper is an Enterprise feature."""
    member = provision(conn, account, "ada")
    accounts.set_plan(conn, account, accounts.STANDARD, actor=OPERATOR, now=NOW)
    decision = access.for_member(conn, account.id, member.id, window=WINDOW)
    assert (decision.allowed, decision.reason) == (False, "the account is not on the Enterprise plan")


def test_lookup_by_user_name_or_any_email_case_insensitively(conn: Connection, account: Account) -> None:
    """The host application may ask by the address the member signs in with."""
    member = provision(conn, account, "ada")
    for address in ("ADA@acme.com", " ada.alias@ACME.com "):
        assert access.for_email(conn, account.id, address, window=WINDOW).member_id == member.id
    assert access.for_email(conn, account.id, "bob@acme.com", window=WINDOW).state == "unknown"


def test_member_of_another_account_is_unknown(conn: Connection, account: Account) -> None:
    """A member id is only meaningful within its account."""
    other = enterprise(conn, "Other", ("globex.com",))
    member = members.provision(
        conn, other, parse_resource({"userName": "eve@globex.com"}, USER_RESOURCE), actor=OPERATOR, now=NOW
    )
    assert access.for_member(conn, account.id, member.id, window=WINDOW).state == "unknown"


def test_app_keys_authenticate_until_revoked(conn: Connection) -> None:
    """Application keys are ska_ secrets; SCIM-shaped tokens and revoked keys are refused."""
    issued = app_keys.generate(conn, "tracker", actor=OPERATOR, now=NOW)
    assert issued.plaintext.startswith("ska_")
    assert app_keys.authenticate(conn, issued.plaintext).id == issued.key.id
    with pytest.raises(AppKeyInvalid):
        app_keys.authenticate(conn, "skp_" + issued.plaintext[4:])
    app_keys.revoke(conn, issued.key.id, actor=OPERATOR, now=NOW)
    with pytest.raises(AppKeyInvalid, match="revoked"):
        app_keys.authenticate(conn, issued.plaintext)
