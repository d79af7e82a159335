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
import regex
from markupsafe import Markup

from vigil.match import highlight_segments

# By Unicode property, not by list: controls (but tab and newline), every default-ignorable
# code point (zero-width spaces, the Mongolian vowel separator, the combining grapheme joiner,
# Hangul fillers, the tag characters U+E0000–E007F that can carry hidden text, the byte-order
# mark) and every bidi control (marks, embeddings, overrides, isolates, the Arabic letter mark).
# Zero-width (non-)joiners stay between two letters, where Persian, Arabic and Indic scripts
# need them; anywhere else they go too.
_INVISIBLE = regex.compile(
    r"[[\p{Cc}\p{Default_Ignorable_Code_Point}\p{Bidi_Control}]--[\t\n\u200c\u200d]]"
    r"|(?<!\p{L})[\u200c\u200d]|[\u200c\u200d](?!\p{L})",
    regex.VERSION1,
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
