"""--since and --until as people type them: days, minutes, and times back from now."""

from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from vigil.cli import app
from vigil.moments import parse_moment

NOW = datetime(2026, 12, 2, 14, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-30", datetime(2026, 11, 30, tzinfo=UTC)),
        ("2026-11-30T08:15", datetime(2026, 11, 30, 8, 15, tzinfo=UTC)),
        ("7d", datetime(2026, 11, 25, 14, 30, tzinfo=UTC)),
        ("2h", datetime(2026, 12, 2, 12, 30, tzinfo=UTC)),
        ("30m", datetime(2026, 12, 2, 14, 0, tzinfo=UTC)),
        ("1w", datetime(2026, 11, 25, 14, 30, tzinfo=UTC)),
        ("today", datetime(2026, 12, 2, tzinfo=UTC)),
        ("Yesterday", datetime(2026, 12, 1, tzinfo=UTC)),
        ("now", NOW),
    ],
)
def test_a_moment_is_read_against_the_given_now(text: str, expected: datetime) -> None:
    assert parse_moment(text, NOW) == expected


@pytest.mark.parametrize("text", ["3x", "2026-13-01", "-7d", "last week", ""])
def test_anything_else_is_refused_with_the_forms_it_takes(text: str) -> None:
    with pytest.raises(ValueError, match="expected a day"):
        parse_moment(text, NOW)


def test_the_cli_names_the_option_and_the_forms_and_exits_2() -> None:
    result = CliRunner().invoke(app, ["matches", "export", "--since", "3x"])
    assert result.exit_code == 2
    assert "--since" in result.output and "7d" in result.output


def test_the_help_shows_date_not_a_strftime_pattern() -> None:
    shown = CliRunner().invoke(app, ["rules", "backtest", "--help"]).output
    assert "--since DATE" in shown and "%Y" not in shown
