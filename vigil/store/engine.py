"""Opening a store: the engine for a URL, and one clear line when it cannot be opened."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url

from vigil.errors import StoreError


def make_engine(url: str, timeout: float = 30.0) -> Engine:
    """An engine for a store URL: SQLite with WAL and a busy timeout; postgresql:// on psycopg 3.

    ``timeout``: how long to wait for a lock another process holds (SQLite), or to connect
    (PostgreSQL), before the operation fails.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": timeout})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.drivername in {"postgresql", "postgres"}:
        # psycopg 3 is the driver of vigil's postgres extra; a bare postgresql:// means it.
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername == "postgresql+psycopg" and importlib.util.find_spec("psycopg") is None:
        raise StoreError(
            f"{shown_url(url)}: the PostgreSQL store needs its driver: "
            "pip install 'vigil[postgres]' (psycopg 3)"
        )
    connect_args: dict[str, object] = {"connect_timeout": max(1, int(timeout))}
    if "application_name" not in parsed.query:  # how operators tell vigil's sessions apart
        connect_args["application_name"] = "vigil"
    return create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets a reader (vigil feeds, a digest preview) work while a run writes.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL survives a crash of vigil (only a power cut can lose the last commits,
    # never corrupt the file), and spares an fsync per feed recorded.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def insert_ignoring_conflicts(dialect: str, table: Table) -> Any:
    """INSERT … ON CONFLICT DO NOTHING, values bound at execution: one compiled statement."""
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    raise NotImplementedError(f"vigil supports SQLite and PostgreSQL, not {dialect}")


def upsert(dialect: str, table: Table, keys: Sequence[str]) -> Any:
    """INSERT … ON CONFLICT (keys) DO UPDATE of every other column: the row given replaces
    the one stored under the same keys, atomically on both back ends."""
    if dialect == "sqlite":
        insert: Any = sqlite.insert(table)
    elif dialect == "postgresql":
        insert = postgresql.insert(table)
    else:
        raise NotImplementedError(f"vigil supports SQLite and PostgreSQL, not {dialect}")
    replaced = {c.name: insert.excluded[c.name] for c in table.columns if c.name not in keys}
    return insert.on_conflict_do_update(index_elements=list(keys), set_=replaced)


def unusable_store(url: str, exc: BaseException) -> str:
    """One line for a store that cannot be opened: which file or server, why, what to do."""
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return f"the store {shown_url(url)} cannot be used ({reason}); check VIGIL_DATABASE_URL"
    path = Path(parsed.database)
    if "not a database" in reason or "malformed" in reason:
        return (
            f"{path} is not a usable SQLite database ({reason}); it was left untouched: move it "
            "away (vigil then starts a new store) or point VIGIL_DATABASE_URL elsewhere"
        )
    return (
        f"cannot write the store {path} ({reason}): VIGIL_HOME ({path.parent}) must be a "
        "folder vigil may write to"
    )


def shown_url(url: str) -> str:
    """A store URL fit to print: the password masked."""
    return make_url(url).render_as_string(hide_password=True)
