"""The two steps every scheduled message shares (a reader's digest, the operator's health
message): whether its slot is due, and putting the composed email in the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from vigil.schedule import Cadence
from vigil.store import Store


def due_slot(
    store: Store,
    recipient: str,
    cadence: Cadence,
    zone: ZoneInfo,
    now: datetime,
    first_seen: datetime,
) -> datetime | None:
    """The slot a scheduled message is due for now, or None: no schedule, a recipient first
    seen after the latest slot (they start with the next one), or a slot already handled."""
    slot = cadence.latest_slot(now, zone)
    if slot is None or slot < first_seen or store.slot_handled(recipient, slot):
        return None
    return slot


def enqueue_email(
    store: Store,
    email: EmailMessage,
    *,
    recipient: str,
    addresses: Sequence[str],
    subject: str,
    match_ids: Sequence[int],
    now: datetime,
    kind: str,
    slot: datetime | None = None,
) -> str | None:
    """Store ``email`` in the outbox with the claims on its matches (and its slot); its
    Message-ID, or None when a concurrent run claimed the matches or the slot first."""
    message_id = str(email["Message-ID"])
    stored = store.enqueue_message(
        message_id=message_id,
        recipients=list(addresses),
        subject=subject,
        raw=email.as_bytes(),
        match_ids=match_ids,
        created_at=now,
        recipient=recipient,
        kind=kind,
        slot=slot,
    )
    return None if stored is None else message_id
