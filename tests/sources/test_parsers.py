"""The fast parser and feedparser give the same articles on every feed of the test corpus."""

from datetime import UTC, datetime

import pytest

from vigil.sources import FeedSpec, parse_feed
from vigil.sources.fastpath import eligible, fast_entries

from tests.conftest import EXAMPLES
from tests.sources.test_fetch import RELATIVE_AND_FUTURE, RSS_091, RSS_10, WRONG_CHARSET
from tests.test_cluster import COPIES, _rss

NOW = datetime(2026, 1, 1, tzinfo=UTC)

CORPUS: dict[str, bytes] = {p.name: p.read_bytes() for p in (EXAMPLES / "feeds").glob("*.xml")}
CORPUS |= {
    "rss-0.91": RSS_091,
    "rss-1.0": RSS_10,
    "wrong-charset": WRONG_CHARSET,
    "relative-and-future": RELATIVE_AND_FUTURE,
    "no-guid": (
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        b"<item><title>Kyiv &amp; Ankara</title><link>https://e.org/a?utm_source=x</link>"
        b"<description>&lt;p&gt;Drone &lt;b&gt;deal&lt;/b&gt;&lt;/p&gt;</description>"
        b"<pubDate>Mon, 29 Nov 2021 16:42:00 +0300</pubDate><category>Defence</category></item>"
        b"</channel></rss>"
    ),
    "doctype": (
        b'<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"'
        b' "http://my.netscape.com/publish/formats/rss-0.91.dtd"><rss version="0.91">'
        b"<channel><title>t</title><item><title>a &amp; b</title><link>https://e.org/1</link></item>"
        b"</channel></rss>"
    ),
    **{name: _rss(title, body, f"urn:{name}").encode() for name, (title, body) in COPIES.items()},
}


def _fields(articles):
    return [
        (a.canonical_id, a.title, a.body, a.link, a.published, a.date_missing, a.author, a.tags)
        for a in articles
    ]


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_fast_path_gives_the_same_articles_as_feedparser(name: str) -> None:
    spec = FeedSpec(name="Outlet", url="x", tags=("t",))
    reference = parse_feed(CORPUS[name], spec, now=NOW, fast=False)
    chosen = parse_feed(CORPUS[name], spec, now=NOW)
    assert _fields(chosen.articles) == _fields(reference.articles)


def test_the_fast_path_is_taken_where_it_is_safe_and_refused_elsewhere() -> None:
    assert fast_entries(CORPUS["meduza.rss.xml"]) is not None
    assert fast_entries(CORPUS["kyiv-independent.atom.xml"]) is not None
    for risky in ("wrong-charset", "relative-and-future", "doctype"):
        assert not eligible(CORPUS[risky]) or fast_entries(CORPUS[risky]) is None, risky


def test_every_corpus_feed_parses() -> None:
    for name, data in CORPUS.items():
        assert parse_feed(data, FeedSpec(name="x", url="x"), now=NOW).articles, name
