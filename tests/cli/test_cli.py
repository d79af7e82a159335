"""The CLI's checks and exit codes (``vigil run`` itself is in test_flow.py)."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from vigil.cli import app
from vigil.pipeline import run_once

from tests.conftest import RULES, SEED

runner = CliRunner()


def test_rules_check_lists_valid_rules() -> None:
    result = runner.invoke(app, ["rules", "check", "--rules", str(RULES)])
    assert result.exit_code == 0, result.output
    assert "all rules valid, all examples behave" in result.output
    assert "bayraktar-tb2" in result.output


def test_rules_check_fails_with_file_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(
        "rules:\n  - id: x\n    title: X\n    anyy: [a]\n"
        "  - id: y\n    title: Y\n    query: a OR\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["rules", "check", str(tmp_path)])
    assert result.exit_code == 2
    assert f"{tmp_path / 'bad.yaml'}:4:5: rules.0.anyy: unknown key 'anyy'" in result.output
    assert f"{tmp_path / 'bad.yaml'}:7:14: rules.1.query: the query ends too early" in result.output
    assert "2 problem(s)" in result.output


def test_rules_check_fails_on_a_misbehaving_example(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(
        "rules:\n  - id: x\n    title: X\n    any: [drone*]\n    examples:\n"
        "      match: [Planes flew.]\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["rules", "check", str(tmp_path)])
    assert result.exit_code == 2
    assert "should match but does not: 'Planes flew.'" in result.output


def test_rules_test_shows_evidence_for_the_seed() -> None:
    (seed,) = SEED.glob("*.txt")
    result = runner.invoke(app, ["rules", "test", str(seed), "--rules", str(RULES)])
    assert result.exit_code == 0, result.output
    for rule in ("turkish-mediation", "bayraktar-tb2", "minsk-normandy"):
        assert f"✓ {rule}: matched" in result.output
    assert "✓ mediation-rejected: matched (score" in result.output
    assert "RUS → TUR)" in result.output
    assert "[Bayraktar TB2]" in result.output


def test_rules_test_explains_a_miss(tmp_path: Path) -> None:
    article = tmp_path / "a.txt"
    article.write_text(
        "Minsk metro opens / A. Writer\nA new metro line opened in Minsk.\n", encoding="utf-8"
    )
    result = runner.invoke(app, ["rules", "test", str(article), "--rule", "minsk-normandy"])
    assert result.exit_code == 0, result.output
    assert "✗ minsk-normandy: no match" in result.output
    assert "✗ Minsk NEAR/3" in result.output


def test_rules_test_reads_a_stored_item(tmp_path: Path, monkeypatch, database_url: str) -> None:
    from vigil.monitor import Monitor
    from vigil.settings import Settings

    monkeypatch.setenv("VIGIL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("VIGIL_DATABASE_URL", database_url)
    monitor = Monitor(Settings(feeds=SEED.parent / "feeds" / "demo.yaml"))
    run_once(monitor)
    monitor.close()
    result = runner.invoke(app, ["rules", "test", "1"])
    assert result.exit_code == 0, result.output
    assert "== item 1: Why Putin rejected" in result.output
    missing = runner.invoke(app, ["rules", "test", "999"])
    assert missing.exit_code == 2 and "no stored item with id 999" in missing.output


def test_rules_test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["rules", "test", str(tmp_path / "nope.txt")])
    assert result.exit_code == 2
    assert "no such file or folder" in result.output


def test_run_with_broken_rules_exits_two_before_starting_prefect(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("rules: [\n", encoding="utf-8")
    result = runner.invoke(app, ["run", "--rules", str(tmp_path)])
    assert result.exit_code == 2
    assert "bad.yaml" in result.output and "YAML syntax" in result.output


def test_bad_setting_exits_two(monkeypatch) -> None:
    monkeypatch.setenv("VIGIL_SMTP_TLS", "sometimes")
    result = runner.invoke(app, ["run"])  # a delivery setting stops what delivers
    assert result.exit_code == 2
    assert "VIGIL_SMTP_TLS" in result.output


def test_help_explains_options() -> None:
    result = runner.invoke(app, ["run", "--help"])
    assert result.exit_code == 0
    assert "--feeds" in result.output and "--no-articles" in result.output


def test_a_folder_without_rules_is_refused_by_check_and_run(tmp_path: Path) -> None:
    (tmp_path / "actors.yaml").write_text(
        "actors:\n  TUR: {name: Turkey, names: [Turkey]}\n"
        "actions:\n  reject: {triggers: [reject*], cameo: ['12']}\n",
        encoding="utf-8",
    )
    check = runner.invoke(app, ["rules", "check", str(tmp_path)])
    assert check.exit_code == 2, check.output
    assert "no rules" in check.output and "all rules valid" not in check.output
    run = runner.invoke(app, ["run", "--rules", str(tmp_path)])
    assert run.exit_code == 2 and "no rules" in run.output


def test_rules_check_reports_every_problem_at_once(tmp_path: Path) -> None:
    # A broken actor, an unknown top-level key, a broken rule, a bad query, and a misbehaving
    # example of a rule that is fine: all in one run, not one round per fix.
    (tmp_path / "a.yaml").write_text(
        "actors:\n  TUR: {name: Turkey, names: [Turkey]}\n  RUS: {name: 7, namez: [x]}\n"
        "rulez: []\n",
        encoding="utf-8",
    )
    (tmp_path / "b.yaml").write_text(
        "rules:\n  - id: broken\n    title: B\n    anyy: [a]\n"
        "  - id: bad-query\n    title: Q\n    query: a OR\n"
        "  - id: fine\n    title: F\n    any: [drone*]\n    examples:\n"
        "      match: [Planes flew.]\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["rules", "check", str(tmp_path)])
    assert result.exit_code == 2
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    assert f"{a}:3:" in result.output and "actors.RUS" in result.output
    assert f"{a}:4:1: rulez: unknown key 'rulez'" in result.output
    assert f"{b}:4:5: rules.0.anyy: unknown key 'anyy'" in result.output
    assert f"{b}:7:14: rules.1.query: the query ends too early" in result.output
    assert "rule 'fine': should match but does not: 'Planes flew.'" in result.output
    assert "problem(s)" in result.output and "1 example(s) misbehave" in result.output


def test_a_duplicate_rule_id_is_reported_at_both_definitions(tmp_path: Path) -> None:
    rule = "rules:\n  - id: same\n    title: T\n    any: [drone*]\n"
    (tmp_path / "new.yaml").write_text(rule, encoding="utf-8")
    (tmp_path / "old.yaml").write_text(rule, encoding="utf-8")
    result = runner.invoke(app, ["rules", "check", str(tmp_path)])
    assert result.exit_code == 2
    new, old = tmp_path / "new.yaml", tmp_path / "old.yaml"
    assert f"{new}:2:9: rules.0.id: rule id 'same' is used again at {old}:2" in result.output
    assert f"{old}:2:9: rules.0.id: rule id 'same' is already used at {new}:2" in result.output


def test_run_and_backtest_name_misbehaving_examples(tmp_path: Path, database_url: str) -> None:
    (tmp_path / "r.yaml").write_text(
        "rules:\n  - id: x\n    title: X\n    any: [drone*]\n    examples:\n"
        "      match: [Planes flew.]\n",
        encoding="utf-8",
    )
    env = {"VIGIL_HOME": str(tmp_path / "home"), "VIGIL_DATABASE_URL": database_url}
    backtest = runner.invoke(
        app, ["rules", "backtest", "--rules", str(tmp_path), "--since", "2026-01-01"], env=env
    )
    assert "warning:" in backtest.output and "should match but does not" in backtest.output
    assert "1 example(s) misbehave; `vigil rules check` lists them" in backtest.output
    # --rules, the old spelling of --candidate, still works, and says what to write instead.
    assert "`rules backtest --rules` is now --candidate" in backtest.output


def test_backtest_needs_its_candidate_folder_and_says_so() -> None:
    result = runner.invoke(app, ["rules", "backtest", "--since", "2026-01-01"])
    assert result.exit_code == 2
    assert "--candidate" in result.output and "candidate rules folder is needed" in result.output


@pytest.mark.parametrize(
    "command",
    [
        ["run"], ["feeds"], ["digest", "outbox"], ["digest", "recipients"], ["digest", "preview"],
        ["matches", "export"], ["rules", "stats"], ["rules", "test", "1"],
        ["rules", "backtest", "--candidate", str(RULES), "--since", "2026-01-01"],
        ["backfill", "--since", "2026-01-01"],
    ],
)  # fmt: skip
def test_every_command_says_a_store_error_in_one_line_and_exits_two(
    tmp_path: Path, command: list[str]
) -> None:
    # In-process, not only through main(): each command reports a VigilError itself.
    home = tmp_path / "home"
    home.mkdir()
    (home / "vigil.db").write_bytes(b"this is not a database " * 100)
    result = runner.invoke(app, command, env={"VIGIL_HOME": str(home)})
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"vigil: {home / 'vigil.db'}" in result.output
    assert "not a usable SQLite database" in result.output and "Traceback" not in result.output


def test_version_prints_the_package_version_and_exits_0() -> None:
    import vigil

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"vigil {vigil.__version__}"
