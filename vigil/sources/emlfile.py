"""Newsletters saved from a mail client (``.eml``, RFC 5322) in an article folder: the
subject is the title, the sender the author, the Date header the date, the plain-text part
(else the HTML part, as text) the body, the Message-ID the identity."""

from __future__ import annotations

import email
import email.policy
from datetime import datetime
from email.message import EmailMessage
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path

from vigil.article import Article
from vigil.errors import SourceError
from vigil.html_text import html_to_text
from vigil.localfiles import MAX_ARTICLE_BYTES, read_capped
from vigil.sources.dates import believable


def read_eml_file(path: Path, outlet: str, *, seen_at: datetime) -> Article:
    """One saved message as an Article; SourceError when it holds no subject or no text."""
    data = read_capped(path, MAX_ARTICLE_BYTES)
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    try:
        title = str(message.get("subject", "") or "").strip()
        body = _body_text(message)
    except (LookupError, ValueError, UnicodeError) as exc:  # a broken header or charset
        raise SourceError(f"{path}: not a readable mail message ({exc})") from None
    if not title:
        raise SourceError(f"{path}: a saved mail message needs a Subject (its title)")
    if not body.strip():
        raise SourceError(f"{path}: the message has no text part")
    name, address = parseaddr(str(message.get("from", "") or ""))
    # The header as written (the parsed one reads year 1 as 2001, which would look believable).
    raw_date = next((str(v).strip() for k, v in message.raw_items() if k.lower() == "date"), None)
    published = believable(_date(raw_date), raw_date, seen_at)
    message_id = str(message.get("message-id", "") or "").strip().strip("<>")
    archived = str(message.get("archived-at", "") or "").strip().strip("<>")
    return Article(
        title=title,
        body=body,
        outlet=outlet,
        link=archived if archived.startswith(("https://", "http://")) else None,
        guid=f"urn:message-id:{message_id}" if message_id else None,
        author=name or address or None,
        published=published or seen_at,
        date_missing=published is None,
        metadata={"origin": f"mail file {path.name}"},
    )


def _body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()
    if not isinstance(content, str):
        return ""
    return html_to_text(content) if part.get_content_subtype() == "html" else content


def _date(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        return parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
