"""An article prepared for matching: folded once, scanned once, split into sentences lazily."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from functools import cached_property

from vigil.article import Article
from vigil.rules.operators.regex import compile_regex
from vigil.rules.scanner import Span
from vigil.rules.terms import Term
from vigil.text import FoldedText, fold, sentence_spans

_WORDS = re.compile(r"\w+")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n|\n")


class Document:
    """The text of one article (title, blank line, body) with everything rules look at."""

    def __init__(self, article: Article) -> None:
        self.text = article.text
        self.title_end = len(article.title)
        self.body_start = (
            min(len(self.text), self.title_end + 2) if article.body else len(self.text)
        )
        self.term_hits: dict[Term, list[Span]] = {}
        # Actor code -> mentions, and the role (GOV, MIL…) of mentions whose name carries one.
        self.actor_hits: dict[str, list[Span]] = {}
        self.mention_roles: dict[Span, str] = {}
        self.adjective_mentions: set[Span] = set()
        # Actor code -> where its places (cities, venues) are named: not mentions of it.
        self.place_hits: dict[str, list[Span]] = {}
        self._regex_hits: dict[str, list[Span]] = {}

    @cached_property
    def folded(self) -> FoldedText:
        return fold(self.text)

    @cached_property
    def sentences(self) -> list[Span]:
        return sentence_spans(self.text)

    @cached_property
    def paragraphs(self) -> list[Span]:
        spans, start = [], 0
        for found in _PARAGRAPH_BREAK.finditer(self.text):
            if found.start() > start:
                spans.append((start, found.start()))
            start = found.end()
        if start < len(self.text):
            spans.append((start, len(self.text)))
        return spans

    @cached_property
    def _word_starts(self) -> list[int]:
        return [m.start() for m in _WORDS.finditer(self.text)]

    def word_index(self, offset: int) -> int:
        """Index of the word at or after ``offset``: distances for NEAR are in words."""
        return bisect_left(self._word_starts, offset)

    def last_word_index(self, end: int) -> int:
        """Index of the last word that starts before ``end``."""
        return bisect_right(self._word_starts, end - 1) - 1

    def regex_hits(self, pattern: str) -> list[Span]:
        if pattern not in self._regex_hits:
            regex = compile_regex(pattern)
            self._regex_hits[pattern] = [m.span() for m in regex.finditer(self.text)]
        return self._regex_hits[pattern]

    @cached_property
    def sentence_starts(self) -> list[int]:
        return [start for start, _ in self.sentences]

    @cached_property
    def actor_starts(self) -> list[tuple[str, list[int]]]:
        """Each actor's mention starts, ascending: which actors a piece of evidence names."""
        return [(code, [start for start, _ in spans]) for code, spans in self.actor_hits.items()]

    def sentence_of(self, offset: int) -> Span | None:
        index = bisect_right(self.sentence_starts, offset) - 1
        if index >= 0 and offset < self.sentences[index][1]:
            return self.sentences[index]
        return None

    def units_with(self, scope: str, offsets: list[int]) -> list[Span]:
        """The sentences (or paragraphs) that contain any of ``offsets``, in text order."""
        units = self.sentences if scope == "sentence" else self.paragraphs
        starts = self.sentence_starts if scope == "sentence" else [s for s, _ in units]
        found: dict[int, None] = {}
        for offset in offsets:
            index = bisect_right(starts, offset) - 1
            if index >= 0 and offset < units[index][1]:
                found[index] = None
        return [units[index] for index in sorted(found)]
