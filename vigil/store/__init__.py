"""The only part of vigil that speaks SQL: items, matches, feed health and the outbox."""

from vigil.store.repo import OutboxMessage, Store, StoredMatch

__all__ = ["OutboxMessage", "Store", "StoredMatch"]
