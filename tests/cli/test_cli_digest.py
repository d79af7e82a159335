"""``vigil digest``: preview without sending, the recipients table, the outbox table."""

import email
import email.policy
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vigil.cli import app
from vigil.monitor import Monitor
from vigil.settings import Settings
from vigil.sources import read_article_folder

from tests.conftest import RULES, SEED, TEMPLATES, changed, write_recipients

runner = CliRunner()

RECIPIENTS = """\
recipients:
  - id: ankara
    name: Ankara desk
    email: ankara@example.org
    timezone: Europe/Istanbul
    rules: [turkish-mediation]
    digest: daily 08:00
  - id: kyiv
    email: kyiv@example.org
    rules: [bayraktar-tb2]
    digest: every run
"""


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, settings: Settings, tmp_path: Path) -> Settings:
    recipients = write_recipients(tmp_path / "recipients.yaml", RECIPIENTS)
    for name, value in {
        "VIGIL_HOME": settings.home,
        "VIGIL_DATABASE_URL": settings.store_url,
        "VIGIL_RULES": RULES,
        "VIGIL_TEMPLATES": TEMPLATES,
        "VIGIL_RECIPIENTS": recipients,
    }.items():
        monkeypatch.setenv(name, str(value))
    seeded = changed(settings, recipients=recipients)
    monitor = Monitor(seeded)
    monitor.ingest("seed", read_article_folder(SEED))
    monitor.close()
    return seeded


def test_preview_renders_the_next_message_and_sends_nothing(env: Settings, tmp_path: Path) -> None:
    out = tmp_path / "preview.html"
    result = runner.invoke(app, ["digest", "preview", "--recipient", "ankara", "--out", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    # turkish-mediation is high severity: the next run sends Ankara an alert, so does preview.
    assert "vigil alert for Ankara desk" in html and "Turkish mediation offers" in html
    assert "Bayraktar" not in html.split("Rules that fired")[0]
    # Nothing was claimed or queued: the real run still composes it.
    monitor = Monitor(env)
    assert monitor.store.message_counts() == {}
    assert "kyiv" in {message.recipient for message in monitor.compose()}


def test_preview_as_text_on_stdout_and_as_a_whole_mime_message(
    env: Settings, tmp_path: Path
) -> None:
    text = runner.invoke(app, ["digest", "preview", "--recipient", "kyiv"])
    assert text.exit_code == 0 and "Bayraktar TB2 drones [medium]" in text.stdout
    eml = tmp_path / "kyiv.eml"
    assert (
        runner.invoke(
            app, ["digest", "preview", "--recipient", "kyiv", "--out", str(eml)]
        ).exit_code
        == 0
    )
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert message["To"] == "kyiv@example.org"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]


def test_preview_of_an_unknown_recipient_lists_the_known_ones(env: Settings) -> None:
    result = runner.invoke(app, ["digest", "preview", "--recipient", "paris"])
    assert result.exit_code == 2
    assert "no recipient 'paris'; the recipients are: ankara, kyiv" in result.output


def test_recipients_table_shows_schedule_in_local_time_and_what_waits(env: Settings) -> None:
    result = runner.invoke(app, ["digest", "recipients"])
    assert result.exit_code == 0, result.output
    assert "daily 08:00 (Europe/Istanbul)" in result.output
    assert "08:00" in result.output and "next run" in result.output
    assert "1 alert, 0 digest" in result.output  # turkish-mediation is high severity


def test_outbox_exits_one_while_a_message_waits_for_a_retry(env: Settings) -> None:
    down = Monitor(changed(env, smtp_host="127.0.0.1", smtp_port=9, smtp_tls="none"))
    down.compose()
    down.deliver()
    result = runner.invoke(app, ["digest", "outbox"])
    assert result.exit_code == 1
    assert "pending" in result.output and "kyiv" in result.output
    assert "Connect" in result.output or "refused" in result.output.lower()


def test_run_refuses_a_broken_recipients_file_before_starting_prefect(tmp_path: Path) -> None:
    broken = write_recipients(
        tmp_path / "r.yaml",
        "recipients:\n  - id: a\n    email: a@example.org\n    digest: hourly\n",
    )
    result = runner.invoke(app, ["run", "--recipients", str(broken), "--rules", str(RULES)])
    assert result.exit_code == 2
    assert f"{broken}:4:13: recipients.0.digest: expected 'every run'" in result.output


ALERTS_ONLY = """\
recipients:
  - id: duty
    email: duty@example.org
    rules: ["mediation-*", turkish-mediation, bayraktar-tb2]
    tags: [drones]
    alerts: [high]
    digest: none
"""


def test_an_alerts_only_reader_is_previewed_and_listed_as_such(
    monkeypatch: pytest.MonkeyPatch, env: Settings, tmp_path: Path
) -> None:
    path = write_recipients(tmp_path / "duty.yaml", ALERTS_ONLY)
    monkeypatch.setenv("VIGIL_RECIPIENTS", str(path))
    out = tmp_path / "next.eml"
    result = runner.invoke(app, ["digest", "preview", "--out", str(out)])
    assert result.exit_code == 0, result.output
    message = email.message_from_bytes(out.read_bytes(), policy=email.policy.default)
    assert message["X-Vigil-Kind"] == "alert" and message["Subject"].startswith("vigil ALERT")
    assert "(alert," in result.output
    table = runner.invoke(app, ["digest", "recipients"])
    assert table.exit_code == 0, table.output
    row = next(line for line in table.output.splitlines() if "duty" in line)
    assert "none (alerts only)" in row and "next run" not in row
    # Three rules by id or pattern (mediation-rejected, mediation-rejected-ukraine,
    # turkish-mediation, bayraktar-tb2) and the rule tag "drones" (armed-drones-ukraine).
    from vigil.rules import load_ruleset

    ruleset = load_ruleset(RULES)
    expected = sum(
        1
        for rule in ruleset.rules
        if rule.id.startswith("mediation-")
        or rule.id in {"turkish-mediation", "bayraktar-tb2"}
        or "drones" in rule.tags
    )
    assert expected < len(ruleset.rules)
    assert f" {expected} " in row.replace("│", " ")
