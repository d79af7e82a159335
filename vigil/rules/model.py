"""Rules and actors as validated, ready-to-match objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True, slots=True)
class Actor:
    """A political actor (CAMEO-style code such as ``TUR``) and every name that refers to it."""

    code: str
    name: str
    aliases: tuple[str, ...]
    source: Path
    line: int


@dataclass(frozen=True, slots=True)
class Rule:
    """What an analyst wants to hear about.

    It matches when any ``any`` term occurs (if given), all ``all`` terms occur, no ``none``
    term occurs, and every actor in ``actors`` is mentioned.
    """

    id: str
    title: str
    any: tuple[str, ...] = ()
    all: tuple[str, ...] = ()
    none: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()
    same_sentence: bool = False
    severity: Severity = Severity.MEDIUM
    tags: tuple[str, ...] = ()
    description: str = ""
    source: Path = field(default=Path("<memory>"))
    line: int = 0

    @property
    def location(self) -> str:
        return f"{self.source}:{self.line}"


@dataclass(frozen=True, slots=True)
class RuleSet:
    """All rules and actors of a rules folder, validated together."""

    rules: tuple[Rule, ...]
    actors: dict[str, Actor]
    files: tuple[Path, ...] = ()

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)
