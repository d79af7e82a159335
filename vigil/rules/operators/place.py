"""Places: ``@TUR.place``, where one of an actor's ``places:`` (Istanbul, Antalya, Dolmabahçe
for Turkey) is named. A place says where something happens, not who acts: "talks in Istanbul"
are talks hosted in Turkey, while Istanbul is never a mention of the Turkish state (``@TUR``)
and never an event's source or target."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from lark import Token

from vigil.rules.operators.base import Evaluator, Key, LeafHits, Node, Syntax, within
from vigil.rules.scanner import Span

if TYPE_CHECKING:
    from vigil.rules.document import Document


def _place(token: Token) -> PlaceNode:
    return PlaceNode(str(token)[1:4])


@dataclass(frozen=True, slots=True)
class PlaceNode(Node):
    code: str  # the actor whose places count: TUR

    syntax: ClassVar[tuple[Syntax, ...]] = (
        Syntax(
            "PLACE -> place",
            {"place": _place},
            terminals=(r'PLACE.3: /@[A-Z]{3}\.place(?![^\s()"])/',),
        ),
    )

    def query_text(self) -> str:
        return f"@{self.code}.place"

    def actor_codes(self) -> tuple[str, ...]:
        return (f"{self.code}.place",)

    def locatable(self) -> bool:
        return True

    def necessary(self) -> list[frozenset[Key]] | None:
        return None  # the place names live in the rule set, not in the query: always tried

    def evaluate(self, doc: Document, region: Span) -> list[Span] | None:
        return within(doc.place_hits.get(self.code), region[0], region[1])

    def compile(self) -> Evaluator:
        code = self.code

        def evaluate_place(doc: Document, lo: int, hi: int) -> list[Span] | None:
            return within(doc.place_hits.get(code), lo, hi)

        return evaluate_place

    def leaf_hits(self) -> LeafHits:
        code = self.code
        return lambda doc, lo, hi: doc.place_hits.get(code, ())
