"""Render a Digest with the Jinja2 templates into a MIME message, a preview or markdown.

Templates come from ``VIGIL_TEMPLATES`` first and from the bundled set for any file that
folder does not have, so a user can override just the HTML. The HTML is written with a
``<style>`` block and inlined by css-inline, because most mail clients drop style blocks.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import css_inline
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined

from vigil.digest.compose import Digest
from vigil.digest.sanitise import http_url
from vigil.errors import ConfigError
from vigil.paths import bundled

TEXT_TEMPLATE = "digest.txt.j2"
HTML_TEMPLATE = "digest.html.j2"
MARKDOWN_TEMPLATE = "digest.md.j2"

# Media queries stay in a <style> block (they cannot be inlined); nothing is ever fetched.
_INLINER = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)


def _is_html(name: str | None) -> bool:
    return name is not None and name.endswith((".html.j2", ".html"))


class DigestRenderer:
    """Templates loaded once; StrictUndefined makes a template typo fail loudly."""

    def __init__(self, templates: Path, *, web_url: str | None = None) -> None:
        if not templates.is_dir():
            raise ConfigError(f"{templates}: templates folder not found")
        self.templates = templates
        folders = [templates]
        shipped = bundled("templates")
        if shipped.is_dir() and shipped.resolve() != templates.resolve():
            folders.append(shipped)
        self.env = Environment(
            loader=ChoiceLoader([FileSystemLoader(folder) for folder in folders]),
            autoescape=_is_html,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.env.filters["when"] = format_when
        self.env.filters["http_url"] = http_url
        self.env.filters["md"] = markdown_escape
        # With VIGIL_WEB_URL: the address of a story's page on `vigil web`, else None.
        base = (web_url or "").rstrip("/")
        self.env.globals["item_page"] = lambda item_id: f"{base}/items/{item_id}" if base else None

    def render_text(self, digest: Digest) -> str:
        return self.env.get_template(TEXT_TEMPLATE).render(digest=digest)

    def render_html(self, digest: Digest) -> str:
        html = self.env.get_template(HTML_TEMPLATE).render(digest=digest)
        return _INLINER.inline(html)

    def render_markdown(self, digest: Digest) -> str:
        """For the Prefect UI: the same content as a markdown artifact."""
        return self.env.get_template(MARKDOWN_TEMPLATE).render(digest=digest)

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
        message["X-Vigil-Kind"] = str(digest.kind)
        message["X-Vigil-Matches"] = str(digest.match_count)
        if digest.recipient is not None:
            message["X-Vigil-Recipient"] = digest.recipient.id
        message.set_content(self.render_text(digest))
        message.add_alternative(self.render_html(digest), subtype="html")
        return message

    def render_health_text(self, report: object) -> str:
        return self.env.get_template("health.txt.j2").render(report=report)

    def compose_health(self, report: Any, *, sender: str, recipients: list[str]) -> EmailMessage:
        """The operator's health message, as multipart/alternative like the digests."""
        message = EmailMessage()
        message["Subject"] = report.subject
        message["From"] = sender
        message["To"] = ", ".join(recipients)
        message["Date"] = format_datetime(report.generated_at)
        message["Message-ID"] = make_msgid("vigil-health", domain=_domain(sender))
        message["X-Vigil-Kind"] = "health"
        message.set_content(self.render_health_text(report))
        html = self.env.get_template("health.html.j2").render(report=report)
        message.add_alternative(_INLINER.inline(html), subtype="html")
        return message


def _domain(address: str) -> str:
    domain = address.rpartition("@")[2].strip(" >")
    return domain or "localhost"


_MARKDOWN_SPECIAL = str.maketrans({c: f"\\{c}" for c in "\\`*_[]<>|#"})


def markdown_escape(value: object) -> str:
    """Feed text shown literally in markdown: no links, emphasis or raw HTML from a feed."""
    return str(value).translate(_MARKDOWN_SPECIAL)


def format_when(value: datetime | None, zone: ZoneInfo | None = None) -> str:
    """A date in the reader's time zone, with the zone's abbreviation or offset."""
    if value is None:
        return "date unknown"
    try:
        local = value.astimezone(zone or ZoneInfo("UTC"))
    except (OverflowError, ValueError):  # a stored date at the edge of time (year 1)
        local = value
    label = local.tzname() or local.strftime("%z")
    return f"{local:%d %b %Y %H:%M} {label}"
