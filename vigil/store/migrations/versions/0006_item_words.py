"""The word index: items.words, and what finds items by their words on each database.

``words`` holds an item's distinct folded words (:func:`vigil.words.item_words`). SQLite
indexes it with an FTS5 table over the items table's column (external content, no positions:
only "which items hold this word" is asked), kept in step by triggers; PostgreSQL with a GIN
index on the words as a ``tsvector``. Items stored before this revision get their words here,
in batches; ``ix_items_unindexed`` finds any item that has none (read in full by a trial).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from vigil.words import item_words

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BATCH = 2000

_SQLITE_INDEX = (
    "CREATE VIRTUAL TABLE item_words USING fts5("
    "words, content='items', content_rowid='id', tokenize='ascii', detail=none)",
    "CREATE TRIGGER items_words_insert AFTER INSERT ON items WHEN new.words IS NOT NULL BEGIN "
    "INSERT INTO item_words(rowid, words) VALUES (new.id, new.words); END",
    "CREATE TRIGGER items_words_delete AFTER DELETE ON items WHEN old.words IS NOT NULL BEGIN "
    "INSERT INTO item_words(item_words, rowid, words) VALUES ('delete', old.id, old.words); END",
    "CREATE TRIGGER items_words_update AFTER UPDATE OF words ON items BEGIN "
    "INSERT INTO item_words(item_words, rowid, words) "
    "SELECT 'delete', old.id, old.words WHERE old.words IS NOT NULL; "
    "INSERT INTO item_words(rowid, words) SELECT new.id, new.words WHERE new.words IS NOT NULL; "
    "END",
)
_POSTGRES_INDEX = (
    "CREATE INDEX ix_items_words ON items USING gin "
    "(array_to_tsvector(string_to_array(words, ' ')))",
)


def upgrade() -> None:
    op.add_column("items", sa.Column("words", sa.Text(), nullable=True))
    bind = op.get_bind()
    for statement in _SQLITE_INDEX if bind.dialect.name == "sqlite" else _POSTGRES_INDEX:
        op.execute(statement)
    _fill(bind)
    op.create_index(
        "ix_items_unindexed",
        "items",
        ["first_seen"],
        sqlite_where=sa.text("words IS NULL"),
        postgresql_where=sa.text("words IS NULL"),
    )


def _fill(bind: sa.Connection) -> None:
    items = sa.table(
        "items",
        sa.column("id", sa.Integer),
        sa.column("title", sa.Text),
        sa.column("body", sa.Text),
        sa.column("words", sa.Text),
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(items.c.id, items.c.title, items.c.body)
            .where(items.c.id > last)
            .order_by(items.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        bind.execute(
            items.update()
            .where(items.c.id == sa.bindparam("item"))
            .values(words=sa.bindparam("found")),
            [{"item": row.id, "found": item_words(row.title, row.body)} for row in rows],
        )
        last = rows[-1].id


def downgrade() -> None:
    op.drop_index("ix_items_unindexed", table_name="items")
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("items_words_insert", "items_words_delete", "items_words_update"):
            op.execute(f"DROP TRIGGER {trigger}")
        op.execute("DROP TABLE item_words")
    else:
        op.execute("DROP INDEX ix_items_words")
    op.drop_column("items", "words")
