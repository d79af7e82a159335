"""The rules file format as pydantic models: the shape each section must have, checked
before the loader compiles anything (it then adds file, line and column to each problem)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from vigil.errors import TermError
from vigil.rules.model import Actor, Alias, Severity
from vigil.rules.terms import Term

RULE_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
ACTOR_CODE = re.compile(r"^[A-Z]{3}$")
ACTOR_REF = re.compile(r"^[A-Z]{3}([A-Z]{3})?$")
ROLE = re.compile(r"^[A-Z]{3}$")
ACTION_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
DIRECTION = re.compile(r"^\s*([A-Z]{3}|\?)\s*(?:→|->)\s*([A-Z]{3}|\?)\s*$")


def parse_term(raw: str) -> Term:
    """A term as written in a list (``any``, names…): ``case:`` and ``~`` allowed."""
    if raw.startswith("case:"):
        return Term.parse(raw[5:].strip('"'), case_sensitive=True)
    return Term.parse(raw)


def _term_list(value: list[str]) -> list[str]:
    problems = []
    for term in value:
        try:
            parse_term(term)
        except TermError as exc:
            problems.append(str(exc))
    if problems:
        raise ValueError("; ".join(problems))
    return value


def _role(value: str | None) -> str | None:
    if value is not None and not ROLE.match(value):
        raise ValueError("roles are three capital letters (CAMEO: GOV, MIL, OPP…)")
    return value


class NamedFields(BaseModel):
    """A person or an institution: a name, its aliases, and its role (GOV, MIL…)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    aliases: list[str] = []
    role: str | None = None

    _check_role = field_validator("role")(_role)
    _terms = field_validator("aliases")(_term_list)


class ActorFields(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    names: list[str] = []
    adjectives: list[str] = []
    capitals: list[str] = []
    institutions: list[str | NamedFields] = []
    people: list[NamedFields] = []
    places: list[str] = []

    _terms = field_validator("names", "adjectives", "capitals", "places")(_term_list)

    def aliases(self) -> tuple[Alias, ...]:
        found: list[Alias] = []
        for text in (self.name, *self.names, *self.capitals):
            found.append(Alias(parse_term(text)))
        for text in self.adjectives:
            found.append(Alias(parse_term(text), adjective=True))
        for entry in self.institutions:
            if isinstance(entry, str):
                found.append(Alias(parse_term(entry)))
            else:
                for text in (entry.name, *entry.aliases):
                    found.append(Alias(parse_term(text), entry.role))
        for person in self.people:
            for text in (person.name, *person.aliases):
                found.append(Alias(parse_term(text), person.role))
        return tuple(dict.fromkeys(found))


class ActionFields(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str = ""
    cameo: list[str] = []
    triggers: list[str] = Field(min_length=1)

    _terms = field_validator("triggers")(_term_list)


class EventFields(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: str
    source: str | None = None
    target: str | None = None
    object: str | None = None


class ExamplesFields(BaseModel):
    model_config = ConfigDict(extra="forbid")
    match: list[str] = []
    no_match: list[str] = []
    direction: str | None = None

    @field_validator("direction")
    @classmethod
    def _arrow(cls, value: str | None) -> str | None:
        if value is not None and not DIRECTION.match(value):
            raise ValueError("write the expected direction as 'RUS → TUR' (or 'RUS -> TUR')")
        return value


class RuleFields(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    title: str = Field(min_length=1)
    description: str = ""
    query: str | None = None
    any: list[str] = []
    all: list[str] = []
    none: list[str] = []
    actors: list[str] = []
    same_sentence: bool = False
    event: EventFields | None = None
    severity: Severity = Severity.MEDIUM
    tags: list[str] = []
    examples: ExamplesFields = ExamplesFields()

    _terms = field_validator("any", "all", "none")(_term_list)

    @field_validator("id")
    @classmethod
    def _id_form(cls, value: str) -> str:
        if not RULE_ID.match(value):
            raise ValueError("lower-case letters, digits, '-', '_' and '.' only, e.g. 'tb2-drones'")
        return value


class RulesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    actions: dict[str, ActionFields] = {}
    actors: dict[str, ActorFields] = {}
    # Validated one by one, so one broken rule does not hide the problems of the others.
    rules: list[dict[str, Any]] = []


PLACES = ".place"  # @TUR.place: one of the actor's places


def actor_reference_problem(
    code: str, actors: Mapping[str, Actor], *, place: bool = True
) -> str | None:
    """What is wrong with a rule's reference to an actor (TUR, TURGOV, TUR.place), or None.
    An event's source and target are never places (``place`` False)."""
    if place and code.endswith(PLACES):
        country = code[: -len(PLACES)]
        if country in actors and not actors[country].places:
            return f"actor {country} lists no places"
        code = country
    if not ACTOR_REF.match(code):
        return f"{code!r} is not an actor code (TUR, or TURGOV with a role)"
    if code[:3] not in actors:
        return f"unknown actor {code!r} (known: {', '.join(sorted(actors)) or 'none defined'})"
    if len(code) == 6 and not any(a.role == code[3:] for a in actors[code[:3]].aliases):
        return f"actor {code[:3]} has no names with role {code[3:]}"
    return None
