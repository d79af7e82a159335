"""The term scan for ASCII text: one Aho–Corasick pass, word boundaries for free.

The text is copied with every non-word byte turned into a space and a space added at each end;
a term is looked for as ``" " + its pattern + " "`` (``" " + prefix`` for ``mediat*`` and
``~mediate``). In that copy a key can only occur where the pattern starts and ends on a word
boundary, so the automaton (Rust, one call per article, overlapping matches included) reports
no occurrence that a Python loop then has to throw away. Patterns with punctuation or spaces
("u.s.", "new york") also match wherever the copy agrees, so those few are checked against the
folded text itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import ahocorasick_rs

from vigil.rules.terms import Term, stem_of
from vigil.text import FoldedText

Span = tuple[int, int]

# Every ASCII byte that is not a word character becomes a space.
SPACES = bytes(b if (chr(b).isalnum() or chr(b) == "_") else 32 for b in range(128)) + bytes(
    range(128, 256)
)


@dataclass(frozen=True, slots=True)
class _Entry:
    """One pattern behind a key, with what must still be checked for it."""

    pattern: str
    open_end: bool  # wildcard or stem: the occurrence runs to the end of the word
    verify: bool  # the pattern has punctuation or spaces: compare with the folded text
    terms: tuple[Term, ...]


class AsciiWordScanner:
    """Every occurrence of every ASCII pattern, in ASCII folded text (see the module's doc)."""

    def __init__(self, terms: Sequence[Term]) -> None:
        by_key: dict[bytes, dict[str, list[Term]]] = {}
        open_ends: dict[str, bool] = {}
        for term in terms:
            open_end = term.wildcard or term.stem
            for pattern in term.patterns():
                if not pattern.isascii():  # cannot occur in ASCII text
                    continue
                key = b" " + pattern.encode().translate(SPACES) + (b"" if open_end else b" ")
                by_key.setdefault(key, {}).setdefault(pattern + "*" * open_end, []).append(term)
                open_ends[pattern + "*" * open_end] = open_end
        self._keys = list(by_key)
        self._entries: list[tuple[_Entry, ...]] = []
        # Key index -> its one term, when nothing needs checking (most keys): the fast path.
        self._simple: list[Term | None] = []
        sources: dict[Term, int] = {}
        for entries in by_key.values():
            built = []
            for name, pattern_terms in entries.items():
                open_end = open_ends[name]
                pattern = name[:-1] if open_end else name
                verify = not all(c.isalnum() or c == "_" for c in pattern)
                built.append(_Entry(pattern, open_end, verify, tuple(dict.fromkeys(pattern_terms))))
                for term in dict.fromkeys(pattern_terms):
                    sources[term] = sources.get(term, 0) + 1
            self._entries.append(tuple(built))
        for key_entries in self._entries:
            entry = key_entries[0]
            simple = (
                len(key_entries) == 1
                and len(entry.terms) == 1
                and not entry.open_end
                and not entry.verify
                and not entry.terms[0].case_sensitive
            )
            self._simple.append(entry.terms[0] if simple else None)
        # Terms found through more than one key: their spans come from several lists, sorted.
        self._merged = frozenset(term for term, count in sources.items() if count > 1)
        self._automaton = (
            ahocorasick_rs.BytesAhoCorasick(self._keys, matchkind=ahocorasick_rs.MatchKind.Standard)
            if self._keys
            else None
        )

    def scan(self, folded: FoldedText) -> dict[Term, list[Span]]:
        """Every occurrence in ``folded`` (whose folded text is ASCII), in text order."""
        if self._automaton is None:
            return {}
        text = folded.folded
        padded = b" " + text.encode().translate(SPACES) + b" "
        # Offsets: a key starts at the space before its pattern, which is the padded copy's
        # offset of the pattern in ``text``; an exact key ends two past the pattern's end.
        found = self._automaton.find_matches_as_indexes(padded, overlapping=True)
        hits: dict[Term, list[Span]] = {}
        simple = self._simple
        others = []
        for index, start, end in found:
            term = simple[index]
            if term is None:
                others.append((index, start, end))
                continue
            spans = hits.get(term)
            if spans is None:
                hits[term] = [(start, end - 2)]
            else:
                spans.append((start, end - 2))
        if others:
            self._checked(others, text, padded, folded, hits)
        if folded.irregular:
            to_original = folded.span_in_original
            hits = {
                term: sorted(to_original(a, b) for a, b in found) for term, found in hits.items()
            }
            for term in [t for t in hits if t.case_sensitive]:
                spans = [s for s in hits[term] if same_case(folded.original, s, term)]
                if spans:
                    hits[term] = spans
                else:
                    del hits[term]
            return hits
        for term in self._merged.intersection(hits):
            hits[term].sort()
        return hits

    def _checked(
        self,
        found: list[tuple[int, int, int]],
        text: str,
        padded: bytes,
        folded: FoldedText,
        hits: dict[Term, list[Span]],
    ) -> None:
        """The occurrences that need a look at the text: punctuation, open endings, case."""
        irregular = bool(folded.irregular)
        for index, start, _ in found:
            for entry in self._entries[index]:
                end = start + len(entry.pattern)
                if entry.verify and not text.startswith(entry.pattern, start):
                    continue
                if entry.open_end:
                    end = padded.find(b" ", end + 1) - 1  # the end of the word
                for term in entry.terms:
                    if term.stem and stem_of(text[start:end]) != entry.pattern:
                        continue
                    # Case is checked on the original text: after mapping, when offsets differ.
                    if (
                        term.case_sensitive
                        and not irregular
                        and not same_case(folded.original, (start, end), term)
                    ):
                        continue
                    hits.setdefault(term, []).append((start, end))


def same_case(original: str, span: Span, term: Term) -> bool:
    written = original[span[0] : span[1]].replace("-", " ")
    if term.wildcard or term.stem:  # case:TB2* finds "TB2s": the written prefix must agree
        return any(written.startswith(form) for form in term.case_forms())
    return written in term.case_forms()
