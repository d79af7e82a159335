"""A rule set scored against hand-labelled items (:mod:`vigil.labels`): ``vigil rules eval``'s
library. The items are matched in memory: nothing is stored, nothing is sent.

The figures per key (a rule id, or ``tag:NAME``), over the items that label it 1 or 0:

- **TP, FP, FN, TN**: labelled 1 and matched, labelled 0 and matched (a false positive),
  labelled 1 and not matched (a miss), labelled 0 and not matched. A ``tag:`` key matches
  when any rule carrying the tag does;
- **precision** TP / (TP + FP); 1.0 when nothing matched and nothing should have; ``None``
  (n/a) when nothing matched but something should have (recall then says it: 0.0);
- **recall** TP / (TP + FN); ``None`` (n/a) when no item labels the key 1;
- **F1** the harmonic mean of the two; ``None`` when either is, 0.0 when both are 0;
- **direction share**: of the true positives with a direction label, those whose match names
  it; for a ``tag:`` key, every matching rule of the tag with a direction label must name its
  own. ``None`` when no true positive has a direction label.

A threshold (:meth:`EvalReport.shortfalls`) fails a key only on a figure it has: n/a never
falls below.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass

from vigil.article import Article
from vigil.errors import LabelsError
from vigil.labels import LabelledItem, canonical_key, known_keys, unknown_key
from vigil.match import Match
from vigil.rules.explain import explain_rule
from vigil.rules.matcher import Matcher
from vigil.rules.model import Rule

# A miss whose every clause holds when explained: its matching ran out of time.
CUT_SHORT = "no clause fails when explained: matching was cut short (see the warnings)"


@dataclass(frozen=True, slots=True)
class KeyScore:
    """The figures of one key over the items that label it (see the module's docstring)."""

    key: str
    rules: tuple[str, ...]  # the rule ids the key stands for
    labelled: int
    tp: int
    fp: int
    fn: int
    tn: int
    direction_labelled: int  # true positives with a direction label
    direction_right: int

    @property
    def precision(self) -> float | None:
        if self.tp + self.fp:
            return self.tp / (self.tp + self.fp)
        return 1.0 if self.fn == 0 else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        precision, recall = self.precision, self.recall
        if precision is None or recall is None:
            return None
        return 2 * precision * recall / (precision + recall) if precision + recall else 0.0

    @property
    def direction_share(self) -> float | None:
        if not self.direction_labelled:
            return None
        return self.direction_right / self.direction_labelled

    def as_json(self) -> dict[str, object]:
        data: dict[str, object] = asdict(self)
        data["rules"] = list(self.rules)
        for name in ("precision", "recall", "f1", "direction_share"):
            data[name] = getattr(self, name)
        return data


@dataclass(frozen=True, slots=True)
class Hit:
    """A rule of the key that matched a false positive: its evidence, matched words in
    [brackets] as ``vigil rules test`` shows them, and the direction it named."""

    rule_id: str
    evidence: str
    direction: str | None


@dataclass(frozen=True, slots=True)
class FalsePositive:
    key: str
    where: str
    title: str
    hits: tuple[Hit, ...]


@dataclass(frozen=True, slots=True)
class RuleMiss:
    """A rule of the key that did not match, in the words of
    :func:`vigil.rules.explain.explain_rule` (``vigil rules test``): ``explain``, its lines as
    that command prints them; ``failing``, the clauses to blame (:func:`failing_clauses`)."""

    rule_id: str
    failing: tuple[str, ...]
    explain: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Miss:
    key: str
    where: str
    title: str
    rules: tuple[RuleMiss, ...]


@dataclass(frozen=True, slots=True)
class WrongDirection:
    """A true positive whose rule named another direction than the labelled one."""

    key: str
    where: str
    title: str
    rule_id: str
    labelled: str
    found: str | None


@dataclass(frozen=True, slots=True)
class EvalReport:
    """Every key's figures (rule-set order, then tags by name), and the items behind them."""

    items: int
    scores: tuple[KeyScore, ...]
    false_positives: tuple[FalsePositive, ...]
    misses: tuple[Miss, ...]
    wrong_directions: tuple[WrongDirection, ...]
    warnings: tuple[str, ...]  # articles whose matching was cut short (the matcher's budget)

    def shortfalls(
        self, *, min_recall: float | None = None, min_precision: float | None = None
    ) -> list[str]:
        """Each key whose recall or precision is below its threshold, said in one line."""
        found = []
        for score in self.scores:
            for name, floor in (("recall", min_recall), ("precision", min_precision)):
                value = getattr(score, name)
                if floor is not None and value is not None and value < floor:
                    found.append(f"{score.key}: {name} {value:.2f} is below {floor:.2f}")
        return found

    def as_json(self) -> dict[str, object]:
        """The report as JSON values; the keys are stable (README: ``vigil rules eval``)."""
        return {
            "items": self.items,
            "keys": [score.as_json() for score in self.scores],
            "false_positives": [_plain(entry) for entry in self.false_positives],
            "misses": [_plain(entry) for entry in self.misses],
            "wrong_directions": [_plain(entry) for entry in self.wrong_directions],
            "warnings": list(self.warnings),
        }


def _plain(entry: FalsePositive | Miss | WrongDirection) -> dict[str, object]:
    plain: dict[str, object] = json.loads(json.dumps(asdict(entry)))  # tuples as lists
    return plain


# -- matching and counting --------------------------------------------------------------------


def evaluate_labels(
    matcher: Matcher, items: Sequence[LabelledItem], keys: Collection[str] | None = None
) -> EvalReport:
    """Match every item in memory and score every key the items label (or only ``keys``:
    each must be a key of the rule set that some item labels 1 or 0)."""
    known = known_keys(matcher.ruleset)
    labelled = {key for item in items for key in item.labels}
    if keys is not None:
        chosen = set()
        problems = []
        for key in keys:
            name = canonical_key(key, known)
            if name is None:
                problems.append(f"key {unknown_key(key, known)}")
            elif name not in labelled:
                problems.append(f"key {key!r}: no item labels it 1 or 0")
            else:
                chosen.add(name)
        if problems:
            raise LabelsError(problems)
        labelled = chosen
    rules = {rule.id: rule for rule in matcher.ruleset.rules}
    warned = len(matcher.warnings)
    found = matcher.match_many([item.article for item in items])
    tally = {key: _Tally() for key in known if key in labelled}
    fps: list[FalsePositive] = []
    misses: list[Miss] = []
    wrong: list[WrongDirection] = []
    for item, matches in zip(items, found, strict=True):
        by_rule = {match.rule_id: match for match in matches}
        for key, count in tally.items():
            label = item.labels.get(key)
            if label is None:
                continue
            hits = [by_rule[r] for r in known[key] if r in by_rule]
            title = item.article.title
            if label and hits:
                count.tp += 1
                wrong += count.directions(key, item, hits)
            elif hits:
                count.fp += 1
                fps.append(FalsePositive(key, item.where, title, tuple(map(_hit, hits))))
            elif label:
                count.fn += 1
                why = _why_not(matcher, [rules[r] for r in known[key]], item.article)
                misses.append(Miss(key, item.where, title, why))
            else:
                count.tn += 1
    scores = tuple(count.score(key, known[key]) for key, count in tally.items())
    return EvalReport(
        items=len(items),
        scores=scores,
        false_positives=tuple(fps),
        misses=tuple(misses),
        wrong_directions=tuple(wrong),
        warnings=tuple(matcher.warnings[warned:]),
    )


@dataclass(slots=True)
class _Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    direction_labelled: int = 0
    direction_right: int = 0

    def directions(self, key: str, item: LabelledItem, hits: list[Match]) -> list[WrongDirection]:
        """Count a true positive's direction, if labelled; the rules that named another."""
        judged = [hit for hit in hits if hit.rule_id in item.directions]
        if not judged:
            return []
        self.direction_labelled += 1
        wrong = [
            WrongDirection(
                key, item.where, item.article.title, hit.rule_id,
                item.directions[hit.rule_id], hit.direction,
            )
            for hit in judged
            if hit.direction != item.directions[hit.rule_id]
        ]  # fmt: skip
        if not wrong:
            self.direction_right += 1
        return wrong

    def score(self, key: str, rules: tuple[str, ...]) -> KeyScore:
        return KeyScore(
            key, rules, self.tp + self.fp + self.fn + self.tn, self.tp, self.fp, self.fn,
            self.tn, self.direction_labelled, self.direction_right,
        )  # fmt: skip


def _hit(match: Match) -> Hit:
    evidence = "".join(f"[{p}]" if marked else p for p, marked in match.evidence_segments())
    return Hit(match.rule_id, evidence, match.direction)


def _why_not(matcher: Matcher, rules: list[Rule], article: Article) -> tuple[RuleMiss, ...]:
    """Per rule, the failing clauses as ``vigil rules test`` words them."""
    doc = matcher.prepare(article)
    misses = []
    for rule in rules:
        lines = tuple(explain_rule(matcher, rule, doc))
        misses.append(RuleMiss(rule.id, failing_clauses(lines) or (CUT_SHORT,), lines))
    return tuple(misses)


@dataclass(slots=True)
class _Step:
    text: str
    children: list[_Step]

    @property
    def failed(self) -> bool:
        return self.text.startswith("✗")


def failing_clauses(lines: Sequence[str]) -> tuple[str, ...]:
    """The failed clauses to blame among ``explain_rule``'s lines (indented two spaces a
    level): below a failed clause, its failed parts, down to the words; but a clause whose
    parts are all words and all failed (an OR of terms that found none) is blamed whole."""
    roots: list[_Step] = []
    stack: list[tuple[int, _Step]] = []
    for line in lines:
        text = line.lstrip(" ")
        depth = (len(line) - len(text)) // 2
        if not text.startswith(("✓", "✗")):  # a note on the line above ("(the object …)")
            if stack:
                stack[-1][1].text += " " + text
            continue
        step = _Step(text, [])
        while stack and stack[-1][0] >= depth:
            stack.pop()
        (stack[-1][1].children if stack else roots).append(step)
        stack.append((depth, step))
    return tuple(text for root in roots for text in _blame(root))


def _blame(step: _Step) -> list[str]:
    if not step.failed:
        return []
    failed = [child for child in step.children if child.failed]
    every_word_failed = len(failed) == len(step.children) > 1 and not any(
        child.children for child in failed
    )
    if not failed or every_word_failed:
        return [step.text]
    return [text for child in failed for text in _blame(child)]
