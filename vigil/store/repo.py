"""Store: every read and write vigil makes, as methods with plain typed inputs and outputs.

One class for callers, assembled from one module per concern: items and matches
(:mod:`.items`, :mod:`.matches`), the outbox (:mod:`.outbox`), feed health
(:mod:`.feed_health`), the workbench's queries (:mod:`.workbench`), analysts' labels
(:mod:`.feedback`), what the web page browses (:mod:`.browse`) and the word index
(:mod:`.words`).
It decides nothing: how often a failing feed is retried or a failed message
resent is the caller's policy.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError

from vigil.clock import Clock, system_clock
from vigil.errors import StoreError
from vigil.store.browse import BrowseQueries
from vigil.store.engine import make_engine, unusable_store
from vigil.store.feed_health import FeedTable
from vigil.store.feedback import Feedback
from vigil.store.items import ItemTables
from vigil.store.matches import MatchQueries
from vigil.store.migrate import migrate
from vigil.store.outbox import Outbox
from vigil.store.words import WordIndex
from vigil.store.workbench import WorkbenchQueries


class Store(
    ItemTables,
    MatchQueries,
    Outbox,
    FeedTable,
    WorkbenchQueries,
    Feedback,
    BrowseQueries,
    WordIndex,
):
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
