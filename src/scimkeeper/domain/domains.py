"""Authorized email domains (operator only) and the policy that every provisioned address must be in one.

The policy is what stops an account from provisioning `ceo@someone-else.com`. It applies to every create and to
every change, with one exception: a change that only deprovisions a member (leaving its addresses as they were)
is never refused, so revoking a domain can never block an IdP from cutting someone's access.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from scimkeeper.domain import audit
from scimkeeper.domain.addresses import (
    AuthorizedDomain,
    DomainNotAuthorized,
    InvalidDomain,
    check_member_addresses,
    domain_allowed,
    normalise_domain,
    unicode_domain,
)
from scimkeeper.domain.errors import DomainAlreadyAuthorized, DomainNotFound, NoAuthorizedDomains
from scimkeeper.domain.vocabulary import Action
from scimkeeper.scim.keys import fold
from scimkeeper.storage import domains as store
from scimkeeper.storage.accounts import Account
from scimkeeper.storage.domains import DomainRow
from scimkeeper.storage.errors import UniqueViolation

__all__ = [
    "DomainNotAuthorized",
    "DomainRow",
    "InvalidDomain",
    "authorize",
    "enforce",
    "list_all",
    "list_for",
    "revoke",
]


def list_for(conn: Connection, account: Account) -> list[DomainRow]:
    return store.domains_of(conn, account.id)


def list_all(conn: Connection) -> list[DomainRow]:
    return store.all_domains(conn)


def authorize(
    conn: Connection, account: Account, text: str, *, include_subdomains: bool, actor: audit.Actor, now: datetime
) -> DomainRow:
    """Authorize a domain for the account. A domain (or one that covers it) belongs to at most one account."""
    domain = normalise_domain(text)
    new = AuthorizedDomain(domain, include_subdomains)
    for other in store.all_domains(conn):
        existing = AuthorizedDomain(other.domain, other.include_subdomains)
        overlaps = domain_allowed(domain, [existing]) or domain_allowed(other.domain, [new])
        if other.account_id != account.id and overlaps:
            raise DomainAlreadyAuthorized(
                f"{unicode_domain(domain)} overlaps {unicode_domain(other.domain)}, which is authorized for "
                "another account; a domain belongs to at most one account"
            )
    row = DomainRow(str(uuid.uuid4()), account.id, domain, include_subdomains, now)
    try:
        store.insert_domain(conn, row)
    except UniqueViolation:
        raise DomainAlreadyAuthorized(f"{unicode_domain(domain)} is already authorized for this account") from None
    changes = {"domain": [None, domain], "include_subdomains": [None, include_subdomains]}
    audit.record(conn, actor, Action.DOMAIN_AUTHORIZED, row.id, account_id=account.id, now=now, changes=changes)
    return row


def revoke(conn: Connection, account: Account, text: str, *, actor: audit.Actor, now: datetime) -> int:
    """Revoke a domain; members in it stay as they are. Returns how many live members are in it."""
    domain = normalise_domain(text)
    row = store.delete_domain(conn, account.id, domain)
    if row is None:
        raise DomainNotFound(f"{unicode_domain(domain)} is not an authorized domain of the account {account.name}")
    forms = sorted({fold(domain), fold(unicode_domain(domain))})
    affected = store.count_members_in_domain(conn, account.id, forms, include_subdomains=row.include_subdomains)
    changes = {"domain": [domain, None], "members_in_domain": [affected, affected]}
    audit.record(conn, actor, Action.DOMAIN_REVOKED, row.id, account_id=account.id, now=now, changes=changes)
    return affected


def enforce(
    conn: Connection,
    account: Account,
    document: Mapping[str, Any],
    *,
    active: bool,
    previous: Mapping[str, Any] | None = None,
) -> None:
    """Refuse a member whose userName (when an email) or any email is outside the account's authorized domains.

    `previous` is the member's document before a change: a change that keeps the addresses and leaves the
    member inactive (deprovisioning) is always allowed.
    """
    if previous is not None and not active and _addresses(previous) == _addresses(document):
        return
    authorized = [AuthorizedDomain(row.domain, row.include_subdomains) for row in store.domains_of(conn, account.id)]
    if not authorized:
        raise NoAuthorizedDomains(
            f"The account {account.name} has no authorized email domains yet, so SCIM provisioning is refused. "
            "Ask support to authorize your company's email domain(s)."
        )
    user_name, emails = _addresses(document)
    check_member_addresses(user_name, emails, authorized, account_name=account.name)


def _addresses(document: Mapping[str, Any]) -> tuple[str, list[str]]:
    emails: Sequence[Mapping[str, Any]] = document.get("emails", ())
    return str(document.get("userName", "")), [str(e["value"]) for e in emails if "value" in e]
