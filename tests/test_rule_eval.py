"""``vigil rules eval``'s library: labels files read and checked (vigil/labels.py), rules scored
against them in memory (vigil/rule_eval.py)."""

import json
from pathlib import Path

import pytest

from vigil.errors import LabelsError
from vigil.labels import load_labels
from vigil.rule_eval import EvalReport, KeyScore, evaluate_labels, failing_clauses
from vigil.rules import Matcher, load_ruleset

from tests.conftest import EXAMPLES, RULES

ACTORS = """\
actors:
  TUR:
    name: Turkey
    adjectives: [Turkish]
    capitals: [Ankara]
    people:
      - name: Recep Tayyip Erdoğan
        aliases: [Erdogan]
        role: GOV
  RUS:
    name: Russia
    capitals: [Moscow]
    institutions:
      - {name: Kremlin, role: GOV}
actions:
  reject:
    triggers: [reject*, "turned down"]
"""

RULE_FILE = """\
rules:
  - id: drones
    title: Drones
    tags: [arms]
    query: drone* AND NOT toy
  - id: tanks
    title: Tanks
    tags: [arms, Heavy]
    query: tank*
  - id: rejected
    title: Russia rejects Turkey
    tags: [diplomacy]
    event: {source: RUS, action: reject, target: TUR}
"""

# (title, text, labels, direction): the figures each key gets are worked out in the tests.
ITEMS = [
    ("Kremlin says no", "Erdogan's offer was rejected by the Kremlin.", {"rejected": 1},
     {"rejected": "RUS → TUR"}),
    ("Turkey says no", "Turkey rejected Russia's plan.", {"rejected": 0}, None),
    ("Moscow says no", "The Kremlin rejected Erdogan's offer.", {"rejected": 1},
     {"rejected": "TUR -> RUS"}),  # labelled the wrong way round on purpose
    ("Drone strike", "A drone struck a depot.", {"drones": 1, "tag:arms": 1}, None),
    ("Toy fair", "A toy drone for children.", {"drones": 1}, None),
    ("Tanks roll", "Tanks rolled in.", {"drones": 0, "tag:ARMS": 1, "tanks": None}, None),
    ("Aquarium", "The aquarium's new fish tank.", {"tanks": 0, "tag:heavy": 0}, None),
    ("Weather", "Rain in Ankara.", {"tag:arms": 0, "drones": 0}, None),
]  # fmt: skip


def write_rules(folder: Path) -> Path:
    """A small rules folder: two query rules tagged arms, an event rule."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "actors.yaml").write_text(ACTORS, encoding="utf-8")
    (folder / "topic.yaml").write_text(RULE_FILE, encoding="utf-8")
    return folder


def write_labels(path: Path, items: list[tuple[str, str, dict, dict | None]] = ITEMS) -> Path:
    lines = []
    for title, text, labels, direction in items:
        record: dict[str, object] = {"title": title, "text": text, "labels": labels}
        if direction:
            record["direction"] = direction
        lines.append(json.dumps(record, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _report(tmp_path: Path, keys: list[str] | None = None) -> EvalReport:
    ruleset = load_ruleset(write_rules(tmp_path / "rules"))
    items = load_labels(write_labels(tmp_path / "labels.jsonl"), ruleset)
    return evaluate_labels(Matcher(ruleset, helper=False), items, keys)


def _problems(tmp_path: Path, text: str) -> list[str]:
    (tmp_path / "bad.jsonl").write_text(text, encoding="utf-8")
    with pytest.raises(LabelsError) as caught:
        load_labels(tmp_path / "bad.jsonl", load_ruleset(write_rules(tmp_path / "rules")))
    return caught.value.problems


def test_counts_and_figures_per_key(tmp_path: Path) -> None:
    report = _report(tmp_path)
    assert report.items == len(ITEMS)
    scores = {score.key: score for score in report.scores}
    # Rule-set order, then tags by name (case-folded); tag:diplomacy is labelled by no item.
    assert list(scores) == ["drones", "tanks", "rejected", "tag:arms", "tag:heavy"]
    counts = {k: (s.labelled, s.tp, s.fp, s.fn, s.tn) for k, s in scores.items()}
    assert counts == {
        "drones": (4, 1, 0, 1, 2),
        "tanks": (1, 0, 1, 0, 0),  # the null label leaves "Tanks roll" out
        "rejected": (3, 2, 0, 0, 1),
        "tag:arms": (3, 2, 0, 0, 1),  # "Tanks roll" counts through the rule tanks
        "tag:heavy": (1, 0, 1, 0, 0),
    }
    drones = scores["drones"]
    assert (drones.precision, drones.recall) == (1.0, 0.5)
    assert drones.f1 == pytest.approx(2 / 3)
    tanks = scores["tanks"]
    assert (tanks.precision, tanks.recall, tanks.f1) == (0.0, None, None)
    assert scores["tag:arms"].rules == ("drones", "tanks")
    rejected = scores["rejected"]
    assert (rejected.precision, rejected.recall, rejected.f1) == (1.0, 1.0, 1.0)
    assert (rejected.direction_labelled, rejected.direction_right) == (2, 1)
    assert rejected.direction_share == 0.5
    assert drones.direction_share is None


def test_false_positives_name_the_rule_and_its_evidence(tmp_path: Path) -> None:
    report = _report(tmp_path)
    found = [(fp.key, fp.title, fp.where.rsplit(":", 1)[1]) for fp in report.false_positives]
    assert found == [("tanks", "Aquarium", "7"), ("tag:heavy", "Aquarium", "7")]
    (hit,) = report.false_positives[1].hits
    assert (hit.rule_id, hit.evidence) == ("tanks", "The aquarium's new fish [tank].")


def test_a_miss_says_which_clause_failed_as_rules_test_does(tmp_path: Path) -> None:
    report = _report(tmp_path)
    (miss,) = report.misses
    where = f"{tmp_path}/labels.jsonl:5"
    assert (miss.key, miss.title, miss.where) == ("drones", "Toy fair", where)
    (why,) = miss.rules
    assert why.rule_id == "drones"
    assert why.failing == ("✗ NOT toy: present ('Toy', 'toy')",)  # title and body
    assert "✓ drone*: found 'drone'" in [line.strip() for line in why.explain]


def test_a_wrong_direction_is_named(tmp_path: Path) -> None:
    (wrong,) = _report(tmp_path).wrong_directions
    assert (wrong.key, wrong.title, wrong.rule_id) == ("rejected", "Moscow says no", "rejected")
    assert (wrong.labelled, wrong.found) == ("TUR → RUS", "RUS → TUR")


def test_a_tag_key_takes_its_direction_from_the_labelled_rule(tmp_path: Path) -> None:
    ruleset = load_ruleset(write_rules(tmp_path / "rules"))
    item = ("No", "Erdogan's offer was rejected by the Kremlin.", {"tag:diplomacy": 1},
            {"rejected": "RUS → TUR"})  # fmt: skip
    items = load_labels(write_labels(tmp_path / "l.jsonl", [item]), ruleset)
    (score,) = evaluate_labels(Matcher(ruleset, helper=False), items).scores
    assert (score.key, score.tp, score.direction_labelled, score.direction_share) == (
        "tag:diplomacy", 1, 1, 1.0,
    )  # fmt: skip


def test_only_the_keys_asked_for(tmp_path: Path) -> None:
    report = _report(tmp_path, keys=["drones", "tag:Arms"])
    assert [score.key for score in report.scores] == ["drones", "tag:arms"]
    assert [miss.key for miss in report.misses] == ["drones"] and not report.false_positives
    with pytest.raises(LabelsError) as caught:
        _report(tmp_path, keys=["drone", "tag:diplomacy"])
    assert caught.value.problems == [
        "key 'drone' names no rule and no tag of the rule set (did you mean 'drones'?)",
        "key 'tag:diplomacy': no item labels it 1 or 0",
    ]


def test_precision_recall_and_f1_where_they_are_undefined() -> None:
    nothing_either_way = KeyScore("k", ("k",), 2, 0, 0, 0, 2, 0, 0)
    assert (nothing_either_way.precision, nothing_either_way.recall) == (1.0, None)
    assert nothing_either_way.f1 is None
    all_missed = KeyScore("k", ("k",), 2, 0, 0, 2, 0, 0, 0)
    assert (all_missed.precision, all_missed.recall, all_missed.f1) == (None, 0.0, None)
    all_wrong = KeyScore("k", ("k",), 2, 0, 1, 1, 0, 0, 0)
    assert (all_wrong.precision, all_wrong.recall, all_wrong.f1) == (0.0, 0.0, 0.0)


def test_shortfalls_name_each_key_below_a_threshold_and_skip_na(tmp_path: Path) -> None:
    report = _report(tmp_path)
    assert report.shortfalls(min_recall=0.5, min_precision=0.0) == []
    assert report.shortfalls(min_recall=0.6) == ["drones: recall 0.50 is below 0.60"]
    # tanks and tag:heavy have no recall (nothing should match): only their precision fails.
    assert report.shortfalls(min_precision=0.5) == [
        "tanks: precision 0.00 is below 0.50",
        "tag:heavy: precision 0.00 is below 0.50",
    ]


def test_the_json_report_has_stable_keys(tmp_path: Path) -> None:
    document = json.loads(json.dumps(_report(tmp_path).as_json()))
    assert list(document) == [
        "items", "keys", "false_positives", "misses", "wrong_directions", "warnings",
    ]  # fmt: skip
    assert set(document["keys"][0]) == {
        "key", "rules", "labelled", "tp", "fp", "fn", "tn", "precision", "recall", "f1",
        "direction_labelled", "direction_right", "direction_share",
    }  # fmt: skip
    assert set(document["false_positives"][0]) == {"key", "where", "title", "hits"}
    assert set(document["false_positives"][0]["hits"][0]) == {"rule_id", "evidence", "direction"}
    assert set(document["misses"][0]) == {"key", "where", "title", "rules"}
    assert set(document["misses"][0]["rules"][0]) == {"rule_id", "failing", "explain"}
    assert set(document["wrong_directions"][0]) == {
        "key", "where", "title", "rule_id", "labelled", "found",
    }  # fmt: skip


def test_failing_clauses_blame_the_part_that_failed() -> None:
    lines = [
        "✗ (a OR b) AND c AND NOT d",
        "  ✗ a OR b",
        "    ✗ a: not found",
        "    ✗ b: not found",
        "  ✓ c: found 'c'",
        "  ✗ NOT d: present ('d')",
        "✗ event RUS reject → TUR: found only TUR → RUS ('rejected')",
        "    (the object must also occur in that sentence: offer*)",
    ]
    assert failing_clauses(lines) == (
        "✗ a OR b",  # every alternative failed: the OR is to blame, not each term
        "✗ NOT d: present ('d')",
        "✗ event RUS reject → TUR: found only TUR → RUS ('rejected') "
        "(the object must also occur in that sentence: offer*)",
    )
    assert failing_clauses(["✓ a: found 'a'"]) == ()
    # Alternatives that all failed: each is explained, down to its words.
    either = ["✗ (a OR b) OR (c AND d)", "  ✗ a OR b", "    ✗ a: not found", "    ✗ b: not found",
              "  ✗ c AND d", "    ✓ c: found 'c'", "    ✗ d: not found"]  # fmt: skip
    assert failing_clauses(either) == ("✗ a OR b", "✗ d: not found")


# -- reading labels files -----------------------------------------------------------------------


def test_every_bad_line_is_named_with_its_file_and_line(tmp_path: Path) -> None:
    good = '{"title": "T", "text": "x", "labels": {"drones": 1}}'
    problems = _problems(
        tmp_path,
        "\n".join([
            good,
            '{"title": "T", "text": "x", "labels": {"drones": 1}',  # 2: cut short
            '{"text": "x", "labels": {"drones": 1}}',  # 3: no title
            '{"title": "T", "text": "x", "labels": {"drones": 2, "tanks": true}}',  # 4
            '{"title": "T", "text": "x", "labels": {"drone": 1}}',  # 5: unknown key
            '{"title": "T", "text": "x", "labels": {"tag:xyz": 0}}',  # 6: unknown tag
            '{"title": "T", "text": "x", "labels": {"tag:Heavi": 0, "tag:arms": 1, "tag:Arms": 0}}',
            "",  # blank lines are skipped, and still counted
            '{"title": "T", "text": "x", "labels": {"rejected": 1}, '
            '"direction": {"rejected": "Russia to Turkey", "drones": "RUS → TUR"}}',  # 9
            '{"title": "T", "text": "x", "label": {"drones": 1}}',  # 10: a typo
            '{"title": "T", "text": "x", "labels": {}, "published": "yesterday"}',  # 11
            "[1, 2]",  # 12
        ]),
    )  # fmt: skip
    bad = f"{tmp_path}/bad.jsonl"
    assert problems == [
        f"{bad}:2: not JSON: Expecting ',' delimiter (column 52)",
        f"{bad}:3: 'title' missing or not a string",
        f"{bad}:4: label 'drones' is 2: use 1, 0 or null",
        f"{bad}:4: label 'tanks' is true: use 1, 0 or null",
        f"{bad}:5: label 'drone' names no rule and no tag of the rule set (did you mean 'drones'?)",
        f"{bad}:6: label 'tag:xyz' names no rule and no tag of the rule set",
        f"{bad}:7: label 'tag:Heavi' names no rule and no tag of the rule set "
        "(did you mean 'tag:heavy'?)",
        f"{bad}:7: 'tag:arms' is labelled both 1 and 0",
        f"{bad}:9: direction \"Russia to Turkey\" for 'rejected': write it as 'RUS → TUR'",
        f"{bad}:9: direction for 'drones', which is no event rule",
        f"{bad}:10: unknown field 'label' (fields: title, text, link, published, outlet, "
        "labels, direction)",
        f"{bad}:10: 'labels' missing or not an object of key: 1, 0 or null",
        f"{bad}:11: 'published' is not an ISO 8601 date: 'yesterday'",
        f"{bad}:12: an item is a JSON object, not list",
    ]


def test_a_labels_folder_is_every_jsonl_in_it_sorted(tmp_path: Path) -> None:
    ruleset = load_ruleset(write_rules(tmp_path / "rules"))
    folder = tmp_path / "labels"
    folder.mkdir()
    write_labels(folder / "b.jsonl", [("Second", "A drone.", {"drones": 1}, None)])
    write_labels(folder / "a.jsonl", [("First", "A tank.", {"tanks": 1}, None)])
    (folder / "notes.txt").write_text("not labels", encoding="utf-8")
    items = load_labels(folder, ruleset)
    assert [(item.where, item.article.title) for item in items] == [
        (f"{folder}/a.jsonl:1", "First"),
        (f"{folder}/b.jsonl:1", "Second"),
    ]
    (tmp_path / "empty").mkdir()
    with pytest.raises(LabelsError, match=r"a folder without \*.jsonl labels files"):
        load_labels(tmp_path / "empty", ruleset)
    with pytest.raises(LabelsError, match="no such file or folder"):
        load_labels(tmp_path / "nope.jsonl", ruleset)


def test_an_item_becomes_an_article(tmp_path: Path) -> None:
    ruleset = load_ruleset(write_rules(tmp_path / "rules"))
    # U+2028 inside a string is text, not the end of a line.
    (tmp_path / "l.jsonl").write_text(
        '\ufeff{"title": "A\u2028B", "text": "Tanks.", "link": "https://example.org/a", '
        '"published": "2026-11-28T09:30:00Z", "outlet": "Daily Sabah", "labels": {"tanks": 1}}\n'
        '{"title": "Undated", "text": "", "labels": {"tanks": null}}\n',
        encoding="utf-8",
    )
    first, second = load_labels(tmp_path / "l.jsonl", ruleset)
    assert first.article.outlet == "Daily Sabah" and first.article.link == "https://example.org/a"
    assert first.article.published is not None
    assert first.article.published.isoformat() == "2026-11-28T09:30:00+00:00"
    assert first.labels == {"tanks": 1} and second.labels == {}
    assert (second.article.outlet, second.article.published) == ("labels", None)


def test_a_file_without_items_is_refused(tmp_path: Path) -> None:
    assert _problems(tmp_path, "\n\n") == [f"{tmp_path}/bad.jsonl: no labelled items"]


# -- the shipped rules ----------------------------------------------------------------------------


def test_the_shipped_example_labels_against_the_shipped_rules() -> None:
    ruleset = load_ruleset(RULES)
    items = load_labels(EXAMPLES / "labels.jsonl", ruleset)
    report = evaluate_labels(Matcher(ruleset, helper=False), items)
    scores = {score.key: score for score in report.scores}
    mediation = scores["turkish-mediation"]
    assert mediation.tp >= 3 and mediation.fn == 0 and mediation.recall == 1.0
    assert not [miss for miss in report.misses if miss.key == "turkish-mediation"]
    assert report.warnings == ()
