"""Accounts: creation, unique names, lookup by id or name, plan changes with audit entries."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection

from scimkeeper.domain import accounts, audit
from scimkeeper.domain.audit import OPERATOR
from scimkeeper.domain.errors import AccountNameTaken, AccountNotFound, InvalidAccountName, InvalidPlan
from scimkeeper.storage.accounts import Account
from tests.integration.conftest import NOW


def test_account_is_found_by_id_and_by_name_in_any_case(conn: Connection, account: Account) -> None:
    """ACCOUNT arguments accept the id or the name, case-insensitively."""
    assert accounts.resolve(conn, account.id) == account
    assert accounts.resolve(conn, "  aCME ") == account


def test_account_names_are_unique_case_insensitively(conn: Connection, account: Account) -> None:
    """A second account named like the first is refused."""
    with pytest.raises(AccountNameTaken, match="already exists"):
        accounts.create(conn, "ACME", plan=accounts.STANDARD, actor=OPERATOR, now=NOW)


def test_unknown_account_is_reported_by_the_reference_given(conn: Connection) -> None:
    """Resolving an unknown reference names it."""
    with pytest.raises(AccountNotFound, match="'nope'"):
        accounts.resolve(conn, "nope")


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, "bad\x00name", "tab\tname"])
def test_invalid_account_names_are_refused(conn: Connection, name: str) -> None:
    """Empty, overlong and control-character names are refused."""
    with pytest.raises(InvalidAccountName):
        accounts.create(conn, name, plan=accounts.STANDARD, actor=OPERATOR, now=NOW)


def test_unknown_plan_is_refused(conn: Connection) -> None:
    """Only the known plans exist."""
    with pytest.raises(InvalidPlan, match="enterprise, standard"):
        accounts.create(conn, "Globex", plan="gold", actor=OPERATOR, now=NOW)


def test_plan_change_is_stored_and_audited(conn: Connection, account: Account) -> None:
    """Moving to another plan records who did it and what changed."""
    changed = accounts.set_plan(conn, account, accounts.STANDARD, actor=OPERATOR, now=NOW)
    assert accounts.resolve(conn, account.id).plan == accounts.STANDARD == changed.plan
    last = audit.events(conn, account.id)[-1]
    assert (last.action, last.actor_type, last.changes) == (
        "account.plan_changed",
        "operator",
        {"plan": ["enterprise", "standard"]},
    )


def test_setting_the_same_plan_changes_nothing(conn: Connection, account: Account) -> None:
    """A no-op plan change writes no audit entry."""
    before = len(audit.events(conn, account.id))
    accounts.set_plan(conn, account, accounts.ENTERPRISE, actor=OPERATOR, now=NOW)
    assert len(audit.events(conn, account.id)) == before
