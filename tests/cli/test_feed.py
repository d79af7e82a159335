"""`vigil matches feed`: Atom 1.0 that feedparser reads back, with stable entry ids, the
evidence as summary, and the choice of rule, tag, recipient and days."""

from pathlib import Path

import feedparser
import pytest
from typer.testing import CliRunner

from vigil.article import Article
from vigil.cli import app
from vigil.match import Match
from vigil.settings import Settings
from vigil.store import MatchFilter, NewItem, Store

runner = CliRunner()


def _feed(*options: str) -> feedparser.FeedParserDict:
    result = runner.invoke(app, ["matches", "feed", *options])
    assert result.exit_code == 0, result.output
    parsed = feedparser.parse(result.stdout_bytes)
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.version == "atom10"
    return parsed


def test_every_match_is_an_entry_with_its_evidence_and_link(demo: Settings) -> None:
    store = Store(demo.store_url)
    stored = store.match_page(MatchFilter(), limit=1000)
    store.close()
    parsed = _feed()
    assert len(parsed.entries) == len(stored) > 5
    newest = stored[0]
    first = parsed.entries[0]
    assert first.title == newest.title and first.summary == newest.evidence
    assert first.link == (newest.link or first.link)
    assert newest.rule_id in {tag.term for tag in first.tags}
    again = _feed()
    assert [e.id for e in again.entries] == [e.id for e in parsed.entries]  # stable ids
    assert len({e.id for e in parsed.entries}) == len(parsed.entries)


def test_a_rule_a_tag_and_days_choose_the_entries(demo: Settings) -> None:
    only = _feed("--rule", "bayraktar-tb2")
    assert only.entries and all("bayraktar-tb2" in {t.term for t in e.tags} for e in only.entries)
    tagged = _feed("--tag", "mediation")
    assert tagged.entries and all(
        "tag:mediation" in {t.term for t in e.tags} for e in tagged.entries
    )
    assert _feed("--days", "0").entries == []
    assert len(_feed("--limit", "2").entries) == 2


def test_a_recipients_feed_holds_what_is_routed_to_them(
    demo: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recipients = tmp_path / "recipients.yaml"
    recipients.write_text(
        "recipients:\n  - id: drones-desk\n    email: desk@example.org\n"
        "    rules: [bayraktar-tb2]\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("VIGIL_RECIPIENTS", str(recipients))
    desk = _feed("--recipient", "drones-desk")
    assert desk.feed.title == "vigil: matches for drones-desk"
    assert [e.id for e in desk.entries] == [e.id for e in _feed("--rule", "bayraktar-tb2").entries]
    unknown = runner.invoke(app, ["matches", "feed", "--recipient", "nobody"])
    assert unknown.exit_code == 2 and "drones-desk" in unknown.output


def test_hostile_feed_text_stays_text_in_well_formed_xml(demo: Settings) -> None:
    store = Store(demo.store_url)
    title = "Drones\x00 <script>alert(1)</script> \ufffe & co"
    store.write_batch(
        [NewItem(Article(title=title, body="TB2", outlet="X", link="https://x.org/h"), "h",
                 [Match("bayraktar-tb2", "A <b>TB2</b>\x07", ((0, 3),), ("TB2",), (), 1.0)])]
    )  # fmt: skip
    store.close()
    first = _feed("--rule", "bayraktar-tb2").entries[0]
    assert first.title == "Drones <script>alert(1)</script> & co"
    assert "<b>TB2</b>" in first.summary  # as text: feedparser unescapes it, a reader shows it


def test_out_writes_the_file(demo: Settings, tmp_path: Path) -> None:
    target = tmp_path / "matches.atom"
    result = runner.invoke(app, ["matches", "feed", "--out", str(target)])
    assert result.exit_code == 0 and "entries to" in result.output
    assert feedparser.parse(target.read_bytes()).entries
