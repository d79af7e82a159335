"""Operators are modules: the parser, the compiled and interpreted evaluators and the
explanations all come from the node classes, so an operator defined elsewhere (here, in this
test) works end to end without touching the parser, the matcher or the explainer."""

from __future__ import annotations

import pkgutil
from dataclasses import dataclass
from typing import ClassVar

import pytest
from lark import Token

import vigil.rules.operators as package
from vigil.article import Article
from vigil.errors import QueryError
from vigil.rules.document import Document
from vigil.rules.explain import _explain
from vigil.rules.operators import operators
from vigil.rules.operators.base import Evaluator, Key, Node, Syntax, grouped_text, walk
from vigil.rules.query import AndNode, QueryParser, parse_query
from vigil.rules.scanner import Span, TermScanner
from vigil.rules.terms import Term


@dataclass(frozen=True, slots=True)
class LeadNode(Node):
    """``lead:(…)``: true inside the title and the body's first sentence (a test operator)."""

    child: Node

    syntax: ClassVar[tuple[Syntax, ...]] = (
        Syntax(
            "LEAD primary -> lead",
            {"lead": lambda _token, child: LeadNode(child)},
            terminals=("LEAD.3: /lead:/",),
            keywords=("lead:",),
        ),
    )

    def operands(self) -> tuple[Node, ...]:
        return (self.child,)

    def query_text(self) -> str:
        return f"lead:{grouped_text(self.child)}"

    def positive(self) -> bool:
        return self.child.positive()

    def necessary(self) -> list[frozenset[Key]] | None:
        return self.child.necessary()

    def evaluate(self, doc: Document, region: Span) -> list[Span] | None:
        return self.compile()(doc, *region)

    def compile(self) -> Evaluator:
        child = self.child.compile()

        def evaluate_lead(doc: Document, lo: int, hi: int) -> list[Span] | None:
            first = next((end for start, end in doc.sentences if start >= doc.body_start), hi)
            return child(doc, lo, min(hi, first))

        return evaluate_lead


def prepared(node: Node, title: str, body: str) -> Document:
    terms = [term for n in walk(node) for term in n.scanned_terms()]
    doc = Document(Article(title=title, body=body, outlet="x"))
    doc.term_hits = TermScanner(terms).scan(doc.folded)
    return doc


def test_every_module_of_the_package_brings_its_operators() -> None:
    modules = {m.name for m in pkgutil.iter_modules(package.__path__)} - {"base"}
    assert {kind.__module__.rsplit(".", 1)[1] for kind in operators()} == modules
    names = {kind.__name__ for kind in operators()}
    assert {"TermNode", "ActorNode", "RegexNode", "AndNode", "OrNode", "NotNode"} <= names
    assert {"NearNode", "ScopeNode"} <= names


def test_an_operator_from_elsewhere_parses_evaluates_compiles_and_explains() -> None:
    parser = QueryParser([*operators(), LeadNode])
    node = parser.parse("lead:(Erdogan AND mediat*) OR Minsk")
    lead = node.operands()[0]
    assert isinstance(lead, LeadNode) and isinstance(lead.child, AndNode)
    assert node.query_text() == "lead:(Erdogan AND mediat*) OR Minsk"

    early = prepared(node, "Talks", "Erdogan offered mediation. Nothing else.")
    late = prepared(node, "Talks", "Nothing yet. Erdogan offered mediation.")
    whole = (0, len(early.text))
    assert node.evaluate(early, whole) == node.compile()(early, *whole) != None  # noqa: E711
    assert node.evaluate(late, (0, len(late.text))) is None
    assert lead.necessary() == [
        frozenset({Term.parse("Erdogan")}),
        frozenset({Term.parse("mediat*")}),
    ]

    lines = _explain(node, late, (0, len(late.text)), 0)
    assert lines[0].startswith("✗ lead:(Erdogan AND mediat*) OR Minsk")
    assert any("Erdogan: found 'Erdogan'" in line for line in lines)


def test_the_default_parser_knows_only_the_package_operators() -> None:
    with pytest.raises(QueryError, match="unknown scope 'lead:'"):
        parse_query("lead:(Erdogan)")
    parser = QueryParser([*operators(), LeadNode])
    with pytest.raises(QueryError, match=r"use .*paragraph:.*lead:"):
        parser.parse("lede:(Erdogan)")


def test_a_builder_error_keeps_its_column() -> None:
    def refuse(token: Token) -> Node:
        raise QueryError("no numbers here", token.column)

    class Numbers(LeadNode):
        syntax = (Syntax("NUMBER -> number", {"number": refuse}, terminals=("NUMBER.4: /#\\d+/",)),)

    parser = QueryParser([*operators(), Numbers])
    with pytest.raises(QueryError) as raised:
        parser.parse("Minsk #12")
    assert raised.value.column == 7 and "no numbers here" in str(raised.value)
