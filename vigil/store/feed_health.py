"""What the store remembers of each feed. How a fetch changes that (backoff, disabling) is
the sources' policy (:mod:`vigil.sources.feed_state`); the store reads and writes rows."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Engine, bindparam, select, update

from vigil.store.items import CHUNK
from vigil.store.rows import FeedRow
from vigil.store.schema import feeds

_COLUMNS = [name for name in FeedRow._fields if name != "name"]


class FeedTable:
    """The feeds table: one row a feed, keyed by its name in the feeds file."""

    engine: Engine

    def feed_rows(self, names: Sequence[str] | None = None) -> dict[str, FeedRow]:
        """The rows of these feeds (every feed's with None), by name."""
        query = select(feeds)
        with self.engine.connect() as conn:
            if names is None:
                return {row.name: FeedRow(**row._mapping) for row in conn.execute(query)}
            found = {}
            for start in range(0, len(names), CHUNK):
                chunk = list(names[start : start + CHUNK])
                for row in conn.execute(query.where(feeds.c.name.in_(chunk))):
                    found[row.name] = FeedRow(**row._mapping)
            return found

    def change_feeds(
        self, names: Sequence[str], change: Callable[[int, FeedRow | None], FeedRow]
    ) -> None:
        """Rewrite the rows of ``names`` in one transaction: ``change(i, row)`` is given the
        row of ``names[i]`` as it stands (after earlier changes in this call, so a feed named
        twice sees its first change) and returns the new one. One statement for the new rows
        and one for the rest, so a run where every feed answers 304 costs two statements."""
        if not names:
            return
        with self.engine.begin() as conn:
            rows: dict[str, FeedRow] = {}
            for start in range(0, len(names), CHUNK):
                chunk = list(names[start : start + CHUNK])
                for row in conn.execute(select(feeds).where(feeds.c.name.in_(chunk))):
                    rows[row.name] = FeedRow(**row._mapping)
            stored = set(rows)
            for index, name in enumerate(names):
                rows[name] = change(index, rows.get(name))
            written = [{"feed_name": name, **_values(rows[name])} for name in dict.fromkeys(names)]
            columns: dict[str, Any] = {column: bindparam(column) for column in _COLUMNS}
            inserts = [row for row in written if row["feed_name"] not in stored]
            updates = [row for row in written if row["feed_name"] in stored]
            if inserts:
                conn.execute(feeds.insert().values(name=bindparam("feed_name"), **columns), inserts)
            if updates:
                conn.execute(
                    update(feeds).where(feeds.c.name == bindparam("feed_name")).values(**columns),
                    updates,
                )


def _values(row: FeedRow) -> dict[str, object]:
    values = row._asdict()
    del values["name"]
    return values
