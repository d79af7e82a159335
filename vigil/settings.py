"""Configuration from ``VIGIL_*`` environment variables and an optional ``vigil.toml``.

Precedence: environment, then the TOML file (``$VIGIL_CONFIG``, else ``./vigil.toml``), then
defaults. Secrets are SecretStr so they never print.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from vigil.addresses import check_address
from vigil.paths import bundled


def config_file() -> Path:
    """The TOML settings file: ``$VIGIL_CONFIG``, else ``./vigil.toml`` (it may not exist)."""
    return Path(os.environ.get("VIGIL_CONFIG", "vigil.toml"))


# Settings only delivery uses: a bad one stops `vigil run` and `vigil serve`, and is a warning
# for the commands that send nothing (`vigil rules check` needs no mail server).
DELIVERY_SETTINGS = frozenset(
    {
        "smtp_host", "smtp_port", "smtp_user", "smtp_password", "smtp_tls", "smtp_timeout",
        "smtp_ca_file", "smtp_password_block",
    }
)  # fmt: skip


class SmtpTls(StrEnum):
    STARTTLS = "starttls"
    IMPLICIT = "implicit"
    NONE = "none"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VIGIL_", extra="forbid")

    home: Path = Field(Path(".vigil"), description="State folder: database and Maildir outbox.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL of the store; default sqlite:///$VIGIL_HOME/vigil.db."
    )
    database_timeout: float = Field(
        30.0, gt=0, description="Seconds to wait for a locked SQLite store or to connect."
    )
    rules: Path = Field(default_factory=lambda: bundled("rules"), description="Rules folder.")
    rules_follow_links: bool = Field(
        False, description="Read rule files that are links to files outside the rules folder."
    )
    feeds: Path = Field(
        default_factory=lambda: bundled("examples/feeds/demo.yaml"), description="Feeds file."
    )
    articles: Path | None = Field(
        default_factory=lambda: bundled("examples/articles"),
        description="Folder of plain-text articles ('' for none).",
    )
    templates: Path = Field(
        default_factory=lambda: bundled("templates"), description="Jinja2 templates folder."
    )
    smtp_host: str | None = Field(None, description="SMTP server; unset means Maildir delivery.")
    smtp_port: int | None = Field(
        None, ge=1, le=65535, description="Default 587 (starttls), 465, or 25."
    )
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_tls: SmtpTls = SmtpTls.STARTTLS
    smtp_timeout: float = Field(30.0, gt=0)
    smtp_ca_file: Path | None = Field(None, description="Extra CA bundle to trust for TLS.")
    smtp_password_block: str | None = Field(
        None, description="Name of a Prefect Secret block holding the SMTP password."
    )
    mail_from: str = "vigil@localhost"
    mail_to: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["analyst@localhost"])
    recipients: Path | None = Field(
        None,
        description="Recipients file (routing, alerts, schedules); unset: VIGIL_MAIL_TO gets "
        "every match in one digest per run.",
    )
    feed_timeout: float = Field(60.0, gt=0, description="Seconds one feed fetch may take in all.")
    fetch_concurrency: int = Field(16, ge=1, le=256, description="Feeds fetched at once.")
    feed_max_bytes: int = Field(10 * 1024 * 1024, ge=1024, description="Largest feed accepted.")
    full_text_private: bool = Field(
        False, description="Let full_text fetch pages at loopback and private addresses."
    )
    feed_max_items: int = Field(
        2_000, ge=1, description="Entries read of one feed: the first ones (the newest)."
    )
    health_to: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Operator addresses for the health message (comma-separated); empty: off.",
    )
    health_schedule: str = Field(
        "weekly monday 08:00", description="When the health message goes out (a digest cadence)."
    )
    health_timezone: str = Field("UTC", description="Time zone of health_schedule.")
    web_token: SecretStr | None = Field(
        None,
        description="Token the web page asks for (bearer or login form); required off loopback.",
    )
    web_url: str | None = Field(
        None, description="Where `vigil web` is reached: digests link each story to its page."
    )
    run_lock_minutes: float = Field(
        60.0, gt=0, description="A run's lock expires after this long, if its run died with it."
    )

    @field_validator("mail_to", "health_to", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("articles", "recipients", mode="before")
    @classmethod
    def _empty_means_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("health_schedule")
    @classmethod
    def _a_schedule(cls, value: str) -> str:
        from vigil.schedule import Cadence

        if not Cadence.parse(value).scheduled:
            raise ValueError(
                "the health message needs 'daily HH:MM', 'weekly <weekday> HH:MM' or 'cron ...'"
            )
        return value

    @field_validator("health_timezone")
    @classmethod
    def _a_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("mail_to", "health_to")
    @classmethod
    def _addresses(cls, values: list[str]) -> list[str]:
        for value in values:
            check_address(value)
        return values

    @field_validator("mail_from")
    @classmethod
    def _sender(cls, value: str) -> str:
        check_address(value)
        return value

    @model_validator(mode="after")
    def _needs_recipients(self) -> Settings:
        if not self.mail_to:
            raise ValueError("VIGIL_MAIL_TO needs at least one address")
        return self

    @property
    def store_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.home / 'vigil.db').resolve()}"

    @property
    def outbox(self) -> Path:
        return self.home / "outbox"

    @property
    def port(self) -> int:
        if self.smtp_port:
            return self.smtp_port
        return {SmtpTls.STARTTLS: 587, SmtpTls.IMPLICIT: 465, SmtpTls.NONE: 25}[self.smtp_tls]

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = config_file()
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=toml_file),
        )
