"""Terms as analysts write them, and how each is found in folded text.

A term is a word or phrase. Matching ignores case and diacritics and respects word boundaries.
``*`` at the end of the last word stands for any ending (``mediat*``); ``~word`` finds any word
with the same Snowball stem (mediate, mediation, mediating); ``case:`` makes a term
case-sensitive (``case:TB2`` does not find "tb2"). Hyphens and spaces are interchangeable, and a
hyphen or a letter–digit joint may also be left out: ``TB2``, ``TB-2`` and ``TB 2`` are one term.
"""

from __future__ import annotations

import itertools
import re
from functools import cache
from typing import NamedTuple, Protocol

import snowballstemmer

from vigil.errors import TermError
from vigil.text import fold_term, normalise_text

MAX_VARIANTS = 16
_WORD = re.compile(r"\w")
_JOINT = re.compile(r"(?<=[^\W\d_]) ?(?=\d)|(?<=\d) ?(?=[^\W\d_])")


class Term(NamedTuple):
    """One searchable term; equal terms in different rules are searched once.

    A named tuple rather than a dataclass: terms key every hit table of a run, hundreds of
    thousands of look-ups per megabyte, and a tuple's hash and equality run in C.
    """

    text: str
    wildcard: bool = False
    stem: bool = False
    case_sensitive: bool = False

    @classmethod
    def parse(cls, raw: str, *, case_sensitive: bool = False) -> Term:
        """Read the term syntax (``word``, ``phrase words``, ``mediat*``, ``~mediate``)."""
        text = normalise_text(raw).strip()
        stem = text.startswith("~")
        if stem:
            text = text[1:].strip()
        wildcard = text.endswith("*")
        core = text.rstrip("*") if wildcard else text
        if not core.strip():
            raise TermError(f"term {raw!r} has no letters or digits to match")
        if "*" in core:
            raise TermError(f"term {raw!r}: '*' is only allowed once, at the end of the last word")
        if not _WORD.search(core):
            raise TermError(f"term {raw!r} has no letters or digits to match")
        if stem and (wildcard or " " in core.strip()):
            raise TermError(f"term {raw!r}: '~' (same stem) takes one word without '*'")
        if wildcard and not _WORD.match(core[-1]):
            raise TermError(f"term {raw!r}: '*' must follow a letter or digit")
        return cls(core.strip(), wildcard, stem, case_sensitive)

    def __str__(self) -> str:
        text = ("~" if self.stem else "") + self.text + ("*" if self.wildcard else "")
        if " " in text:
            text = f'"{text}"'
        return f"case:{text}" if self.case_sensitive else text

    @property
    def folded(self) -> str:
        return fold_term(self.text)

    def patterns(self) -> tuple[str, ...]:
        """The literal strings to look for in folded text (before boundary checks)."""
        if self.stem:
            return (stem_of(self.folded),)
        return joint_variants(self.folded)

    def case_forms(self) -> frozenset[str]:
        """For case-sensitive terms: the accepted spellings, hyphens read as spaces."""
        return frozenset(joint_variants(normalise_text(self.text).replace("-", " ")))


def joint_variants(folded: str) -> tuple[str, ...]:
    """``folded`` with each letter–digit joint both closed up and spaced ("tb2", "tb 2").

    Spaces between two words of letters stay: closing them up would make a new word.
    """
    joints = list(_JOINT.finditer(folded))
    if not joints:
        return (folded,)
    variants: list[str] = []
    for choice in itertools.product(("", " "), repeat=len(joints)):
        pieces, last = [], 0
        for joint, filler in zip(joints, choice, strict=True):
            pieces += [folded[last : joint.start()], filler]
            last = joint.end()
        pieces.append(folded[last:])
        variants.append("".join(pieces))
        if len(variants) >= MAX_VARIANTS:
            break
    return tuple(dict.fromkeys(variants))


class _Stemmer(Protocol):
    """What vigil uses of a snowballstemmer stemmer (the package has no types)."""

    def stemWord(self, word: str) -> str: ...


@cache
def _stemmer() -> _Stemmer:
    stemmer: _Stemmer = snowballstemmer.stemmer("english")
    return stemmer


def stem_of(word: str) -> str:
    """The Snowball (English) stem of a folded word."""
    return _stemmer().stemWord(word)
