"""``vigil rules stats``: which rules work, which are noisy, which never fire, and how precise
the analysts' labels (``vigil matches label``) say each one is."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from vigil.rules.model import RuleSet
from vigil.store import LabelCounts, Store

SPARK = "▁▂▃▄▅▆▇█"
NOISY_SHARE = 0.3  # a rule matching more than this share of the items is flagged noisy


@dataclass
class RuleStats:
    rule_id: str
    title: str
    severity: str
    hits: int
    items_hit: int
    share: float  # of the window's items
    per_day: float
    per_week: float
    last_hit: datetime | None
    daily: dict[str, int] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)
    # Analysts' labels of the window's items: matches judged relevant or irrelevant, items the
    # rule missed; precision = relevant / (relevant + irrelevant), None without such labels.
    relevant: int = 0
    irrelevant: int = 0
    missed: int = 0
    precision: float | None = None

    def precision_text(self) -> str:
        """``0.83 (6)``: the measured precision and how many labels it rests on; ``–`` none."""
        if self.precision is None:
            return "–"
        return f"{self.precision:.2f} ({self.relevant + self.irrelevant})"

    def spark(self, days: list[str]) -> str:
        counts = [self.daily.get(day, 0) for day in days]
        top = max(counts, default=0)
        if top == 0:
            return " " * len(days)
        return "".join(SPARK[min(7, count * 8 // (top + 1))] if count else " " for count in counts)

    def as_json(self) -> dict[str, object]:
        data = asdict(self)
        data["last_hit"] = self.last_hit.isoformat() if self.last_hit else None
        return data


@dataclass
class StatsReport:
    since: datetime
    until: datetime
    items: int
    rules: list[RuleStats]

    @property
    def days(self) -> float:
        # At least a day: a store filled an hour ago does not have "48 hits a day".
        return max((self.until - self.since) / timedelta(days=1), 1.0)

    def recent_days(self, count: int = 14) -> list[str]:
        return [
            (self.until - timedelta(days=n)).strftime("%Y-%m-%d") for n in range(count - 1, -1, -1)
        ]


def rule_stats(
    store: Store,
    ruleset: RuleSet,
    since: datetime | None = None,
    *,
    now: datetime | None = None,
    noisy_share: float = NOISY_SHARE,
) -> StatsReport:
    """Per rule of ``ruleset`` (and any rule id still in the store's matches or labels), over
    items first seen since ``since`` (default: since the first item)."""
    now = now or store.clock()
    start = since or store.first_item_seen() or now
    total, activity, daily = store.rule_activity(since)
    labels = store.label_counts_by_rule(since)
    report = StatsReport(start, now, total, [])
    defined = {rule.id: rule for rule in ruleset.rules}
    for rule_id in [*defined, *sorted((set(activity) | set(labels)) - set(defined))]:
        hits, items_hit, last = activity.get(rule_id, (0, 0, None))
        counts = labels.get(rule_id, LabelCounts())
        judged = counts.relevant + counts.irrelevant
        rule = defined.get(rule_id)
        share = items_hit / total if total else 0.0
        flags = []
        if hits == 0:
            flags.append("never matched")
        if total and share > noisy_share:
            flags.append(f"noisy (> {noisy_share:.0%} of items)")
        if rule is None:
            flags.append("no longer defined")
        report.rules.append(
            RuleStats(
                rule_id=rule_id,
                title=rule.title if rule else rule_id,
                severity=str(rule.severity) if rule else "",
                hits=hits,
                items_hit=items_hit,
                share=share,
                per_day=hits / report.days,
                per_week=hits / report.days * 7,
                last_hit=last,
                daily=daily.get(rule_id, {}),
                flags=flags,
                relevant=counts.relevant,
                irrelevant=counts.irrelevant,
                missed=counts.missed,
                precision=counts.relevant / judged if judged else None,
            )
        )
    return report
