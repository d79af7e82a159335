"""``vigil rules backtest``: what an edited rule set would have flagged, against the live one.

The candidate rules are applied to stored items; the live rules' verdicts are the matches the
store holds. Nothing is written and nothing is sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from vigil.backfill import BATCH_SIZE, batches
from vigil.rules import Matcher, RuleSet
from vigil.store import Store

KEEP_TITLES = 10  # examples kept per rule and direction; every difference is counted


@dataclass
class Difference:
    rule_id: str
    change: str  # "new" (only the candidate flags it) or "lost" (only the live rules did)
    item_id: int
    title: str

    def as_json(self) -> dict[str, object]:
        return {"rule_id": self.rule_id, "change": self.change, "item_id": self.item_id,
                "title": self.title}  # fmt: skip


@dataclass
class RuleBacktest:
    rule_id: str
    title: str
    would_flag: int = 0
    live: int = 0
    new: int = 0
    lost: int = 0
    examples: list[Difference] = field(default_factory=list)
    status: str = ""  # "added" / "removed" when the rule exists on one side only


@dataclass
class BacktestReport:
    items: int = 0
    rules: dict[str, RuleBacktest] = field(default_factory=dict)

    @property
    def changed(self) -> list[RuleBacktest]:
        return [rule for rule in self.rules.values() if rule.new or rule.lost]


def backtest(
    store: Store,
    candidate: RuleSet,
    since: datetime,
    *,
    until: datetime | None = None,
    live_rule_ids: set[str] | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int, int], None] | None = None,
    on_difference: Callable[[Difference], None] | None = None,
) -> BacktestReport:
    """Apply ``candidate`` to items first seen in [since, until) and compare per rule."""
    matcher = Matcher(candidate)
    candidate_ids = {rule.id for rule in candidate.rules}
    report = BacktestReport()
    for rule in candidate.rules:
        report.rules[rule.id] = RuleBacktest(rule.id, rule.title)
    item_ids = store.item_ids_since(since, until)
    report.items = len(item_ids)
    done = 0
    for batch in batches(item_ids, batch_size):
        loaded = store.articles(batch)
        verdicts = matcher.match_many([article for _, article in loaded])
        live = store.stored_rule_hits(batch)
        for (item_id, article), found in zip(loaded, verdicts, strict=True):
            flagged = {match.rule_id for match in found}
            before = live.get(item_id, set())
            for rule_id in flagged | before:
                entry = report.rules.get(rule_id)
                if entry is None:  # a live rule the candidate set no longer has
                    entry = report.rules[rule_id] = RuleBacktest(rule_id, rule_id, status="removed")
                entry.would_flag += rule_id in flagged
                entry.live += rule_id in before
                if (rule_id in flagged) == (rule_id in before):
                    continue
                change = "new" if rule_id in flagged else "lost"
                setattr(entry, change, getattr(entry, change) + 1)
                difference = Difference(rule_id, change, item_id, article.title)
                if sum(e.change == change for e in entry.examples) < KEEP_TITLES:
                    entry.examples.append(difference)
                if on_difference is not None:
                    on_difference(difference)
        done += len(batch)
        if progress is not None:
            progress(done, len(item_ids))
    known_live = live_rule_ids or set()
    for rule_id, entry in report.rules.items():
        if rule_id in candidate_ids and live_rule_ids is not None and rule_id not in known_live:
            entry.status = "added"
    return report
