"""A match: why a rule matched an article. The record every stage shares (matcher, store,
digest), so it lives beside :class:`vigil.article.Article`, not inside the matcher."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Match:
    """Why ``rule_id`` matched an article: the evidence sentence and what in it matched."""

    rule_id: str
    evidence: str
    # (start, end) offsets into ``evidence`` of the words to highlight, sorted, not overlapping.
    highlights: tuple[tuple[int, int], ...]
    terms: tuple[str, ...]
    actors: tuple[str, ...]
    score: float
    # For event rules: the actor codes found as source and target ("RUS", "TUR").
    source: str | None = None
    target: str | None = None

    def evidence_segments(self) -> list[tuple[str, bool]]:
        return highlight_segments(self.evidence, self.highlights)

    @property
    def direction(self) -> str | None:
        if self.source is None and self.target is None:
            return None
        return f"{self.source or '?'} → {self.target or '?'}"


def highlight_segments(text: str, highlights: Sequence[tuple[int, int]]) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, highlighted) pairs, for templates to wrap in ``<mark>``."""
    segments, cursor = [], 0
    for start, end in highlights:
        if start > cursor:
            segments.append((text[cursor:start], False))
        segments.append((text[start:end], True))
        cursor = end
    if cursor < len(text):
        segments.append((text[cursor:], False))
    return segments
