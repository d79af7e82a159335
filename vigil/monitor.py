"""One configured monitor: settings, compiled rules, store, templates and transport, and
the steps of a run as methods. :func:`vigil.pipeline.run_once` composes the steps, for the
flows and the tests alike.
"""

from __future__ import annotations

import threading
import zlib
from collections import Counter
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from pathlib import Path

from vigil.article import Article
from vigil.clock import Clock, system_clock
from vigil.cluster import Clusterer
from vigil.deliver import DeliveryReport, deliver_due
from vigil.deliver.outbox import Transport
from vigil.deliver.transports import make_transport
from vigil.digest import Composed, DigestRenderer, Dispatcher, Kind
from vigil.digest.compose import FeedProblem
from vigil.errors import VigilError
from vigil.health import compose_health
from vigil.pipeline import feeds as reading
from vigil.pipeline.outcome import Ingested, SourceOutcome, SourceStatus
from vigil.recipients import Recipient, default_recipients, load_recipients
from vigil.rules import Matcher, RuleSet, load_ruleset
from vigil.settings import Settings
from vigil.sources import FeedSpec, load_feeds_file
from vigil.sources.feed_state import FeedCondition, condition
from vigil.sources.fetch import FetchLimits
from vigil.store import Store
from vigil.store.locks import RunLock

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
        self.renderer = DigestRenderer(settings.templates, web_url=settings.web_url)
        self.recipients = recipients_of(settings, self.ruleset)
        self.store = Store(settings.store_url, timeout=settings.database_timeout, clock=clock)
        self.dispatcher = Dispatcher(
            self.store, self.ruleset, self.renderer, sender=settings.mail_from
        )
        self._transport: Transport | None = None
        self.compose_failures: list[str] = []  # readers whose messages could not be composed
        self.duplicate_feeds: list[SourceOutcome] = []  # feeds sharing a URL, read once
        self.ingest_gate = threading.Semaphore(INGESTS_AT_ONCE)
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
                        status=SourceStatus.DUPLICATE,
                        warning=f"same URL as {first.name}: read once, as {first.name}",
                    )
                )
        return [spec for spec in unique if partition_of(spec.name, partitions) == partition]

    def lock(self, name: str) -> RunLock:
        return RunLock(self.store.engine, name, timedelta(minutes=self.settings.run_lock_minutes))

    # -- the steps of a run ------------------------------------------------------------

    def read_feeds(self, specs: Sequence[FeedSpec]) -> Ingested:
        """Fetch every due feed concurrently, then parse and store what changed."""
        return reading.read_feeds(self, specs)

    def ingest(self, name: str, articles: Sequence[Article]) -> tuple[SourceOutcome, Counter[str]]:
        """Store new articles and their matches; already-seen articles are skipped entirely."""
        return reading.ingest_articles(self, name, articles)

    def ingest_folder(self, folder: Path) -> Ingested:
        """The article folder, each unreadable file in it a failed source of its own."""
        return reading.ingest_folder(self, folder)

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
            for name, row in sorted(self.store.feed_rows(names).items())
            if condition(row) in {FeedCondition.FAILING, FeedCondition.DISABLED}
        ]

    def deliver(self, *, ignore_backoff: bool = False) -> DeliveryReport:
        """Send what the outbox holds; failures stay pending (temporary) or failed (permanent)."""
        return deliver_due(self.store, self.transport, ignore_backoff=ignore_backoff)
