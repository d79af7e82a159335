"""Drain the outbox: send what is due, record each outcome. Never loses, never sends twice.

A message is marked sent only after the transport accepted it; a crash in between resends the
same bytes with the same Message-ID next time (and the Maildir transport skips it outright).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from vigil.clock import MINUTE_FORMAT
from vigil.errors import DeliveryError
from vigil.store import OutboxMessage, Store

FAR_FUTURE = timedelta(days=365 * 100)


class Transport(Protocol):
    def describe(self) -> str: ...

    def send_all(self, batch: list[OutboxMessage]) -> dict[int, DeliveryError | None]: ...


@dataclass
class DeliveryReport:
    destination: str
    sent: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.retrying and not self.failed


def retry_delay(attempt: int) -> timedelta:
    """Exponential backoff for delivery: 1, 2, 4 … minutes, at most six hours."""
    return timedelta(minutes=min(2 ** max(attempt - 1, 0), 360))


def deliver_due(
    store: Store, transport: Transport, *, ignore_backoff: bool = False
) -> DeliveryReport:
    """Send every due outbox message through ``transport`` and record the outcomes.

    ``ignore_backoff`` also sends pending messages whose next attempt is not due yet: for an
    in-run retry right after a temporary failure.
    """
    report = DeliveryReport(transport.describe())
    batch = store.due_messages(None if not ignore_backoff else store.clock() + FAR_FUTURE)
    if not batch:
        return report
    results = transport.send_all(batch)
    for message in batch:
        error = results.get(message.id, DeliveryError("no result from transport"))
        if error is None or error.partial:
            store.mark_sent(message.id, transport.describe(), note=str(error) if error else None)
            report.sent.append(message.subject)
            if error is not None:
                report.failed.append(f"{message.message_id}: {error}")
            continue
        retry_at = None if error.permanent else store.clock() + retry_delay(message.attempts + 1)
        store.mark_failed(message.id, str(error), retry_at=retry_at)
        # One line per message: who it was for, where it went, why it failed, what next.
        line = f"{message.kind} for {message.recipient} via {report.destination}: {error}"
        if retry_at is None and error.refused_message:
            released = store.release_message(message.id)
            report.failed.append(
                f"{line}; not retried ({message.message_id}); its {released} match(es) go in "
                "the next message"
            )
        elif retry_at is None:
            report.failed.append(f"{line}; not retried ({message.message_id})")
        else:
            report.retrying.append(f"{line}; next try {retry_at:{MINUTE_FORMAT}} UTC")
    return report
