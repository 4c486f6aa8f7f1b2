"""Authorized email domains of accounts: rows and queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, bindparam, delete, func, insert, or_, select

from scimkeeper.storage.errors import unique
from scimkeeper.storage.prepared import Prepared
from scimkeeper.storage.tables import authorized_domains, member_emails, members


@dataclass(frozen=True)
class DomainRow:
    id: str
    account_id: str
    domain: str
    include_subdomains: bool
    created_at: datetime


_COLUMNS = (
    authorized_domains.c.id,
    authorized_domains.c.account_id,
    authorized_domains.c.domain,
    authorized_domains.c.include_subdomains,
    authorized_domains.c.created_at,
)


def insert_domain(conn: Connection, row: DomainRow) -> None:
    with unique("uq_authorized_domains_domain"), conn.begin_nested():
        conn.execute(
            insert(authorized_domains).values(
                id=row.id,
                account_id=row.account_id,
                domain=row.domain,
                include_subdomains=row.include_subdomains,
                created_at=row.created_at,
            )
        )


# Read on every provisioning write: prepared (see storage.prepared).
_DOMAINS_OF = Prepared(
    select(*_COLUMNS)
    .where(authorized_domains.c.account_id == bindparam("account_id"))
    .order_by(authorized_domains.c.domain)
)


def domains_of(conn: Connection, account_id: str) -> list[DomainRow]:
    return [DomainRow(*row) for row in _DOMAINS_OF.all(conn, account_id=account_id)]


def all_domains(conn: Connection) -> list[DomainRow]:
    return [DomainRow(*row) for row in conn.execute(select(*_COLUMNS).order_by(authorized_domains.c.domain))]


def delete_domain(conn: Connection, account_id: str, domain: str) -> DomainRow | None:
    query = select(*_COLUMNS).where(
        authorized_domains.c.account_id == account_id, authorized_domains.c.domain == domain
    )
    row = conn.execute(query).first()
    if row is None:
        return None
    conn.execute(delete(authorized_domains).where(authorized_domains.c.id == row[0]))
    return DomainRow(*row)


def count_members_in_domain(
    conn: Connection, account_id: str, forms: Sequence[str], *, include_subdomains: bool
) -> int:
    """Live members whose userName or an e-mail address ends in the domain, written in any of its `forms`
    (A-label and U-label, folded). An operator's question, answered by a scan of the account."""

    def in_domain(column: ColumnElement[str]) -> ColumnElement[bool]:
        patterns = [column.like(f"%@{_escape(form)}", escape="/") for form in forms]
        if include_subdomains:
            patterns += [column.like(f"%@%.{_escape(form)}", escape="/") for form in forms]
        return or_(*patterns)

    by_email = select(member_emails.c.member_id).where(
        member_emails.c.account_id == account_id, in_domain(member_emails.c.value_key)
    )
    query = select(func.count()).where(
        members.c.account_id == account_id,
        members.c.removed_at.is_(None),
        or_(in_domain(members.c.user_name_key), members.c.id.in_(by_email)),
    )
    return int(conn.execute(query).scalar_one())


def _escape(text: str) -> str:
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_")
