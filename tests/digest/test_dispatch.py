"""Routing, alerts and scheduled digests, end to end through the store and a Maildir."""

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from vigil.clock import Clock
from vigil.monitor import Monitor
from vigil.pipeline import run_once
from vigil.settings import Settings
from vigil.sources import read_article_folder

from tests.conftest import (
    RULES,
    SEED,
    FeedServer,
    FrozenClock,
    changed,
    maildir_messages,
    write_feeds_file,
    write_recipients,
)

TWO_DESKS = """\
recipients:
  - id: mediation-desk
    email: mediation@example.org
    rules: [turkish-mediation, "mediation-*"]
    alerts: []
    digest: every run
  - id: drones-desk
    email: drones@example.org
    rules: [bayraktar-tb2, armed-drones-ukraine]
    alerts: []
    digest: every run
"""

SCHEDULED = """\
recipients:
  - id: desk
    name: Ankara desk
    email: desk@example.org
    timezone: Europe/Istanbul
    alerts: [high]
    digest: daily 08:00
  - id: quiet
    email: quiet@example.org
    timezone: America/New_York
    rules: [bayraktar-tb2]
    alerts: []
    digest: daily 08:00
    heartbeat: true
"""


def _monitor(settings: Settings, tmp_path: Path, recipients: str, clock: Clock) -> Monitor:
    path = write_recipients(tmp_path / "recipients.yaml", recipients)
    return Monitor(changed(settings, recipients=path), clock=clock)


def _ingest(monitor: Monitor) -> int:
    """Read the seed and the demo feeds, without composing anything."""
    _, per_rule = monitor.ingest("seed", read_article_folder(SEED))
    outcomes, more = monitor.read_feeds(monitor.feeds())
    assert all(outcome.ok for outcome in outcomes)
    return sum((per_rule + more).values())


def _by_recipient(folder: Path) -> dict[str, list]:
    found: dict[str, list] = {}
    for message in maildir_messages(folder):
        found.setdefault(message["X-Vigil-Recipient"], []).append(message)
    return found


def _text(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_each_recipient_gets_one_message_with_only_their_rules(
    settings: Settings, tmp_path: Path, clock: FrozenClock
) -> None:
    monitor = _monitor(settings, tmp_path, TWO_DESKS, clock)
    summary = run_once(monitor)
    assert summary.ok, summary.lines()
    sent = _by_recipient(settings.outbox)
    (mediation,) = sent["mediation-desk"]
    (drones,) = sent["drones-desk"]
    assert mediation["To"] == "mediation@example.org" and drones["To"] == "drones@example.org"
    assert "Turkish mediation offers" in _text(mediation)
    assert "Bayraktar TB2" not in mediation["Subject"] and "Bayraktar" not in _text(mediation)
    assert "Bayraktar TB2 drones" in _text(drones) and "mediation" not in drones["Subject"]
    # Rules neither desk follows reach nobody.
    assert "Minsk" not in _text(mediation) + _text(drones)
    # Nothing new: nothing more for anyone.
    assert run_once(monitor).composed == []
    assert len(maildir_messages(settings.outbox)) == 2


def test_one_match_reaches_every_recipient_who_follows_it(
    settings: Settings, tmp_path: Path, clock: FrozenClock
) -> None:
    both = TWO_DESKS.replace("rules: [bayraktar-tb2, armed-drones-ukraine]", "tags: [turkey]")
    monitor = _monitor(settings, tmp_path, both, clock)
    run_once(monitor)
    sent = _by_recipient(settings.outbox)
    # turkish-mediation carries the tag "turkey": both desks get it, once each.
    for desk in ("mediation-desk", "drones-desk"):
        (message,) = sent[desk]
        assert "Turkish mediation offers" in _text(message)


def test_high_severity_goes_out_at_once_the_rest_waits_for_the_local_time(
    settings: Settings, tmp_path: Path, clock: FrozenClock
) -> None:
    monitor = _monitor(settings, tmp_path, SCHEDULED, clock)
    assert _ingest(monitor) > 0
    now = clock()
    first = monitor.compose()
    # Alerts now (only high-severity rules); no digest: the recipient is new, and the first
    # 08:00 Istanbul slot after they were first seen has not come.
    assert [(m.recipient, m.kind) for m in first] == [("desk", "alert")]
    monitor.deliver()
    (alert,) = _by_recipient(settings.outbox)["desk"]
    assert alert["Subject"].startswith("vigil ALERT: ")
    assert "[high]" in _text(alert) and "[medium]" not in _text(alert)
    clock.advance(timedelta(minutes=5))
    assert monitor.compose() == []

    desk = monitor.recipients[0]
    slot = desk.cadence.next_slot(now, desk.zone)
    assert slot.astimezone(desk.zone).strftime("%H:%M") == "08:00"
    assert now < slot <= now + timedelta(days=1)
    clock.set(slot + timedelta(minutes=1))
    at_slot = monitor.compose()
    kinds = sorted((m.recipient, m.kind) for m in at_slot)
    assert ("desk", "digest") in kinds
    monitor.deliver()
    digests = [m for m in _by_recipient(settings.outbox)["desk"] if m["X-Vigil-Kind"] == "digest"]
    (digest,) = digests
    # The digest holds what the alert did not: medium rules only, dated in Istanbul time.
    assert "[medium]" in _text(digest) and "[high]" not in _text(digest)
    assert "+03" in _text(digest) and " UTC" not in _text(digest).split("Rules that fired")[0]
    # The same slot again (an overlapping or retried run): nothing.
    clock.advance(timedelta(minutes=1))
    assert monitor.compose() == []


def test_an_empty_slot_sends_nothing_unless_a_heartbeat_is_asked_for(
    settings: Settings, tmp_path: Path, clock: FrozenClock
) -> None:
    monitor = _monitor(settings, tmp_path, SCHEDULED, clock)
    now = clock()
    monitor.compose()  # both recipients first seen now
    _ingest(monitor)
    desk, quiet = monitor.recipients
    # Each reader's first slot (Istanbul's and New York's 08:00 come in either order, by the
    # hour): each gets a digest of what matched.
    for reader in sorted(monitor.recipients, key=lambda r: r.cadence.next_slot(now, r.zone)):
        clock.set(reader.cadence.next_slot(now, reader.zone) + timedelta(minutes=1))
        composed = {(m.recipient, m.kind) for m in monitor.compose()}
        assert (reader.id, "digest") in composed
    # A day later, once both readers' next slots have passed, nothing new has matched: "desk"
    # gets nothing, "quiet" a heartbeat.
    seconds = [r.cadence.next_slot(r.cadence.next_slot(now, r.zone), r.zone) for r in (desk, quiet)]
    assert all(now + timedelta(days=1) <= slot <= now + timedelta(days=2) for slot in seconds)
    clock.set(max(seconds) + timedelta(minutes=1))
    since = monitor.store.last_sent("quiet")  # quiet's first digest
    later = monitor.compose()
    assert [(m.recipient, m.kind) for m in later] == [("quiet", "heartbeat")]
    assert later[0].subject.startswith("vigil: nothing new since ")
    monitor.deliver()
    (heartbeat,) = [
        m for m in _by_recipient(settings.outbox)["quiet"] if m["X-Vigil-Kind"] == "heartbeat"
    ]
    assert "Nothing new matched your rules" in _text(heartbeat)
    # "since" quiet's first digest, in New York time (EST or EDT, as it was then).
    assert since is not None and since < clock()
    assert f"since {since.astimezone(quiet.zone):%d %b %Y %H:%M %Z}" in _text(heartbeat)


def test_a_new_recipient_does_not_get_the_whole_history(
    settings: Settings, tmp_path: Path, clock: FrozenClock
) -> None:
    monitor = _monitor(settings, tmp_path, TWO_DESKS, clock)
    _ingest(monitor)
    no_backlog = TWO_DESKS.replace(
        "    digest: every run\n", "    digest: every run\n    backlog_days: 0\n"
    )
    clock.advance(timedelta(seconds=1))
    later = _monitor(settings, tmp_path, no_backlog, clock)
    assert later.compose() == []
    # New recipients with the default one-day backlog get the same matches.
    renamed = TWO_DESKS.replace("id: mediation-desk", "id: new-desk")
    welcomed = _monitor(settings, tmp_path, renamed, clock).compose()
    assert sorted(m.recipient for m in welcomed) == ["drones-desk", "new-desk"]


def test_two_runs_composing_the_same_slot_store_one_digest(
    settings: Settings, tmp_path: Path, clock: FrozenClock
) -> None:
    one = _monitor(settings, tmp_path, SCHEDULED, clock)
    now = clock()
    one.compose()
    _ingest(one)
    other = Monitor(one.settings, clock=clock)  # a second run on the same store
    desk = one.recipients[0]
    slot = desk.cadence.next_slot(now, desk.zone) + timedelta(minutes=1)
    window = other.dispatcher.window(desk, slot)
    assert window.rest  # both runs see the same medium-severity matches waiting
    first = one.dispatcher.compose_for(desk, slot)
    second = other.dispatcher.compose_for(desk, slot)
    assert [m.kind for m in first] == ["alert", "digest"] and second == []
    assert one.store.message_counts() == {"pending": 2}


def test_a_run_that_loses_part_of_its_window_to_another_sends_the_rest_now(
    settings: Settings, clock: FrozenClock
) -> None:
    # Two ingest partitions composing side by side: the other stores its message with the
    # seed's matches between this run reading its window (seed and feeds) and storing its own.
    one = Monitor(settings, clock=clock)
    other = Monitor(settings, clock=clock)
    reader = one.recipients[0]  # the default reader: a digest every run
    _, seed_matches = one.ingest("seed", read_article_folder(SEED))
    seed_ids = [m.id for m in one.store.undelivered_matches(reader.id)]
    _, feed_matches = one.read_feeds(one.feeds())
    store_first = one.store.enqueue_message
    raced: list[int | None] = []

    def other_run_stores_first(**message: Any) -> int | None:
        if not raced:
            raced.append(
                other.store.enqueue_message(
                    **{**message, "message_id": "<other-run@test>", "match_ids": seed_ids}
                )
            )
        return store_first(**message)

    one.store.enqueue_message = other_run_stores_first  # type: ignore[method-assign]
    composed = one.dispatcher.compose_for(reader, clock())
    assert raced[0] is not None  # the other run's message holds the seed's matches
    assert [m.matches for m in composed] == [sum(feed_matches.values())]
    assert sum(seed_matches.values()) == len(seed_ids) > 0
    assert one.store.undelivered_matches(reader.id) == []  # nothing waits for a later run
    assert one.store.message_counts() == {"pending": 2}


@pytest.mark.parametrize("cadence", ["none"])
def test_alerts_only_recipients_get_no_digest(
    settings: Settings, tmp_path: Path, cadence: str, clock: FrozenClock
) -> None:
    text = SCHEDULED.replace(
        "    digest: daily 08:00\n  - id: quiet", f"    digest: {cadence}\n  - id: quiet"
    )
    monitor = _monitor(settings, tmp_path, text, clock)
    now = clock()
    monitor.compose()
    _ingest(monitor)
    desk = monitor.recipients[0]
    composed = monitor.dispatcher.compose_for(desk, now + timedelta(days=2))
    assert [m.kind for m in composed] == ["alert"]


def test_every_message_says_which_feeds_are_not_being_read_and_since_when(
    settings: Settings, tmp_path: Path, feed_server: FeedServer, clock: FrozenClock
) -> None:
    feeds = write_feeds_file(
        tmp_path / "feeds.yaml",
        [
            ("Meduza", feed_server.url("meduza.rss.xml")),
            ("Daily Sabah", feed_server.url("daily-sabah.rss.xml")),
            ("Kyiv Independent", feed_server.url("kyiv-independent.atom.xml")),
        ],
    )
    alerts_only = (
        "recipients:\n  - id: duty\n    email: duty@example.org\n    alerts: [high]\n"
        "    digest: none\n  - id: desk\n    email: desk@example.org\n    alerts: []\n"
        "    digest: every run\n"
    )
    path = write_recipients(tmp_path / "recipients.yaml", alerts_only)
    monitor = Monitor(changed(settings, feeds=feeds, recipients=path, articles=""), clock=clock)
    run_once(monitor)  # all three read: nothing to report
    before = {m["Message-ID"] for m in maildir_messages(settings.outbox)}
    assert before and "not read" not in "".join(_text(m) for m in maildir_messages(settings.outbox))
    healthy_until = clock()
    # Two of the three go away; one of them comes back with new items for the readers.
    (feed_server.root / "daily-sabah.rss.xml").unlink()
    (feed_server.root / "kyiv-independent.atom.xml").unlink()
    meduza = feed_server.root / "meduza.rss.xml"
    meduza.write_text(
        meduza.read_text(encoding="utf-8").replace(
            "<item>",
            "<item><title>Erdogan offers to mediate between Moscow and Kyiv again</title>"
            "<link>https://meduza.example/again</link><description>Turkey offers to host "
            "talks.</description></item><item>",
            1,
        ),
        encoding="utf-8",
    )
    clock.advance(timedelta(hours=1))
    summary = run_once(monitor)
    assert [s.name for s in summary.failed_sources] == ["Daily Sabah", "Kyiv Independent"]
    by_kind = {m.kind: m for m in summary.composed}
    assert set(by_kind) == {"alert", "digest"}  # duty's alert, desk's digest
    messages = [m for m in maildir_messages(settings.outbox) if m["Message-ID"] not in before]
    assert {m["X-Vigil-Recipient"] for m in messages} == {"duty", "desk"}
    since = healthy_until.strftime("%d %b %Y %H:%M")
    for message in messages:
        text = _text(message)
        head = text.split("\n\n", 3)[:3]
        line = next((part for part in head if "not read" in part), text[:800])
        assert line.startswith("2 feeds not read, so their news is missing here: ")
        assert f"Daily Sabah (failing, nothing since {since} UTC: HTTP 404)" in line
        assert f"Kyiv Independent (failing, nothing since {since} UTC: HTTP 404)" in line
        assert "Meduza" not in line
        html = message.get_body(("html",)).get_content()
        assert "2 feeds not read" in html.split("<h2")[0]


def test_the_default_layout_orders_stories_newest_first_and_says_where_they_come_from(
    settings: Settings, clock: FrozenClock
) -> None:
    monitor = Monitor(settings, clock=clock)
    summary = run_once(monitor)
    (message,) = maildir_messages(settings.outbox)
    text, html = _text(message), message.get_body(("html",)).get_content()
    # The subject and the body count the same thing.
    assert len(summary.composed) == 1
    stories = int(text.split("\n\n")[1].split(" ")[0])
    assert message["Subject"].startswith(f"vigil: {stories} stories — ")
    assert "newest first under each rule" in text
    # Newest first within every rule section.
    for section in text.split("=" * 72)[2::2]:
        dates = [
            datetime.strptime(line.split(" · ", 1)[1][:17], "%d %b %Y %H:%M")
            for line in section.splitlines()
            if line.startswith("  ") and " · " in line
        ]
        assert dates == sorted(dates, reverse=True), section
    # The seed article has no link: the digest says which file it came from, and dates it
    # when vigil first saw it (the pinned clock), not by the file.
    assert "No link: from the article file 000_d559b906ddc29fbf.txt (articles)" in text
    first_seen = clock().strftime("%d %b %Y %H:%M")
    assert f"articles · {first_seen} UTC (first seen; the source gave no date)" in text
    # Rule names and files, never a path on the server.
    assert str(RULES) not in text and str(RULES) not in html
    assert "turkish-mediation: mediation.yaml:4" in text
    assert "vigil digest for analyst@example.org" in html
