"""Read a rules folder: every ``*.yaml``/``*.yml`` file holds ``actors:``, ``rules:`` or both.

Every problem is collected, not just the first, and each names its file and line, so an analyst
fixes a whole file in one go and a typo can never silently switch a rule off.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from vigil.errors import FileFormatError
from vigil.rules.model import Actor, Rule, RuleSet, Severity
from vigil.rules.terms import term_problem
from vigil.yamlfile import LineDict, line_of, load_yaml, located_problems

_RULE_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_ACTOR_CODE = re.compile(r"^[A-Z]{3}$")


def _term_list(value: list[str]) -> list[str]:
    problems = [p for term in value if (p := term_problem(term))]
    if problems:
        raise ValueError("; ".join(problems))
    return value


class _PersonSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    aliases: list[str] = []
    role: str | None = None


class _ActorSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    names: list[str] = []
    adjectives: list[str] = []
    capitals: list[str] = []
    institutions: list[str] = []
    people: list[_PersonSpec] = []

    _terms = field_validator("names", "adjectives", "capitals", "institutions")(_term_list)

    def aliases(self) -> tuple[str, ...]:
        people = [alias for p in self.people for alias in (p.name, *p.aliases)]
        every = [self.name, *self.names, *self.adjectives, *self.capitals, *self.institutions]
        return tuple(dict.fromkeys([*every, *people]))


class _RuleSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    title: str = Field(min_length=1)
    description: str = ""
    any: list[str] = []
    all: list[str] = []
    none: list[str] = []
    actors: list[str] = []
    same_sentence: bool = False
    severity: Severity = Severity.MEDIUM
    tags: list[str] = []

    _terms = field_validator("any", "all", "none")(_term_list)

    @field_validator("id")
    @classmethod
    def _id_form(cls, value: str) -> str:
        if not _RULE_ID.match(value):
            raise ValueError("lower-case letters, digits, '-', '_' and '.' only, e.g. 'tb2-drones'")
        return value


class _RulesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    actors: dict[str, _ActorSpec] = {}
    rules: list[_RuleSpec] = []


def load_ruleset(folder: Path) -> RuleSet:
    """Load and cross-check every rule file of ``folder``; FileFormatError lists all problems."""
    if not folder.is_dir():
        raise FileFormatError([f"{folder}: not a folder of rule files"])
    files = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    if not files:
        raise FileFormatError([f"{folder}: no *.yaml rule files"])
    problems: list[str] = []
    actors: dict[str, Actor] = {}
    rules: list[Rule] = []
    for path in files:
        try:
            actors_here, rules_here = _load_file(path)
        except FileFormatError as exc:
            problems.extend(exc.problems)
            continue
        for actor in actors_here:
            if actor.code in actors:
                first = actors[actor.code]
                problems.append(
                    f"{actor.source}:{actor.line}: actor {actor.code} is already defined at "
                    f"{first.source}:{first.line}"
                )
            actors[actor.code] = actor
        rules.extend(rules_here)
    problems.extend(_cross_check(rules, actors))
    if problems:
        raise FileFormatError(problems)
    return RuleSet(tuple(rules), actors, tuple(files))


def _load_file(path: Path) -> tuple[list[Actor], list[Rule]]:
    document = load_yaml(path)
    if document is None:
        return [], []
    if not isinstance(document, LineDict):
        raise FileFormatError(
            [f"{path}:1: a rule file is a mapping with 'rules:' and/or 'actors:'"]
        )
    try:
        spec = _RulesFile.model_validate(document)
    except ValidationError as exc:
        raise FileFormatError(located_problems(exc, document, path)) from None
    actor_lines = document.get("actors", LineDict())
    actors = []
    for code, actor in spec.actors.items():
        line = actor_lines.key_lines.get(code, 0) if isinstance(actor_lines, LineDict) else 0
        if not _ACTOR_CODE.match(code):
            raise FileFormatError(
                [f"{path}:{line}: actors.{code}: actor codes are three capital letters (CAMEO)"]
            )
        actors.append(Actor(code, actor.name, actor.aliases(), path, line))
    rules = [
        Rule(
            id=r.id,
            title=r.title,
            description=r.description,
            any=tuple(r.any),
            all=tuple(r.all),
            none=tuple(r.none),
            actors=tuple(r.actors),
            same_sentence=r.same_sentence,
            severity=r.severity,
            tags=tuple(r.tags),
            source=path,
            line=line_of(document, ("rules", index)) or 0,
        )
        for index, r in enumerate(spec.rules)
    ]
    return actors, rules


def _cross_check(rules: list[Rule], actors: dict[str, Actor]) -> list[str]:
    problems = []
    seen: dict[str, Rule] = {}
    for rule in rules:
        if rule.id in seen:
            problems.append(
                f"{rule.location}: rule id {rule.id!r} is already used at {seen[rule.id].location}"
            )
        seen.setdefault(rule.id, rule)
        if not rule.any and not rule.all and not rule.actors:
            problems.append(f"{rule.location}: rule {rule.id!r} has no 'any', 'all' or 'actors'")
        for code in rule.actors:
            if code not in actors:
                known = ", ".join(sorted(actors)) or "none defined"
                problems.append(
                    f"{rule.location}: rule {rule.id!r} names unknown actor {code!r} "
                    f"(known: {known})"
                )
    return problems
