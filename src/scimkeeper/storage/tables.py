"""The schema: one MetaData for every table. Migrations in `migrations/` build exactly this (checked in tests).

Filterable SCIM attributes live in normalised columns (`*_key`: case-folded) and in `member_emails`, so filters
on userName, externalId, emails.value and displayName are index lookups, never scans over the JSON document.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from scimkeeper.storage.types import BigId, Json, KeyText, UtcDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", Text, nullable=False),
    Column("name_key", Text, nullable=False),
    Column("plan", String(20), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("name_key", name="uq_accounts_name_key"),
)

scim_tokens = Table(
    "scim_tokens",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("account_id", String(36), ForeignKey("accounts.id"), nullable=False),
    Column("token_hash", String(64), nullable=False),
    Column("last4", String(4), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
    Column("last_used_at", UtcDateTime, nullable=True),
    UniqueConstraint("token_hash", name="uq_scim_tokens_token_hash"),
)
# At most one live token per account: generating a new one revokes the old in the same transaction.
Index(
    "uq_scim_tokens_live_account",
    scim_tokens.c.account_id,
    unique=True,
    sqlite_where=scim_tokens.c.revoked_at.is_(None),
    postgresql_where=scim_tokens.c.revoked_at.is_(None),
)

members = Table(
    "members",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("account_id", String(36), ForeignKey("accounts.id"), nullable=False),
    # Personal data (the keys and the documents); erased when the member is removed, leaving a tombstone.
    Column("user_name_key", KeyText, nullable=True),
    Column("external_id", KeyText, nullable=True),
    Column("display_name_key", KeyText, nullable=True),
    Column("document", Json, nullable=False),
    # The document with case-insensitive strings folded: what filters on non-indexed attributes read.
    Column("search_document", Json, nullable=False),
    Column("active", Boolean, nullable=False),
    # Set at the first deactivation (flagged for suspension), cleared on reactivation; the purge removes the
    # member when the deprovisioning window has passed since then.
    Column("deprovisioned_at", UtcDateTime, nullable=True),
    # "scim" when an IdP created the member, "manual" otherwise (operator or console).
    Column("provisioned_by", String(10), nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("removed_at", UtcDateTime, nullable=True),
)
# userName is unique per account among members that are not removed: a removed member's name is free again.
Index(
    "uq_members_live_user_name",
    members.c.account_id,
    members.c.user_name_key,
    unique=True,
    sqlite_where=members.c.removed_at.is_(None),
    postgresql_where=members.c.removed_at.is_(None),
)
# The listing order, restricted to live members so counts and pages are index-only scans.
Index(
    "ix_members_live_order",
    members.c.account_id,
    members.c.created_at,
    members.c.id,
    sqlite_where=members.c.removed_at.is_(None),
    postgresql_where=members.c.removed_at.is_(None),
)
Index(None, members.c.account_id, members.c.external_id)
Index(None, members.c.account_id, members.c.display_name_key)
Index(None, members.c.account_id, members.c.updated_at)
Index(None, members.c.account_id, members.c.active)
# The purge's work list, across accounts: deprovisioned members that are not removed yet.
Index(
    "ix_members_purge_due",
    members.c.deprovisioned_at,
    sqlite_where=members.c.removed_at.is_(None) & members.c.deprovisioned_at.is_not(None),
    postgresql_where=members.c.removed_at.is_(None) & members.c.deprovisioned_at.is_not(None),
)

authorized_domains = Table(
    "authorized_domains",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("account_id", String(36), ForeignKey("accounts.id"), nullable=False),
    Column("domain", Text, nullable=False),  # A-label, lower case, no trailing dot
    Column("include_subdomains", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("domain", name="uq_authorized_domains_domain"),  # a domain belongs to at most one account
)
Index(None, authorized_domains.c.account_id)

app_keys = Table(
    "app_keys",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", Text, nullable=False),
    Column("key_hash", String(64), nullable=False),
    Column("last4", String(4), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
    UniqueConstraint("key_hash", name="uq_app_keys_key_hash"),
)

member_emails = Table(
    "member_emails",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("member_id", String(36), ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("account_id", String(36), ForeignKey("accounts.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("value_key", KeyText, nullable=True),  # one row per e-mail, also one without a value
    Column("type_key", KeyText, nullable=True),
    Column("display_key", KeyText, nullable=True),
    Column("is_primary", Boolean, nullable=False),
)
Index(None, member_emails.c.account_id, member_emails.c.value_key)
Index(None, member_emails.c.member_id)

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("account_id", String(36), ForeignKey("accounts.id"), nullable=True),
    Column("at", UtcDateTime, nullable=False),
    Column("actor_type", String(20), nullable=False),
    Column("actor_id", Text, nullable=True),
    Column("actor_agent", Text, nullable=True),
    Column("action", String(40), nullable=False),
    Column("target_type", String(20), nullable=False),
    Column("target_id", String(36), nullable=True),
    Column("changes", Json, nullable=True),
    Column("request_id", String(64), nullable=True),
)
Index(None, audit_events.c.account_id, audit_events.c.at)
Index(None, audit_events.c.account_id, audit_events.c.target_id)

# --- the admin console -----------------------------------------------------------------------------------------

console_users = Table(
    "console_users",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("account_id", String(36), ForeignKey("accounts.id"), nullable=False),
    Column("email", Text, nullable=False),  # folded; one console user per address, across accounts
    Column("role", String(10), nullable=False),  # owner | admin
    Column("password_hash", Text, nullable=True),  # argon2id; NULL until the set-password link is used
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("email", name="uq_console_users_email"),
)
Index(None, console_users.c.account_id)

console_links = Table(
    "console_links",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(36), ForeignKey("console_users.id"), nullable=False),
    Column("token_hash", String(64), nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime, nullable=True),
    UniqueConstraint("token_hash", name="uq_console_links_token_hash"),
)

console_sessions = Table(
    "console_sessions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(36), ForeignKey("console_users.id"), nullable=False),
    Column("token_hash", String(64), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("ended_at", UtcDateTime, nullable=True),
    Column("flash", Json, nullable=True),  # a one-time message, e.g. a token shown once after a redirect
    UniqueConstraint("token_hash", name="uq_console_sessions_token_hash"),
)

signin_failures = Table(
    "signin_failures",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("email", Text, nullable=False),
    Column("client", Text, nullable=False),
    Column("at", UtcDateTime, nullable=False),
)
Index(None, signin_failures.c.email, signin_failures.c.at)
Index(None, signin_failures.c.client, signin_failures.c.at)
