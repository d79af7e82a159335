"""Routing, alerts and scheduled digests, end to end through the store and a Maildir."""

from datetime import timedelta
from pathlib import Path

import pytest

from vigil.clock import Clock
from vigil.monitor import Monitor
from vigil.settings import Settings
from vigil.sources import read_article_folder

from .conftest import SEED, FrozenClock, changed, maildir_messages, write_recipients

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
    summary = monitor.run()
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
    assert monitor.run().composed == []
    assert len(maildir_messages(settings.outbox)) == 2


def test_one_match_reaches_every_recipient_who_follows_it(
    settings: Settings, tmp_path: Path, clock: FrozenClock
) -> None:
    both = TWO_DESKS.replace("rules: [bayraktar-tb2, armed-drones-ukraine]", "tags: [turkey]")
    monitor = _monitor(settings, tmp_path, both, clock)
    monitor.run()
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
