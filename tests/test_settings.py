from pathlib import Path

import pytest
from pydantic import ValidationError

from vigil.deliver.transports import make_transport
from vigil.settings import Settings


def test_defaults_point_at_the_shipped_files_and_a_local_state_folder() -> None:
    settings = Settings()
    assert settings.home == Path(".vigil")
    assert settings.store_url.endswith("/.vigil/vigil.db")
    assert (settings.rules / "actors.yaml").is_file()
    assert settings.feeds.name == "demo.yaml" and settings.feeds.is_file()
    assert settings.articles is not None and any(settings.articles.glob("*.txt"))
    assert make_transport(settings).describe() == "Maildir .vigil/outbox"


def test_environment_beats_toml_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "vigil.toml"
    config.write_text(
        'home = "/srv/vigil"\nsmtp_host = "mail.example.org"\nmail_to = ["a@example.org"]\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("VIGIL_CONFIG", str(config))
    monkeypatch.setenv("VIGIL_MAIL_TO", "desk@example.org, b@example.org")
    settings = Settings()
    assert settings.home == Path("/srv/vigil")
    assert settings.mail_to == ["desk@example.org", "b@example.org"]
    assert settings.port == 587
    assert make_transport(settings).describe() == "SMTP mail.example.org:587 (starttls)"


def test_password_is_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIL_SMTP_HOST", "mail.example.org")
    monkeypatch.setenv("VIGIL_SMTP_PASSWORD", "hunter2-secret")
    settings = Settings()
    assert "hunter2-secret" not in repr(settings) and "hunter2-secret" not in str(settings)
    assert "hunter2-secret" not in repr(make_transport(settings))


def test_implicit_tls_defaults_to_port_465(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIL_SMTP_TLS", "implicit")
    assert Settings().port == 465


def test_bad_values_are_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIL_MAIL_TO", " , ")
    with pytest.raises(ValidationError, match="VIGIL_MAIL_TO needs at least one address"):
        Settings()


def test_empty_articles_means_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIL_ARTICLES", "")
    assert Settings().articles is None


# -- configuration mistakes, as the CLI reports them ----------------------------------------


def _cli(args: list[str], env: dict[str, str] | None = None):
    from typer.testing import CliRunner

    from vigil.cli import app

    return CliRunner().invoke(app, args, env=env)


def test_misspelt_variables_are_warned_about_with_the_nearest_name() -> None:
    result = _cli(["rules", "check"], {"VIGIL_SMTP_HOTS": "mail.example", "VIGIL_RECIPIENT": "x"})
    assert result.exit_code == 0, result.output
    assert "VIGIL_SMTP_HOTS is not a vigil setting" in result.output
    assert "did you mean VIGIL_SMTP_HOST?" in result.output
    assert "VIGIL_RECIPIENT is not a vigil setting" in result.output
    assert "did you mean VIGIL_RECIPIENTS?" in result.output


def test_a_misspelt_toml_key_names_the_file_line_and_key(tmp_path: Path) -> None:
    toml = tmp_path / "vigil.toml"
    toml.write_text('home = "/tmp/x"\n# the mail server\nsmtp_hots = "mail.example"\n')
    result = _cli(["rules", "check"], {"VIGIL_CONFIG": str(toml)})
    assert result.exit_code == 2
    assert f"{toml}:3: smtp_hots: not a vigil setting (did you mean smtp_host?)" in result.output
    assert "VIGIL_SMTP_HOTS" not in result.output


def test_a_bad_value_in_toml_names_the_file_and_line(tmp_path: Path) -> None:
    toml = tmp_path / "vigil.toml"
    toml.write_text('feed_timeout = "soon"\n')
    result = _cli(["rules", "check"], {"VIGIL_CONFIG": str(toml)})
    assert result.exit_code == 2 and f"{toml}:1: feed_timeout:" in result.output


def test_a_port_out_of_range_is_refused() -> None:
    with pytest.raises(ValidationError, match="less than or equal to 65535"):
        Settings(smtp_port=99999)
    result = _cli(["run"], {"VIGIL_SMTP_PORT": "99999"})
    assert result.exit_code == 2 and "VIGIL_SMTP_PORT" in result.output


def test_a_bad_smtp_setting_stops_run_but_not_commands_that_send_nothing() -> None:
    check = _cli(["rules", "check"], {"VIGIL_SMTP_PORT": "abc"})
    assert check.exit_code == 0, check.output
    assert "warning: configuration: VIGIL_SMTP_PORT" in check.output
    assert "ignored: this command sends no mail" in check.output
    run = _cli(["run"], {"VIGIL_SMTP_PORT": "abc"})
    assert run.exit_code == 2
    assert "configuration: VIGIL_SMTP_PORT" in run.output and "warning" not in run.output
