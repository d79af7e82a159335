"""One loopback SMTP server for the tests: aiosmtpd's Controller on 127.0.0.1, plain, with
STARTTLS or TLS from the first byte (certificates from a trustme CA), with or without AUTH,
keeping every message it accepts (or refusing them, as a test asks).

    with running_smtp(starttls=make_tls_material(folder), auth=("user", "password")) as server:
        deliver(server.host, server.port)
    assert len(server.received) == 1
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword

from vigil.flows.server import free_port

HOST = "127.0.0.1"


@dataclass
class Received:
    envelope_from: str
    recipients: list[str]
    message: EmailMessage


@dataclass
class SmtpRecorder:
    """The aiosmtpd handler: keeps every accepted message, or answers with a chosen error."""

    received: list[Received] = field(default_factory=list)
    reject_with: str | None = None  # e.g. "550 5.7.1 rejected" or "451 4.3.0 try later"
    reject_once: str | None = None  # answered to the next DATA only, then accepted again
    # RCPT TO answers by address, e.g. {"gone@example.org": "550 5.1.1 no such user"}
    refuse_rcpt: dict[str, str] = field(default_factory=dict)
    connections: set[tuple[str, int]] = field(default_factory=set)  # client (host, port)s

    async def handle_RCPT(
        self, server: object, session: object, envelope: Envelope, address: str, options: list
    ) -> str:
        if address in self.refuse_rcpt:
            return self.refuse_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: object, session: Any, envelope: Envelope) -> str:
        self.connections.add(tuple(session.peer[:2]))
        if self.reject_once:
            reply, self.reject_once = self.reject_once, None
            return reply
        if self.reject_with:
            return self.reject_with
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 OK"


@dataclass
class SmtpServer:
    host: str
    port: int
    recorder: SmtpRecorder
    controller: Controller

    @property
    def received(self) -> list[Received]:
        return self.recorder.received


@dataclass
class TlsMaterial:
    ca_file: Path  # the test CA's certificate, for the client to trust
    server_context: ssl.SSLContext  # the server's certificate for 127.0.0.1 and localhost


def make_tls_material(folder: Path) -> TlsMaterial:
    """A fresh trustme CA, a server certificate from it, and the CA written into ``folder``."""
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert(HOST, "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    ca_file = folder / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return TlsMaterial(ca_file, context)


@contextlib.contextmanager
def running_smtp(
    *,
    starttls: TlsMaterial | None = None,
    implicit_tls: TlsMaterial | None = None,
    auth: tuple[str, str] | None = None,
    drops: int = 0,
    **options: Any,
) -> Iterator[SmtpServer]:
    """An SMTP server on loopback until the block ends.

    ``starttls``: STARTTLS required (and AUTH only over it); ``implicit_tls``: TLS from the
    first byte (port 465 style); ``auth``: (user, password) required; ``drops``: hang up in the
    middle of the first ``drops`` DATA commands; ``options``: aiosmtpd's own
    (``data_size_limit=...``).
    """
    if starttls is not None:
        options |= {
            "tls_context": starttls.server_context,
            "require_starttls": True,
            "auth_require_tls": True,
        }
    if implicit_tls is not None:
        # aiosmtpd only counts STARTTLS as TLS; here the whole connection is TLS already.
        options |= {"ssl_context": implicit_tls.server_context, "auth_require_tls": False}
    if auth is not None:
        options |= {"auth_required": True, "authenticator": _authenticator(*auth)}
    recorder = SmtpRecorder()
    port = free_port()
    controller = (
        _DroppingController(recorder, hostname=HOST, port=port, drops=drops, **options)
        if drops
        else Controller(recorder, hostname=HOST, port=port, **options)
    )
    controller.start()
    try:
        yield SmtpServer(HOST, port, recorder, controller)
    finally:
        controller.stop()


def _authenticator(user: str, password: str) -> Any:
    def check(
        server: object, session: object, envelope: object, mechanism: str, auth_data: object
    ) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (
            auth_data.login.decode(),
            auth_data.password.decode(),
        ) == (user, password)
        # handled=False: aiosmtpd then answers "535 credentials invalid" itself.
        return AuthResult(success=ok, handled=False)

    return check


class _DroppingSMTP(SMTP):
    """Hangs up in the middle of DATA, ``drops`` times, as a crashing relay would."""

    def __init__(self, *args: Any, drops: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._drops = drops

    async def smtp_DATA(self, arg: str) -> None:
        if self._drops[0] > 0 and self.envelope is not None and self.envelope.rcpt_tos:
            self._drops[0] -= 1
            await self.push("354 End data with <CR><LF>.<CR><LF>")
            await self._reader.readuntil(b"\r\n")  # the first line of the message
            self.transport.close()
            return
        await super().smtp_DATA(arg)


class _DroppingController(Controller):
    def __init__(self, *args: Any, drops: int = 1, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.drops = [drops]

    def factory(self) -> SMTP:
        return _DroppingSMTP(self.handler, drops=self.drops, **self.SMTP_kwargs)


@contextlib.contextmanager
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never says a word (a hung server)."""
    listener = socket.socket()
    listener.bind((HOST, 0))
    listener.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for connection in held:
            connection.close()
        listener.close()
