"""One run, composed once: take the run lock, read the sources, compose, deliver.

The flows and the tests run this same function. How each step is carried out is the
caller's: :class:`InProcess` calls it here (an exception ends the run, as a test expects);
the flows pass steps that run as Prefect tasks and hand back a failed task's exception as a
value, which the run reports and goes on from.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from vigil.deliver import DeliveryReport
from vigil.digest import Composed, Kind
from vigil.pipeline.outcome import Ingested, RunSummary, SourceOutcome, SourceStatus
from vigil.pipeline.progress import RunProgress, report
from vigil.sources import FeedSpec

if TYPE_CHECKING:
    from vigil.monitor import Monitor

FEEDS_PER_BATCH = 25  # feeds a step reads at once: a Prefect task costs ~11 ms, so never one a feed


class Steps(Protocol):
    """How a run's steps are carried out. A step may return the exception it failed with."""

    def ingest_folder(self, run: Monitor, folder: Path) -> Ingested | BaseException: ...

    def read_feeds(
        self, run: Monitor, batches: list[list[FeedSpec]]
    ) -> Iterator[Ingested | BaseException]:
        """Each batch's result, in batch order, as soon as it (and those before it) are in."""
        ...

    def compose(self, run: Monitor, kinds: list[Kind]) -> list[Composed] | BaseException: ...

    def deliver(self, run: Monitor) -> DeliveryReport | BaseException: ...


class InProcess:
    """Each step called in this process, in order; an exception ends the run."""

    def ingest_folder(self, run: Monitor, folder: Path) -> Ingested:
        return run.ingest_folder(folder)

    def read_feeds(
        self, run: Monitor, batches: list[list[FeedSpec]]
    ) -> Iterator[Ingested | BaseException]:
        for batch in batches:
            yield run.read_feeds(batch)

    def compose(self, run: Monitor, kinds: list[Kind]) -> list[Composed]:
        return run.compose(kinds=kinds)

    def deliver(self, run: Monitor) -> DeliveryReport:
        return run.deliver()


def run_once(
    run: Monitor,
    *,
    lock: str = "ingest",
    kinds: Sequence[Kind] = (Kind.ALERT, Kind.DIGEST),
    read_sources: bool = True,
    partition: int = 0,
    partitions: int = 1,
    steps: Steps | None = None,
) -> RunSummary:
    """One run under the run lock ``lock``: the sources (this partition's feeds, and on
    partition 0 the article folder) unless ``read_sources`` is False, then the messages of
    ``kinds`` composed and the outbox delivered. Skipped, saying why, when another run holds
    the lock."""
    chosen: Steps = steps or InProcess()
    summary = RunSummary()
    with run.lock(lock) as held:
        if not held.acquired:
            assert held.blocked_by is not None
            summary.skipped = f"another run is at work ({held.blocked_by.describe()})"
            return summary
        if read_sources:
            _read_sources(run, summary, chosen, partition, partitions)
        _compose_and_deliver(run, summary, chosen, list(kinds))
    return summary


def _read_sources(
    run: Monitor, summary: RunSummary, steps: Steps, partition: int, partitions: int
) -> None:
    summary.ingested = True
    specs = run.feeds(partition=partition, partitions=partitions)
    reading_folder = run.settings.articles is not None and partition == 0
    total = len(specs) + reading_folder
    done = 0
    if reading_folder:
        assert run.settings.articles is not None
        folder = run.settings.articles
        _add(summary, [folder.name], steps.ingest_folder(run, folder))
        done = 1
        _report(summary, done, total)
    summary.sources += run.duplicate_feeds
    batches = [specs[i : i + FEEDS_PER_BATCH] for i in range(0, len(specs), FEEDS_PER_BATCH)]
    for batch, result in zip(batches, steps.read_feeds(run, batches), strict=True):
        _add(summary, [spec.name for spec in batch], result)
        done += len(batch)
        _report(summary, done, total)


def _report(summary: RunSummary, done: int, total: int) -> None:
    matches = sum(summary.matches_per_rule.values())
    report(RunProgress(done, total, summary.new_items, matches))


def _add(summary: RunSummary, names: list[str], result: Ingested | BaseException) -> None:
    """A step's sources in the summary; a step that failed fails each source it held."""
    if isinstance(result, BaseException):
        error = f"{type(result).__name__}: {result}"
        summary.sources += [
            SourceOutcome(name, status=SourceStatus.FAILED, error=error) for name in names
        ]
        return
    outcomes, per_rule = result
    summary.sources += outcomes
    summary.matches_per_rule.update(per_rule)


def _compose_and_deliver(
    run: Monitor, summary: RunSummary, steps: Steps, kinds: list[Kind]
) -> None:
    """Compose, then deliver whatever happened: what earlier runs composed still goes out."""
    composed = steps.compose(run, kinds)
    if isinstance(composed, BaseException):
        summary.compose_failures.append(f"every reader: {type(composed).__name__}: {composed}")
    else:
        summary.composed = composed
    summary.compose_failures += run.compose_failures
    delivered = steps.deliver(run)
    if isinstance(delivered, BaseException):
        # A bug or an outage of the store; the outbox still holds the message.
        delivered_report = DeliveryReport(run.transport.describe())
        delivered_report.retrying.append(f"{type(delivered).__name__}: {delivered}")
        delivered = delivered_report
    summary.delivery = delivered
    summary.outbox = run.store.message_counts()
