"""The shipped rules against the development set (tests/data/eval): each seed family holds
recall 0.95 and precision 0.90, as `make test` also checks with `vigil rules eval`."""

from __future__ import annotations

import pytest

from vigil.labels import load_labels
from vigil.rule_eval import EvalReport, evaluate_labels
from vigil.rules import Matcher, load_ruleset

from tests.conftest import ROOT, RULES

FAMILIES = ("tag:mediation", "tag:drones", "tag:minsk")


@pytest.fixture(scope="module")
def report() -> EvalReport:
    ruleset = load_ruleset(RULES)
    items = load_labels(ROOT / "tests" / "data" / "eval", ruleset)
    return evaluate_labels(Matcher(ruleset), items)


def test_the_set_is_large_enough_with_hard_negatives_for_each_family(report: EvalReport) -> None:
    assert report.items >= 400
    for score in report.scores:
        if score.key in FAMILIES:
            assert score.tp + score.fn >= 40, score.key  # positives
            assert score.tn + score.fp >= 40, score.key


@pytest.mark.parametrize("family", FAMILIES)
def test_each_seed_family_meets_its_targets(report: EvalReport, family: str) -> None:
    (score,) = [s for s in report.scores if s.key == family]
    misses = [m.title for m in report.misses if m.key == family]
    wrong = [f.title for f in report.false_positives if f.key == family]
    assert score.recall is not None and score.recall >= 0.95, misses
    assert score.precision is not None and score.precision >= 0.90, wrong
    if score.direction_labelled:
        assert score.direction_share is not None and score.direction_share >= 0.9
