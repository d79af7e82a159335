"""JSON Feed (https://jsonfeed.org, versions 1 and 1.1): the feed format of many blogs and of
some newsrooms' APIs, read with the standard library's JSON parser."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from vigil.article import Article
from vigil.errors import SourceError
from vigil.html_text import html_to_text
from vigil.sources.dates import believable
from vigil.sources.spec import FeedResult, FeedSpec

_VERSION = re.compile(rb'"version"\s*:\s*"https?://jsonfeed\.org/version/1', re.IGNORECASE)


class JsonFeedFormat:
    name = "jsonfeed"

    def sniff(self, data: bytes) -> bool:
        head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
        return head.startswith(b"{") and _VERSION.search(head) is not None

    def parse(
        self, data: bytes, spec: FeedSpec, seen_at: datetime, *, fast: bool, max_items: int
    ) -> tuple[FeedResult, int]:
        try:
            document = json.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SourceError(f"{spec.name}: not a JSON Feed ({exc})") from None
        if not isinstance(document, dict) or not isinstance(document.get("items"), list):
            raise SourceError(f"{spec.name}: not a JSON Feed (no 'items' list)")
        items = document["items"]
        skipped = sum(1 for item in items[:max_items] if not isinstance(item, dict))
        articles = [
            _article(item, spec, seen_at) for item in items[:max_items] if isinstance(item, dict)
        ]
        warning = f"{skipped} item(s) that are not JSON objects were skipped" if skipped else None
        return FeedResult(spec, [a for a in articles if a.title or a.body], warning), len(items)


FORMAT = JsonFeedFormat()


def _article(item: dict[str, Any], spec: FeedSpec, seen_at: datetime) -> Article:
    published = _date(item.get("date_published"), seen_at) or _date(
        item.get("date_modified"), seen_at
    )
    html = _text(item.get("content_html"))
    body = html_to_text(html) if html else _text(item.get("content_text"))
    body = body or html_to_text(_text(item.get("summary")))
    raw_tags = item.get("tags")
    tags = raw_tags if isinstance(raw_tags, list) else []
    return Article(
        title=html_to_text(_text(item.get("title"))),
        body=body,
        outlet=spec.name,
        link=_web_link(item.get("url")) or _web_link(item.get("external_url")),
        guid=_text(item.get("id")) or None,
        author=_author(item) or None,
        published=published or seen_at,
        date_missing=published is None,
        tags=tuple(spec.tags) + tuple(t for t in tags if isinstance(t, str) and t),
    )


def _text(value: object) -> str:
    """A string field as text; JSON Feed allows a number as an id, nothing else is text."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def _author(item: dict[str, Any]) -> str:
    authors = item.get("authors")
    if isinstance(authors, list):  # 1.1
        names = [_text(a.get("name")) for a in authors if isinstance(a, dict)]
        return ", ".join(name for name in names if name)
    author = item.get("author")  # 1.0
    return _text(author.get("name")) if isinstance(author, dict) else ""


def _web_link(value: object) -> str | None:
    return value if isinstance(value, str) and value.startswith(("http://", "https://")) else None


def _date(value: object, seen_at: datetime) -> datetime | None:
    """An RFC 3339 date, believed only inside the window every format uses (sources.dates)."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return believable(moment, value, seen_at)
