"""What every operator of the query language is: a node of the syntax tree that knows its own
grammar, how it is written, what it needs, and how it is evaluated, interpreted and compiled.

An operator is one module of :mod:`vigil.rules.operators` holding a :class:`Node` subclass and
its :class:`Syntax`; the parser, the matcher, the explainer and the scope narrowing ask the
nodes, never a list of node types, so a new operator touches nothing else.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from bisect import bisect_left
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from vigil.rules.scanner import Span
from vigil.rules.terms import Term
from vigil.words import WordQuery

if TYPE_CHECKING:
    from vigil.rules.document import Document

# (document, region start, region end) -> the supporting spans, or None when false there.
Evaluator = Callable[["Document", int, int], list[Span] | None]
# (document, region start, region end) -> a positive leaf's hits (a regex's: in the region).
LeafHits = Callable[["Document", int, int], Sequence[Span]]
# What a condition needs: a term, or "@CODE" (an actor's country code) for its mentions.
Key = Term | str
# The words of the item that a key needs (a term's, an actor's names), for the word index.
WordsOf = Callable[[Key], WordQuery | None]


@dataclass(frozen=True)
class Syntax:
    """A piece of the grammar (lark) an operator brings, and how its parse becomes a node.

    A *clause* (``binds`` None) is an alternative of ``primary``: ``"ACTOR -> actor"``, where
    ``{top}`` stands for a whole query (inside parentheses) and ``primary`` for one clause. An
    *operator level* (``binds`` n; higher binds tighter) is a rule of its own, ``name``, written
    with ``{self}`` and ``{next}`` (the next tighter level): ``"{next} (_OR {next})*"``.
    ``callbacks`` build nodes from the children of the named rules or aliases.
    """

    rule: str
    callbacks: Mapping[str, Callable[..., Any]]
    terminals: tuple[str, ...] = ()
    binds: int | None = None
    name: str | None = None
    keywords: tuple[str, ...] = field(default=())  # reserved prefixes, named in errors


class Node(ABC):
    """One node of a parsed query. Subclasses are frozen dataclasses."""

    __slots__ = ()

    syntax: ClassVar[tuple[Syntax, ...]] = ()
    # Written in parentheses where it stands inside another operator ("a OR b" inside AND).
    grouped: ClassVar[bool] = False

    def operands(self) -> tuple[Node, ...]:
        return ()

    @abstractmethod
    def query_text(self) -> str:
        """The node written back in the query syntax (for explanations)."""

    def positive(self) -> bool:
        """Whether it can only be true because something is present (not only absent)."""
        return True

    def locatable(self) -> bool:
        """Whether it stands for places in the text, so NEAR can measure between them."""
        return False

    @abstractmethod
    def necessary(self) -> list[frozenset[Key]] | None:
        """Groups of keys of which the node needs at least one each to be true; None when
        nothing can be said (a regex, which the scanner does not see)."""

    def words(self, words_of: WordsOf) -> WordQuery | None:
        """The words an item must hold for the node to be true in it (a superset of the
        truth: the store's word index picks what a trial reads with it); None when it can
        be true whatever words the item holds. Saying None is always safe."""
        return None

    @abstractmethod
    def evaluate(self, doc: Document, region: Span) -> list[Span] | None:
        """The spans that make it true inside ``region``, or None when it is false there (the
        interpreted evaluator, which explanations use and the compiled one is tested against)."""

    @abstractmethod
    def compile(self) -> Evaluator:
        """A function giving what :meth:`evaluate` gives, built once per rule set."""

    def leaf_hits(self) -> LeafHits | None:
        """For a positive leaf, its hits anywhere (a scope tries only the units holding one)."""
        return None

    def actor_codes(self) -> tuple[str, ...]:
        """The actors it names (checked against the rule set's when rules load)."""
        return ()

    def scanned_terms(self) -> tuple[Term, ...]:
        """The terms the scanner must find for this node."""
        return ()

    def explanation(self, doc: Document, region: Span, result: list[Span] | None) -> str:
        """The clause and what was found, for ``vigil rules test``."""
        found = found_words(doc, result)
        return f"{self.query_text()}: found {found}" if found else f"{self.query_text()}: not found"

    def explains_children(self) -> bool:
        """Whether an explanation goes on, one line per child."""
        return bool(self.operands())


def within(spans: list[Span] | None, lo: int, hi: int) -> list[Span] | None:
    """The spans (sorted) that lie inside [lo, hi); None when there are none."""
    if not spans:
        return None
    if lo <= spans[0][0] and spans[-1][1] <= hi:
        return spans
    first = bisect_left(spans, (lo, -1))
    last = bisect_left(spans, (hi, -1), first)
    found = [s for s in spans[first:last] if s[1] <= hi]
    return found or None


def grouped_text(node: Node) -> str:
    text = node.query_text()
    return f"({text})" if node.grouped else text


def found_words(doc: Document, spans: list[Span] | None) -> str:
    """The words at ``spans``, quoted, at most six."""
    if not spans:
        return ""
    words = list(dict.fromkeys(doc.text[a:b] for a, b in spans))
    shown = ", ".join(repr(w) for w in words[:6])
    return shown + (f" and {len(words) - 6} more" if len(words) > 6 else "")


def anchor_cost(group: frozenset[Key]) -> tuple[int, int]:
    """Prefer groups of words to actor names (which occur everywhere), then small groups."""
    actors = sum(1 for key in group if isinstance(key, str))
    return actors, len(group)


def shortened(text: str) -> str:
    return text if len(text) <= 100 else text[:97] + "..."


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, depth first."""
    yield node
    for operand in node.operands():
        yield from walk(operand)
