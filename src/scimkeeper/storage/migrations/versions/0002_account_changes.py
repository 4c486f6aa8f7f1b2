"""The account's change sequence (`account_changes`): what paging hints are keyed on, instead of process clocks.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # No rows: an account without one has changed nothing yet (sequence 0); its first change inserts it.
    op.create_table(
        "account_changes",
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name="fk_account_changes_account_id_accounts"),
        sa.PrimaryKeyConstraint("account_id", name="pk_account_changes"),
    )


def downgrade() -> None:
    op.drop_table("account_changes")
