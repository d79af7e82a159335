"""Group matches into a digest: one section per rule, items in date order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from vigil.rules.model import Rule, RuleSet, Severity
from vigil.store.repo import StoredMatch

_SEVERITY_ORDER = {Severity.HIGH: 0, Severity.MEDIUM: 1, Severity.LOW: 2}
MAX_SUBJECT = 180


@dataclass(frozen=True, slots=True)
class Story:
    """One story under a rule: the best-matching copy, and the outlets that also ran it."""

    main: StoredMatch
    others: tuple[StoredMatch, ...] = ()

    @property
    def also_reported_by(self) -> list[str]:
        return list(dict.fromkeys(m.outlet for m in self.others if m.outlet != self.main.outlet))


@dataclass(frozen=True, slots=True)
class RuleSection:
    rule_id: str
    title: str
    severity: str
    location: str
    stories: tuple[Story, ...]

    @property
    def matches(self) -> tuple[StoredMatch, ...]:
        return tuple(m for story in self.stories for m in (story.main, *story.others))


@dataclass(frozen=True, slots=True)
class Digest:
    sections: tuple[RuleSection, ...]
    generated_at: datetime

    @property
    def match_count(self) -> int:
        """Stories shown: copies of one story on several feeds count once."""
        return sum(len(section.stories) for section in self.sections)

    @property
    def item_count(self) -> int:
        return len({s.main.item_id for section in self.sections for s in section.stories})

    @property
    def match_ids(self) -> list[int]:
        return [m.id for section in self.sections for m in section.matches]

    @property
    def subject(self) -> str:
        """Says how many matches and for which rules; one line, however odd the rule titles."""
        noun = "match" if self.match_count == 1 else "matches"
        parts = [f"{section.title} ({len(section.stories)})" for section in self.sections]
        subject = " ".join(f"vigil: {self.match_count} {noun} — {', '.join(parts)}".split())
        return subject if len(subject) <= MAX_SUBJECT else subject[: MAX_SUBJECT - 1] + "…"


def build_digest(
    matches: Sequence[StoredMatch], ruleset: RuleSet, generated_at: datetime
) -> Digest | None:
    """A digest of ``matches``, high-severity rules first; None when there is nothing to say."""
    if not matches:
        return None
    by_rule: dict[str, list[StoredMatch]] = {}
    for match in matches:
        by_rule.setdefault(match.rule_id, []).append(match)
    known = {rule.id: rule for rule in ruleset.rules}
    sections = [
        _section(rule_id, known.get(rule_id), rule_matches)
        for rule_id, rule_matches in by_rule.items()
    ]
    order = {rule.id: index for index, rule in enumerate(ruleset.rules)}
    sections.sort(
        key=lambda s: (
            _SEVERITY_ORDER.get(Severity(s.severity), 1),
            order.get(s.rule_id, 1_000_000),
        )
    )
    return Digest(tuple(sections), generated_at)


def _section(rule_id: str, rule: Rule | None, matches: list[StoredMatch]) -> RuleSection:
    # Strongest evidence first, then oldest; copies of one story (one cluster) are shown once.
    # A rule deleted since it matched still gets its matches delivered, under its id.
    ordered = sorted(matches, key=lambda m: (-m.score, m.published is None, m.published, m.id))
    clusters: dict[object, list[StoredMatch]] = {}
    for match in ordered:
        key = match.cluster_id if match.cluster_id is not None else ("item", match.item_id)
        clusters.setdefault(key, []).append(match)
    return RuleSection(
        rule_id=rule_id,
        title=rule.title if rule else rule_id,
        severity=str(rule.severity if rule else Severity.MEDIUM),
        location=rule.location if rule else "(rule no longer defined)",
        stories=tuple(Story(group[0], tuple(group[1:])) for group in clusters.values()),
    )
