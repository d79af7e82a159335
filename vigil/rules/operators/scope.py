"""Scopes: ``title:Erdogan``, ``body:mediat*``, and ``sentence:(…)`` / ``paragraph:(…)``, where
everything must hold inside one sentence or paragraph."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from lark import Token

from vigil.rules.operators.base import (
    Evaluator,
    Key,
    LeafHits,
    Node,
    Syntax,
    WordsOf,
    grouped_text,
    shortened,
    walk,
)
from vigil.rules.scanner import Span
from vigil.words import WordQuery

if TYPE_CHECKING:
    from vigil.rules.document import Document

SCOPES = ("title", "body", "sentence", "paragraph")


def _scoped(scope: Token, child: Node) -> ScopeNode:
    return ScopeNode(str(scope)[:-1], child)


@dataclass(frozen=True, slots=True)
class ScopeNode(Node):
    scope: str  # title | body | sentence | paragraph
    child: Node

    syntax: ClassVar[tuple[Syntax, ...]] = (
        Syntax(
            "SCOPE primary -> scoped",
            {"scoped": _scoped},
            terminals=(f"SCOPE.3: /({'|'.join(SCOPES)}):/",),
            keywords=tuple(f"{scope}:" for scope in SCOPES),
        ),
    )

    def operands(self) -> tuple[Node, ...]:
        return (self.child,)

    def query_text(self) -> str:
        return f"{self.scope}:{grouped_text(self.child)}"

    def positive(self) -> bool:
        return self.child.positive()

    def necessary(self) -> list[frozenset[Key]] | None:
        return self.child.necessary()

    def words(self, words_of: WordsOf) -> WordQuery | None:
        return self.child.words(words_of)

    def evaluate(self, doc: Document, region: Span) -> list[Span] | None:
        lo, hi = region
        if self.scope == "title":
            return self.child.evaluate(doc, (lo, min(hi, doc.title_end)))
        if self.scope == "body":
            return self.child.evaluate(doc, (max(lo, doc.body_start), hi))
        starts = [
            start
            for hits in _leaf_getters(self.child)
            for start, _ in hits(doc, lo, hi)
            if lo <= start < hi
        ]
        spans: list[Span] = []
        satisfied = False
        # Only a sentence that holds one of the child's words can satisfy it.
        for start, end in doc.units_with(self.scope, starts):
            result = self.child.evaluate(doc, (max(lo, start), min(hi, end)))
            if result is not None:
                satisfied = True
                spans += result
        return spans if satisfied else None

    def compile(self) -> Evaluator:
        child = self.child.compile()
        if self.scope == "title":

            def evaluate_title(doc: Document, lo: int, hi: int) -> list[Span] | None:
                return child(doc, lo, min(hi, doc.title_end))

            return evaluate_title
        if self.scope == "body":

            def evaluate_body(doc: Document, lo: int, hi: int) -> list[Span] | None:
                return child(doc, max(lo, doc.body_start), hi)

            return evaluate_body
        return _units(self.scope, self.child, child)

    def explanation(self, doc: Document, region: Span, result: list[Span] | None) -> str:
        text = shortened(self.query_text())
        if self.scope not in {"sentence", "paragraph"}:
            return text
        unit = self.scope
        held = f"held in one {unit}" if result is not None else f"no single {unit} has it all"
        return f"{text} ({held}; its parts anywhere in the text:)"


def _units(scope: str, node: Node, child: Evaluator) -> Evaluator:
    leaves = _leaf_getters(node)
    groups = [tuple(group) for group in node.necessary() or ()]

    def evaluate_units(doc: Document, lo: int, hi: int) -> list[Span] | None:
        # Only a sentence (or paragraph) that holds one of the child's words can satisfy it;
        # when the child needs one word of each of some groups, one that holds a word of the
        # group with the fewest hits here (the same sentences satisfy it, fewer are tried).
        starts: list[int] = []
        if groups:
            fewest = min(groups, key=lambda group: _hit_count(doc, group))
            for key in fewest:
                for start, _ in _key_hits(doc, key):
                    if lo <= start < hi:
                        starts.append(start)
        else:
            for leaf in leaves:
                for start, _ in leaf(doc, lo, hi):
                    if lo <= start < hi:
                        starts.append(start)
        spans: list[Span] = []
        satisfied = False
        for start, end in doc.units_with(scope, starts):
            result = child(doc, max(lo, start), min(hi, end))
            if result is not None:
                satisfied = True
                spans += result
        return spans if satisfied else None

    return evaluate_units


def _key_hits(doc: Document, key: Key) -> list[Span]:
    """The hits of a key of ``necessary()``: a term, or "@TUR" for an actor's mentions."""
    if isinstance(key, str):
        return doc.actor_hits.get(key[1:], [])
    return doc.term_hits.get(key, [])


def _hit_count(doc: Document, group: tuple[Key, ...]) -> int:
    return sum(len(_key_hits(doc, key)) for key in group)


# Leaf getters of a node, built once: rule trees live as long as their Matcher. The node is
# kept in the entry so that its id cannot be reused by another object while the entry exists.
_LEAF_CACHE: dict[int, tuple[Node, tuple[LeafHits, ...]]] = {}


def _leaf_getters(node: Node) -> tuple[LeafHits, ...]:
    """For each positive leaf under ``node`` (the words a unit must hold): its hits."""
    entry = _LEAF_CACHE.get(id(node))
    if entry is None or entry[0] is not node:
        getters = tuple(hits for n in walk(node) if (hits := n.leaf_hits()) is not None)
        entry = _LEAF_CACHE[id(node)] = (node, getters)
    return entry[1]
