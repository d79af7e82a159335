"""Find every term of every rule, reading each article's text a fixed number of times.

All occurrences are reported, nested and overlapping ones included ("Minsk" inside "Minsk
agreements", "TB2" inside "Bayraktar TB2"): each term is searched on its own, never as one
branch of a combined expression that would hide the others.
:func:`oracle_scan` does the same with one regular expression per term: slow, obviously right,
and the reference the fast scanner is tested against.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

import ahocorasick

from vigil.rules.terms import Term, stem_of
from vigil.text import FoldedText

Span = tuple[int, int]


class TermScanner:
    """Compiled once per run from every term in the rule set.

    Two paths, one result. Exact terms (most of them) are looked up by their words: the text's
    distinct words are collected in one C-speed pass, and only terms whose every word occurs
    are searched for (``str.find``, then a word-boundary check). Terms with an open ending
    (``mediat*``, ``~mediate``) go through an Aho–Corasick automaton of their prefixes.
    """

    def __init__(self, terms: Iterable[Term]) -> None:
        self.terms = tuple(dict.fromkeys(terms))
        # Exact patterns: pattern -> (its words, terms that use it).
        self._exact: dict[str, tuple[frozenset[str], list[Term]]] = {}
        # Word -> exact patterns that contain it (each pattern filed under its rarest-looking,
        # i.e. longest, word).
        self._by_word: dict[str, list[str]] = defaultdict(list)
        prefix_entries: dict[str, list[Term]] = defaultdict(list)
        for term in self.terms:
            for pattern in term.patterns():
                if term.wildcard or term.stem:
                    prefix_entries[pattern].append(term)
                    continue
                if pattern not in self._exact:
                    words = frozenset(_TOKEN.findall(pattern))
                    self._exact[pattern] = (words, [])
                    self._by_word[max(words, key=len)].append(pattern)
                self._exact[pattern][1].append(term)
        self._vocabulary = frozenset(self._by_word)
        self._automaton = ahocorasick.Automaton()
        for pattern, pattern_terms in prefix_entries.items():
            self._automaton.add_word(pattern, (len(pattern), tuple(pattern_terms)))
        self._has_prefixes = bool(prefix_entries)
        if self._has_prefixes:
            self._automaton.make_automaton()

    def scan(self, folded: FoldedText) -> dict[Term, list[Span]]:
        """Every occurrence of every term, as spans of the original text, in text order."""
        hits: dict[Term, list[Span]] = defaultdict(list)
        text = folded.folded
        words = set(_TOKEN.findall(text))
        for word in words & self._vocabulary:
            for pattern in self._by_word[word]:
                needed, terms = self._exact[pattern]
                if len(needed) > 1 and not needed <= words:
                    continue
                start = text.find(pattern)
                while start >= 0:
                    end = start + len(pattern)
                    before_ok = start == 0 or not _is_word(text[start - 1])
                    after_ok = end == len(text) or not _is_word(text[end])
                    found_at = start
                    start = text.find(pattern, start + 1)  # the next one may overlap this one
                    if not (before_ok and after_ok):
                        continue
                    span = folded.span_in_original(found_at, end)
                    for term in terms:
                        if term.case_sensitive and not _same_case(folded.original, span, term):
                            continue
                        hits[term].append(span)
        if self._has_prefixes:
            self._scan_prefixes(folded, hits)
        return {term: sorted(spans) for term, spans in hits.items()}

    def _scan_prefixes(self, folded: FoldedText, hits: dict[Term, list[Span]]) -> None:
        text = folded.folded
        size = len(text)
        for last, (length, terms) in self._automaton.iter(text):
            start = last - length + 1
            if start > 0 and _is_word(text[start - 1]):
                continue
            end = last + 1
            while end < size and _is_word(text[end]):
                end += 1
            for term in terms:
                if term.stem and stem_of(text[start:end]) != term.patterns()[0]:
                    continue
                span = folded.span_in_original(start, end)
                if term.case_sensitive and not _same_case(folded.original, span, term):
                    continue
                hits[term].append(span)


_TOKEN = re.compile(r"\w+")


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _same_case(original: str, span: Span, term: Term) -> bool:
    written = original[span[0] : span[1]].replace("-", " ")
    return written in term.case_forms()


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
            if term.case_sensitive and not _same_case(folded.original, span, term):
                continue
            found.append(span)
        if found:
            hits[term] = found
    return hits
