"""The sentence splitter gives the same sentences as the look-behind regex it replaced."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from vigil.text import _ABBREVIATIONS, sentence_spans

_LOOK_BEHIND = re.compile(
    r"""(?<=[.!?])["'”’»)\]]*\s+(?=["'“‘«(\[]?[A-Z0-9\u00c0-\u024f\u0400-\u04ff])|\n+"""
)


def reference_spans(text: str) -> list[tuple[int, int]]:
    """The splitter as it was: a look-behind for the mark, every sentence stripped."""
    spans: list[tuple[int, int]] = []
    start = 0
    for boundary in _LOOK_BEHIND.finditer(text):
        cut = boundary.start()
        if text[cut - 1 : cut] == ".":
            before = text[max(start, cut - 12) : cut - 1].rsplit(None, 1)
            if before and before[-1].lower().lstrip("(\"'“‘") in _ABBREVIATIONS:
                continue
        spans.append((start, cut))
        start = boundary.end()
    spans.append((start, len(text)))
    trimmed = []
    for begin, end in spans:
        piece = text[begin:end]
        stripped = piece.strip()
        if stripped:
            lead = len(piece) - len(piece.lstrip())
            trimmed.append((begin + lead, begin + lead + len(stripped)))
    return trimmed


PIECES = [".", "!", "?", "\n", "\n\n", " ", "  ", "\t", '"', "'", "”", "’", "»", ")", "]", "(", "["]
PIECES += ["“", "‘", "«", "A", "Putin", "a", "word", "1", "É", "Ж", "Mr", "dr", "U.S", "(Gen"]
PIECES += ["etc"]
PIECES += ["\u00a0", "\u2028", "x.y"]


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40))
def test_same_sentences_as_the_look_behind_splitter(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert sentence_spans(text) == reference_spans(text)


def test_abbreviation_before_a_line_break() -> None:
    for edge in ["\nMr.", "\n\nA dr.", "Mr.\n", "(Gen.\nX", "abcdef.\nX", "x\n Gen. Y"]:
        assert sentence_spans(edge) == reference_spans(edge)
    text = "Talks with dr.\nwho went on. Then Mr. Putin left."
    assert sentence_spans(text) == reference_spans(text)
    assert [text[a:b] for a, b in sentence_spans(text)] == [
        "Talks with dr.\nwho went on.",
        "Then Mr. Putin left.",
    ]
