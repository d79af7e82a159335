"""What the store reads and writes, as plain typed rows: callers convert their own types.

The store knows nothing of fetching, parsing, matching or clustering; a batch arrives as these
rows, already decided, and is written in bulk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, NamedTuple

from vigil.article import Article
from vigil.match import Match


@dataclass(frozen=True, slots=True)
class NewItem:
    """An article to insert (skipped when a concurrent run stored it first), with its matches."""

    article: Article
    content_hash: str
    matches: Sequence[Match]
    signature: bytes | None = None  # the story sketch, for clustering in later runs


@dataclass(frozen=True, slots=True)
class ItemUpdate:
    """A stored item's new text, and every rule it matches now (those it had are kept)."""

    item_id: int
    article: Article
    content_hash: str
    matches: Sequence[Match]


class StoredItem(NamedTuple):
    """An item the batch wrote: its id, and the matches stored for it."""

    item_id: int
    article: Article
    matches: Sequence[Match]


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


# What an analyst says of a rule on an item: its match is relevant or irrelevant, or the rule
# missed an item it should have matched.
Verdict = Literal["relevant", "irrelevant", "missed"]
VERDICTS: tuple[Verdict, ...] = ("relevant", "irrelevant", "missed")


class MatchExport(NamedTuple):
    """A match as the workbench exports it: with its item, when it was first delivered, and
    its label."""

    id: int
    item_id: int
    rule_id: str
    evidence: str
    actors: list[str]
    source: str | None
    target: str | None
    score: float
    matched_at: datetime
    title: str
    link: str | None
    outlet: str
    published: datetime | None
    first_seen: datetime
    delivered_at: datetime | None
    # The analyst's label of this match, if any (verdict None: not labelled).
    verdict: Verdict | None = None
    label_author: str | None = None
    label_note: str | None = None
    labelled_at: datetime | None = None


class Label(NamedTuple):
    """An analyst's current label of one (item, rule), with the item's title."""

    item_id: int
    rule_id: str
    verdict: Verdict
    note: str | None
    author: str | None
    labelled_at: datetime
    title: str


class LabelCounts(NamedTuple):
    """How many labels of each verdict one rule has."""

    relevant: int = 0
    irrelevant: int = 0
    missed: int = 0


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """A composed message waiting in the outbox, as a transport sends it."""

    id: int
    message_id: str
    recipients: tuple[str, ...]
    subject: str
    raw: bytes
    attempts: int
    created_at: datetime
    recipient: str = "default"
    kind: str = "digest"


class MessageRow(NamedTuple):
    """An outbox row as ``vigil digest outbox`` and the health message show it."""

    id: int
    recipient: str
    kind: str
    subject: str
    status: str  # pending | sent | failed
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    next_attempt_at: datetime
    last_error: str | None


class FeedRow(NamedTuple):
    """What the store remembers of a feed: validators, failures, backoff, whether disabled."""

    name: str
    configured_url: str  # the URL in the feeds file when this row was written
    url: str  # the URL fetched (a permanent redirect's target)
    etag: str | None = None
    last_modified: str | None = None
    last_attempt: datetime | None = None
    last_success: datetime | None = None
    consecutive_failures: int = 0
    last_error: str | None = None
    next_attempt: datetime | None = None
    disabled: bool = False
    items_seen: int = 0
