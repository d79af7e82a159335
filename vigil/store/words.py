"""The word index (migration 0006): which stored items of a period hold the words a query
needs. SQLite answers from its FTS5 table, PostgreSQL from its GIN index; items the index does
not know yet are always among the answers (a reader then matches them in full)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Select, func, select, text

from vigil.store.schema import items, matches
from vigil.words import AllOf, AnyOf, Word, WordQuery


class WordIndex:
    engine: Engine

    def item_ids_holding(
        self, query: WordQuery | None, since: datetime, until: datetime | None = None
    ) -> list[int]:
        """Ids of the items first seen in [since, until) that hold ``query``'s words (every
        item of the period when it is None), oldest first."""
        if query is None:
            return self.item_ids_since(since, until)
        with self.engine.connect() as conn:
            holding, params = _holding(conn.dialect.name, query)
            indexed = _in_period(select(items.c.id), since, until).where(holding)
            unindexed = _in_period(select(items.c.id), since, until).where(items.c.words.is_(None))
            found = set(conn.execute(indexed, params).scalars())
            found.update(conn.execute(unindexed).scalars())
        return sorted(found)

    def newest_item_ids(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        before: int | None = None,
        limit: int = 1000,
        holding: WordQuery | None = None,
    ) -> list[int]:
        """Item ids newest first (those that hold ``holding``'s words, or the index does not
        know): what a search over stored items reads, a batch at a time."""
        query = select(items.c.id).order_by(items.c.id.desc()).limit(limit)
        if before is not None:
            query = query.where(items.c.id < before)
        if since is not None:
            query = query.where(items.c.first_seen >= since)
        if until is not None:
            query = query.where(items.c.first_seen < until)
        with self.engine.connect() as conn:
            if holding is None:
                return list(conn.execute(query).scalars())
            clause, params = _holding(conn.dialect.name, holding)
            found = set(conn.execute(query.where(clause), params).scalars())
            found.update(conn.execute(query.where(items.c.words.is_(None))).scalars())
        return sorted(found, reverse=True)[:limit]

    def item_ids_since(self, since: datetime, until: datetime | None = None) -> list[int]:
        """Ids of items first seen in [since, until), oldest first."""
        query = _in_period(select(items.c.id), since, until).order_by(items.c.id)
        with self.engine.connect() as conn:
            return list(conn.execute(query).scalars())

    def count_items_since(self, since: datetime, until: datetime | None = None) -> int:
        query = _in_period(select(func.count()).select_from(items), since, until)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def item_ids_matched(
        self, rule_ids: Sequence[str], since: datetime, until: datetime | None = None
    ) -> list[int]:
        """Items first seen in [since, until) that the live rules ``rule_ids`` matched."""
        query = _in_period(
            select(matches.c.item_id)
            .distinct()
            .join(items, items.c.id == matches.c.item_id)
            .where(matches.c.rule_id.in_(list(rule_ids))),
            since,
            until,
        )
        with self.engine.connect() as conn:
            return sorted(conn.execute(query).scalars())


def _holding(dialect: str, query: WordQuery) -> tuple[Any, dict[str, str]]:
    """The condition "the item holds these words", and its parameters."""
    if dialect == "sqlite":
        matching = select(text("rowid")).select_from(text("item_words"))
        clause = items.c.id.in_(matching.where(text("item_words MATCH :words")))
        return clause, {"words": fts5_query(query)}
    vector = "array_to_tsvector(string_to_array(items.words, ' '))"
    return text(f"{vector} @@ CAST(:words AS tsquery)"), {"words": tsquery(query)}


def _in_period(query: Select[Any], since: datetime, until: datetime | None) -> Select[Any]:
    query = query.where(items.c.first_seen >= since)
    return query if until is None else query.where(items.c.first_seen < until)


def fts5_query(query: WordQuery) -> str:
    """The query in FTS5's syntax: ``("tb"* OR ("bayraktar" AND "drone"*))``."""
    if isinstance(query, Word):
        return f'"{query.text}"' + ("*" if query.prefix else "")
    joiner = " AND " if isinstance(query, AllOf) else " OR "
    return "(" + joiner.join(fts5_query(part) for part in query.parts) + ")"


def tsquery(query: WordQuery) -> str:
    """The query as a ``tsquery`` of lexemes as stored: ``('tb':* | ('bayraktar' & …))``."""
    if isinstance(query, Word):
        quoted = "'" + query.text.replace("\\", "\\\\").replace("'", "''") + "'"
        return quoted + (":*" if query.prefix else "")
    joiner = " & " if isinstance(query, AllOf) else " | "
    assert isinstance(query, AllOf | AnyOf)
    return "(" + joiner.join(tsquery(part) for part in query.parts) + ")"
