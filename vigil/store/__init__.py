"""The only part of vigil that speaks SQL: items, matches, feed health, the outbox and analysts'
labels."""

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
    "FeedRow",
    "ItemUpdate",
    "Label",
    "LabelCounts",
    "MatchExport",
    "MatchRef",
    "MessageRow",
    "NewItem",
    "OutboxMessage",
    "Store",
    "StoredItem",
    "StoredMatch",
    "Verdict",
    "shown_url",
]
