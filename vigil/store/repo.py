"""Store: every read and write vigil makes, as methods with plain-Python inputs and outputs."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import Engine, bindparam, create_engine, delete, event, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError

from vigil.article import Article
from vigil.clock import Clock, system_clock
from vigil.errors import StoreError
from vigil.rules.matcher import Match
from vigil.store.migrate import migrate
from vigil.store.rows import FeedState, FetchOutcome, FetchRecord, ItemUpdate, NewItem, StoredItem
from vigil.store.schema import (
    deliveries,
    feeds,
    items,
    matches,
    messages,
    recipients,
    schedule_slots,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredMatch(Match):
    """A stored match joined with its item: everything a digest shows about it."""

    id: int
    item_id: int
    title: str
    outlet: str
    link: str | None
    published: datetime | None
    date_missing: bool
    cluster_id: int | None = None
    item_tags: tuple[str, ...] = ()
    matched_at: datetime | None = None
    origin: str | None = None  # where an item without a link came from


class MatchRef(NamedTuple):
    """What routing and grouping need of a match; the full row is loaded only for the stories
    a message shows (a window of 50,000 matches must not mean 50,000 full rows in memory)."""

    id: int
    rule_id: str
    item_id: int
    cluster_id: int | None
    score: float
    published: datetime | None
    item_tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    id: int
    message_id: str
    recipients: tuple[str, ...]
    subject: str
    raw: bytes
    attempts: int
    created_at: datetime
    recipient: str = "default"
    kind: str = "digest"


class Store:
    """Open with a SQLAlchemy URL; the schema is created or upgraded (alembic) on opening."""

    def __init__(self, url: str, *, timeout: float = 30.0, clock: Clock = system_clock) -> None:
        self.url = url
        self.clock = clock
        try:
            self.engine = make_engine(url, timeout)
            migrate(self.engine)
        except (OSError, DBAPIError) as exc:
            raise StoreError(unusable_store(url, exc)) from None

    def close(self) -> None:
        self.engine.dispose()

    # -- items and matches ---------------------------------------------------------------

    def stored_hashes(self, canonical_ids: Sequence[str]) -> dict[str, tuple[int, str | None]]:
        """(item id, content hash) of the stored items among ``canonical_ids``."""
        found: dict[str, tuple[int, str | None]] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(canonical_ids), 500):
                chunk = list(canonical_ids[start : start + 500])
                query = select(items.c.canonical_id, items.c.id, items.c.content_hash).where(
                    items.c.canonical_id.in_(chunk)
                )
                for row in conn.execute(query):
                    found[row.canonical_id] = (row.id, row.content_hash)
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
            insert_match = _insert_ignoring_conflicts(conn.dialect.name, matches)
            changed: list[StoredItem] = []
            for update_ in updates:
                added = self._update_item(conn, insert_match, update_, now)
                if added is not None:
                    changed.append(StoredItem(update_.item_id, update_.article, added))
            rows = [_item_row(item, now) for item in new]
            inserted = _insert_ignoring_conflicts(conn.dialect.name, items).returning(
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

    @staticmethod
    def _update_item(
        conn: Any, insert_match: Any, update_: ItemUpdate, now: datetime
    ) -> list[Match] | None:
        """Record a stored item's new text; add the matches it did not have. None when the
        item only gained its content hash (stored before hashes were kept)."""
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
            )
        )
        if previous is None:
            return None
        had = set(
            conn.execute(select(matches.c.rule_id).where(matches.c.item_id == item_id)).scalars()
        )
        added = [match for match in update_.matches if match.rule_id not in had]
        if added:
            conn.execute(insert_match, [_match_row(item_id, m, now) for m in added])
        return added

    # -- the analyst's workbench ----------------------------------------------------------

    def stream_matches(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        rule_ids: Sequence[str] | None = None,
        batch: int = 1000,
    ) -> Iterator[Any]:
        """Every match with its item and when it was first delivered, oldest first.

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
        query = (
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
            )
            .join(items, items.c.id == matches.c.item_id)
            .outerjoin(delivered, delivered.c.match_id == matches.c.id)
            .order_by(matches.c.id)
        )
        query = _in_window(query, since, until)
        if rule_ids:
            query = query.where(matches.c.rule_id.in_(list(rule_ids)))
        with self.engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=batch).execute(query)
            yield from result

    def count_matches(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        rule_ids: Sequence[str] | None = None,
    ) -> int:
        query = select(func.count()).select_from(matches.join(items))
        query = _in_window(query, since, until)
        if rule_ids:
            query = query.where(matches.c.rule_id.in_(list(rule_ids)))
        with self.engine.connect() as conn:
            return conn.execute(query).scalar_one()

    def rule_activity(
        self, since: datetime | None = None
    ) -> tuple[int, dict[str, tuple[int, int, datetime | None]], dict[str, dict[str, int]]]:
        """For ``vigil rules stats``: items in the window; per rule (hits, items hit, last
        hit); per rule the hits per day (day as YYYY-MM-DD of the item's first sighting)."""
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
            total = conn.execute(window).scalar_one()
            rules = {
                rule: (hits, hit_items, last)
                for rule, hits, hit_items, last in conn.execute(per_rule)
            }
            days: dict[str, dict[str, int]] = {}
            for rule, when, hits in conn.execute(per_day):
                days.setdefault(rule, {})[str(when)[:10]] = hits
        return total, rules, days

    def first_item_seen(self) -> datetime | None:
        with self.engine.connect() as conn:
            return conn.execute(select(func.min(items.c.first_seen))).scalar()

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

    def titles(self, item_ids: Sequence[int]) -> dict[int, str]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(items.c.id, items.c.title).where(items.c.id.in_(list(item_ids)))
            )
            return {item_id: title for item_id, title in rows}

    # -- backfills -----------------------------------------------------------------------

    def item_ids_since(self, since: datetime, until: datetime | None = None) -> list[int]:
        """Ids of items first seen in [since, until), oldest first."""
        query = select(items.c.id).where(items.c.first_seen >= since).order_by(items.c.id)
        if until is not None:
            query = query.where(items.c.first_seen < until)
        with self.engine.connect() as conn:
            return list(conn.execute(query).scalars())

    def articles(self, item_ids: Sequence[int]) -> list[tuple[int, Article]]:
        """Stored items as Articles again, for re-matching."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(items).where(items.c.id.in_(list(item_ids))))
            return [(row.id, _article(row)) for row in rows]

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
                insert = _insert_ignoring_conflicts(conn.dialect.name, matches)
                conn.execute(insert, rows)
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

    def known(self, canonical_ids: Iterable[str]) -> set[str]:
        """Which of these canonical ids are stored already (to skip work on seen articles)."""
        wanted = list(dict.fromkeys(canonical_ids))
        found: set[str] = set()
        with self.engine.connect() as conn:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                query = select(items.c.canonical_id).where(items.c.canonical_id.in_(chunk))
                found.update(conn.execute(query).scalars())
        return found

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
            for start in range(0, len(wanted), 500):
                query = _match_query().where(matches.c.id.in_(wanted[start : start + 500]))
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
        self, query: Any, rule_ids: Sequence[str] | None, since: datetime | None
    ) -> list[StoredMatch]:
        if rule_ids is not None:
            if not rule_ids:
                return []
            query = query.where(matches.c.rule_id.in_(list(rule_ids)))
        if since is not None:
            query = query.where(matches.c.matched_at >= since)
        with self.engine.connect() as conn:
            return [_stored_match(row._mapping) for row in conn.execute(query)]

    def article(self, item_id: int) -> Article | None:
        """A stored item as an Article again (for ``vigil rules test`` and backtests)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(items).where(items.c.id == item_id)).first()
        return None if row is None else _article(row)

    # -- outbox ------------------------------------------------------------------------

    def register_recipient(self, recipient: str, now: datetime | None = None) -> datetime:
        """When the store first saw ``recipient`` (recorded now if never)."""
        now = now or self.clock()
        with self.engine.begin() as conn:
            insert = _insert_ignoring_conflicts(self.engine.dialect.name, recipients)
            conn.execute(insert.values(id=recipient, first_seen=now))
            return conn.execute(
                select(recipients.c.first_seen).where(recipients.c.id == recipient)
            ).scalar_one()

    def first_seen(self, recipient: str) -> datetime | None:
        with self.engine.connect() as conn:
            return conn.execute(
                select(recipients.c.first_seen).where(recipients.c.id == recipient)
            ).scalar()

    def recent_messages(self, limit: int = 50) -> list[Any]:
        """The newest outbox rows, for ``vigil digest outbox``."""
        query = (
            select(
                messages.c.id,
                messages.c.recipient,
                messages.c.kind,
                messages.c.subject,
                messages.c.status,
                messages.c.attempts,
                messages.c.created_at,
                messages.c.sent_at,
                messages.c.next_attempt_at,
                messages.c.last_error,
            )
            .order_by(messages.c.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return list(conn.execute(query))

    def slot_handled(self, recipient: str, slot: datetime) -> bool:
        with self.engine.connect() as conn:
            found = conn.execute(
                select(schedule_slots.c.slot).where(
                    schedule_slots.c.recipient == recipient, schedule_slots.c.slot == slot
                )
            ).first()
        return found is not None

    def mark_slot(self, recipient: str, slot: datetime) -> bool:
        """Record a slot as handled with nothing to send; False when it already was."""
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    schedule_slots.insert().values(
                        recipient=recipient, slot=slot, handled_at=self.clock()
                    )
                )
            return True
        except IntegrityError:
            return False

    def last_sent(self, recipient: str) -> datetime | None:
        """When the latest message to ``recipient`` was composed: a heartbeat's "since"."""
        query = select(func.max(messages.c.created_at)).where(messages.c.recipient == recipient)
        with self.engine.connect() as conn:
            # max() keeps the column's type, so the value comes back as an aware datetime.
            return conn.execute(query).scalar()

    def enqueue_message(
        self,
        *,
        message_id: str,
        recipients: Sequence[str],
        subject: str,
        raw: bytes,
        match_ids: Sequence[int],
        created_at: datetime,
        recipient: str = "default",
        kind: str = "digest",
        slot: datetime | None = None,
    ) -> int | None:
        """Store a composed message and claim its matches for ``recipient``, in one transaction.

        With ``slot``, the scheduled slot is recorded in the same transaction. Returns None,
        storing nothing, when another run claimed any of the matches, or the slot, first.
        """
        try:
            with self.engine.begin() as conn:
                pk = conn.execute(
                    messages.insert()
                    .values(
                        message_id=message_id,
                        recipient=recipient,
                        kind=kind,
                        recipients=list(recipients),
                        subject=subject,
                        raw=raw,
                        status="pending",
                        attempts=0,
                        created_at=created_at,
                        next_attempt_at=created_at,
                    )
                    .returning(messages.c.id)
                ).scalar_one()
                for start in range(0, len(match_ids), 5000):
                    conn.execute(
                        deliveries.insert(),
                        [
                            {"message_pk": pk, "match_id": m, "recipient": recipient}
                            for m in match_ids[start : start + 5000]
                        ],
                    )
                if slot is not None:
                    conn.execute(
                        schedule_slots.insert().values(
                            recipient=recipient, slot=slot, message_pk=pk, handled_at=created_at
                        )
                    )
                return pk
        except IntegrityError:
            return None

    def due_messages(self, now: datetime | None = None) -> list[OutboxMessage]:
        """Pending messages whose next attempt is due, oldest first."""
        query = (
            select(messages)
            .where(
                messages.c.status == "pending", messages.c.next_attempt_at <= (now or self.clock())
            )
            .order_by(messages.c.id)
        )
        with self.engine.connect() as conn:
            return [
                OutboxMessage(
                    id=row.id,
                    message_id=row.message_id,
                    recipients=tuple(row.recipients),
                    subject=row.subject,
                    raw=row.raw,
                    attempts=row.attempts,
                    created_at=row.created_at,
                    recipient=row.recipient,
                    kind=row.kind,
                )
                for row in conn.execute(query)
            ]

    def mark_sent(self, pk: int, destination: str, *, note: str | None = None) -> None:
        """Record acceptance; ``note`` keeps what the server refused of a partly accepted one."""
        with self.engine.begin() as conn:
            conn.execute(
                update(messages)
                .where(messages.c.id == pk)
                .values(
                    status="sent",
                    sent_at=self.clock(),
                    destination=destination,
                    attempts=messages.c.attempts + 1,
                    last_error=note[:2000] if note else None,
                )
            )

    def mark_failed(self, pk: int, error: str, *, permanent: bool) -> datetime | None:
        """Record a failed attempt; a temporary failure is retried later with backoff.

        Returns when the next attempt is due, or None for a permanent failure.
        """
        with self.engine.begin() as conn:
            attempts = conn.execute(
                select(messages.c.attempts).where(messages.c.id == pk)
            ).scalar_one()
            retry_at = None if permanent else self.clock() + retry_delay(attempts + 1)
            conn.execute(
                update(messages)
                .where(messages.c.id == pk)
                .values(
                    status="failed" if permanent else "pending",
                    attempts=attempts + 1,
                    last_error=error[:2000],
                    next_attempt_at=retry_at or self.clock(),
                )
            )
        return retry_at

    def release_message(self, pk: int) -> int:
        """Give the matches a refused message carried back to its reader's next message."""
        with self.engine.begin() as conn:
            return conn.execute(delete(deliveries).where(deliveries.c.message_pk == pk)).rowcount

    def message_counts(self) -> dict[str, int]:
        query = select(messages.c.status, func.count()).group_by(messages.c.status)
        with self.engine.connect() as conn:
            return {status: count for status, count in conn.execute(query)}

    # -- feed health ---------------------------------------------------------------------

    def feed_states(
        self, feeds_wanted: Sequence[tuple[str, str]], now: datetime | None = None
    ) -> list[FeedState]:
        """Where each (name, configured URL) feed stands: the URL to fetch, validators, and
        whether it is due. A feed whose configured URL changed starts afresh."""
        now = now or self.clock()
        with self.engine.connect() as conn:
            rows = {row.name: row for row in conn.execute(select(feeds))}
        states = []
        for name, configured_url in feeds_wanted:
            row = rows.get(name)
            if row is None or row.configured_url != configured_url:
                states.append(FeedState(name, configured_url))
                continue
            due = not row.disabled and (row.next_attempt is None or row.next_attempt <= now)
            states.append(
                FeedState(
                    name,
                    row.url,
                    row.etag,
                    row.last_modified,
                    due=due,
                    disabled=row.disabled,
                    next_attempt=row.next_attempt,
                    failures=row.consecutive_failures,
                )
            )
        return states

    def record_fetches(self, records: Sequence[FetchRecord]) -> list[datetime | None]:
        """Remember how a batch of fetches went; for each, when a failing feed is next tried.

        One transaction, one read of their rows and one statement per kind of change, so a
        run where every feed answers 304 writes its health in one statement per batch.
        """
        if not records:
            return []
        names = [record.name for record in records]
        if len(set(names)) < len(names):  # one feed twice: each fetch sees the one before
            return [retry for record in records for retry in self.record_fetches([record])]
        now = self.clock()
        retries: list[datetime | None] = []
        updates: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        inserts: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        with self.engine.begin() as conn:
            rows = {}
            for start in range(0, len(names), 500):
                chunk = names[start : start + 500]
                for row in conn.execute(select(feeds).where(feeds.c.name.in_(chunk))):
                    rows[row.name] = row
            for record in records:
                row = rows.get(record.name)
                values, retry_at = _feed_health(record, row, now)
                retries.append(retry_at)
                target = inserts if row is None else updates
                target.setdefault(tuple(sorted(values)), []).append(
                    {"feed_name": record.name, **values}
                )
            for keys, batch in inserts.items():
                columns = {key: bindparam(key) for key in keys}
                conn.execute(feeds.insert().values(name=bindparam("feed_name"), **columns), batch)
            for keys, batch in updates.items():
                columns = {key: bindparam(key) for key in keys}
                conn.execute(
                    update(feeds).where(feeds.c.name == bindparam("feed_name")).values(**columns),
                    batch,
                )
        return retries

    def feeds_not_read(self, names: Sequence[str]) -> list[Any]:
        """The feeds of ``names`` whose last fetch failed, or that are disabled: each row with
        its name, last success, failures in a row, last error and whether it is disabled."""
        if not names:
            return []
        query = (
            select(
                feeds.c.name,
                feeds.c.last_success,
                feeds.c.consecutive_failures,
                feeds.c.last_error,
                feeds.c.disabled,
            )
            .where(
                feeds.c.name.in_(list(names)),
                (feeds.c.consecutive_failures > 0) | feeds.c.disabled,
            )
            .order_by(feeds.c.name)
        )
        with self.engine.connect() as conn:
            return list(conn.execute(query))

    def feed_health(self) -> list[Any]:
        """Every feed's row, worst first: for `vigil feeds`."""
        query = select(feeds).order_by(
            feeds.c.disabled.desc(), feeds.c.consecutive_failures.desc(), feeds.c.name
        )
        with self.engine.connect() as conn:
            return list(conn.execute(query))

    def counts(self) -> dict[str, int]:
        """Row counts of the main tables, for summaries and health output."""
        with self.engine.connect() as conn:
            return {
                table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
                for table in (items, matches, messages, feeds)
            }


def _feed_health(
    record: FetchRecord, row: Any, now: datetime
) -> tuple[dict[str, Any], datetime | None]:
    """The feeds row's new values after a fetch, and when a failing feed is next tried."""
    fresh = row is None or row.configured_url != record.configured_url
    failures = 0 if fresh else row.consecutive_failures
    values: dict[str, Any] = {
        "configured_url": record.configured_url,
        "url": record.configured_url if fresh else row.url,
        "last_attempt": now,
    }
    if fresh:
        values |= {"etag": None, "last_modified": None, "disabled": False, "items_seen": 0}
    retry_at = None
    if record.outcome is FetchOutcome.SUCCEEDED:
        values |= {
            "last_success": now,
            "consecutive_failures": 0,
            "last_error": None,
            "next_attempt": None,
            "etag": record.etag,
            "last_modified": record.last_modified,
        }
        if record.moved_to:
            values["url"] = record.moved_to
        values["items_seen"] = (0 if fresh else row.items_seen) + record.items
    elif record.outcome is FetchOutcome.GONE:
        values |= {
            "disabled": True,
            "last_error": record.error,
            "consecutive_failures": failures + 1,
            "next_attempt": None,
        }
    else:
        retry_at = record.retry_after or now + feed_backoff(failures + 1)
        values |= {
            "consecutive_failures": failures + 1,
            "last_error": record.error,
            "next_attempt": retry_at,
        }
    return values, retry_at


def feed_backoff(failures: int) -> timedelta:
    """A failing feed waits 5, 10, 20 … minutes before its next try, at most a day."""
    return timedelta(minutes=min(5 * 2 ** max(failures - 1, 0), 24 * 60))


def retry_delay(attempt: int) -> timedelta:
    """Exponential backoff for delivery: 1, 2, 4 … minutes, at most six hours."""
    return timedelta(minutes=min(2 ** max(attempt - 1, 0), 360))


def unusable_store(url: str, exc: BaseException) -> str:
    """One line for a store that cannot be opened: which file or server, why, what to do."""
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return f"the store {shown_url(url)} cannot be used ({reason}); check VIGIL_DATABASE_URL"
    path = Path(parsed.database)
    if "not a database" in reason or "malformed" in reason:
        return (
            f"{path} is not a usable SQLite database ({reason}); it was left untouched: move it "
            "away (vigil then starts a new store) or point VIGIL_DATABASE_URL elsewhere"
        )
    return (
        f"cannot write the store {path} ({reason}): VIGIL_HOME ({path.parent}) must be a "
        "folder vigil may write to"
    )


def shown_url(url: str) -> str:
    """A store URL fit to print: the password masked."""
    return make_url(url).render_as_string(hide_password=True)


def make_engine(url: str, timeout: float = 30.0) -> Engine:
    """An engine for a store URL: SQLite with WAL and a busy timeout; postgresql:// on psycopg 3.

    ``timeout``: how long to wait for a lock another process holds (SQLite), or to connect
    (PostgreSQL), before the operation fails.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": timeout})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.drivername in {"postgresql", "postgres"}:
        # psycopg 3 is the driver vigil ships with; a bare postgresql:// means it.
        parsed = parsed.set(drivername="postgresql+psycopg")
    connect_args: dict[str, object] = {"connect_timeout": max(1, int(timeout))}
    if "application_name" not in parsed.query:  # how operators tell vigil's sessions apart
        connect_args["application_name"] = "vigil"
    return create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets a reader (vigil feeds, a digest preview) work while a run writes.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL survives a crash of vigil (only a power cut can lose the last commits,
    # never corrupt the file), and spares an fsync per feed recorded.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _insert_ignoring_conflicts(dialect: str, table: Any) -> Any:
    """INSERT … ON CONFLICT DO NOTHING, values bound at execution: one compiled statement."""
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    raise NotImplementedError(f"vigil supports SQLite and PostgreSQL, not {dialect}")


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
    }


def _match_row(item_id: int, match: Match, when: datetime) -> dict[str, Any]:
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


def _in_window(query: Any, since: datetime | None, until: datetime | None) -> Any:
    if since is not None:
        query = query.where(items.c.first_seen >= since)
    if until is not None:
        query = query.where(items.c.first_seen < until)
    return query


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


def _match_query() -> Any:
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
