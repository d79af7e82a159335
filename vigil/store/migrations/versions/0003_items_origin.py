"""items.origin: where an item without a link came from (an article file's name).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("items", sa.Column("origin", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("items", "origin")
