"""Trying a rule edit on stored news before it goes live, and searching stored items with the
query language: what the web page's playground and search box run.

An edit is YAML (a rule, a list of rules, or a whole rules document) or a bare query; it is
compiled with the live rules folder's actors and actions, its rules taking the place of the
live ones of the same id. Nothing is written to the rules folder or the store.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from vigil.article import Article
from vigil.errors import QueryError
from vigil.match import Match
from vigil.rules import Matcher, RuleSet
from vigil.rules.loader import load_ruleset_partly
from vigil.rules.model import Rule
from vigil.rules.query import parse_query
from vigil.rules.wordquery import rules_words
from vigil.store import Store

EDIT_NAME = "playground.yaml"
SEARCH_RULE = "search"
BATCH = 500
# A trial reads every item of its period: batches of about 2 MB of text, so that matching
# shares them with the helper process on a second core (vigil.rules.parallel).
TRIAL_BATCH = 2000


@dataclass
class Edit:
    """A compiled edit: its rules (with the live actors), or the problems that stopped it."""

    text: str
    yaml: str  # what to paste into a rules file
    rules: tuple[Rule, ...] = ()
    ruleset: RuleSet | None = None
    problems: list[str] = field(default_factory=list)


def compile_edit(
    folder: Path, text: str, *, rule_id: str = "playground", title: str | None = None
) -> Edit:
    """Compile ``text``; problems name ``playground.yaml`` with line and column. A bare query
    becomes rule ``rule_id`` (titled ``title``)."""
    stripped = text.strip()
    if not stripped:
        return Edit(text, "", problems=[f"{EDIT_NAME}:1:1: the edit is empty"])
    bare = not _looks_like_yaml(stripped)
    if bare:
        try:
            parse_query(stripped)
        except QueryError as exc:
            return Edit(text, "", problems=[f"query:1:{exc.column or 1}: {exc.message}"])
        shown_title = json.dumps(title or rule_id, ensure_ascii=False)
        query = json.dumps(stripped, ensure_ascii=False)
        body = f"- id: {rule_id}\n  title: {shown_title}\n  query: {query}\n"
    else:
        body = stripped + "\n"
    document, shift = _as_document(body)
    with tempfile.TemporaryDirectory(prefix="vigil-playground-") as scratch:
        path = Path(scratch) / EDIT_NAME
        path.write_text(document, encoding="utf-8")
        ruleset, problems = load_ruleset_partly(folder, edited=path)
        mine = [
            _relocated(problem, str(path), shift) for problem in problems if str(path) in problem
        ]
        rules = tuple(rule for rule in ruleset.rules if rule.source == path)
    if not rules and not mine:
        mine = [f"{EDIT_NAME}:1:1: the edit defines no rule (start with '- id: ...')"]
    edited = RuleSet(rules, ruleset.actors, ruleset.actions)
    return Edit(text, body, rules, None if mine else edited, mine)


def _looks_like_yaml(text: str) -> bool:
    first = text.lstrip().splitlines()[0]
    return first.startswith("- ") or re.match(r"^[a-z_]+:", first) is not None


def _as_document(body: str) -> tuple[str, int]:
    """A rules document, and how many lines were put in front of what the analyst wrote."""
    if body.lstrip().startswith("- "):
        return "rules:\n" + body, 1
    return body, 0


_LOCATION = re.compile(r":(\d+)(:\d+)?:")


def _relocated(problem: str, path: str, shift: int) -> str:
    problem = problem.replace(path, EDIT_NAME)
    prefix = f"{EDIT_NAME}:"
    if not problem.startswith(prefix):
        return problem

    def moved(found: re.Match[str]) -> str:
        return f":{max(1, int(found.group(1)) - shift)}{found.group(2) or ''}:"

    return prefix[:-1] + _LOCATION.sub(moved, problem[len(prefix) - 1 :], count=1)


@dataclass
class Hit:
    """One item the edit flags and the live rule does not (new), or the reverse (lost)."""

    rule_id: str
    change: str  # new | lost
    item_id: int
    title: str
    match: Match | None  # the candidate's match for a new hit; the stored one for a lost hit


@dataclass
class RuleTrial:
    rule_id: str
    would_flag: int = 0
    live: int = 0
    new: int = 0
    lost: int = 0


@dataclass
class Trial:
    items: int = 0  # first seen in the period
    read: int = 0  # of which read and matched: those the word index could not rule out
    rules: dict[str, RuleTrial] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)  # the first ``keep`` of each change


def try_edit(
    store: Store,
    edit: RuleSet,
    since: datetime,
    until: datetime | None = None,
    *,
    keep: int = 50,
    progress: Callable[[int, int], None] | None = None,
) -> Trial:
    """Match the edit's rules on items first seen in [since, until); compare with the live
    matches of the same rule ids.

    Only the items that hold the words the edit needs (the store's word index) and the items
    the live rules matched are read: no other item can be a new or a lost hit.
    """
    matcher = Matcher(edit)
    ids = [rule.id for rule in edit.rules]
    trial = Trial(rules={rule_id: RuleTrial(rule_id) for rule_id in ids})
    trial.items = store.count_items_since(since, until)
    needed = rules_words(edit.rules, edit)
    item_ids = sorted(
        {*store.item_ids_holding(needed, since, until), *store.item_ids_matched(ids, since, until)}
    )
    trial.read = len(item_ids)
    kept = {"new": 0, "lost": 0}
    for start in range(0, len(item_ids), TRIAL_BATCH):
        batch = item_ids[start : start + TRIAL_BATCH]
        loaded = store.articles(batch)
        verdicts = matcher.match_many([article for _, article in loaded])
        live = store.stored_rule_hits(batch)
        for (item_id, article), found in zip(loaded, verdicts, strict=True):
            flagged = {match.rule_id: match for match in found}
            before = live.get(item_id, set())
            for rule_id in ids:
                entry = trial.rules[rule_id]
                now, then = rule_id in flagged, rule_id in before
                entry.would_flag += now
                entry.live += then
                if now == then:
                    continue
                change = "new" if now else "lost"
                setattr(entry, change, getattr(entry, change) + 1)
                if kept[change] < keep:
                    kept[change] += 1
                    shown = flagged[rule_id] if now else _stored(store, item_id, rule_id)
                    trial.hits.append(Hit(rule_id, change, item_id, article.title, shown))
        if progress is not None:
            progress(min(start + TRIAL_BATCH, len(item_ids)), len(item_ids))
    return trial


def _stored(store: Store, item_id: int, rule_id: str) -> Match | None:
    return next((m for m in store.item_matches(item_id) if m.rule_id == rule_id), None)


@dataclass
class SearchResult:
    item_id: int
    article: Article
    match: Match


@dataclass
class Search:
    results: list[SearchResult]
    scanned: int
    next_before: int | None  # where the next page starts; None: nothing older is left


def search_items(
    store: Store,
    edit: RuleSet,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    before: int | None = None,
    limit: int = 50,
    scan_at_most: int = 20_000,
) -> Search:
    """Stored items the query matches, newest first, until ``limit`` are found or
    ``scan_at_most`` items were read (the page then offers to search further back)."""
    matcher = Matcher(edit)
    needed = rules_words(edit.rules, edit)
    results: list[SearchResult] = []
    scanned = 0
    cursor = before
    while len(results) < limit and scanned < scan_at_most:
        batch = store.newest_item_ids(
            since=since, until=until, before=cursor, limit=BATCH, holding=needed
        )
        if not batch:
            return Search(results, scanned, None)
        loaded = dict(store.articles(batch))
        ordered = [(item_id, loaded[item_id]) for item_id in batch if item_id in loaded]
        verdicts = matcher.match_here([article for _, article in ordered])
        for (item_id, article), found in zip(ordered, verdicts, strict=True):
            scanned += 1
            cursor = item_id
            if found:
                results.append(SearchResult(item_id, article, found[0]))
                if len(results) >= limit:
                    break
    return Search(results, scanned, cursor)


def rule_yaml(rule: Rule) -> str:
    """The rule as its file has it: from its ``- id:`` line to the next rule or section."""
    try:
        lines = rule.source.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return ""
    start = max(rule.line - 1, 0)
    while start > 0 and not lines[start].lstrip().startswith("- "):
        start -= 1
    if start >= len(lines):
        return ""
    indent = len(lines[start]) - len(lines[start].lstrip())
    taken = [lines[start]]
    for line in lines[start + 1 :]:
        depth = len(line) - len(line.lstrip())
        if line.strip() and depth <= indent:
            break
        taken.append(line)
    while taken and not taken[-1].strip():
        taken.pop()
    return "\n".join(line[indent:] for line in taken) + "\n"
