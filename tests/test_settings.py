from pathlib import Path

import pytest
from pydantic import ValidationError

from vigil.monitor import make_transport
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
