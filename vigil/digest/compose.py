"""Group matches into a message: one section per rule, one story per cluster of copies.

What a template receives is built here, from sanitised text only (see ``sanitise``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo

from markupsafe import Markup

from vigil.digest.sanitise import clean_text, highlighted, http_url
from vigil.recipients import Recipient
from vigil.rules.model import RuleSet, Severity
from vigil.store import MatchRef, StoredMatch

_SEVERITY_ORDER = {Severity.HIGH: 0, Severity.MEDIUM: 1, Severity.LOW: 2}
MAX_SUBJECT = 180
MAX_STORIES_PER_RULE = 25  # stories rendered per rule in one message
MAX_STORIES = 250  # stories rendered in one message
# Text rendered in one message, all stories together (it goes out twice, as text and HTML):
# far below the 10 MB and more that mail servers accept; stories past it are counted.
MAX_MESSAGE_CHARS = 1_000_000


class Kind(StrEnum):
    DIGEST = "digest"  # on the recipient's cadence
    ALERT = "alert"  # high-severity matches, sent by the next run
    HEARTBEAT = "heartbeat"  # a scheduled digest with nothing in it, when asked for
    HEALTH = "health"  # the operator's weekly health message


@dataclass(frozen=True, slots=True)
class Entry:
    """One story as a reader sees it: sanitised text, a safe link, highlighted evidence."""

    title: str
    outlet: str
    link: str | None
    published: datetime | None
    date_missing: bool
    direction: str | None
    actors: tuple[str, ...]
    evidence_text: str
    evidence_html: Markup
    also_reported_by: tuple[str, ...]
    origin: str | None = None  # where an item without a link came from ("article file x.txt")
    item_id: int | None = None  # the stored item, for its page on `vigil web`

    @classmethod
    def of(cls, main: StoredMatch, others: Sequence[StoredMatch]) -> Entry:
        text, markup = highlighted(main.evidence, main.highlights)
        outlet = clean_text(main.outlet)
        also = dict.fromkeys(clean_text(m.outlet) for m in others)
        return cls(
            title=clean_text(main.title) or "(untitled)",
            outlet=outlet,
            link=http_url(main.link),
            published=main.published,
            date_missing=main.date_missing,
            direction=main.direction,
            actors=tuple(clean_text(code) for code in main.actors),
            evidence_text=text,
            evidence_html=markup,
            also_reported_by=tuple(name for name in also if name and name != outlet),
            origin=clean_text(main.origin) if main.origin else None,
            item_id=main.item_id,
        )


@dataclass(frozen=True, slots=True)
class Story:
    """One story under a rule: the best-matching copy, and the copies other feeds ran."""

    main: StoredMatch
    others: tuple[StoredMatch, ...] = ()
    item: Entry = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "item", Entry.of(self.main, self.others))

    @property
    def also_reported_by(self) -> tuple[str, ...]:
        return self.item.also_reported_by


@dataclass(frozen=True, slots=True)
class RuleSection:
    rule_id: str
    title: str
    severity: str
    location: str
    stories: tuple[Story, ...]
    # Stories past the message's limits: counted and claimed (they are reported as a number,
    # with where to see them), not rendered.
    hidden_stories: int = 0
    hidden_matches: tuple[StoredMatch | MatchRef, ...] = ()

    @property
    def story_count(self) -> int:
        return len(self.stories) + self.hidden_stories

    @property
    def matches(self) -> tuple[StoredMatch | MatchRef, ...]:
        shown = tuple(m for story in self.stories for m in (story.main, *story.others))
        return shown + self.hidden_matches


@dataclass(frozen=True, slots=True)
class RuleHit:
    """One rule a story matched, with that rule's own evidence (``layout: by-story``)."""

    rule_id: str
    title: str
    severity: str
    direction: str | None
    evidence_text: str
    evidence_html: Markup


@dataclass(frozen=True, slots=True)
class StoryGroup:
    """One story (cluster) with every rule it matched: the by-story layout's entry."""

    item: Entry
    rules: tuple[RuleHit, ...]


def story_groups(sections: Sequence[RuleSection]) -> list[StoryGroup]:
    """The sections' stories, one entry per story cluster, in the order they first appear
    (sections come by severity, stories newest first), each with its rules as badges."""
    order: dict[int, list[tuple[RuleSection, Story]]] = {}
    for section in sections:
        for story in section.stories:
            key = story.main.cluster_id or story.main.item_id
            order.setdefault(key, []).append((section, story))
    groups = []
    for members in order.values():
        first = members[0][1]
        hits = []
        for section, story in members:
            hit = story.item
            hits.append(RuleHit(section.rule_id, section.title, section.severity,
                                hit.direction, hit.evidence_text, hit.evidence_html))  # fmt: skip
        groups.append(StoryGroup(first.item, tuple(hits)))
    return groups


@dataclass(frozen=True, slots=True)
class FeedProblem:
    """A feed that is not being read, said near the top of every message until it recovers:
    a quiet digest over dead feeds must not look like a quiet day."""

    name: str
    last_success: datetime | None  # no news from it since then (None: never read)
    failures: int
    error: str
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class Digest:
    sections: tuple[RuleSection, ...]
    generated_at: datetime
    kind: Kind = Kind.DIGEST
    recipient: Recipient | None = None
    # The start of the window: when the previous message to this recipient was composed.
    since: datetime | None = None
    feed_problems: tuple[FeedProblem, ...] = ()

    @property
    def zone(self) -> ZoneInfo:
        return self.recipient.zone if self.recipient else ZoneInfo("UTC")

    @property
    def layout(self) -> str:
        """by-rule (a section per rule) or by-story (an entry per story, its rules as badges)."""
        return self.recipient.layout if self.recipient else "by-rule"

    @property
    def story_groups(self) -> list[StoryGroup]:
        return story_groups(self.sections)

    @property
    def story_count(self) -> int:
        """What the message counts as stories: per rule in the by-rule layout (a story two
        rules matched counts under each), once each in the by-story one."""
        if self.layout == "by-story":
            return len(self.story_groups) + self.hidden_stories
        return self.match_count

    @property
    def match_count(self) -> int:
        """Stories, shown or not: copies of one story on several feeds count once."""
        return sum(section.story_count for section in self.sections)

    @property
    def hidden_stories(self) -> int:
        return sum(section.hidden_stories for section in self.sections)

    @property
    def item_count(self) -> int:
        return len({s.main.item_id for section in self.sections for s in section.stories})

    @property
    def match_ids(self) -> list[int]:
        return [m.id for section in self.sections for m in section.matches]

    @property
    def subject(self) -> str:
        """Says what kind, how many and for which rules; one line, however odd the titles."""
        if self.kind is Kind.HEARTBEAT:
            since = f" since {self.since.astimezone(self.zone):%d %b %H:%M}" if self.since else ""
            return f"vigil: nothing new{since}"
        # Stories, as the body counts them: copies of one story on several feeds count once.
        count = self.story_count
        noun = "story" if count == 1 else "stories"
        parts = [f"{section.title} ({section.story_count})" for section in self.sections]
        if self.kind is Kind.ALERT and self.match_count == 1:
            only = self.sections[0]
            text = f"vigil ALERT: {only.title}: {only.stories[0].item.title}"
        elif self.kind is Kind.ALERT:
            text = f"vigil ALERT: {count} {noun} — {', '.join(parts)}"
        else:
            text = f"vigil: {count} {noun} — {', '.join(parts)}"
        subject = " ".join(clean_text(text).split())
        return subject if len(subject) <= MAX_SUBJECT else subject[: MAX_SUBJECT - 1] + "…"


def build_digest(
    matches: Sequence[StoredMatch | MatchRef],
    ruleset: RuleSet,
    generated_at: datetime,
    *,
    kind: Kind = Kind.DIGEST,
    recipient: Recipient | None = None,
    since: datetime | None = None,
    per_rule: int = MAX_STORIES_PER_RULE,
    in_all: int = MAX_STORIES,
    load_full: Callable[[list[int]], Mapping[int, StoredMatch]] | None = None,
    feed_problems: Sequence[FeedProblem] = (),
    max_chars: int = MAX_MESSAGE_CHARS,
) -> Digest | None:
    """A message of ``matches``, high-severity rules first.

    At most ``per_rule`` stories of a rule and ``in_all`` stories are rendered; the rest are
    counted ("and 40 more") and still carried by the message, so a flood of matches makes a
    readable message rather than a 50 MB one. ``matches`` may be light references: then
    ``load_full`` fetches the full rows of the stories shown, and only those. None when there is
    nothing to say, except for a heartbeat, which is the empty message.
    """
    if not matches:
        if kind is Kind.HEARTBEAT:
            return Digest((), generated_at, kind, recipient, since, tuple(feed_problems))
        return None
    by_rule: dict[str, list[StoredMatch | MatchRef]] = {}
    for match in matches:
        by_rule.setdefault(match.rule_id, []).append(match)
    known = {rule.id: rule for rule in ruleset.rules}
    order = {rule.id: index for index, rule in enumerate(ruleset.rules)}

    def rank(rule_id: str) -> tuple[int, int]:
        rule = known.get(rule_id)
        severity = rule.severity if rule else Severity.MEDIUM
        return _SEVERITY_ORDER.get(severity, 1), order.get(rule_id, 1_000_000)

    budget = in_all
    planned = []
    for rule_id in sorted(by_rule, key=rank):
        groups = _stories(by_rule[rule_id])
        limit = min(per_rule, budget)
        budget -= min(limit, len(groups))
        planned.append((rule_id, groups[:limit], groups[limit:]))
    shown_ids = [m.id for _, shown, _ in planned for group in shown for m in group]
    if load_full is not None:
        full = load_full(shown_ids)
    else:
        full = {m.id: m for m in matches if isinstance(m, StoredMatch)}
    planned = _within_size(planned, full, max_chars)
    sections = []
    for rule_id, shown, hidden in planned:
        rule = known.get(rule_id)
        sections.append(
            RuleSection(
                rule_id=rule_id,
                # A rule deleted since it matched still gets its matches delivered, under its id.
                title=clean_text(rule.title) if rule else rule_id,
                severity=str(rule.severity if rule else Severity.MEDIUM),
                # The rule file's name, not its path on the server.
                location=f"{Path(rule.source).name}:{rule.line}"
                if rule
                else "(rule no longer defined)",
                stories=tuple(
                    Story(full[group[0].id], tuple(full[m.id] for m in group[1:]))
                    for group in shown
                ),
                hidden_stories=len(hidden),
                hidden_matches=tuple(m for group in hidden for m in group),
            )
        )
    return Digest(tuple(sections), generated_at, kind, recipient, since, tuple(feed_problems))


_Plan = list[tuple[str, list[list[StoredMatch | MatchRef]], list[list[StoredMatch | MatchRef]]]]


def _within_size(planned: _Plan, full: Mapping[int, StoredMatch], max_chars: int) -> _Plan:
    """Move the stories past ``max_chars`` of text to the hidden (counted) ones, in order."""
    room = max_chars
    kept: _Plan = []
    for rule_id, shown, hidden in planned:
        fits: list[list[StoredMatch | MatchRef]] = []
        for position, group in enumerate(shown):
            main = full[group[0].id]
            size = len(main.title) + len(main.evidence) + len(main.link or "") + 200 * len(group)
            if size > room:
                hidden = shown[position:] + hidden
                room = 0
                break
            room -= size
            fits.append(group)
        kept.append((rule_id, fits, hidden))
    return kept


def _stories(
    matches: list[StoredMatch | MatchRef],
) -> list[list[StoredMatch | MatchRef]]:
    """Copies of one story (one cluster) together, the strongest evidence shown; stories
    newest first, as the reader expects of news (the message says so)."""
    ordered = sorted(matches, key=lambda m: (-m.score, m.published is None, m.published, m.id))
    clusters: dict[object, list[StoredMatch | MatchRef]] = {}
    for match in ordered:
        key = match.cluster_id if match.cluster_id is not None else ("item", match.item_id)
        clusters.setdefault(key, []).append(match)
    return sorted(clusters.values(), key=_newest_first)


def _newest_first(group: list[StoredMatch | MatchRef]) -> tuple[bool, float, int]:
    dated = [m.published.timestamp() for m in group if m.published is not None]
    return (not dated, -max(dated) if dated else 0.0, group[0].id)
