"""Full text for feeds that carry only a summary: fetch each new article's page and extract
its main text (trafilatura). Off by default; a feed opts in with ``full_text: true``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from vigil.article import Article
from vigil.errors import ConfigError
from vigil.sources.fetch import FetchLimits, FetchStatus, Validators, fetch_many
from vigil.text import normalise_text

# A body this long is taken to be the article already, not a teaser.
SUMMARY_CHARS = 600


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


def with_full_text(articles: Sequence[Article], limits: FetchLimits) -> tuple[list[Article], int]:
    """The articles, teasers replaced by their page's main text; and how many pages failed.

    A page that cannot be fetched or yields less than the summary leaves the summary in place.
    """
    wanted = [
        index
        for index, article in enumerate(articles)
        if article.link and len(article.body) < SUMMARY_CHARS
    ]
    pages = fetch_many([(articles[i].link or "", Validators()) for i in wanted], limits)
    enriched = list(articles)
    failures = 0
    for index, page in zip(wanted, pages, strict=True):
        if page.status is not FetchStatus.OK or not page.body:
            failures += 1
            continue
        text = extract_main_text(page.body, articles[index].link or "")
        if text and len(text) > len(articles[index].body):
            enriched[index] = replace(articles[index], body=text)
    return enriched, failures
