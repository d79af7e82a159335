"""Full text for feeds that carry only a summary: fetch each new article's page and extract
its main text (trafilatura). Off by default; a feed opts in with ``full_text: true``.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import cast
from urllib.parse import urlsplit

from vigil.article import Article
from vigil.errors import ConfigError
from vigil.sources.fetch import FetchLimits, FetchStatus, Validators, fetch_many
from vigil.text import normalise_text

# A body this long is taken to be the article already, not a teaser.
SUMMARY_CHARS = 600
MAX_PAGES_PER_FEED = 50  # article pages fetched for one feed in one run; the rest keep teasers


def extract_main_text(page: bytes, url: str) -> str | None:
    """The main text of an article page, without menus, footers and comments."""
    try:
        import trafilatura
    except ImportError as exc:  # an optional extra
        raise ConfigError(
            "a feed asks for full_text, which needs trafilatura: pip install 'vigil[fulltext]'"
        ) from exc
    text = trafilatura.extract(page, url=url, include_comments=False, favor_precision=True)
    return normalise_text(text).strip() if text else None


@dataclass(frozen=True, slots=True)
class PagePolicy:
    """Where a feed's full-text fetches may go: a feed's items are anyone's to write, and
    2,000 links to ``http://127.0.0.1:18080/internal/admin?id=N`` must not become 2,000
    requests into the machine's own network."""

    feed_url: str
    hosts: tuple[str, ...] = ()  # other hosts the feed's pages live on
    allow_private: bool = False  # loopback and private addresses (VIGIL_FULL_TEXT_PRIVATE)
    max_pages: int = MAX_PAGES_PER_FEED
    concurrency: int = 2  # pages of one feed fetched at once: politely

    def refusal(self, link: str) -> str | None:
        """Why ``link`` is not fetched, or None."""
        parts = urlsplit(link)
        host = (parts.hostname or "").lower()
        if parts.scheme not in {"http", "https"} or not host:
            return "not an http(s) link"
        where = _origin(link)
        if where != _origin(self.feed_url) and host not in {h.lower() for h in self.hosts}:
            shown = host if where[1] is None else f"{host}:{where[1]}"
            return f"{shown} is not the feed's host"
        if not self.allow_private and _private(host):
            return f"{host} is a loopback or private address"
        return None


def _origin(url: str) -> tuple[str, int | None]:
    """Host and port (None for the scheme's default): another port is another service."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = -1
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return (parts.hostname or "").lower(), None if port in (None, default) else port


@functools.lru_cache(maxsize=256)  # one look-up per host, not per link
def _private(host: str) -> bool:
    """Whether ``host`` is, or resolves to, an address no public page lives at."""
    try:
        # (address, port, …): typeshed's (int, bytes) is for a Python built without IPv6.
        addresses = {cast(str, info[4][0]) for info in socket.getaddrinfo(host, None)}
    except (OSError, UnicodeError):
        return True  # unresolvable: nothing to fetch
    return any(not ipaddress.ip_address(address.split("%")[0]).is_global for address in addresses)


def with_full_text(
    articles: Sequence[Article], limits: FetchLimits, policy: PagePolicy
) -> tuple[list[Article], int, int]:
    """The articles, teasers replaced by their page's main text; how many pages failed; how
    many links were refused by ``policy`` (or past its per-run limit).

    A page that cannot be fetched or yields less than the summary leaves the summary in place.
    """
    candidates = [
        index
        for index, article in enumerate(articles)
        if article.link and len(article.body) < SUMMARY_CHARS
    ]
    wanted = [i for i in candidates if policy.refusal(articles[i].link or "") is None]
    refused = len(candidates) - len(wanted) + max(0, len(wanted) - policy.max_pages)
    wanted = wanted[: policy.max_pages]
    polite = replace(limits, concurrency=min(limits.concurrency, policy.concurrency))
    pages = fetch_many([(articles[i].link or "", Validators()) for i in wanted], polite)
    enriched = list(articles)
    failures = 0
    for index, page in zip(wanted, pages, strict=True):
        if page.status is not FetchStatus.OK or not page.body:
            failures += 1
            continue
        text = extract_main_text(page.body, articles[index].link or "")
        if text and len(text) > len(articles[index].body):
            enriched[index] = replace(articles[index], body=text)
    return enriched, failures, refused
