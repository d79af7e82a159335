"""What the store reads and writes, as plain typed rows: callers convert their own types.

The store knows nothing of fetching, parsing, matching or clustering; a batch arrives as these
rows, already decided, and is written in bulk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from vigil.article import Article
from vigil.rules.matcher import Match


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


class FetchOutcome(StrEnum):
    """How a fetch went, as far as a feed's health is concerned."""

    SUCCEEDED = "succeeded"  # new content or 304
    FAILED = "failed"  # back off, retry later
    GONE = "gone"  # 410: disabled until the URL is edited


@dataclass(frozen=True, slots=True)
class FetchRecord:
    """One feed's fetch, to remember: health, validators, backoff."""

    name: str
    configured_url: str  # the URL in the feeds file (a new one resets the feed's state)
    outcome: FetchOutcome
    etag: str | None = None
    last_modified: str | None = None
    moved_to: str | None = None  # a permanent redirect's final URL: fetched from now on
    error: str | None = None
    retry_after: datetime | None = None
    items: int = 0  # entries the feed held


@dataclass(frozen=True, slots=True)
class FeedState:
    """Where a feed stands: the URL to fetch, its validators, and whether it is due."""

    name: str
    url: str
    etag: str | None = None
    last_modified: str | None = None
    due: bool = True
    disabled: bool = False
    next_attempt: datetime | None = None
    failures: int = 0
