"""The store fails under a run: SQLite locked by another process, PostgreSQL sessions killed
in the middle of a transaction. The run fails cleanly; the next one delivers everything once."""

import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.exc import OperationalError

from vigil.monitor import Monitor
from vigil.pipeline import run_once
from vigil.settings import Settings
from vigil.store.schema import deliveries, matches

from tests.conftest import changed, maildir_messages

HOLD_LOCK = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.read()  # until the test closes our stdin
"""


def _everything_delivered_once(monitor: Monitor, outbox: Path) -> None:
    with monitor.store.engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(matches)).scalar_one()
        claimed = conn.execute(select(func.count()).select_from(deliveries)).scalar_one()
    assert stored > 0 and claimed == stored
    assert monitor.store.message_counts() == {"sent": 1}
    assert len(maildir_messages(outbox)) == 1


def test_sqlite_locked_by_another_process_fails_the_run_then_the_next_run_delivers(
    settings: Settings, tmp_path: Path
) -> None:
    database = tmp_path / "locked.db"
    local = changed(settings, database_url=f"sqlite:///{database}", database_timeout=1)
    monitor = Monitor(local)  # the schema exists before the lock is taken
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(database)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(OperationalError, match="database is locked"):
            run_once(monitor)
        assert maildir_messages(local.outbox) == []
    finally:
        holder.communicate("")  # releases the lock
    summary = run_once(monitor)
    assert summary.ok and summary.new_items == 19
    _everything_delivered_once(monitor, local.outbox)


@pytest.fixture
def postgres_settings(settings: Settings) -> tuple[Settings, str]:
    """This test needs PostgreSQL whichever back end the suite runs on: a schema of its own."""
    from tests.conftest import POSTGRES_URL

    base = POSTGRES_URL or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    name = f"vigil-fault-{uuid.uuid4().hex[:8]}"
    schema = name.replace("-", "_")
    admin = create_engine(base.replace("postgresql://", "postgresql+psycopg://"))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = (
        f"{base.replace('postgresql://', 'postgresql+psycopg://')}"
        f"?options=-csearch_path%3D{schema}&application_name={name}"
    )
    yield changed(settings, database_url=url), name
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def test_postgres_sessions_killed_mid_transaction_fail_the_run_cleanly(
    postgres_settings: tuple[Settings, str],
) -> None:
    settings, application = postgres_settings
    monitor = Monitor(settings)
    killer = create_engine(monitor.store.engine.url.set(query={}))
    killed: list[int] = []

    def kill_mid_transaction(conn, cursor, statement, parameters, context, executemany):
        # Right after the first item is written, inside the ingest transaction (matching now
        # runs before it): every vigil session is terminated, this one included.
        if killed or not statement.lstrip().upper().startswith("INSERT INTO ITEMS"):
            return
        with killer.begin() as other:
            killed.extend(
                other.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE application_name = :name"
                    ),
                    {"name": application},
                ).scalars()
            )

    event.listen(monitor.store.engine, "after_cursor_execute", kill_mid_transaction)
    with pytest.raises(OperationalError):
        run_once(monitor)
    assert killed and all(killed)
    assert maildir_messages(settings.outbox) == []
    event.remove(monitor.store.engine, "after_cursor_execute", kill_mid_transaction)
    # As after a server restart: the pool reconnects, nothing half-written is left behind.
    summary = run_once(monitor)
    assert summary.ok and summary.new_items == 19, summary.lines()
    _everything_delivered_once(monitor, settings.outbox)
    killer.dispose()
