"""RSS (0.9x, 1.0, 2.0) and Atom, through feedparser, or fastfeedparser where it gives the same
articles (see vigil.sources.fastpath)."""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime
from typing import Any

import feedparser

from vigil.article import Article
from vigil.errors import SourceError
from vigil.html_text import html_to_text
from vigil.sources.dates import believable
from vigil.sources.fastpath import fast_entries
from vigil.sources.spec import FeedResult, FeedSpec
from vigil.sources.xmlguard import refuse_entity_declarations

_ITEM_END = re.compile(rb"</(?:[\w.-]+:)?(?:item|entry)\s*>", re.IGNORECASE)
_ROOT = re.compile(rb"<((?:[\w.-]+:)?(?:rss|feed|RDF))[\s>]", re.IGNORECASE)


class RssFormat:
    """The default: anything no other format claims is read as RSS or Atom."""

    name = "rss"

    def sniff(self, data: bytes) -> bool:
        return _ROOT.search(data[:4096]) is not None

    def parse(
        self, data: bytes, spec: FeedSpec, seen_at: datetime, *, fast: bool, max_items: int
    ) -> tuple[FeedResult, int]:
        """The feed's articles, cut before parsing after ``max_items`` items (feeds list the
        newest first, so a feed of 200,000 items costs what ``max_items`` cost); and how many
        items it had."""
        refuse_entity_declarations(data, spec.name)
        data, total = _first_items(data, max_items)
        return _parse(data, spec, seen_at, fast), total


FORMAT = RssFormat()


def _first_items(data: bytes, max_items: int) -> tuple[bytes, int]:
    """The feed cut after its ``max_items``-th item, closed again; and how many it had."""
    ends = [found.end() for found in _ITEM_END.finditer(data)]
    if len(ends) <= max_items:
        return data, len(ends)
    root = _ROOT.search(data)
    if root is None:
        return data, len(ends)  # an odd shape: parsed whole, cut after parsing
    name = root.group(1)
    closing = (
        b"</channel></" + name + b">" if name.lower().endswith(b"rss") else b"</" + name + b">"
    )
    return data[: ends[max_items - 1]] + closing, len(ends)


def _parse(data: bytes, spec: FeedSpec, seen_at: datetime, fast: bool) -> FeedResult:
    quick = fast_entries(data) if fast else None
    if quick is not None:
        articles = [_article_from_entry(entry, spec, seen_at) for entry in quick]
        return FeedResult(spec, [a for a in articles if a.title or a.body], None)
    parsed = feedparser.parse(data, sanitize_html=True, resolve_relative_uris=True)
    entries = parsed.get("entries", [])
    warning = None
    if parsed.get("bozo"):
        problem = f"{type(parsed.bozo_exception).__name__}: {parsed.bozo_exception}"
        if not entries and not parsed.get("version"):
            raise SourceError(f"{spec.name}: not a feed ({problem})")
        warning = problem
    articles = [_article_from_entry(entry, spec, seen_at) for entry in entries]
    return FeedResult(spec, [a for a in articles if a.title or a.body], warning)


def _article_from_entry(entry: Any, spec: FeedSpec, seen_at: datetime) -> Article:
    published = _entry_date(entry, seen_at)  # None: dated when first seen instead, and flagged
    return Article(
        title=html_to_text(entry.get("title") or ""),
        body=_entry_body(entry),
        outlet=spec.name,
        link=_web_link(entry.get("link")),
        guid=entry.get("id") or None,
        author=entry.get("author") or None,
        published=published or seen_at,
        date_missing=published is None,
        tags=tuple(spec.tags) + tuple(t["term"] for t in entry.get("tags", []) if t.get("term")),
    )


def _web_link(value: str | None) -> str | None:
    """Only http(s) links are links: feedparser turns a bare ``urn:`` GUID into one."""
    return value if value and value.startswith(("http://", "https://")) else None


def _entry_body(entry: Any) -> str:
    # Full content beats the summary when a feed carries both.
    contents = entry.get("content") or []
    html = max((c.get("value") or "" for c in contents), key=len, default="")
    return html_to_text(html or entry.get("summary") or "")


def _entry_date(entry: Any, seen_at: datetime) -> datetime | None:
    if isinstance(entry.get("published"), datetime):  # from the fast path, checked there
        return believable(entry["published"], None, seen_at)
    for key in ("published", "updated", "created"):
        value = entry.get(f"{key}_parsed")
        if not value:
            continue
        try:
            moment = datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
        except (ValueError, OverflowError, OSError):  # year 0, or beyond what datetime holds
            return None
        raw = entry.get(key)
        return believable(moment, raw if isinstance(raw, str) else None, seen_at)
    return None
