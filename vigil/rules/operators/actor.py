"""Actors: ``@TUR`` (any mention of Turkey) and ``@TURGOV`` (one with the role GOV)."""

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
    within,
)
from vigil.rules.scanner import Span
from vigil.words import WordQuery

if TYPE_CHECKING:
    from vigil.rules.document import Document


def _actor(token: Token) -> ActorNode:
    return ActorNode(str(token)[1:])


@dataclass(frozen=True, slots=True)
class ActorNode(Node):
    code: str  # TUR, or TURGOV with a role

    syntax: ClassVar[tuple[Syntax, ...]] = (
        Syntax(
            "ACTOR -> actor",
            {"actor": _actor},
            terminals=(r'ACTOR.2: /@[A-Z]{3}([A-Z]{3})?(?![^\s()"])/',),
        ),
    )

    def query_text(self) -> str:
        return f"@{self.code}"

    def actor_codes(self) -> tuple[str, ...]:
        return (self.code,)

    def locatable(self) -> bool:
        return True

    def necessary(self) -> list[frozenset[Key]] | None:
        return [frozenset({f"@{self.code[:3]}"})]

    def words(self, words_of: WordsOf) -> WordQuery | None:
        return words_of(f"@{self.code[:3]}")

    def evaluate(self, doc: Document, region: Span) -> list[Span] | None:
        return self.compile()(doc, region[0], region[1])

    def compile(self) -> Evaluator:
        country, role = self.code[:3], self.code[3:]

        def evaluate_actor(doc: Document, lo: int, hi: int) -> list[Span] | None:
            found = within(doc.actor_hits.get(country), lo, hi)
            if found and role:
                roles = doc.mention_roles
                found = [s for s in found if roles.get(s) == role] or None
            return found

        return evaluate_actor

    def leaf_hits(self) -> LeafHits:
        country = self.code[:3]
        return lambda doc, lo, hi: doc.actor_hits.get(country, ())
