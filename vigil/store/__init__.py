"""The only part of vigil that speaks SQL: items, matches, feed health and the outbox."""

from vigil.store.engine import shown_url
from vigil.store.repo import Store
from vigil.store.rows import (
    FeedRow,
    ItemUpdate,
    MatchExport,
    MatchRef,
    MessageRow,
    NewItem,
    OutboxMessage,
    StoredItem,
    StoredMatch,
)

__all__ = [
    "FeedRow",
    "ItemUpdate",
    "MatchExport",
    "MatchRef",
    "MessageRow",
    "NewItem",
    "OutboxMessage",
    "Store",
    "StoredItem",
    "StoredMatch",
    "shown_url",
]
