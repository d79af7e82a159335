"""Which transport a run delivers with: the one place that turns settings into a transport,
so a new transport is a module of its own here and one branch below."""

from __future__ import annotations

from vigil.deliver.maildir import MaildirTransport
from vigil.deliver.outbox import Transport
from vigil.deliver.smtp import SmtpTransport
from vigil.errors import ConfigError
from vigil.settings import Settings


def make_transport(settings: Settings) -> Transport:
    """SMTP when ``VIGIL_SMTP_HOST`` is set, else the Maildir at ``$VIGIL_HOME/outbox``.

    A password kept in a Prefect Secret block (``VIGIL_SMTP_PASSWORD_BLOCK``) is read by the
    flows, which pass it in ``settings``; the core never talks to Prefect.
    """
    if settings.smtp_host and settings.smtp_password_block and settings.smtp_password is None:
        raise ConfigError(
            f"VIGIL_SMTP_PASSWORD_BLOCK={settings.smtp_password_block}: the Secret block is read "
            "when vigil runs as a flow (vigil run, vigil serve); set VIGIL_SMTP_PASSWORD here"
        )
    if settings.smtp_host:
        return SmtpTransport(
            host=settings.smtp_host,
            port=settings.port,
            tls=settings.smtp_tls.value,
            username=settings.smtp_user,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            timeout=settings.smtp_timeout,
            ca_file=settings.smtp_ca_file,
        )
    return MaildirTransport(settings.outbox)
