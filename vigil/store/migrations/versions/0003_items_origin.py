"""items.origin and items.content_hash; item identities scoped to their feed.

``origin``: where an item without a link came from (an article file's name). ``content_hash``:
what an item said, so that the same id with new text is recorded as a changed item. And every
stored canonical id is prefixed with its outlet: an item's identity is its feed's, so a GUID
that another feed also uses (a link to another outlet's article) no longer hides that article.

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
    op.add_column("items", sa.Column("content_hash", sa.String(length=64), nullable=True))
    items = sa.table("items", sa.column("canonical_id", sa.String), sa.column("outlet", sa.String))
    op.execute(
        items.update()
        .where(~items.c.canonical_id.like("feed:%"))
        .values(canonical_id="feed:" + items.c.outlet + "|" + items.c.canonical_id)
    )


def downgrade() -> None:
    items = sa.table("items", sa.column("canonical_id", sa.String), sa.column("outlet", sa.String))
    prefix = sa.func.length("feed:" + items.c.outlet + "|")
    op.execute(
        items.update()
        .where(items.c.canonical_id.like("feed:%"))
        .values(canonical_id=sa.func.substr(items.c.canonical_id, prefix + 1))
    )
    op.drop_column("items", "content_hash")
    op.drop_column("items", "origin")
