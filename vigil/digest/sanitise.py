"""Feed text made safe before it reaches a template.

Feeds are written by strangers: a title can carry markup, control characters, or bidi
overrides that make a mail client show text in a different order than it is stored. Every
string a template shows passes through here: plain text is stripped of invisible characters;
the one HTML fragment vigil builds (evidence with ``<mark>`` highlights) is escaped, then
cleaned by nh3 (the Ammonia sanitiser) so that only bare ``<mark>`` tags can survive.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from urllib.parse import urlsplit

import nh3
from markupsafe import Markup

from vigil.rules.matcher import highlight_segments

# C0/C1 controls (not tab or newline), zero-width space, bidi embeddings, overrides and
# isolates, and the byte-order mark. Zero-width (non-)joiners stay: scripts need them.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u202a-\u202e\u2066-\u2069\ufeff]"
)
_SPACE = re.compile(r"\s+")
_ALLOWED_TAGS = {"mark"}


def clean_text(value: str | None) -> str:
    """One line of plain text: invisible characters removed, runs of space collapsed."""
    if not value:
        return ""
    return _SPACE.sub(" ", _INVISIBLE.sub("", value)).strip()


def clean_html(fragment: str) -> Markup:
    """Sanitised HTML: only bare ``<mark>`` tags, no attributes, no comments."""
    return Markup(nh3.clean(fragment, tags=_ALLOWED_TAGS, attributes={}, strip_comments=True))


def highlighted(text: str, spans: Sequence[tuple[int, int]]) -> tuple[str, Markup]:
    """The evidence sentence as plain text with ``**marks**`` and as sanitised HTML."""
    segments = [
        (_INVISIBLE.sub("", piece), marked) for piece, marked in highlight_segments(text, spans)
    ]
    plain = "".join(f"**{piece}**" if marked else piece for piece, marked in segments)
    markup = "".join(
        f"<mark>{html.escape(piece)}</mark>" if marked else html.escape(piece)
        for piece, marked in segments
    )
    return _SPACE.sub(" ", plain).strip(), clean_html(_SPACE.sub(" ", markup).strip())


def http_url(value: str | None) -> str | None:
    """Only http(s) links become clickable: a feed could carry ``javascript:`` or ``data:``."""
    if not value:
        return None
    value = _INVISIBLE.sub("", value).strip()
    parts = urlsplit(value)
    if parts.scheme.lower() in {"http", "https"} and parts.netloc:
        return value
    return None
