"""The first schema: accounts, SCIM tokens, members and their e-mail index, the audit log, authorized domains,
application keys and the console.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from scimkeeper.storage.types import BigId, Json, KeyText, UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_key", sa.Text(), nullable=False),
        sa.Column("plan", sa.String(20), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_accounts"),
        sa.UniqueConstraint("name_key", name="uq_accounts_name_key"),
    )
    op.create_table(
        "scim_tokens",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("last4", sa.String(4), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
        sa.Column("last_used_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name="fk_scim_tokens_account_id_accounts"),
        sa.PrimaryKeyConstraint("id", name="pk_scim_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_scim_tokens_token_hash"),
    )
    op.create_index(
        "uq_scim_tokens_live_account",
        "scim_tokens",
        ["account_id"],
        unique=True,
        sqlite_where=sa.text("revoked_at IS NULL"),
        postgresql_where=sa.text("revoked_at IS NULL"),
    )
    op.create_table(
        "members",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("user_name_key", KeyText, nullable=True),
        sa.Column("external_id", KeyText, nullable=True),
        sa.Column("display_name_key", KeyText, nullable=True),
        sa.Column("document", Json, nullable=False),
        sa.Column("search_document", Json, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("deprovisioned_at", UtcDateTime(), nullable=True),
        sa.Column("provisioned_by", sa.String(10), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("removed_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name="fk_members_account_id_accounts"),
        sa.PrimaryKeyConstraint("id", name="pk_members"),
    )
    op.create_index(
        "uq_members_live_user_name",
        "members",
        ["account_id", "user_name_key"],
        unique=True,
        sqlite_where=sa.text("removed_at IS NULL"),
        postgresql_where=sa.text("removed_at IS NULL"),
    )
    op.create_index(
        "ix_members_live_order",
        "members",
        ["account_id", "created_at", "id"],
        sqlite_where=sa.text("removed_at IS NULL"),
        postgresql_where=sa.text("removed_at IS NULL"),
    )
    op.create_index("ix_members_account_id_external_id", "members", ["account_id", "external_id"])
    op.create_index("ix_members_account_id_display_name_key", "members", ["account_id", "display_name_key"])
    op.create_index("ix_members_account_id_updated_at", "members", ["account_id", "updated_at"])
    op.create_index("ix_members_account_id_active", "members", ["account_id", "active"])
    op.create_index(
        "ix_members_purge_due",
        "members",
        ["deprovisioned_at"],
        sqlite_where=sa.text("removed_at IS NULL AND deprovisioned_at IS NOT NULL"),
        postgresql_where=sa.text("removed_at IS NULL AND deprovisioned_at IS NOT NULL"),
    )
    op.create_table(
        "member_emails",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("member_id", sa.String(36), nullable=False),
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("value_key", KeyText, nullable=True),
        sa.Column("type_key", KeyText, nullable=True),
        sa.Column("display_key", KeyText, nullable=True),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name="fk_member_emails_account_id_accounts"),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name="fk_member_emails_member_id_members", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_member_emails"),
    )
    op.create_index("ix_member_emails_account_id_value_key", "member_emails", ["account_id", "value_key"])
    op.create_index("ix_member_emails_member_id", "member_emails", ["member_id"])
    op.create_table(
        "audit_events",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(36), nullable=True),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("actor_type", sa.String(20), nullable=False),
        sa.Column("actor_id", sa.Text(), nullable=True),
        sa.Column("actor_agent", sa.Text(), nullable=True),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("target_type", sa.String(20), nullable=False),
        sa.Column("target_id", sa.String(36), nullable=True),
        sa.Column("changes", Json, nullable=True),
        sa.Column("request_id", sa.String(64), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name="fk_audit_events_account_id_accounts"),
        sa.PrimaryKeyConstraint("id", name="pk_audit_events"),
    )
    op.create_index("ix_audit_events_account_id_at", "audit_events", ["account_id", "at"])
    op.create_index("ix_audit_events_account_id_target_id", "audit_events", ["account_id", "target_id"])
    op.create_table(
        "authorized_domains",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("domain", sa.Text(), nullable=False),
        sa.Column("include_subdomains", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name="fk_authorized_domains_account_id_accounts"),
        sa.PrimaryKeyConstraint("id", name="pk_authorized_domains"),
        sa.UniqueConstraint("domain", name="uq_authorized_domains_domain"),
    )
    op.create_index("ix_authorized_domains_account_id", "authorized_domains", ["account_id"])
    op.create_table(
        "app_keys",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("last4", sa.String(4), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_app_keys"),
        sa.UniqueConstraint("key_hash", name="uq_app_keys_key_hash"),
    )

    _console()


def _console() -> None:
    op.create_table(
        "console_users",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name="fk_console_users_account_id_accounts"),
        sa.PrimaryKeyConstraint("id", name="pk_console_users"),
        sa.UniqueConstraint("email", name="uq_console_users_email"),
    )
    op.create_index("ix_console_users_account_id", "console_users", ["account_id"])
    op.create_table(
        "console_links",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("used_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["console_users.id"], name="fk_console_links_user_id_console_users"),
        sa.PrimaryKeyConstraint("id", name="pk_console_links"),
        sa.UniqueConstraint("token_hash", name="uq_console_links_token_hash"),
    )
    op.create_table(
        "console_sessions",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("ended_at", UtcDateTime(), nullable=True),
        sa.Column("flash", Json, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["console_users.id"], name="fk_console_sessions_user_id_console_users"),
        sa.PrimaryKeyConstraint("id", name="pk_console_sessions"),
        sa.UniqueConstraint("token_hash", name="uq_console_sessions_token_hash"),
    )
    op.create_table(
        "signin_failures",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("client", sa.Text(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_signin_failures"),
    )
    op.create_index("ix_signin_failures_email_at", "signin_failures", ["email", "at"])
    op.create_index("ix_signin_failures_client_at", "signin_failures", ["client", "at"])


def downgrade() -> None:
    op.drop_table("signin_failures")
    op.drop_table("console_sessions")
    op.drop_table("console_links")
    op.drop_table("console_users")
    op.drop_table("app_keys")
    op.drop_table("authorized_domains")
    op.drop_table("audit_events")
    op.drop_table("member_emails")
    op.drop_table("members")
    op.drop_table("scim_tokens")
    op.drop_table("accounts")
