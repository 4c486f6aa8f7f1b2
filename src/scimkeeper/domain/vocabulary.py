"""The audit log's words: who acts, what they did and to what, as the strings stored in `audit_events`.

Defined once and imported by the domain, the console and the metrics; it imports nothing of the project, so
`metrics` (which stands alone) may read it. The values are stored: changing one is a data migration.
"""

from __future__ import annotations

from enum import StrEnum


class ActorType(StrEnum):
    SCIM_TOKEN = "scim_token"  # an identity provider, with its token's id and User-Agent
    OPERATOR = "operator"  # the CLI
    ADMIN = "admin"  # a console owner or admin, by address
    SYSTEM = "system"  # a job, by name


class Target(StrEnum):
    ACCOUNT = "account"
    TOKEN = "token"
    APP_KEY = "app_key"
    DOMAIN = "domain"
    CONSOLE_USER = "console_user"
    MEMBER = "member"


class Action(StrEnum):
    ACCOUNT_CREATED = "account.created"
    ACCOUNT_PLAN_CHANGED = "account.plan_changed"
    TOKEN_GENERATED = "token.generated"
    APP_KEY_GENERATED = "app_key.generated"
    APP_KEY_REVOKED = "app_key.revoked"
    DOMAIN_AUTHORIZED = "domain.authorized"
    DOMAIN_REVOKED = "domain.revoked"
    CONSOLE_OWNER_INVITED = "console.owner_invited"
    CONSOLE_ADMIN_INVITED = "console.admin_invited"
    CONSOLE_PASSWORD_SET = "console.password_set"
    MEMBER_PROVISIONED = "member.provisioned"
    MEMBER_REPLACED = "member.replaced"
    MEMBER_PATCHED = "member.patched"
    MEMBER_DEPROVISIONED = "member.deprovisioned"
    MEMBER_REACTIVATED = "member.reactivated"
    MEMBER_REMOVED = "member.removed"
    MEMBER_PURGED = "member.purged"

    @property
    def target(self) -> Target:
        """What an entry of this action is about: the word before the dot names it."""
        return _TARGETS[self.partition(".")[0]]


# The word before the dot is the target's value, except for console users' actions (`console.*`).
_TARGETS = {target.value: target for target in Target} | {"console": Target.CONSOLE_USER}
