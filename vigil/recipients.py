"""Who gets which matches, and when: the recipients file.

Each recipient names the rules they follow (ids or glob patterns, rule tags, feed tags, a
lowest severity), the severities that go out at once as alerts, and the cadence of their digest
in their own time zone. With no recipients file, one recipient (``VIGIL_MAIL_TO``) gets every
match in a digest each run.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from vigil.addresses import check_address
from vigil.errors import FileFormatError
from vigil.rules.model import Rule, RuleSet, Severity
from vigil.schedule import Cadence, Every
from vigil.yamlfile import load_yaml, mark_of, validate

Layout = Literal["by-rule", "by-story"]
_SEVERITY_RANK = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2}
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def _addresses(value: object) -> object:
    return [value] if isinstance(value, str) else value


class _Defaults(BaseModel):
    model_config = ConfigDict(extra="forbid")

    timezone: str = "UTC"
    alerts: list[Severity] = Field(default_factory=lambda: [Severity.HIGH])
    digest: str = "daily 08:00"
    severity: Severity = Severity.LOW
    heartbeat: bool = False
    backlog_days: float = Field(1.0, ge=0)
    layout: Layout = "by-rule"


class _RecipientEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    name: str | None = None
    email: list[str] = Field(min_length=1)
    timezone: str | None = None
    rules: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    severity: Severity | None = None
    alerts: list[Severity] | None = None
    digest: str | None = None
    heartbeat: bool | None = None
    backlog_days: float | None = Field(None, ge=0)
    layout: Layout | None = None

    _as_list = field_validator("email", mode="before")(_addresses)

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError("use lower-case letters, digits, '-' and '_' (it keys stored state)")
        return value

    @field_validator("email")
    @classmethod
    def _valid_addresses(cls, values: list[str]) -> list[str]:
        for value in values:
            check_address(value)
        return values


class _RecipientsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    defaults: _Defaults = Field(default_factory=_Defaults)
    recipients: list[_RecipientEntry] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> _RecipientsFile:
        ids = [entry.id for entry in self.recipients]
        if duplicates := sorted({i for i in ids if ids.count(i) > 1}):
            raise ValueError(f"recipient ids must be unique: {', '.join(duplicates)}")
        return self


@dataclass(frozen=True, slots=True)
class Recipient:
    """One reader (or one mailing list): what they follow and when it reaches them."""

    id: str
    addresses: tuple[str, ...]
    name: str = ""
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    rules: tuple[str, ...] = ()  # ids or glob patterns; empty with no tags: every rule
    tags: tuple[str, ...] = ()  # a rule tag or a feed tag, case-folded
    severity: Severity = Severity.LOW
    alerts: frozenset[Severity] = frozenset({Severity.HIGH})
    cadence: Cadence = field(default_factory=lambda: Cadence(Every.RUN))
    heartbeat: bool = False
    backlog: timedelta = timedelta(days=1)
    # by-rule: a section per rule (a story that two rules matched shows twice); by-story: one
    # entry per story, its rules as badges and each rule's evidence beneath.
    layout: Layout = "by-rule"

    @property
    def display_name(self) -> str:
        return self.name or self.id

    def follows(self, rule: Rule, item_tags: Iterable[str] = ()) -> bool:
        """A match is routed here when its rule is at least the lowest severity and its id
        matches a pattern, or a tag followed is on the rule or on the item's feed."""
        if _SEVERITY_RANK[rule.severity] < _SEVERITY_RANK[self.severity]:
            return False
        if not self.rules and not self.tags:
            return True
        if any(fnmatch.fnmatchcase(rule.id, pattern) for pattern in self.rules):
            return True
        # Tags fold case as rule terms do: an OPML import writes "Ukraine", a rule "ukraine".
        return any(tag.casefold() in self.tags for tag in (*rule.tags, *item_tags))

    def candidate_rules(self, ruleset: RuleSet) -> list[str]:
        """Ids of the rules whose matches could be routed here (feed tags decide the rest)."""
        eligible = [
            r for r in ruleset.rules if _SEVERITY_RANK[r.severity] >= _SEVERITY_RANK[self.severity]
        ]
        if self.tags:
            return [rule.id for rule in eligible]
        return [rule.id for rule in eligible if self.follows(rule)]

    def is_alert(self, rule: Rule) -> bool:
        return rule.severity in self.alerts


def default_recipients(addresses: Sequence[str]) -> list[Recipient]:
    """No recipients file: everything, in one digest per run, to ``VIGIL_MAIL_TO``."""
    return [
        Recipient(
            id="default",
            name=", ".join(addresses),  # "vigil digest for analyst@example.org"
            addresses=tuple(addresses),
            alerts=frozenset(),
            cadence=Cadence(Every.RUN),
        )
    ]


def load_recipients(
    path: Path, ruleset: RuleSet | None = None, feed_tags: Iterable[str] | None = None
) -> list[Recipient]:
    """Read a recipients file. Every problem is reported as ``file:line:column: what``.

    With ``ruleset``, a rule id or pattern that names no rule is an error too: a typo there
    would silently route nothing. With ``feed_tags`` as well (the feeds file's tags), so is a
    tag that no rule and no feed carries.
    """
    document = load_yaml(path)
    if not isinstance(document, dict):
        raise FileFormatError([f"{path}:1: a recipients file is a mapping with 'recipients:'"])
    parsed = validate(_RecipientsFile, document, path)
    problems: list[str] = []
    recipients = []
    for index, entry in enumerate(parsed.recipients):
        recipient = _recipient(entry, parsed.defaults, document, path, index, problems)
        if recipient is not None:
            recipients.append(recipient)
        if ruleset is not None:
            _check_rule_patterns(entry, ruleset, document, path, index, problems)
            if feed_tags is not None:
                _check_tags(entry, ruleset, feed_tags, document, path, index, problems)
    if problems:
        raise FileFormatError(problems)
    return recipients


def _recipient(
    entry: _RecipientEntry,
    defaults: _Defaults,
    document: Any,
    path: Path,
    index: int,
    problems: list[str],
) -> Recipient | None:
    def where(field: str) -> str:
        has_own = (
            isinstance(document["recipients"][index], dict)
            and field in (document["recipients"][index])
        )
        location = ("recipients", index, field) if has_own else ("defaults", field)
        line, column = mark_of(document, location) or (1, 1)
        return f"{path}:{line}:{column}: {'.'.join(str(p) for p in location)}"

    zone_name = entry.timezone or defaults.timezone
    cadence_text = entry.digest or defaults.digest
    failed = False
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"{where('timezone')}: unknown time zone {zone_name!r} (e.g. Europe/Kyiv)")
        failed = True
    try:
        cadence = Cadence.parse(cadence_text)
    except ValueError as exc:
        problems.append(f"{where('digest')}: {exc} (got {cadence_text!r})")
        failed = True
    heartbeat = entry.heartbeat if entry.heartbeat is not None else defaults.heartbeat
    if not failed and heartbeat and not cadence.scheduled:
        problems.append(f"{where('heartbeat')}: a heartbeat needs a daily or weekly digest")
        failed = True
    if failed:
        return None
    alerts = entry.alerts if entry.alerts is not None else defaults.alerts
    backlog = entry.backlog_days if entry.backlog_days is not None else defaults.backlog_days
    return Recipient(
        id=entry.id,
        name=entry.name or "",
        addresses=tuple(entry.email),
        zone=zone,
        rules=tuple(entry.rules),
        tags=tuple(dict.fromkeys(tag.casefold() for tag in entry.tags)),
        severity=entry.severity or defaults.severity,
        alerts=frozenset(alerts),
        cadence=cadence,
        heartbeat=heartbeat,
        backlog=timedelta(days=backlog),
        layout=entry.layout or defaults.layout,
    )


def _check_rule_patterns(
    entry: _RecipientEntry,
    ruleset: RuleSet,
    document: Any,
    path: Path,
    index: int,
    problems: list[str],
) -> None:
    ids = [rule.id for rule in ruleset.rules]
    for position, pattern in enumerate(entry.rules):
        if not fnmatch.filter(ids, pattern):
            line, column = mark_of(document, ("recipients", index, "rules", position)) or (1, 1)
            problems.append(
                f"{path}:{line}:{column}: recipients.{index}.rules: {pattern!r} names no rule"
            )


def _check_tags(
    entry: _RecipientEntry,
    ruleset: RuleSet,
    feed_tags: Iterable[str],
    document: Any,
    path: Path,
    index: int,
    problems: list[str],
) -> None:
    known = {tag.casefold() for rule in ruleset.rules for tag in rule.tags}
    known |= {tag.casefold() for tag in feed_tags}
    for position, tag in enumerate(entry.tags):
        if tag.casefold() not in known:
            line, column = mark_of(document, ("recipients", index, "tags", position)) or (1, 1)
            shown = ", ".join(sorted(known)) or "none"
            problems.append(
                f"{path}:{line}:{column}: recipients.{index}.tags: no rule or feed carries the "
                f"tag {tag!r} (known: {shown})"
            )
