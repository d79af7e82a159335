"""Exactly once against misbehaving mail servers: every server here is real, on loopback."""

from datetime import timedelta
from pathlib import Path

import pytest

from vigil.monitor import Monitor
from vigil.pipeline import run_once
from vigil.settings import Settings
from vigil.sources import read_article_folder
from vigil.store import Store

from tests.conftest import SEED, changed, write_recipients
from tests.support.smtp import SmtpServer

THREE_READERS = """\
recipients:
  - id: ankara
    email: ankara@example.org
    rules: [turkish-mediation]
    alerts: []
    digest: every run
  - id: kyiv
    email: kyiv@example.org
    rules: [bayraktar-tb2]
    alerts: []
    digest: every run
  - id: brussels
    email: [brussels@example.org, nato-desk@example.org]
    rules: [nato-red-lines, russia-warns-nato]
    alerts: []
    digest: every run
"""


def _monitor(settings: Settings, tmp_path: Path, port: int, **extra: object) -> Monitor:
    recipients = write_recipients(tmp_path / "recipients.yaml", THREE_READERS)
    return Monitor(
        changed(
            settings,
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_tls="none",
            recipients=recipients,
            **extra,
        )
    )


def _outbox_ids(store: Store) -> dict[str, str]:
    """Message-ID of each pending message, by recipient, as stored before any attempt."""
    due = store.due_messages(store.clock() + timedelta(days=365))
    return {message.recipient: message.message_id for message in due}


def test_one_connection_carries_every_recipient(
    settings: Settings, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    summary = run_once(_monitor(settings, tmp_path, smtp_server.port))
    assert summary.ok, summary.lines()
    assert sorted(r.recipients[0] for r in smtp_server.received) == [
        "ankara@example.org",
        "brussels@example.org",
        "kyiv@example.org",
    ]
    assert len(smtp_server.recorder.connections) == 1


def test_451_once_is_retried_with_the_same_message_id_and_delivered_once(
    settings: Settings, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    monitor = _monitor(settings, tmp_path, smtp_server.port)
    smtp_server.recorder.reject_once = "451 4.3.0 Greylisted, try again later"
    run_once(monitor)
    pending = _outbox_ids(monitor.store)
    assert len(pending) == 1  # the first message of the batch was greylisted
    ((reader, message_id),) = pending.items()
    report = monitor.deliver(ignore_backoff=True)
    assert len(report.sent) == 1 and report.ok
    copies = [r.message for r in smtp_server.received if r.message["Message-ID"] == message_id]
    assert len(copies) == 1 and copies[0]["X-Vigil-Recipient"] == reader
    assert len(smtp_server.received) == 3
    assert monitor.deliver(ignore_backoff=True).sent == []
    assert monitor.store.message_counts() == {"sent": 3}


def test_a_connection_dropped_during_data_is_retried_with_the_same_message_id(
    settings: Settings, tmp_path: Path, dropping_smtp_server: SmtpServer
) -> None:
    monitor = _monitor(settings, tmp_path, dropping_smtp_server.port)
    first = run_once(monitor)
    assert not first.ok and first.delivery.retrying
    assert dropping_smtp_server.received == []  # the drop ended the connection for the batch
    before = _outbox_ids(monitor.store)
    assert len(before) == 3
    report = monitor.deliver(ignore_backoff=True)
    assert len(report.sent) == 3
    delivered = {
        r.message["X-Vigil-Recipient"]: r.message["Message-ID"]
        for r in dropping_smtp_server.received
    }
    assert delivered == before
    assert monitor.deliver(ignore_backoff=True).sent == []


def test_550_for_one_recipient_does_not_hold_up_the_others(
    settings: Settings, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    smtp_server.recorder.refuse_rcpt["kyiv@example.org"] = "550 5.1.1 No such user"
    monitor = _monitor(settings, tmp_path, smtp_server.port)
    summary = run_once(monitor)
    assert not summary.ok
    (failure,) = summary.delivery.failed
    assert "kyiv@example.org: 550" in failure
    assert any("delivery FAILED" in line and "550" in line for line in summary.lines())
    assert sorted(r.recipients[0] for r in smtp_server.received) == [
        "ankara@example.org",
        "brussels@example.org",
    ]
    assert monitor.store.message_counts() == {"sent": 2, "failed": 1}
    # A permanent failure is not retried; the others are not sent again.
    assert monitor.deliver(ignore_backoff=True).sent == []
    assert len(smtp_server.received) == 2


def test_a_refused_address_in_a_shared_message_is_reported_and_not_resent(
    settings: Settings, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    smtp_server.recorder.refuse_rcpt["nato-desk@example.org"] = "550 5.1.1 No such user"
    monitor = _monitor(settings, tmp_path, smtp_server.port)
    summary = run_once(monitor)
    (brussels,) = [r for r in smtp_server.received if "brussels@example.org" in r.recipients]
    assert brussels.recipients == ["brussels@example.org"]
    assert any("nato-desk@example.org: 550" in line for line in summary.delivery.failed)
    assert monitor.store.message_counts() == {"sent": 3}
    assert monitor.deliver(ignore_backoff=True).sent == []
    assert len(smtp_server.received) == 3


def test_a_crash_between_accepted_and_marked_resends_the_same_message_id(
    settings: Settings, tmp_path: Path, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monitor = _monitor(settings, tmp_path, smtp_server.port)
    monitor.ingest("seed", read_article_folder(SEED))
    monitor.read_feeds(monitor.feeds())
    assert len(monitor.compose()) == 3
    stored = _outbox_ids(monitor.store)

    def crash(self: Store, pk: int, destination: str, **_: object) -> None:
        raise SystemExit("killed after the server said 250, before the store knew")

    monkeypatch.setattr(Store, "mark_sent", crash)
    with pytest.raises(SystemExit):
        monitor.deliver()
    assert len(smtp_server.received) == 3  # accepted by the server
    monkeypatch.undo()

    next_run = _monitor(settings, tmp_path, smtp_server.port)
    report = next_run.deliver()
    assert len(report.sent) == 3
    by_reader: dict[str, set[str]] = {}
    for received in smtp_server.received:
        by_reader.setdefault(received.message["X-Vigil-Recipient"], set()).add(
            received.message["Message-ID"]
        )
    # Each reader got the same message twice, with one Message-ID (mail clients fold them).
    assert by_reader == {reader: {message_id} for reader, message_id in stored.items()}
    assert next_run.store.message_counts() == {"sent": 3}
    assert next_run.deliver(ignore_backoff=True).sent == []
    assert next_run.compose() == []  # and the matches were not put in a new message


def test_a_hung_server_times_out_and_the_messages_wait(
    settings: Settings, tmp_path: Path, silent_smtp_port: int
) -> None:
    monitor = _monitor(settings, tmp_path, silent_smtp_port, smtp_timeout=1)
    summary = run_once(monitor)
    assert not summary.ok and len(summary.delivery.retrying) == 3
    assert "Timeout" in summary.delivery.retrying[0] or "timed out" in summary.delivery.retrying[0]
    assert monitor.store.message_counts() == {"pending": 3}
