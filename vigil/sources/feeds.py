"""Feeds: the feeds file, and parsing a source's bytes into Articles (vigil.sources.fetch
fetches them; vigil.sources.formats knows each format).

Fetching and parsing are separate so a snapshot on disk, an HTTP response and a test fixture all
go through the same parser, and the parser never touches the network itself.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from vigil.errors import FileFormatError, SourceError
from vigil.sources.formats import format_for, formats
from vigil.sources.spec import FeedResult, FeedSpec
from vigil.yamlfile import load_yaml, mark_of, validate

__all__ = ["MAX_FEED_ITEMS", "FeedResult", "FeedSpec", "load_feeds_file", "parse_feed"]


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
        if spec.format is not None and spec.format not in formats():
            line, column = mark_of(document, ("feeds", index, "format")) or (1, 1)
            problems.append(
                f"{path}:{line}:{column}: feeds.{index}.format: {spec.name}: unknown format "
                f"{spec.format!r} (known: {', '.join(sorted(formats()))})"
            )
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


MAX_FEED_ITEMS = 2_000  # entries read of one feed (VIGIL_FEED_MAX_ITEMS)


def parse_feed(
    data: bytes,
    spec: FeedSpec,
    *,
    now: datetime | None = None,
    fast: bool = True,
    max_items: int = MAX_FEED_ITEMS,
) -> FeedResult:
    """Parse a source's bytes in its format (vigil.sources.formats). Bytes that are not a
    feed at all are an error; a sloppy feed is a warning.

    ``fast``: use fastfeedparser where it gives the same articles (see vigil.sources.fastpath).
    A parser that crashes on hostile bytes (feedparser does, on a non-UTF-8 byte in the XML
    declaration) is one feed's error, never the run's.

    At most ``max_items`` entries are read, the first ones (feeds list the newest first).
    """
    kind = format_for(data, spec)
    try:
        result, total = kind.parse(
            data, spec, now or datetime.now(UTC), fast=fast, max_items=max_items
        )
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
