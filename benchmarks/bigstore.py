"""A large synthetic store, built fast: what the benchmarks over a big store share.

Imported by the scripts beside it (run as ``python benchmarks/NAME.py``); not a benchmark.
Rows are plain dicts written with one executemany through SQLAlchemy Core into vigil's schema,
one transaction per 50,000 rows, with explicit ids (so that matches can name their items before
the database hands ids out); SQLite skips its fsyncs while it is filled. A million items take
a minute or two, not the hours the ingest path would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, insert, select, text

from vigil.store import Store
from vigil.store.schema import messages

CHUNK = 50_000


def insert_rows(
    store: Store, table: Table, rows: Iterable[dict[str, Any]], chunk: int = CHUNK
) -> int:
    """Write ``rows`` into ``table``, ``chunk`` to a transaction; how many were written."""
    written = 0
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == chunk:
            written += _write(store, table, batch)
            batch = []
    if batch:
        written += _write(store, table, batch)
    return written


def _write(store: Store, table: Table, batch: list[dict[str, Any]]) -> int:
    with store.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA synchronous=OFF")
        conn.execute(insert(table), batch)
    return len(batch)


def deliver(
    store: Store,
    *,
    upto: int,
    per_message: int,
    sent_at: Callable[[int], datetime],
    recipient: str = "default",
) -> int:
    """Mark matches 1..``upto`` as delivered to ``recipient``, ``per_message`` of them in each
    sent digest (message ``k`` sent at ``sent_at(k)``); how many messages that made."""
    count = -(-upto // per_message) if upto > 0 else 0
    with store.engine.begin() as conn:
        first = conn.execute(select(func.coalesce(func.max(messages.c.id), 0))).scalar_one() + 1
    insert_rows(
        store,
        messages,
        (
            {"id": first + k, "message_id": f"<bench-{first + k}@vigil.invalid>",
             "recipient": recipient, "kind": "digest", "recipients": [f"{recipient}@localhost"],
             "subject": f"digest {k + 1}", "raw": b"", "status": "sent", "attempts": 1,
             "created_at": sent_at(k), "next_attempt_at": sent_at(k), "sent_at": sent_at(k)}
            for k in range(count)
        ),
    )  # fmt: skip
    with store.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO deliveries (message_pk, match_id, recipient) "
                "SELECT :first + (id - 1) / :per, id, :recipient FROM matches WHERE id <= :upto"
            ),
            {"first": first, "per": per_message, "recipient": recipient, "upto": upto},
        )
    return count


def finish(store: Store, tables: Iterable[str] = ("items", "matches", "messages")) -> None:
    """After explicit ids on PostgreSQL: the sequences start past them (a later insert by vigil
    gets a fresh id), and the planner's statistics are fresh, as autovacuum would soon make
    them. SQLite is left as vigil leaves it: vigil never runs ANALYZE there."""
    if store.engine.dialect.name != "postgresql":
        return
    with store.engine.begin() as conn:
        for name in tables:
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {name}), false)"
            )
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")
