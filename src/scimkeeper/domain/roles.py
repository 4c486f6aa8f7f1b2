"""Owners and admins, the console's two roles, and what an admin may not do: every caller obeys these rules.

Only the operator or an owner invites owners and admins; an admin may remove a member unless the member's
userName or an email is an owner's console address (only an owner removes an owner). The operator (CLI), an
identity provider and jobs are not console users: these rules do not limit them.
"""

from __future__ import annotations

from sqlalchemy import Connection

from scimkeeper.domain.audit import Actor
from scimkeeper.domain.errors import NotAllowed
from scimkeeper.domain.vocabulary import ActorType
from scimkeeper.scim.keys import fold
from scimkeeper.storage import console as store
from scimkeeper.storage.accounts import Account
from scimkeeper.storage.members import Member

OWNER = "owner"
ADMIN = "admin"
ROLES = (OWNER, ADMIN)


def role_of(actor: Actor, account: Account) -> str | None:
    """The console role `actor` acts with in `account`; None for actors that are not console users."""
    if actor.type != ActorType.ADMIN:
        return None
    user = actor.console_user
    if user is None or user.account_id != account.id:
        raise NotAllowed("Only the account's owners and admins can do this.")
    return user.role


def check_invite(actor: Actor, account: Account, role: str) -> None:
    if actor.type != ActorType.OPERATOR and role_of(actor, account) != OWNER:
        raise NotAllowed(f"Only an owner can invite {role}s.")


def owner_addresses(conn: Connection, account: Account) -> frozenset[str]:
    """The console addresses of the account's owners (folded, as stored)."""
    return frozenset(user.email for user in store.users_of(conn, account.id) if user.role == OWNER)


def is_owner(member: Member, owners: frozenset[str]) -> bool:
    """Whether the member's userName or any of its emails is an owner's address."""
    emails = (str(email["value"]) for email in member.document.get("emails", []) if "value" in email)
    return any(fold(address) in owners for address in (str(member.document.get("userName", "")), *emails))


def may_remove(actor: Actor, account: Account, member: Member, owners: frozenset[str]) -> bool:
    """`owners` is `owner_addresses(conn, account)`, read once for a page of members."""
    return role_of(actor, account) != ADMIN or not is_owner(member, owners)


def check_remove(actor: Actor, account: Account, member: Member, owners: frozenset[str]) -> None:
    if not may_remove(actor, account, member, owners):
        raise NotAllowed("Only an owner can remove an owner.")
