"""What the analyst's web page reads: a page of the match stream, one item with its copies,
matches and messages. Pages are keyset-paged on ids (no OFFSET, no counting the whole stream),
so the thousandth page of a million-item store costs what the first does."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal, NamedTuple

from sqlalchemy import Connection, Engine, Select, exists, func, select

from vigil.article import Article
from vigil.store.items import _article
from vigil.store.matches import _match_query, _stored_match
from vigil.store.outbox import _message_rows
from vigil.store.rows import MessageRow, StoredMatch, Verdict
from vigil.store.schema import deliveries, items, labels, matches, messages

LabelFilter = Verdict | Literal["unlabelled"]


@dataclass(frozen=True, slots=True)
class MatchFilter:
    """Which matches a page shows. ``rule_ids`` None: every rule; empty: none."""

    rule_ids: Sequence[str] | None = None
    outlet: str | None = None
    since: datetime | None = None  # on the item's first sighting
    until: datetime | None = None
    delivered: bool | None = None
    label: LabelFilter | None = None


class StoredItemView(NamedTuple):
    """A stored item as its page shows it."""

    id: int
    article: Article
    first_seen: datetime
    cluster_id: int | None
    origin: str | None


class Copy(NamedTuple):
    """Another outlet's copy of the same story."""

    item_id: int
    outlet: str
    title: str
    link: str | None


class BrowseQueries:
    engine: Engine

    def match_page(
        self, where: MatchFilter, *, before: int | None = None, limit: int = 50
    ) -> list[StoredMatch]:
        """Matches newest first (by match id), ``limit`` of them with ids below ``before``."""
        if where.rule_ids is not None and not where.rule_ids:
            return []
        with self.engine.connect() as conn:
            if where.since is None and where.until is None:
                page = _page_ids(conn, where, before, limit)
            else:
                page = _dated_page_ids(conn, where, before, limit)
            if not page:
                return []
            query = _match_query().order_by(None).where(matches.c.id.in_(page))
            found = [_stored_match(row._mapping) for row in conn.execute(query)]
        return sorted(found, key=lambda match: match.id, reverse=True)

    def delivered_at(self, match_ids: Sequence[int]) -> dict[int, datetime]:
        """When each of these matches first went out in a sent message."""
        if not match_ids:
            return {}
        query = (
            select(deliveries.c.match_id, messages.c.sent_at)
            .join(messages, messages.c.id == deliveries.c.message_pk)
            .where(deliveries.c.match_id.in_(list(match_ids)), messages.c.status == "sent")
        )
        found: dict[int, datetime] = {}
        with self.engine.connect() as conn:
            for match_id, sent_at in conn.execute(query):
                if match_id not in found or sent_at < found[match_id]:
                    found[match_id] = sent_at
        return found

    def labels_of(self, pairs: Sequence[tuple[int, str]]) -> dict[tuple[int, str], Verdict]:
        """The current label of each (item, rule) pair that has one."""
        item_ids = sorted({item_id for item_id, _ in pairs})
        if not item_ids:
            return {}
        query = select(labels.c.item_id, labels.c.rule_id, labels.c.verdict).where(
            labels.c.item_id.in_(item_ids)
        )
        wanted = set(pairs)
        with self.engine.connect() as conn:
            return {
                (item_id, rule_id): verdict
                for item_id, rule_id, verdict in conn.execute(query)
                if (item_id, rule_id) in wanted
            }

    def copies(self, cluster_ids: Sequence[int], limit: int = 20) -> dict[int, list[Copy]]:
        """Per story cluster, its items (the first ``limit``, oldest first)."""
        wanted = sorted(set(cluster_ids))
        if not wanted:
            return {}
        query = (
            select(items.c.cluster_id, items.c.id, items.c.outlet, items.c.title, items.c.link)
            .where(items.c.cluster_id.in_(wanted))
            .order_by(items.c.id)
        )
        found: dict[int, list[Copy]] = {}
        with self.engine.connect() as conn:
            for cluster_id, *copy in conn.execute(query):
                members = found.setdefault(cluster_id, [])
                if len(members) < limit:
                    members.append(Copy(*copy))
        return found

    def item_view(self, item_id: int) -> StoredItemView | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(items).where(items.c.id == item_id)).first()
        if row is None:
            return None
        return StoredItemView(row.id, _article(row), row.first_seen, row.cluster_id, row.origin)

    def item_matches(self, item_id: int) -> list[StoredMatch]:
        query = _match_query().order_by(None).where(matches.c.item_id == item_id)
        with self.engine.connect() as conn:
            return [_stored_match(row._mapping) for row in conn.execute(query)]

    def item_messages(self, item_id: int) -> list[MessageRow]:
        """The outbox messages that carried any of this item's matches."""
        carried = (
            select(deliveries.c.message_pk)
            .join(matches, matches.c.id == deliveries.c.match_id)
            .where(matches.c.item_id == item_id)
        )
        query = _message_rows().where(messages.c.id.in_(carried)).order_by(messages.c.id)
        with self.engine.connect() as conn:
            return [MessageRow(*row) for row in conn.execute(query)]


def _page_ids(conn: Connection, where: MatchFilter, before: int | None, limit: int) -> list[int]:
    """The page's ids, from matches alone unless the outlet is asked for: an index then yields
    them newest first (rules filtered by their index, several rules merged) without joining an
    item row to every candidate, as one query would before sorting."""
    ids = select(matches.c.id)
    if where.outlet:
        ids = ids.join(items, items.c.id == matches.c.item_id)
    ids = _filtered(ids, where).order_by(matches.c.id.desc()).limit(limit)
    if before is not None:
        ids = ids.where(matches.c.id < before)
    return list(conn.execute(ids).scalars())


DATED_STEP_MAX = 5000


def _dated_page_ids(
    conn: Connection, where: MatchFilter, before: int | None, limit: int
) -> list[int]:
    """The page's ids when the items' first sighting is bounded.

    The period's items have ids in a range (ids grow as items arrive): matches are read from
    their own table newest first within that range, in growing steps, and only the step's
    items are checked against the period and outlet (a clock set back can put an item outside
    the period inside the range). The range comes from ``ix_items_first_seen``.
    """
    # "+ 0": PostgreSQL would answer min(id) by walking the primary key until an item of the
    # period turns up (900,000 rows before the newest week of a million); this reads the
    # period's entries of ix_items_first_seen instead.
    period = select(func.min(items.c.id + 0), func.max(items.c.id + 0))
    period = _item_side(period, where, outlet=False)
    low: int | None
    high: int | None
    low, high = conn.execute(period).one()
    if low is None:
        return []
    found: list[int] = []
    cursor, step = before, limit
    unbounded = replace(where, outlet=None, since=None, until=None)
    while len(found) < limit:
        candidates = _filtered(select(matches.c.id, matches.c.item_id), unbounded)
        candidates = candidates.where(matches.c.item_id.between(low, high))
        if cursor is not None:
            candidates = candidates.where(matches.c.id < cursor)
        rows = conn.execute(candidates.order_by(matches.c.id.desc()).limit(step)).all()
        if not rows:
            break
        item_ids = {item_id for _, item_id in rows}
        kept = set(
            conn.execute(
                _item_side(select(items.c.id), where).where(items.c.id.in_(item_ids))
            ).scalars()
        )
        found += [match_id for match_id, item_id in rows if item_id in kept][: limit - len(found)]
        if len(rows) < step:
            break
        cursor, step = rows[-1][0], min(step * 4, DATED_STEP_MAX)
    return found


def _item_side(query: Select[Any], where: MatchFilter, *, outlet: bool = True) -> Select[Any]:
    if outlet and where.outlet:
        query = query.where(items.c.outlet == where.outlet)
    if where.since is not None:
        query = query.where(items.c.first_seen >= where.since)
    if where.until is not None:
        query = query.where(items.c.first_seen < where.until)
    return query


def _filtered(query: Select[Any], where: MatchFilter) -> Select[Any]:
    if where.rule_ids is not None:
        query = query.where(matches.c.rule_id.in_(list(where.rule_ids)))
    query = _item_side(query, where)
    if where.delivered is not None:
        sent = exists(
            select(deliveries.c.match_id)
            .join(messages, messages.c.id == deliveries.c.message_pk)
            .where(deliveries.c.match_id == matches.c.id, messages.c.status == "sent")
        )
        query = query.where(sent if where.delivered else ~sent)
    if where.label is not None:
        labelled = select(labels.c.verdict).where(
            labels.c.item_id == matches.c.item_id, labels.c.rule_id == matches.c.rule_id
        )
        if where.label == "unlabelled":
            query = query.where(~exists(labelled))
        else:
            query = query.where(exists(labelled.where(labels.c.verdict == where.label)))
    return query
