"""Feed text made into what templates show. Every string from a feed passes through here first:
markup is removed by nh3 (script and style with their content), invisible and bidi characters
are dropped, links are kept only when they are http(s). Templates autoescape on top of that."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import nh3
from markupsafe import Markup

from vigil.digest.sanitise import clean_html, clean_text, highlighted, http_url
from vigil.match import Match
from vigil.rules.scanner import Span
from vigil.store import StoredMatch, Verdict


def plain(value: str | None) -> str:
    """Feed text as one line of plain text with no markup left in it."""
    if not value:
        return ""
    return clean_text(html.unescape(nh3.clean(value, tags=set(), strip_comments=True)))


@dataclass(frozen=True, slots=True)
class MatchView:
    id: int | None
    item_id: int
    rule_id: str
    title: str
    outlet: str
    link: str | None
    published: datetime | None
    evidence: Markup
    direction: str | None
    delivered_at: datetime | None = None
    verdict: Verdict | None = None
    also: tuple[str, ...] = ()  # other outlets that reported the story


def match_view(
    match: StoredMatch,
    *,
    delivered_at: datetime | None = None,
    verdict: Verdict | None = None,
    also: Sequence[str] = (),
) -> MatchView:
    return MatchView(
        id=match.id,
        item_id=match.item_id,
        rule_id=match.rule_id,
        title=plain(match.title),
        outlet=plain(match.outlet),
        link=http_url(match.link),
        published=match.published,
        evidence=evidence_markup(match),
        direction=match.direction,
        delivered_at=delivered_at,
        verdict=verdict,
        also=tuple(plain(outlet) for outlet in also),
    )


def evidence_markup(match: Match) -> Markup:
    """The evidence sentence with its matched words in ``<mark>``, sanitised."""
    return highlighted(match.evidence, match.highlights)[1]


def marked_paragraphs(text: str, spans: Sequence[Span], start: int = 0) -> list[Markup]:
    """``text`` (which begins at offset ``start`` of the document) as paragraphs of sanitised
    HTML, with the document spans that fall in it marked."""
    merged: list[list[int]] = []
    for lo, hi in sorted(spans):
        lo, hi = max(lo - start, 0), min(hi - start, len(text))
        if hi <= lo:
            continue
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    pieces: list[str] = []
    cursor = 0
    for lo, hi in merged:
        pieces.append(html.escape(text[cursor:lo]))
        pieces.append(f"<mark>{html.escape(text[lo:hi])}</mark>")
        cursor = hi
    pieces.append(html.escape(text[cursor:]))
    joined = "".join(pieces)
    paragraphs = [part.strip() for part in joined.split("\n\n") if part.strip()]
    if len(paragraphs) <= 1:
        paragraphs = [part.strip() for part in joined.split("\n") if part.strip()]
    return [clean_html(_invisible_free(part)) for part in paragraphs]


def _invisible_free(fragment: str) -> str:
    # clean_text collapses whitespace too, which a paragraph can afford.
    return clean_text(fragment)
