"""A batch split with the helper process gives what this process alone gives, in order."""

from pathlib import Path

import pytest

from vigil.article import Article
from vigil.rules import Matcher, load_ruleset, parallel
from vigil.sources import read_article_folder

ROOT = Path(__file__).resolve().parents[2]


def articles() -> list[Article]:
    found = list(read_article_folder(ROOT / "examples" / "articles"))
    ruleset = load_ruleset(ROOT / "rules")
    for rule in ruleset.rules:
        for text in rule.examples.match + rule.examples.no_match:
            found.append(Article(title=text[:40], body=text, outlet="x"))
    return found


@pytest.fixture
def always_split(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "PARALLEL_MIN_CHARACTERS", 1)
    monkeypatch.setattr(parallel, "_cores", lambda: 2)


def test_split_batches_give_the_same_matches(always_split: None) -> None:
    batch = articles()
    matcher = Matcher(load_ruleset(ROOT / "rules"))
    assert parallel.worth_helping(batch)
    split = matcher.match_many(batch)
    assert matcher._helper is not None and not matcher._helper_broken
    assert split == matcher.match_here(batch)
    assert any(split)
    assert matcher.match_many(batch) == split  # the helper serves batch after batch


def test_warnings_of_both_parts_come_in_article_order(always_split: None) -> None:
    batch = articles()
    split = Matcher(load_ruleset(ROOT / "rules"), budget=-1.0)  # every article over budget
    here = Matcher(load_ruleset(ROOT / "rules"), budget=-1.0)
    assert split.match_many(batch) == here.match_here(batch)
    assert split.warnings and split.warnings == here.warnings


def test_the_helper_can_be_turned_off(always_split: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIL_MATCH_HELPER", "0")
    assert not parallel.worth_helping(articles())


def test_a_dead_helper_means_matching_here(always_split: None) -> None:
    batch = articles()
    matcher = Matcher(load_ruleset(ROOT / "rules"))
    expected = matcher.match_here(batch)
    assert matcher.match_many(batch) == expected
    assert matcher._helper is not None
    matcher._helper._process.kill()
    matcher._helper._process.wait()
    assert matcher.match_many(batch) == expected
    assert matcher._helper_broken


def test_a_matcher_made_without_a_helper_never_starts_one(always_split: None) -> None:
    batch = articles()
    matcher = Matcher(load_ruleset(ROOT / "rules"), helper=False)
    assert matcher.match_many(batch) == Matcher(load_ruleset(ROOT / "rules")).match_here(batch)
    assert matcher._helper is None
