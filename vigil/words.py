"""The words an item holds, and queries over them: what the store's word index answers.

A trial of a rule edit, or a search, over a week of stored news would otherwise read and
re-match every item of the week. The index answers a cheaper question first: which items hold
the words the rule cannot match without. Its answer may hold items the rule then does not
match (it knows words, not phrases or distances), but never leaves one out that it would
match, so reading only those items gives the same hits.

Words are maximal runs of letters or of digits in the folded text (``TB-2`` holds ``tb`` and
``2``, as ``TB2`` does), which is how rule terms are folded too. Texts that are not all ASCII
also give the runs of ASCII letters or digits of their original: a regex's ``\\b`` (RE2's, on
ASCII) can start a word there that folding glued to a letter before it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from vigil.text import fold

MAX_WORD = 40  # longer words are indexed by their first 40 characters
_WORD = re.compile(r"[^\W\d_]+|\d+")
_ASCII_WORD = re.compile(rb"[a-z]+|[0-9]+")
# Bytes that are not a lower-case ASCII letter or a digit, as spaces: most folded text is ASCII,
# and one translate and split in C finds its words three times as fast as the regex.
_SEPARATORS = bytes(c if (48 <= c <= 57 or 97 <= c <= 122) else 32 for c in range(256))
# An ASCII run right after a non-ASCII character: where RE2's ASCII \b starts a word that
# folding may glue to the letter before ("ŞTB2" folds to "stb2"). Every other ASCII run of the
# original starts a folded word already.
_AFTER_NON_ASCII = re.compile(r"(?<=[^\x00-\x7f])(?:[A-Za-z]+|[0-9]+)")


def item_words(title: str, body: str) -> str:
    """The distinct words of an item, sorted, separated by single spaces (what the index
    stores for it)."""
    found: set[str] = set()
    for text in (title, body):
        found.update(_folded_words(fold(text).folded))
        if not text.isascii():
            found.update(run.lower() for run in _AFTER_NON_ASCII.findall(text))
    return " ".join(sorted({word[:MAX_WORD] for word in found}))


def _folded_words(folded: str) -> set[str]:
    if not folded.isascii():
        return set(_WORD.findall(folded))
    words: set[str] = set()
    for token in set(folded.encode("ascii").translate(_SEPARATORS).split()):
        if token.isalpha() or token.isdigit():
            words.add(token.decode("ascii"))
        else:  # a letter–digit joint ("tb2") splits, as it does in rule terms
            words.update(part.decode("ascii") for part in _ASCII_WORD.findall(token))
    return words


@dataclass(frozen=True, slots=True)
class Word:
    """A word the item must hold, or (``prefix``) a word beginning with ``text``."""

    text: str
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class AllOf:
    parts: tuple[WordQuery, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    parts: tuple[WordQuery, ...]


WordQuery = Word | AllOf | AnyOf
# None stands for "no word is needed": every item may match.


def all_of(parts: Iterable[WordQuery | None]) -> WordQuery | None:
    """Every part is needed; a part that needs nothing adds nothing."""
    flat: dict[WordQuery, None] = {}
    for part in parts:
        if part is None:
            continue
        for piece in part.parts if isinstance(part, AllOf) else (part,):
            flat[piece] = None
    if not flat:
        return None
    return next(iter(flat)) if len(flat) == 1 else AllOf(tuple(flat))


def any_of(parts: Iterable[WordQuery | None]) -> WordQuery | None:
    """One part is enough; so a part that needs nothing makes the whole need nothing."""
    flat: dict[WordQuery, None] = {}
    for part in parts:
        if part is None:
            return None
        for piece in part.parts if isinstance(part, AnyOf) else (part,):
            flat[piece] = None
    if not flat:
        return None
    return next(iter(flat)) if len(flat) == 1 else AnyOf(tuple(flat))


def phrase_words(folded: str, *, open_end: bool = False) -> WordQuery | None:
    """The words of a folded phrase, all needed; with ``open_end`` the last one as a prefix
    (``mediat*``, or a stem)."""
    found = _WORD.findall(folded)
    if not found:
        return None
    last = len(found) - 1
    return all_of(
        Word(word[:MAX_WORD], prefix=len(word) > MAX_WORD or (open_end and n == last))
        for n, word in enumerate(found)
    )


_LEADING_RUN = re.compile(r"[A-Za-z]+|[0-9]+")


def leading_word(literal: str) -> Word | None:
    """For a regex that starts a word with ``literal`` (after ``\\b`` or ``^``): the word the
    item must then hold a word beginning with, or None when the literal starts no word."""
    run = _LEADING_RUN.match(literal)
    if run is None:
        return None
    return Word(run.group().lower()[:MAX_WORD], prefix=True)


def holds(query: WordQuery | None, words: str) -> bool:
    """Whether an item with these stored ``words`` answers ``query``: what the store's index
    computes, in Python (the reference its SQL is tested against)."""
    if query is None:
        return True
    present = frozenset(words.split())
    return _holds(query, present)


def _holds(query: WordQuery, present: frozenset[str]) -> bool:
    if isinstance(query, Word):
        if not query.prefix:
            return query.text in present
        return any(word.startswith(query.text) for word in present)
    if isinstance(query, AllOf):
        return all(_holds(part, present) for part in query.parts)
    return any(_holds(part, present) for part in query.parts)


def words_needed(query: WordQuery) -> int:
    """How many words the query names (a measure of its size)."""
    if isinstance(query, Word):
        return 1
    return sum(words_needed(part) for part in query.parts)
