"""Maildir delivery: what ``make run`` uses when no SMTP server is configured.

The file name is derived from the Message-ID, so delivering the same message twice (a crash
between writing it and recording it as sent) leaves one file, not two.
"""

from __future__ import annotations

import hashlib
import mailbox
import os
from collections.abc import Sequence
from pathlib import Path

from vigil.errors import DeliveryError
from vigil.settings import Settings
from vigil.store import OutboxMessage

# The fallback: chosen when no transport of lower precedence is configured.
PRECEDENCE = 100


def from_settings(settings: Settings) -> MaildirTransport:
    """The Maildir at ``$VIGIL_HOME/outbox`` (``VIGIL_OUTBOX``)."""
    return MaildirTransport(settings.outbox)


class MaildirTransport:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def describe(self) -> str:
        return f"Maildir {self.folder}"

    def send_all(self, batch: Sequence[OutboxMessage]) -> dict[int, DeliveryError | None]:
        """Deliver each message; the result maps outbox ids to None (done) or the error."""
        try:
            self.folder.parent.mkdir(parents=True, exist_ok=True)
            box = mailbox.Maildir(self.folder, create=True)
        except OSError as exc:
            error = DeliveryError(f"cannot open Maildir {self.folder}: {exc.strerror}")
            return {message.id: error for message in batch}
        results: dict[int, DeliveryError | None] = {}
        for message in batch:
            try:
                self._deliver(box, message)
                results[message.id] = None
            except OSError as exc:
                results[message.id] = DeliveryError(f"writing to {self.folder}: {exc.strerror}")
        return results

    def _deliver(self, box: mailbox.Maildir, message: OutboxMessage) -> None:
        key = maildir_key(message)
        box._refresh()  # type: ignore[attr-defined]  # re-read the folder: private, not in typeshed
        if key in box:
            return
        tmp = self.folder / "tmp" / key
        with open(tmp, "wb") as handle:
            handle.write(message.raw)
            handle.flush()
            os.fsync(handle.fileno())
        # The atomic step of Maildir delivery: a reader sees the whole message or nothing.
        os.replace(tmp, self.folder / "new" / key)


def maildir_key(message: OutboxMessage) -> str:
    """A Maildir unique name that is the same on every attempt for one message."""
    digest = hashlib.sha256(message.message_id.encode()).hexdigest()[:20]
    return f"{int(message.created_at.timestamp())}.V{digest}.vigil"
