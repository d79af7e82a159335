"""The analyst's workbench on a store filled by the demo run: export, stats, backtest, health."""

import csv
import io
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from vigil.cli import app
from vigil.export import CSV_FIELDS, FIELDS
from vigil.monitor import Monitor
from vigil.pipeline import run_once
from vigil.schedule import Cadence
from vigil.settings import Settings

from tests.conftest import RULES, FeedServer, FrozenClock, changed, write_feeds_file

runner = CliRunner()


def test_export_jsonl_has_one_record_per_item_and_rule(demo: Settings) -> None:
    result = runner.invoke(app, ["matches", "export"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 21
    assert len({(r["item_id"], r["rule_id"]) for r in records}) == 21
    assert set(records[0]) == set(FIELDS)
    rejected = [r for r in records if r["rule_id"] == "mediation-rejected"]
    assert {r["direction"] for r in rejected} == {"RUS → TUR"}
    assert all(r["delivered"] and r["delivered_at"] for r in records)
    assert "diplomacy" in rejected[0]["rule_tags"]
    assert all(r["evidence"] and r["title"] for r in records)


def test_export_csv_filtered_by_rule_and_date(demo: Settings, tmp_path: Path) -> None:
    out = tmp_path / "tb2.csv"
    result = runner.invoke(
        app, ["matches", "export", "--rule", "bayraktar-tb2", "--format", "csv", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(rows) == 3 and {row["rule_id"] for row in rows} == {"bayraktar-tb2"}
    assert list(rows[0]) == list(CSV_FIELDS)
    assert rows[0]["delivered"] == "true" and "; " in rows[0]["rule_tags"]
    assert "wrote 3 matches" in result.output
    # wall clock: the CLI stores and filters by the wall clock; any hour gives the same dates.
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d")
    later = runner.invoke(app, ["matches", "export", "--since", tomorrow])
    assert later.exit_code == 0 and later.stdout == ""


def test_stats_counts_hits_and_flags_silent_and_noisy_rules(demo: Settings) -> None:
    result = runner.invoke(app, ["rules", "stats", "--format", "json", "--noisy", "0.2"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["items"] == 19
    by_rule = {entry["rule_id"]: entry for entry in report["rules"]}
    assert by_rule["turkish-mediation"]["hits"] == 5
    assert by_rule["turkish-mediation"]["share"] == pytest.approx(5 / 19)
    assert "noisy (> 20% of items)" in by_rule["turkish-mediation"]["flags"]
    assert by_rule["mediation-rejected-ukraine"]["flags"] == ["never matched"]
    assert by_rule["mediation-rejected-ukraine"]["last_hit"] is None
    assert sum(entry["hits"] for entry in report["rules"]) == 21
    table = runner.invoke(app, ["rules", "stats"])
    assert table.exit_code == 0 and "never matched" in table.output and "14 days" in table.output


def test_backtest_reports_new_and_lost_hits_and_writes_nothing(
    demo: Settings, tmp_path: Path
) -> None:
    edited = tmp_path / "edited-rules"
    shutil.copytree(RULES, edited)
    (edited / "drones.yaml").unlink()  # bayraktar-tb2 and armed-drones-ukraine removed
    (edited / "kremlin.yaml").write_text(
        "rules:\n  - id: kremlin-says\n    title: The Kremlin speaks\n    query: Kremlin\n",
        encoding="utf-8",
    )
    # wall clock: the CLI stores and filters by the wall clock; any hour gives the same dates.
    since = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%d")
    before = Monitor(demo).store.counts()
    result = runner.invoke(
        app,
        ["rules", "backtest", "--candidate", str(edited), "--since", since, "--format", "jsonl"],
    )
    assert result.exit_code == 0, result.output
    differences = [json.loads(line) for line in result.stdout.splitlines()]
    lost = {(d["rule_id"], d["item_id"]) for d in differences if d["change"] == "lost"}
    new = [d for d in differences if d["change"] == "new"]
    assert {rule for rule, _ in lost} == {"bayraktar-tb2", "armed-drones-ukraine"}
    assert len(lost) == 5
    assert new and {d["rule_id"] for d in new} == {"kremlin-says"}
    store = Monitor(demo).store
    yesterday = datetime.now(UTC) - timedelta(days=1)  # wall clock: as above
    stored = store.articles(store.item_ids_since(yesterday))
    mentions = {i for i, a in stored if "kremlin" in f"{a.title} {a.body}".lower()}
    assert {d["item_id"] for d in new} == mentions
    table = runner.invoke(app, ["rules", "backtest", "--candidate", str(edited), "--since", since])
    assert "bayraktar-tb2 (removed)" in table.output and "−3" in table.output
    assert "kremlin-says (added)" in table.output
    assert "3 rule(s) would change" in table.output
    assert Monitor(demo).store.counts() == before
    same = runner.invoke(app, ["rules", "backtest", "--candidate", str(RULES), "--since", since])
    assert "no rule would change what it flags" in same.output


def test_weekly_health_message_names_what_is_wrong_once_per_slot(
    settings: Settings, feed_server: FeedServer, tmp_path: Path, clock: FrozenClock
) -> None:
    feeds = write_feeds_file(
        tmp_path / "feeds.yaml",
        [("Meduza", feed_server.url("meduza.rss.xml")), ("Broken", feed_server.url("nope.xml"))],
    )
    ops = changed(
        settings,
        feeds=feeds,
        health_to="ops@example.org",
        health_schedule="weekly monday 08:00",
        health_timezone="Europe/Kyiv",
    )
    monitor = Monitor(ops, clock=clock)
    now = clock()
    run_once(monitor)  # the operator is first seen now; the first slot is next Monday
    ops_slot = Cadence.parse("weekly monday 08:00").next_slot(now, ZoneInfo("Europe/Kyiv"))
    assert ops_slot.astimezone(ZoneInfo("Europe/Kyiv")).strftime("%A %H:%M") == "Monday 08:00"
    monday = clock.set(ops_slot + timedelta(minutes=1))
    composed = [m for m in monitor.compose() if m.kind == "health"]
    assert len(composed) == 1
    assert composed[0].subject.startswith("vigil health: 1 feed(s) failing")
    assert "silent rule(s)" in composed[0].subject
    text = composed[0].markdown
    assert "Broken: 1 failure(s) in a row" in text and "HTTP 404" in text
    assert "bayraktar-tb2" not in text.split("did not fire")[1].split("\n\n")[0]
    assert "mediation-rejected-ukraine" in text
    clock.set(monday + timedelta(hours=1))
    assert [m for m in monitor.compose() if m.kind == "health"] == []
    report = monitor.deliver()
    assert any(subject.startswith("vigil health:") for subject in report.sent)


def test_health_message_is_off_by_default(settings: Settings, clock: FrozenClock) -> None:
    monitor = Monitor(settings, clock=clock)
    run_once(monitor)
    clock.advance(timedelta(days=8))
    assert all(m.kind != "health" for m in monitor.compose())
