"""The outbox: composed messages, which matches each carried to whom, and schedule slots.

A message and the claims on its matches are stored in one transaction, so a match is in
exactly one message per reader; when it is retried is the caller's decision (delivery's
policy), the store only records it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Select, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from vigil.clock import Clock
from vigil.store.engine import insert_ignoring_conflicts
from vigil.store.rows import MessageRow, OutboxMessage
from vigil.store.schema import deliveries, messages, recipients, schedule_slots


class Outbox:
    """Messages, deliveries, recipients and schedule slots."""

    engine: Engine
    clock: Clock

    def register_recipient(self, recipient: str, now: datetime | None = None) -> datetime:
        """When the store first saw ``recipient`` (recorded now if never)."""
        now = now or self.clock()
        with self.engine.begin() as conn:
            insert = insert_ignoring_conflicts(self.engine.dialect.name, recipients)
            conn.execute(insert.values(id=recipient, first_seen=now))
            first: datetime = conn.execute(
                select(recipients.c.first_seen).where(recipients.c.id == recipient)
            ).scalar_one()
            return first

    def first_seen(self, recipient: str) -> datetime | None:
        with self.engine.connect() as conn:
            first: datetime | None = conn.execute(
                select(recipients.c.first_seen).where(recipients.c.id == recipient)
            ).scalar()
            return first

    def slot_handled(self, recipient: str, slot: datetime) -> bool:
        with self.engine.connect() as conn:
            found = conn.execute(
                select(schedule_slots.c.slot).where(
                    schedule_slots.c.recipient == recipient, schedule_slots.c.slot == slot
                )
            ).first()
        return found is not None

    def mark_slot(self, recipient: str, slot: datetime) -> bool:
        """Record a slot as handled with nothing to send; False when it already was."""
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    schedule_slots.insert().values(
                        recipient=recipient, slot=slot, handled_at=self.clock()
                    )
                )
            return True
        except IntegrityError:
            return False

    def last_sent(self, recipient: str) -> datetime | None:
        """When the latest message to ``recipient`` was composed: a heartbeat's "since"."""
        query = select(func.max(messages.c.created_at)).where(messages.c.recipient == recipient)
        with self.engine.connect() as conn:
            # max() keeps the column's type, so the value comes back as an aware datetime.
            last: datetime | None = conn.execute(query).scalar()
            return last

    def enqueue_message(
        self,
        *,
        message_id: str,
        recipients: Sequence[str],
        subject: str,
        raw: bytes,
        match_ids: Sequence[int],
        created_at: datetime,
        recipient: str = "default",
        kind: str = "digest",
        slot: datetime | None = None,
    ) -> int | None:
        """Store a composed message and claim its matches for ``recipient``, in one transaction.

        With ``slot``, the scheduled slot is recorded in the same transaction. Returns None,
        storing nothing, when another run claimed any of the matches, or the slot, first.
        """
        try:
            with self.engine.begin() as conn:
                pk: int = conn.execute(
                    messages.insert()
                    .values(
                        message_id=message_id,
                        recipient=recipient,
                        kind=kind,
                        recipients=list(recipients),
                        subject=subject,
                        raw=raw,
                        status="pending",
                        attempts=0,
                        created_at=created_at,
                        next_attempt_at=created_at,
                    )
                    .returning(messages.c.id)
                ).scalar_one()
                for start in range(0, len(match_ids), 5000):
                    conn.execute(
                        deliveries.insert(),
                        [
                            {"message_pk": pk, "match_id": m, "recipient": recipient}
                            for m in match_ids[start : start + 5000]
                        ],
                    )
                if slot is not None:
                    conn.execute(
                        schedule_slots.insert().values(
                            recipient=recipient, slot=slot, message_pk=pk, handled_at=created_at
                        )
                    )
                return pk
        except IntegrityError:
            return None

    def due_messages(self, now: datetime | None = None) -> list[OutboxMessage]:
        """Pending messages whose next attempt is due, oldest first."""
        query = (
            select(messages)
            .where(
                messages.c.status == "pending", messages.c.next_attempt_at <= (now or self.clock())
            )
            .order_by(messages.c.id)
        )
        with self.engine.connect() as conn:
            return [
                OutboxMessage(
                    id=row.id,
                    message_id=row.message_id,
                    recipients=tuple(row.recipients),
                    subject=row.subject,
                    raw=row.raw,
                    attempts=row.attempts,
                    created_at=row.created_at,
                    recipient=row.recipient,
                    kind=row.kind,
                )
                for row in conn.execute(query)
            ]

    def mark_sent(self, pk: int, destination: str, *, note: str | None = None) -> None:
        """Record acceptance; ``note`` keeps what the server refused of a partly accepted one."""
        with self.engine.begin() as conn:
            conn.execute(
                update(messages)
                .where(messages.c.id == pk)
                .values(
                    status="sent",
                    sent_at=self.clock(),
                    destination=destination,
                    attempts=messages.c.attempts + 1,
                    last_error=note[:2000] if note else None,
                )
            )

    def mark_failed(self, pk: int, error: str, *, retry_at: datetime | None) -> None:
        """Record a failed attempt: pending again until ``retry_at``, or failed for good when
        it is None (a permanent failure)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(messages)
                .where(messages.c.id == pk)
                .values(
                    status="pending" if retry_at else "failed",
                    attempts=messages.c.attempts + 1,
                    last_error=error[:2000],
                    next_attempt_at=retry_at or self.clock(),
                )
            )

    def release_message(self, pk: int) -> int:
        """Give the matches a refused message carried back to its reader's next message."""
        with self.engine.begin() as conn:
            released: int = conn.execute(
                delete(deliveries).where(deliveries.c.message_pk == pk)
            ).rowcount
            return released

    def message_counts(self) -> dict[str, int]:
        query = select(messages.c.status, func.count()).group_by(messages.c.status)
        with self.engine.connect() as conn:
            return {status: count for status, count in conn.execute(query)}

    def recent_messages(self, limit: int = 50) -> list[MessageRow]:
        """The newest outbox rows, for ``vigil digest outbox``."""
        query = _message_rows().order_by(messages.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [MessageRow(*row) for row in conn.execute(query)]

    def undelivered_messages(self, since: datetime, *, besides: str) -> list[MessageRow]:
        """Messages since ``since`` that failed for good, or failed and wait for a retry,
        oldest first; ``besides`` leaves one reader's out (the health message's own)."""
        query = (
            _message_rows()
            .where(
                (messages.c.status == "failed")
                | ((messages.c.status == "pending") & (messages.c.attempts > 0))
            )
            .where(messages.c.created_at >= since, messages.c.recipient != besides)
            .order_by(messages.c.id)
        )
        with self.engine.connect() as conn:
            return [MessageRow(*row) for row in conn.execute(query)]


def _message_rows() -> Select[Any]:
    return select(
        messages.c.id,
        messages.c.recipient,
        messages.c.kind,
        messages.c.subject,
        messages.c.status,
        messages.c.attempts,
        messages.c.created_at,
        messages.c.sent_at,
        messages.c.next_attempt_at,
        messages.c.last_error,
    )
