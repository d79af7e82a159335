"""Which word a regex cannot match without: ``/\\bTB[-‐‑ ]?[23]s?\\b/`` needs a word that
begins with ``tb``, so the word index can leave out every item without one.

The pattern is read with the parser of Python's ``re`` (``re._parser``, an internal module:
RE2, which runs the regexes, has no parser to ask). Only what both engines read the same way
is used: a literal right after ``\\b`` or ``^``, in the pattern or in each branch of an
alternation at its start. Anything else, a pattern ``re`` reads differently or cannot read,
says nothing (None), which is always safe.
"""

from __future__ import annotations

import re._parser as sre_parse  # type: ignore[import-not-found]
from functools import cache
from re._constants import (  # type: ignore[import-not-found]
    AT,
    AT_BEGINNING,
    AT_BEGINNING_STRING,
    AT_BOUNDARY,
    BRANCH,
    LITERAL,
    SUBPATTERN,
)
from typing import Any

from vigil.words import WordQuery, any_of, leading_word

_WORD_STARTS = (AT_BEGINNING, AT_BEGINNING_STRING, AT_BOUNDARY)


@cache
def regex_words(pattern: str) -> WordQuery | None:
    """The words an item must hold for ``pattern`` to match in it, or None."""
    try:
        parsed = sre_parse.parse(pattern)
    except Exception:  # RE2 syntax that re does not know (\\pL, \\Q…\\E, …): say nothing
        return None
    return _leading(list(parsed), at_word_start=False)


def _leading(items: list[tuple[Any, Any]], *, at_word_start: bool) -> WordQuery | None:
    for position, (op, value) in enumerate(items):
        if op is AT and value in _WORD_STARTS:
            at_word_start = True
            continue
        if op is LITERAL and at_word_start:
            literal = "".join(chr(v) for _, v in _while_literal(items[position:]))
            return leading_word(literal)
        if op is BRANCH:
            _, branches = value
            rest = items[position + 1 :]
            return any_of(
                _leading(list(branch) + rest, at_word_start=at_word_start) for branch in branches
            )
        if op is SUBPATTERN:
            _group, add_flags, del_flags, inner = value
            if add_flags or del_flags:  # (?i:…), (?x:…): leave it to RE2
                return None
            return _leading(list(inner) + items[position + 1 :], at_word_start=at_word_start)
        return None
    return None


def _while_literal(items: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    taken = []
    for op, value in items:
        if op is not LITERAL:
            break
        taken.append((op, value))
    return taken
