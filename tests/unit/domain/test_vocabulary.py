"""The audit log's vocabulary: the stored strings of actor types and actions, and the target of each action."""

from __future__ import annotations

from scimkeeper.domain.vocabulary import Action, ActorType, Target


def test_actor_types_keep_their_stored_strings() -> None:
    """Rows already in audit_events carry these values; changing one needs a data migration."""
    assert [str(t) for t in ActorType] == ["scim_token", "operator", "admin", "system"]


def test_actions_keep_their_stored_strings() -> None:
    """Rows already in audit_events carry these values; changing one needs a data migration."""
    assert {str(a) for a in Action} == {
        "account.created", "account.plan_changed", "token.generated", "app_key.generated", "app_key.revoked",
        "domain.authorized", "domain.revoked", "console.owner_invited", "console.admin_invited",
        "console.password_set", "member.provisioned", "member.replaced", "member.patched", "member.deprovisioned",
        "member.reactivated", "member.removed", "member.purged",
    }  # fmt: skip


def test_every_action_names_its_target() -> None:
    """The word before the dot is the target, except console.* which is about a console user."""
    assert Action.MEMBER_PURGED.target is Target.MEMBER
    assert Action.CONSOLE_PASSWORD_SET.target is Target.CONSOLE_USER
    assert {action.target for action in Action} == set(Target)
