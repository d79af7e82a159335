"""Fetching from a real HTTP server on loopback that misbehaves in every way the web does."""

from __future__ import annotations

import gzip
import http.server
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from vigil.monitor import Monitor
from vigil.pipeline import run_once
from vigil.settings import Settings
from vigil.sources import FeedSpec, parse_feed
from vigil.sources.fetch import FetchLimits, FetchStatus, Validators, fetch_many

from .conftest import EXAMPLES, LoopbackHTTPServer, changed, write_feeds_file

RSS = (EXAMPLES / "feeds" / "meduza.rss.xml").read_bytes()
ETAG = '"v1-abc"'
LAST_MODIFIED = "Fri, 03 Dec 2021 12:00:00 GMT"


@dataclass
class Behaviour:
    """What the test server does, per path; ``hits`` counts requests per path."""

    hits: dict[str, int] = field(default_factory=dict)
    bodies: dict[str, bytes] = field(default_factory=dict)


def _handler(behaviour: Behaviour) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def send(self, status: int, body: bytes = b"", **headers: str) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name.replace("_", "-"), value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            path = self.path
            behaviour.hits[path] = behaviour.hits.get(path, 0) + 1
            if path == "/etag.xml":
                if self.headers.get("If-None-Match") == ETAG:
                    return self.send(304, ETag=ETAG)
                return self.send(200, RSS, ETag=ETAG, Content_Type="application/rss+xml")
            if path == "/modified.xml":
                if self.headers.get("If-Modified-Since") == LAST_MODIFIED:
                    return self.send(304)
                return self.send(200, RSS, Last_Modified=LAST_MODIFIED)
            if path == "/stall.xml":
                time.sleep(3)
                return self.send(200, RSS)
            if path == "/error.xml":
                return self.send(500, b"oops")
            if path == "/busy.xml":
                return self.send(429, b"slow down", Retry_After="120")
            if path == "/gone.xml":
                return self.send(410, b"gone")
            if path == "/huge.xml":
                self.send_response(200)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                chunk = b"x" * 65536
                try:
                    for _ in range(50 * 1024 * 1024 // len(chunk)):
                        self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    self.wfile.write(b"0\r\n\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    pass
                return None
            if path == "/reset.xml":  # the connection torn down mid-response (TCP RST)
                self.send_response(200)
                self.send_header("Content-Length", str(len(RSS)))
                self.end_headers()
                self.wfile.write(RSS[:40])
                self.wfile.flush()
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.connection.close()
                return None
            if path == "/truncated.xml":  # promises more bytes than it sends, then hangs up
                self.send_response(200)
                self.send_header("Content-Length", str(len(RSS) + 1000))
                self.end_headers()
                self.wfile.write(RSS[: len(RSS) // 2])
                self.wfile.flush()
                self.close_connection = True
                return None
            if path == "/gzip.xml":
                if "gzip" not in self.headers.get("Accept-Encoding", ""):
                    return self.send(406, b"gzip only")
                return self.send(200, gzip.compress(RSS), Content_Encoding="gzip")
            if path == "/moved.xml":
                return self.send(301, Location="/moved-again.xml")
            if path == "/moved-again.xml":
                return self.send(308, Location="/etag.xml")
            if path == "/temporary.xml":
                return self.send(302, Location="/etag.xml")
            if path in {"/loop-a.xml", "/loop-b.xml"}:
                other = "/loop-b.xml" if path == "/loop-a.xml" else "/loop-a.xml"
                return self.send(302, Location=other)
            if path in behaviour.bodies:
                return self.send(200, behaviour.bodies[path])
            return self.send(404, b"not found")

    return Handler


@dataclass
class Server:
    base: str
    behaviour: Behaviour

    def url(self, path: str) -> str:
        return f"{self.base}/{path}"


@pytest.fixture
def server() -> Iterator[Server]:
    behaviour = Behaviour()
    httpd = LoopbackHTTPServer(("127.0.0.1", 0), _handler(behaviour))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{httpd.server_address[1]}", behaviour)
    finally:
        httpd.shutdown()
        httpd.server_close()


LIMITS = FetchLimits(concurrency=4, read_timeout=1.0, total_timeout=2.0, max_bytes=5 * 1024 * 1024)


def fetch(server: Server, path: str, validators: Validators | None = None):
    (result,) = fetch_many([(server.url(path), validators or Validators())], LIMITS)
    return result


def test_etag_then_304(server: Server) -> None:
    first = fetch(server, "etag.xml")
    assert first.status is FetchStatus.OK and first.body == RSS
    assert first.validators.etag == ETAG
    second = fetch(server, "etag.xml", first.validators)
    assert second.status is FetchStatus.NOT_MODIFIED and second.body is None


def test_last_modified_then_304(server: Server) -> None:
    first = fetch(server, "modified.xml")
    assert first.validators.last_modified == LAST_MODIFIED
    assert fetch(server, "modified.xml", first.validators).status is FetchStatus.NOT_MODIFIED


def test_stalling_server_times_out(server: Server) -> None:
    result = fetch(server, "stall.xml")
    assert result.status is FetchStatus.FAILED and "timed out" in (result.error or "")


def test_server_error_and_rate_limit(server: Server) -> None:
    error = fetch(server, "error.xml")
    assert (error.status, error.http_status, error.error) == (FetchStatus.FAILED, 500, "HTTP 500")
    busy = fetch(server, "busy.xml")
    assert busy.status is FetchStatus.FAILED and busy.http_status == 429
    assert busy.retry_after is not None
    # wall clock: Retry-After is counted from when the answer came, a moment ago.
    waited = busy.retry_after - datetime.now(UTC)
    assert timedelta(seconds=100) < waited <= timedelta(seconds=121)


def test_huge_body_is_aborted_at_the_cap(server: Server) -> None:
    result = fetch(server, "huge.xml")
    assert result.status is FetchStatus.FAILED
    assert "5,242,880-byte cap" in (result.error or "")


def test_reset_and_truncated_responses_fail_cleanly(server: Server) -> None:
    for path in ("reset.xml", "truncated.xml"):
        result = fetch(server, path)
        assert result.status is FetchStatus.FAILED and result.body is None, path
        assert result.error, path


def test_gzip_is_decoded(server: Server) -> None:
    result = fetch(server, "gzip.xml")
    assert result.status is FetchStatus.OK and result.body == RSS


def test_permanent_redirect_chain_reports_the_new_home(server: Server) -> None:
    result = fetch(server, "moved.xml")
    assert result.status is FetchStatus.OK and result.body == RSS
    assert result.moved_to == server.url("etag.xml")
    temporary = fetch(server, "temporary.xml")
    assert temporary.status is FetchStatus.OK and temporary.moved_to is None


def test_redirect_loop_is_cut(server: Server) -> None:
    result = fetch(server, "loop-a.xml")
    assert result.status is FetchStatus.FAILED and "redirects" in (result.error or "")


def test_gone(server: Server) -> None:
    result = fetch(server, "gone.xml")
    assert result.status is FetchStatus.GONE and "410" in (result.error or "")


def test_one_bad_feed_does_not_stop_the_others(server: Server) -> None:
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
    server: Server, settings: Settings, tmp_path: Path
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
    assert server.behaviour.hits["/error.xml"] == 1
    assert server.behaviour.hits["/gone.xml"] == 1
    # The moved feed is now fetched at its new home, without the redirects.
    assert server.behaviour.hits["/moved.xml"] == 1

    health = monitor.store.feed_rows()
    assert health["Broken"].consecutive_failures == 1 and health["Broken"].next_attempt is not None
    assert health["Moved"].url == server.url("etag.xml")
    assert health["Gone"].disabled
    assert health["Cached"].etag == ETAG and health["Cached"].items_seen == 5
