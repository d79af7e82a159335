"""Source formats are modules of vigil.sources.formats; JSON Feed is one, end to end."""

from __future__ import annotations

import json
import pkgutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

import vigil.sources.formats as package
from vigil.errors import FileFormatError, SourceError
from vigil.monitor import Monitor
from vigil.pipeline.run import run_once
from vigil.settings import Settings
from vigil.sources import FeedSpec, load_feeds_file, parse_feed
from vigil.sources.formats import format_for, formats

from tests.conftest import FeedServer, changed, maildir_messages

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
SPEC = FeedSpec(name="Blog", url="https://blog.example/feed.json", tags=("blog",))


def json_feed(items: list[object], version: str = "https://jsonfeed.org/version/1.1") -> bytes:
    return json.dumps({"version": version, "title": "Blog", "items": items}).encode()


ITEMS: list[object] = [
    {
        "id": "https://blog.example/1",
        "url": "https://blog.example/1",
        "title": "Erdoğan offers to host talks",
        "content_html": "<p>Turkey is <b>ready</b> to mediate between Russia and Ukraine.</p>",
        "date_published": "2026-02-27T09:30:00+03:00",
        "authors": [{"name": "A. Reporter"}, {"name": "B. Editor"}],
        "tags": ["diplomacy"],
    },
    {"id": 2, "content_text": "Only text, no title.", "date_modified": "2026-02-28T10:00:00Z"},
    {"id": "3", "title": "Year one", "summary": "Dated year 1.", "date_published": "0001-01-01"},
    "not an object",
    {"id": "5", "external_url": "javascript:alert(1)", "author": {"name": "Old style"}},
]


def test_every_module_with_a_format_is_known_by_its_name() -> None:
    modules = {m.name for m in pkgutil.iter_modules(package.__path__)}
    assert set(formats()) == modules == {"rss", "jsonfeed"}


def test_a_json_feed_becomes_articles() -> None:
    result = parse_feed(json_feed(ITEMS), SPEC, now=NOW)
    first, second, third = result.articles  # the fifth has no title and no text
    assert first.title == "Erdoğan offers to host talks"
    assert first.body == "Turkey is ready to mediate between Russia and Ukraine."
    assert first.link == first.guid == "https://blog.example/1"
    assert first.author == "A. Reporter, B. Editor"
    assert first.tags == ("blog", "diplomacy")
    assert first.published == datetime(2026, 2, 27, 6, 30, tzinfo=UTC)
    assert not first.date_missing
    assert (second.title, second.body, second.guid) == ("", "Only text, no title.", "2")
    assert second.published == datetime(2026, 2, 28, 10, tzinfo=UTC)
    assert third.date_missing and third.published == NOW  # year 1 is not believed
    assert result.warning == "1 item(s) that are not JSON objects were skipped"


def test_the_format_is_recognised_or_named() -> None:
    rss = b'<?xml version="1.0"?><rss version="2.0"><channel></channel></rss>'
    assert format_for(json_feed([]), SPEC).name == "jsonfeed"
    assert format_for(json_feed([], "https://jsonfeed.org/version/1"), SPEC).name == "jsonfeed"
    assert format_for(rss, SPEC).name == "rss"
    assert format_for(b'{"items": []}', SPEC).name == "rss"  # not claimed: the default
    named = SPEC.model_copy(update={"format": "jsonfeed"})
    assert len(parse_feed(b'{"items": [{"title": "t"}]}', named, now=NOW).articles) == 1
    with pytest.raises(SourceError, match="not a JSON Feed"):
        parse_feed(b"<rss/>", named, now=NOW)
    with pytest.raises(SourceError, match="no 'items' list"):
        parse_feed(b'{"version": "https://jsonfeed.org/version/1.1"}', SPEC, now=NOW)
    with pytest.raises(SourceError, match="unknown format 'csv'"):
        parse_feed(b"", SPEC.model_copy(update={"format": "csv"}), now=NOW)


def test_a_long_json_feed_is_cut_and_says_so() -> None:
    items: list[object] = [{"id": str(n), "title": f"item {n}"} for n in range(50)]
    result = parse_feed(json_feed(items), SPEC, now=NOW, max_items=10)
    assert [a.title for a in result.articles] == [f"item {n}" for n in range(10)]
    assert result.warning == "50 items; the first 10 were read"


def test_an_unknown_format_in_the_feeds_file_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(
        "feeds:\n  - name: Blog\n    url: https://blog.example/feed.json\n    format: csv\n"
    )
    with pytest.raises(FileFormatError, match=r"feeds.yaml:4:13: feeds.0.format: Blog: unknown"):
        load_feeds_file(path)
    path.write_text(
        "feeds:\n  - name: Blog\n    url: https://blog.example/feed.json\n    format: jsonfeed\n"
    )
    assert load_feeds_file(path)[0].format == "jsonfeed"


def test_a_json_feed_served_over_http_is_read_matched_and_mailed(
    settings: Settings, feed_server: FeedServer, tmp_path: Path
) -> None:
    (feed_server.root / "blog.json").write_bytes(json_feed(ITEMS[:1]))
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(
        f"feeds:\n  - name: Blog\n    url: {feed_server.url('blog.json')}\n"
        f"  - name: Meduza\n    url: {feed_server.url('meduza.rss.xml')}\n"
    )
    summary = run_once(Monitor(changed(settings, feeds=feeds, articles="")))
    by_name = {source.name: source for source in summary.sources}
    assert by_name["Blog"].status == "read" and by_name["Blog"].new_items == 1
    assert by_name["Meduza"].status == "read" and by_name["Meduza"].new_items > 0
    assert summary.matches_per_rule["turkish-mediation"] >= 1
    (digest,) = maildir_messages(settings.outbox)
    assert "Erdoğan offers to host talks" in digest.get_body(("plain",)).get_content()
