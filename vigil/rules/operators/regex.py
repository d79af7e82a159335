"""Regular expressions, on the linear-time RE2 engine: ``/Su-?2[457]/``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import re2
from lark import Token

from vigil.errors import QueryError
from vigil.rules.operators.base import (
    Evaluator,
    Key,
    LeafHits,
    Node,
    Syntax,
    WordsOf,
    within,
)
from vigil.rules.regex_words import regex_words
from vigil.rules.scanner import Span
from vigil.words import WordQuery

if TYPE_CHECKING:
    from vigil.rules.document import Document

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


def _regex(token: Token) -> RegexNode:
    pattern = str(token)[1:-1].replace("\\/", "/")
    problem = regex_problem(pattern)
    if problem:
        raise QueryError(f"regex /{pattern}/: {problem}", token.column)
    return RegexNode(pattern)


@dataclass(frozen=True, slots=True)
class RegexNode(Node):
    pattern: str

    syntax: ClassVar[tuple[Syntax, ...]] = (
        Syntax(
            "REGEX -> regex",
            {"regex": _regex},
            terminals=(r"REGEX.2: /\/(?:[^\/\\\n]|\\.)+\//",),
        ),
    )

    def query_text(self) -> str:
        return f"/{self.pattern}/"

    def locatable(self) -> bool:
        return True

    def necessary(self) -> list[frozenset[Key]] | None:
        return None  # the scanner does not see regexes: a rule with one is always tried

    def words(self, words_of: WordsOf) -> WordQuery | None:
        return regex_words(self.pattern)

    def evaluate(self, doc: Document, region: Span) -> list[Span] | None:
        return within(doc.regex_hits(self.pattern), region[0], region[1])

    def compile(self) -> Evaluator:
        pattern = self.pattern

        def evaluate_regex(doc: Document, lo: int, hi: int) -> list[Span] | None:
            return within(doc.regex_hits(pattern), lo, hi)

        return evaluate_regex

    def leaf_hits(self) -> LeafHits:
        regex = self.compile()
        return lambda doc, lo, hi: regex(doc, lo, hi) or ()
