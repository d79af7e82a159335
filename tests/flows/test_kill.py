"""`vigil run` killed with SIGKILL at random moments, again and again.

Afterwards every match has been delivered exactly once (checked against what the SMTP server
received), no lock blocks the next run, and nothing of the killed runs is left running: not
even the temporary Prefect server a one-shot run starts for itself.

Slow (about two minutes): `make test` leaves it out, `.ci/run` runs it.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from sqlalchemy import func, select

from vigil.flows.server import free_port, start_prefect_server, stop_group
from vigil.store import Store
from vigil.store.schema import deliveries, items, matches, messages, run_locks

from tests.conftest import RULES, TEMPLATES, FeedServer
from tests.support.smtp import SmtpServer

pytestmark = pytest.mark.slow

STORIES = [
    "Turkey offers to mediate between Russia and Ukraine, round {n}",
    "Bayraktar TB2 drones delivered to Ukraine, batch {n}",
    "Kremlin rejects Erdogan's offer to mediate, statement {n}",
    "Minsk agreements: Normandy Format advisers meet again, session {n}",
]


def _write_feeds(root: Path, items_so_far: int) -> None:
    """Three feeds that grow by a few on-topic items per round."""
    for feed in range(3):
        entries = []
        for n in range(feed, items_so_far, 3):
            title = escape(STORIES[n % len(STORIES)].format(n=n))
            link = f"https://news.example/{feed}/{n}"
            entries.append(
                f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid>"
                f"<description>{title}. Ankara and Moscow commented on Ukraine.</description>"
                "</item>"
            )
        (root / f"grow-{feed}.xml").write_text(
            '<?xml version="1.0"?><rss version="2.0"><channel><title>Grow</title>'
            + "".join(entries)
            + "</channel></rss>",
            encoding="utf-8",
        )


def _processes_with(marker: str) -> list[int]:
    """Pids whose environment carries ``marker`` (our PREFECT_HOME): leftovers of a run."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker.encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _wait_gone(marker: str, timeout: float = 20) -> list[int]:
    deadline = time.monotonic() + timeout
    while (left := _processes_with(marker)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def test_runs_killed_at_random_deliver_every_match_once_and_leave_nothing_behind(
    tmp_path: Path, feed_server: FeedServer, smtp_server: SmtpServer, database_url: str
) -> None:
    rng = random.Random(20261128)
    prefect_home = tmp_path / "prefect-home-kill-loop"
    feeds_file = tmp_path / "feeds.yaml"
    feeds_file.write_text(
        "feeds:\n"
        + "".join(
            f"  - {{name: Grow {n}, url: '{feed_server.url(f'grow-{n}.xml')}'}}\n" for n in range(3)
        ),
        encoding="utf-8",
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "VIGIL_"))}
    base |= {
        "PREFECT_HOME": str(prefect_home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "VIGIL_HOME": str(tmp_path / "home"),
        "VIGIL_CONFIG": str(tmp_path / "none.toml"),
        "VIGIL_DATABASE_URL": database_url,
        "VIGIL_RULES": str(RULES),
        "VIGIL_TEMPLATES": str(TEMPLATES),
        "VIGIL_FEEDS": str(feeds_file),
        "VIGIL_ARTICLES": "",
        "VIGIL_SMTP_HOST": smtp_server.host,
        "VIGIL_SMTP_PORT": str(smtp_server.port),
        "VIGIL_SMTP_TLS": "none",
    }
    port = free_port()
    server, _ = start_prefect_server(
        base, port, tmp_path / "server.log", timeout=180, die_with_parent=True
    )
    on_server = base | {"PREFECT_API_URL": f"http://127.0.0.1:{port}/api"}
    command = [sys.executable, "-m", "vigil.cli", "run"]
    items_so_far, kills = 0, []
    try:
        # Kills against a running server, then one-shot runs that start their own server.
        rounds = [("server", 0.3, 4.0)] * 12 + [("one-shot", 2.0, 12.0)] * 3
        for mode, low, high in rounds:
            items_so_far += 4
            _write_feeds(feed_server.root, items_so_far)
            env = on_server if mode == "server" else base
            run = subprocess.Popen(
                command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                start_new_session=True,
            )  # fmt: skip
            delay = rng.uniform(low, high)
            time.sleep(delay)
            finished = run.poll() is not None
            if not finished:
                os.kill(run.pid, signal.SIGKILL)
            run.wait(timeout=30)
            kills.append((mode, round(delay, 1), "finished first" if finished else "killed"))
            # Whatever the killed run started (a one-shot run's own Prefect server) must go;
            # only the test's server and its children may stay.
            left = _leftovers(str(prefect_home), keep=server.pid)
            assert left == [], f"left running after a killed {mode} run: {left}"
        final = subprocess.run(command, env=on_server, capture_output=True, text=True, timeout=300)
        assert final.returncode == 0, final.stdout + final.stderr
    finally:
        stop_group(server)
    print("rounds:", kills)
    assert sum(outcome == "killed" for *_, outcome in kills) >= 10, kills
    assert _wait_gone(str(prefect_home)) == []

    store = Store(database_url)
    with store.engine.connect() as conn:
        stored_items = conn.execute(select(func.count()).select_from(items)).scalar_one()
        stored_matches = conn.execute(select(func.count()).select_from(matches)).scalar_one()
        claimed = conn.execute(select(func.count()).select_from(deliveries)).scalar_one()
        statuses = dict(
            conn.execute(select(messages.c.status, func.count()).group_by(messages.c.status)).all()
        )
        stored_ids = set(conn.execute(select(messages.c.message_id)).scalars())
        locks = conn.execute(select(func.count()).select_from(run_locks)).scalar_one()
    store.close()
    assert stored_items == items_so_far  # nothing lost, nothing stored twice
    assert stored_matches > 0 and claimed == stored_matches  # every match in exactly one message
    assert statuses == {"sent": len(stored_ids)}
    received = [r.message["Message-ID"] for r in smtp_server.received]
    assert set(received) == stored_ids  # everything stored was delivered, nothing else was
    print(f"{len(stored_ids)} messages, {len(received)} deliveries (repeats keep their Message-ID)")
    assert locks == 0


def _parent(pid: int) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return -1
    return int(stat.rsplit(")", 1)[1].split()[1])


def _leftovers(marker: str, keep: int, timeout: float = 20) -> list[int]:
    deadline = time.monotonic() + timeout
    while True:
        left = [p for p in _processes_with(marker) if keep not in (p, _parent(p))]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)
