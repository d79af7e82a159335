"""What a run did, source by source: the summary every run logs and publishes."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum

from vigil.deliver import DeliveryReport
from vigil.digest import Composed


class SourceStatus(StrEnum):
    """How reading one source went this run."""

    READ = "read"
    UNCHANGED = "unchanged"  # 304 Not Modified
    FAILED = "failed"
    WAITING = "waiting"  # backing off after failures
    DISABLED = "disabled"  # 410 Gone
    DUPLICATE = "duplicate"  # another feed has the same URL: read once, as that one


@dataclass
class SourceOutcome:
    """How one source (a feed or an article folder) went."""

    name: str
    articles: int = 0
    new_items: int = 0
    changed_items: int = 0  # stored before under the same id, with new text now
    error: str | None = None
    warning: str | None = None
    status: SourceStatus = SourceStatus.READ

    @property
    def ok(self) -> bool:
        return self.status is not SourceStatus.FAILED


Ingested = tuple[list[SourceOutcome], Counter[str]]
"""What reading sources gives: each source's outcome, and the new matches per rule."""


@dataclass
class RunSummary:
    """What one run read, matched, composed and delivered: its log lines and artifacts."""

    sources: list[SourceOutcome] = field(default_factory=list)
    matches_per_rule: Counter[str] = field(default_factory=Counter)
    composed: list[Composed] = field(default_factory=list)
    delivery: DeliveryReport | None = None
    outbox: dict[str, int] = field(default_factory=dict)  # messages by status, after the run
    skipped: str | None = None  # why this run did nothing (another run holds the lock)
    ingested: bool = False  # this run read sources (the digests and alerts runs do not)
    compose_failures: list[str] = field(default_factory=list)  # readers left waiting

    @property
    def new_items(self) -> int:
        return sum(source.new_items for source in self.sources)

    @property
    def failed_sources(self) -> list[SourceOutcome]:
        return [source for source in self.sources if not source.ok]

    @property
    def ok(self) -> bool:
        """False when any source failed or any message could not be composed or delivered."""
        return (
            not self.failed_sources
            and not self.compose_failures
            and (self.delivery is None or self.delivery.ok)
        )

    def lines(self) -> list[str]:
        """The run summary as log lines, for people and for grep."""
        if self.skipped:
            return [f"skipped: {self.skipped}"]
        lines = self._ingest_lines() if self.ingested else []
        for message in self.composed:
            lines.append(f"{message.kind} for {message.recipient}: {message.subject}")
        lines.extend(f"composing FAILED for {line}" for line in self.compose_failures)
        if not self.composed and not self.compose_failures:
            lines.append("digest: nothing new to send")
        if self.delivery:
            for subject in self.delivery.sent:
                lines.append(f"delivered to {self.delivery.destination}: {subject}")
            lines.extend(f"delivery will be retried: {line}" for line in self.delivery.retrying)
            lines.extend(f"delivery FAILED: {line}" for line in self.delivery.failed)
        # What waits in the outbox after the run (not a running total of what was ever sent).
        waiting = [f"{self.outbox[s]} {s}" for s in ("pending", "failed") if self.outbox.get(s)]
        if waiting:
            lines.append(f"outbox: {', '.join(waiting)} (vigil digest outbox)")
        return lines

    def _ingest_lines(self) -> list[str]:
        counts = Counter(source.status for source in self.sources)
        always = (SourceStatus.READ, SourceStatus.UNCHANGED, SourceStatus.FAILED)
        parts = [f"{counts[status]} {status}" for status in always]
        parts += [f"{counts[s]} {s}" for s in SourceStatus if s not in always and counts[s]]
        lines = [f"sources: {', '.join(parts)}"]
        for source in self.sources:
            if source.error:
                lines.append(f"  FAILED {source.name}: {source.error}")
            elif source.warning:
                lines.append(f"  {source.status} {source.name}: {source.warning}")
        changed = sum(source.changed_items for source in self.sources)
        lines.append(f"new items: {self.new_items}" + (f" ({changed} changed)" if changed else ""))
        if self.matches_per_rule:
            per_rule = ", ".join(f"{rule} {n}" for rule, n in sorted(self.matches_per_rule.items()))
            lines.append(f"new matches: {sum(self.matches_per_rule.values())} ({per_rule})")
        else:
            lines.append("new matches: 0")
        return lines

    def table(self) -> list[dict[str, object]]:
        """The summary as rows, for a Prefect table artifact."""
        rows: list[dict[str, object]] = [
            {
                "what": "source",
                "name": s.name,
                "status": s.status,
                "count": s.new_items,
                "detail": s.error or s.warning or "",
            }
            for s in self.sources
        ]
        rows += [
            {"what": "rule", "name": rule, "status": "matched", "count": n, "detail": ""}
            for rule, n in sorted(self.matches_per_rule.items())
        ]
        rows += [
            {
                "what": str(m.kind),
                "name": m.recipient,
                "status": "composed",
                "count": m.matches,
                "detail": m.subject,
            }
            for m in self.composed
        ]
        rows += [
            {"what": "outbox", "name": status, "status": status, "count": n, "detail": ""}
            for status, n in sorted(self.outbox.items())
        ]
        return rows

    def as_json(self) -> dict[str, object]:
        """The summary as one JSON document, for ``vigil run --format json``."""
        delivery = self.delivery
        return {
            "ok": self.ok,
            "skipped": self.skipped,
            "sources": [
                {
                    "name": s.name,
                    "status": str(s.status),
                    "articles": s.articles,
                    "new_items": s.new_items,
                    "changed_items": s.changed_items,
                    "error": s.error,
                    "warning": s.warning,
                }
                for s in self.sources
            ],
            "new_items": self.new_items,
            "new_matches": dict(sorted(self.matches_per_rule.items())),
            "composed": [
                {
                    "kind": str(m.kind),
                    "recipient": m.recipient,
                    "subject": m.subject,
                    "message_id": m.message_id,
                    "matches": m.matches,
                }
                for m in self.composed
            ],
            "compose_failures": self.compose_failures,
            "delivery": None
            if delivery is None
            else {
                "destination": delivery.destination,
                "sent": delivery.sent,
                "retrying": delivery.retrying,
                "failed": delivery.failed,
            },
            "outbox": dict(sorted(self.outbox.items())),
        }
