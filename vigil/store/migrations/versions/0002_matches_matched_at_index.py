"""An index on matches.matched_at, for the digest window on a large store.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_matches_matched_at", "matches", ["matched_at"])


def downgrade() -> None:
    op.drop_index("ix_matches_matched_at", table_name="matches")
