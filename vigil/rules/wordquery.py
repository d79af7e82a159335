"""The words a rule cannot match without, as a query for the store's word index.

A trial of a rule edit over a week of stored news asks the index for the items that hold
them, and reads and matches only those (with the items the live rule matched, whose loss it
reports). The query asks for no more than the rule needs: a term's words (the last one open
for ``mediat*`` and ``~mediate``), one of an actor's names, a regex's leading word, an event's
trigger; NOT and places ask for nothing. So every item the rule matches is among the answers.
"""

from __future__ import annotations

from collections.abc import Iterable

from vigil.rules.model import Rule, RuleSet
from vigil.rules.operators.base import Key
from vigil.rules.terms import Term
from vigil.words import WordQuery, all_of, any_of, phrase_words


def term_words(term: Term) -> WordQuery | None:
    """The words of a term; its spellings (``TB2``, ``TB 2``) all have the same ones."""
    return phrase_words(term.patterns()[0], open_end=term.wildcard or term.stem)


def rule_words(rule: Rule, ruleset: RuleSet) -> WordQuery | None:
    """What an item must hold for ``rule`` to match it; None: any item may match."""

    def words_of(key: Key) -> WordQuery | None:
        if isinstance(key, Term):
            return term_words(key)
        actor = ruleset.actors.get(key.removeprefix("@"))
        return None if actor is None else _any_term(alias.term for alias in actor.aliases)

    needed = [rule.condition.words(words_of)]
    if rule.event is not None:
        action = ruleset.actions.get(rule.event.action)
        needed.append(None if action is None else _any_term(action.triggers))
    return all_of(needed)


def rules_words(rules: Iterable[Rule], ruleset: RuleSet) -> WordQuery | None:
    """What an item must hold for any of ``rules`` to match it."""
    return any_of(rule_words(rule, ruleset) for rule in rules)


def _any_term(terms: Iterable[Term]) -> WordQuery | None:
    found = [term_words(term) for term in terms]
    return any_of(found) if found else None
