"""`vigil feeds`: the health table, and OPML in and out."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from vigil.cli import app
from vigil.monitor import Monitor
from vigil.pipeline import run_once
from vigil.settings import Settings
from vigil.sources import load_feeds_file
from vigil.sources.opml import export_opml, read_opml

from tests.conftest import FeedServer, changed, write_feeds_file

runner = CliRunner()

OPML = """<?xml version="1.0"?>
<opml version="1.0"><head><title>Reader export</title></head><body>
  <outline text="Turkey"><outline text="Daily Sabah" type="rss" xmlUrl="https://www.dailysabah.com/rssFeed/home"/>
    <outline title="Ahval" type="rss" xmlUrl="https://ahvalnews.com/rss.xml"/></outline>
  <outline text="TASS" type="rss" xmlUrl="https://tass.com/rss/v2.xml"/>
  <outline text="Not a feed" type="link" url="https://example.org/"/>
</body></opml>
"""


def test_import_writes_the_feeds_file_the_other_commands_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opml = tmp_path / "reader.opml"
    opml.write_text(OPML, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("VIGIL_FEEDS", raising=False)
    assert runner.invoke(app, ["feeds", "import", str(opml)]).exit_code == 0
    assert {s.name for s in load_feeds_file(tmp_path / "feeds.yaml")} == {
        "Daily Sabah", "Ahval", "TASS"
    }  # fmt: skip
    chosen = tmp_path / "monitored.yaml"
    monkeypatch.setenv("VIGIL_FEEDS", str(chosen))
    result = runner.invoke(app, ["feeds", "import", str(opml)])
    assert result.exit_code == 0 and f"already in {chosen}" in result.output
    assert len(load_feeds_file(chosen)) == 3  # where `vigil run` and `vigil feeds` read
    bundled = Settings.model_fields["feeds"].get_default(call_default_factory=True)
    assert "Ahval" not in Path(bundled).read_text(encoding="utf-8")


def test_import_appends_keeps_comments_and_skips_known_feeds(tmp_path: Path) -> None:
    opml = tmp_path / "reader.opml"
    opml.write_text(OPML, encoding="utf-8")
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(
        "# my feeds\nfeeds:\n  - name: TASS\n    url: https://tass.com/rss/v2.xml\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["feeds", "import", str(opml), "--feeds", str(feeds)])
    assert result.exit_code == 0, result.output
    assert "2 added, 1 already in" in result.output
    assert feeds.read_text(encoding="utf-8").startswith("# my feeds\n")
    specs = {s.name: s for s in load_feeds_file(feeds)}
    assert set(specs) == {"TASS", "Daily Sabah", "Ahval"}
    assert specs["Ahval"].tags == ("Turkey",)


def test_export_round_trips(tmp_path: Path) -> None:
    feeds = write_feeds_file(tmp_path / "feeds.yaml", [("Meduza", "https://meduza.io/rss/en/all")])
    result = runner.invoke(app, ["feeds", "export", "--feeds", str(feeds)])
    assert result.exit_code == 0
    opml = tmp_path / "out.opml"
    opml.write_text(result.output, encoding="utf-8")
    (spec,) = read_opml(opml)
    assert (spec.name, spec.url) == ("Meduza", "https://meduza.io/rss/en/all")
    assert "xmlUrl" in export_opml(load_feeds_file(feeds))


def test_not_opml_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.opml"
    bad.write_text("this is { not xml", encoding="utf-8")
    result = runner.invoke(app, ["feeds", "import", str(bad), "--feeds", str(tmp_path / "f.yaml")])
    assert result.exit_code == 2 and "not an OPML subscription list" in result.output


def test_health_table(
    settings: Settings, feed_server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    feeds = write_feeds_file(
        tmp_path / "feeds.yaml",
        [("Meduza", feed_server.url("meduza.rss.xml")), ("Missing", feed_server.url("nope.xml"))],
    )
    monkeypatch.setenv("VIGIL_HOME", str(settings.home))
    monkeypatch.setenv("VIGIL_DATABASE_URL", settings.store_url)
    before = runner.invoke(app, ["feeds", "--feeds", str(feeds)])
    assert before.exit_code == 0 and "not fetched yet" in before.output
    run_once(Monitor(changed(settings, feeds=feeds, articles="")))
    result = runner.invoke(app, ["feeds", "--feeds", str(feeds)])
    assert result.exit_code == 1
    assert "Meduza" in result.output and "ok" in result.output
    assert "failing" in result.output and "HTTP 404" in result.output
