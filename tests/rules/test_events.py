"""Who did what to whom: direction from word order, possession, prepositions and the passive."""

import pytest

from vigil.article import Article
from vigil.rules import Matcher, load_ruleset

from tests.conftest import RULES


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(load_ruleset(RULES))


def directions(matcher: Matcher, text: str, action: str = "reject") -> list[str]:
    doc = matcher.prepare(Article(title="", body=text, outlet="x"))
    return [event.direction for event in matcher.events(action, doc)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Why Putin rejected Erdogan's offer to mediate over Ukraine", ["RUS → TUR"]),
        ("Russia was quick to reject Erdoğan's offer.", ["RUS → TUR"]),
        ("Turkey rejected Russia's proposal.", ["TUR → RUS"]),
        ("Erdoğan's offer to mediate was rejected by the Kremlin.", ["RUS → TUR"]),
        ("The Kremlin turned down the Turkish offer on Ukraine.", ["RUS → TUR"]),
        ("Kyiv rejected Moscow's demands over the Donbas.", ["UKR → RUS"]),
        ("Moscow rejected the plan in Ukraine.", ["RUS → ?"]),
        ("Ankara welcomed the talks, but Moscow rejected them.", ["RUS → ?"]),
    ],
)
def test_direction(matcher: Matcher, text: str, expected: list[str]) -> None:
    assert directions(matcher, text) == expected


@pytest.mark.parametrize(
    ("text", "action", "expected"),
    [
        # An adjective after "of" still says whose offer it is.
        ("Moscow rejected the idea of Turkish mediation.", "reject", ["RUS → TUR"]),
        # "between X and Y" is the topic, both of them.
        ("Qatar offered to mediate between Russia and Ukraine.", "offer_mediation", ["? → ?"]),
        # Irregular participles and "to X" in the passive.
        ("Kyiv was sold a further batch of TB2 drones by Ankara.", "supply_arms", ["TUR → UKR"]),
        ("The drones were supplied to Ukraine by Turkey.", "supply_arms", ["TUR → UKR"]),
    ],
)
def test_harder_directions(matcher: Matcher, text: str, action: str, expected: list[str]) -> None:
    assert directions(matcher, text, action) == expected


def test_the_object_must_be_in_the_same_clause(matcher: Matcher) -> None:
    text = "Turkey delivered wheat to Ukraine while Russia sold weapons to Belarus."
    found = {m.rule_id for m in matcher.match(Article(title="", body=text, outlet="x"))}
    assert "turkish-arms-to-ukraine" not in found


def test_topic_after_over_is_not_a_target(matcher: Matcher) -> None:
    assert "RUS → UKR" not in directions(matcher, "Putin rejected mediation over Ukraine.")


def test_event_rule_needs_the_right_direction(matcher: Matcher) -> None:
    def rule_ids(text: str) -> set[str]:
        return {m.rule_id for m in matcher.match(Article(title="", body=text, outlet="x"))}

    assert "mediation-rejected" in rule_ids("The Kremlin rejected Erdoğan's offer to mediate.")
    assert "mediation-rejected" not in rule_ids("Turkey rejected Russia's offer to mediate.")
    # Co-occurrence is not enough: both actors and the verb, but nobody rejects Turkey.
    assert "mediation-rejected" not in rule_ids(
        "Russia rejected the idea; Turkey offered to mediate."
    )
