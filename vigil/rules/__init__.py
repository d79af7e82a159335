"""Analyst rules: load and validate the YAML files of ``rules/``; match articles against them."""

from vigil.errors import QueryError
from vigil.match import Match
from vigil.rules.loader import load_ruleset
from vigil.rules.matcher import Matcher
from vigil.rules.model import Action, Actor, Rule, RuleSet
from vigil.rules.query import parse_query

__all__ = [
    "Action",
    "Actor",
    "Match",
    "Matcher",
    "QueryError",
    "Rule",
    "RuleSet",
    "load_ruleset",
    "parse_query",
]
