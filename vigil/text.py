"""Text normalisation that keeps a way back to the original characters.

Matching runs on a *folded* copy (case- and diacritic-insensitive); evidence and highlights must
point at what the reader sees, so every folded character remembers its source offset.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser

# Spaces that look like spaces to a reader but not to a regex or a word splitter.
_ODD_SPACES = re.compile(r"[\u00a0\u2007\u202f\u2000-\u200a\u3000]")
_ZERO_WIDTH = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")

# Letters that Unicode decomposition leaves alone but a reader treats as the base letter.
_EXTRA_FOLDS = {
    "ı": "i",
    "ł": "l",
    "ø": "o",
    "đ": "d",
    "ð": "d",
    "þ": "th",
    "æ": "ae",
    "œ": "oe",
    "ß": "ss",
    "’": "'",
    "‘": "'",
    "ʼ": "'",
    "‐": "-",
    "‑": "-",
    "‒": "-",
    "–": "-",
    "—": "-",
}


def normalise_text(text: str) -> str:
    """NFC, one kind of space, no invisible characters: what every source's text goes through."""
    text = unicodedata.normalize("NFC", text)
    text = _ZERO_WIDTH.sub("", text)
    text = _ODD_SPACES.sub(" ", text)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def fold_char(char: str) -> str:
    """Lower-case, accent-free form of one character (may be empty or longer than one)."""
    lowered = char.lower()
    if lowered in _EXTRA_FOLDS:
        return _EXTRA_FOLDS[lowered]
    decomposed = unicodedata.normalize("NFKD", lowered)
    folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(_EXTRA_FOLDS.get(c, c) for c in folded)


@dataclass(frozen=True, slots=True)
class FoldedText:
    """A folded copy of ``original`` with, per folded character, its offset in the original."""

    original: str
    folded: str
    origin: tuple[int, ...]

    def span_in_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) span of the folded text back to the original text."""
        if start >= len(self.origin):
            return len(self.original), len(self.original)
        last = self.origin[end - 1] if end > start else self.origin[start]
        return self.origin[start], last + 1


def fold(text: str) -> FoldedText:
    """Fold ``text`` for matching, remembering where each folded character came from."""
    pieces: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        folded = fold_char(char)
        pieces.append(folded)
        origin.extend([index] * len(folded))
    return FoldedText(text, "".join(pieces), tuple(origin))


def fold_term(term: str) -> str:
    """Fold a rule term the same way article text is folded."""
    return "".join(fold_char(c) for c in normalise_text(term))


# A sentence ends at . ! ? (optionally followed by closing quotes or brackets) before
# white space and an opening capital, digit or quote; or at a line break.
_SENTENCE_END = re.compile(
    r"""(?<=[.!?])["'”’»)\]]*\s+(?=["'“‘«(\[]?[A-Z0-9\u00c0-\u024f\u0400-\u04ff])|\n+"""
)
# Abbreviations that end with a period but do not end a sentence.
_ABBREVIATIONS = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "gen",
        "col",
        "lt",
        "sgt",
        "st",
        "jr",
        "sr",
        "vs",
        "no",
        "u.s",
        "u.k",
        "u.n",
        "e.g",
        "i.e",
        "etc",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "gov",
        "sen",
        "rep",
        "pres",
        "amb",
        "adm",
        "maj",
        "capt",
    }
)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence boundaries as (start, end) offsets, white space trimmed."""
    spans: list[tuple[int, int]] = []
    start = 0
    for boundary in _SENTENCE_END.finditer(text):
        if boundary.group().strip() == "" and "\n" not in boundary.group():
            word = re.search(r"([\w.]+)\.$", text[start : boundary.start()])
            if word and word.group(1).lower() in _ABBREVIATIONS:
                continue
        spans.append((start, boundary.start()))
        start = boundary.end()
    spans.append((start, len(text)))
    return [_trim(text, s, e) for s, e in spans if text[s:e].strip()]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


class _TextExtractor(HTMLParser):
    """Collects the visible text of an HTML fragment, one line per block element."""

    _BLOCKS = frozenset(
        {
            "p",
            "div",
            "br",
            "li",
            "ul",
            "ol",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "tr",
            "blockquote",
            "section",
            "article",
            "figure",
            "figcaption",
            "pre",
            "hr",
            "table",
        }
    )
    _INVISIBLE = frozenset({"script", "style", "iframe", "noscript", "template", "object"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._INVISIBLE:
            self._hidden_depth += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._INVISIBLE:
            self._hidden_depth = max(0, self._hidden_depth - 1)
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden_depth:
            self.parts.append(data)


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment: tags and scripts dropped, entities decoded, blocks kept."""
    extractor = _TextExtractor()
    extractor.feed(fragment)
    extractor.close()
    text = normalise_text("".join(extractor.parts))
    lines = (re.sub(r"[ \t]+", " ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)
