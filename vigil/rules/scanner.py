"""Find every term of every rule, reading each article's text a fixed number of times.

All occurrences are reported, nested and overlapping ones included ("Minsk" inside "Minsk
agreements", "TB2" inside "Bayraktar TB2"): each term is searched on its own, never as one
branch of a combined expression that would hide the others.
:func:`oracle_scan` does the same with one regular expression per term: slow, obviously right,
and the reference the fast scanner is tested against.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol

import ahocorasick

from vigil.rules.terms import Term, stem_of
from vigil.rules.wordscan import AsciiWordScanner, same_case
from vigil.text import FoldedText

Span = tuple[int, int]

# A prefix's value in the automaton: its length and the terms that use it.
_PrefixValue = tuple[int, tuple[Term, ...]]


class _PrefixAutomaton(Protocol):
    """What the scanner uses of a pyahocorasick ``Automaton`` (the package has no types)."""

    def add_word(self, key: str, value: _PrefixValue) -> bool: ...

    def make_automaton(self) -> None: ...

    def iter(self, string: str) -> Iterator[tuple[int, _PrefixValue]]: ...


class TermScanner:
    """Compiled once per run from every term in the rule set.

    Texts whose folded form is ASCII (most news) go through :class:`AsciiWordScanner`: one
    Aho–Corasick pass per article that sees word boundaries. Other texts take the general path:
    exact terms are looked up by their words (found by the regex engine), then searched for
    with ``str.find`` and a word-boundary check; terms with an open ending (``mediat*``,
    ``~mediate``) go through an Aho–Corasick automaton of their prefixes.
    """

    def __init__(self, terms: Iterable[Term]) -> None:
        self.terms = tuple(dict.fromkeys(terms))
        # Exact patterns: pattern -> (its words, terms that use it).
        self._exact: dict[str, tuple[frozenset[str], list[Term]]] = {}
        # Word -> exact patterns that start with it.
        self._by_word: dict[str, list[str]] = defaultdict(list)
        self._unanchored: list[str] = []
        prefix_entries: dict[str, list[Term]] = defaultdict(list)
        for term in self.terms:
            for pattern in term.patterns():
                if term.wildcard or term.stem:
                    prefix_entries[pattern].append(term)
                    continue
                if pattern not in self._exact:
                    words = frozenset(_TOKEN.findall(pattern))
                    self._exact[pattern] = (words, [])
                    first = _TOKEN.match(pattern)
                    if first is None:  # starts with punctuation (".net"): searched on its own
                        self._unanchored.append(pattern)
                    else:
                        self._by_word[first.group()].append(pattern)
                self._exact[pattern][1].append(term)
        self._vocabulary = frozenset(self._by_word)
        self._ascii = AsciiWordScanner(self.terms)
        self._automaton: _PrefixAutomaton = ahocorasick.Automaton()
        for pattern, pattern_terms in prefix_entries.items():
            self._automaton.add_word(pattern, (len(pattern), tuple(pattern_terms)))
        self._has_prefixes = bool(prefix_entries)
        if self._has_prefixes:
            self._automaton.make_automaton()

    def scan(self, folded: FoldedText) -> dict[Term, list[Span]]:
        """Every occurrence of every term, as spans of the original text, in text order."""
        return self.scan_many([folded])[0]

    def scan_many(self, texts: Sequence[FoldedText]) -> list[dict[Term, list[Span]]]:
        """:meth:`scan` for many texts at once: they are joined into batches of about a
        megabyte, so the fixed costs of a pass are paid per batch, not per article."""
        results: list[dict[Term, list[Span]]] = [{} for _ in texts]
        others: list[int] = []
        for index, folded in enumerate(texts):
            if folded.folded.isascii():
                results[index] = self._ascii.scan(folded)
            else:
                others.append(index)
        if others:
            for index, hits in zip(
                others, self.scan_general([texts[i] for i in others]), strict=True
            ):
                results[index] = hits
        return results

    def scan_general(self, texts: Sequence[FoldedText]) -> list[dict[Term, list[Span]]]:
        """The path for any text (non-ASCII included); kept apart so tests can compare it."""
        found: list[dict[Term, list[Span]]] = [defaultdict(list) for _ in texts]
        batch: list[int] = []
        size = 0
        for index in range(len(texts)):
            batch.append(index)
            size += len(texts[index].folded) + 1
            if size >= BATCH_CHARACTERS:
                self._scan_batch(texts, batch, found)
                batch, size = [], 0
        if batch:
            self._scan_batch(texts, batch, found)
        return [{term: sorted(spans) for term, spans in hits.items()} for hits in found]

    def _scan_batch(
        self, texts: Sequence[FoldedText], batch: list[int], found: list[dict[Term, list[Span]]]
    ) -> None:
        # One text, separated by line breaks: no term spans a line break, and a line break is a
        # word boundary, so nothing found can straddle two articles.
        joined = "\n".join(texts[index].folded for index in batch)
        lengths = (len(texts[index].folded) + 1 for index in batch[:-1])
        starts = list(itertools.accumulate(lengths, initial=0))
        size = len(joined)

        raw: list[tuple[int, int, Sequence[Term]]] = []
        record = raw.append
        for start, word in self._words(joined):
            for pattern in self._by_word[word]:
                end = start + len(pattern)
                if (len(pattern) == len(word) or joined.startswith(pattern, start)) and (
                    end == size or not _is_word(joined[end])
                ):
                    record((start, end, self._exact[pattern][1]))
        for pattern in self._unanchored:
            start = joined.find(pattern)
            while start >= 0:
                end = start + len(pattern)
                if (start == 0 or not _is_word(joined[start - 1])) and (
                    end == size or not _is_word(joined[end])
                ):
                    record((start, end, self._exact[pattern][1]))
                start = joined.find(pattern, start + 1)
        if self._has_prefixes:
            for last, (length, terms) in self._automaton.iter(joined):
                start = last - length + 1
                if start > 0 and _is_word(joined[start - 1]):
                    continue
                end = last + 1
                while end < size and _is_word(joined[end]):
                    end += 1
                record((start, end, terms))
        self._distribute(raw, joined, texts, batch, starts, found)

    @staticmethod
    def _distribute(
        raw: list[tuple[int, int, Sequence[Term]]],
        joined: str,
        texts: Sequence[FoldedText],
        batch: list[int],
        starts: list[int],
        found: list[dict[Term, list[Span]]],
    ) -> None:
        """File each occurrence under its article, as a span of that article's original text."""
        raw.sort(key=lambda item: item[0])
        slot = -1
        next_start = 0
        folded = texts[batch[0]]
        offset = 0
        hits = found[batch[0]]
        for start, end, terms in raw:
            while start >= next_start:
                slot += 1
                next_start = starts[slot + 1] if slot + 1 < len(starts) else len(joined) + 1
                folded = texts[batch[slot]]
                offset = starts[slot]
                hits = found[batch[slot]]
            if folded.irregular:
                span = folded.span_in_original(start - offset, end - offset)
            else:
                span = (start - offset, end - offset)
            for term in terms:
                if term.case_sensitive and not same_case(folded.original, span, term):
                    continue
                if term.stem and stem_of(joined[start:end]) != term.patterns()[0]:
                    continue
                hits[term].append(span)

    def _words(self, text: str) -> Iterator[tuple[int, str]]:
        """(offset, word) for every word of ``text`` that starts a rule's term."""
        vocabulary = self._vocabulary
        for found in _TOKEN.finditer(text):
            if found.group() in vocabulary:
                yield found.start(), found.group()


BATCH_CHARACTERS = 1_000_000
_TOKEN = re.compile(r"\w+")


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def oracle_scan(terms: Iterable[Term], folded: FoldedText) -> dict[Term, list[Span]]:
    """The reference scanner: one regular expression per term, every start position tried."""
    hits: dict[Term, list[Span]] = {}
    for term in dict.fromkeys(terms):
        alternatives = "|".join(re.escape(p) for p in sorted(term.patterns(), key=len))
        tail = r"\w*" if term.wildcard or term.stem else ""
        # A lookahead finds overlapping occurrences; one alternative per start can match,
        # since the variants of one term differ only by spaces at the same joints.
        pattern = re.compile(rf"(?<!\w)(?=((?:{alternatives}){tail})(?!\w))")
        found = []
        for match in pattern.finditer(folded.folded):
            start, end = match.start(1), match.end(1)
            if term.stem and stem_of(folded.folded[start:end]) != term.patterns()[0]:
                continue
            span = folded.span_in_original(start, end)
            if term.case_sensitive and not same_case(folded.original, span, term):
                continue
            found.append(span)
        if found:
            hits[term] = found
    return hits
