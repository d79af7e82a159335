"""Rule conditions compiled once into nested closures: the tree walk without its dispatch.

:func:`vigil.rules.evaluate.evaluate` reads a query tree node by node, matching each node's
type on every call; a run asks it the same questions of every article. Here each node becomes
a function, built once per :class:`~vigil.rules.matcher.Matcher`, that already knows what it
is, its children and its terms. The results are the same lists (tested against ``evaluate``).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable

from vigil.rules.document import Document
from vigil.rules.near import near
from vigil.rules.needs import Key, necessary
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
from vigil.rules.terms import Term

# (document, region start, region end) -> the supporting spans, or None when false there.
Evaluator = Callable[[Document, int, int], list[Span] | None]


def compile_node(node: Node) -> Evaluator:
    """The evaluator of ``node``: what ``evaluate(node, doc, (lo, hi))`` returns."""
    match node:
        case TermNode(term):
            return _term(term)
        case ActorNode(code):
            return _actor(code)
        case RegexNode(pattern):
            return _regex(pattern)
        case AndNode(children):
            return _and(tuple(compile_node(child) for child in children))
        case OrNode(children):
            return _or(tuple(compile_node(child) for child in children))
        case NotNode(child):
            return _not(compile_node(child))
        case NearNode(left, right, distance):
            return _near_of(compile_node(left), compile_node(right), distance)
        case ScopeNode(scope, child):
            return _scope(scope, child)
    raise TypeError(node)


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


def _term(term: Term) -> Evaluator:
    def evaluate_term(doc: Document, lo: int, hi: int) -> list[Span] | None:
        spans = doc.term_hits.get(term)
        if not spans:
            return None
        if lo <= spans[0][0] and spans[-1][1] <= hi:
            return spans
        return within(spans, lo, hi)

    return evaluate_term


def _actor(code: str) -> Evaluator:
    country, role = code[:3], code[3:]

    def evaluate_actor(doc: Document, lo: int, hi: int) -> list[Span] | None:
        found = within(doc.actor_hits.get(country), lo, hi)
        if found and role:
            roles = doc.mention_roles
            found = [s for s in found if roles.get(s) == role] or None
        return found

    return evaluate_actor


def _regex(pattern: str) -> Evaluator:
    def evaluate_regex(doc: Document, lo: int, hi: int) -> list[Span] | None:
        return within(doc.regex_hits(pattern), lo, hi)

    return evaluate_regex


def _and(children: tuple[Evaluator, ...]) -> Evaluator:
    def evaluate_and(doc: Document, lo: int, hi: int) -> list[Span] | None:
        spans: list[Span] = []
        for child in children:
            result = child(doc, lo, hi)
            if result is None:
                return None
            spans += result
        return spans

    return evaluate_and


def _or(children: tuple[Evaluator, ...]) -> Evaluator:
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


def _not(child: Evaluator) -> Evaluator:
    def evaluate_not(doc: Document, lo: int, hi: int) -> list[Span] | None:
        return [] if child(doc, lo, hi) is None else None

    return evaluate_not


def _near_of(left: Evaluator, right: Evaluator, distance: int) -> Evaluator:
    def evaluate_near(doc: Document, lo: int, hi: int) -> list[Span] | None:
        found_left = left(doc, lo, hi)
        if not found_left:  # _near is false without both sides; skip the other's work
            return None
        found_right = right(doc, lo, hi)
        if not found_right:
            return None
        return near(doc, found_left, found_right, distance)

    return evaluate_near


def _scope(scope: str, node: Node) -> Evaluator:
    child = compile_node(node)
    if scope == "title":

        def evaluate_title(doc: Document, lo: int, hi: int) -> list[Span] | None:
            return child(doc, lo, min(hi, doc.title_end))

        return evaluate_title
    if scope == "body":

        def evaluate_body(doc: Document, lo: int, hi: int) -> list[Span] | None:
            return child(doc, max(lo, doc.body_start), hi)

        return evaluate_body
    leaves = _leaf_getters(node)
    groups = [tuple(group) for group in necessary(node) or ()]

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
    """The hits of a key of :func:`necessary`: a term, or "@TUR" for an actor's mentions."""
    if isinstance(key, str):
        return doc.actor_hits.get(key[1:], [])
    return doc.term_hits.get(key, [])


def _hit_count(doc: Document, group: tuple[Key, ...]) -> int:
    return sum(len(_key_hits(doc, key)) for key in group)


LeafHits = Callable[[Document, int, int], list[Span] | tuple[()]]


def _leaf_getters(node: Node) -> tuple[LeafHits, ...]:
    """For each positive leaf under ``node``: its hits anywhere (a regex's, in the region)."""
    getters: list[LeafHits] = []
    for leaf in walk(node):
        if isinstance(leaf, TermNode):
            getters.append(_raw_term(leaf.term))
        elif isinstance(leaf, ActorNode):
            getters.append(_raw_actor(leaf.code[:3]))
        elif isinstance(leaf, RegexNode):
            getters.append(_raw_regex(leaf.pattern))
    return tuple(getters)


def _raw_term(term: Term) -> LeafHits:
    return lambda doc, lo, hi: doc.term_hits.get(term, ())


def _raw_regex(pattern: str) -> LeafHits:
    regex = _regex(pattern)
    return lambda doc, lo, hi: regex(doc, lo, hi) or ()


def _raw_actor(country: str) -> LeafHits:
    return lambda doc, lo, hi: doc.actor_hits.get(country, ())
