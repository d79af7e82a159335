"""Transports are found, not listed: every module of vigil.deliver with ``from_settings``."""

from __future__ import annotations

from pathlib import Path

from vigil.deliver.maildir import MaildirTransport
from vigil.deliver.smtp import SmtpTransport
from vigil.deliver.transports import make_transport, transport_modules
from vigil.settings import Settings

from tests.conftest import changed


def test_every_transport_module_is_found_in_precedence_order() -> None:
    assert [name for _, name, _ in transport_modules()] == ["smtp", "maildir"]


def test_the_configured_transport_of_lowest_precedence_is_chosen(
    settings: Settings, tmp_path: Path
) -> None:
    assert isinstance(make_transport(settings), MaildirTransport)
    smtp = make_transport(changed(settings, smtp_host="mail.example.org"))
    assert isinstance(smtp, SmtpTransport) and smtp.host == "mail.example.org"
