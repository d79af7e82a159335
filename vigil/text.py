"""Text normalisation that keeps a way back to the original characters.

Matching runs on a *folded* copy (case- and diacritic-insensitive); evidence and highlights must
point at what the reader sees, so every folded character remembers its source offset.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Spaces that look like spaces to a reader but not to a regex or a word splitter.
_ODD_SPACES = re.compile(r"[\u00a0\u2007\u202f\u2000-\u200a\u3000]")
_SPACE_RUNS = re.compile(r"[ \t\f\v]{2,}|[\t\f\v]")
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
    "‐": " ",
    "‑": " ",
    "‒": " ",
    "–": " ",
    "—": " ",
    "‽": "?",
}


def normalise_text(text: str) -> str:
    """NFC, one kind of space, no invisible characters: what every source's text goes through."""
    if not text.isascii():  # NFC, odd spaces and invisible characters are never ASCII
        text = unicodedata.normalize("NFC", text)
        text = _ZERO_WIDTH.sub("", text)
        text = _ODD_SPACES.sub(" ", text)
    if "\0" in text:  # no character of any text, and PostgreSQL cannot store it
        text = text.replace("\0", "")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    # One space between words, so a phrase in a rule matches however the source spaced it.
    if "  " in text or "\t" in text or "\f" in text or "\v" in text:
        return _SPACE_RUNS.sub(" ", text)
    return text


def fold_char(char: str) -> str:
    """Lower-case, accent-free form of one character (may be empty or longer than one).

    Hyphens and dashes fold to a space: "TB-2" and "TB 2" are the same words to a reader.
    """
    if char == "-":
        return " "
    lowered = char.lower()
    if lowered in _EXTRA_FOLDS:
        return _EXTRA_FOLDS[lowered]
    decomposed = unicodedata.normalize("NFKD", lowered)
    folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(_EXTRA_FOLDS.get(c, c) for c in folded)


@dataclass(frozen=True, slots=True)
class FoldedText:
    """A folded copy of ``original`` and the way back to offsets in the original.

    Folding maps almost every character to exactly one character, so offsets are shared. The
    few that fold to more or fewer characters (ß → ss, æ → ae, a lone combining mark → nothing)
    are listed in ``irregular`` as (folded start, folded length, original offset).
    """

    original: str
    folded: str
    irregular: tuple[tuple[int, int, int], ...] = ()

    def to_original(self, position: int) -> int:
        """The original offset of folded ``position`` (an expansion maps to its one source)."""
        if not self.irregular:
            return position
        shift = 0
        for start, length, source in self.irregular:
            if position < start:
                break
            if position < start + length:
                return source
            shift += length - 1
        return position - shift

    def span_in_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) span of the folded text back to the original text."""
        if not self.irregular:
            return start, end
        if end <= start:
            at = self.to_original(start)
            return at, at
        return self.to_original(start), self.to_original(end - 1) + 1


_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_FOLD_CACHE: dict[str, str] = {}


def _fold_cached(char: str) -> str:
    folded = _FOLD_CACHE.get(char)
    if folded is None:
        folded = _FOLD_CACHE[char] = fold_char(char)
    return folded


def fold(text: str) -> FoldedText:
    """Fold ``text`` for matching: lower case, no diacritics, hyphens and dashes as spaces.

    ASCII runs are folded by ``str.lower`` in C; only non-ASCII characters cost Python work,
    and English news has few of them, so this runs at memory speed on most text.
    """
    if text.isascii():
        return FoldedText(text, text.lower().replace("-", " "))
    pieces: list[str] = []
    irregular: list[tuple[int, int, int]] = []
    position = 0  # length of the folded text so far
    last = 0
    for found in _NON_ASCII.finditer(text):
        index = found.start()
        chunk = text[last:index].lower()
        pieces.append(chunk)
        position += len(chunk)
        folded = _fold_cached(text[index])
        pieces.append(folded)
        if len(folded) != 1:
            irregular.append((position, len(folded), index))
        position += len(folded)
        last = index + 1
    pieces.append(text[last:].lower())
    return FoldedText(text, "".join(pieces).replace("-", " "), tuple(irregular))


def fold_term(term: str) -> str:
    """Fold a rule term the same way article text is folded."""
    return fold(normalise_text(term)).folded


# A sentence ends at . ! ? (optionally followed by closing quotes or brackets) before
# white space and an opening capital, digit or quote; or at a line break. The mark is part of
# the match, one branch per mark, so that every branch starts with a literal character: the
# regex engine then skips to the next . ! ? or line break in C instead of trying every offset
# (three times as fast as a look-behind).
_AFTER_MARK = r"""["'”’»)\]]*\s+(?=["'“‘«(\[]?[A-Z0-9\u00c0-\u024f\u0400-\u04ff])"""
_SENTENCE_END = re.compile(rf"\.{_AFTER_MARK}|!{_AFTER_MARK}|\?{_AFTER_MARK}|\n+")
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
        cut = boundary.start()
        if text[cut] != "\n":
            cut += 1  # the sentence keeps its mark
        if text[cut - 1 : cut] == ".":
            low = max(start, cut - 12)
            # Five letters or digits before the period: too long for an abbreviation (the
            # longest have four), so most sentences need no look-up.
            long_word = cut - 6 >= low and text[cut - 6 : cut - 1].isalnum()
            if not long_word and _abbreviation_before(text, low, cut - 1):
                continue
        _add_trimmed(text, start, cut, spans)
        start = boundary.end()
    _add_trimmed(text, start, len(text), spans)
    return spans


def _abbreviation_before(text: str, start: int, period: int) -> bool:
    """Whether the word that ends at ``period`` (not before ``start``) is an abbreviation:
    "Mr. Putin" is one sentence."""
    before = text[start:period].rsplit(None, 1)
    return bool(before) and before[-1].lower().lstrip("(\"'“‘") in _ABBREVIATIONS


def _add_trimmed(text: str, begin: int, end: int, spans: list[tuple[int, int]]) -> None:
    """Append ``text[begin:end]`` without its surrounding white space, unless that is all."""
    if begin >= end:
        return
    if not (text[begin].isspace() or text[end - 1].isspace()):
        spans.append((begin, end))  # most sentences: nothing to trim
        return
    piece = text[begin:end]
    stripped = piece.strip()
    if stripped:
        lead = len(piece) - len(piece.lstrip())
        spans.append((begin + lead, begin + lead + len(stripped)))
