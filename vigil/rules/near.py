"""NEAR/n in linear time: does a span of one side have a partner on the other within n words?"""

from __future__ import annotations

from bisect import bisect_left

from vigil.rules.document import Document
from vigil.rules.scanner import Span


def near(
    doc: Document, left: list[Span] | None, right: list[Span] | None, distance: int
) -> list[Span] | None:
    """The spans of either side that have a partner on the other within ``distance`` words.

    Linear after sorting: each span asks only its nearest candidates on the other side (the
    first one starting at or after it, and the furthest-reaching one starting before it), so
    "Minsk deal Donbas" repeated over a megabyte costs a megabyte, not its square.
    """
    if not left or not right:
        return None
    lefts, rights = _Positions(doc, left), _Positions(doc, right)
    found = [a for a in lefts.spans if rights.partner_of(a, lefts.words[a], distance)]
    found += [b for b in rights.spans if lefts.partner_of(b, rights.words[b], distance)]
    return sorted(set(found)) or None


class _Positions:
    """Spans sorted by start, with their first and last word index, for NEAR's look-ups."""

    def __init__(self, doc: Document, spans: list[Span]) -> None:
        self.spans = sorted(set(spans))
        self.starts = [span[0] for span in self.spans]
        self.words = {
            span: (doc.word_index(span[0]), doc.last_word_index(span[1])) for span in self.spans
        }
        # reach[i]: the largest last-word index among spans[0..i] (and which span it is).
        self.reach: list[tuple[int, Span]] = []
        for span in self.spans:
            last = self.words[span][1]
            best = self.reach[-1] if self.reach and self.reach[-1][0] >= last else (last, span)
            self.reach.append(best)

    def partner_of(self, span: Span, words: tuple[int, int], distance: int) -> bool:
        """Whether a span here other than ``span`` lies within ``distance`` words of it."""
        first_word, last_word = words
        index = bisect_left(self.starts, span[0])
        # After it (or starting with it): the nearest is the first that is not itself.
        for other in self.spans[index : index + 2]:
            if other != span:
                if self.words[other][0] - last_word <= distance:
                    return True
                break
        # Before it: the one whose last word reaches furthest.
        if index > 0:
            reach, other = self.reach[index - 1]
            if other != span and first_word - reach <= distance:
                return True
        return False
