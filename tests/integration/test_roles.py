"""Who may invite and remove, enforced by the domain itself: the console, the CLI and any API obey the same rules."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Connection

from scimkeeper.domain import admins, audit, members, roles
from scimkeeper.domain.audit import OPERATOR
from scimkeeper.domain.errors import MemberNotFound, NotAllowed
from scimkeeper.domain.vocabulary import Action, ActorType
from scimkeeper.scim.documents import parse_resource
from scimkeeper.scim.schema import USER_RESOURCE
from scimkeeper.storage.accounts import Account
from tests.integration.conftest import NOW, enterprise

IDP = audit.Actor(ActorType.SCIM_TOKEN, "tok", "Okta SCIM Client")


def console_user(conn: Connection, account: Account, email: str, role: str) -> audit.Actor:
    """The actor of an owner or admin, as the console makes it for a signed-in user."""
    return admins.actor(admins.invite(conn, account, email, role, actor=OPERATOR, now=NOW).user)


def provision(conn: Connection, account: Account, user_name: str, *emails: str) -> members.Member:
    body: dict[str, Any] = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": user_name}
    if emails:
        body["emails"] = [{"value": email} for email in emails]
    return members.provision(conn, account, parse_resource(body, USER_RESOURCE), actor=IDP, now=NOW)


def invited_actions(conn: Connection, account: Account) -> list[str]:
    return [e.action for e in audit.events(conn, account.id) if e.action.startswith("console.")]


def test_an_admin_may_not_invite(conn: Connection, account: Account) -> None:
    """Neither an owner nor an admin: the refusal names the rule, and nobody is created or audited."""
    admin = console_user(conn, account, "admin@acme.com", roles.ADMIN)
    for role in roles.ROLES:
        with pytest.raises(NotAllowed, match=f"Only an owner can invite {role}s"):
            admins.invite(conn, account, f"new-{role}@acme.com", role, actor=admin, now=NOW)
    assert [u.email for u in admins.users_of(conn, account)] == ["admin@acme.com"]
    assert invited_actions(conn, account) == [Action.CONSOLE_ADMIN_INVITED]


def test_an_owner_and_the_operator_may_invite(conn: Connection, account: Account) -> None:
    """An owner invites admins and owners; the operator (the CLI) invites anyone."""
    owner = console_user(conn, account, "owner@acme.com", roles.OWNER)
    admins.invite(conn, account, "admin@acme.com", roles.ADMIN, actor=owner, now=NOW)
    admins.invite(conn, account, "second-owner@acme.com", roles.OWNER, actor=owner, now=NOW)
    admins.invite(conn, account, "third-owner@acme.com", roles.OWNER, actor=OPERATOR, now=NOW)
    assert len(admins.users_of(conn, account)) == 4


def test_a_console_user_acts_only_in_their_own_account(conn: Connection, account: Account) -> None:
    """An owner of another account may neither invite nor remove here."""
    stranger = console_user(conn, enterprise(conn, "Globex", ("globex.com",)), "owner@globex.com", roles.OWNER)
    member = provision(conn, account, "ada@acme.com")
    with pytest.raises(NotAllowed, match="owners and admins"):
        admins.invite(conn, account, "admin@acme.com", roles.ADMIN, actor=stranger, now=NOW)
    with pytest.raises(NotAllowed, match="owners and admins"):
        members.remove(conn, account, member.id, actor=stranger, now=NOW)


def test_an_admin_may_not_remove_a_member_whose_user_name_is_an_owners(conn: Connection, account: Account) -> None:
    """Only an owner removes an owner: the member stays, and no removal is audited."""
    console_user(conn, account, "owner@acme.com", roles.OWNER)
    admin = console_user(conn, account, "admin@acme.com", roles.ADMIN)
    member = provision(conn, account, "Owner@Acme.com")
    with pytest.raises(NotAllowed, match="Only an owner can remove an owner"):
        members.remove(conn, account, member.id, actor=admin, now=NOW)
    assert members.get(conn, account, member.id) == member
    assert Action.MEMBER_REMOVED not in [e.action for e in audit.events(conn, account.id)]


def test_an_admin_may_not_remove_a_member_with_an_owners_email(conn: Connection, account: Account) -> None:
    """Any of the member's emails counts, whatever its case."""
    console_user(conn, account, "owner@acme.com", roles.OWNER)
    admin = console_user(conn, account, "admin@acme.com", roles.ADMIN)
    member = provision(conn, account, "the-boss", "boss@acme.com", "OWNER@acme.com")
    with pytest.raises(NotAllowed):
        members.remove(conn, account, member.id, actor=admin, now=NOW)


def test_an_admin_may_remove_other_members(conn: Connection, account: Account) -> None:
    """Members who are not owners (admins included) are removed as usual; an unknown id is still not found."""
    console_user(conn, account, "owner@acme.com", roles.OWNER)
    admin = console_user(conn, account, "admin@acme.com", roles.ADMIN)
    for user_name in ("ada@acme.com", "admin@acme.com"):
        member = provision(conn, account, user_name)
        members.remove(conn, account, member.id, actor=admin, now=NOW)
        with pytest.raises(MemberNotFound):
            members.get(conn, account, member.id)
    with pytest.raises(MemberNotFound):
        members.remove(conn, account, "00000000-0000-4000-8000-000000000000", actor=admin, now=NOW)


@pytest.mark.parametrize("who", ["owner", "operator", "idp"])
def test_owners_the_operator_and_the_idp_may_remove_an_owner(conn: Connection, account: Account, who: str) -> None:
    """The rule limits admins only: the CLI (operator) and SCIM DELETE (the IdP) remove owners as before."""
    owner = console_user(conn, account, "owner@acme.com", roles.OWNER)
    actor = {"owner": owner, "operator": OPERATOR, "idp": IDP}[who]
    member = provision(conn, account, "owner@acme.com")
    members.remove(conn, account, member.id, actor=actor, now=NOW)
    with pytest.raises(MemberNotFound):
        members.get(conn, account, member.id)


def test_may_remove_answers_before_trying(conn: Connection, account: Account) -> None:
    """What the console asks to show or hide the Remove button, with the owners read once."""
    owner = console_user(conn, account, "owner@acme.com", roles.OWNER)
    admin = console_user(conn, account, "admin@acme.com", roles.ADMIN)
    owners = roles.owner_addresses(conn, account)
    boss, ada = provision(conn, account, "owner@acme.com"), provision(conn, account, "ada@acme.com")
    assert owners == {"owner@acme.com"}
    assert [roles.may_remove(admin, account, m, owners) for m in (boss, ada)] == [False, True]
    assert [roles.may_remove(owner, account, m, owners) for m in (boss, ada)] == [True, True]
