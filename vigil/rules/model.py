"""Rules, actors and actions as validated, ready-to-match objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from vigil.rules.query import Node
from vigil.rules.terms import Term


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True, slots=True)
class Alias:
    """One name of an actor; ``role`` (GOV, MIL…) when the name is a person or an institution."""

    term: Term
    role: str | None = None
    adjective: bool = False  # "Turkish": names whose thing, not who


@dataclass(frozen=True, slots=True)
class Actor:
    """A political actor (CAMEO-style code such as ``TUR``) and every name that refers to it."""

    code: str
    name: str
    aliases: tuple[Alias, ...]
    source: Path
    line: int
    # Cities, regions and venues: where something happens ("talks in Istanbul"), never a
    # mention of the actor itself, so never an event's source or target. ``@TUR.place``.
    places: tuple[Term, ...] = ()


@dataclass(frozen=True, slots=True)
class Action:
    """A kind of event (reject, offer mediation…), keyed to CAMEO codes where one exists."""

    name: str
    description: str
    cameo: tuple[str, ...]
    triggers: tuple[Term, ...]  # verbs and nouns that express the action
    source: Path
    line: int


@dataclass(frozen=True, slots=True)
class EventSpec:
    """Who did what to whom: ``source`` and ``target`` are actor codes (with a role, optional)."""

    action: str
    source: str | None = None
    target: str | None = None
    object: Node | None = None

    def describe(self) -> str:
        who = self.source or "anyone"
        whom = self.target or "anyone"
        return f"{who} {self.action} → {whom}"


@dataclass(frozen=True, slots=True)
class Examples:
    """Short texts a rule must and must not match: checked by ``vigil rules check``."""

    match: tuple[str, ...] = ()
    no_match: tuple[str, ...] = ()
    # For event rules: "RUS → TUR" that a matching example must name.
    direction: str | None = None
    # Where each example stands in its file, for error messages.
    match_lines: tuple[int, ...] = ()
    no_match_lines: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Rule:
    """What an analyst wants to hear about: a condition over an article, and its metadata.

    ``condition`` combines the rule's ``query``, its ``any`` / ``all`` / ``none`` groups and its
    ``actors``; ``event`` adds a who-did-what-to-whom requirement.
    """

    id: str
    title: str
    condition: Node
    event: EventSpec | None = None
    severity: Severity = Severity.MEDIUM
    tags: tuple[str, ...] = ()
    description: str = ""
    examples: Examples = field(default_factory=Examples)
    source: Path = field(default=Path("<memory>"))
    line: int = 0

    @property
    def location(self) -> str:
        return f"{self.source}:{self.line}"


@dataclass(frozen=True, slots=True)
class RuleSet:
    """All rules, actors and actions of a rules folder, validated together."""

    rules: tuple[Rule, ...]
    actors: dict[str, Actor]
    actions: dict[str, Action] = field(default_factory=dict)
    files: tuple[Path, ...] = ()
    # Files of the folder that were not read: not regular files (a FIFO), too large, or links
    # out of the folder. Named in warnings; the rules of the other files work.
    skipped: tuple[str, ...] = ()

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)
