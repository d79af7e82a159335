"""A whole run without Prefect: feeds over real HTTP, rules, store, digest, Maildir."""

from pathlib import Path

from sqlalchemy import select

from vigil.monitor import Monitor
from vigil.pipeline import run_once
from vigil.rules import Matcher
from vigil.settings import Settings
from vigil.store.schema import feeds

from tests.conftest import FeedServer, changed, write_feeds_file


def test_feeds_over_http_and_a_broken_feed_does_not_stop_the_others(
    settings: Settings, feed_server: FeedServer, tmp_path: Path
) -> None:
    (feed_server.root / "garbage.xml").write_text("<html><body>Not a feed {", encoding="utf-8")
    feeds_file = write_feeds_file(
        tmp_path / "feeds.yaml",
        [
            ("Daily Sabah", feed_server.url("daily-sabah.rss.xml")),
            ("Missing", feed_server.url("nope.xml")),
            ("Garbage", feed_server.url("garbage.xml")),
            ("Meduza", feed_server.url("meduza.rss.xml")),
        ],
    )
    monitor = Monitor(changed(settings, feeds=feeds_file, articles=""))
    summary = run_once(monitor)
    assert not summary.ok
    assert [s.name for s in summary.failed_sources] == ["Missing", "Garbage"]
    assert summary.new_items == 7 + 5
    assert [m.kind for m in summary.composed] == ["digest"]
    assert len(summary.delivery.sent) == 1
    lines = "\n".join(summary.lines())
    assert "sources: 2 read, 0 unchanged, 2 failed" in lines
    assert "FAILED Missing: HTTP 404" in lines
    with monitor.store.engine.connect() as conn:
        health = {row.name: row for row in conn.execute(select(feeds))}
    assert health["Missing"].consecutive_failures == 1 and health["Missing"].last_success is None
    assert health["Meduza"].consecutive_failures == 0 and health["Meduza"].last_success is not None


def test_new_items_in_a_later_run_get_their_own_digest(
    settings: Settings, feed_server: FeedServer, tmp_path: Path
) -> None:
    feeds_file = write_feeds_file(
        tmp_path / "feeds.yaml", [("Meduza", feed_server.url("meduza.rss.xml"))]
    )
    monitor = Monitor(changed(settings, feeds=feeds_file, articles=""))
    first = run_once(monitor)
    assert first.composed[0].matches > 0
    # The outlet publishes one more on-topic item.
    path = feed_server.root / "meduza.rss.xml"
    extra = (
        "<item><title>Zakharova dismisses Ankara's Bayraktar assurances</title>"
        "<link>https://meduza.io/en/news/2021/12/06/bayraktar</link>"
        "<guid>https://meduza.io/en/news/2021/12/06/bayraktar</guid>"
        "<description>Russia says Turkish Bayraktar TB2 deliveries to Kyiv must stop.</description>"
        "</item>"
    )
    path.write_text(
        path.read_text(encoding="utf-8").replace("</channel>", extra + "</channel>"),
        encoding="utf-8",
    )
    second = run_once(monitor)
    assert second.new_items == 1
    assert second.matches_per_rule["bayraktar-tb2"] == 1
    assert second.composed[0].matches == sum(second.matches_per_rule.values())
    assert monitor.store.message_counts() == {"sent": 2}


def test_a_summary_says_what_this_run_did_not_running_totals() -> None:
    from vigil.pipeline import RunSummary, SourceOutcome

    # A digests or alerts run reads no source: no "sources: 0 read" line.
    outbox_only = RunSummary(outbox={"sent": 40})
    assert not any(line.startswith("sources:") for line in outbox_only.lines())
    # "outbox: 40 sent" was a running total printed by runs that sent nothing: gone. What
    # waits for a retry, or failed for good, is said.
    assert not any(line.startswith("outbox:") for line in outbox_only.lines())
    waiting = RunSummary(outbox={"sent": 40, "pending": 2, "failed": 1})
    assert "outbox: 2 pending, 1 failed (vigil digest outbox)" in waiting.lines()
    ingest = RunSummary(ingested=True, sources=[SourceOutcome("Meduza", new_items=3)])
    assert ingest.lines()[:2] == ["sources: 1 read, 0 unchanged, 0 failed", "new items: 3"]


class _RecordingMatcher(Matcher):
    """Records the size of each batch it is given; with ``poison``, fails on any batch that
    holds an article of that outlet (a fault one feed brings into its batch)."""

    def __init__(self, ruleset, poison=None):  # type: ignore[no-untyped-def]
        super().__init__(ruleset)
        self.calls: list[int] = []
        self.poison = poison

    def match_many(self, articles):  # type: ignore[no-untyped-def]
        self.calls.append(len(articles))
        if any(article.outlet == self.poison for article in articles):
            raise RuntimeError(f"the matcher choked on a {self.poison} item")
        return super().match_many(articles)


def _two_feeds(settings: Settings, feed_server: FeedServer, tmp_path: Path) -> Monitor:
    """A monitor of two feeds (7 and 5 items), fetched as one chunk."""
    feeds_file = write_feeds_file(
        tmp_path / "feeds.yaml",
        [
            ("Daily Sabah", feed_server.url("daily-sabah.rss.xml")),
            ("Meduza", feed_server.url("meduza.rss.xml")),
        ],
    )
    return Monitor(changed(settings, feeds=feeds_file, articles=""))


def test_a_chunk_of_feeds_is_matched_and_stored_as_one_batch(
    settings: Settings, feed_server: FeedServer, tmp_path: Path
) -> None:
    monitor = _two_feeds(settings, feed_server, tmp_path)
    monitor.matcher = recording = _RecordingMatcher(monitor.ruleset)
    summary = run_once(monitor)
    assert recording.calls == [7 + 5]  # both feeds' articles in one call
    assert {s.name: s.new_items for s in summary.sources} == {"Daily Sabah": 7, "Meduza": 5}
    assert sum(summary.matches_per_rule.values()) > 0


def test_a_feed_that_breaks_its_batch_fails_alone(
    settings: Settings, feed_server: FeedServer, tmp_path: Path
) -> None:
    monitor = _two_feeds(settings, feed_server, tmp_path)
    monitor.matcher = poisoned = _RecordingMatcher(monitor.ruleset, poison="Meduza")
    summary = run_once(monitor)
    by_name = {source.name: source for source in summary.sources}
    assert by_name["Daily Sabah"].status == "read" and by_name["Daily Sabah"].new_items == 7
    assert by_name["Meduza"].status == "failed"
    assert "the matcher choked on a Meduza item" in (by_name["Meduza"].error or "")
    assert poisoned.calls == [12, 7, 5]  # the batch, then each feed on its own
    with monitor.store.engine.connect() as conn:
        health = {row.name: row for row in conn.execute(select(feeds))}
    assert health["Meduza"].consecutive_failures == 1
    assert health["Daily Sabah"].consecutive_failures == 0
    # Nothing of Meduza was kept: the next run sees its items as new.
    assert monitor.store.counts()["items"] == 7
