"""Backfills: a rule added later finds old items; what was delivered is not sent again."""

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vigil.backfill import backfill
from vigil.cli import app
from vigil.errors import ConfigError
from vigil.monitor import Monitor
from vigil.pipeline import run_once
from vigil.rules import load_ruleset
from vigil.settings import Settings

from tests.conftest import RULES, FrozenClock, changed, maildir_messages


@pytest.fixture
def without_drones(tmp_path: Path) -> Path:
    """The shipped rules before the analyst wrote drones.yaml."""
    folder = tmp_path / "rules-before"
    shutil.copytree(RULES, folder)
    (folder / "drones.yaml").unlink()
    return folder


def _subjects(settings: Settings) -> list[str]:
    return sorted(message["Subject"] for message in maildir_messages(settings.outbox))


def test_a_new_rule_finds_old_items_and_only_the_new_matches_go_out(
    settings: Settings, without_drones: Path, clock: FrozenClock
) -> None:
    yesterday = clock() - timedelta(days=1)
    before = Monitor(changed(settings, rules=without_drones), clock=clock)
    run_once(before)
    (first,) = _subjects(settings)
    assert "Bayraktar" not in first and "Turkish mediation offers" in first
    before.close()

    clock.advance(timedelta(hours=1))
    after = Monitor(settings, clock=clock)  # drones.yaml is back
    report = backfill(after.store, after.ruleset, yesterday)
    assert report.items == 19
    assert set(report.new_matches) == {"bayraktar-tb2", "armed-drones-ukraine"}
    assert backfill(after.store, after.ruleset, yesterday).new_matches == {}  # idempotent
    composed = after.compose()
    after.deliver()
    (message,) = composed
    assert "Bayraktar TB2 drones" in message.subject
    assert "mediation" not in message.subject  # already delivered: not sent again


def test_resend_sends_the_range_again(settings: Settings, clock: FrozenClock) -> None:
    yesterday = clock() - timedelta(days=1)
    monitor = Monitor(settings, clock=clock)
    first = run_once(monitor)
    assert len(first.composed) == 1
    report = backfill(
        monitor.store, monitor.ruleset, yesterday, rule_ids=["turkish-mediation"], resend=True
    )
    assert report.new_matches == {} and report.released_claims == 5
    (again,) = monitor.compose()
    assert again.subject.startswith(
        "vigil: 5 stories — Turkish mediation offers and peace efforts (5)"
    )


def test_a_range_in_the_future_touches_nothing(settings: Settings, clock: FrozenClock) -> None:
    monitor = Monitor(settings, clock=clock)
    run_once(monitor)
    report = backfill(monitor.store, monitor.ruleset, clock() + timedelta(hours=1))
    assert report.items == 0 and report.lines()[0] == "items re-matched: 0"


def test_unknown_rule_ids_are_refused() -> None:
    from vigil.backfill import only_rules

    with pytest.raises(ConfigError, match="no such rule: nope"):
        only_rules(load_ruleset(RULES), ["turkish-mediation", "nope"])


def test_cli_backfill_logs_progress_off_a_terminal(
    settings: Settings, without_drones: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_once(Monitor(changed(settings, rules=without_drones)))
    monkeypatch.setenv("VIGIL_HOME", str(settings.home))
    monkeypatch.setenv("VIGIL_DATABASE_URL", settings.store_url)
    monkeypatch.setenv("VIGIL_RULES", str(RULES))
    # wall clock: the CLI stores by the wall clock; a day back covers any hour.
    since = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%d")
    result = CliRunner().invoke(app, ["backfill", "--since", since, "--batch-size", "5"])
    assert result.exit_code == 0, result.output
    assert "re-matching stored items: 5/19" in result.output
    assert "re-matching stored items: 19/19" in result.output
    assert "items re-matched: 19" in result.output
    assert "new matches: 5 (armed-drones-ukraine 2, bayraktar-tb2 3)" in result.output
    bad = CliRunner().invoke(app, ["backfill", "--since", since, "--rule", "nope"])
    assert bad.exit_code == 2 and "no such rule: nope" in bad.output
