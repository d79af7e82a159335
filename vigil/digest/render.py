"""Render a Digest with the Jinja2 templates of ``templates/`` into a MIME message."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from vigil.digest.compose import Digest
from vigil.errors import ConfigError

TEXT_TEMPLATE = "digest.txt.j2"
HTML_TEMPLATE = "digest.html.j2"


def _is_html(name: str | None) -> bool:
    return bool(name) and name.endswith((".html.j2", ".html"))  # type: ignore[union-attr]


class DigestRenderer:
    """Templates loaded once; StrictUndefined makes a template typo fail loudly."""

    def __init__(self, templates: Path) -> None:
        if not templates.is_dir():
            raise ConfigError(f"{templates}: templates folder not found")
        self.templates = templates
        self.env = Environment(
            loader=FileSystemLoader(templates),
            autoescape=_is_html,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.env.filters["when"] = _format_when
        self.env.filters["http_url"] = _http_url

    def render_text(self, digest: Digest) -> str:
        return self.env.get_template(TEXT_TEMPLATE).render(digest=digest)

    def render_html(self, digest: Digest) -> str:
        return self.env.get_template(HTML_TEMPLATE).render(digest=digest)

    def compose(
        self, digest: Digest, *, sender: str, recipients: list[str], message_id: str | None = None
    ) -> EmailMessage:
        """One multipart/alternative message (text first, HTML preferred by mail clients)."""
        message = EmailMessage()
        message["Subject"] = digest.subject
        message["From"] = sender
        message["To"] = ", ".join(recipients)
        message["Date"] = format_datetime(digest.generated_at)
        message["Message-ID"] = message_id or make_msgid("vigil", domain=_domain(sender))
        message["X-Vigil-Matches"] = str(digest.match_count)
        message.set_content(self.render_text(digest))
        message.add_alternative(self.render_html(digest), subtype="html")
        return message


def _domain(address: str) -> str:
    domain = address.rpartition("@")[2].strip(" >")
    return domain or "localhost"


def _format_when(value: datetime | None) -> str:
    if value is None:
        return "date unknown"
    return value.strftime("%d %b %Y %H:%M UTC")


def _http_url(value: str | None) -> str:
    """Only http(s) links become clickable: a feed could carry ``javascript:`` or ``data:``."""
    if value and urlsplit(value.strip()).scheme.lower() in {"http", "https"}:
        return value.strip()
    return ""
