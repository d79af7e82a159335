"""The operator's health message: feeds failing or dead, rules that never fired, messages that
could not be delivered. Off unless ``VIGIL_HEALTH_TO`` is set; weekly by default.

It rides on the digest machinery: a schedule slot in the store (sent once per slot, however
many runs overlap), the outbox, and the same delivery with its retries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from vigil.digest.compose import Kind
from vigil.digest.dispatch import Composed
from vigil.digest.outbox_entry import due_slot, enqueue_email
from vigil.digest.render import DigestRenderer
from vigil.digest.sanitise import clean_text
from vigil.rules.model import RuleSet
from vigil.schedule import Cadence
from vigil.settings import Settings
from vigil.sources.feed_state import FeedCondition, condition
from vigil.store import FeedRow, MessageRow, Store

OPERATOR = "operator-health"


@dataclass
class HealthReport:
    generated_at: datetime
    since: datetime
    zone: ZoneInfo
    feeds_failing: list[FeedRow] = field(default_factory=list)
    feeds_disabled: list[FeedRow] = field(default_factory=list)
    rules_silent: list[tuple[str, str, datetime | None]] = field(default_factory=list)
    undelivered: list[MessageRow] = field(default_factory=list)

    @property
    def problems(self) -> int:
        return (
            len(self.feeds_failing)
            + len(self.feeds_disabled)
            + len(self.rules_silent)
            + len(self.undelivered)
        )

    @property
    def subject(self) -> str:
        if not self.problems:
            return "vigil health: all well"
        parts = [
            f"{len(self.feeds_failing)} feed(s) failing" if self.feeds_failing else "",
            f"{len(self.feeds_disabled)} dead" if self.feeds_disabled else "",
            f"{len(self.rules_silent)} silent rule(s)" if self.rules_silent else "",
            f"{len(self.undelivered)} undelivered" if self.undelivered else "",
        ]
        return "vigil health: " + ", ".join(part for part in parts if part)


def build_health(
    store: Store, ruleset: RuleSet, now: datetime, zone: ZoneInfo, period: timedelta
) -> HealthReport:
    since = now - period
    report = HealthReport(now, since, zone)
    for row in sorted(store.feed_rows().values(), key=lambda r: (-r.consecutive_failures, r.name)):
        state = condition(row)
        if state is FeedCondition.DISABLED:
            report.feeds_disabled.append(row)
        elif state is FeedCondition.FAILING:
            report.feeds_failing.append(row)
    _, recent, _ = store.rule_activity(since)
    _, ever, _ = store.rule_activity(None)
    for rule in ruleset.rules:
        if rule.id not in recent:
            last = ever[rule.id].last if rule.id in ever else None
            report.rules_silent.append((rule.id, clean_text(rule.title), last))
    report.undelivered = store.undelivered_messages(since, besides=OPERATOR)
    return report


def compose_health(
    store: Store, ruleset: RuleSet, renderer: DigestRenderer, settings: Settings, now: datetime
) -> list[Composed]:
    """Put the health message in the outbox when its slot is due (once per slot)."""
    if not settings.health_to:
        return []
    cadence = Cadence.parse(settings.health_schedule)
    zone = ZoneInfo(settings.health_timezone)
    first_seen = store.register_recipient(OPERATOR, now)
    slot = due_slot(store, OPERATOR, cadence, zone, now, first_seen)
    if slot is None:
        return []
    period = timedelta(days=7 if cadence.every.value == "week" else 1)
    report = build_health(store, ruleset, now, zone, period)
    email = renderer.compose_health(
        report, sender=settings.mail_from, recipients=settings.health_to
    )
    message_id = enqueue_email(
        store,
        email,
        recipient=OPERATOR,
        addresses=settings.health_to,
        subject=report.subject,
        match_ids=[],
        now=now,
        kind=str(Kind.HEALTH),
        slot=slot,
    )
    if message_id is None:
        return []
    text = renderer.render_health_text(report)
    return [Composed(OPERATOR, Kind.HEALTH, report.subject, message_id, 0, f"```\n{text}\n```")]
