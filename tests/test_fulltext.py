"""Full text for teaser-only feeds: the article page is fetched and its main text extracted."""

from pathlib import Path

from vigil.monitor import Monitor
from vigil.settings import Settings

from .conftest import FeedServer, changed

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
    monitor = Monitor(changed(settings, feeds=feeds, articles=""))
    summary = monitor.run()
    (source,) = summary.sources
    assert source.status == "read" and "1 article page(s) could not be fetched" in source.warning
    assert summary.matches_per_rule["mediation-rejected"] == 1
    assert summary.matches_per_rule["minsk-normandy"] == 1
    article = monitor.store.article(1)
    assert article is not None and "Peskov told reporters in Moscow" in article.body
    assert "Cookie policy" not in article.body and "Home | World" not in article.body
    # A second run fetches no page again: the articles are known.
    (feed_server.root / "story.html").unlink()
    again = monitor.run()
    assert again.sources[0].warning is None and again.new_items == 0
