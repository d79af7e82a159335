"""Places: where something happens (@TUR.place), never who acts (@TUR, an event's source)."""

from __future__ import annotations

from pathlib import Path

import pytest

from vigil.article import Article
from vigil.errors import FileFormatError
from vigil.rules import Matcher, load_ruleset
from vigil.rules.explain import explain_rule

from tests.conftest import RULES

ACTORS = """\
actors:
  TUR:
    name: Turkey
    capitals: [Ankara]
    places: [Istanbul, Antalya, Dolmabahçe]
  RUS:
    name: Russia
    capitals: [Moscow]
  UKR:
    name: Ukraine
    capitals: [Kyiv]
actions:
  reject:
    triggers: [reject*]
"""


def folder_with(tmp_path: Path, rules: str, actors: str = ACTORS) -> Path:
    (tmp_path / "actors.yaml").write_text(actors, encoding="utf-8")
    (tmp_path / "topic.yaml").write_text(rules, encoding="utf-8")
    return tmp_path


def matched(folder: Path, text: str) -> set[str]:
    matcher = Matcher(load_ruleset(folder))
    return {m.rule_id for m in matcher.match(Article(title=text, body="", outlet="x"))}


HOSTED = """\
rules:
  - id: hosted
    title: Talks hosted in Turkey
    query: "sentence:(@TUR.place AND talks) AND @RUS AND @UKR"
  - id: turkey
    title: Turkey itself
    query: "@TUR"
  - id: rejects
    title: Someone rejects Russia
    event: {source: TUR, action: reject, target: RUS}
"""


def test_a_place_says_where_and_is_not_a_mention(tmp_path: Path) -> None:
    folder = folder_with(tmp_path, HOSTED)
    assert matched(folder, "Russia and Ukraine resumed talks in Istanbul") == {"hosted"}
    assert matched(folder, "Moscow and Kyiv held talks at Dolmabahce palace") == {"hosted"}
    assert matched(folder, "Istanbul rejected Moscow's bid for the final") == set()
    assert matched(folder, "Ankara rejected Moscow's demands") == {"turkey", "rejects"}
    assert "hosted" not in matched(folder, "Talks in Istanbul on Syria; Russia said nothing.")


def test_explain_names_the_place_found(tmp_path: Path) -> None:
    folder = folder_with(tmp_path, HOSTED)
    matcher = Matcher(load_ruleset(folder))
    doc = matcher.prepare(Article(title="Talks in Antalya", body="", outlet="x"))
    lines = explain_rule(matcher, matcher.ruleset.rule("hosted"), doc)
    assert any("@TUR.place: found 'Antalya'" in line for line in lines)
    assert any("@RUS: not found" in line for line in lines)


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("@RUS.place AND talks", "actor RUS lists no places"),
        ("@BLR.place AND talks", "unknown actor 'BLR'"),
    ],
)
def test_a_place_of_an_actor_without_places_is_refused_at_its_line(
    tmp_path: Path, query: str, problem: str
) -> None:
    folder = folder_with(tmp_path, f"rules:\n  - id: t\n    title: T\n    query: '{query}'\n")
    with pytest.raises(FileFormatError) as caught:
        load_ruleset(folder)
    (line,) = caught.value.problems
    assert "topic.yaml:4:" in line and problem in line


def test_the_shipped_actors_keep_cities_out_of_their_names() -> None:
    ruleset = load_ruleset(RULES)
    names = {a.term.text.casefold() for actor in ruleset.actors.values() for a in actor.aliases}
    places = {p.text.casefold() for actor in ruleset.actors.values() for p in actor.places}
    assert {"istanbul", "antalya", "minsk"} <= places
    assert not names & places
