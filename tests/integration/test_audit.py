"""The audit log on both databases: one call shape writes every entry with the vocabulary's exact strings."""

from __future__ import annotations

from sqlalchemy import Connection

from scimkeeper.domain import audit
from scimkeeper.domain.vocabulary import Action, ActorType
from scimkeeper.storage.accounts import Account
from tests.integration.conftest import NOW


def test_an_entry_is_stored_as_plain_strings(conn: Connection, account: Account) -> None:
    """Actor type, action and the target type the action implies are stored as the strings they always were."""
    recorded: list[Action] = []
    actor = audit.Actor(ActorType.SCIM_TOKEN, "token-1", "Okta", "req-1", on_record=recorded.append)
    audit.record(conn, actor, Action.MEMBER_REMOVED, "m-1", account_id=account.id, now=NOW)
    entry = audit.events(conn, account.id)[-1]
    stored = (entry.actor_type, entry.action, entry.target_type, entry.target_id, entry.request_id)
    assert stored == ("scim_token", "member.removed", "member", "m-1", "req-1")
    assert {type(value) for value in stored} == {str}
    assert recorded == [Action.MEMBER_REMOVED]


def test_changes_are_stored_as_given(conn: Connection, account: Account) -> None:
    """`changes` is kept as the caller wrote it, including values that did not change."""
    changes = {"domain": ["acme.com", None], "members_in_domain": [3, 3]}
    audit.record(conn, audit.OPERATOR, Action.DOMAIN_REVOKED, "d-1", account_id=account.id, now=NOW, changes=changes)
    entry = audit.events(conn, account.id)[-1]
    assert (entry.actor_type, entry.action, entry.target_type, entry.changes) == (
        "operator",
        "domain.revoked",
        "domain",
        changes,
    )
