"""Words and phrases: ``drone*``, ``"Bayraktar TB2"``, ``~mediate``, ``case:TB2``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from lark import Token

from vigil.errors import QueryError, TermError
from vigil.rules.operators.base import (
    Evaluator,
    Key,
    LeafHits,
    Node,
    Syntax,
    WordsOf,
    within,
)
from vigil.rules.scanner import Span
from vigil.rules.terms import Term
from vigil.words import WordQuery

if TYPE_CHECKING:
    from vigil.rules.document import Document


def _term(text: str, token: Token, *, case_sensitive: bool = False) -> Term:
    try:
        return Term.parse(text, case_sensitive=case_sensitive)
    except TermError as exc:
        raise QueryError(str(exc), token.column) from None


def _word(token: Token) -> TermNode:
    return TermNode(_term(str(token), token))


def _phrase(token: Token) -> TermNode:
    return TermNode(_term(str(token)[1:-1], token))


def _case_term(_case: Token, token: Token) -> TermNode:
    text = str(token)[1:-1] if token.type == "PHRASE" else str(token)
    return TermNode(_term(text, token, case_sensitive=True))


@dataclass(frozen=True, slots=True)
class TermNode(Node):
    term: Term

    syntax: ClassVar[tuple[Syntax, ...]] = (
        Syntax(
            "CASE (WORD | PHRASE) -> case_term | PHRASE -> phrase | WORD -> word",
            {"word": _word, "phrase": _phrase, "case_term": _case_term},
            terminals=(
                "CASE.3: /case:/",
                r'PHRASE: /"[^"\n]*"/',
                r'WORD: /[^\s()"\/@:][^\s()":]*/',
            ),
            keywords=("case:",),
        ),
    )

    def query_text(self) -> str:
        return str(self.term)

    def locatable(self) -> bool:
        return True

    def necessary(self) -> list[frozenset[Key]] | None:
        return [frozenset({self.term})]

    def words(self, words_of: WordsOf) -> WordQuery | None:
        return words_of(self.term)

    def evaluate(self, doc: Document, region: Span) -> list[Span] | None:
        return within(doc.term_hits.get(self.term), region[0], region[1])

    def compile(self) -> Evaluator:
        term = self.term

        def evaluate_term(doc: Document, lo: int, hi: int) -> list[Span] | None:
            spans = doc.term_hits.get(term)
            if not spans:
                return None
            if lo <= spans[0][0] and spans[-1][1] <= hi:
                return spans
            return within(spans, lo, hi)

        return evaluate_term

    def leaf_hits(self) -> LeafHits:
        term = self.term
        return lambda doc, lo, hi: doc.term_hits.get(term, ())

    def scanned_terms(self) -> tuple[Term, ...]:
        return (self.term,)
