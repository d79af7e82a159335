"""Matches as the digests read them: not yet sent to a reader, or recent, or by id."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Select, select

from vigil.store.items import CHUNK
from vigil.store.rows import MatchRef, StoredMatch
from vigil.store.schema import deliveries, items, matches


class MatchQueries:
    """What dispatch and previews read of the matches table."""

    engine: Engine

    def undelivered_matches(
        self,
        recipient: str = "default",
        *,
        rule_ids: Sequence[str] | None = None,
        since: datetime | None = None,
    ) -> list[StoredMatch]:
        """Matches not yet in any message to ``recipient``, oldest item first.

        ``rule_ids`` narrows to those rules; ``since`` drops matches made before it (a new
        recipient does not get the whole history).
        """
        claimed = select(deliveries.c.match_id).where(deliveries.c.recipient == recipient)
        query = _match_query().where(matches.c.id.not_in(claimed))
        return self._matches(query, rule_ids, since)

    def pending_refs(
        self,
        recipient: str,
        *,
        rule_ids: Sequence[str] | None = None,
        since: datetime | None = None,
    ) -> Iterator[MatchRef]:
        """Like :meth:`undelivered_matches`, as light references, streamed."""
        claimed = select(deliveries.c.match_id).where(deliveries.c.recipient == recipient)
        query = (
            select(
                matches.c.id,
                matches.c.rule_id,
                matches.c.item_id,
                items.c.cluster_id,
                matches.c.score,
                items.c.published,
                items.c.tags,
            )
            .join(items, items.c.id == matches.c.item_id)
            .where(matches.c.id.not_in(claimed))
            .order_by(items.c.published, matches.c.id)
        )
        if rule_ids is not None:
            if not rule_ids:
                return
            query = query.where(matches.c.rule_id.in_(list(rule_ids)))
        if since is not None:
            query = query.where(matches.c.matched_at >= since)
        with self.engine.connect() as conn:
            rows = conn.execution_options(stream_results=True, yield_per=2000).execute(query)
            for row in rows:
                yield MatchRef(*row[:6], tuple(row[6] or ()))

    def matches_by_id(self, match_ids: Iterable[int]) -> dict[int, StoredMatch]:
        """Full rows for these matches (the stories a message shows)."""
        wanted = list(match_ids)
        found: dict[int, StoredMatch] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(wanted), CHUNK):
                query = _match_query().where(matches.c.id.in_(wanted[start : start + CHUNK]))
                for row in conn.execute(query):
                    match = _stored_match(row._mapping)
                    found[match.id] = match
        return found

    def recent_matches(
        self, since: datetime, *, rule_ids: Sequence[str] | None = None
    ) -> list[StoredMatch]:
        """Every match since ``since``, delivered or not: for previews and template work."""
        return self._matches(_match_query(), rule_ids, since)

    def _matches(
        self, query: Select[Any], rule_ids: Sequence[str] | None, since: datetime | None
    ) -> list[StoredMatch]:
        if rule_ids is not None:
            if not rule_ids:
                return []
            query = query.where(matches.c.rule_id.in_(list(rule_ids)))
        if since is not None:
            query = query.where(matches.c.matched_at >= since)
        with self.engine.connect() as conn:
            return [_stored_match(row._mapping) for row in conn.execute(query)]


def _stored_match(row: Any) -> StoredMatch:
    return StoredMatch(
        id=row["id"],
        rule_id=row["rule_id"],
        evidence=row["evidence"],
        highlights=tuple(tuple(span) for span in row["highlights"]),
        terms=tuple(row["terms"]),
        actors=tuple(row["actors"]),
        score=row["score"],
        source=row["source"],
        target=row["target"],
        item_id=row["item_id"],
        title=row["title"],
        outlet=row["outlet"],
        link=row["link"],
        published=row["published"],
        date_missing=row["date_missing"],
        cluster_id=row["cluster_id"],
        item_tags=tuple(row["tags"] or ()),
        matched_at=row["matched_at"],
        origin=row["origin"],
    )


def _match_query() -> Select[Any]:
    return (
        select(
            matches,
            items.c.title,
            items.c.outlet,
            items.c.link,
            items.c.published,
            items.c.date_missing,
            items.c.cluster_id,
            items.c.tags,
            items.c.origin,
        )
        .join(items, items.c.id == matches.c.item_id)
        .order_by(items.c.published, matches.c.id)
    )
