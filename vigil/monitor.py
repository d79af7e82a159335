"""The steps of one monitoring run, as plain Python.

``flows/monitor.py`` runs these steps as Prefect tasks (a task per feed); :meth:`Monitor.run`
runs them in sequence for tests, benchmarks and embedding without Prefect.
"""

from __future__ import annotations

import threading
import zlib
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from vigil import pipeline
from vigil.article import Article
from vigil.clock import Clock, system_clock
from vigil.cluster import Clusterer
from vigil.deliver import DeliveryReport, MaildirTransport, SmtpTransport, deliver_due
from vigil.deliver.outbox import Transport
from vigil.digest import Composed, DigestRenderer, Dispatcher, Kind
from vigil.digest.compose import FeedProblem
from vigil.errors import ConfigError, SourceError, StoreError, VigilError
from vigil.health import compose_health
from vigil.recipients import Recipient, default_recipients, load_recipients
from vigil.rules import Matcher, RuleSet, load_ruleset
from vigil.settings import Settings
from vigil.sources import FeedSpec, load_feeds_file, parse_feed, read_article_folder
from vigil.sources.fetch import Fetched, FetchLimits, FetchStatus, Validators, fetch_many
from vigil.sources.fulltext import PagePolicy, with_full_text
from vigil.store import Store
from vigil.store.locks import RunLock
from vigil.store.rows import FetchOutcome, FetchRecord, StoredItem


@dataclass
class SourceOutcome:
    """How one source (a feed or an article folder) went."""

    name: str
    articles: int = 0
    new_items: int = 0
    changed_items: int = 0  # stored before under the same id, with new text now
    error: str | None = None
    warning: str | None = None
    # read | unchanged (304) | failed | waiting (backing off) | disabled (410 Gone) |
    # duplicate (another feed has the same URL: read once, as that one)
    status: str = "read"

    @property
    def ok(self) -> bool:
        return self.status != "failed"


@dataclass
class RunSummary:
    sources: list[SourceOutcome] = field(default_factory=list)
    matches_per_rule: Counter[str] = field(default_factory=Counter)
    composed: list[Composed] = field(default_factory=list)
    delivery: DeliveryReport | None = None
    outbox: dict[str, int] = field(default_factory=dict)  # messages by status, after the run
    skipped: str | None = None  # why this run did nothing (another run holds the lock)
    ingested: bool = False  # this run read sources (the digests and alerts runs do not)
    compose_failures: list[str] = field(default_factory=list)  # readers left waiting

    @property
    def new_items(self) -> int:
        return sum(source.new_items for source in self.sources)

    @property
    def failed_sources(self) -> list[SourceOutcome]:
        return [source for source in self.sources if not source.ok]

    @property
    def ok(self) -> bool:
        """False when any source failed or any message could not be composed or delivered."""
        return (
            not self.failed_sources
            and not self.compose_failures
            and (self.delivery is None or self.delivery.ok)
        )

    def lines(self) -> list[str]:
        """The run summary as log lines, for people and for grep."""
        if self.skipped:
            return [f"skipped: {self.skipped}"]
        lines = self._ingest_lines() if self.ingested else []
        for message in self.composed:
            lines.append(f"{message.kind} for {message.recipient}: {message.subject}")
        lines.extend(f"composing FAILED for {line}" for line in self.compose_failures)
        if not self.composed and not self.compose_failures:
            lines.append("digest: nothing new to send")
        if self.delivery:
            for subject in self.delivery.sent:
                lines.append(f"delivered to {self.delivery.destination}: {subject}")
            lines.extend(f"delivery will be retried: {line}" for line in self.delivery.retrying)
            lines.extend(f"delivery FAILED: {line}" for line in self.delivery.failed)
        # What waits in the outbox after the run (not a running total of what was ever sent).
        waiting = [f"{self.outbox[s]} {s}" for s in ("pending", "failed") if self.outbox.get(s)]
        if waiting:
            lines.append(f"outbox: {', '.join(waiting)} (vigil digest outbox)")
        return lines

    def _ingest_lines(self) -> list[str]:
        counts = Counter(source.status for source in self.sources)
        parts = [f"{counts[status]} {status}" for status in ("read", "unchanged", "failed")]
        parts += [f"{counts[s]} {s}" for s in ("waiting", "disabled", "duplicate") if counts[s]]
        lines = [f"sources: {', '.join(parts)}"]
        for source in self.sources:
            if source.error:
                lines.append(f"  FAILED {source.name}: {source.error}")
            elif source.warning:
                lines.append(f"  {source.status} {source.name}: {source.warning}")
        changed = sum(source.changed_items for source in self.sources)
        lines.append(f"new items: {self.new_items}" + (f" ({changed} changed)" if changed else ""))
        if self.matches_per_rule:
            per_rule = ", ".join(f"{rule} {n}" for rule, n in sorted(self.matches_per_rule.items()))
            lines.append(f"new matches: {sum(self.matches_per_rule.values())} ({per_rule})")
        else:
            lines.append("new matches: 0")
        return lines

    def table(self) -> list[dict[str, object]]:
        """The summary as rows, for a Prefect table artifact."""
        rows: list[dict[str, object]] = [
            {
                "what": "source",
                "name": s.name,
                "status": s.status,
                "count": s.new_items,
                "detail": s.error or s.warning or "",
            }
            for s in self.sources
        ]
        rows += [
            {"what": "rule", "name": rule, "status": "matched", "count": n, "detail": ""}
            for rule, n in sorted(self.matches_per_rule.items())
        ]
        rows += [
            {
                "what": str(m.kind),
                "name": m.recipient,
                "status": "composed",
                "count": m.matches,
                "detail": m.subject,
            }
            for m in self.composed
        ]
        rows += [
            {"what": "outbox", "name": status, "status": status, "count": n, "detail": ""}
            for status, n in sorted(self.outbox.items())
        ]
        return rows


def make_transport(settings: Settings) -> Transport:
    """SMTP when ``VIGIL_SMTP_HOST`` is set, else the Maildir at ``$VIGIL_HOME/outbox``.

    A password kept in a Prefect Secret block (``VIGIL_SMTP_PASSWORD_BLOCK``) is read by the
    flows, which pass it in ``settings``; the core never talks to Prefect.
    """
    if settings.smtp_host and settings.smtp_password_block and settings.smtp_password is None:
        raise ConfigError(
            f"VIGIL_SMTP_PASSWORD_BLOCK={settings.smtp_password_block}: the Secret block is read "
            "when vigil runs as a flow (vigil run, vigil serve); set VIGIL_SMTP_PASSWORD here"
        )
    if settings.smtp_host:
        return SmtpTransport(
            host=settings.smtp_host,
            port=settings.port,
            tls=settings.smtp_tls.value,
            username=settings.smtp_user,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            timeout=settings.smtp_timeout,
            ca_file=settings.smtp_ca_file,
        )
    return MaildirTransport(settings.outbox)


FETCH_CHUNK = 25  # feeds fetched at once within one call of read_feeds
INGESTS_AT_ONCE = 2  # batches parsed and matched at once (the flows read batches concurrently)


def partition_of(name: str, partitions: int) -> int:
    """A feed's partition: stable across runs and machines, so each feed has one reader."""
    return zlib.crc32(name.encode("utf-8")) % partitions if partitions > 1 else 0


def recipients_of(settings: Settings, ruleset: RuleSet) -> list[Recipient]:
    """The recipients file's readers, or ``VIGIL_MAIL_TO`` getting everything every run."""
    if settings.recipients is None:
        return default_recipients(settings.mail_to)
    try:
        feed_tags: list[str] | None = [
            tag for spec in load_feeds_file(settings.feeds) for tag in spec.tags
        ]
    except VigilError:  # the feeds file's own problems are reported where it is read
        feed_tags = None
    return load_recipients(settings.recipients, ruleset, feed_tags)


def fetch_record(spec: FeedSpec, fetched: Fetched, items: int = 0) -> FetchRecord:
    """A fetch as the store remembers it in the feed's health."""
    if fetched.status in {FetchStatus.OK, FetchStatus.NOT_MODIFIED}:
        outcome = FetchOutcome.SUCCEEDED
    elif fetched.status is FetchStatus.GONE:
        outcome = FetchOutcome.GONE
    else:
        outcome = FetchOutcome.FAILED
    return FetchRecord(
        name=spec.name,
        configured_url=spec.url,
        outcome=outcome,
        etag=fetched.validators.etag,
        last_modified=fetched.validators.last_modified,
        moved_to=fetched.moved_to,
        error=fetched.error,
        retry_after=fetched.retry_after,
        items=items,
    )


@dataclass(frozen=True)
class _ParsedFeed:
    """A fetched feed's articles, waiting to be stored with its chunk's."""

    spec: FeedSpec
    fetched: Fetched
    articles: list[Article]
    warning: str | None
    items_read: int  # entries in the feed, before full text dropped the known ones


def _failure(spec: FeedSpec, fetched: Fetched, error: str) -> tuple[SourceOutcome, Fetched]:
    """A feed that failed after its fetch: its outcome, and the fetch to record as failed."""
    recorded = replace(fetched, status=FetchStatus.FAILED, error=error)
    return SourceOutcome(spec.name, status="failed", error=error), recorded


def _stored(
    feed: _ParsedFeed, outcome: SourceOutcome, per_rule: Counter[str]
) -> tuple[SourceOutcome, Counter[str], Fetched]:
    """A stored feed's outcome with its parser's warnings, and the fetch to record."""
    outcome.warning = "; ".join(w for w in (feed.warning, outcome.warning) if w) or None
    if feed.fetched.moved_to:
        outcome.warning = f"moved permanently to {feed.fetched.moved_to}; following it from now on"
    return outcome, per_rule, feed.fetched


class Monitor:
    """One configured monitor: settings, compiled rules, store, templates and transport."""

    def __init__(
        self, settings: Settings, *, ruleset: RuleSet | None = None, clock: Clock = system_clock
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.ruleset = ruleset or load_ruleset(
            settings.rules, follow_links=settings.rules_follow_links
        )
        self.matcher = Matcher(self.ruleset)
        self.renderer = DigestRenderer(settings.templates)
        self.recipients = recipients_of(settings, self.ruleset)
        self.store = Store(settings.store_url, timeout=settings.database_timeout, clock=clock)
        self.dispatcher = Dispatcher(
            self.store, self.ruleset, self.renderer, sender=settings.mail_from
        )
        self._transport: Transport | None = None
        self.held_locks: list[RunLock] = []
        self.compose_failures: list[str] = []  # readers whose messages could not be composed
        self.duplicate_feeds: list[SourceOutcome] = []  # feeds sharing a URL, read once
        self._ingest_gate = threading.Semaphore(INGESTS_AT_ONCE)
        self._clusterer: Clusterer | None = None
        self._clusterer_lock = threading.Lock()  # feed batches run in concurrent tasks
        self.limits = FetchLimits(
            concurrency=settings.fetch_concurrency,
            total_timeout=settings.feed_timeout,
            read_timeout=min(settings.feed_timeout, 20.0),
            max_bytes=settings.feed_max_bytes,
        )

    @property
    def transport(self) -> Transport:
        """Made when first needed: commands that only read (a preview) need no mail server."""
        if self._transport is None:
            self._transport = make_transport(self.settings)
        return self._transport

    @property
    def clusterer(self) -> Clusterer:
        """Recent stories, to put today's wire copies into yesterday's clusters.

        Loaded on first use: a run where nothing is new (all 304) never pays for it.
        """
        with self._clusterer_lock:
            if self._clusterer is None:
                self._clusterer = Clusterer(self.store.recent_signatures())
            return self._clusterer

    def close(self) -> None:
        """Release the run locks this monitor took, and the store."""
        while self.held_locks:
            self.held_locks.pop().release()
        self.store.close()

    def feeds(
        self, feeds_file: Path | None = None, *, partition: int = 0, partitions: int = 1
    ) -> list[FeedSpec]:
        """The feeds to read; with ``partitions`` > 1, only this partition's share.

        Feeds that share a URL are read once, as the first of them: each other one is noted in
        ``duplicate_feeds`` (a source outcome that names the feed it duplicates).
        """
        specs = load_feeds_file(feeds_file or self.settings.feeds)
        first_by_url: dict[str, FeedSpec] = {}
        unique = []
        self.duplicate_feeds = []
        for spec in specs:
            first = first_by_url.setdefault(spec.url, spec)
            if first is spec:
                unique.append(spec)
            elif partition_of(first.name, partitions) == partition:
                self.duplicate_feeds.append(
                    SourceOutcome(
                        spec.name,
                        status="duplicate",
                        warning=f"same URL as {first.name}: read once, as {first.name}",
                    )
                )
        return [spec for spec in unique if partition_of(spec.name, partitions) == partition]

    def lock(self, name: str) -> RunLock:
        return RunLock(self.store.engine, name, timedelta(minutes=self.settings.run_lock_minutes))

    # -- steps -------------------------------------------------------------------------

    def read_feeds(self, specs: Sequence[FeedSpec]) -> tuple[list[SourceOutcome], Counter[str]]:
        """Fetch every due feed concurrently, then parse and store what changed.

        Never raises for a feed's sake: each outcome says what happened, and the store keeps
        each feed's health (validators for conditional GET, failures, backoff, disabled).
        """
        outcomes: list[SourceOutcome] = []
        per_rule: Counter[str] = Counter()
        states = self.store.feed_states([(spec.name, spec.url) for spec in specs])
        due = []
        for spec, state in zip(specs, states, strict=True):
            if state.disabled:
                outcomes.append(
                    SourceOutcome(
                        spec.name,
                        status="disabled",
                        warning="disabled after 410 Gone; edit its URL to retry",
                    )
                )
            elif not state.due:
                when = f"{state.next_attempt:%Y-%m-%d %H:%M} UTC" if state.next_attempt else "later"
                outcomes.append(
                    SourceOutcome(
                        spec.name,
                        status="waiting",
                        warning=f"{state.failures} failure(s); next try {when}",
                    )
                )
            else:
                due.append((spec, state))
        # A chunk at a time: its feeds are fetched concurrently, parsed and stored before the
        # next chunk is fetched, so memory follows the chunk, not the feeds list.
        for start in range(0, len(due), FETCH_CHUNK):
            chunk = due[start : start + FETCH_CHUNK]
            fetched = fetch_many(
                [(state.url, Validators(state.etag, state.last_modified)) for _, state in chunk],
                self.limits,
            )
            # Fetching overlaps freely across concurrent batches; parsing and matching, which
            # is where memory goes, runs for at most INGESTS_AT_ONCE batches at a time.
            with self._ingest_gate:
                for outcome, found in self._ingest_chunk(
                    [(spec, result) for (spec, _), result in zip(chunk, fetched, strict=True)]
                ):
                    outcomes.append(outcome)
                    per_rule.update(found)
        order = {spec.name: index for index, spec in enumerate(specs)}
        outcomes.sort(key=lambda outcome: order[outcome.name])
        return outcomes, per_rule

    def _ingest_chunk(
        self, chunk: Sequence[tuple[FeedSpec, Fetched]]
    ) -> list[tuple[SourceOutcome, Counter[str]]]:
        """A chunk of fetched feeds in bulk: each parsed on its own, then all their articles
        matched and stored in one batch, and every feed's health in one transaction.

        Whatever goes wrong with one feed is that feed's failure, recorded in its health,
        never its chunk-mates' (they would show as "not fetched yet"): a batch that fails to
        store is stored again feed by feed, so the failure lands on the feed that caused it.
        """
        health: list[FetchRecord] = []
        done: dict[str, tuple[SourceOutcome, Counter[str]]] = {}
        ready: list[_ParsedFeed] = []
        for spec, fetched in chunk:
            try:
                parsed = self._parse_fetched(spec, fetched)
            except (StoreError, DBAPIError, OSError):
                raise  # the store itself is down: the run fails, and says so
            except Exception as exc:
                parsed = _failure(spec, fetched, f"{type(exc).__name__}: {exc}"[:500])
            if isinstance(parsed, _ParsedFeed):
                ready.append(parsed)
            else:
                outcome, recorded = parsed
                done[spec.name] = (outcome, Counter())
                health.append(fetch_record(spec, recorded))
        try:
            stored = self._store_together(ready)
        except (StoreError, DBAPIError, OSError):
            raise
        except Exception:
            stored = [self._store_alone(feed) for feed in ready]
        for feed, (outcome, per_rule, recorded) in zip(ready, stored, strict=True):
            done[feed.spec.name] = (outcome, per_rule)
            health.append(fetch_record(feed.spec, recorded, feed.items_read))
        self.store.record_fetches(health)
        return [done[spec.name] for spec, _ in chunk]

    def _parse_fetched(
        self, spec: FeedSpec, fetched: Fetched
    ) -> _ParsedFeed | tuple[SourceOutcome, Fetched]:
        """A fetched feed's articles (full text added where the feed asks for it); or, when
        there is nothing to store, its outcome and the fetch to record in its health."""
        if fetched.status is FetchStatus.NOT_MODIFIED:
            return SourceOutcome(spec.name, status="unchanged"), fetched
        if fetched.status is not FetchStatus.OK:
            status = "disabled" if fetched.status is FetchStatus.GONE else "failed"
            return SourceOutcome(spec.name, status=status, error=fetched.error), fetched
        try:
            parsed = parse_feed(
                fetched.body or b"", spec, now=self.clock(), max_items=self.settings.feed_max_items
            )
        except SourceError as exc:
            # The summary line names the feed already: "FAILED Meduza: not a feed (…)".
            outcome, recorded = _failure(spec, fetched, str(exc))
            outcome.error = str(exc).removeprefix(f"{spec.name}: ")
            return outcome, recorded
        articles = parsed.articles
        warning = parsed.warning
        if spec.full_text:
            known = self.store.known(a.canonical_id for a in articles)
            fresh = [a for a in articles if a.canonical_id not in known]
            policy = PagePolicy(spec.url, spec.full_text_hosts, self.settings.full_text_private)
            fresh, failed_pages, refused = with_full_text(fresh, self.limits, policy)
            articles = fresh
            notes = []
            if failed_pages:
                notes.append(f"{failed_pages} article page(s) could not be fetched")
            if refused:
                notes.append(
                    f"{refused} link(s) not fetched (not the feed's host, a private address, or "
                    f"past {policy.max_pages} pages a run)"
                )
            if notes:
                warning = "; ".join(notes) + "; summaries kept"
        return _ParsedFeed(spec, fetched, articles, warning, len(parsed.articles))

    def _store_together(
        self, ready: Sequence[_ParsedFeed]
    ) -> list[tuple[SourceOutcome, Counter[str], Fetched]]:
        """Every parsed feed's articles matched and stored in one batch."""
        articles = [article for feed in ready for article in feed.articles]
        if not articles:
            return [_stored(feed, SourceOutcome(feed.spec.name), Counter()) for feed in ready]
        changed: list[StoredItem] = []
        warned = len(self.matcher.warnings)
        new = pipeline.ingest(
            self.store, articles, self.matcher.match_many, self.clusterer, changed=changed
        )
        warnings = self.matcher.warnings[warned:]
        new_by_feed = Counter(article.outlet for _, article, _ in new)
        changed_by_feed = Counter(article.outlet for _, article, _ in changed)
        per_rule: dict[str, Counter[str]] = {feed.spec.name: Counter() for feed in ready}
        for _, article, found in [*new, *changed]:
            per_rule[article.outlet].update(match.rule_id for match in found)
        results = []
        for feed in ready:
            name = feed.spec.name
            titles = {repr(article.title[:60]) for article in feed.articles}
            outcome = SourceOutcome(
                name,
                articles=len(feed.articles),
                new_items=new_by_feed[name],
                changed_items=changed_by_feed[name],
                # Articles whose rules ran past the matching budget: named, never silent.
                warning="; ".join(w for w in warnings if any(t in w for t in titles)) or None,
            )
            results.append(_stored(feed, outcome, per_rule[name]))
        return results

    def _store_alone(self, feed: _ParsedFeed) -> tuple[SourceOutcome, Counter[str], Fetched]:
        """One feed's articles stored on their own, its failure its own."""
        try:
            outcome, per_rule = self.ingest(feed.spec.name, feed.articles)
        except (StoreError, DBAPIError, OSError):
            raise
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
            outcome, recorded = _failure(feed.spec, feed.fetched, error)
            return outcome, Counter(), recorded
        return _stored(feed, outcome, per_rule)

    def ingest(self, name: str, articles: Sequence[Article]) -> tuple[SourceOutcome, Counter[str]]:
        """Store new articles and their matches; already-seen articles are skipped entirely."""
        if not articles:
            return SourceOutcome(name), Counter()
        changed: list[StoredItem] = []
        warned = len(self.matcher.warnings)
        new = pipeline.ingest(
            self.store, articles, self.matcher.match_many, self.clusterer, changed=changed
        )
        per_rule = Counter(match.rule_id for _, _, found in [*new, *changed] for match in found)
        outcome = SourceOutcome(
            name,
            articles=len(articles),
            new_items=len(new),
            changed_items=len(changed),
            # Articles whose rules ran past the matching budget: named, never silent.
            warning="; ".join(self.matcher.warnings[warned:]) or None,
        )
        return outcome, per_rule

    def ingest_folder(self, folder: Path) -> tuple[list[SourceOutcome], Counter[str]]:
        """The article folder, and each file in it that could not be read as its own failed
        source (named, the rest read), as bad feeds are."""
        problems: list[tuple[Path, str]] = []
        try:
            articles = read_article_folder(folder, problems=problems)
        except SourceError as exc:
            return [SourceOutcome(folder.name, status="failed", error=str(exc))], Counter()
        outcome, per_rule = self.ingest(folder.name, articles)
        bad = [
            SourceOutcome(f"{folder.name}/{path.name}", status="failed", error=problem)
            for path, problem in problems
        ]
        return [outcome, *bad], per_rule

    def compose(
        self, now: datetime | None = None, *, kinds: Collection[Kind] = (Kind.ALERT, Kind.DIGEST)
    ) -> list[Composed]:
        """Put each recipient's due messages in the outbox: alerts, digests (and heartbeats),
        and with digests the operator's health message when it is due."""
        now = now or self.clock()
        composed = self.dispatcher.compose(
            self.recipients,
            now,
            kinds=kinds,
            feed_problems=self.feed_problems(),
            on_error=self._compose_failed,
        )
        if Kind.DIGEST in kinds:
            try:
                composed += compose_health(
                    self.store, self.ruleset, self.renderer, self.settings, now
                )
            except Exception as exc:
                self._compose_failed("the operator's health message", exc)
        return composed

    def _compose_failed(self, recipient: str, exc: Exception) -> None:
        """One reader's message could not be composed: said in the summary, the rest go on,
        and what was waiting for them stays waiting."""
        self.compose_failures.append(f"{recipient}: {type(exc).__name__}: {exc}")

    def feed_problems(self) -> list[FeedProblem]:
        """The feeds of the feeds file that are not being read (failing or disabled)."""
        try:
            names = [spec.name for spec in self.feeds()]
        except VigilError:  # a broken feeds file stops the run where it is read
            return []
        return [
            FeedProblem(
                name=row.name,
                last_success=row.last_success,
                failures=row.consecutive_failures,
                error=row.last_error or "unknown error",
                disabled=row.disabled,
            )
            for row in self.store.feeds_not_read(names)
        ]

    def deliver(self, *, ignore_backoff: bool = False) -> DeliveryReport:
        """Send what the outbox holds; failures stay pending (temporary) or failed (permanent)."""
        return deliver_due(self.store, self.transport, ignore_backoff=ignore_backoff)

    # -- the whole run, without Prefect ------------------------------------------------

    def run(self, *, feeds_file: Path | None = None, articles: Path | None = None) -> RunSummary:
        summary = RunSummary(ingested=True)
        with self.lock("ingest") as lock:
            if not lock.acquired:
                assert lock.blocked_by is not None
                summary.skipped = f"another run is at work ({lock.blocked_by.describe()})"
                return summary
            folder = articles if articles is not None else self.settings.articles
            if folder is not None:
                outcomes, per_rule = self.ingest_folder(folder)
                summary.sources += outcomes
                summary.matches_per_rule.update(per_rule)
            outcomes, per_rule = self.read_feeds(self.feeds(feeds_file))
            summary.sources += outcomes + self.duplicate_feeds
            summary.matches_per_rule.update(per_rule)
            summary.composed = self.compose()
            summary.compose_failures = list(self.compose_failures)
            summary.delivery = self.deliver()
            summary.outbox = self.store.message_counts()
        return summary

    @staticmethod
    def _add(summary: RunSummary, outcome: SourceOutcome, per_rule: Counter[str]) -> None:
        summary.sources.append(outcome)
        summary.matches_per_rule.update(per_rule)
