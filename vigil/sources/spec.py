"""A source as a feeds file names it, and what reading one gave: the records every source
format shares."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field, field_validator

from vigil.article import Article


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
    # What the bytes are (a module of vigil.sources.formats: rss, jsonfeed); None: told by
    # looking at them.
    format: str | None = None

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, url: str) -> str:
        if "://" in url and not url.startswith(("http://", "https://", "file://")):
            raise ValueError("must be an http(s) URL or a local path")
        return url

    @property
    def is_remote(self) -> bool:
        return self.url.startswith(("http://", "https://"))


@dataclass(frozen=True, slots=True)
class FeedResult:
    """What one feed gave: its articles, and the parser's complaint if the XML was not clean."""

    feed: FeedSpec
    articles: list[Article] = field(default_factory=list)
    warning: str | None = None
