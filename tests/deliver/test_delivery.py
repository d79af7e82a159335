"""Delivery against real servers: a Maildir on disk and aiosmtpd on loopback."""

import email
import email.policy
import logging
import mailbox
import re
from pathlib import Path

import pytest
import sqlalchemy

from vigil.flows.server import free_port
from vigil.monitor import Monitor
from vigil.pipeline import run_once
from vigil.settings import Settings

from tests.conftest import (
    SMTP_PASSWORD,
    SMTP_USER,
    changed,
    unstyled,
)
from tests.support.smtp import SmtpServer, TlsMaterial


def _maildir_messages(folder: Path) -> list[email.message.EmailMessage]:
    box = mailbox.Maildir(folder, create=False)
    return [
        email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
        for key in box.iterkeys()
    ]


def test_maildir_gets_one_digest_then_nothing(settings: Settings) -> None:
    monitor = Monitor(settings)
    first = run_once(monitor)
    assert first.ok and first.new_items == 19
    (message,) = _maildir_messages(settings.outbox)
    text = message.get_body(("plain",)).get_content()
    for title in (
        "Turkish mediation offers and peace efforts",
        "Bayraktar TB2 drones",
        "Minsk agreements and the Normandy Format",
    ):
        assert title in text
    assert "Why Putin rejected Erdogan's offer to mediate over Ukraine" in text
    second = run_once(monitor)
    assert second.new_items == 0 and second.composed == []
    assert len(_maildir_messages(settings.outbox)) == 1


def test_maildir_redelivery_of_the_same_message_is_a_no_op(settings: Settings) -> None:
    monitor = Monitor(settings)
    run_once(monitor)
    assert monitor.store.message_counts() == {"sent": 1}
    # A crash after the write but before 'sent' was recorded leaves the row pending.
    with monitor.store.engine.begin() as conn:
        conn.execute(sqlalchemy.text("update messages set status = 'pending'"))
    report = monitor.deliver()
    assert len(report.sent) == 1
    assert len(_maildir_messages(settings.outbox)) == 1


def _smtp_settings(settings: Settings, server: SmtpServer, **extra: object) -> Settings:
    return changed(settings, smtp_host=server.host, smtp_port=server.port, **extra)


def test_smtp_digest_arrives_as_mime_with_both_parts(
    settings: Settings, smtp_server: SmtpServer
) -> None:
    monitor = Monitor(_smtp_settings(settings, smtp_server, smtp_tls="none"))
    summary = run_once(monitor)
    assert summary.ok, summary.lines()
    (received,) = smtp_server.received
    assert received.envelope_from == "vigil@example.org"
    assert received.recipients == ["analyst@example.org"]
    message = received.message
    assert message.get_content_type() == "multipart/alternative"
    assert re.match(r"vigil: \d+ stories — ", message["Subject"])
    assert "Turkish mediation offers and peace efforts (" in message["Subject"]
    html = unstyled(message.get_body(("html",)).get_content())
    assert "<mark>Bayraktar TB2</mark>" in html
    assert "alert(1)" not in html
    # Nothing new: the second run sends nothing at all.
    assert run_once(monitor).delivery.sent == []
    assert len(smtp_server.received) == 1


def test_smtp_with_starttls_and_auth(
    settings: Settings,
    starttls_smtp_server: SmtpServer,
    tls_material: TlsMaterial,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    monitor = Monitor(
        _smtp_settings(
            settings,
            starttls_smtp_server,
            smtp_tls="starttls",
            smtp_user=SMTP_USER,
            smtp_password=SMTP_PASSWORD,
            smtp_ca_file=tls_material.ca_file,
        )
    )
    summary = run_once(monitor)
    assert summary.ok, summary.lines()
    assert len(starttls_smtp_server.received) == 1
    assert SMTP_PASSWORD not in caplog.text
    assert SMTP_PASSWORD not in "\n".join(summary.lines())
    assert SMTP_PASSWORD not in repr(monitor.transport)


def test_smtp_with_implicit_tls_and_auth(
    settings: Settings, implicit_tls_smtp_server: SmtpServer, tls_material: TlsMaterial
) -> None:
    monitor = Monitor(
        _smtp_settings(
            settings,
            implicit_tls_smtp_server,
            smtp_tls="implicit",
            smtp_user=SMTP_USER,
            smtp_password=SMTP_PASSWORD,
            smtp_ca_file=tls_material.ca_file,
        )
    )
    assert run_once(monitor).ok
    (received,) = implicit_tls_smtp_server.received
    assert received.message["Subject"].startswith("vigil: ")


def test_wrong_password_is_retried_later_and_not_logged(
    settings: Settings, starttls_smtp_server: SmtpServer, tls_material: TlsMaterial
) -> None:
    wrong = "wrong-Pa55word-also-secret"
    monitor = Monitor(
        _smtp_settings(
            settings,
            starttls_smtp_server,
            smtp_user=SMTP_USER,
            smtp_password=wrong,
            smtp_ca_file=tls_material.ca_file,
        )
    )
    summary = run_once(monitor)
    assert not summary.ok
    assert summary.delivery.retrying and "authentication failed" in summary.delivery.retrying[0]
    assert wrong not in "\n".join(summary.lines())
    assert starttls_smtp_server.received == []
    assert monitor.store.message_counts() == {"pending": 1}


def test_untrusted_certificate_is_refused(
    settings: Settings, starttls_smtp_server: SmtpServer
) -> None:
    monitor = Monitor(
        _smtp_settings(
            settings, starttls_smtp_server, smtp_user=SMTP_USER, smtp_password=SMTP_PASSWORD
        )
    )
    summary = run_once(monitor)
    assert summary.delivery.retrying and starttls_smtp_server.received == []


def test_server_down_keeps_the_message_and_sends_it_once_when_back(
    settings: Settings, smtp_server: SmtpServer
) -> None:
    down = changed(settings, smtp_host="127.0.0.1", smtp_port=free_port(), smtp_tls="none")
    first = run_once(Monitor(down))
    assert not first.ok and first.delivery.retrying
    up = Monitor(_smtp_settings(settings, smtp_server, smtp_tls="none"))
    # The backoff holds it until it is due; an in-run retry ignores the backoff.
    assert up.deliver().sent == []
    report = up.deliver(ignore_backoff=True)
    assert len(report.sent) == 1 and len(smtp_server.received) == 1
    assert up.deliver(ignore_backoff=True).sent == []
    assert len(smtp_server.received) == 1


def test_temporary_rejection_is_retried_permanent_is_recorded(
    settings: Settings, smtp_server: SmtpServer
) -> None:
    monitor = Monitor(_smtp_settings(settings, smtp_server, smtp_tls="none"))
    smtp_server.recorder.reject_with = "451 4.3.0 Try again later"
    summary = run_once(monitor)
    assert summary.delivery.retrying and "451" in summary.delivery.retrying[0]
    smtp_server.recorder.reject_with = "554 5.7.1 Rejected"
    report = monitor.deliver(ignore_backoff=True)
    assert report.failed and "554" in report.failed[0]
    assert monitor.store.message_counts() == {"failed": 1}
    smtp_server.recorder.reject_with = None
    assert monitor.deliver(ignore_backoff=True).sent == []
    assert smtp_server.received == []
