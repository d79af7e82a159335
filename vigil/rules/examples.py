"""Rule fixtures: the examples each rule carries, run as tests by ``vigil rules check``."""

from __future__ import annotations

from vigil.article import Article
from vigil.rules.explain import explain_rule
from vigil.rules.matcher import Matcher
from vigil.rules.model import Rule


def example_article(text: str) -> Article:
    """An example sentence as an article: the sentence is the body, the title empty."""
    return Article(title="", body=text, outlet="example")


def check_examples(matcher: Matcher) -> list[str]:
    """One line per misbehaving example: file, line, rule, the example and what happened."""
    problems: list[str] = []
    for rule in matcher.ruleset.rules:
        problems += _check_rule(matcher, rule)
    return problems


def _check_rule(matcher: Matcher, rule: Rule) -> list[str]:
    problems = []
    examples = rule.examples
    lines = examples.match_lines or (rule.line,) * len(examples.match)
    for text, line in zip(examples.match, lines, strict=False):
        found = [m for m in matcher.match(example_article(text)) if m.rule_id == rule.id]
        where = f"{rule.source}:{line}: rule {rule.id!r}"
        if not found:
            why = "; ".join(
                line.strip()
                for line in explain_rule(matcher, rule, matcher.prepare(example_article(text)))
                if line.strip().startswith("✗")
            )
            problems.append(f"{where}: should match but does not: {text!r} ({why})")
        elif examples.direction and found[0].direction != examples.direction:
            problems.append(
                f"{where}: should name {examples.direction} "
                f"but names {found[0].direction}: {text!r}"
            )
    lines = examples.no_match_lines or (rule.line,) * len(examples.no_match)
    for text, line in zip(examples.no_match, lines, strict=False):
        found = [m for m in matcher.match(example_article(text)) if m.rule_id == rule.id]
        if found:
            problems.append(
                f"{rule.source}:{line}: rule {rule.id!r}: should not match but does: {text!r} "
                f"(on {', '.join(repr(t) for t in found[0].terms)})"
            )
    return problems
