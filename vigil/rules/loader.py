"""Read a rules folder: every ``*.yaml``/``*.yml`` file holds ``actors:``, ``actions:``,
``rules:`` or any of them.

Every problem is collected, not just the first, and each names its file, line and column and
the offending text, so an analyst fixes a whole file in one go and a typo can never silently
switch a rule off.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from vigil.errors import FileFormatError, QueryError
from vigil.localfiles import MAX_YAML_BYTES, inside, unreadable
from vigil.rules.model import (
    Action,
    Actor,
    EventSpec,
    Examples,
    Rule,
    RuleSet,
)
from vigil.rules.query import (
    ActorNode,
    AndNode,
    Node,
    NotNode,
    OrNode,
    ScopeNode,
    TermNode,
    parse_query,
    walk,
)
from vigil.rules.specs import (
    ACTION_NAME,
    ACTOR_CODE,
    ActionFields,
    ActorFields,
    EventFields,
    RuleFields,
    RulesFile,
    actor_reference_problem,
    parse_term,
)
from vigil.yamlfile import LineDict, Mark, load_yaml, located_problems, mark_of


class _Located:
    """Problems of one file, each with line, column and the offending text."""

    def __init__(self, path: Path, document: Any) -> None:
        self.path = path
        self.document = document
        self.problems: list[str] = []

    def add(
        self, location: tuple[Any, ...], message: str, *, offset: int = 0, key: bool = False
    ) -> None:
        line, column = mark_of(self.document, location, key=key) or (1, 1)
        field = ".".join(str(part) for part in location)
        self.problems.append(f"{self.path}:{line}:{column + offset}: {field}: {message}")

    def mark(self, location: tuple[Any, ...]) -> Mark:
        return mark_of(self.document, location) or (1, 1)


def load_ruleset(folder: Path, *, follow_links: bool = False) -> RuleSet:
    """Load and cross-check every rule file of ``folder``; FileFormatError lists all problems."""
    ruleset, problems = load_ruleset_partly(folder, follow_links=follow_links)
    if problems:
        raise FileFormatError(problems)
    return ruleset


def load_ruleset_partly(
    folder: Path, *, follow_links: bool = False, edited: Path | None = None
) -> tuple[RuleSet, list[str]]:
    """Every rule that compiles, and every problem of the folder, in one pass.

    A broken section, actor or rule is reported and left out; the rest is still read and
    checked, so that ``vigil rules check`` names every problem at once (and can run the
    examples of the rules that did compile) instead of one round of problems per fix.

    A file that is a link to somewhere outside ``folder`` is refused unless ``follow_links``
    (``VIGIL_RULES_FOLLOW_LINKS``): a link to ``/etc/shadow`` must not be read, let alone
    quoted back in error messages.

    ``edited``, read last (the web playground's edit), replaces rules of the same id.
    """
    if not folder.is_dir():
        return RuleSet((), {}, {}, ()), [f"{folder}: not a folder of rule files"]
    files = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    if not files:
        return RuleSet((), {}, {}, ()), [f"{folder}: no *.yaml rule files"]
    problems: list[str] = []
    actors: dict[str, Actor] = {}
    actions: dict[str, Action] = {}
    parsed: list[tuple[_Located, RulesFile]] = []
    skipped: list[str] = []
    for path in [*files, *([edited] if edited else [])]:
        if path.is_symlink() and not follow_links and not inside(path, folder):
            skipped.append(
                f"{path}: a link to a file outside the rules folder: refused "
                "(VIGIL_RULES_FOLLOW_LINKS=true allows it)"
            )
            continue
        if reason := unreadable(path, MAX_YAML_BYTES):
            skipped.append(reason)
            continue
        try:
            document = load_yaml(path)
        except FileFormatError as exc:
            problems.extend(exc.problems)
            continue
        if document is None:
            continue
        if not isinstance(document, LineDict):
            problems.append(
                f"{path}:1:1: a rule file is a mapping with rules:, actors: or actions:"
            )
            continue
        located = _Located(path, document)
        spec = _sections(located)
        _collect_actors(located, spec, actors)
        _collect_actions(located, spec, actions)
        parsed.append((located, spec))
        problems.extend(located.problems)
    rules: list[Rule] = []
    first_defined: dict[str, tuple[_Located, int]] = {}
    for located, spec in parsed:
        located.problems = []
        for index, raw in enumerate(spec.rules):
            try:
                rule_spec = RuleFields.model_validate(raw)
            except ValidationError as exc:
                located.problems += located_problems(
                    exc, located.document, located.path, where=("rules", index)
                )
                continue
            here = f"{located.path}:{located.mark(('rules', index))[0]}"
            if rule_spec.id in first_defined and located.path == edited:
                rules = [rule for rule in rules if rule.id != rule_spec.id]
            elif rule_spec.id in first_defined:
                # Named at both places: which of the two is the newer one, only the analyst
                # knows, and the files are read in name order.
                other, other_index = first_defined[rule_spec.id]
                there = f"{other.path}:{other.mark(('rules', other_index))[0]}"
                located.add(
                    ("rules", index, "id"), f"rule id {rule_spec.id!r} is already used at {there}"
                )
                problems.append(
                    _problem_at(
                        other,
                        ("rules", other_index, "id"),
                        f"rule id {rule_spec.id!r} is used again at {here}",
                    )
                )
                rules = [rule for rule in rules if rule.id != rule_spec.id]
                continue
            first_defined[rule_spec.id] = (located, index)
            rule = _compile_rule(located, index, rule_spec, actors, actions)
            if rule is not None:
                rules.append(rule)
        problems.extend(located.problems)
    if not rules and not problems:
        problems.append(
            f"{folder}: no rules: its files define actors or actions only, and a run would "
            "mark every item seen and match nothing (add rules: to a file)"
        )
    return RuleSet(tuple(rules), actors, actions, tuple(files), tuple(skipped)), problems


def _problem_at(located: _Located, location: tuple[Any, ...], message: str) -> str:
    saved, located.problems = located.problems, []
    located.add(location, message)
    (problem,) = located.problems
    located.problems = saved
    return problem


_SECTIONS = ("actors", "actions", "rules")


def _excerpt(value: object, limit: int = 40) -> str:
    """A short, printable quote of what a file holds: never more than ``limit`` characters."""
    text = "".join(c if c.isprintable() else "?" for c in str(value))
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def _sections(located: _Located) -> RulesFile:
    """The file's sections, each entry validated on its own: a broken actor is reported and
    left out, and the file's other actors, actions and rules are still read."""
    document = located.document
    if not any(key in document for key in _SECTIONS):
        # Not a rules document at all (a stray file, a link to something else): say so
        # without quoting what it holds.
        located.problems.append(
            f"{located.path}:1:1: not a rules document: it has none of rules:, actors:, "
            "actions: (its contents are not shown)"
        )
        return RulesFile.model_construct(actors={}, actions={}, rules=[])
    for key in document:
        if key not in _SECTIONS:
            message = f"unknown key {_excerpt(key)}: a rule file has rules:, actors: and actions:"
            located.add((key,), message, key=True)
    entries: dict[str, dict[str, Any]] = {}
    for section, model in (("actors", ActorFields), ("actions", ActionFields)):
        value = document.get(section) or {}
        entries[section] = {}
        if not isinstance(value, dict):
            located.add((section,), f"{section}: is a mapping of names to definitions")
            continue
        for name, raw in value.items():
            try:
                entries[section][name] = model.model_validate(raw)
            except ValidationError as exc:
                located.problems += located_problems(
                    exc, document, located.path, where=(section, name)
                )
    rules = document.get("rules") or []
    if not isinstance(rules, list):
        located.add(("rules",), "rules: is a list of rules (each starting with '- id:')")
        rules = []
    return RulesFile.model_construct(
        actors=entries["actors"], actions=entries["actions"], rules=list(rules)
    )


def _collect(
    located: _Located,
    section: str,
    specs: dict[str, Any],
    known: dict[str, Any],
    form: tuple[re.Pattern[str], str, str],
    build: Callable[[str, Any, int], Any],
) -> None:
    """File each actor (or action) of one file under its name, refusing bad and repeated names.

    ``form`` is (pattern, what the name is called, the rule it breaks).
    """
    pattern, noun, hint = form
    marks = located.document[section].key_marks if specs else {}
    for name, spec in specs.items():
        if not pattern.match(name):
            located.add((section, name), f"{noun} {name!r}: {hint}", key=True)
            continue
        if name in known:
            first = known[name]
            where = f"{first.source}:{first.line}"
            located.add((section, name), f"{name} is already defined at {where}", key=True)
            continue
        known[name] = build(name, spec, marks.get(name, (1, 1))[0])


def _collect_actors(located: _Located, spec: RulesFile, actors: dict[str, Actor]) -> None:
    def build(code: str, actor: ActorFields, line: int) -> Actor:
        places = tuple(dict.fromkeys(parse_term(text) for text in actor.places))
        return Actor(code, actor.name, actor.aliases(), located.path, line, places)

    form = (ACTOR_CODE, "actor code", "three capital letters (CAMEO)")
    _collect(located, "actors", spec.actors, actors, form, build)


def _collect_actions(located: _Located, spec: RulesFile, actions: dict[str, Action]) -> None:
    def build(name: str, action: ActionFields, line: int) -> Action:
        triggers = tuple(parse_term(t) for t in action.triggers)
        return Action(name, action.description, tuple(action.cameo), triggers, located.path, line)

    form = (ACTION_NAME, "action name", "lower case and '_' only")
    _collect(located, "actions", spec.actions, actions, form, build)


def _compile_rule(
    located: _Located,
    index: int,
    spec: RuleFields,
    actors: dict[str, Actor],
    actions: dict[str, Action],
) -> Rule | None:
    where = ("rules", index)
    before = len(located.problems)
    parts: list[Node] = []
    if spec.query is not None:
        query = _parse(located, (*where, "query"), spec.query)
        if query is not None:
            parts.append(query)
            for node in walk(query):
                for code in node.actor_codes():
                    _check_actor(located, (*where, "query"), code, actors)
    any_group = [TermNode(parse_term(t)) for t in spec.any]
    actor_nodes: list[Node] = [ActorNode(code) for code in spec.actors]
    for position, code in enumerate(spec.actors):
        _check_actor(located, (*where, "actors", position), code, actors)
    if spec.same_sentence:
        if not any_group or not actor_nodes:
            located.add(
                (*where, "same_sentence"),
                "needs both 'any' terms and 'actors' to put in one sentence",
            )
        inner: list[Node] = [_either(any_group), *actor_nodes] if any_group else actor_nodes
        parts.append(ScopeNode("sentence", AndNode(tuple(inner))))
    else:
        if any_group:
            parts.append(_either(any_group))
        parts += actor_nodes
    parts += [TermNode(parse_term(t)) for t in spec.all]
    if spec.none:
        parts.append(NotNode(_either([TermNode(parse_term(t)) for t in spec.none])))
    for group in ("any", "all", "none", "actors"):
        if group in located.document["rules"][index] and not getattr(spec, group):
            located.add((*where, group), f"'{group}' is empty: remove it or list something")
    event = None
    if spec.event is not None:
        event = _event(located, (*where, "event"), spec.event, actors, actions)
        if event is not None:
            parts += [ActorNode(code) for code in (event.source, event.target) if code]
    if not parts and spec.event is None and spec.query is None:
        located.add(where, f"rule {spec.id!r} has no query, any, all, actors or event")
    examples = Examples(
        tuple(spec.examples.match),
        tuple(spec.examples.no_match),
        spec.examples.direction.replace("->", "→") if spec.examples.direction else None,
        tuple(
            located.mark((*where, "examples", "match", i))[0]
            for i in range(len(spec.examples.match))
        ),
        tuple(
            located.mark((*where, "examples", "no_match", i))[0]
            for i in range(len(spec.examples.no_match))
        ),
    )
    if len(located.problems) > before:
        return None
    condition: Node = parts[0] if len(parts) == 1 else AndNode(tuple(parts))
    return Rule(
        id=spec.id,
        title=spec.title,
        condition=condition,
        event=event,
        severity=spec.severity,
        tags=tuple(spec.tags),
        description=spec.description,
        examples=examples,
        source=located.path,
        line=located.mark(where)[0],
    )


def _either(nodes: Sequence[Node]) -> Node:
    return nodes[0] if len(nodes) == 1 else OrNode(tuple(nodes))


def _parse(located: _Located, location: tuple[Any, ...], text: str) -> Node | None:
    try:
        return parse_query(text)
    except QueryError as exc:
        offset = (exc.column - 1) if exc.column else 0
        snippet = text[offset : offset + 20] if exc.column else text[:40]
        located.add(location, f"{exc.message} (at {snippet!r})", offset=offset)
        return None


def _check_actor(
    located: _Located,
    location: tuple[Any, ...],
    code: str,
    actors: dict[str, Actor],
    *,
    place: bool = True,
) -> None:
    if problem := actor_reference_problem(code, actors, place=place):
        located.add(location, problem)


def _event(
    located: _Located,
    location: tuple[Any, ...],
    spec: EventFields,
    actors: dict[str, Actor],
    actions: dict[str, Action],
) -> EventSpec | None:
    before = len(located.problems)
    if spec.action not in actions:
        known = ", ".join(sorted(actions)) or "none defined"
        located.add((*location, "action"), f"unknown action {spec.action!r} (known: {known})")
    for role in ("source", "target"):
        code = getattr(spec, role)
        if code is not None:
            _check_actor(located, (*location, role), code, actors, place=False)
    if spec.source is None and spec.target is None:
        located.add(location, "an event needs a source, a target or both")
    obj = _parse(located, (*location, "object"), spec.object) if spec.object else None
    if len(located.problems) > before:
        return None
    return EventSpec(spec.action, spec.source, spec.target, obj)
