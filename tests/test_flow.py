"""The Prefect layer: the monitor flow and ``vigil run``, on one test server for the module."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect.testing.utilities import prefect_test_harness
from typer.testing import CliRunner

from flows.monitor import monitor
from vigil.cli import app

from .conftest import EXAMPLES, RULES, SEED, TEMPLATES, FeedServer, write_feeds_file
from .test_delivery import _maildir_messages

pytestmark = pytest.mark.prefect


@pytest.fixture(scope="module")
def prefect_server() -> Iterator[None]:
    with prefect_test_harness(server_startup_timeout=None):
        yield


@pytest.fixture
def vigil_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("VIGIL_HOME", str(home))
    monkeypatch.setenv("VIGIL_TEMPLATES", str(TEMPLATES))
    monkeypatch.setenv("VIGIL_RULES", str(RULES))
    return home


def test_monitor_flow_delivers_one_digest_then_nothing(
    prefect_server: None, vigil_env: Path
) -> None:
    summary = monitor(feeds=str(EXAMPLES / "feeds" / "demo.yaml"), articles=str(SEED))
    assert summary.ok
    assert summary.new_items == 19
    assert set(summary.matches_per_rule) >= {
        "turkish-mediation",
        "mediation-rejected",
        "bayraktar-tb2",
        "minsk-normandy",
    }
    (message,) = _maildir_messages(vigil_env / "outbox")
    text = message.get_body(("plain",)).get_content()
    assert "Why Putin rejected Erdogan's offer to mediate over Ukraine" in text
    again = monitor(feeds=str(EXAMPLES / "feeds" / "demo.yaml"), articles=str(SEED))
    assert again.new_items == 0 and again.composed.subject is None
    assert len(_maildir_messages(vigil_env / "outbox")) == 1


def test_vigil_run_reports_and_exits_zero(prefect_server: None, vigil_env: Path) -> None:
    result = CliRunner().invoke(app, ["run"])
    assert result.exit_code == 0, result.output
    assert "sources: 4 read, 0 unchanged, 0 failed" in result.output
    assert "new items: 19" in result.output
    assert f"delivered to Maildir {vigil_env / 'outbox'}" in result.output
    assert "Traceback" not in result.output


def test_vigil_run_exits_one_when_a_feed_fails(
    prefect_server: None, vigil_env: Path, feed_server: FeedServer, tmp_path: Path
) -> None:
    feeds_file = write_feeds_file(
        tmp_path / "feeds.yaml",
        [("Meduza", feed_server.url("meduza.rss.xml")), ("Gone", feed_server.url("gone.xml"))],
    )
    result = CliRunner().invoke(app, ["run", "--feeds", str(feeds_file), "--no-articles"])
    assert result.exit_code == 1, result.output
    assert "FAILED Gone: Gone: HTTP 404" in result.output
    assert "delivered to Maildir" in result.output


def test_a_failing_feed_names_the_flow_state_partial(
    prefect_server: None, vigil_env: Path, feed_server: FeedServer, tmp_path: Path
) -> None:
    feeds_file = write_feeds_file(
        tmp_path / "feeds.yaml",
        [("Meduza", feed_server.url("meduza.rss.xml")), ("Gone", feed_server.url("gone.xml"))],
    )
    state = monitor(feeds=str(feeds_file), articles="", return_state=True)
    assert state.is_completed() and state.name == "Partial"
    assert "Gone" in (state.message or "")
    summary = state.result()
    assert [source.name for source in summary.failed_sources] == ["Gone"]
