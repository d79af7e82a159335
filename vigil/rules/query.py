"""The query language, in the media-monitoring convention, parsed by a real grammar (lark).

    "Bayraktar TB2" OR (drone* AND Turk*)        phrases, wildcards, AND / OR / NOT, groups
    Minsk NEAR/3 (agreement* OR accord*)         within 3 words of each other
    title:Erdogan  body:mediat*                  only in the title, only in the body
    sentence:(@RUS AND reject* AND @TUR)         all inside one sentence (or paragraph:)
    case:TB2  ~mediate  /Su-?2[457]/             case-sensitive, same stem, RE2 regex
    @TUR  @RUSGOV                                an actor (optionally with its role)

Adjacent clauses without an operator are joined by AND. Operators are upper case; ``or`` in
lower case is a word. NOT binds tighter than NEAR, NEAR tighter than AND, AND tighter than OR.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast

import re2
from lark import Lark, Token, Transformer, UnexpectedInput, v_args
from lark.exceptions import VisitError

from vigil.errors import QueryError, TermError
from vigil.rules.terms import Term

GRAMMAR = r"""
?start: or_expr
?or_expr: and_expr (_OR and_expr)*
?and_expr: not_expr (_AND? not_expr)*
?not_expr: _NOT not_expr -> negation
         | near_expr
?near_expr: primary (NEAR primary)*
?primary: "(" or_expr ")"
        | SCOPE primary -> scoped
        | CASE (WORD | PHRASE) -> case_term
        | PHRASE -> phrase
        | ACTOR -> actor
        | REGEX -> regex
        | WORD -> word

_OR.3: /OR(?![^\s()"])/
_AND.3: /AND(?![^\s()"])/
_NOT.3: /NOT(?![^\s()"])/
NEAR.3: /NEAR\/[0-9]+(?![^\s()"])/
SCOPE.3: /(title|body|sentence|paragraph):/
CASE.3: /case:/
ACTOR.2: /@[A-Z]{3}([A-Z]{3})?(?![^\s()"])/
REGEX.2: /\/(?:[^\/\\\n]|\\.)+\//
PHRASE: /"[^"\n]*"/
WORD: /[^\s()"\/@:][^\s()":]*/

%import common.WS
%ignore WS
"""


# -- the syntax tree ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TermNode:
    term: Term


@dataclass(frozen=True, slots=True)
class ActorNode:
    code: str  # TUR, or TURGOV with a role


@dataclass(frozen=True, slots=True)
class RegexNode:
    pattern: str


@dataclass(frozen=True, slots=True)
class AndNode:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class OrNode:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class NotNode:
    child: Node


@dataclass(frozen=True, slots=True)
class NearNode:
    left: Node
    right: Node
    distance: int


@dataclass(frozen=True, slots=True)
class ScopeNode:
    scope: str  # title | body | sentence | paragraph
    child: Node


Node = TermNode | ActorNode | RegexNode | AndNode | OrNode | NotNode | NearNode | ScopeNode


def locatable(node: Node) -> bool:
    """Whether the node stands for places in the text, so NEAR can measure between them."""
    if isinstance(node, TermNode | ActorNode | RegexNode):
        return True
    return isinstance(node, OrNode) and all(locatable(child) for child in node.children)


def query_text(node: Node) -> str:
    """The node written back in the query syntax (for explanations)."""
    match node:
        case TermNode(term):
            return str(term)
        case ActorNode(code):
            return f"@{code}"
        case RegexNode(pattern):
            return f"/{pattern}/"
        case AndNode(children):
            return " AND ".join(_grouped(child) for child in children)
        case OrNode(children):
            return " OR ".join(_grouped(child) for child in children)
        case NotNode(child):
            return f"NOT {_grouped(child)}"
        case NearNode(left, right, distance):
            return f"{_grouped(left)} NEAR/{distance} {_grouped(right)}"
        case ScopeNode(scope, child):
            return f"{scope}:{_grouped(child)}"
    raise TypeError(node)


def _grouped(node: Node) -> str:
    text = query_text(node)
    return f"({text})" if isinstance(node, AndNode | OrNode | NearNode) else text


# -- parsing -----------------------------------------------------------------------------

# The basic lexer reads OR, AND, NOT and NEAR/n as operators wherever they stand, so a query
# that starts with one is an error, not a search for the word "OR".
_PARSER = Lark(GRAMMAR, parser="lalr", lexer="basic", maybe_placeholders=False)


@v_args(inline=True)
class _Build(Transformer[Token, Node | Token]):
    def word(self, token: Token) -> TermNode:
        return TermNode(_term(str(token), token))

    def phrase(self, token: Token) -> TermNode:
        return TermNode(_term(str(token)[1:-1], token))

    def case_term(self, _case: Token, token: Token) -> TermNode:
        text = str(token)[1:-1] if token.type == "PHRASE" else str(token)
        return TermNode(_term(text, token, case_sensitive=True))

    def actor(self, token: Token) -> ActorNode:
        return ActorNode(str(token)[1:])

    def regex(self, token: Token) -> RegexNode:
        pattern = str(token)[1:-1].replace("\\/", "/")
        problem = regex_problem(pattern)
        if problem:
            raise QueryError(f"regex /{pattern}/: {problem}", token.column)
        return RegexNode(pattern)

    def negation(self, child: Node) -> NotNode:
        return NotNode(child)

    def scoped(self, scope: Token, child: Node) -> ScopeNode:
        return ScopeNode(str(scope)[:-1], child)

    def or_expr(self, *children: Node) -> OrNode:
        return OrNode(tuple(children))

    def and_expr(self, *children: Node) -> AndNode:
        return AndNode(tuple(children))

    def near_expr(self, node: Node, *parts: Node | Token) -> Node:
        for index in range(0, len(parts), 2):
            operator, right = parts[index], parts[index + 1]
            assert isinstance(operator, Token) and not isinstance(right, Token)
            distance = int(str(operator).split("/")[1])
            for side in (node, right):
                if not locatable(side):
                    raise QueryError(
                        f"{operator} needs words, phrases, actors or OR-groups on both sides, "
                        f"not {query_text(side)!r}",
                        operator.column,
                    )
            node = NearNode(node, right, distance)
        return node


def _term(text: str, token: Token, *, case_sensitive: bool = False) -> Term:
    try:
        return Term.parse(text, case_sensitive=case_sensitive)
    except TermError as exc:
        raise QueryError(str(exc), token.column) from None


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


def parse_query(text: str) -> Node:
    """Parse ``text``; raise QueryError with a 1-based column and what was expected."""
    if not text.strip():
        raise QueryError("empty query", 1)
    _check_nesting(text)
    try:
        tree = _PARSER.parse(text)
    except UnexpectedInput as exc:
        raise QueryError(_describe(exc, text), exc.column if exc.column > 0 else None) from None
    except RecursionError:
        raise QueryError(f"the query nests too deeply (at most {MAX_NESTING} levels)") from None
    try:
        node = _Build().transform(tree)
    except RecursionError:
        raise QueryError(f"the query nests too deeply (at most {MAX_NESTING} levels)") from None
    except VisitError as exc:
        if isinstance(exc.orig_exc, QueryError):
            raise exc.orig_exc from None
        raise
    if isinstance(node, Token):  # a lone token the transformer had no rule for
        raise QueryError(f"unexpected {node!s}", node.column)
    if not has_positive(node):
        raise QueryError("a query must require at least one word, phrase, actor or regex")
    return node


def _describe(exc: UnexpectedInput, text: str) -> str:
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
        return (
            f"unknown scope {text[start : pos + 1]!r}: "
            "use title:, body:, sentence:, paragraph: or case:"
        )
    return f"unexpected character {char!r}"


def has_positive(node: Node) -> bool:
    """Whether the node can only be true because something is present (not only absent)."""
    match node:
        case TermNode() | ActorNode() | RegexNode() | NearNode():
            return True
        case NotNode():
            return False
        case ScopeNode(_, child):
            return has_positive(child)
        case AndNode(children):
            return any(has_positive(child) for child in children)
        case OrNode(children):
            return all(has_positive(child) for child in children)
    raise TypeError(node)


# RE2's compiled program size past which a regex is refused: linear time is still time, and
# /(\w+\W+){1000}\d/ (19,005 instructions) cost a minute more on a 1 MB article. The regexes
# of real rules are a few hundred at most; /(\w+\W+){20}\d/ is 385.
MAX_REGEX_PROGRAM = 2_000


def regex_problem(pattern: str) -> str | None:
    """Why ``pattern`` is refused (RE2 cannot run it, or it is too costly), or None."""
    try:
        compiled = compile_regex(pattern)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode(errors="replace")
        return f"not accepted by the linear-time RE2 engine ({reason})"
    if compiled.programsize > MAX_REGEX_PROGRAM:
        return (
            f"too costly: its compiled program has {compiled.programsize:,} instructions, more "
            f"than {MAX_REGEX_PROGRAM:,} (fewer or bounded repetitions, e.g. {{1,5}} not {{1000}})"
        )
    return None


def compile_regex(pattern: str) -> re2._Regexp[str]:
    """Compile with RE2, quietly: its C++ logging would write to stderr on every bad pattern."""
    options = re2.Options()
    options.log_errors = False
    return re2.compile(pattern, options)


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, depth first."""
    yield node
    match node:
        case AndNode(children) | OrNode(children):
            for child in children:
                yield from walk(child)
        case NotNode(child) | ScopeNode(_, child):
            yield from walk(child)
        case NearNode(left, right, _):
            yield from walk(left)
            yield from walk(right)
