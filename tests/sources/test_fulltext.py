"""Full text for teaser-only feeds: the article page is fetched and its main text extracted."""

from pathlib import Path

from vigil.monitor import Monitor
from vigil.pipeline import run_once
from vigil.settings import Settings

from tests.conftest import FeedServer, changed
from tests.support.loopback_http import Answer, LoopbackHTTP

PAGE = (
    "<html><head><title>Kremlin</title></head><body><nav>Home | World | Sport</nav><article>"
    "<h1>Kremlin rejects Erdogan's offer</h1>"
    + "<p>The Kremlin on Tuesday rejected Turkish President Recep Tayyip Erdogan's offer to "
    "mediate between Russia and Ukraine, spokesman Dmitry Peskov told reporters in Moscow.</p>"
    * 3
    + "<p>Peskov said the Normandy Format and the Minsk agreements remained the only basis.</p>"
    "</article><footer>Cookie policy | Subscribe</footer></body></html>"
)


def _feed(base: str) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        f"<item><title>Kremlin answers Ankara</title><link>{base}/story.html</link>"
        "<guid>urn:story</guid><description>Read more on our site.</description></item>"
        f"<item><title>Weather</title><link>{base}/missing.html</link><guid>urn:weather</guid>"
        "<description>Sunny.</description></item></channel></rss>"
    )


def test_teasers_are_replaced_by_the_page_text(
    settings: Settings, feed_server: FeedServer, tmp_path: Path
) -> None:
    (feed_server.root / "story.html").write_text(PAGE, encoding="utf-8")
    (feed_server.root / "teaser.xml").write_text(_feed(feed_server.base_url), encoding="utf-8")
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(
        f"feeds:\n  - name: Teasers\n    url: {feed_server.url('teaser.xml')}\n"
        "    full_text: true\n",
        encoding="utf-8",
    )
    # The test's pages are on loopback, which full text refuses unless it is configured.
    monitor = Monitor(changed(settings, feeds=feeds, articles="", full_text_private=True))
    summary = run_once(monitor)
    (source,) = summary.sources
    assert source.status == "read" and "1 article page(s) could not be fetched" in source.warning
    assert summary.matches_per_rule["mediation-rejected"] == 1
    assert summary.matches_per_rule["minsk-normandy"] == 1
    article = monitor.store.article(1)
    assert article is not None and "Peskov told reporters in Moscow" in article.body
    assert "Cookie policy" not in article.body and "Home | World" not in article.body
    # A second run fetches no page again: the articles are known.
    (feed_server.root / "story.html").unlink()
    again = run_once(monitor)
    assert again.sources[0].warning is None and again.new_items == 0


def test_full_text_goes_only_to_the_feeds_host_and_never_to_private_addresses(
    settings: Settings, feed_server: FeedServer, tmp_path: Path
) -> None:
    with LoopbackHTTP(fallback=Answer(PAGE.encode())) as internal:
        hits = internal.requests
        admin = internal.url("internal/admin")
        items = "".join(
            f"<item><title>Offer {n}</title><link>{admin}?id={n}</link><guid>urn:{n}</guid>"
            "<description>Read more.</description></item>"
            for n in range(2_000)
        )
        (feed_server.root / "ssrf.xml").write_text(
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}'
            "</channel></rss>",
            encoding="utf-8",
        )
        feeds = tmp_path / "feeds.yaml"
        feeds.write_text(
            f"feeds:\n  - name: Teasers\n    url: {feed_server.url('ssrf.xml')}\n"
            "    full_text: true\n",
            encoding="utf-8",
        )
        summary = run_once(Monitor(changed(settings, feeds=feeds, articles="")))
        # The links point at another port of loopback: another host than the feed's, and a
        # private address besides. Not one request reached it.
        assert hits == []
        (source,) = summary.sources
        assert "2000 link(s) not fetched" in (source.warning or "")
        # Even configured for private addresses, another host stays refused (a fresh store,
        # so that every item is new and asks for its page again).
        fresh = changed(
            settings,
            feeds=feeds,
            articles="",
            full_text_private=True,
            database_url=f"sqlite:///{tmp_path / 'fresh.db'}",
        )
        again = run_once(Monitor(fresh))
        assert again.new_items == 2_000 and hits == []


def test_a_page_policy_refuses_private_hosts_and_caps_the_pages() -> None:
    from vigil.sources.fulltext import PagePolicy

    policy = PagePolicy("https://feeds.example.org/rss", hosts=("www.example.org",))
    assert policy.refusal("https://evil.example/x") == "evil.example is not the feed's host"
    assert "loopback or private" in (
        PagePolicy("http://localhost/rss").refusal("http://localhost/admin") or ""
    )
    assert "loopback or private" in (
        PagePolicy("http://10.0.0.5/rss").refusal("http://10.0.0.5/admin") or ""
    )
    assert policy.refusal("file:///etc/passwd") == "not an http(s) link"
