"""Match articles against a RuleSet. Pure computation: no I/O, no store, no Prefect.

Each distinct term is compiled once per run and searched once per article, however many rules
share it; rules are then decided from those hits. Evidence is the sentence that best shows why a
rule matched, with the matched words as spans into the original text.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from vigil.article import Article
from vigil.rules.model import Rule, RuleSet
from vigil.rules.terms import compile_term
from vigil.text import FoldedText, fold, sentence_spans


@dataclass(frozen=True, slots=True)
class Hit:
    """One occurrence of a term (or an actor alias) as offsets into the article text."""

    term: str
    start: int
    end: int
    actor: str | None = None


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

    def evidence_segments(self) -> list[tuple[str, bool]]:
        return highlight_segments(self.evidence, self.highlights)


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


class Matcher:
    """A RuleSet compiled for matching; build once per run, reuse for every article."""

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        self._patterns: dict[str, re.Pattern[str]] = {}
        for rule in ruleset.rules:
            for term in (*rule.any, *rule.all, *rule.none):
                self._patterns.setdefault(term, compile_term(term))
        self._actor_patterns = {
            code: [(alias, compile_term(alias)) for alias in actor.aliases]
            for code, actor in ruleset.actors.items()
        }

    def match(self, article: Article) -> list[Match]:
        """Every rule the article satisfies, in rule order."""
        text = article.text
        folded = fold(text)
        term_hits = {term: _find(pattern, term, folded) for term, pattern in self._patterns.items()}
        actor_hits = self._actor_hits(folded)
        sentences = sentence_spans(text)
        matches = []
        for rule in self.ruleset.rules:
            found = self._decide(rule, term_hits, actor_hits, sentences)
            if found is not None:
                matches.append(_evidence(rule, text, found, actor_hits, sentences))
        return matches

    def match_many(self, articles: Iterable[Article]) -> Iterable[tuple[Article, list[Match]]]:
        for article in articles:
            yield article, self.match(article)

    def _actor_hits(self, folded: FoldedText) -> dict[str, list[Hit]]:
        hits: dict[str, list[Hit]] = {}
        for code, aliases in self._actor_patterns.items():
            found = [
                hit for alias, pattern in aliases for hit in _find(pattern, alias, folded, code)
            ]
            if found:
                hits[code] = found
        return hits

    def _decide(
        self,
        rule: Rule,
        term_hits: dict[str, list[Hit]],
        actor_hits: dict[str, list[Hit]],
        sentences: list[tuple[int, int]],
    ) -> list[Hit] | None:
        """The hits that make ``rule`` match, or None when it does not."""
        if any(term_hits[term] for term in rule.none):
            return None
        if not all(term_hits[term] for term in rule.all):
            return None
        if not all(code in actor_hits for code in rule.actors):
            return None
        any_hits = [hit for term in rule.any for hit in term_hits[term]]
        if rule.any and not any_hits:
            return None
        hits = any_hits + [hit for term in rule.all for hit in term_hits[term]]
        actor_found = [hit for code in rule.actors for hit in actor_hits[code]]
        if rule.same_sentence and rule.any:
            for start, end in sentences:
                inside = [h for h in hits if start <= h.start < end]
                if not any(h.term in rule.any for h in inside):
                    continue
                if all(
                    any(start <= h.start < end for h in actor_hits[code]) for code in rule.actors
                ):
                    return inside + [h for h in actor_found if start <= h.start < end]
            return None
        return hits + actor_found


def _find(
    pattern: re.Pattern[str], term: str, folded: FoldedText, actor: str | None = None
) -> list[Hit]:
    hits = []
    for found in pattern.finditer(folded.folded):
        start, end = folded.span_in_original(found.start(), found.end())
        hits.append(Hit(term, start, end, actor))
    return hits


def _evidence(
    rule: Rule,
    text: str,
    hits: list[Hit],
    actor_hits: dict[str, list[Hit]],
    sentences: list[tuple[int, int]],
) -> Match:
    """Pick the sentence with the most distinct matched terms and actors as the evidence."""
    by_sentence: dict[tuple[int, int], list[Hit]] = defaultdict(list)
    for hit in hits:
        span = _sentence_of(hit, sentences)
        if span is not None:
            by_sentence[span].append(hit)

    def weight(span: tuple[int, int]) -> tuple[bool, int, int]:
        inside = by_sentence[span]
        terms = {h.term for h in inside if h.actor is None}
        actors = {h.actor for h in inside if h.actor is not None}
        return (bool(terms), len(terms) + len(actors), -span[0])

    start, end = max(by_sentence, key=weight) if by_sentence else (0, min(len(text), 300))
    inside = by_sentence.get((start, end), [])
    highlights = _merge([(h.start - start, min(h.end, end) - start) for h in inside])
    mentioned = sorted(
        (min(h.start for h in found if start <= h.start < end), code)
        for code, found in actor_hits.items()
        if any(start <= h.start < end for h in found)
    )
    terms = tuple(dict.fromkeys(h.term for h in hits if h.actor is None))
    return Match(
        rule_id=rule.id,
        evidence=text[start:end],
        highlights=tuple(highlights),
        terms=terms,
        actors=tuple(code for _, code in mentioned),
        score=len(terms) + 0.5 * len({h.actor for h in hits if h.actor}),
    )


def _sentence_of(hit: Hit, sentences: list[tuple[int, int]]) -> tuple[int, int] | None:
    for span in sentences:
        if span[0] <= hit.start < span[1]:
            return span
    return None


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
