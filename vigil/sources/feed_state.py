"""A feed's health as a state machine: due, backing off, or disabled, and what a fetch changes.

The store keeps one :class:`~vigil.store.FeedRow` a feed; this module is the only place that
decides what a row means (ok, failing, disabled), when a failing feed is next tried, and how
a fetch moves it from one state to another.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from vigil.sources.feeds import FeedSpec
from vigil.sources.fetch import Fetched, FetchStatus
from vigil.store import FeedRow, Store


class FeedCondition(StrEnum):
    """How a feed is doing, as `vigil feeds` and the operator's health message say it."""

    NEW = "not fetched yet"  # no row, or its URL was edited since
    OK = "ok"
    FAILING = "failing"  # backing off, retried later
    DISABLED = "disabled"  # 410 Gone: not fetched until its URL is edited


def condition(row: FeedRow | None, configured_url: str | None = None) -> FeedCondition:
    """What ``row`` says of its feed; with ``configured_url``, a row for another URL is new."""
    if row is None or (configured_url is not None and row.configured_url != configured_url):
        return FeedCondition.NEW
    if row.disabled:
        return FeedCondition.DISABLED
    return FeedCondition.FAILING if row.consecutive_failures else FeedCondition.OK


@dataclass(frozen=True, slots=True)
class FeedState:
    """Where a feed stands before a fetch: the URL to fetch, its validators, whether it is due."""

    name: str
    url: str
    etag: str | None = None
    last_modified: str | None = None
    due: bool = True
    disabled: bool = False
    next_attempt: datetime | None = None
    failures: int = 0


@dataclass(frozen=True, slots=True)
class FetchRecord:
    """One feed's fetch, to remember: health, validators, backoff."""

    name: str
    configured_url: str  # the URL in the feeds file (a new one resets the feed's state)
    status: FetchStatus
    etag: str | None = None
    last_modified: str | None = None
    moved_to: str | None = None  # a permanent redirect's final URL: fetched from now on
    error: str | None = None
    retry_after: datetime | None = None
    items: int = 0  # entries the feed held


def feed_backoff(failures: int) -> timedelta:
    """A failing feed waits 5, 10, 20 … minutes before its next try, at most a day."""
    return timedelta(minutes=min(5 * 2 ** max(failures - 1, 0), 24 * 60))


def feed_states(store: Store, specs: Sequence[FeedSpec], now: datetime) -> list[FeedState]:
    """Where each feed stands. A feed whose configured URL changed starts afresh."""
    rows = store.feed_rows([spec.name for spec in specs])
    states = []
    for spec in specs:
        row = rows.get(spec.name)
        if row is None or row.configured_url != spec.url:
            states.append(FeedState(spec.name, spec.url))
            continue
        due = not row.disabled and (row.next_attempt is None or row.next_attempt <= now)
        states.append(
            FeedState(
                spec.name,
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


def fetch_record(spec: FeedSpec, fetched: Fetched, items: int = 0) -> FetchRecord:
    """A fetch as the feed's health remembers it."""
    return FetchRecord(
        name=spec.name,
        configured_url=spec.url,
        status=fetched.status,
        etag=fetched.validators.etag,
        last_modified=fetched.validators.last_modified,
        moved_to=fetched.moved_to,
        error=fetched.error,
        retry_after=fetched.retry_after,
        items=items,
    )


def record_fetches(
    store: Store, records: Sequence[FetchRecord], now: datetime
) -> list[datetime | None]:
    """Remember how a batch of fetches went, in one transaction; for each, when a failing
    feed is next tried (None when it is not failing)."""
    retries: list[datetime | None] = [None] * len(records)

    def change(index: int, row: FeedRow | None) -> FeedRow:
        new, retries[index] = after_fetch(records[index], row, now)
        return new

    store.change_feeds([record.name for record in records], change)
    return retries


def after_fetch(
    record: FetchRecord, row: FeedRow | None, now: datetime
) -> tuple[FeedRow, datetime | None]:
    """A feed's row after a fetch, and when a failing feed is next tried."""
    if row is None or row.configured_url != record.configured_url:
        row = FeedRow(record.name, record.configured_url, record.configured_url)
    row = row._replace(last_attempt=now)
    failures = row.consecutive_failures + 1
    if record.status in {FetchStatus.OK, FetchStatus.NOT_MODIFIED}:
        new = row._replace(
            url=record.moved_to or row.url,
            etag=record.etag,
            last_modified=record.last_modified,
            last_success=now,
            consecutive_failures=0,
            last_error=None,
            next_attempt=None,
            items_seen=row.items_seen + record.items,
        )
        return new, None
    if record.status is FetchStatus.GONE:
        new = row._replace(
            disabled=True, last_error=record.error, consecutive_failures=failures, next_attempt=None
        )
        return new, None
    retry_at = record.retry_after or now + feed_backoff(failures)
    new = row._replace(
        consecutive_failures=failures, last_error=record.error, next_attempt=retry_at
    )
    return new, retry_at
