"""Accounts (tenants) and their plan: only Enterprise accounts may use SCIM."""

from __future__ import annotations

import unicodedata
import uuid
from datetime import datetime

from sqlalchemy import Connection

from scimkeeper.domain import audit
from scimkeeper.domain.errors import (
    AccountNameTaken,
    AccountNotFound,
    EnterpriseRequired,
    InvalidAccountName,
    InvalidPlan,
)
from scimkeeper.domain.vocabulary import Action
from scimkeeper.scim.keys import fold
from scimkeeper.storage import accounts as store
from scimkeeper.storage.accounts import Account
from scimkeeper.storage.errors import UniqueViolation

ENTERPRISE = "enterprise"
STANDARD = "standard"
PLANS = (ENTERPRISE, STANDARD)
MAX_NAME_LENGTH = 100

__all__ = ["Account", "create", "list_all", "require_enterprise", "resolve", "set_plan"]


def _check_name(name: str) -> str:
    name = unicodedata.normalize("NFC", name.strip())
    if not name or len(name) > MAX_NAME_LENGTH:
        raise InvalidAccountName(f"an account name must be 1 to {MAX_NAME_LENGTH} characters")
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise InvalidAccountName("an account name must not contain control characters")
    return name


def _check_plan(plan: str) -> str:
    if plan not in PLANS:
        raise InvalidPlan(f"unknown plan {plan!r}; the plans are {', '.join(PLANS)}")
    return plan


def create(conn: Connection, name: str, *, plan: str, actor: audit.Actor, now: datetime) -> Account:
    account = Account(
        id=str(uuid.uuid4()), name=_check_name(name), plan=_check_plan(plan), created_at=now, updated_at=now
    )
    try:
        store.insert_account(conn, account, fold(account.name))
    except UniqueViolation:
        raise AccountNameTaken(f"an account named {account.name!r} already exists") from None
    changes = {"name": [None, account.name], "plan": [None, account.plan]}
    audit.record(conn, actor, Action.ACCOUNT_CREATED, account.id, account_id=account.id, now=now, changes=changes)
    return account


def resolve(conn: Connection, ref: str) -> Account:
    """The account whose id or (case-insensitive) name is `ref`."""
    account = store.get_account(conn, ref) or store.find_account_by_name(conn, fold(ref.strip()))
    if account is None:
        raise AccountNotFound(f"no account has the id or name {ref!r}")
    return account


def list_all(conn: Connection) -> list[Account]:
    return store.list_accounts(conn)


def set_plan(conn: Connection, account: Account, plan: str, *, actor: audit.Actor, now: datetime) -> Account:
    plan = _check_plan(plan)
    if plan == account.plan:
        return account
    store.set_plan(conn, account.id, plan, now)
    changes = {"plan": [account.plan, plan]}
    audit.record(conn, actor, Action.ACCOUNT_PLAN_CHANGED, account.id, account_id=account.id, now=now, changes=changes)
    return Account(account.id, account.name, plan, account.created_at, now)


def require_enterprise(account: Account) -> None:
    if account.plan != ENTERPRISE:
        raise EnterpriseRequired(
            f"SCIM provisioning requires the Enterprise plan; the account {account.name!r} is on the "
            f"{account.plan} plan. Contact support to upgrade."
        )
