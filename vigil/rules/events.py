"""Who did what to whom, within one sentence, by word order and a few grammatical cues.

Co-occurrence is not enough: in "Why Putin rejected Erdogan's offer to mediate over Ukraine"
the source is RUS (the subject before the verb), the target TUR (the possessor of the object
after it), and Ukraine is the topic (after "over"), not a target. The rules here, in the spirit
of PETRARCH-style coders but without a parser:

- **source**: the actor mentioned last before the action word in the same clause; in the
  passive ("… was rejected by the Kremlin") the actor after "by";
- **target**: the first actor after the action word, in the same clause, that is not the
  source and not introduced by a topic preposition (over, about, on, in, regarding…); in the
  passive, the subject before the verb;
- a clause ends at ";", ":" and at conjunctions such as "but", "while", "whereas".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vigil.rules.document import Document
from vigil.rules.model import Action
from vigil.rules.scanner import Span

TOPIC_PREPOSITIONS = frozenset(
    {"over", "about", "on", "in", "regarding", "concerning", "into", "at", "of", "for", "between"}
)
PASSIVE_AUXILIARIES = frozenset({"was", "were", "been", "being", "is", "are", "be", "got"})
_CLAUSE_BREAK = re.compile(r"[;:]|\b(?:but|while|whereas|although|though|however)\b", re.I)
_WORD_BEFORE = re.compile(r"(\w+)\W*$")
_WORD_AFTER = re.compile(r"^\W*(\w+)")


@dataclass(frozen=True, slots=True)
class Mention:
    start: int
    end: int
    code: str  # country code: TUR
    role: str | None  # GOV, MIL… when the name says so
    adjective: bool = False  # "Turkish" rather than "Turkey"

    def satisfies(self, wanted: str) -> bool:
        """``wanted`` is a code (TUR) or a code with a role (TURGOV)."""
        if len(wanted) == 3:
            return self.code == wanted
        return self.code == wanted[:3] and self.role == wanted[3:]


@dataclass(frozen=True, slots=True)
class Event:
    action: str
    trigger: Span
    source: Mention | None
    target: Mention | None
    sentence: Span
    clause: Span

    @property
    def direction(self) -> str:
        source = self.source.code if self.source else "?"
        target = self.target.code if self.target else "?"
        return f"{source} → {target}"

    @property
    def spans(self) -> list[Span]:
        found = [self.trigger]
        found += [(m.start, m.end) for m in (self.source, self.target) if m is not None]
        return found


def mentions(doc: Document) -> list[Mention]:
    """Every actor mention in text order; overlapping names ("Dmitry Peskov", "Peskov") once."""
    found = [
        Mention(
            start,
            end,
            code,
            doc.mention_roles.get((start, end)),
            (start, end) in doc.adjective_mentions,
        )
        for code, spans in doc.actor_hits.items()
        for start, end in spans
    ]
    found.sort(key=lambda m: (m.start, -(m.end - m.start)))
    merged: list[Mention] = []
    for mention in found:
        if merged and mention.start < merged[-1].end:
            continue
        merged.append(mention)
    return merged


def find_events(
    doc: Document, action: Action, trigger_spans: list[Span], people: list[Mention]
) -> list[Event]:
    """Every occurrence of ``action`` with its source and target, sentence by sentence."""
    events = []
    for trigger in trigger_spans:
        sentence = doc.sentence_of(trigger[0])
        if sentence is None:
            continue
        clause = _clause(doc.text, sentence, trigger)
        before = [m for m in people if clause[0] <= m.start and m.end <= trigger[0]]
        after = [m for m in people if trigger[1] <= m.start and m.end <= clause[1]]
        if _is_passive(doc.text, trigger):
            # "The drones were supplied to Ukraine by Turkey": by → source, to → target,
            # else the subject before the verb is what was acted upon.
            source = next((m for m in after if "by" in _words_before(doc.text, m.start, 3)), None)
            recipient = next((m for m in after if _word_before(doc.text, m.start) == "to"), None)
            subject = before[-1] if before else None
            target = recipient or subject
            if target is not None and source is not None and target.code == source.code:
                target = None
        else:
            source = _last_not_topic(doc.text, before)
            target = _first_target(doc.text, after, source)
        events.append(Event(action.name, trigger, source, target, sentence, clause))
    return events


def _first_target(text: str, after: list[Mention], source: Mention | None) -> Mention | None:
    """The first actor after the verb that is neither the source nor a topic.

    A name after a topic preposition is the topic ("over Ukraine"), and so is a name joined to
    one by "and" or "or" ("between Russia and Ukraine"); an adjective after one still points at
    whose thing it is ("the idea of Turkish mediation").
    """
    in_topic = False
    previous_end = None
    for mention in after:
        word = _word_before(text, mention.start)
        joined = previous_end is not None and text[previous_end : mention.start].strip(" ,") in {
            "and",
            "or",
            "",
        }
        if word in TOPIC_PREPOSITIONS and not mention.adjective:
            in_topic = True
        elif not (in_topic and joined):
            in_topic = False
        previous_end = mention.end
        if in_topic or (source is not None and mention.code == source.code):
            continue
        return mention
    return None


def _clause(text: str, sentence: Span, trigger: Span) -> Span:
    start, end = sentence
    for found in _CLAUSE_BREAK.finditer(text, start, end):
        if found.end() <= trigger[0]:
            start = found.end()
        elif found.start() >= trigger[1]:
            end = found.start()
            break
    return start, end


def _last_not_topic(text: str, before: list[Mention]) -> Mention | None:
    for mention in reversed(before):
        if _word_before(text, mention.start) not in TOPIC_PREPOSITIONS:
            return mention
    return None


def _word_before(text: str, offset: int) -> str:
    found = _WORD_BEFORE.search(text, max(0, offset - 40), offset)
    return found.group(1).lower() if found else ""


def _words_before(text: str, offset: int, count: int) -> list[str]:
    """The ``count`` words before ``offset`` ("by the Kremlin": by, the)."""
    return [w.lower() for w in re.findall(r"\w+", text[max(0, offset - 60) : offset])][-count:]


def _is_passive(text: str, trigger: Span) -> bool:
    if _word_before(text, trigger[0]) not in PASSIVE_AUXILIARIES:
        return False
    participle = text[trigger[0] : trigger[1] + 1]
    return bool(_PARTICIPLE.match(participle))


_PARTICIPLE = re.compile(
    r"\w+ed\b|\w+en\b|(?:sold|sent|given|bought|brought|made|told|shown|held|kept|lent|dealt"
    r"|struck|thrown|driven|spurned|rebuffed)\b",
    re.I,
)
