"""The query language, in the media-monitoring convention, parsed by a real grammar (lark).

    "Bayraktar TB2" OR (drone* AND Turk*)        phrases, wildcards, AND / OR / NOT, groups
    Minsk NEAR/3 (agreement* OR accord*)         within 3 words of each other
    title:Erdogan  body:mediat*                  only in the title, only in the body
    sentence:(@RUS AND reject* AND @TUR)         all inside one sentence (or paragraph:)
    case:TB2  ~mediate  /Su-?2[457]/             case-sensitive, same stem, RE2 regex
    @TUR  @RUSGOV                                an actor (optionally with its role)

Adjacent clauses without an operator are joined by AND. Operators are upper case; ``or`` in
lower case is a word. NOT binds tighter than NEAR, NEAR tighter than AND, AND tighter than OR.

The grammar is assembled from the operators of :mod:`vigil.rules.operators`, each of which
brings its own piece of it and builds its own nodes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, cast

from lark import Lark, Token, Transformer, UnexpectedInput, v_args
from lark.exceptions import VisitError

from vigil.errors import QueryError
from vigil.rules.operators import operators
from vigil.rules.operators.actor import ActorNode
from vigil.rules.operators.base import Node, Syntax, walk
from vigil.rules.operators.logic import AndNode, NotNode, OrNode
from vigil.rules.operators.near import NearNode
from vigil.rules.operators.regex import RegexNode
from vigil.rules.operators.scope import ScopeNode
from vigil.rules.operators.term import TermNode

__all__ = [
    "ActorNode",
    "AndNode",
    "NearNode",
    "Node",
    "NotNode",
    "OrNode",
    "QueryParser",
    "RegexNode",
    "ScopeNode",
    "TermNode",
    "has_positive",
    "locatable",
    "parse_query",
    "query_text",
    "walk",
]


def locatable(node: Node) -> bool:
    """Whether the node stands for places in the text, so NEAR can measure between them."""
    return node.locatable()


def query_text(node: Node) -> str:
    """The node written back in the query syntax (for explanations)."""
    return node.query_text()


def has_positive(node: Node) -> bool:
    """Whether the node can only be true because something is present (not only absent)."""
    return node.positive()


# -- the grammar, from the operators -----------------------------------------------------


def grammar(syntaxes: Iterable[Syntax]) -> str:
    """The lark grammar of these pieces: operator levels loosest first, then the clauses."""
    pieces = list(syntaxes)
    levels = sorted((s for s in pieces if s.binds is not None), key=lambda s: s.binds or 0)
    names = [s.name or f"level{s.binds}" for s in levels] + ["primary"]
    lines = [f"?start: {names[0]}"]
    for index, level in enumerate(levels):
        rule = level.rule.format(self=names[index], next=names[index + 1], top=names[0])
        lines.append(f"?{names[index]}: {rule}")
    clauses = [f'"(" {names[0]} ")"']
    clauses += [s.rule.format(top=names[0]) for s in pieces if s.binds is None]
    lines.append("?primary: " + "\n        | ".join(clauses))
    lines += [terminal for s in pieces for terminal in s.terminals]
    lines += ["%import common.WS", "%ignore WS"]
    return "\n".join(lines) + "\n"


def _callback(build: Callable[..., Any]) -> Callable[..., Any]:
    def method(_self: object, *children: Any) -> Any:
        return build(*children)

    return method


class QueryParser:
    """A parser for the query language of these operators (every operator by default)."""

    def __init__(self, kinds: Iterable[type[Node]] | None = None) -> None:
        syntaxes = [s for kind in (operators() if kinds is None else kinds) for s in kind.syntax]
        self.grammar = grammar(syntaxes)
        self.keywords = tuple(k for s in syntaxes for k in s.keywords)
        # The basic lexer reads OR, AND, NOT and NEAR/n as operators wherever they stand, so a
        # query that starts with one is an error, not a search for the word "OR".
        self._lark = Lark(self.grammar, parser="lalr", lexer="basic", maybe_placeholders=False)
        callbacks = {name: _callback(b) for s in syntaxes for name, b in s.callbacks.items()}
        self._build = v_args(inline=True)(type("Build", (Transformer,), callbacks))

    def parse(self, text: str) -> Node:
        """Parse ``text``; raise QueryError with a 1-based column and what was expected."""
        if not text.strip():
            raise QueryError("empty query", 1)
        _check_nesting(text)
        try:
            tree = self._lark.parse(text)
        except UnexpectedInput as exc:
            column = exc.column if exc.column > 0 else None
            raise QueryError(_describe(exc, text, self.keywords), column) from None
        except RecursionError:
            raise QueryError(_TOO_DEEP) from None
        try:
            node = self._build().transform(tree)
        except RecursionError:
            raise QueryError(_TOO_DEEP) from None
        except VisitError as exc:
            if isinstance(exc.orig_exc, QueryError):
                raise exc.orig_exc from None
            raise
        if isinstance(node, Token):  # a lone token the transformer had no rule for
            raise QueryError(f"unexpected {node!s}", node.column)
        assert isinstance(node, Node)
        if not node.positive():
            raise QueryError("a query must require at least one word, phrase, actor or regex")
        return node


MAX_NESTING = 32  # parentheses (and NOTs in a row) a query may nest: far past any real rule
_QUERY_TOKEN = re.compile(r'"[^"]*"|/(?:[^/\\]|\\.)*/|[()]|[^\s()"/]+')


def _check_nesting(text: str) -> None:
    """Refuse, at its column, a query nested deeper than MAX_NESTING: 333 nested ``(a OR …)``
    or 494 NOTs would otherwise exhaust Python's stack in the parser or the matcher."""
    depth, nots = 0, 0
    for found in _QUERY_TOKEN.finditer(text):
        token = found.group()
        if token == "(":
            depth, nots = depth + 1, 0
        elif token == ")":
            depth, nots = max(0, depth - 1), 0
        elif token == "NOT":
            nots += 1
        else:
            nots = 0  # a word, a phrase or a regex ends a run of NOTs
        if depth > MAX_NESTING or nots > MAX_NESTING:
            what = "parentheses" if depth > MAX_NESTING else "NOTs in a row"
            raise QueryError(
                f"{what} nest more than {MAX_NESTING} deep; split the rule", found.start() + 1
            )


_TOO_DEEP = f"the query nests too deeply (at most {MAX_NESTING} levels)"
_DEFAULT: QueryParser | None = None


def parse_query(text: str) -> Node:
    """Parse ``text`` with every operator; raise QueryError with a 1-based column."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = QueryParser()
    return _DEFAULT.parse(text)


def _describe(exc: UnexpectedInput, text: str, keywords: tuple[str, ...]) -> str:
    token = getattr(exc, "token", None)
    if token is not None and getattr(token, "type", "") == "$END":
        return "the query ends too early (an operator without its right side, or a '(' not closed)"
    if token is not None:
        value = str(token)
        if value == ")":
            return "')' without a matching '('"
        if token.type in {"_OR", "_AND", "NEAR"}:
            return f"{value} without a left side"
        return f"unexpected {value!r}"
    char = getattr(exc, "char", None)
    if char == '"':
        return "a '\"' that is never closed"
    if char == ":":
        # An UnexpectedCharacters, whose pos_in_stream is the offset (lark declares it None).
        pos = cast(int, exc.pos_in_stream)
        start = text.rfind(" ", 0, pos) + 1
        known = ", ".join(keywords[:-1]) + f" or {keywords[-1]}" if keywords else "none"
        return f"unknown scope {text[start : pos + 1]!r}: use {known}"
    return f"unexpected character {char!r}"
