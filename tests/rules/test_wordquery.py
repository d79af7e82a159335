"""A rule's word query leaves out no item the rule matches: a trial that reads only the items
the word index names finds every hit a full scan finds."""

import json
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vigil.article import Article
from vigil.rules import Matcher
from vigil.rules.loader import load_ruleset
from vigil.rules.model import Rule, RuleSet
from vigil.rules.query import parse_query
from vigil.rules.regex_words import regex_words
from vigil.rules.wordquery import rule_words
from vigil.words import Word, holds, item_words

ROOT = Path(__file__).resolve().parents[2]
EVAL = ROOT / "tests" / "data" / "eval"


@cache
def _shipped() -> RuleSet:
    return load_ruleset(ROOT / "rules")


def _eval_articles() -> list[Article]:
    found = []
    for path in sorted(EVAL.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                found.append(Article(title=record["title"], body=record["text"], outlet="x"))
    return found


def test_every_match_of_the_shipped_rules_holds_its_rules_words() -> None:
    ruleset = load_ruleset(ROOT / "rules")
    articles = _eval_articles()
    examples = [
        Article(title=text, body="", outlet="x")
        for rule in ruleset.rules
        for text in (*rule.examples.match, *rule.examples.no_match)
    ]
    articles += examples
    queries = {rule.id: rule_words(rule, ruleset) for rule in ruleset.rules}
    assert all(query is not None for query in queries.values())  # every rule says something
    matched = 0
    ruled_out = 0
    for article, found in zip(articles, Matcher(ruleset).match_many(articles), strict=True):
        words = item_words(article.title, article.body)
        hit = {match.rule_id for match in found}
        for rule_id, query in queries.items():
            answers = holds(query, words)
            if rule_id in hit:
                matched += 1
                assert answers, (rule_id, article.title)
            ruled_out += not answers
    assert matched > 500
    # And it is worth asking: most (article, rule) pairs are ruled out without matching.
    assert ruled_out > 0.6 * len(articles) * len(queries)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"\bTB[-‐‑ ]?[23]s?\b", Word("tb", prefix=True)),
        (r"^Ankara", Word("ankara", prefix=True)),
        (r"Su-?2[457]", None),  # no word start: the literal may be inside a word
        (r"\b[Tt]B2", None),
        (r"\pL+", None),  # RE2 syntax Python's parser does not read: nothing said
    ],
)
def test_a_regex_needs_the_word_its_leading_literal_starts(
    pattern: str, expected: Word | None
) -> None:
    assert regex_words(pattern) == expected


def test_an_alternation_needs_one_of_its_branches_words() -> None:
    found = regex_words(r"\b(?:Su|MiG)-?\d+")
    assert found is not None
    assert holds(found, "mig 29") and holds(found, "su 25") and not holds(found, "tu 95")


_PIECES = ["TB2", "TB-2", "tb 2", "Bayraktar", "Akıncı", "Akinci", "drones", "ŞTB3", "Kyiv",
           "Türkiye", "mediation", "mediated", "talks", "Ankara", "ward", "NOT", "2"]  # fmt: skip
_QUERIES = [
    r"/\bTB[-‐‑ ]?[23]s?\b/",
    "Bayraktar NEAR/2 (drone* OR TB2)",
    "~mediate AND NOT ward",
    "sentence:(Akinci AND drone*)",
    "@TUR AND (talks OR ~mediate)",
    "title:(Türkiye OR Kyiv) OR /^TB/",
]


@given(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=8), st.sampled_from(_QUERIES))
def test_no_generated_text_a_query_matches_lacks_its_words(pieces: list[str], query: str) -> None:
    live = _shipped()
    rule = Rule("q", "q", parse_query(query))
    ruleset = RuleSet((rule,), live.actors, live.actions)
    article = Article(title=" ".join(pieces[:2]), body=" ".join(pieces[2:]), outlet="x")
    if Matcher(ruleset, helper=False).match(article):
        assert holds(rule_words(rule, ruleset), item_words(article.title, article.body))
