"""Indexes for the analyst's web page: a match's deliveries, a story's other copies.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_deliveries_match", "deliveries", ["match_id"])
    op.create_index("ix_items_cluster", "items", ["cluster_id"])


def downgrade() -> None:
    op.drop_index("ix_items_cluster", table_name="items")
    op.drop_index("ix_deliveries_match", table_name="deliveries")
