"""``vigil rules eval``: the table, the JSON, thresholds for CI, and unusable labels (exit 2).
The labels and rules are those of tests/test_rule_eval.py, whose figures are worked out there."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vigil.cli import app

from tests.conftest import EXAMPLES, RULES
from tests.test_rule_eval import write_labels, write_rules

runner = CliRunner()


@pytest.fixture
def eval_args(tmp_path: Path) -> list[str]:
    rules = write_rules(tmp_path / "rules")
    labels = write_labels(tmp_path / "labels.jsonl")
    return ["rules", "eval", str(labels), "--rules", str(rules)]


@pytest.mark.usefixtures("terminal")
def test_the_table_lists_each_key_then_false_positives_and_misses(eval_args: list[str]) -> None:
    result = runner.invoke(app, eval_args)
    assert result.exit_code == 0, result.output
    rows = {line.split("│")[1].strip(): line for line in result.stdout.splitlines() if "│" in line}
    assert list(rows) == ["drones", "tanks", "rejected", "tag:arms", "tag:heavy"]
    cells = [cell.strip() for cell in rows["drones"].split("│")[1:-1]]
    assert cells == ["drones", "4", "1", "0", "1", "2", "1.00", "0.50", "0.67", "n/a"]
    cells = [cell.strip() for cell in rows["tanks"].split("│")[1:-1]]
    assert cells[6:9] == ["0.00", "n/a", "n/a"]
    assert rows["rejected"].split("│")[-2].strip() == "0.50 (1/2)"
    after = result.stdout.split("False positives: 2\n", 1)[1]
    false_positives, misses = after.split("Misses: 1\n")
    assert "  tanks: Aquarium (" in false_positives
    assert "      tanks: The aquarium's new fish [tank]." in false_positives
    assert "  drones: Toy fair (" in misses and "labels.jsonl:5)" in misses
    assert "      drones: ✗ NOT toy: present ('Toy', 'toy')" in misses
    assert "Wrong directions: 1" in misses
    assert "rejected names RUS → TUR, labelled TUR → RUS" in misses


def test_json_has_the_documented_keys(eval_args: list[str]) -> None:
    result = runner.invoke(app, [*eval_args, "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert list(document) == [
        "labels", "rules", "items", "keys", "false_positives", "misses", "wrong_directions",
        "warnings", "below",
    ]  # fmt: skip
    drones = document["keys"][0]
    assert drones == {
        "key": "drones", "rules": ["drones"], "labelled": 4, "tp": 1, "fp": 0, "fn": 1, "tn": 2,
        "precision": 1.0, "recall": 0.5, "f1": pytest.approx(2 / 3),
        "direction_labelled": 0, "direction_right": 0, "direction_share": None,
    }  # fmt: skip
    (miss,) = document["misses"]
    assert miss["rules"][0]["failing"] == ["✗ NOT toy: present ('Toy', 'toy')"]
    assert [fp["key"] for fp in document["false_positives"]] == ["tanks", "tag:heavy"]
    assert document["below"] == []


def test_a_key_below_min_recall_or_min_precision_exits_one(eval_args: list[str]) -> None:
    # drones has recall 0.50; tanks and tag:heavy precision 0.00, every other key 1.00.
    above = runner.invoke(app, [*eval_args, "--min-recall", "0.6"])
    assert above.exit_code == 1, above.output
    assert above.stderr == "vigil: below the threshold: drones: recall 0.50 is below 0.60\n"
    assert "False positives" in above.stdout  # the report is printed all the same
    assert runner.invoke(app, [*eval_args, "--min-recall", "0.5"]).exit_code == 0
    precision = runner.invoke(app, [*eval_args, "--min-precision", "0.9", "--format", "json"])
    assert precision.exit_code == 1
    assert json.loads(precision.stdout)["below"] == [
        "tanks: precision 0.00 is below 0.90",
        "tag:heavy: precision 0.00 is below 0.90",
    ]
    only = [*eval_args, "--key", "rejected", "--key", "tag:arms"]
    assert runner.invoke(app, [*only, "--min-precision", "1", "--min-recall", "1"]).exit_code == 0
    out_of_range = runner.invoke(app, [*eval_args, "--min-recall", "1.5"])
    assert out_of_range.exit_code == 2


def test_only_the_keys_asked_for(eval_args: list[str]) -> None:
    result = runner.invoke(app, [*eval_args, "--key", "tag:Heavy", "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert [entry["key"] for entry in document["keys"]] == ["tag:heavy"]
    assert document["misses"] == [] and len(document["false_positives"]) == 1


def test_a_bad_line_exits_two_naming_file_and_line(tmp_path: Path, eval_args: list[str]) -> None:
    labels = Path(eval_args[2])
    labels.write_text(
        labels.read_text(encoding="utf-8")
        + '{"title": "T", "text": "x", "labels": {"drones": 1}\n',
        encoding="utf-8",
    )
    result = runner.invoke(app, eval_args)
    assert result.exit_code == 2
    assert result.stderr == (f"vigil: {labels}:9: not JSON: Expecting ',' delimiter (column 52)\n")
    assert result.stdout == ""


def test_an_unknown_key_exits_two_naming_it(tmp_path: Path, eval_args: list[str]) -> None:
    labels = write_labels(tmp_path / "typo.jsonl", [("T", "A drone.", {"drone": 1}, None)])
    result = runner.invoke(app, ["rules", "eval", str(labels), "--rules", eval_args[4]])
    assert result.exit_code == 2
    assert result.stderr == (
        f"vigil: {labels}:1: label 'drone' names no rule and no tag of the rule set "
        "(did you mean 'drones'?)\n"
    )
    asked = runner.invoke(app, [*eval_args, "--key", "tag:navy"])
    assert asked.exit_code == 2
    assert "key 'tag:navy' names no rule and no tag" in asked.stderr
    missing = runner.invoke(app, ["rules", "eval", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 2 and "nope.jsonl: no such file or folder" in missing.stderr


def test_the_shipped_labels_hold_turkish_mediation_to_full_recall() -> None:
    # The README's example: examples/labels.jsonl against the shipped rules.
    labels = EXAMPLES / "labels.jsonl"
    args = ["rules", "eval", str(labels), "--rules", str(RULES)]
    strict = ["--key", "turkish-mediation", "--min-recall", "1", "--min-precision", "1"]
    result = runner.invoke(app, [*args, *strict])
    assert result.exit_code == 0, result.output
    assert "turkish-mediation" in result.stdout and "Misses: none" in result.stdout
    whole = runner.invoke(app, [*args, "--format", "json"])
    document = json.loads(whole.stdout)
    scores = {entry["key"]: entry for entry in document["keys"]}
    assert scores["turkish-mediation"]["tp"] >= 3 and scores["turkish-mediation"]["fn"] == 0
    assert scores["mediation-rejected"]["direction_share"] == 1.0
    # The file shows a false positive and a miss, as the README's table does.
    assert [(fp["key"], fp["title"]) for fp in document["false_positives"]] == [
        ("minsk-normandy", "Belarus and Russia sign gas deal")
    ]
    assert [(miss["key"], miss["title"]) for miss in document["misses"]] == [
        ("minsk-normandy", "Kremlin and Kyiv envoys agree to keep the July ceasefire in Donbas")
    ]
