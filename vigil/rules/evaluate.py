"""Whether a rule's condition holds on a document, and where: the spans that make it true.

The interpreted evaluator, used by ``vigil rules test`` to explain a rule and by the compiled
evaluator (:mod:`vigil.rules.compiled`) for what it does not compile.
"""

from __future__ import annotations

from bisect import bisect_left

from vigil.rules.document import Document
from vigil.rules.near import near as _near
from vigil.rules.query import (
    ActorNode,
    AndNode,
    NearNode,
    Node,
    NotNode,
    OrNode,
    RegexNode,
    ScopeNode,
    TermNode,
    walk,
)
from vigil.rules.scanner import Span


def evaluate(node: Node, doc: Document, region: Span) -> list[Span] | None:
    """The spans that make ``node`` true inside ``region``, or None when it is false there."""
    match node:
        case TermNode(term):
            return _within(doc.term_hits.get(term), region)
        case ActorNode(code):
            found = _within(doc.actor_hits.get(code[:3]), region)
            if found and len(code) > 3:
                found = [s for s in found if doc.mention_roles.get(s) == code[3:]] or None
            return found
        case RegexNode(pattern):
            return _within(doc.regex_hits(pattern), region)
        case AndNode(children):
            spans: list[Span] = []
            for child in children:
                result = evaluate(child, doc, region)
                if result is None:
                    return None
                spans += result
            return spans
        case OrNode(children):
            results = [r for child in children if (r := evaluate(child, doc, region)) is not None]
            return [s for r in results for s in r] if results else None
        case NotNode(child):
            return [] if evaluate(child, doc, region) is None else None
        case NearNode(left, right, distance):
            return _near(doc, evaluate(left, doc, region), evaluate(right, doc, region), distance)
        case ScopeNode(scope, child):
            return _scoped(scope, child, doc, region)
    raise TypeError(node)


def _within(spans: list[Span] | None, region: Span) -> list[Span] | None:
    """The spans (sorted) that lie inside ``region``; None when there are none."""
    if not spans:
        return None
    lo, hi = region
    if lo <= spans[0][0] and spans[-1][1] <= hi:
        return spans
    first = bisect_left(spans, (lo, -1))
    last = bisect_left(spans, (hi, -1), first)
    found = [s for s in spans[first:last] if s[1] <= hi]
    return found or None


def _leaves(node: Node, doc: Document, region: Span) -> list[int]:
    """Start offsets of every positive leaf hit under ``node``: where a scope can be satisfied."""
    lo, hi = region
    starts: list[int] = []
    for leaf in _leaf_nodes(node):
        for start, _ in (
            evaluate(leaf, doc, region) or ()
            if isinstance(leaf, RegexNode)
            else (_raw_hits(leaf, doc))
        ):
            if lo <= start < hi:
                starts.append(start)
    return starts


def _raw_hits(leaf: Node, doc: Document) -> list[Span]:
    if isinstance(leaf, TermNode):
        return doc.term_hits.get(leaf.term, [])
    assert isinstance(leaf, ActorNode)
    return doc.actor_hits.get(leaf.code[:3], [])


# Leaves of a node, computed once: rule trees live as long as their Matcher. The node is kept
# in the entry so that its id cannot be reused by another object while the entry exists.
_LEAF_CACHE: dict[int, tuple[Node, tuple[Node, ...]]] = {}


def _leaf_nodes(node: Node) -> tuple[Node, ...]:
    entry = _LEAF_CACHE.get(id(node))
    if entry is None or entry[0] is not node:
        leaves = tuple(n for n in walk(node) if isinstance(n, TermNode | ActorNode | RegexNode))
        entry = _LEAF_CACHE[id(node)] = (node, leaves)
    return entry[1]


def _scoped(scope: str, child: Node, doc: Document, region: Span) -> list[Span] | None:
    lo, hi = region
    if scope == "title":
        return evaluate(child, doc, (lo, min(hi, doc.title_end)))
    if scope == "body":
        return evaluate(child, doc, (max(lo, doc.body_start), hi))
    spans: list[Span] = []
    satisfied = False
    # Only a sentence that holds one of the child's words can satisfy it.
    for start, end in doc.units_with(scope, _leaves(child, doc, region)):
        result = evaluate(child, doc, (max(lo, start), min(hi, end)))
        if result is not None:
            satisfied = True
            spans += result
    return spans if satisfied else None
