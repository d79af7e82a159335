"""Loading rule files: the shipped rules, and every kind of mistake an analyst can make."""

from pathlib import Path

import pytest

from vigil.article import Article
from vigil.errors import FileFormatError
from vigil.rules import Matcher, load_ruleset
from vigil.rules.examples import check_examples
from vigil.rules.explain import explain_rule
from vigil.sources import read_article_folder

from tests.conftest import RULES, SEED

ACTORS = """\
actors:
  TUR:
    name: Turkey
    adjectives: [Turkish]
    people:
      - name: Recep Tayyip Erdoğan
        aliases: [Erdogan]
        role: GOV
  RUS:
    name: Russia
    institutions:
      - {name: Kremlin, role: GOV}
actions:
  reject:
    triggers: [reject*, "turned down"]
"""


def _rules(tmp_path: Path, body: str, actors: str = ACTORS) -> Path:
    (tmp_path / "actors.yaml").write_text(actors, encoding="utf-8")
    (tmp_path / "topic.yaml").write_text(body, encoding="utf-8")
    return tmp_path


def _problems(folder: Path) -> str:
    with pytest.raises(FileFormatError) as caught:
        load_ruleset(folder)
    return "\n".join(caught.value.problems)


def _matches(folder: Path, text: str) -> dict:
    matcher = Matcher(load_ruleset(folder))
    return {m.rule_id: m for m in matcher.match(Article(title="", body=text, outlet="x"))}


@pytest.fixture(scope="module")
def seed_matches() -> dict:
    (article,) = read_article_folder(SEED)
    return {m.rule_id: m for m in Matcher(load_ruleset(RULES)).match(article)}


def test_shipped_rules_load_and_their_examples_behave() -> None:
    ruleset = load_ruleset(RULES)
    assert {"TUR", "RUS", "UKR"} <= set(ruleset.actors)
    assert {"reject", "offer_mediation", "supply_arms"} <= set(ruleset.actions)
    assert check_examples(Matcher(ruleset)) == []


FAMILIES = {"mediation", "drones", "minsk", "arms", "redlines"}


def test_every_shipped_rule_carries_exactly_one_family_tag() -> None:
    """An analyst labels a family once (``tag:mediation``) and every rule in it is measured."""
    for rule in load_ruleset(RULES).rules:
        assert len(FAMILIES & set(rule.tags)) == 1, (rule.id, rule.tags)


def test_seed_matches_the_three_topic_families_with_evidence(seed_matches: dict) -> None:
    assert {"turkish-mediation", "mediation-rejected", "bayraktar-tb2", "minsk-normandy"} <= set(
        seed_matches
    )
    tb2 = seed_matches["bayraktar-tb2"]
    assert "Bayraktar TB2" in tb2.evidence
    assert "Bayraktar TB2" in [piece for piece, hit in tb2.evidence_segments() if hit]
    minsk = seed_matches["minsk-normandy"]
    assert "2015 Minsk Agreement" in minsk.evidence
    assert "Minsk Agreement" in [p for p, hit in minsk.evidence_segments() if hit]


def test_seed_rejection_is_russia_to_turkey(seed_matches: dict) -> None:
    rejected = seed_matches["mediation-rejected"]
    assert (rejected.source, rejected.target) == ("RUS", "TUR")
    assert rejected.direction == "RUS → TUR"
    assert rejected.evidence == "Why Putin rejected Erdogan's offer to mediate over Ukraine"


def test_turkey_rejects_russian_mediation_does_not_match_the_seed(tmp_path: Path) -> None:
    shutil_copy(RULES, tmp_path)
    (tmp_path / "reverse.yaml").write_text(
        "rules:\n  - id: turkey-rejects\n    title: Turkey rejects Russian mediation\n"
        "    event: {source: TUR, action: reject, target: RUS, object: mediat*}\n",
        encoding="utf-8",
    )
    (article,) = read_article_folder(SEED)
    found = {m.rule_id for m in Matcher(load_ruleset(tmp_path)).match(article)}
    assert "turkey-rejects" not in found and "mediation-rejected" in found


def shutil_copy(source: Path, target: Path) -> None:
    for path in source.glob("*.yaml"):
        (target / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")


def test_nothing_names_russia_to_ukraine_for_the_rejection() -> None:
    matcher = Matcher(load_ruleset(RULES))
    (article,) = read_article_folder(SEED)
    events = matcher.events("reject", matcher.prepare(article))
    assert events, "the seed has rejection events"
    assert all(e.direction != "RUS → UKR" for e in events)
    assert {e.direction for e in events} == {"RUS → TUR"}


def test_groups_and_actors(tmp_path: Path) -> None:
    folder = _rules(
        tmp_path,
        "rules:\n"
        "  - id: t\n    title: T\n    any: [drone*]\n    all: [sale*]\n    none: [toy]\n"
        "    actors: [TUR]\n",
    )
    assert _matches(folder, "Turkish drone sales rose.")
    assert not _matches(folder, "Drone sales rose.")
    assert not _matches(folder, "Turkish drones flew.")
    assert not _matches(folder, "Turkish toy drone sales rose.")


def test_same_sentence_requires_terms_and_actors_together(tmp_path: Path) -> None:
    folder = _rules(
        tmp_path,
        "rules:\n  - id: t\n    title: T\n    any: [mediat*]\n    actors: [TUR, RUS]\n"
        "    same_sentence: true\n",
    )
    assert not _matches(folder, "Turkey offered to mediate. The Kremlin said nothing.")
    (match,) = _matches(folder, "The Kremlin rejected Turkish mediation.").values()
    assert match.evidence == "The Kremlin rejected Turkish mediation."


def test_actor_roles(tmp_path: Path) -> None:
    folder = _rules(tmp_path, "rules:\n  - id: t\n    title: T\n    query: '@RUSGOV AND talks'\n")
    assert _matches(folder, "The Kremlin welcomed talks.")
    assert not _matches(folder, "Russia welcomed talks.")  # the country name has no role


# -- mistakes, each with file, line, column and the offending text -------------------------


def test_unknown_key(tmp_path: Path) -> None:
    folder = _rules(tmp_path, "rules:\n  - id: t\n    title: T\n    anny: [x]\n")
    assert f"{folder / 'topic.yaml'}:4:5: rules.0.anny: unknown key 'anny'" in _problems(folder)


def test_yaml_syntax_error(tmp_path: Path) -> None:
    folder = _rules(tmp_path, "rules:\n  - id: t\n    title: [unclosed\n    any: [x]\n")
    problems = _problems(folder)
    assert f"{folder / 'topic.yaml'}:4:" in problems and "YAML syntax" in problems


def test_query_error_points_at_the_column_in_the_file(tmp_path: Path) -> None:
    folder = _rules(
        tmp_path, "rules:\n  - id: t\n    title: T\n    query: 'Minsk AND (accord OR'\n"
    )
    problems = _problems(folder)
    # The query text starts at column 13 (after the quote); the dangling OR is its 19th character.
    assert f"{folder / 'topic.yaml'}:4:31: rules.0.query: the query ends too early" in problems
    assert "has no query" not in problems


def test_unbalanced_and_dangling_operators(tmp_path: Path) -> None:
    folder = _rules(
        tmp_path,
        "rules:\n"
        "  - id: a\n    title: A\n    query: Minsk) accord\n"
        "  - id: b\n    title: B\n    query: OR Minsk\n"
        "  - id: c\n    title: C\n    query: NOT Minsk\n",
    )
    problems = _problems(folder)
    path = folder / "topic.yaml"
    assert f"{path}:4:17: rules.0.query: ')' without a matching '(' (at ') accord')" in problems
    assert f"{path}:7:12: rules.1.query: OR without a left side" in problems
    assert f"{path}:10:12: rules.2.query: a query must require at least one word" in problems


def test_backtracking_regex_is_refused(tmp_path: Path) -> None:
    folder = _rules(tmp_path, "rules:\n  - id: t\n    title: T\n    query: '/(a+)+\\1/'\n")
    problems = _problems(folder)
    assert "not accepted by the linear-time RE2 engine" in problems and ":4:13:" in problems


def test_linear_time_regex_works(tmp_path: Path) -> None:
    folder = _rules(
        tmp_path, "rules:\n  - id: t\n    title: T\n    query: '/Su-?2[457]/ AND jet*'\n"
    )
    assert _matches(folder, "A Su-25 jet crashed.")
    assert not _matches(folder, "A Su-27 crashed.")


def test_cross_checks(tmp_path: Path) -> None:
    folder = _rules(
        tmp_path,
        "rules:\n"
        "  - id: ok2\n    title: T\n    any: [x]\n    actors: [XYZ]\n"
        "  - id: ok2\n    title: Again\n    any: [y]\n"
        "  - id: empty\n    title: Nothing\n"
        "  - id: e\n    title: E\n    event: {source: RUS, action: praise, target: FRA}\n"
        "  - id: g\n    title: G\n    any: []\n    all: [x]\n",
    )
    problems = _problems(folder)
    path = folder / "topic.yaml"
    assert f"{path}:5:14: rules.0.actors.0: unknown actor 'XYZ' (known: RUS, TUR)" in problems
    assert f"{path}:6:9: rules.1.id: rule id 'ok2' is already used at {path}:2" in problems
    assert f"{path}:9:5: rules.2: rule 'empty' has no query, any, all, actors or event" in problems
    assert "rules.3.event.action: unknown action 'praise' (known: reject)" in problems
    assert "rules.3.event.target: unknown actor 'FRA'" in problems
    assert "rules.4.any: 'any' is empty" in problems


def test_wildcard_in_the_middle_is_refused(tmp_path: Path) -> None:
    folder = _rules(tmp_path, "rules:\n  - id: t\n    title: T\n    any: ['me*diate']\n")
    assert "'*' is only allowed once, at the end of the last word" in _problems(folder)


def test_duplicate_yaml_key(tmp_path: Path) -> None:
    folder = _rules(tmp_path, "rules:\n  - id: t\n    title: T\n    any: [x]\n    any: [y]\n")
    assert f"{folder / 'topic.yaml'}:5:5: YAML syntax: duplicate key 'any'" in _problems(folder)


def test_actor_codes_are_checked(tmp_path: Path) -> None:
    folder = _rules(tmp_path, "rules: []\n", actors="actors:\n  turkey:\n    name: Turkey\n")
    assert "actor code 'turkey': three capital letters" in _problems(folder)


def test_empty_folder(tmp_path: Path) -> None:
    assert "no *.yaml rule files" in _problems(tmp_path)


# -- examples and explanations -----------------------------------------------------------


def test_misbehaving_examples_are_reported_with_their_line(tmp_path: Path) -> None:
    folder = _rules(
        tmp_path,
        "rules:\n  - id: t\n    title: T\n    any: [drone*]\n    examples:\n"
        "      match:\n        - Drones flew.\n        - Planes flew.\n"
        "      no_match:\n        - A drone fell.\n",
    )
    problems = check_examples(Matcher(load_ruleset(folder)))
    path = folder / "topic.yaml"
    assert [(p.rule_id, p.file, p.line, p.text) for p in problems] == [
        ("t", path, 8, "Planes flew."),
        ("t", path, 10, "A drone fell."),
    ]
    assert [str(problem) for problem in problems] == [
        f"{path}:8: rule 't': should match but does not: 'Planes flew.' (✗ drone*: not found)",
        f"{path}:10: rule 't': should not match but does: 'A drone fell.' (on 'drone')",
    ]


def test_an_example_naming_the_wrong_direction_is_reported(tmp_path: Path) -> None:
    folder = _rules(
        tmp_path,
        "rules:\n  - id: ev\n    title: E\n    event: {source: RUS, action: reject, target: TUR}\n"
        "    examples:\n      direction: TUR → RUS\n"
        "      match:\n        - Erdogan's offer was rejected by the Kremlin.\n",
    )
    (problem,) = check_examples(Matcher(load_ruleset(folder)))
    found = (problem.rule_id, problem.line, problem.expected, problem.why)
    assert found == ("ev", 8, "TUR → RUS", "RUS → TUR")
    assert str(problem) == (
        f"{folder / 'topic.yaml'}:8: rule 'ev': should name TUR → RUS but names RUS → TUR: "
        '"Erdogan\'s offer was rejected by the Kremlin."'
    )


def test_explain_names_the_failed_clause(tmp_path: Path) -> None:
    folder = _rules(
        tmp_path,
        "rules:\n  - id: t\n    title: T\n    query: 'drone* AND NOT toy'\n"
        "  - id: ev\n    title: E\n    event: {source: RUS, action: reject, target: TUR}\n",
    )
    matcher = Matcher(load_ruleset(folder))
    doc = matcher.prepare(
        Article(title="", body="A toy drone. Turkey rejected Russia's plan.", outlet="x")
    )
    lines = explain_rule(matcher, matcher.ruleset.rule("t"), doc)
    assert "✓ drone*: found 'drone'" in "\n".join(lines)
    assert "✗ NOT toy: present ('toy')" in "\n".join(lines)
    event_lines = "\n".join(explain_rule(matcher, matcher.ruleset.rule("ev"), doc))
    assert "✗ event RUS reject → TUR: found only TUR → RUS ('rejected')" in event_lines
