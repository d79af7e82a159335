"""NEAR/n: ``Minsk NEAR/3 (agreement* OR accord*)``, both sides within n words of each other,
measured in linear time."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from lark import Token

from vigil.errors import QueryError
from vigil.rules.operators.base import (
    Evaluator,
    Key,
    Node,
    Syntax,
    WordsOf,
    found_words,
    grouped_text,
)
from vigil.rules.scanner import Span
from vigil.words import WordQuery, all_of

if TYPE_CHECKING:
    from vigil.rules.document import Document


def _near_expr(node: Node, *parts: Node | Token) -> Node:
    for index in range(0, len(parts), 2):
        operator, right = parts[index], parts[index + 1]
        assert isinstance(operator, Token) and not isinstance(right, Token)
        distance = int(str(operator).split("/")[1])
        for side in (node, right):
            if not side.locatable():
                raise QueryError(
                    f"{operator} needs words, phrases, actors or OR-groups on both sides, "
                    f"not {side.query_text()!r}",
                    operator.column,
                )
        node = NearNode(node, right, distance)
    return node


@dataclass(frozen=True, slots=True)
class NearNode(Node):
    left: Node
    right: Node
    distance: int

    grouped: ClassVar[bool] = True
    syntax: ClassVar[tuple[Syntax, ...]] = (
        Syntax(
            "{next} (NEAR {next})*",
            {"near_expr": _near_expr},
            terminals=(r'NEAR.3: /NEAR\/[0-9]+(?![^\s()"])/',),
            binds=40,
            name="near_expr",
        ),
    )

    def operands(self) -> tuple[Node, ...]:
        return (self.left, self.right)

    def query_text(self) -> str:
        return f"{grouped_text(self.left)} NEAR/{self.distance} {grouped_text(self.right)}"

    def necessary(self) -> list[frozenset[Key]] | None:
        return [*(self.left.necessary() or []), *(self.right.necessary() or [])] or None

    def words(self, words_of: WordsOf) -> WordQuery | None:
        return all_of((self.left.words(words_of), self.right.words(words_of)))

    def evaluate(self, doc: Document, region: Span) -> list[Span] | None:
        left, right = self.left.evaluate(doc, region), self.right.evaluate(doc, region)
        return near(doc, left, right, self.distance)

    def compile(self) -> Evaluator:
        left, right, distance = self.left.compile(), self.right.compile(), self.distance

        def evaluate_near(doc: Document, lo: int, hi: int) -> list[Span] | None:
            found_left = left(doc, lo, hi)
            if not found_left:  # near is false without both sides; skip the other's work
                return None
            found_right = right(doc, lo, hi)
            if not found_right:
                return None
            return near(doc, found_left, found_right, distance)

        return evaluate_near

    def explanation(self, doc: Document, region: Span, result: list[Span] | None) -> str:
        if result is not None:
            return self.query_text()
        left = found_words(doc, self.left.evaluate(doc, region)) or "nothing"
        right = found_words(doc, self.right.evaluate(doc, region)) or "nothing"
        return f"{self.query_text()} (left: {left}; right: {right}; never close enough)"

    def explains_children(self) -> bool:
        return False


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
