"""The only part of vigil that speaks SQL: items, matches, feed health, the outbox and analysts'
labels."""

from vigil.store.browse import Copy, MatchFilter, StoredItemView
from vigil.store.engine import shown_url
from vigil.store.repo import Store
from vigil.store.rows import (
    VERDICTS,
    FeedRow,
    ItemUpdate,
    Label,
    LabelCounts,
    MatchExport,
    MatchRef,
    MessageRow,
    NewItem,
    OutboxMessage,
    StoredItem,
    StoredMatch,
    Verdict,
)

__all__ = [
    "VERDICTS",
    "Copy",
    "FeedRow",
    "ItemUpdate",
    "Label",
    "LabelCounts",
    "MatchExport",
    "MatchFilter",
    "MatchRef",
    "MessageRow",
    "NewItem",
    "OutboxMessage",
    "Store",
    "StoredItem",
    "StoredItemView",
    "StoredMatch",
    "Verdict",
    "shown_url",
]
