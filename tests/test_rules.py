from pathlib import Path

import pytest

from vigil.article import Article
from vigil.errors import FileFormatError
from vigil.rules import Matcher, load_ruleset
from vigil.sources import read_article_folder

from .conftest import RULES, SEED

ACTORS = """\
actors:
  TUR:
    name: Turkey
    adjectives: [Turkish]
    people:
      - name: Recep Tayyip Erdoğan
        aliases: [Erdogan]
  RUS:
    name: Russia
    institutions: [Kremlin]
"""


def _rules(tmp_path: Path, body: str, actors: str = ACTORS) -> Path:
    (tmp_path / "actors.yaml").write_text(actors, encoding="utf-8")
    (tmp_path / "topic.yaml").write_text(body, encoding="utf-8")
    return tmp_path


def _problems(folder: Path) -> str:
    with pytest.raises(FileFormatError) as caught:
        load_ruleset(folder)
    return "\n".join(caught.value.problems)


@pytest.fixture(scope="module")
def seed_matches() -> dict:
    (article,) = read_article_folder(SEED)
    return {m.rule_id: m for m in Matcher(load_ruleset(RULES)).match(article)}


def test_shipped_rules_load() -> None:
    ruleset = load_ruleset(RULES)
    assert {"TUR", "RUS", "UKR"} <= set(ruleset.actors)
    assert {"turkish-mediation", "bayraktar-tb2", "minsk-normandy"} <= {r.id for r in ruleset.rules}


def test_seed_matches_all_three_topics_with_evidence(seed_matches: dict) -> None:
    mediation = seed_matches["turkish-mediation"]
    assert "mediate" in mediation.evidence and "Erdogan" in mediation.evidence
    tb2 = seed_matches["bayraktar-tb2"]
    assert tb2.evidence.startswith("After Ukrainian forces used a Turkish-supplied Bayraktar TB2")
    marked = [piece for piece, hit in tb2.evidence_segments() if hit]
    assert marked == ["Bayraktar", "TB2"]
    minsk = seed_matches["minsk-normandy"]
    assert "Minsk Agreement" in minsk.evidence
    assert [p for p, hit in minsk.evidence_segments() if hit] == ["Minsk Agreement"]


def test_rejection_rule_needs_both_actors_and_a_rejection(seed_matches: dict) -> None:
    rejected = seed_matches["mediation-rejected"]
    assert set(rejected.actors) >= {"RUS", "TUR"}
    assert "rejected" in rejected.evidence


def test_matching_ignores_case_and_diacritics_and_respects_word_boundaries(tmp_path: Path) -> None:
    folder = _rules(tmp_path, "rules:\n  - id: t\n    title: T\n    any: [mediat*, Erdoğan]\n")
    matcher = Matcher(load_ruleset(folder))

    def hits(text: str) -> list[str]:
        found = matcher.match(Article(title=text, body="", outlet="x"))
        return [piece for m in found for piece, hit in m.evidence_segments() if hit]

    assert hits("ERDOGAN spoke") == ["ERDOGAN"]
    assert hits("Erdoğan’s offer") == ["Erdoğan"]
    assert hits("a MEDIATOR and mediation") == ["MEDIATOR", "mediation"]
    assert hits("an immediate ceasefire") == []


def test_none_all_and_actors(tmp_path: Path) -> None:
    folder = _rules(
        tmp_path,
        "rules:\n"
        "  - id: t\n    title: T\n    any: [drone*]\n    all: [sale*]\n    none: [toy]\n"
        "    actors: [TUR]\n",
    )
    matcher = Matcher(load_ruleset(folder))

    def matched(text: str) -> bool:
        return bool(matcher.match(Article(title="x", body=text, outlet="x")))

    assert matched("Turkish drone sales rose.")
    assert not matched("Drone sales rose.")  # no Turkish actor
    assert not matched("Turkish drones flew.")  # no 'sale*'
    assert not matched("Turkish toy drone sales rose.")  # excluded term


def test_same_sentence_requires_terms_and_actors_together(tmp_path: Path) -> None:
    folder = _rules(
        tmp_path,
        "rules:\n  - id: t\n    title: T\n    any: [mediat*]\n    actors: [TUR, RUS]\n"
        "    same_sentence: true\n",
    )
    matcher = Matcher(load_ruleset(folder))
    apart = Article(
        title="x", body="Turkey offered to mediate. The Kremlin said nothing.", outlet="x"
    )
    together = Article(title="x", body="The Kremlin rejected Turkish mediation.", outlet="x")
    assert matcher.match(apart) == []
    (match,) = matcher.match(together)
    assert match.evidence == "The Kremlin rejected Turkish mediation."


def test_unknown_key_is_reported_with_file_and_line(tmp_path: Path) -> None:
    folder = _rules(tmp_path, "rules:\n  - id: t\n    title: T\n    anny: [x]\n")
    problems = _problems(folder)
    assert f"{folder / 'topic.yaml'}:4: rules.0.anny: unknown key (check its spelling)" in problems


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    folder = _rules(tmp_path, "rules:\n  - id: t\n    title: [unclosed\n    any: [x]\n")
    problems = _problems(folder)
    assert str(folder / "topic.yaml") in problems and "YAML syntax" in problems
    assert ":4:" in problems or ":5:" in problems


def test_all_problems_are_reported_at_once(tmp_path: Path) -> None:
    folder = _rules(
        tmp_path,
        "rules:\n"
        "  - id: Bad Id\n    title: T\n    any: [x]\n"
        "  - id: ok\n    title: T\n    any: ['me*diate']\n"
        "  - id: ok2\n    title: T\n    any: [x]\n    actors: [XYZ]\n"
        "  - id: ok2\n    title: Again\n    any: [y]\n"
        "  - id: empty\n    title: Nothing\n",
    )
    problems = _problems(folder)
    path = folder / "topic.yaml"
    assert f"{path}:2: rules.0.id:" in problems
    assert f"{path}:7: rules.1.any.0:" in problems or f"{path}:7: rules.1.any:" in problems
    assert "'*' is only allowed once, at the end of a word" in problems


def test_cross_file_problems(tmp_path: Path) -> None:
    folder = _rules(
        tmp_path,
        "rules:\n"
        "  - id: ok2\n    title: T\n    any: [x]\n    actors: [XYZ]\n"
        "  - id: ok2\n    title: Again\n    any: [y]\n"
        "  - id: empty\n    title: Nothing\n",
    )
    problems = _problems(folder)
    path = folder / "topic.yaml"
    assert f"{path}:2: rule 'ok2' names unknown actor 'XYZ' (known: RUS, TUR)" in problems
    assert f"{path}:6: rule id 'ok2' is already used at {path}:2" in problems
    assert f"{path}:9: rule 'empty' has no 'any', 'all' or 'actors'" in problems


def test_duplicate_yaml_key_is_an_error(tmp_path: Path) -> None:
    folder = _rules(tmp_path, "rules:\n  - id: t\n    title: T\n    any: [x]\n    any: [y]\n")
    assert f"{folder / 'topic.yaml'}:5: YAML syntax: duplicate key 'any'" in _problems(folder)


def test_actor_codes_are_checked(tmp_path: Path) -> None:
    folder = _rules(tmp_path, "rules: []\n", actors="actors:\n  turkey:\n    name: Turkey\n")
    assert "actor codes are three capital letters" in _problems(folder)


def test_empty_folder_is_an_error(tmp_path: Path) -> None:
    assert "no *.yaml rule files" in _problems(tmp_path)
