"""Terms as analysts write them, compiled to patterns over folded text.

A term is a word or phrase. Matching is case- and diacritic-insensitive and respects word
boundaries; a trailing ``*`` stands for any word ending (``mediat*``); spaces match any run of
spaces or hyphens, and a hyphen in a term is optional (``TB-2`` matches ``TB2`` and ``TB 2``).
"""

from __future__ import annotations

import re

from vigil.text import fold_term

_WORD_CHARS = re.compile(r"[^\s\-*]+")


def term_problem(term: str) -> str | None:
    """Why ``term`` cannot be used, or None."""
    if not term.strip():
        return "empty term"
    stripped = term.strip()
    if "*" in stripped.rstrip("*") or stripped.endswith("**"):
        return f"term {term!r}: '*' is only allowed once, at the end of a word"
    if stripped == "*" or not _WORD_CHARS.search(stripped):
        return f"term {term!r} has no letters or digits to match"
    return None


def compile_term(term: str) -> re.Pattern[str]:
    """Regular expression matching ``term`` in text folded by :func:`vigil.text.fold`."""
    folded = fold_term(term.strip())
    wildcard = folded.endswith("*")
    words = folded.rstrip("*").split()
    parts = []
    for word in words:
        pieces = [re.escape(piece) for piece in word.split("-") if piece]
        parts.append(r"[\-\s]?".join(pieces))
    pattern = r"[\s\-]+".join(parts)
    ending = r"\w*" if wildcard else ""
    return re.compile(rf"(?<!\w){pattern}{ending}(?!\w)")
