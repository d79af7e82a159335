"""Fetching from a real HTTP server on loopback that misbehaves in every way the web does."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from vigil import __version__
from vigil.monitor import Monitor
from vigil.pipeline import run_once
from vigil.settings import Settings
from vigil.sources import FeedSpec, parse_feed
from vigil.sources.fetch import USER_AGENT, FetchLimits, FetchStatus, Validators, fetch_many

from tests.conftest import EXAMPLES, changed, write_feeds_file
from tests.support.loopback_http import (
    Answer,
    LoopbackHTTP,
    Request,
    Route,
    chunked,
    conditional,
    hang_up_after,
    redirect,
    reset_after,
)

RSS = (EXAMPLES / "feeds" / "meduza.rss.xml").read_bytes()
ETAG = '"v1-abc"'
LAST_MODIFIED = "Fri, 03 Dec 2021 12:00:00 GMT"


ROUTES: dict[str, Route] = {
    "/etag.xml": conditional(RSS, etag=ETAG, headers={"Content-Type": "application/rss+xml"}),
    "/modified.xml": conditional(RSS, last_modified=LAST_MODIFIED),
    "/stall.xml": Answer(RSS, delay=3),
    "/error.xml": Answer(b"oops", 500),
    "/busy.xml": Answer(b"slow down", 429, {"Retry-After": "120"}),
    "/gone.xml": Answer(b"gone", 410),
    "/huge.xml": chunked(50 * 1024 * 1024),
    # the connection torn down mid-response (TCP RST)
    "/reset.xml": reset_after(RSS[:40], len(RSS)),
    # promises more bytes than it sends, then hangs up
    "/truncated.xml": hang_up_after(RSS[: len(RSS) // 2], len(RSS) + 1000),
    "/gzip.xml": lambda request: (
        Answer(gzip.compress(RSS), headers={"Content-Encoding": "gzip"})
        if "gzip" in request.headers.get("Accept-Encoding", "")
        else Answer(b"gzip only", 406)
    ),
    "/moved.xml": redirect("/moved-again.xml", 301),
    "/moved-again.xml": redirect("/etag.xml", 308),
    "/temporary.xml": redirect("/etag.xml", 302),
    "/loop-a.xml": redirect("/loop-b.xml"),
    "/loop-b.xml": redirect("/loop-a.xml"),
}


@pytest.fixture
def server(loopback_http: Callable[..., LoopbackHTTP]) -> LoopbackHTTP:
    """Misbehaves in every way the web does, per path; keeps connections alive."""
    return loopback_http(ROUTES, protocol="HTTP/1.1")


LIMITS = FetchLimits(concurrency=4, read_timeout=1.0, total_timeout=2.0, max_bytes=5 * 1024 * 1024)


def fetch(server: LoopbackHTTP, path: str, validators: Validators | None = None):
    (result,) = fetch_many([(server.url(path), validators or Validators())], LIMITS)
    return result


def test_etag_then_304(server: LoopbackHTTP) -> None:
    first = fetch(server, "etag.xml")
    assert first.status is FetchStatus.OK and first.body == RSS
    assert first.validators.etag == ETAG
    second = fetch(server, "etag.xml", first.validators)
    assert second.status is FetchStatus.NOT_MODIFIED and second.body is None


def test_last_modified_then_304(server: LoopbackHTTP) -> None:
    first = fetch(server, "modified.xml")
    assert first.validators.last_modified == LAST_MODIFIED
    assert fetch(server, "modified.xml", first.validators).status is FetchStatus.NOT_MODIFIED


def test_stalling_server_times_out(server: LoopbackHTTP) -> None:
    result = fetch(server, "stall.xml")
    assert result.status is FetchStatus.FAILED and "timed out" in (result.error or "")


def test_server_error_and_rate_limit(server: LoopbackHTTP) -> None:
    error = fetch(server, "error.xml")
    assert (error.status, error.http_status, error.error) == (FetchStatus.FAILED, 500, "HTTP 500")
    busy = fetch(server, "busy.xml")
    assert busy.status is FetchStatus.FAILED and busy.http_status == 429
    assert busy.retry_after is not None
    # wall clock: Retry-After is counted from when the answer came, a moment ago.
    waited = busy.retry_after - datetime.now(UTC)
    assert timedelta(seconds=100) < waited <= timedelta(seconds=121)


def test_huge_body_is_aborted_at_the_cap(server: LoopbackHTTP) -> None:
    result = fetch(server, "huge.xml")
    assert result.status is FetchStatus.FAILED
    assert "5,242,880-byte cap" in (result.error or "")


def test_reset_and_truncated_responses_fail_cleanly(server: LoopbackHTTP) -> None:
    for path in ("reset.xml", "truncated.xml"):
        result = fetch(server, path)
        assert result.status is FetchStatus.FAILED and result.body is None, path
        assert result.error, path


def test_gzip_is_decoded(server: LoopbackHTTP) -> None:
    result = fetch(server, "gzip.xml")
    assert result.status is FetchStatus.OK and result.body == RSS


def test_permanent_redirect_chain_reports_the_new_home(server: LoopbackHTTP) -> None:
    result = fetch(server, "moved.xml")
    assert result.status is FetchStatus.OK and result.body == RSS
    assert result.moved_to == server.url("etag.xml")
    temporary = fetch(server, "temporary.xml")
    assert temporary.status is FetchStatus.OK and temporary.moved_to is None


def test_redirect_loop_is_cut(server: LoopbackHTTP) -> None:
    result = fetch(server, "loop-a.xml")
    assert result.status is FetchStatus.FAILED and "redirects" in (result.error or "")


def test_gone(server: LoopbackHTTP) -> None:
    result = fetch(server, "gone.xml")
    assert result.status is FetchStatus.GONE and "410" in (result.error or "")


def test_the_user_agent_names_vigil(server: LoopbackHTTP) -> None:
    agents: list[str | None] = []

    def record(request: Request) -> Answer:
        agents.append(request.headers.get("User-Agent"))
        return Answer(RSS)

    server.routes["/agent.xml"] = record
    assert fetch(server, "agent.xml").status is FetchStatus.OK
    assert agents == [USER_AGENT] and USER_AGENT.startswith(f"vigil/{__version__} ")


def test_one_bad_feed_does_not_stop_the_others(server: LoopbackHTTP) -> None:
    results = fetch_many(
        [(server.url(p), Validators()) for p in ("error.xml", "stall.xml", "etag.xml", "gzip.xml")],
        LIMITS,
    )
    assert [r.status for r in results] == [
        FetchStatus.FAILED,
        FetchStatus.FAILED,
        FetchStatus.OK,
        FetchStatus.OK,
    ]


# -- parsing the dialects and the mistakes of the web ---------------------------------------

RSS_091 = b"""<?xml version="1.0"?>
<rss version="0.91"><channel><title>Old</title><link>http://e.org/</link><description>d</description>
<item><title>Kyiv and Ankara sign a deal</title><link>http://e.org/1</link>
<description>The Bayraktar TB2 contract was signed.</description></item></channel></rss>"""

RSS_10 = b"""<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="http://e.org/"><title>RDF</title><link>http://e.org/</link><description>d</description>
<items><rdf:Seq><rdf:li rdf:resource="http://e.org/a"/></rdf:Seq></items></channel>
<item rdf:about="http://e.org/a"><title>Minsk talks resume</title><link>http://e.org/a</link>
<description>Normandy Format advisers met.</description>
<dc:date>2021-12-01T10:00:00Z</dc:date></item>
</rdf:RDF>"""

WRONG_CHARSET = (
    '<?xml version="1.0" encoding="iso-8859-1"?><rss version="2.0"><channel><title>t</title>'
    "<item><title>Erdoğan ve Çavuşoğlu</title><link>http://e.org/x</link></item></channel></rss>"
).encode()

RELATIVE_AND_FUTURE = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom" xml:base="http://e.org/news/">
<title>A</title><id>urn:x</id><updated>2021-12-01T00:00:00Z</updated>
<entry><title>Future &amp; relative</title><id>urn:1</id><link href="story/1"/>
<updated>2099-01-01T00:00:00Z</updated>
<summary>Kremlin &lt;b&gt;rejects&lt;/b&gt; &amp;amp; warns</summary></entry>
</feed>"""


def test_rss_091_and_rss_10() -> None:
    (old,) = parse_feed(RSS_091, FeedSpec(name="Old", url="x")).articles
    assert old.title == "Kyiv and Ankara sign a deal" and old.date_missing
    (rdf,) = parse_feed(RSS_10, FeedSpec(name="RDF", url="x")).articles
    assert rdf.title == "Minsk talks resume"
    assert rdf.published == datetime(2021, 12, 1, 10, tzinfo=UTC)


def test_wrong_declared_charset_still_reads_and_warns() -> None:
    result = parse_feed(WRONG_CHARSET, FeedSpec(name="Wrong", url="x"))
    assert result.articles and "Erdo" in result.articles[0].title


def test_relative_links_entities_and_future_dates() -> None:
    (entry,) = parse_feed(RELATIVE_AND_FUTURE, FeedSpec(name="A", url="x")).articles
    assert entry.link == "http://e.org/news/story/1"
    assert entry.title == "Future & relative"
    assert entry.body == "Kremlin rejects & warns"
    # A date in the future is not believed: the article is dated when first seen, and flagged.
    assert entry.date_missing and entry.published is not None
    assert entry.published <= datetime.now(UTC)  # wall clock: parsed a moment ago


# -- health and backoff, through a whole monitor run ----------------------------------------


def test_health_backoff_redirect_and_gone_across_runs(
    server: LoopbackHTTP, settings: Settings, tmp_path: Path
) -> None:
    feeds_file = write_feeds_file(
        tmp_path / "feeds.yaml",
        [
            ("Cached", server.url("etag.xml")),
            ("Broken", server.url("error.xml")),
            ("Moved", server.url("moved.xml")),
            ("Gone", server.url("gone.xml")),
        ],
    )
    monitor = Monitor(changed(settings, feeds=feeds_file, articles="", smtp_host=None))
    first = run_once(monitor)
    status = {s.name: s.status for s in first.sources}
    assert status == {"Cached": "read", "Broken": "failed", "Moved": "read", "Gone": "disabled"}
    assert not first.ok

    second = run_once(monitor)
    status = {s.name: s.status for s in second.sources}
    # 304 for the cached one; the broken one waits out its backoff; the gone one stays off.
    assert status == {
        "Cached": "unchanged",
        "Broken": "waiting",
        "Moved": "unchanged",
        "Gone": "disabled",
    }
    assert server.hits["/error.xml"] == 1
    assert server.hits["/gone.xml"] == 1
    # The moved feed is now fetched at its new home, without the redirects.
    assert server.hits["/moved.xml"] == 1

    health = monitor.store.feed_rows()
    assert health["Broken"].consecutive_failures == 1 and health["Broken"].next_attempt is not None
    assert health["Moved"].url == server.url("etag.xml")
    assert health["Gone"].disabled
    assert health["Cached"].etag == ETAG and health["Cached"].items_seen == 5


def test_a_gzipped_local_feed_is_read_inflated_under_the_same_cap(tmp_path: Path) -> None:
    feed = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        b"<item><title>Bayraktar TB2 seen</title><link>https://x.org/1</link></item>"
        b"</channel></rss>"
    )
    packed = tmp_path / "feed.xml.gz"
    packed.write_bytes(gzip.compress(feed))
    bomb = tmp_path / "bomb.xml.gz"
    bomb.write_bytes(gzip.compress(b"<" * (8 * 1024 * 1024)))  # 8 MB inflated, 8 KB on disk
    broken = tmp_path / "broken.xml.gz"
    broken.write_bytes(b"\x1f\x8b" + b"not gzip at all")
    read, blown, bad = fetch_many(
        [(str(path), Validators()) for path in (packed, bomb, broken)], LIMITS
    )
    assert read.status is FetchStatus.OK and read.body == feed
    assert blown.status is FetchStatus.FAILED and "inflates to more than" in (blown.error or "")
    assert bad.status is FetchStatus.FAILED and "not valid gzip" in (bad.error or "")
