"""Analysts' feedback: one current label per (item, rule), and the counts ``rules stats`` needs.

A label judges a stored match (``relevant``, ``irrelevant``) or names an item the rule did not
match but should have (``missed``). The store checks only what its rows say: that the item
exists, and that the rule matched it (relevant, irrelevant) or did not (missed). Which rule ids
may be labelled, and what the labels mean for a rule, is the caller's business.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Select, func, select

from vigil.clock import Clock
from vigil.errors import UnknownItem, WrongVerdict
from vigil.store.engine import upsert
from vigil.store.items import CHUNK
from vigil.store.rows import VERDICTS, Label, LabelCounts, Verdict
from vigil.store.schema import items, labels, matches


class Feedback:
    """The labels table: written by ``vigil matches label``, read by stats and the export."""

    engine: Engine
    clock: Clock

    def label_item(
        self,
        item_id: int,
        rule_id: str,
        verdict: Verdict,
        note: str | None = None,
        author: str | None = None,
        at: datetime | None = None,
    ) -> Label | None:
        """Label ``rule_id`` on ``item_id``, replacing the pair's earlier label if any (one
        upsert); returns the label replaced, None for a first one. ``at`` defaults to now.

        Raises :class:`UnknownItem` when no item has the id, :class:`WrongVerdict` when the
        verdict contradicts the matches table; nothing is written then.
        """
        if verdict not in VERDICTS:
            raise ValueError(f"a verdict is one of {', '.join(VERDICTS)}, not {verdict!r}")
        row = {
            "item_id": item_id,
            "rule_id": rule_id,
            "verdict": verdict,
            "note": note,
            "author": author,
            "labelled_at": at or self.clock(),
        }
        with self.engine.begin() as conn:
            if conn.execute(select(items.c.id).where(items.c.id == item_id)).first() is None:
                raise UnknownItem(item_id)
            matched = (
                conn.execute(
                    select(matches.c.id).where(
                        matches.c.item_id == item_id, matches.c.rule_id == rule_id
                    )
                ).first()
                is not None
            )
            if matched == (verdict == "missed"):
                raise WrongVerdict(item_id, rule_id, verdict, matched=matched)
            previous = conn.execute(
                _label_query().where(labels.c.item_id == item_id, labels.c.rule_id == rule_id)
            ).first()
            conn.execute(upsert(conn.dialect.name, labels, ("item_id", "rule_id")), row)
        return Label(*previous) if previous else None

    def labels_for(
        self,
        *,
        rule_ids: Sequence[str] | None = None,
        item_ids: Sequence[int] | None = None,
        since: datetime | None = None,
    ) -> list[Label]:
        """The current labels, oldest first; only of these rules and items when given, and of
        items first seen since ``since``."""
        query = _label_query()
        if since is not None:
            query = query.where(items.c.first_seen >= since)
        if rule_ids is not None:
            query = query.where(labels.c.rule_id.in_(list(rule_ids)))
        with self.engine.connect() as conn:
            if item_ids is None:
                return [Label(*row) for row in conn.execute(query)]
            wanted = list(item_ids)
            found: list[Label] = []
            for start in range(0, len(wanted), CHUNK):
                chunk = query.where(labels.c.item_id.in_(wanted[start : start + CHUNK]))
                found.extend(Label(*row) for row in conn.execute(chunk))
            return sorted(found, key=lambda label: (label.labelled_at, label.item_id))

    def label_counts_by_rule(self, since: datetime | None = None) -> dict[str, LabelCounts]:
        """Per rule, its labels by verdict; with ``since``, only labels of items first seen
        since then (the window ``rules stats`` counts hits in)."""
        query = (
            select(labels.c.rule_id, labels.c.verdict, func.count())
            .join(items, items.c.id == labels.c.item_id)
            .group_by(labels.c.rule_id, labels.c.verdict)
        )
        if since is not None:
            query = query.where(items.c.first_seen >= since)
        counts: dict[str, dict[str, int]] = {}
        with self.engine.connect() as conn:
            for rule_id, verdict, count in conn.execute(query):
                counts.setdefault(rule_id, {})[verdict] = count
        return {rule_id: LabelCounts(**by_verdict) for rule_id, by_verdict in counts.items()}


def _label_query() -> Select[Any]:
    return (
        select(
            labels.c.item_id,
            labels.c.rule_id,
            labels.c.verdict,
            labels.c.note,
            labels.c.author,
            labels.c.labelled_at,
            items.c.title,
        )
        .join(items, items.c.id == labels.c.item_id)
        .order_by(labels.c.labelled_at, labels.c.item_id, labels.c.rule_id)
    )
