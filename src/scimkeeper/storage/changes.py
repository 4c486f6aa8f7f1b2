"""The account's change sequence: one number per account, raised in the transaction of each change to its members.

Every process reads it from the database, so they all agree whether an account changed since they last looked:
paging hints are keyed on it (`domain.search`), not on timestamps stamped by each process's clock. Raising it
locks the account's row until the change commits, so the number is also gap-free and in commit order.
"""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from scimkeeper.storage.prepared import Prepared
from scimkeeper.storage.tables import account_changes


def _raise(insert: type[postgresql.Insert] | type[sqlite.Insert]) -> Prepared:
    statement = insert(account_changes).values(account_id=bindparam("account_id"), seq=1)
    upsert = statement.on_conflict_do_update(
        index_elements=[account_changes.c.account_id], set_={"seq": account_changes.c.seq + 1}
    )
    return Prepared(upsert.returning(account_changes.c.seq))


_RAISE = {"postgresql": _raise(postgresql.Insert), "sqlite": _raise(sqlite.Insert)}
_CURRENT = Prepared(select(account_changes.c.seq).where(account_changes.c.account_id == bindparam("account_id")))


def record_change(conn: Connection, account_id: str) -> int:
    """Raise the account's sequence in the caller's transaction; the new number."""
    row = _RAISE[conn.dialect.name].first(conn, account_id=account_id)
    assert row is not None, "an upsert with RETURNING returns its row"
    return int(row[0])


def current(conn: Connection, account_id: str) -> int:
    """The account's sequence as this transaction (or statement) sees it; 0 before its first change."""
    row = _CURRENT.first(conn, account_id=account_id)
    return int(row[0]) if row is not None else 0
