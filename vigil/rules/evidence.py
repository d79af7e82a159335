"""The evidence of a match: the sentence that best shows why a rule matched, and the words
and actors in it to highlight."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from vigil.match import Match
from vigil.rules.document import Document
from vigil.rules.events import Event
from vigil.rules.model import Rule
from vigil.rules.scanner import Span

MAX_EVIDENCE_CHARS = 1_000  # the evidence a digest shows: a sentence, or this much around a hit


@dataclass(frozen=True, slots=True)
class Outcome:
    """A rule evaluated on a document: the supporting spans, or None when it failed."""

    spans: list[Span] | None
    event: Event | None = None


def evidence(rule: Rule, doc: Document, outcome: Outcome) -> Match:
    """Pick the sentence with the most distinct supporting words as the evidence."""
    spans = sorted(set(outcome.spans or []))
    text = doc.text
    if outcome.event is not None:
        best = outcome.event.sentence
    else:
        sentences = doc.sentences
        starts = doc.sentence_starts
        # Sentence index -> the spans that start in it; spans are sorted, so indexes ascend.
        by_sentence: dict[int, list[Span]] = {}
        for span in spans:
            index = bisect_right(starts, span[0]) - 1
            if index >= 0 and span[0] < sentences[index][1]:
                group = by_sentence.get(index)
                if group is None:
                    by_sentence[index] = [span]
                else:
                    group.append(span)
        if by_sentence:
            # Most distinct words; on a tie, the earliest sentence. Indexes ascend, and a
            # sentence with no more spans than the best count cannot beat it: most are skipped.
            chosen, most = -1, 0
            for index, group in by_sentence.items():
                if len(group) <= most:
                    continue
                count = len({text[a:b].lower() for a, b in group}) if len(group) > 1 else 1
                if count > most:
                    chosen, most = index, count
            best = sentences[chosen]
        else:
            best = sentences[0] if sentences else (0, min(len(text), 300))
    start, end = best
    if end - start > MAX_EVIDENCE_CHARS:  # a "sentence" with no end: the window around a hit
        first_hit = min((a for a, _ in spans if start <= a < end), default=start)
        start = max(start, first_hit - MAX_EVIDENCE_CHARS // 4)
        end = start + MAX_EVIDENCE_CHARS
    inside = [(a - start, min(b, end) - start) for a, b in spans if start <= a < end]
    highlights = merge_spans(inside)
    words = tuple(dict.fromkeys([text[a:b] for a, b in spans]))
    actors_here = []
    for code, mention_starts in doc.actor_starts:
        index = bisect_left(mention_starts, start)
        if index < len(mention_starts) and mention_starts[index] < end:
            actors_here.append((mention_starts[index], code))
    event = outcome.event
    return Match(
        rule_id=rule.id,
        evidence=text[start:end],
        highlights=tuple(highlights),
        terms=words,
        actors=tuple(code for _, code in sorted(actors_here)),
        score=len({w.lower() for w in words}) + (2.0 if event else 0.0),
        source=event.source.code if event and event.source else None,
        target=event.target.code if event and event.target else None,
    )


def merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
