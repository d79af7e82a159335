"""Match articles against a RuleSet. Pure computation: no I/O, no store, no Prefect.

One pass finds every term and actor name of every rule (:class:`TermScanner`); then only the
rules whose words occur are evaluated, on those hits. The cost grows with the text and the
hits, not with rules × text. Evidence is the sentence that best shows why a rule matched.
"""

from __future__ import annotations

import gc
import pickle
import time
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from vigil.article import Article
from vigil.match import Match
from vigil.rules import parallel
from vigil.rules.document import Document
from vigil.rules.events import Event, Mention, find_events, mentions
from vigil.rules.evidence import Outcome, evidence
from vigil.rules.model import Rule, RuleSet
from vigil.rules.operators.base import Evaluator, Key, anchor_cost
from vigil.rules.query import walk
from vigil.rules.scanner import Span, TermScanner
from vigil.rules.terms import Term

MATCH_BUDGET_SECONDS = 10.0


class Matcher:
    """A RuleSet compiled for matching; build once per run, reuse for every article."""

    def __init__(
        self, ruleset: RuleSet, *, budget: float = MATCH_BUDGET_SECONDS, helper: bool = True
    ) -> None:
        self.ruleset = ruleset
        # Seconds of rule evaluation one article may take; past it, the rest of its rules are
        # skipped and said so in ``warnings`` (a hostile article must not hang a run).
        self.budget = budget
        self.warnings: list[str] = []
        terms: list[Term] = []
        self._alias_owner: dict[Term, list[tuple[str, str | None, bool]]] = {}
        for actor in ruleset.actors.values():
            for alias in actor.aliases:
                terms.append(alias.term)
                owner = (actor.code, alias.role, alias.adjective)
                self._alias_owner.setdefault(alias.term, []).append(owner)
        self._triggers: dict[str, list[Term]] = {}
        self._place_owner: dict[Term, list[str]] = {}
        for actor in ruleset.actors.values():
            for place in actor.places:
                terms.append(place)
                self._place_owner.setdefault(place, []).append(actor.code)
        for action in ruleset.actions.values():
            self._triggers[action.name] = list(action.triggers)
            terms += action.triggers
        # A rule is evaluated only when the words it cannot do without all occur. Each rule is
        # filed under the keys of one such group (its "anchor", the rarest-looking); an article
        # then wakes only the rules filed under the words it contains.
        # Rules by their index in the rule set: candidates sorted by index come in rule order.
        self._always: list[int] = []
        self._by_key: dict[Key, list[int]] = {}
        self._plans: list[_Plan] = []
        for index, rule in enumerate(ruleset.rules):
            nodes = list(walk(rule.condition))
            if rule.event and rule.event.object is not None:
                nodes += list(walk(rule.event.object))
            terms += [term for node in nodes for term in node.scanned_terms()]
            groups = rule.condition.necessary()
            others: tuple[frozenset[Key], ...] = ()
            if groups is None or not groups:
                self._always.append(index)
            else:
                anchor = min(groups, key=anchor_cost)
                others = tuple(g for g in groups if g is not anchor)
                for key in anchor:
                    self._by_key.setdefault(key, []).append(index)
            event_object = (
                rule.event.object.compile()
                if rule.event is not None and rule.event.object is not None
                else None
            )
            self._plans.append(_Plan(rule, others, rule.condition.compile(), event_object))
        self._compiled = {plan.rule.id: plan for plan in self._plans}
        self.scanner = TermScanner(terms)
        self._helper: parallel.Helper | None = None
        # No helper process where the cores are already shared out (Dask workers).
        self._helper_broken = not helper

    def prepare(self, article: Article) -> Document:
        """Fold and scan the article once: every rule then works from these hits."""
        return self.prepare_many([article])[0]

    def prepare_many(self, articles: Sequence[Article]) -> list[Document]:
        """:meth:`prepare` for many articles, scanned together in batches (much faster)."""
        with _collector_paused():
            docs = [Document(article) for article in articles]
            folded = [doc.folded for doc in docs]
            for doc, hits in zip(docs, self.scanner.scan_many(folded), strict=True):
                self._attach(doc, hits)
            return docs

    def _attach(self, doc: Document, hits: dict[Term, list[Span]]) -> None:
        doc.term_hits = hits
        for term in hits.keys() & self._alias_owner.keys():
            spans = hits[term]
            for code, role, adjective in self._alias_owner[term]:
                doc.actor_hits.setdefault(code, []).extend(spans)
                if role:
                    for span in spans:
                        doc.mention_roles[span] = role
                if adjective:
                    doc.adjective_mentions.update(spans)
        for code, spans in doc.actor_hits.items():
            doc.actor_hits[code] = sorted(set(spans))
        for term in hits.keys() & self._place_owner.keys():
            for code in self._place_owner[term]:
                doc.place_hits.setdefault(code, []).extend(hits[term])
        for code, spans in doc.place_hits.items():
            doc.place_hits[code] = sorted(set(spans))

    def match(self, article: Article) -> list[Match]:
        """Every rule the article satisfies, in rule order."""
        return self.matches(self.prepare(article))

    def match_many(self, articles: Sequence[Article]) -> list[list[Match]]:
        """:meth:`match` for many articles; the scan is batched, the results are the same.

        A large batch is split with a helper process on another core (see
        :mod:`vigil.rules.parallel`); if the helper fails, this process matches it all.
        """
        if self._helper_broken or not parallel.worth_helping(articles):
            return self.match_here(articles)
        cut = parallel.halfway(articles)
        try:
            if self._helper is None:
                self._helper = parallel.Helper(self.ruleset, self.budget)
                weakref.finalize(self, self._helper.close)
            self._helper.send(articles[:cut])
        except (OSError, pickle.PicklingError):
            self._helper_broken = True
            return self.match_here(articles)
        mark = len(self.warnings)
        rest = self.match_here(articles[cut:])
        try:
            with _collector_paused():
                first, warnings = self._helper.receive()
                first_matches = [[Match(*fields) for fields in found] for found in first]
        except Exception:  # a dead helper: match its part here instead
            self._helper_broken = True
            return self.match_here(articles[:cut]) + rest
        self.warnings[mark:mark] = warnings  # in article order, as if matched here
        return first_matches + rest

    def match_here(self, articles: Sequence[Article]) -> list[list[Match]]:
        """:meth:`match_many` in this process only."""
        with _collector_paused():
            return [self.matches(doc) for doc in self.prepare_many(articles)]

    def matches(self, doc: Document) -> list[Match]:
        """Every rule a prepared document satisfies, in rule order."""
        present: set[Key] = set(doc.term_hits)
        if doc.actor_hits:
            present.update([f"@{code}" for code in doc.actor_hits])
        chosen: set[int] = set(self._always)
        by_key = self._by_key
        for key in present:
            indexes = by_key.get(key)
            if indexes is not None:
                chosen.update(indexes)
        found: list[Match] = []
        deadline = time.monotonic() + self.budget
        pending = sorted(chosen)
        plans = self._plans
        for position, index in enumerate(pending):
            plan = plans[index]
            if plan.others and any(present.isdisjoint(group) for group in plan.others):
                continue
            if time.monotonic() > deadline:
                skipped = [plans[i].rule.id for i in pending[position:]]
                self.warnings.append(
                    f"matching {doc.text[: doc.title_end][:60]!r} stopped after {self.budget:g} s; "
                    f"not evaluated: {', '.join(skipped)}"
                )
                break
            outcome = self._outcome(plan, doc)
            if outcome.spans is not None:
                found.append(evidence(plan.rule, doc, outcome))
        return found

    # -- evaluation ----------------------------------------------------------------------

    def evaluate_rule(self, rule: Rule, doc: Document) -> Outcome:
        plan = self._compiled.get(rule.id)
        if plan is None or plan.rule is not rule:  # a rule from elsewhere: compile it now
            plan = _plan_of(rule)
        return self._outcome(plan, doc)

    def _outcome(self, plan: _Plan, doc: Document) -> Outcome:
        rule = plan.rule
        spans = plan.condition(doc, 0, len(doc.text))
        if spans is None or rule.event is None:
            return Outcome(spans)
        event = self.find_event(rule, doc)
        if event is None:
            return Outcome(None)
        extra = event.spans
        if plan.event_object is not None:
            lo, hi = event.clause
            extra += plan.event_object(doc, lo, hi) or []
        return Outcome(spans + extra, event)

    def events(self, action: str, doc: Document) -> list[Event]:
        """Every occurrence of ``action`` in the document, with source and target."""
        triggers = sorted(
            span for term in self._triggers[action] for span in doc.term_hits.get(term, ())
        )
        return find_events(doc, self.ruleset.actions[action], triggers, mentions(doc))

    def find_event(self, rule: Rule, doc: Document) -> Event | None:
        spec = rule.event
        assert spec is not None
        for event in self.events(spec.action, doc):
            if not _fits(event.source, spec.source) or not _fits(event.target, spec.target):
                continue
            if spec.object is not None and spec.object.evaluate(doc, event.clause) is None:
                continue
            return event
        return None


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a batch is matched.

    Matching allocates hundreds of thousands of spans and lists that live as long as the batch
    and form no cycles; the collector would walk them again and again (a fifth of the scan's
    time). It runs as usual after the batch, or inside it when it was already off.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@dataclass(frozen=True, slots=True)
class _Plan:
    """A rule ready to evaluate: the keys it also needs, its compiled condition and object."""

    rule: Rule
    others: tuple[frozenset[Key], ...]
    condition: Evaluator
    event_object: Evaluator | None


def _plan_of(rule: Rule) -> _Plan:
    spec = rule.event
    event_object = spec.object.compile() if spec and spec.object is not None else None
    return _Plan(rule, (), rule.condition.compile(), event_object)


def _fits(mention: Mention | None, wanted: str | None) -> bool:
    if wanted is None:
        return True
    return mention is not None and mention.satisfies(wanted)
