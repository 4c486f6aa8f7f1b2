"""Accounts (tenants): rows and queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from scimkeeper.storage.errors import unique
from scimkeeper.storage.tables import accounts


@dataclass(frozen=True)
class Account:
    id: str
    name: str
    plan: str
    created_at: datetime
    updated_at: datetime


def as_account(row: Sequence[Any]) -> Account:
    return Account(*row)


COLUMNS = (accounts.c.id, accounts.c.name, accounts.c.plan, accounts.c.created_at, accounts.c.updated_at)


def insert_account(conn: Connection, account: Account, name_key: str) -> None:
    with unique("uq_accounts_name_key"), conn.begin_nested():
        conn.execute(
            insert(accounts).values(
                id=account.id,
                name=account.name,
                name_key=name_key,
                plan=account.plan,
                created_at=account.created_at,
                updated_at=account.updated_at,
            )
        )


def get_account(conn: Connection, account_id: str) -> Account | None:
    row = conn.execute(select(*COLUMNS).where(accounts.c.id == account_id)).first()
    return as_account(row) if row else None


def find_account_by_name(conn: Connection, name_key: str) -> Account | None:
    row = conn.execute(select(*COLUMNS).where(accounts.c.name_key == name_key)).first()
    return as_account(row) if row else None


def list_accounts(conn: Connection) -> list[Account]:
    return [as_account(row) for row in conn.execute(select(*COLUMNS).order_by(accounts.c.created_at, accounts.c.id))]


def set_plan(conn: Connection, account_id: str, plan: str, now: datetime) -> None:
    conn.execute(update(accounts).where(accounts.c.id == account_id).values(plan=plan, updated_at=now))
