"""Overlapping runs: the second one skips instead of ingesting and sending a second time."""

import multiprocessing
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from vigil.monitor import Monitor
from vigil.pipeline import run_once
from vigil.settings import Settings
from vigil.store import Store
from vigil.store.locks import RunLock

from tests.conftest import FeedServer, changed, maildir_messages, write_feeds_file


def test_a_held_lock_blocks_a_second_holder_until_released(database_url: str) -> None:
    store = Store(database_url)
    first, second = RunLock(store.engine, "ingest"), RunLock(store.engine, "ingest")
    assert first.acquire() and not second.acquire()
    assert second.blocked_by is not None and second.blocked_by.holder == first.holder
    assert RunLock(store.engine, "digests").acquire()  # other names are independent
    first.release()
    assert second.acquire()
    second.release()
    store.close()


def test_an_expired_lock_is_taken_over(database_url: str) -> None:
    store = Store(database_url)
    stale = RunLock(store.engine, "ingest", ttl=timedelta(seconds=-1))
    assert stale.acquire()
    fresh = RunLock(store.engine, "ingest")
    assert fresh.acquire() and fresh.current().holder == fresh.holder
    stale.release()  # a late release by the old holder must not free the new one's lock
    assert fresh.current() is not None and fresh.current().holder == fresh.holder
    store.close()


def test_the_lock_of_a_killed_process_is_taken_over_at_once(database_url: str) -> None:
    script = (
        "import sys; from vigil.store import Store; from vigil.store.locks import RunLock;"
        "lock = RunLock(Store(sys.argv[1]).engine, 'ingest'); assert lock.acquire();"
        "print(lock.holder)"
    )
    # The child takes the lock and exits without releasing it (as a SIGKILL would leave it).
    done = subprocess.run(
        [sys.executable, "-c", script, database_url], capture_output=True, text=True, check=True
    )
    store = Store(database_url)
    lock = RunLock(store.engine, "ingest")
    assert lock.current().holder == done.stdout.strip()
    assert lock.acquire()
    store.close()


def _run(settings_json: str) -> list[str]:
    monitor = Monitor(Settings.model_validate_json(settings_json))
    try:
        return run_once(monitor).lines()
    finally:
        monitor.close()


def test_two_runs_started_at_once_ingest_and_send_once(
    settings: Settings, slow_feed_server: FeedServer, tmp_path: Path
) -> None:
    feeds = write_feeds_file(
        tmp_path / "feeds.yaml",
        [("Meduza", slow_feed_server.url("meduza.rss.xml"))],
    )
    both = changed(settings, feeds=feeds)
    Store(both.store_url).close()  # the schema exists before the race starts
    context = multiprocessing.get_context("spawn")
    with context.Pool(2) as pool:
        results = pool.map(_run, [both.model_dump_json()] * 2)
    skipped = [lines for lines in results if lines[0].startswith("skipped: another run")]
    ran = [lines for lines in results if not lines[0].startswith("skipped")]
    assert len(skipped) == 1 and len(ran) == 1, results
    assert f"{os.uname().nodename}:" in skipped[0][0]
    assert len(maildir_messages(both.outbox)) == 1
