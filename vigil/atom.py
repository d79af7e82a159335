"""Atom 1.0 feeds of stored matches, for any feed reader: per rule, per family tag or per
recipient (``vigil matches feed``, and the web page's feed URLs).

Each entry is one (item, rule) match: its id is a UUID derived from the item and the rule, so
a reader sees the same entry on every fetch and a new one only for a new match; the summary is
the evidence sentence; the link is the article's (or its page on ``vigil web`` when it has
none). feedgen writes the XML (through lxml, so it is well-formed whatever the feed text held).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from feedgen.feed import FeedGenerator

from vigil import __version__
from vigil.digest.sanitise import clean_text
from vigil.recipients import Recipient
from vigil.rules.model import Rule
from vigil.store import MatchFilter, Store, StoredMatch

# What XML 1.0 cannot carry even escaped (clean_text removes the other control characters).
_NOT_XML = re.compile("[\ufffe\uffff\ud800-\udfff]")
PAGE = 200


class _Entry(Protocol):
    """What vigil uses of a feedgen ``FeedEntry`` (the package has no types)."""

    def id(self, value: str) -> Any: ...
    def title(self, value: str) -> Any: ...
    def link(self, *, href: str, rel: str = ...) -> Any: ...
    def summary(self, value: str) -> Any: ...
    def content(self, value: str, *, type: str) -> Any: ...
    def updated(self, value: datetime) -> Any: ...
    def published(self, value: datetime) -> Any: ...
    def author(self, *, name: str) -> Any: ...
    def category(self, *, term: str, label: str = ...) -> Any: ...


@dataclass(frozen=True, slots=True)
class FeedChoice:
    """Which matches a feed holds; every field None: all of them."""

    rule_ids: tuple[str, ...] | None = None
    tag: str | None = None
    recipient: Recipient | None = None
    days: float | None = None

    @property
    def key(self) -> str:
        """What names the feed, stably (its id is derived from it)."""
        parts = [f"rule:{r}" for r in self.rule_ids or ()]
        parts += [f"tag:{self.tag}"] if self.tag else []
        parts += [f"recipient:{self.recipient.id}"] if self.recipient else []
        return ",".join(parts) or "all"

    @property
    def title(self) -> str:
        if self.recipient is not None:
            return f"vigil: matches for {self.recipient.display_name}"
        named = [*(self.rule_ids or ()), *([f"tag {self.tag}"] if self.tag else [])]
        return "vigil: " + (", ".join(named) if named else "every match")


def chosen_matches(
    store: Store,
    rules: Mapping[str, Rule],
    choice: FeedChoice,
    *,
    now: datetime,
    limit: int = 100,
) -> list[StoredMatch]:
    """The newest ``limit`` matches the choice holds, newest first."""
    wanted = _rule_ids(rules, choice)
    since = now - timedelta(days=choice.days) if choice.days is not None else None
    where = MatchFilter(rule_ids=wanted, since=since)
    found: list[StoredMatch] = []
    before = None
    while len(found) < limit:
        page = store.match_page(where, before=before, limit=PAGE)
        for match in page:
            if _routed(match, rules, choice.recipient):
                found.append(match)
        if len(page) < PAGE:
            break
        before = page[-1].id
    return found[:limit]


def _rule_ids(rules: Mapping[str, Rule], choice: FeedChoice) -> list[str] | None:
    ids: set[str] | None = None
    if choice.rule_ids:
        ids = set(choice.rule_ids)
    if choice.tag:
        tagged = {rule.id for rule in rules.values() if choice.tag.casefold() in _folded(rule)}
        ids = tagged if ids is None else ids & tagged
    if choice.recipient is not None:
        eligible = {
            rule.id
            for rule in rules.values()
            if choice.recipient.tags or choice.recipient.follows(rule)
        }
        ids = eligible if ids is None else ids & eligible
    return None if ids is None else sorted(ids)


def _folded(rule: Rule) -> set[str]:
    return {tag.casefold() for tag in rule.tags}


def _routed(match: StoredMatch, rules: Mapping[str, Rule], recipient: Recipient | None) -> bool:
    if recipient is None:
        return True
    rule = rules.get(match.rule_id)
    return rule is not None and recipient.follows(rule, match.item_tags)


def atom_feed(
    matches: Sequence[StoredMatch],
    choice: FeedChoice,
    *,
    now: datetime,
    rules: Mapping[str, Rule],
    self_url: str | None = None,
    web_url: str | None = None,
) -> bytes:
    """The Atom document of ``matches`` (newest first)."""
    feed = FeedGenerator()
    feed.id(_urn(f"feed:{choice.key}"))
    feed.title(choice.title)
    feed.author({"name": "vigil"})
    feed.generator("vigil", __version__)
    feed.updated(max((m.matched_at or now for m in matches), default=now))
    if self_url:
        feed.link(href=self_url, rel="self")
    base = (web_url or "").rstrip("/")
    if base:
        feed.link(href=f"{base}/matches", rel="alternate")
    for match in matches:
        entry: _Entry = feed.add_entry(order="append")
        entry.id(_urn(f"item:{match.item_id}:rule:{match.rule_id}"))
        rule = rules.get(match.rule_id)
        entry.title(_text(match.title) or "(untitled)")
        page = f"{base}/items/{match.item_id}" if base else None
        entry.summary(_text(match.evidence))
        if match.link or page:
            entry.link(href=match.link or page or "", rel="alternate")
        else:  # Atom needs a link or a content: an article from a file has no link
            origin = f" ({_text(match.origin)})" if match.origin else ""
            entry.content(_text(match.evidence) + origin, type="text")
        entry.updated(match.matched_at or now)
        if match.published is not None:
            entry.published(match.published)
        entry.author(name=_text(match.outlet) or "unknown outlet")
        entry.category(term=match.rule_id, label=_text(rule.title) if rule else match.rule_id)
        for tag in rule.tags if rule else ():
            entry.category(term=f"tag:{tag}", label=tag)
    document: bytes = feed.atom_str(pretty=True)
    return document


def _urn(name: str) -> str:
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'vigil:{name}')}"


def _text(value: str | None) -> str:
    return clean_text(_NOT_XML.sub("", value or ""))
