"""Decide, per recipient, what goes in the outbox this run: alerts, a due digest, a heartbeat.

Everything a message carries is claimed for its recipient in the same transaction that stores
the message (see ``Store.enqueue_message``), so each match reaches each recipient once, and a
scheduled slot produces at most one message, however many runs overlap.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from vigil.digest.compose import Digest, FeedProblem, Kind, build_digest
from vigil.digest.outbox_entry import due_slot, enqueue_email
from vigil.digest.render import DigestRenderer
from vigil.recipients import Recipient
from vigil.rules.model import RuleSet
from vigil.schedule import Every
from vigil.store import MatchRef, Store, StoredMatch


@dataclass(frozen=True, slots=True)
class Composed:
    """A message put in the outbox this run."""

    recipient: str
    kind: Kind
    subject: str
    message_id: str
    matches: int
    markdown: str


@dataclass(frozen=True, slots=True)
class Window:
    """What is waiting for one recipient: the matches, split into alerts and the rest."""

    recipient: Recipient
    alerts: list[MatchRef]
    rest: list[MatchRef]
    first_seen: datetime
    since: datetime | None


CLAIM_ATTEMPTS = 3  # a window read again after another run claimed part of it


class Dispatcher:
    """Routes undelivered matches to recipients and stores the messages to send."""

    def __init__(
        self, store: Store, ruleset: RuleSet, renderer: DigestRenderer, *, sender: str
    ) -> None:
        self.store = store
        self.ruleset = ruleset
        self.renderer = renderer
        self.sender = sender
        self.rules = {rule.id: rule for rule in ruleset.rules}

    def window(self, recipient: Recipient, now: datetime, *, register: bool = True) -> Window:
        """The matches not yet sent to ``recipient`` that their routing selects.

        ``register`` records the recipient as seen (a preview leaves the store untouched).
        """
        if register:
            first_seen = self.store.register_recipient(recipient.id, now)
        else:
            first_seen = self.store.first_seen(recipient.id) or now
        pending = self.store.pending_refs(
            recipient.id,
            rule_ids=recipient.candidate_rules(self.ruleset),
            since=first_seen - recipient.backlog,
        )
        alerts: list[MatchRef] = []
        rest: list[MatchRef] = []
        for match in pending:
            rule = self.rules.get(match.rule_id)
            if rule is None or not recipient.follows(rule, match.item_tags):
                continue
            (alerts if recipient.is_alert(rule) else rest).append(match)
        if recipient.cadence.every is Every.NEVER:
            rest = []
        return Window(recipient, alerts, rest, first_seen, self.store.last_sent(recipient.id))

    def compose(
        self,
        recipients: Sequence[Recipient],
        now: datetime,
        *,
        kinds: Collection[Kind] = (Kind.ALERT, Kind.DIGEST),
        feed_problems: Sequence[FeedProblem] = (),
        on_error: Callable[[str, Exception], None] | None = None,
    ) -> list[Composed]:
        """Each recipient's due messages of ``kinds`` (DIGEST includes heartbeats); every
        message names the ``feed_problems`` (feeds not being read) near its top.

        One recipient's failure (a bad item, a template error) never stops the others: it is
        passed to ``on_error`` (raised when there is none) and their matches stay waiting.
        """
        composed: list[Composed] = []
        for recipient in recipients:
            try:
                composed += self.compose_for(
                    recipient, now, kinds=kinds, feed_problems=feed_problems
                )
            except Exception as exc:
                if on_error is None:
                    raise
                on_error(recipient.id, exc)
        return composed

    def compose_for(
        self,
        recipient: Recipient,
        now: datetime,
        *,
        kinds: Collection[Kind] = (Kind.ALERT, Kind.DIGEST),
        feed_problems: Sequence[FeedProblem] = (),
    ) -> list[Composed]:
        """``recipient``'s due messages. A concurrent run (another partition's ingest) that
        claims some of the same matches first makes this run's message fail to store: the
        window is then read again, without what the other run took, so nothing waits for the
        next run (at most ``CLAIM_ATTEMPTS`` times)."""
        out: list[Composed] = []
        for _ in range(CLAIM_ATTEMPTS):
            composed, lost = self._compose_due(recipient, now, kinds, tuple(feed_problems))
            out += composed
            if not lost:
                break
        return out

    def _compose_due(
        self,
        recipient: Recipient,
        now: datetime,
        kinds: Collection[Kind],
        problems: tuple[FeedProblem, ...],
    ) -> tuple[list[Composed], bool]:
        """The messages due now, and whether one lost its matches or slot to another run."""
        window = self.window(recipient, now)
        out: list[Composed] = []
        lost = False

        def enqueue(kind: Kind, matches: list[MatchRef], slot: datetime | None = None) -> None:
            nonlocal lost
            stored = self._enqueue(window, kind, matches, now, slot=slot, problems=problems)
            if stored is None:
                lost = True
            else:
                out.extend(stored)

        if window.alerts and Kind.ALERT in kinds:
            enqueue(Kind.ALERT, window.alerts)
        if Kind.DIGEST not in kinds:
            return out, lost
        cadence = recipient.cadence
        if cadence.every is Every.RUN and window.rest:
            enqueue(Kind.DIGEST, window.rest)
        elif cadence.scheduled:
            slot = due_slot(
                self.store, recipient.id, cadence, recipient.zone, now, window.first_seen
            )
            if slot is None:
                return out, lost
            if window.rest:
                enqueue(Kind.DIGEST, window.rest, slot)
            elif recipient.heartbeat:
                enqueue(Kind.HEARTBEAT, [], slot)
            else:
                self.store.mark_slot(recipient.id, slot)
        return out, lost

    def preview(
        self,
        recipient: Recipient,
        now: datetime,
        matches: Sequence[StoredMatch | MatchRef],
        *,
        kind: Kind | None = None,
        feed_problems: Sequence[FeedProblem] = (),
    ) -> Digest:
        """What a message of ``matches`` for ``recipient`` looks like; nothing is stored."""
        kind = kind or (Kind.DIGEST if matches else Kind.HEARTBEAT)
        digest = build_digest(
            matches,
            self.ruleset,
            now,
            kind=kind,
            recipient=recipient,
            since=self.store.last_sent(recipient.id),
            load_full=self.store.matches_by_id,
            feed_problems=feed_problems,
        )
        assert digest is not None  # a heartbeat is never None
        return digest

    def _enqueue(
        self,
        window: Window,
        kind: Kind,
        matches: list[MatchRef],
        now: datetime,
        *,
        slot: datetime | None = None,
        problems: tuple[FeedProblem, ...] = (),
    ) -> list[Composed] | None:
        """The message stored, [] when there is nothing to send, None when another run
        claimed its matches or its slot first."""
        recipient = window.recipient
        digest = build_digest(
            matches,
            self.ruleset,
            now,
            kind=kind,
            recipient=recipient,
            since=window.since,
            load_full=self.store.matches_by_id,
            feed_problems=problems,
        )
        if digest is None:
            return []
        addresses = list(recipient.addresses)
        email = self.renderer.compose(digest, sender=self.sender, recipients=addresses)
        message_id = enqueue_email(
            self.store,
            email,
            recipient=recipient.id,
            addresses=addresses,
            subject=digest.subject,
            match_ids=digest.match_ids,
            now=now,
            kind=str(kind),
            slot=slot,
        )
        if message_id is None:  # a concurrent run claimed these matches or this slot first
            return None
        markdown = self.renderer.render_markdown(digest)
        return [
            Composed(recipient.id, kind, digest.subject, message_id, digest.match_count, markdown)
        ]
