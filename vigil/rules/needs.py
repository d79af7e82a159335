"""Which words a condition cannot be true without: rules and scopes skip what cannot match."""

from __future__ import annotations

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
)
from vigil.rules.terms import Term

# What a condition needs: a term, or "@CODE" (an actor's country code) for its mentions.
Key = Term | str


def necessary(node: Node) -> list[frozenset[Key]] | None:
    """Groups of keys (terms, "@CODE") of which the node needs at least one each to be true.

    None when nothing can be said (a regex, which the scanner does not see).
    """
    match node:
        case TermNode(term):
            return [frozenset({term})]
        case ActorNode(code):
            return [frozenset({f"@{code[:3]}"})]
        case RegexNode():
            return None
        case NotNode():
            return []
        case ScopeNode(_, child):
            return necessary(child)
        case NearNode(left, right, _):
            return [*(necessary(left) or []), *(necessary(right) or [])] or None
        case AndNode(children):
            groups: list[frozenset[Key]] = []
            for child in children:
                groups += necessary(child) or []
            return groups
        case OrNode(children):
            firsts = []
            for child in children:
                child_groups = necessary(child)
                if not child_groups:
                    return []
                firsts.append(min(child_groups, key=_anchor_cost))
            return [frozenset().union(*firsts)]
    raise TypeError(node)


def _anchor_cost(group: frozenset[Key]) -> tuple[int, int]:
    """Prefer groups of words to actor names (which occur everywhere), then small groups."""
    actors = sum(1 for key in group if isinstance(key, str))
    return actors, len(group)
