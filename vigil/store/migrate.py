"""Bring a store's schema up to date with alembic, on SQLite and PostgreSQL alike.

Every ``Store`` calls :func:`migrate` when it opens. It costs one query when the schema is
current. When it is not, the upgrade runs in one transaction under a lock, so two runs that
start at once on a new database do not both try to create it: PostgreSQL takes an advisory
lock, SQLite a write lock (``BEGIN IMMEDIATE``) before reading the version.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_LOCK_KEY = 0x76696769  # "vigi": the advisory lock id of vigil's migrations


@cache
def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@cache
def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None, "the store has no migrations"
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: Engine) -> None:
    """Upgrade ``engine``'s database to the newest schema (a no-op when it is there)."""
    if current_revision(engine) == head_revision():
        return
    locked = _locking_engine(engine)
    try:
        with locked.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
            config = _config()
            config.attributes["connection"] = conn
            try:
                command.upgrade(config, "head")
            finally:
                config.attributes.pop("connection", None)
    finally:
        if locked is not engine:
            locked.dispose()


def _locking_engine(engine: Engine) -> Engine:
    """For SQLite, an engine whose transactions start with BEGIN IMMEDIATE (a write lock)."""
    if engine.dialect.name != "sqlite" or engine.url.database in {None, "", ":memory:"}:
        return engine
    locked = create_engine(engine.url, connect_args={"timeout": 60})

    @event.listens_for(locked, "connect")
    def _manual_transactions(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy emit BEGIN itself

    @event.listens_for(locked, "begin")
    def _begin_immediate(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return locked
