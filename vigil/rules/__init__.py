"""Analyst rules: load and validate the YAML files of ``rules/``; match articles against them."""

from vigil.rules.loader import load_ruleset
from vigil.rules.matcher import Match, Matcher
from vigil.rules.model import Actor, Rule, RuleSet

__all__ = ["Actor", "Match", "Matcher", "Rule", "RuleSet", "load_ruleset"]
