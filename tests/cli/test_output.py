"""What commands print for scripts: one JSON document with --format json on every command
that prints a table or a summary, and plain columns (no box drawing) off a terminal."""

import json

import pytest
from typer.testing import CliRunner

from vigil.cli import app
from vigil.settings import Settings
from vigil.sources import load_feeds_file

runner = CliRunner()


def _json(*command: str, exit_code: int = 0) -> dict:
    result = runner.invoke(app, [*command, "--format", "json"])
    assert result.exit_code == exit_code, result.output
    return json.loads(result.stdout)


def test_feeds_health_as_json(demo: Settings) -> None:
    document = _json("feeds")
    names = {feed["name"]: feed for feed in document["feeds"]}
    assert set(names) == {spec.name for spec in load_feeds_file(demo.feeds)}
    assert document["troubled"] == 0
    assert all(feed["health"] == "ok" and feed["items"] > 0 for feed in names.values())
    assert all(feed["last_success"].endswith("+00:00") for feed in names.values())


def test_recipients_as_json(demo: Settings) -> None:
    [recipient] = _json("digest", "recipients")["recipients"]
    assert recipient["addresses"] == ["analyst@localhost"]  # VIGIL_MAIL_TO's default
    assert recipient["digest"] == "every run" and recipient["waiting"] == {"alert": 0, "digest": 0}


def test_outbox_as_json(demo: Settings) -> None:
    document = _json("digest", "outbox")
    [message] = document["messages"]
    assert message["status"] == "sent" and message["attempts"] == 1
    assert message["kind"] == "digest" and message["next_attempt_at"] is None
    assert document["troubled"] == 0


def test_rules_check_as_json_and_its_problems_exit_2(tmp_path) -> None:
    document = _json("rules", "check")
    assert document["ok"] is True and len(document["rules"]) >= 10
    assert all(rule["examples_ok"] == rule["examples"] for rule in document["rules"])
    (tmp_path / "bad.yaml").write_text("rules:\n  - id: x\n    title: X\n    anyy: [a]\n")
    broken = _json("rules", "check", str(tmp_path), exit_code=2)
    assert broken["ok"] is False and "unknown key 'anyy'" in broken["problems"][0]


def test_off_a_terminal_tables_have_no_box_drawing(demo: Settings) -> None:
    for command in (["feeds"], ["digest", "outbox"], ["digest", "recipients"], ["rules", "check"]):
        shown = runner.invoke(app, command).stdout
        assert not set(shown) & set("│┃━─┏┡└"), command
        assert "health" in shown or "recipient" in shown or "rule" in shown


@pytest.mark.usefixtures("terminal")
def test_on_a_terminal_tables_are_drawn(demo: Settings) -> None:
    assert "┃" in runner.invoke(app, ["feeds"]).stdout
