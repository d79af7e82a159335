"""What the analyst's workbench reads: every match for export (with its label), rule activity,
counts."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Engine, Select, func, select

from vigil.store.rows import MatchExport
from vigil.store.schema import deliveries, feeds, items, labels, matches, messages


class RuleActivity(NamedTuple):
    """Per rule: hits, distinct items hit, the latest item's first sighting."""

    hits: int
    items: int
    last: datetime | None


class WorkbenchQueries:
    """Read-only queries over the whole store, streamed where they could be large."""

    engine: Engine

    def stream_matches(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        rule_ids: Sequence[str] | None = None,
        batch: int = 1000,
    ) -> Iterator[MatchExport]:
        """Every match with its item, when it was first delivered and its label, oldest first.

        Rows come from a server-side cursor, ``batch`` at a time: a million matches never sit
        in memory at once. Dates filter on when the item was first seen.
        """
        delivered = (
            select(deliveries.c.match_id, func.min(messages.c.sent_at).label("delivered_at"))
            .join(messages, messages.c.id == deliveries.c.message_pk)
            .where(messages.c.status == "sent")
            .group_by(deliveries.c.match_id)
            .subquery()
        )
        query: Select[Any] = (
            select(
                matches.c.id,
                matches.c.item_id,
                matches.c.rule_id,
                matches.c.evidence,
                matches.c.actors,
                matches.c.source,
                matches.c.target,
                matches.c.score,
                matches.c.matched_at,
                items.c.title,
                items.c.link,
                items.c.outlet,
                items.c.published,
                items.c.first_seen,
                delivered.c.delivered_at,
                labels.c.verdict,
                labels.c.author,
                labels.c.note,
                labels.c.labelled_at,
            )
            .join(items, items.c.id == matches.c.item_id)
            .outerjoin(delivered, delivered.c.match_id == matches.c.id)
            .outerjoin(
                labels,
                (labels.c.item_id == matches.c.item_id) & (labels.c.rule_id == matches.c.rule_id),
            )
            .order_by(matches.c.id)
        )
        query = _in_window(query, since, until)
        if rule_ids:
            query = query.where(matches.c.rule_id.in_(list(rule_ids)))
        with self.engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=batch).execute(query)
            for row in result:
                yield MatchExport(*row)

    def count_matches(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        rule_ids: Sequence[str] | None = None,
    ) -> int:
        counted: Select[Any] = select(func.count()).select_from(matches.join(items))
        query = _in_window(counted, since, until)
        if rule_ids:
            query = query.where(matches.c.rule_id.in_(list(rule_ids)))
        with self.engine.connect() as conn:
            count: int = conn.execute(query).scalar_one()
            return count

    def rule_activity(
        self, since: datetime | None = None
    ) -> tuple[int, dict[str, RuleActivity], dict[str, dict[str, int]]]:
        """For ``vigil rules stats``: items in the window; per rule its activity; per rule the
        hits per day (day as YYYY-MM-DD of the item's first sighting)."""
        window = select(func.count()).select_from(items)
        if since is not None:
            window = window.where(items.c.first_seen >= since)
        per_rule = (
            select(
                matches.c.rule_id,
                func.count(),
                func.count(func.distinct(matches.c.item_id)),
                func.max(items.c.first_seen),
            )
            .join(items, items.c.id == matches.c.item_id)
            .group_by(matches.c.rule_id)
        )
        day = func.date(items.c.first_seen)
        per_day = (
            select(matches.c.rule_id, day, func.count())
            .join(items, items.c.id == matches.c.item_id)
            .group_by(matches.c.rule_id, day)
        )
        if since is not None:
            per_rule = per_rule.where(items.c.first_seen >= since)
            per_day = per_day.where(items.c.first_seen >= since)
        with self.engine.connect() as conn:
            total: int = conn.execute(window).scalar_one()
            rules = {
                rule: RuleActivity(hits, hit_items, last)
                for rule, hits, hit_items, last in conn.execute(per_rule)
            }
            days: dict[str, dict[str, int]] = {}
            for rule, when, hits in conn.execute(per_day):
                days.setdefault(rule, {})[str(when)[:10]] = hits
        return total, rules, days

    def first_item_seen(self) -> datetime | None:
        with self.engine.connect() as conn:
            first: datetime | None = conn.execute(select(func.min(items.c.first_seen))).scalar()
            return first

    def stored_rule_hits(self, item_ids: Sequence[int]) -> dict[int, set[str]]:
        """The rules the live rule set matched on each of these items."""
        found: dict[int, set[str]] = {item_id: set() for item_id in item_ids}
        query = select(matches.c.item_id, matches.c.rule_id).where(
            matches.c.item_id.in_(list(item_ids))
        )
        with self.engine.connect() as conn:
            for item_id, rule_id in conn.execute(query):
                found[item_id].add(rule_id)
        return found

    def counts(self) -> dict[str, int]:
        """Row counts of the main tables, for summaries and health output."""
        with self.engine.connect() as conn:
            return {
                table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
                for table in (items, matches, messages, feeds)
            }


def _in_window(query: Select[Any], since: datetime | None, until: datetime | None) -> Select[Any]:
    if since is not None:
        query = query.where(items.c.first_seen >= since)
    if until is not None:
        query = query.where(items.c.first_seen < until)
    return query
