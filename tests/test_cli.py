"""The CLI's checks and exit codes (``vigil run`` itself is in test_flow.py)."""

from pathlib import Path

from typer.testing import CliRunner

from vigil.cli import app

from .conftest import RULES, SEED

runner = CliRunner()


def test_rules_check_lists_valid_rules() -> None:
    result = runner.invoke(app, ["rules", "check", "--rules", str(RULES)])
    assert result.exit_code == 0, result.output
    assert "all valid" in result.output
    assert "bayraktar-tb2" in result.output


def test_rules_check_fails_with_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(
        "rules:\n  - id: x\n    title: X\n    anyy: [a]\n", encoding="utf-8"
    )
    result = runner.invoke(app, ["rules", "check", "--rules", str(tmp_path)])
    assert result.exit_code == 1
    assert f"{tmp_path / 'bad.yaml'}:4: rules.0.anyy: unknown key" in result.output
    assert "1 problem(s)" in result.output


def test_rules_test_shows_evidence_for_the_seed() -> None:
    (seed,) = SEED.glob("*.txt")
    result = runner.invoke(app, ["rules", "test", str(seed), "--rules", str(RULES)])
    assert result.exit_code == 0, result.output
    for rule in ("turkish-mediation", "bayraktar-tb2", "minsk-normandy"):
        assert rule in result.output
    assert "[Bayraktar] [TB2]" in result.output


def test_rules_test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["rules", "test", str(tmp_path / "nope.txt")])
    assert result.exit_code == 2
    assert "no such file" in result.output


def test_run_with_broken_rules_exits_two_before_starting_prefect(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("rules: [\n", encoding="utf-8")
    result = runner.invoke(app, ["run", "--rules", str(tmp_path)])
    assert result.exit_code == 2
    assert "bad.yaml" in result.output and "YAML syntax" in result.output


def test_bad_setting_exits_two(monkeypatch) -> None:
    monkeypatch.setenv("VIGIL_SMTP_TLS", "sometimes")
    result = runner.invoke(app, ["rules", "check"])
    assert result.exit_code == 2
    assert "VIGIL_SMTP_TLS" in result.output


def test_help_explains_options() -> None:
    result = runner.invoke(app, ["run", "--help"])
    assert result.exit_code == 0
    assert "--feeds" in result.output and "--no-articles" in result.output
