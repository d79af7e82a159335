"""`vigil serve` as its users run it: on short schedules, for minutes, killed and restarted.

Slow (each test serves for a minute or two): `make test-slow` and `.ci/run` run them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from vigil.flows.server import free_port

from tests.conftest import RULES, TEMPLATES, maildir_messages
from tests.support.loopback_http import Answer, LoopbackHTTP, Request

pytestmark = pytest.mark.slow

INTERVAL_MINUTES = 0.25  # ingest every 15 s
STORY = "Turkey offers to mediate between Russia and Ukraine, round {n}"


def _words(n: int) -> str:
    """Words of this item alone, so that no two items look like copies of one story."""
    return " ".join(f"w{n}x{k}" for k in range(30)) + "."


@dataclass
class GrowingFeed:
    """An RSS feed on loopback whose items the test adds; each answer can be held back."""

    items: int = 2
    delay: float = 0.0
    requested: threading.Event = field(default_factory=threading.Event)
    url: str = ""

    def body(self) -> bytes:
        entries = "".join(
            f"<item><title>{escape(STORY.format(n=n))}</title>"
            f"<link>https://news.example/{n}</link><guid>https://news.example/{n}</guid>"
            f"<description>{escape(STORY.format(n=n))}. {_words(n)}</description>"
            "</item>"
            for n in range(self.items)
        )
        return (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>Grow</title>'
            f"{entries}</channel></rss>"
        ).encode()


@pytest.fixture
def growing_feed(loopback_http: Callable[..., LoopbackHTTP]) -> GrowingFeed:
    feed = GrowingFeed()

    def answer(request: Request) -> Answer:
        feed.requested.set()
        time.sleep(feed.delay)
        return Answer(feed.body(), headers={"Content-Type": "application/rss+xml"})

    feed.url = loopback_http(fallback=answer).url("grow.xml")
    return feed


@dataclass
class Serving:
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, text: str, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output():
            assert self.process.poll() is None, self.output()
            assert time.monotonic() < deadline, f"no {text!r} after {timeout} s:\n{self.output()}"
            time.sleep(0.5)

    def kill(self) -> None:
        """SIGKILL the whole process group: serve and the flow runs it started."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)
        return self.output()


def _env(tmp_path: Path, database_url: str, feed: GrowingFeed) -> dict[str, str]:
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(f"feeds:\n  - {{name: Grow, url: '{feed.url}'}}\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "VIGIL_"))}
    return env | {
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_RUNNER_POLL_FREQUENCY": "2",
        "VIGIL_HOME": str(tmp_path / "home"),
        "VIGIL_CONFIG": str(tmp_path / "none.toml"),
        "VIGIL_DATABASE_URL": database_url,
        "VIGIL_RULES": str(RULES),
        "VIGIL_TEMPLATES": str(TEMPLATES),
        "VIGIL_FEEDS": str(feeds),
        "VIGIL_ARTICLES": "",
    }


def _serve(env: dict[str, str], log: Path) -> Serving:
    # The daily digests run is put half a day away: whatever arrives comes from the ingests.
    later = (datetime.now(UTC) + timedelta(hours=12)).strftime("%H:%M")  # wall clock: serve's
    command = [
        sys.executable, "-m", "vigil.cli", "serve", "--port", str(free_port()),
        "--ingest-every", str(INTERVAL_MINUTES), "--alerts-every", "30", "--digests-at", later,
    ]  # fmt: skip
    with log.open("ab") as sink:
        process = subprocess.Popen(
            command, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
    serving = Serving(process, log)
    serving.wait_for("started a Prefect server")
    return serving


def _digests_with(outbox: Path, title: str) -> list:
    return [
        m
        for m in maildir_messages(outbox)
        if m["X-Vigil-Kind"] == "digest" and title in m.get_body(("plain",)).get_content()
    ]


def _wait_for_digest(outbox: Path, title: str, serving: Serving, seconds: float) -> list:
    deadline = time.monotonic() + seconds
    while not (found := _digests_with(outbox, title)) and time.monotonic() < deadline:
        assert serving.process.poll() is None, serving.output()
        time.sleep(1)
    return found


def test_serve_without_a_recipients_file_mails_a_digest_after_an_ingest_that_matched(
    tmp_path: Path, database_url: str, growing_feed: GrowingFeed
) -> None:
    env = _env(tmp_path, database_url, growing_feed)
    serving = _serve(env, tmp_path / "serve.log")
    try:
        # The default reader ("every run") gets a digest after the first ingest that matched,
        # not at the daily digests run half a day away.
        found = _wait_for_digest(tmp_path / "home" / "outbox", STORY.format(n=1), serving, 150)
    finally:
        output = serving.stop()
    assert len(found) == 1, output
    (digest,) = found
    assert digest["X-Vigil-Recipient"] == "default"
    assert digest["To"] == "analyst@localhost"


def test_serve_killed_in_the_middle_of_an_ingest_runs_again_after_a_restart(
    tmp_path: Path, database_url: str, growing_feed: GrowingFeed
) -> None:
    env = _env(tmp_path, database_url, growing_feed)
    growing_feed.delay = 30.0  # the first ingest hangs on its fetch: killed while at work
    first = _serve(env, tmp_path / "serve.log")
    try:
        assert growing_feed.requested.wait(150), first.output()
        time.sleep(1)
    finally:
        first.kill()
    growing_feed.delay = 0.0
    second = _serve(env, tmp_path / "serve-again.log")
    try:
        growing_feed.items = 6  # added after the restart
        interval = INTERVAL_MINUTES * 60
        # Two intervals, and the Prefect floor of a run or two (a few seconds each).
        found = _wait_for_digest(
            tmp_path / "home" / "outbox", STORY.format(n=5), second, 2 * interval + 30
        )
    finally:
        output = second.stop()
    assert found, output
    assert "as crashed: its process is gone" in output
    assert "Deployment concurrency limit reached" not in output
