"""``vigil matches label`` and ``labels`` on a store filled by the demo run, and what the
labels change in ``vigil rules stats`` and ``vigil matches export``."""

import csv
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from vigil.cli import app
from vigil.settings import Settings

from tests.conftest import RULES

runner = CliRunner()


@pytest.fixture
def demo(demo: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The demo run's store (tests/cli/conftest.py), the OS user called desk-analyst."""
    monkeypatch.setattr("getpass.getuser", lambda: "desk-analyst")
    return demo


def _export(*options: str) -> list[dict[str, Any]]:
    result = runner.invoke(app, ["matches", "export", *options])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def _hits(rule_id: str) -> list[int]:
    """The ids of the items ``rule_id`` matched in the demo run."""
    return sorted(record["item_id"] for record in _export("--rule", rule_id))


def _not_hit(rule_id: str) -> list[int]:
    every = {record["item_id"] for record in _export()}
    return sorted(every - set(_hits(rule_id)))


def _label(*args: object) -> Any:
    return runner.invoke(app, ["matches", "label", *map(str, args)])


def _labels(*options: str) -> list[dict[str, Any]]:
    result = runner.invoke(app, ["matches", "labels", "--format", "json", *options])
    assert result.exit_code == 0, result.output
    labels: list[dict[str, Any]] = json.loads(result.stdout)
    return labels


def test_label_a_match_then_label_it_again(demo: Settings) -> None:
    item = _hits("mediation-rejected")[0]
    first = _label(
        item, "--rule", "mediation-rejected", "--relevant", "--note", "RUS → TUR", "--by", "ana"
    )
    assert first.exit_code == 0, first.output
    assert first.stdout.strip() == f"item {item}, mediation-rejected: relevant (by ana)"
    [stored] = _labels()
    assert {k: stored[k] for k in ("item_id", "rule_id", "verdict", "note", "author")} == {
        "item_id": item,
        "rule_id": "mediation-rejected",
        "verdict": "relevant",
        "note": "RUS → TUR",
        "author": "ana",
    }
    assert stored["title"] and stored["labelled_at"].endswith("+00:00")
    again = _label(item, "--rule", "mediation-rejected", "--irrelevant")  # by the OS user
    assert again.exit_code == 0, again.output
    assert "irrelevant (by desk-analyst), replacing relevant (by ana)" in again.stdout
    [replaced] = _labels()
    assert (replaced["verdict"], replaced["author"], replaced["note"]) == (
        "irrelevant",
        "desk-analyst",
        None,
    )


def test_a_missed_item_is_labelled_on_an_item_the_rule_did_not_match(demo: Settings) -> None:
    item = _not_hit("bayraktar-tb2")[0]
    result = _label(item, "--rule", "bayraktar-tb2", "--missed", "--note", "says TB-2 drones")
    assert result.exit_code == 0, result.output
    assert [(lab["item_id"], lab["verdict"]) for lab in _labels()] == [(item, "missed")]
    assert _labels("--rule", "turkish-mediation") == []


def test_labels_that_cannot_be_right_are_refused_and_nothing_is_stored(demo: Settings) -> None:
    matched, unmatched = _hits("bayraktar-tb2")[0], _not_hit("bayraktar-tb2")[0]
    unknown = max(record["item_id"] for record in _export()) + 1000
    tb2, tb3 = ["--rule", "bayraktar-tb2"], ["--rule", "bayraktar-tb3"]
    refusals = [
        ([unknown, *tb2, "--missed"], f"no stored item has the id {unknown}"),
        ([unmatched, *tb2, "--relevant"], "use --missed if the rule should have matched it"),
        ([matched, *tb2, "--missed"], "judge the match with --relevant or --irrelevant"),
        ([matched, *tb2], "give one of --relevant, --irrelevant or --missed"),
        ([matched, *tb2, "--relevant", "--irrelevant"], "give one of"),
        ([unmatched, *tb3, "--missed"], "no rule bayraktar-tb3 in"),  # a typo, likely
        ([matched, *tb3, "--relevant"], "no stored match of it on item"),
    ]
    for args, said in refusals:
        result = _label(*args)
        assert result.exit_code == 2, (args, result.output)
        assert said in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.output
    assert _label("twelve", "--rule", "bayraktar-tb2", "--missed").exit_code == 2
    assert _labels() == []


def test_a_match_of_a_rule_no_longer_defined_is_labelled_with_a_warning(
    demo: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    item = _hits("bayraktar-tb2")[0]
    edited = tmp_path / "edited-rules"
    shutil.copytree(RULES, edited)
    (edited / "drones.yaml").unlink()  # bayraktar-tb2 renamed away, its matches still stored
    monkeypatch.setenv("VIGIL_RULES", str(edited))
    result = _label(item, "--rule", "bayraktar-tb2", "--relevant")
    assert result.exit_code == 0, result.output
    assert "bayraktar-tb2 is no longer defined" in result.stderr
    assert [lab["verdict"] for lab in _labels()] == ["relevant"]


@pytest.mark.usefixtures("terminal")
def test_stats_show_the_measured_precision_and_the_missed_items(demo: Settings) -> None:
    hits, others = _hits("turkish-mediation"), _not_hit("turkish-mediation")
    assert len(hits) == 5
    for item, verdict in zip(hits, ["--relevant", "--relevant", "--irrelevant"], strict=False):
        assert _label(item, "--rule", "turkish-mediation", verdict).exit_code == 0
    assert _label(others[0], "--rule", "turkish-mediation", "--missed").exit_code == 0
    result = runner.invoke(app, ["rules", "stats", "--format", "json"])
    assert result.exit_code == 0, result.output
    by_rule = {entry["rule_id"]: entry for entry in json.loads(result.stdout)["rules"]}
    labelled = by_rule["turkish-mediation"]
    assert (labelled["relevant"], labelled["irrelevant"], labelled["missed"]) == (2, 1, 1)
    assert labelled["precision"] == pytest.approx(2 / 3)
    assert labelled["hits"] == 5  # labels change no count of hits
    unlabelled = by_rule["bayraktar-tb2"]
    assert unlabelled["precision"] is None and unlabelled["missed"] == 0
    table = runner.invoke(app, ["rules", "stats"])
    assert table.exit_code == 0, table.output
    assert "precision" in table.stdout and "missed" in table.stdout
    rows = {cells[0]: cells for cells in map(_cells, table.stdout.splitlines()) if cells}
    header = rows["rule"]
    precision, missed = header.index("precision"), header.index("missed")
    assert (rows["turkish-mediation"][precision], rows["turkish-mediation"][missed]) == (
        "0.67 (3)",
        "1",
    )
    assert (rows["bayraktar-tb2"][precision], rows["bayraktar-tb2"][missed]) == ("–", "0")


def _cells(line: str) -> list[str]:
    """A table row's cells (rich draws ┃ between the header's, │ between a row's)."""
    line = line.replace("┃", "│").strip()
    return [cell.strip() for cell in line.strip("│").split("│")] if "│" in line else []


def test_the_export_carries_each_match_s_label_in_jsonl_and_csv(
    demo: Settings, tmp_path: Path
) -> None:
    item = _hits("bayraktar-tb2")[0]
    note = "=HYPERLINK(wrong)"  # a note goes into a spreadsheet as text, never as a formula
    labelled = _label(
        item, "--rule", "bayraktar-tb2", "--irrelevant", "--note", note, "--by", "ana"
    )
    assert labelled.exit_code == 0, labelled.output
    records = _export("--rule", "bayraktar-tb2")
    [carried] = [r for r in records if r["item_id"] == item]
    assert carried["label"]["verdict"] == "irrelevant"
    assert (carried["label"]["author"], carried["label"]["note"]) == ("ana", note)
    assert carried["label"]["labelled_at"]
    assert [r["label"] for r in records if r["item_id"] != item] == [None, None]
    out = tmp_path / "tb2.csv"
    result = runner.invoke(
        app, ["matches", "export", "--rule", "bayraktar-tb2", "--format", "csv", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = {int(r["item_id"]): r for r in csv.DictReader(io.StringIO(out.read_text("utf-8")))}
    assert (rows[item]["label_verdict"], rows[item]["label_author"]) == ("irrelevant", "ana")
    assert rows[item]["label_note"] == "'" + note and rows[item]["labelled_at"]
    assert {r["label_verdict"] for key, r in rows.items() if key != item} == {""}


def test_the_labels_table_lists_each_label_with_its_item(demo: Settings) -> None:
    item = _hits("minsk-normandy")[0]
    title = next(r["title"] for r in _export("--rule", "minsk-normandy") if r["item_id"] == item)
    assert (
        _label(item, "--rule", "minsk-normandy", "--relevant", "--note", "Minsk II").exit_code == 0
    )
    result = runner.invoke(app, ["matches", "labels"])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.stdout.splitlines() if "minsk-normandy" in line)
    assert "relevant" in row and "desk-analyst" in row and "Minsk II" in row
    assert title[:30] in row
    assert "1 label(s)" in result.stdout
    empty = runner.invoke(app, ["matches", "labels", "--rule", "bayraktar-tb2"])
    assert "0 label(s)" in empty.stdout and "minsk-normandy" not in empty.stdout


def _eval(*options: str) -> Any:
    return runner.invoke(app, ["rules", "eval", "--feedback", "--format", "json", *options])


def test_rules_eval_feedback_scores_the_rules_on_the_stored_labels(
    demo: Settings, tmp_path: Path
) -> None:
    hits, others = _hits("turkish-mediation"), _not_hit("turkish-mediation")
    assert len(hits) >= 3 and others
    for item_id in hits[:2]:
        assert _label(item_id, "--rule", "turkish-mediation", "--relevant").exit_code == 0
    assert _label(hits[2], "--rule", "turkish-mediation", "--irrelevant").exit_code == 0
    assert _label(others[0], "--rule", "turkish-mediation", "--missed").exit_code == 0

    result = _eval("--key", "turkish-mediation")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    (score,) = report["keys"]
    assert (score["tp"], score["fp"], score["fn"], score["tn"]) == (2, 1, 1, 0)
    assert score["precision"] == pytest.approx(2 / 3) and score["recall"] == pytest.approx(2 / 3)
    assert report["labels"] == "the store's labels"
    assert [miss["where"] for miss in report["misses"]] == [f"item {others[0]}"]

    below = _eval("--key", "turkish-mediation", "--min-precision", "0.9")
    assert below.exit_code == 1 and "turkish-mediation" in below.stderr

    # An edited rule set, tried on what the analysts said: without the rule, its labels are
    # left out and named.
    edited = tmp_path / "edited"
    shutil.copytree(RULES, edited)
    (edited / "mediation.yaml").unlink()
    tried = _eval("--rules", str(edited))
    assert tried.exit_code == 2
    assert tried.stderr.count("is not in the rules") == 4


def test_rules_eval_needs_a_labels_file_or_feedback_and_feedback_needs_labels(
    demo: Settings, tmp_path: Path
) -> None:
    assert runner.invoke(app, ["rules", "eval"]).exit_code == 2
    labels = tmp_path / "labels.jsonl"
    labels.write_text('{"title": "t", "text": "x", "labels": {"turkish-mediation": 0}}\n')
    both = runner.invoke(app, ["rules", "eval", str(labels), "--feedback"])
    assert both.exit_code == 2 and "not both" in both.stderr
    empty = _eval()
    assert empty.exit_code == 2 and "no labels in the store yet" in empty.stderr
    hits = _hits("turkish-mediation")
    assert _label(hits[0], "--rule", "turkish-mediation", "--relevant").exit_code == 0
    assert _eval().exit_code == 0
    assert "no labels in the store yet" in _eval("--since", "2100-01-01").stderr
