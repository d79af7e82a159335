"""Rule fixtures: the examples each rule carries, run as tests by ``vigil rules check``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vigil.article import Article
from vigil.rules.explain import explain_rule
from vigil.rules.matcher import Matcher
from vigil.rules.model import Rule

MATCH, NO_MATCH = "match", "no match"


@dataclass(frozen=True, slots=True)
class ExampleFailure:
    """One misbehaving example of a rule: where it stands, what it expects, what happened.

    ``expected`` is ``MATCH``, ``NO_MATCH`` or, for an event rule's matching example, the
    direction it should name (``RUS → TUR``); ``why`` is what happened instead: the clauses
    that failed, the terms that matched, or the direction named.
    """

    rule_id: str
    file: Path
    line: int
    text: str
    expected: str
    why: str

    def describe(self) -> str:
        """The one line ``vigil rules check`` prints: file, line, rule, example, what happened."""
        where = f"{self.file}:{self.line}: rule {self.rule_id!r}"
        if self.expected == MATCH:
            return f"{where}: should match but does not: {self.text!r} ({self.why})"
        if self.expected == NO_MATCH:
            return f"{where}: should not match but does: {self.text!r} ({self.why})"
        return f"{where}: should name {self.expected} but names {self.why}: {self.text!r}"

    def __str__(self) -> str:
        return self.describe()


def example_article(text: str) -> Article:
    """An example sentence as an article: the sentence is the body, the title empty."""
    return Article(title="", body=text, outlet="example")


def check_examples(matcher: Matcher) -> list[ExampleFailure]:
    """Every misbehaving example of every rule, in rule order."""
    failures: list[ExampleFailure] = []
    for rule in matcher.ruleset.rules:
        failures += _check_rule(matcher, rule)
    return failures


def _check_rule(matcher: Matcher, rule: Rule) -> list[ExampleFailure]:
    failures = []
    examples = rule.examples
    lines = examples.match_lines or (rule.line,) * len(examples.match)
    for text, line in zip(examples.match, lines, strict=False):
        found = [m for m in matcher.match(example_article(text)) if m.rule_id == rule.id]
        if not found:
            why = "; ".join(
                step.strip()
                for step in explain_rule(matcher, rule, matcher.prepare(example_article(text)))
                if step.strip().startswith("✗")
            )
            failures.append(ExampleFailure(rule.id, rule.source, line, text, MATCH, why))
        elif examples.direction and found[0].direction != examples.direction:
            named = str(found[0].direction)
            failures.append(
                ExampleFailure(rule.id, rule.source, line, text, examples.direction, named)
            )
    lines = examples.no_match_lines or (rule.line,) * len(examples.no_match)
    for text, line in zip(examples.no_match, lines, strict=False):
        found = [m for m in matcher.match(example_article(text)) if m.rule_id == rule.id]
        if found:
            why = f"on {', '.join(repr(t) for t in found[0].terms)}"
            failures.append(ExampleFailure(rule.id, rule.source, line, text, NO_MATCH, why))
    return failures
