from pathlib import Path

import pytest

from vigil.article import canonical_link
from vigil.errors import FileFormatError, SourceError
from vigil.sources import FeedSpec, load_feeds_file, parse_feed
from vigil.sources.fetch import FetchLimits, FetchStatus, Validators, fetch_many

from tests.conftest import EXAMPLES, FeedServer, write_feeds_file

DEMO = EXAMPLES / "feeds" / "demo.yaml"


def _demo_articles(name: str):
    spec = next(s for s in load_feeds_file(DEMO) if s.name == name)
    return parse_feed(Path(spec.url).read_bytes(), spec)


def test_demo_feeds_file_resolves_local_paths() -> None:
    specs = load_feeds_file(DEMO)
    assert [s.name for s in specs] == ["Daily Sabah", "The Kyiv Independent", "Meduza"]
    assert all(Path(s.url).is_file() for s in specs)


def test_rss_items_are_read_with_dates_links_and_plain_text() -> None:
    result = _demo_articles("Daily Sabah")
    assert result.warning is None
    assert len(result.articles) == 7
    by_title = {a.title: a for a in result.articles}
    mediation = by_title["Erdoğan says Türkiye ready to mediate between Russia and Ukraine"]
    assert mediation.published is not None and mediation.published.year == 2021
    assert "<" not in mediation.body and "act as a mediator" in mediation.body
    # One item has no pubDate: it is dated when first seen, and flagged.
    undated = [a for a in result.articles if a.date_missing]
    assert [a.title for a in undated] == [
        "Antalya hoteliers upbeat on winter season as European bookings return"
    ]


def test_atom_entries_are_read() -> None:
    result = _demo_articles("The Kyiv Independent")
    assert len(result.articles) == 6
    assert all(a.guid and a.guid.startswith(("tag:", "urn:")) for a in result.articles)
    assert all(a.published is not None and not a.date_missing for a in result.articles)


def test_hostile_html_never_reaches_the_text() -> None:
    result = _demo_articles("Meduza")
    bodies = " ".join(a.body for a in result.articles)
    assert "alert(1)" not in bodies and "<script" not in bodies and "<iframe" not in bodies
    titles = [a.title for a in result.articles]
    assert "Kremlin’s Peskov brushes off Erdoğan’s mediation offer on Ukraine" in titles


def test_tracking_parameters_do_not_change_identity() -> None:
    plain = "https://www.dailysabah.com/business/lira?id=3"
    tracked = "HTTPS://www.DailySabah.com/business/lira?utm_source=rss&id=3&fbclid=abc#top"
    assert canonical_link(plain) == canonical_link(tracked)


def test_fetch_over_http(feed_server: FeedServer) -> None:
    spec = FeedSpec(name="Meduza", url=feed_server.url("meduza.rss.xml"))
    (fetched,) = fetch_many([(spec.url, Validators())])
    assert fetched.status is FetchStatus.OK and fetched.body is not None
    result = parse_feed(fetched.body, spec)
    assert len(result.articles) == 5


def test_http_error_is_a_failed_fetch_with_its_status(feed_server: FeedServer) -> None:
    # The run names the feed with it ("FAILED Missing: HTTP 404"): see test_monitor.
    (fetched,) = fetch_many([(feed_server.url("missing.xml"), Validators())])
    assert (fetched.status, fetched.http_status, fetched.error) == (
        FetchStatus.FAILED,
        404,
        "HTTP 404",
    )


def test_unreachable_server_is_a_failed_fetch() -> None:
    (fetched,) = fetch_many(
        [("http://127.0.0.1:9/feed.xml", Validators())], FetchLimits(connect_timeout=2)
    )
    assert fetched.status is FetchStatus.FAILED
    assert (fetched.error or "").startswith("ConnectError")


def test_not_a_feed_is_rejected() -> None:
    spec = FeedSpec(name="HTML page", url="x")
    with pytest.raises(SourceError, match=r"HTML page: not a feed"):
        parse_feed(b"this is not xml at all {", spec)


def test_sloppy_feed_keeps_its_entries_and_warns() -> None:
    spec = FeedSpec(name="Sloppy", url="x")
    data = (
        b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>"
        b"<item><title>Kyiv &amp; Ankara &nbsp; talk</title><link>http://e/1</link></item>"
        b"</channel>"
    )
    result = parse_feed(data, spec)
    assert [a.title for a in result.articles] == ["Kyiv & Ankara talk"]
    assert result.warning


def test_feeds_file_errors_name_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(
        "feeds:\n  - name: A\n    url: a.xml\n  - name: B\n    ulr: b.xml\n", encoding="utf-8"
    )
    with pytest.raises(FileFormatError) as caught:
        load_feeds_file(path)
    text = "\n".join(caught.value.problems)
    assert f"{path}:5:5: feeds.1.ulr: unknown key 'ulr' (check its spelling)" in text
    assert f"{path}:4:5: feeds.1.url: required key is missing" in text


def test_feeds_file_rejects_duplicate_names(tmp_path: Path) -> None:
    path = write_feeds_file(tmp_path / "feeds.yaml", [("A", "a.xml"), ("A", "b.xml")])
    with pytest.raises(FileFormatError, match="feed names must be unique: A"):
        load_feeds_file(path)


def test_a_missing_local_feed_is_an_error_of_the_feeds_file(tmp_path: Path) -> None:
    (tmp_path / "here.xml").write_bytes((EXAMPLES / "feeds" / "meduza.rss.xml").read_bytes())
    (tmp_path / "a-folder.xml").mkdir()
    path = write_feeds_file(
        tmp_path / "feeds.yaml",
        [("Here", "here.xml"), ("Meduza EN", "meduza-en.xml"), ("Folder", "a-folder.xml")],
    )
    with pytest.raises(FileFormatError) as caught:
        load_feeds_file(path)
    missing, folder = caught.value.problems
    assert missing.startswith(f"{path}:") and ": feeds.1.url: Meduza EN: " in missing
    assert missing.endswith(f"{tmp_path / 'meduza-en.xml'} does not exist")
    assert ": feeds.2.url: Folder: " in folder and folder.endswith("is not a regular file")


def test_run_refuses_a_missing_local_feed_before_prefect_starts(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from vigil.cli import app

    path = write_feeds_file(tmp_path / "feeds.yaml", [("Meduza EN", "meduza-en.xml")])
    result = CliRunner().invoke(app, ["run", "--feeds", str(path)])
    assert result.exit_code == 2
    assert "Meduza EN" in result.output and "does not exist" in result.output
    assert "Prefect" not in result.output
