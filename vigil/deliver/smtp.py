"""SMTP delivery with aiosmtplib: STARTTLS, implicit TLS or plain, AUTH, one connection a run."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.utils import parseaddr
from pathlib import Path

import aiosmtplib

from vigil.errors import ConfigError, DeliveryError
from vigil.settings import Settings
from vigil.store import OutboxMessage

# Tried before the Maildir, the fallback (vigil.deliver.transports).
PRECEDENCE = 10


def from_settings(settings: Settings) -> SmtpTransport | None:
    """SMTP when ``VIGIL_SMTP_HOST`` is set.

    A password kept in a Prefect Secret block (``VIGIL_SMTP_PASSWORD_BLOCK``) is read by the
    flows, which pass it in ``settings``; the core never talks to Prefect.
    """
    if not settings.smtp_host:
        return None
    if settings.smtp_password_block and settings.smtp_password is None:
        raise ConfigError(
            f"VIGIL_SMTP_PASSWORD_BLOCK={settings.smtp_password_block}: the Secret block is read "
            "when vigil runs as a flow (vigil run, vigil serve); set VIGIL_SMTP_PASSWORD here"
        )
    return SmtpTransport(
        host=settings.smtp_host,
        port=settings.port,
        tls=settings.smtp_tls.value,
        username=settings.smtp_user,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        timeout=settings.smtp_timeout,
        ca_file=settings.smtp_ca_file,
    )


@dataclass(frozen=True)
class SmtpTransport:
    host: str
    port: int
    tls: str = "starttls"  # starttls | implicit | none
    username: str | None = None
    # Kept out of repr so the password never lands in a log line or a traceback.
    password: str | None = None
    timeout: float = 30.0
    ca_file: Path | None = None

    def __repr__(self) -> str:
        return f"SmtpTransport(host={self.host!r}, port={self.port}, tls={self.tls!r})"

    def describe(self) -> str:
        return f"SMTP {self.host}:{self.port} ({self.tls})"

    def send_all(self, batch: Sequence[OutboxMessage]) -> dict[int, DeliveryError | None]:
        """Send over one connection; the result maps outbox ids to None (accepted) or the error."""
        return asyncio.run(self._send_all(batch))

    async def _send_all(self, batch: Sequence[OutboxMessage]) -> dict[int, DeliveryError | None]:
        results: dict[int, DeliveryError | None] = {}
        client = aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            timeout=self.timeout,
            use_tls=self.tls == "implicit",
            start_tls=self.tls == "starttls",
            tls_context=self._tls_context(),
        )
        try:
            await client.connect()
            if self.username:
                await client.login(self.username, self.password or "")
        except Exception as exc:
            error = _classify(exc, self)
            return {message.id: error for message in batch}
        try:
            for message in batch:
                try:
                    refused, _ = await client.sendmail(
                        _sender(message), list(message.recipients), message.raw
                    )
                    results[message.id] = _partly_refused(refused, self) if refused else None
                except Exception as exc:
                    results[message.id] = _classify(exc, self)
                    if isinstance(exc, aiosmtplib.SMTPServerDisconnected | OSError):
                        for rest in batch:
                            results.setdefault(rest.id, _classify(exc, self))
                        break
        finally:
            if client.is_connected:
                try:
                    await client.quit()
                except aiosmtplib.SMTPException:
                    client.close()
        return results

    def _tls_context(self) -> ssl.SSLContext | None:
        if self.tls == "none":
            return None
        context = ssl.create_default_context()
        if self.ca_file:
            context.load_verify_locations(cafile=str(self.ca_file))
        return context


def _sender(message: OutboxMessage) -> str:
    """The envelope sender is the From address the message was composed with."""
    headers = BytesHeaderParser().parsebytes(message.raw)
    return parseaddr(headers.get("From", ""))[1]


def _partly_refused(
    refused: dict[str, aiosmtplib.SMTPResponse], transport: SmtpTransport
) -> DeliveryError:
    detail = "; ".join(
        f"{address}: {reply.code} {reply.message}" for address, reply in refused.items()
    )
    return DeliveryError(
        f"{transport.describe()}: accepted, but refused for {detail}", permanent=True, partial=True
    )


def _classify(exc: BaseException, transport: SmtpTransport) -> DeliveryError:
    """A 5xx reply is permanent; refused connections, time-outs and 4xx replies are retried."""
    where = transport.describe()
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [error.code for error in exc.recipients]
        permanent = all(code >= 500 for code in codes)
        detail = "; ".join(f"{e.recipient}: {e.code} {e.message}" for e in exc.recipients)
        return DeliveryError(f"{where}: recipients refused: {detail}", permanent=permanent)
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return DeliveryError(f"{where}: authentication failed ({exc.code})", permanent=False)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return DeliveryError(
            f"{where}: server replied {exc.code} {exc.message}",
            permanent=exc.code >= 500,
            refused_message=isinstance(exc, aiosmtplib.SMTPDataError) and exc.code >= 500,
        )
    if isinstance(exc, aiosmtplib.SMTPException | OSError | TimeoutError):
        return DeliveryError(f"{where}: {type(exc).__name__}: {exc}", permanent=False)
    return DeliveryError(f"{where}: unexpected {type(exc).__name__}: {exc}", permanent=False)
