"""Labels files for ``vigil rules eval``: hand-labelled items, read and checked against a
rule set (:mod:`vigil.rule_eval` scores the rules on them).

A labels file is JSON Lines, one item a line::

    {"title": "…", "text": "…", "link": "…", "published": "2026-11-28", "outlet": "…",
     "labels": {"turkish-mediation": 1, "tag:drones": 0, "minsk-normandy": null},
     "direction": {"mediation-rejected": "RUS → TUR"}}

``title``, ``text`` and ``labels`` are required, other fields are errors (a typo must not
drop a label quietly). A label's key is a rule id, or ``tag:NAME`` for "any rule carrying the
tag NAME" (compared without regard to case, as recipients' tags are); its value is 1 (the key
should match), 0 (it should not) or null (ambiguous: the item is left out of that key's
figures, as it is of every key it does not label). ``direction`` gives, per event rule, the
direction its match should name (``"RUS → TUR"`` or ``"RUS -> TUR"``, as in a rule's
examples). ``published`` is an ISO 8601 date, UTC unless it says otherwise; ``outlet``
defaults to ``labels``. A folder stands for every ``*.jsonl`` in it, sorted by name.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from vigil.article import Article
from vigil.errors import LabelsError, LocalFileError
from vigil.localfiles import read_capped
from vigil.rules.model import RuleSet
from vigil.rules.specs import DIRECTION
from vigil.store import Store

MAX_LABELS_BYTES = 64 * 1024 * 1024
MAX_PROBLEMS = 50  # then "… and N more": a file of the wrong kind is not 100,000 lines of errors
FIELDS = ("title", "text", "link", "published", "outlet", "labels", "direction")
TAG = "tag:"
DEFAULT_OUTLET = "labels"


@dataclass(frozen=True, slots=True)
class LabelledItem:
    """One line of a labels file: the article, its labels (nulls left out) and directions."""

    where: str  # "labels.jsonl:3"
    article: Article
    labels: dict[str, int]  # key ("turkish-mediation", "tag:drones") → 1 or 0
    directions: dict[str, str]  # event rule id → "RUS → TUR"


def label_files(path: Path) -> list[Path]:
    """``path`` itself, or every ``*.jsonl`` of the folder ``path``, sorted by name."""
    if path.is_dir():
        files = sorted(p for p in path.glob("*.jsonl") if not p.is_dir())
        if not files:
            raise LabelsError([f"{path}: a folder without *.jsonl labels files"])
        return files
    if not path.exists():
        raise LabelsError([f"{path}: no such file or folder"])
    return [path]


def load_labels(path: Path, ruleset: RuleSet) -> list[LabelledItem]:
    """Every item of the labels file (or folder of them) ``path``, checked against
    ``ruleset``; every problem at once, with file and line, as a :class:`LabelsError`."""
    known = known_keys(ruleset)
    event_rules = {rule.id for rule in ruleset.rules if rule.event is not None}
    items: list[LabelledItem] = []
    problems: list[str] = []
    for file in label_files(path):
        try:
            text = read_capped(file, MAX_LABELS_BYTES).decode("utf-8")
        except LocalFileError as exc:
            raise LabelsError([str(exc)]) from None
        except UnicodeDecodeError as exc:
            raise LabelsError([f"{file}: not UTF-8 (byte {exc.start})"]) from None
        # Lines end at "\n" only: a JSON string may hold U+2028, which str.splitlines cuts at.
        for number, line in enumerate(text.removeprefix("\ufeff").split("\n"), start=1):
            if line.strip():
                where = f"{file}:{number}"
                item = _item(where, line, known, event_rules, problems)
                if item is not None:
                    items.append(item)
    if len(problems) > MAX_PROBLEMS:
        problems[MAX_PROBLEMS:] = [f"… and {len(problems) - MAX_PROBLEMS} more problems"]
    if problems:
        raise LabelsError(problems)
    if not items:
        raise LabelsError([f"{path}: no labelled items"])
    return items


def known_keys(ruleset: RuleSet) -> dict[str, tuple[str, ...]]:
    """Every key a label may name, with the rule ids it stands for, in rule-set order."""
    keys: dict[str, tuple[str, ...]] = {rule.id: (rule.id,) for rule in ruleset.rules}
    for tag in sorted({tag.casefold() for rule in ruleset.rules for tag in rule.tags}):
        keys[TAG + tag] = tuple(r.id for r in ruleset.rules if tag in map(str.casefold, r.tags))
    return keys


def canonical_key(key: str, known: Collection[str]) -> str | None:
    """``key`` as the report names it (``tag:`` names case-folded), or None if unknown."""
    if key.startswith(TAG):
        key = TAG + key[len(TAG) :].strip().casefold()
    return key if key in known else None


def unknown_key(key: str, known: Collection[str]) -> str:
    """What to say of a key that names no rule and no tag: with the nearest real one (a tag's
    name compared with the tags', a rule id with the rules')."""
    tag = key.startswith(TAG)
    names = [k.removeprefix(TAG) for k in known if k.startswith(TAG) == tag]
    near = difflib.get_close_matches(key.removeprefix(TAG).casefold() if tag else key, names, n=1)
    hint = f" (did you mean {(TAG if tag else '') + near[0]!r}?)" if near else ""
    return f"{key!r} names no rule and no tag of the rule set{hint}"


def _item(
    where: str,
    line: str,
    known: dict[str, tuple[str, ...]],
    event_rules: set[str],
    problems: list[str],
) -> LabelledItem | None:
    """The item of one line, or None with what is wrong in ``problems``."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        problems.append(f"{where}: not JSON: {exc.msg} (column {exc.colno})")
        return None
    if not isinstance(record, dict):
        problems.append(f"{where}: an item is a JSON object, not {type(record).__name__}")
        return None
    mark = len(problems)
    for field in sorted(record.keys() - set(FIELDS)):
        problems.append(f"{where}: unknown field {field!r} (fields: {', '.join(FIELDS)})")
    for field in ("title", "text"):
        if not isinstance(record.get(field), str):
            problems.append(f"{where}: {field!r} missing or not a string")
    for field in ("link", "outlet", "published"):
        if record.get(field) is not None and not isinstance(record[field], str):
            problems.append(f"{where}: {field!r} is not a string")
    published = _published(where, record.get("published"), problems)
    labels = _labels(where, record.get("labels"), known, problems)
    directions = _directions(where, record.get("direction"), event_rules, problems)
    if len(problems) > mark:
        return None
    article = Article(
        title=record["title"],
        body=record["text"],
        outlet=record.get("outlet") or DEFAULT_OUTLET,
        link=record.get("link"),
        published=published,
    )
    return LabelledItem(where, article, labels, directions)


def _published(where: str, value: object, problems: list[str]) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        problems.append(f"{where}: 'published' is not an ISO 8601 date: {value!r}")
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _labels(
    where: str, value: object, known: dict[str, tuple[str, ...]], problems: list[str]
) -> dict[str, int]:
    if not isinstance(value, dict):
        problems.append(f"{where}: 'labels' missing or not an object of key: 1, 0 or null")
        return {}
    labels: dict[str, int] = {}
    for key, label in value.items():
        name = canonical_key(key, known)
        if name is None:
            problems.append(f"{where}: label {unknown_key(key, known)}")
        elif label is not None and (type(label) is not int or label not in (0, 1)):
            problems.append(f"{where}: label {key!r} is {json.dumps(label)}: use 1, 0 or null")
        elif label is not None and labels.setdefault(name, label) != label:
            problems.append(f"{where}: {name!r} is labelled both 1 and 0")
    return labels


def _directions(
    where: str, value: object, event_rules: set[str], problems: list[str]
) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append(f"{where}: 'direction' is not an object of event rule id: 'RUS → TUR'")
        return {}
    directions: dict[str, str] = {}
    for rule_id, direction in value.items():
        found = DIRECTION.match(direction) if isinstance(direction, str) else None
        if rule_id not in event_rules:
            problems.append(f"{where}: direction for {rule_id!r}, which is no event rule")
        elif found is None:
            problems.append(
                f"{where}: direction {json.dumps(direction, ensure_ascii=False)} for "
                f"{rule_id!r}: write it as 'RUS → TUR'"
            )
        else:
            directions[rule_id] = f"{found[1]} → {found[2]}"
    return directions


def stored_labels(
    store: Store, ruleset: RuleSet, since: datetime | None = None
) -> tuple[list[LabelledItem], list[str]]:
    """The analysts' labels in the store (``vigil matches label``) as labelled items: relevant
    and missed are 1 for their rule, irrelevant 0. Labels of rules the rule set no longer has
    are left out and named in the second list; so are items that are gone."""
    known = {rule.id for rule in ruleset.rules}
    by_item: dict[int, dict[str, int]] = {}
    dropped: list[str] = []
    for label in store.labels_for(since=since):
        if label.rule_id not in known:
            dropped.append(f"item {label.item_id}: rule {label.rule_id!r} is not in the rules")
            continue
        by_item.setdefault(label.item_id, {})[label.rule_id] = (
            0 if label.verdict == "irrelevant" else 1
        )
    items: list[LabelledItem] = []
    for item_id, labels in sorted(by_item.items()):
        article = store.article(item_id)
        if article is None:
            dropped.append(f"item {item_id}: no longer stored")
            continue
        items.append(LabelledItem(f"item {item_id}", article, labels, {}))
    if not items:
        raise LabelsError(
            [*dropped, "no labels in the store yet: label matches with `vigil matches label`"]
            if not dropped
            else [*dropped, "no labelled item is left to score with these rules"]
        )
    return items, dropped
