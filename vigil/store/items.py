"""Items and their matches: written a batch at a time, read back for re-matching."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, select, update

from vigil.article import Article
from vigil.clock import Clock
from vigil.match import Match
from vigil.store.engine import insert_ignoring_conflicts
from vigil.store.rows import ItemUpdate, NewItem, StoredItem
from vigil.store.schema import deliveries, items, matches
from vigil.words import item_words

CHUNK = 500  # ids per IN (…) list: well under every driver's limit on bound parameters
# What an Article is made of (not the words or the signature, which are as long again).
_ARTICLE = (
    items.c.id,
    items.c.title,
    items.c.body,
    items.c.outlet,
    items.c.link,
    items.c.author,
    items.c.published,
    items.c.date_missing,
    items.c.tags,
)


class ItemTables:
    """The items and matches tables, for the ingest pipeline and the backfill."""

    engine: Engine
    clock: Clock

    def stored_hashes(self, canonical_ids: Sequence[str]) -> dict[str, tuple[int, str | None]]:
        """(item id, content hash) of the stored items among ``canonical_ids``."""
        found: dict[str, tuple[int, str | None]] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(canonical_ids), CHUNK):
                chunk = list(canonical_ids[start : start + CHUNK])
                query = select(items.c.canonical_id, items.c.id, items.c.content_hash).where(
                    items.c.canonical_id.in_(chunk)
                )
                for row in conn.execute(query):
                    found[row.canonical_id] = (row.id, row.content_hash)
        return found

    def known(self, canonical_ids: Iterable[str]) -> set[str]:
        """Which of these canonical ids are stored already (to skip work on seen articles)."""
        wanted = list(dict.fromkeys(canonical_ids))
        found: set[str] = set()
        with self.engine.connect() as conn:
            for start in range(0, len(wanted), CHUNK):
                chunk = wanted[start : start + CHUNK]
                query = select(items.c.canonical_id).where(items.c.canonical_id.in_(chunk))
                found.update(conn.execute(query).scalars())
        return found

    def write_batch(
        self,
        new: Sequence[NewItem],
        updates: Sequence[ItemUpdate] = (),
        *,
        clusters: Callable[[list[tuple[int, NewItem]]], dict[int, int]] | None = None,
    ) -> tuple[list[StoredItem], list[StoredItem]]:
        """Write a batch in one transaction, together or not at all: new items and their
        matches with multi-row statements, and stored items' new text.

        An item a concurrent run inserted first is skipped with its matches (the unique key
        decides). ``clusters``, given the inserted (item id, item) pairs in batch order, says
        each one's cluster id; it runs inside the transaction, so the caller can hold a lock
        across both. Returns the items inserted, and the updated items with the matches they
        did not have (an item that only gained its content hash is not among them).
        """
        now = self.clock()
        with self.engine.begin() as conn:
            insert_match = insert_ignoring_conflicts(conn.dialect.name, matches)
            changed: list[StoredItem] = []
            for update_ in updates:
                added = _update_item(conn, insert_match, update_, now)
                if added is not None:
                    changed.append(StoredItem(update_.item_id, update_.article, added))
            rows = [_item_row(item, now) for item in new]
            inserted = insert_ignoring_conflicts(conn.dialect.name, items).returning(
                items.c.id, items.c.canonical_id
            )
            ids = {r.canonical_id: r.id for r in conn.execute(inserted, rows)} if rows else {}
            written = [
                (ids[row["canonical_id"]], item)
                for row, item in zip(rows, new, strict=True)
                if row["canonical_id"] in ids
            ]
            if clusters is not None and written:
                assigned = clusters(written)
                conn.execute(
                    update(items)
                    .where(items.c.id == bindparam("item"))
                    .values(cluster_id=bindparam("cluster")),
                    [{"item": item, "cluster": cluster} for item, cluster in assigned.items()],
                )
            match_rows = [_match_row(i, m, now) for i, item in written for m in item.matches]
            if match_rows:
                conn.execute(insert_match, match_rows)
        return [StoredItem(i, item.article, item.matches) for i, item in written], changed

    def add_matches(self, found: Sequence[tuple[int, Match]]) -> list[tuple[int, str]]:
        """Store the (item id, match) pairs an item does not have yet for that rule.

        Returns the (item id, rule id) pairs added; existing matches, delivered or not, stay
        as they are.
        """
        if not found:
            return []
        now = self.clock()
        wanted = {(item_id, match.rule_id) for item_id, match in found}
        with self.engine.begin() as conn:
            existing = {
                (row.item_id, row.rule_id)
                for row in conn.execute(
                    select(matches.c.item_id, matches.c.rule_id).where(
                        matches.c.item_id.in_({item_id for item_id, _ in wanted})
                    )
                )
            }
            rows = [
                _match_row(item_id, match, now)
                for item_id, match in found
                if (item_id, match.rule_id) not in existing
            ]
            if rows:
                conn.execute(insert_ignoring_conflicts(conn.dialect.name, matches), rows)
        return [(row["item_id"], row["rule_id"]) for row in rows]

    def release_claims(self, item_ids: Sequence[int], rule_ids: Sequence[str] | None = None) -> int:
        """Forget which recipients got these items' matches, so the next messages carry them
        again (``vigil backfill --resend``). The sent messages themselves stay in the outbox."""
        chosen = select(matches.c.id).where(matches.c.item_id.in_(list(item_ids)))
        if rule_ids is not None:
            chosen = chosen.where(matches.c.rule_id.in_(list(rule_ids)))
        with self.engine.begin() as conn:
            return conn.execute(
                delete(deliveries).where(deliveries.c.match_id.in_(chosen))
            ).rowcount

    def recent_signatures(self, days: float = 3) -> list[tuple[int, int, bytes]]:
        """(item id, cluster id, signature) of the items first seen in the last ``days``."""
        since = self.clock() - timedelta(days=days)
        query = select(items.c.id, items.c.cluster_id, items.c.signature).where(
            items.c.first_seen >= since, items.c.signature.is_not(None)
        )
        with self.engine.connect() as conn:
            return [
                (row.id, row.cluster_id or row.id, row.signature) for row in conn.execute(query)
            ]

    def articles(self, item_ids: Sequence[int]) -> list[tuple[int, Article]]:
        """Stored items as Articles again, for re-matching."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(*_ARTICLE).where(items.c.id.in_(list(item_ids))))
            return [(row.id, _article(row)) for row in rows]

    def article(self, item_id: int) -> Article | None:
        """A stored item as an Article again (for ``vigil rules test`` and backtests)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(*_ARTICLE).where(items.c.id == item_id)).first()
        return None if row is None else _article(row)


def _update_item(
    conn: Connection, insert_match: Any, update_: ItemUpdate, now: datetime
) -> list[Match] | None:
    """Record a stored item's new text; add the matches it did not have. None when the item
    only gained its content hash (stored before hashes were kept)."""
    item_id = update_.item_id
    previous = conn.execute(select(items.c.content_hash).where(items.c.id == item_id)).scalar()
    conn.execute(
        update(items)
        .where(items.c.id == item_id)
        .values(
            title=update_.article.title,
            body=update_.article.body,
            link=update_.article.link,
            content_hash=update_.content_hash,
            words=item_words(update_.article.title, update_.article.body),
        )
    )
    if previous is None:
        return None
    had = set(conn.execute(select(matches.c.rule_id).where(matches.c.item_id == item_id)).scalars())
    added = [match for match in update_.matches if match.rule_id not in had]
    if added:
        conn.execute(insert_match, [_match_row(item_id, m, now) for m in added])
    return added


def _item_row(item: NewItem, seen: datetime) -> dict[str, Any]:
    article = item.article
    return {
        "canonical_id": article.canonical_id,
        "outlet": article.outlet,
        "title": article.title,
        "body": article.body,
        "link": article.link,
        "author": article.author,
        # An undated article is dated when vigil first saw it, and flagged so.
        "published": article.published or (seen if article.date_missing else None),
        "date_missing": article.date_missing,
        "tags": list(article.tags),
        "first_seen": seen,
        "origin": article.metadata.get("origin"),
        "content_hash": item.content_hash,
        "signature": item.signature,
        "words": item_words(article.title, article.body),
    }


def _match_row(item_id: int, match: Match, when: datetime) -> dict[str, Any]:
    """A match as the matches table holds it."""
    return {
        "item_id": item_id,
        "rule_id": match.rule_id,
        "evidence": match.evidence,
        "highlights": [list(span) for span in match.highlights],
        "terms": list(match.terms),
        "actors": list(match.actors),
        "score": match.score,
        "source": match.source,
        "target": match.target,
        "matched_at": when,
    }


def _article(row: Any) -> Article:
    return Article(
        title=row.title,
        body=row.body,
        outlet=row.outlet,
        link=row.link,
        author=row.author,
        published=row.published,
        date_missing=row.date_missing,
        tags=tuple(row.tags),
    )
