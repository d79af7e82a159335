"""`vigil init` writes a starter folder that runs as it is; `vigil config show` says each
setting's value and where it came from, secrets masked; `--config FILE` picks the TOML file."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vigil.cli import app
from vigil.monitor import Monitor
from vigil.pipeline import run_once
from vigil.settings import Settings

runner = CliRunner()


@pytest.fixture
def starter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # Set, not only removed: --config writes VIGIL_CONFIG, and the undo must take it back.
    monkeypatch.setenv("VIGIL_CONFIG", "vigil.toml")
    for variable in ("VIGIL_HOME", "VIGIL_RULES", "VIGIL_FEEDS",
                     "VIGIL_RECIPIENTS", "VIGIL_ARTICLES", "VIGIL_DATABASE_URL"):  # fmt: skip
        monkeypatch.delenv(variable, raising=False)
    folder = tmp_path / "desk"
    result = runner.invoke(app, ["init", str(folder)])
    assert result.exit_code == 0, result.output
    assert f"next: cd {folder} && vigil run" in result.output
    monkeypatch.chdir(folder)
    return folder


def test_the_starter_folder_is_checked_and_runs_as_it_is(starter: Path) -> None:
    check = runner.invoke(app, ["rules", "check", "--format", "json"])
    assert check.exit_code == 0 and json.loads(check.stdout)["ok"]
    settings = Settings()
    assert settings.rules == Path("rules") and settings.articles is None
    monitor = Monitor(settings)
    summary = run_once(monitor)
    monitor.close()
    assert summary.ok and summary.new_items > 10
    assert [m.recipient for m in summary.composed] == ["me"]  # its alert, the digest at 08:00
    assert len(list((starter / ".vigil" / "outbox" / "new").iterdir())) == 1


def test_init_overwrites_nothing(starter: Path) -> None:
    (starter / "feeds.yaml").write_text("feeds: []\n", encoding="utf-8")
    again = runner.invoke(app, ["init", str(starter)])
    assert again.exit_code == 2 and "nothing written" in again.output
    assert (starter / "feeds.yaml").read_text(encoding="utf-8") == "feeds: []\n"


def test_config_show_says_where_each_setting_came_from_and_masks_secrets(
    starter: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIGIL_SMTP_PASSWORD", "hunter2")
    monkeypatch.setenv("VIGIL_DATABASE_URL", "postgresql://vigil:s3cret@db.example.org/vigil")
    result = runner.invoke(app, ["config", "show", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert "hunter2" not in result.stdout and "s3cret" not in result.stdout
    shown = {line["name"]: line for line in json.loads(result.stdout)["settings"]}
    assert shown["feeds"] == {"name": "feeds", "variable": "VIGIL_FEEDS",
                              "value": "feeds.yaml", "source": "vigil.toml:6"}  # fmt: skip
    assert shown["smtp_password"]["value"] == "(set)"
    assert shown["smtp_password"]["source"] == "VIGIL_SMTP_PASSWORD"
    assert shown["smtp_timeout"]["source"] == "default"
    assert "db.example.org" in shown["database_url"]["value"]
    table = runner.invoke(app, ["config", "show"])
    assert "hunter2" not in table.stdout and "vigil.toml:6" in table.stdout


def test_the_config_option_picks_another_file(starter: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.toml"
    other.write_text('feeds = "elsewhere.yaml"\n', encoding="utf-8")
    result = runner.invoke(app, ["--config", str(other), "config", "show", "--format", "json"])
    document = json.loads(result.stdout)
    assert document["config_file"] == str(other)
    feeds = next(line for line in document["settings"] if line["name"] == "feeds")
    assert (feeds["value"], feeds["source"]) == ("elsewhere.yaml", f"{other}:1")
