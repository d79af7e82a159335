"""AND, OR and NOT: ``drone* AND Turk*`` (or side by side), ``a OR b``, ``NOT immediate``.

NOT binds tighter than NEAR, NEAR tighter than AND, AND tighter than OR. Operators are upper
case; ``or`` in lower case is a word.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from vigil.rules.operators.base import (
    Evaluator,
    Key,
    Node,
    Syntax,
    WordsOf,
    anchor_cost,
    found_words,
    grouped_text,
    shortened,
)
from vigil.rules.scanner import Span
from vigil.words import WordQuery, all_of, any_of

if TYPE_CHECKING:
    from vigil.rules.document import Document


@dataclass(frozen=True, slots=True)
class AndNode(Node):
    children: tuple[Node, ...]

    grouped: ClassVar[bool] = True
    syntax: ClassVar[tuple[Syntax, ...]] = (
        Syntax(
            "{next} (_AND? {next})*",
            {"and_expr": lambda *children: AndNode(tuple(children))},
            terminals=(r'_AND.3: /AND(?![^\s()"])/',),
            binds=20,
            name="and_expr",
        ),
    )

    def operands(self) -> tuple[Node, ...]:
        return self.children

    def query_text(self) -> str:
        return " AND ".join(grouped_text(child) for child in self.children)

    def positive(self) -> bool:
        return any(child.positive() for child in self.children)

    def necessary(self) -> list[frozenset[Key]] | None:
        groups: list[frozenset[Key]] = []
        for child in self.children:
            groups += child.necessary() or []
        return groups

    def words(self, words_of: WordsOf) -> WordQuery | None:
        return all_of(child.words(words_of) for child in self.children)

    def evaluate(self, doc: Document, region: Span) -> list[Span] | None:
        spans: list[Span] = []
        for child in self.children:
            result = child.evaluate(doc, region)
            if result is None:
                return None
            spans += result
        return spans

    def compile(self) -> Evaluator:
        children = tuple(child.compile() for child in self.children)

        def evaluate_and(doc: Document, lo: int, hi: int) -> list[Span] | None:
            spans: list[Span] = []
            for child in children:
                result = child(doc, lo, hi)
                if result is None:
                    return None
                spans += result
            return spans

        return evaluate_and

    def explanation(self, doc: Document, region: Span, result: list[Span] | None) -> str:
        return shortened(self.query_text())


@dataclass(frozen=True, slots=True)
class OrNode(Node):
    children: tuple[Node, ...]

    grouped: ClassVar[bool] = True
    syntax: ClassVar[tuple[Syntax, ...]] = (
        Syntax(
            "{next} (_OR {next})*",
            {"or_expr": lambda *children: OrNode(tuple(children))},
            terminals=(r'_OR.3: /OR(?![^\s()"])/',),
            binds=10,
            name="or_expr",
        ),
    )

    def operands(self) -> tuple[Node, ...]:
        return self.children

    def query_text(self) -> str:
        return " OR ".join(grouped_text(child) for child in self.children)

    def positive(self) -> bool:
        return all(child.positive() for child in self.children)

    def locatable(self) -> bool:
        return all(child.locatable() for child in self.children)

    def necessary(self) -> list[frozenset[Key]] | None:
        firsts = []
        for child in self.children:
            child_groups = child.necessary()
            if not child_groups:
                return []
            firsts.append(min(child_groups, key=anchor_cost))
        return [frozenset().union(*firsts)]

    def words(self, words_of: WordsOf) -> WordQuery | None:
        return any_of(child.words(words_of) for child in self.children)

    def evaluate(self, doc: Document, region: Span) -> list[Span] | None:
        results = [r for c in self.children if (r := c.evaluate(doc, region)) is not None]
        return [s for r in results for s in r] if results else None

    def compile(self) -> Evaluator:
        children = tuple(child.compile() for child in self.children)

        def evaluate_or(doc: Document, lo: int, hi: int) -> list[Span] | None:
            spans: list[Span] | None = None
            for child in children:
                result = child(doc, lo, hi)
                if result is not None:
                    if spans is None:
                        spans = []
                    spans += result
            return spans

        return evaluate_or

    def explanation(self, doc: Document, region: Span, result: list[Span] | None) -> str:
        return shortened(self.query_text())


@dataclass(frozen=True, slots=True)
class NotNode(Node):
    child: Node

    syntax: ClassVar[tuple[Syntax, ...]] = (
        Syntax(
            "_NOT {self} -> negation | {next}",
            {"negation": lambda child: NotNode(child)},
            terminals=(r'_NOT.3: /NOT(?![^\s()"])/',),
            binds=30,
            name="not_expr",
        ),
    )

    def operands(self) -> tuple[Node, ...]:
        return (self.child,)

    def query_text(self) -> str:
        return f"NOT {grouped_text(self.child)}"

    def positive(self) -> bool:
        return False

    def necessary(self) -> list[frozenset[Key]] | None:
        return []

    def evaluate(self, doc: Document, region: Span) -> list[Span] | None:
        return [] if self.child.evaluate(doc, region) is None else None

    def compile(self) -> Evaluator:
        child = self.child.compile()

        def evaluate_not(doc: Document, lo: int, hi: int) -> list[Span] | None:
            return [] if child(doc, lo, hi) is None else None

        return evaluate_not

    def explanation(self, doc: Document, region: Span, result: list[Span] | None) -> str:
        inner = self.child.evaluate(doc, region)
        detail = "absent, as required" if inner is None else f"present ({found_words(doc, inner)})"
        return f"NOT {self.child.query_text()}: {detail}"

    def explains_children(self) -> bool:
        return False
