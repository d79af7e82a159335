"""RSS and Atom feeds: the feeds file, and parsing the bytes into Articles (vigil.sources.fetch
fetches them).

Fetching and parsing are separate so a snapshot on disk, an HTTP response and a test fixture all
go through the same parser, and the parser never touches the network itself.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
from pydantic import BaseModel, ConfigDict, Field, field_validator

from vigil.article import Article
from vigil.errors import FileFormatError, SourceError
from vigil.html_text import html_to_text
from vigil.sources.dates import believable
from vigil.sources.fastpath import fast_entries
from vigil.sources.xmlguard import refuse_entity_declarations
from vigil.yamlfile import load_yaml, mark_of, validate


class FeedSpec(BaseModel):
    """One entry of a feeds file. ``url`` is http(s) or a path relative to the feeds file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    url: str = Field(min_length=1)
    tags: tuple[str, ...] = ()
    # For feeds that carry only a teaser: fetch each new article's page for its main text,
    # from the feed's own host, or from these.
    full_text: bool = False
    full_text_hosts: tuple[str, ...] = ()

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, url: str) -> str:
        if "://" in url and not url.startswith(("http://", "https://", "file://")):
            raise ValueError("must be an http(s) URL or a local path")
        return url

    @property
    def is_remote(self) -> bool:
        return self.url.startswith(("http://", "https://"))


class _FeedsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    feeds: list[FeedSpec]


def load_feeds_file(path: Path) -> list[FeedSpec]:
    """Read a feeds file; local paths in it are resolved against the file's folder."""
    document = load_yaml(path)
    if not isinstance(document, dict):
        raise FileFormatError([f"{path}:1: a feeds file is a mapping with a 'feeds:' list"])
    specs = validate(_FeedsFile, document, path).feeds
    names = [spec.name for spec in specs]
    if duplicates := sorted({name for name in names if names.count(name) > 1}):
        raise FileFormatError([f"{path}: feed names must be unique: {', '.join(duplicates)}"])
    resolved = [
        spec
        if spec.is_remote
        else spec.model_copy(update={"url": str(_local_path(spec.url, path.parent))})
        for spec in specs
    ]
    # A local feed is checked with the file, before any run starts: a missing one is a typo.
    problems = []
    for index, spec in enumerate(resolved):
        if not spec.is_remote and not Path(spec.url).is_file():
            line, column = mark_of(document, ("feeds", index, "url")) or (1, 1)
            what = "is not a regular file" if Path(spec.url).exists() else "does not exist"
            problems.append(
                f"{path}:{line}:{column}: feeds.{index}.url: {spec.name}: {spec.url} {what}"
            )
    if problems:
        raise FileFormatError(problems)
    return resolved


def _local_path(url: str, base: Path) -> Path:
    raw = Path(url.removeprefix("file://"))
    return raw if raw.is_absolute() else (base / raw).resolve()


@dataclass(frozen=True, slots=True)
class FeedResult:
    """What one feed gave: its articles, and the parser's complaint if the XML was not clean."""

    feed: FeedSpec
    articles: list[Article] = field(default_factory=list)
    warning: str | None = None


MAX_FEED_ITEMS = 2_000  # entries read of one feed (VIGIL_FEED_MAX_ITEMS)
_ITEM_END = re.compile(rb"</(?:[\w.-]+:)?(?:item|entry)\s*>", re.IGNORECASE)
_ROOT = re.compile(rb"<((?:[\w.-]+:)?(?:rss|feed|RDF))[\s>]", re.IGNORECASE)


def parse_feed(
    data: bytes,
    spec: FeedSpec,
    *,
    now: datetime | None = None,
    fast: bool = True,
    max_items: int = MAX_FEED_ITEMS,
) -> FeedResult:
    """Parse feed bytes. A feed that is not XML at all is an error; a sloppy one is a warning.

    ``fast``: use fastfeedparser where it gives the same articles (see vigil.sources.fastpath).
    A parser that crashes on hostile bytes (feedparser does, on a non-UTF-8 byte in the XML
    declaration) is one feed's error, never the run's.

    At most ``max_items`` entries are read, the first ones (feeds list the newest first): a
    feed of 200,000 items is cut before parsing, so its cost is that of ``max_items``.
    """
    refuse_entity_declarations(data, spec.name)
    data, total = _first_items(data, max_items)
    try:
        result = _parse(data, spec, now or datetime.now(UTC), fast)
    except SourceError:
        raise
    except Exception as exc:
        raise SourceError(
            f"{spec.name}: the feed could not be parsed ({type(exc).__name__}: {exc})"
        ) from exc
    if total > max_items or len(result.articles) > max_items:
        cut = f"{max(total, len(result.articles)):,} items; the first {max_items:,} were read"
        warning = "; ".join(part for part in (cut, result.warning) if part)
        return FeedResult(spec, result.articles[:max_items], warning)
    return result


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
