"""The labels table: analysts' feedback on what a rule matched, or should have.

One current label per (item, rule): ``relevant`` or ``irrelevant`` for a stored match,
``missed`` for an item the rule did not match but should have; with an optional note, who said
it and when. Labelling again replaces the row.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "labels",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(length=255), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("author", sa.String(length=255), nullable=True),
        sa.Column("labelled_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "verdict IN ('relevant', 'irrelevant', 'missed')", name="ck_labels_verdict"
        ),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("item_id", "rule_id"),
    )
    op.create_index("ix_labels_rule", "labels", ["rule_id"])


def downgrade() -> None:
    op.drop_index("ix_labels_rule", table_name="labels")
    op.drop_table("labels")
