"""The tasks the flows share, and how every flow run ends (log lines, artifacts, state).

Thin by design: each task calls one step of :class:`vigil.monitor.Monitor`, and
:func:`vigil.pipeline.run_once` composes them (:class:`PrefectSteps`). Fetching retries
(feeds flap), sending retries (mail servers greylist); one broken feed never stops the others.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, cast

from prefect import State, task, unmapped
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.logging import get_run_logger
from prefect.states import Completed
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner
from pydantic import SecretStr

from vigil.deliver import DeliveryReport
from vigil.digest import Composed, Kind
from vigil.errors import ConfigError
from vigil.flows.orphans import record_owner
from vigil.monitor import Monitor
from vigil.pipeline import RunSummary
from vigil.pipeline.outcome import Ingested
from vigil.settings import Settings
from vigil.sources import FeedSpec

# Feed batches in flight at once. Prefect's thread pool is unbounded by default, and each batch
# holds its feeds' bodies: without a bound, memory would grow with the number of feeds.
BATCHES_AT_ONCE = 4


# Marks vigil's own summary lines among a run's log records: `vigil run` prints the summary
# itself and keeps these off Prefect's console handler, so no line is shown twice.
SUMMARY = "vigil_summary"


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def read_feeds(monitor: Monitor, specs: list[FeedSpec]) -> Ingested:
    # A batch of feeds per task: fetched concurrently inside, with per-feed health and
    # backoff kept in the store; a retry refetches the batch (cheap: conditional GET).
    return monitor.read_feeds(specs)


@task(cache_policy=NO_CACHE)
def ingest_articles(monitor: Monitor, folder: Path) -> Ingested:
    return monitor.ingest_folder(folder)


@task(cache_policy=NO_CACHE)
def compose_messages(monitor: Monitor, kinds: Sequence[Kind]) -> list[Composed]:
    composed = monitor.compose(kinds=kinds)
    for message in composed:
        # What went out, readable in the Prefect UI; keyed per recipient so each has a history.
        create_markdown_artifact(
            key=f"vigil-{message.kind}-{_artifact_key(message.recipient)}",
            markdown=message.markdown,
            description=f"{message.kind} for {message.recipient}: {message.subject}"[:500],
        )
    return composed


@task(cache_policy=NO_CACHE)
def deliver_outbox(monitor: Monitor) -> DeliveryReport:
    # One attempt per run, never an exception: a failed message stays in the outbox with its
    # reason and its next try (the store's backoff), and the next run, an alerts run within
    # minutes, sends it. A task retry here would only repeat the same error with a traceback.
    return monitor.deliver()


def batch_runner() -> TaskRunner[PrefectFuture[Any]]:
    """The flows' task runner: threads, at most BATCHES_AT_ONCE feed batches in flight."""
    return cast(TaskRunner[PrefectFuture[Any]], ThreadPoolTaskRunner(BATCHES_AT_ONCE))


class PrefectSteps:
    """The run's steps as Prefect tasks: feed batches read concurrently, a failed task's
    exception handed back to :func:`vigil.pipeline.run_once` as a value."""

    def ingest_folder(self, run: Monitor, folder: Path) -> Ingested | BaseException:
        result: Ingested | BaseException = _outcome(ingest_articles(run, folder, return_state=True))
        return result

    def read_feeds(
        self, run: Monitor, batches: list[list[FeedSpec]]
    ) -> Iterator[Ingested | BaseException]:
        futures = read_feeds.map(unmapped(run), batches)  # all submitted at once
        for future in futures:
            future.wait()
            yield _outcome(future.state)

    def compose(self, run: Monitor, kinds: list[Kind]) -> list[Composed] | BaseException:
        composed: list[Composed] | BaseException = _outcome(
            compose_messages(run, kinds, return_state=True)
        )
        return composed

    def deliver(self, run: Monitor) -> DeliveryReport | BaseException:
        report: DeliveryReport | BaseException = _outcome(deliver_outbox(run, return_state=True))
        return report


def _outcome(state: State[Any]) -> Any:
    """A task's result, or the exception it failed with."""
    result = state.result(raise_on_failure=False)
    if state.is_completed():
        return result
    return result if isinstance(result, BaseException) else RuntimeError(str(result))


def open_monitor(settings: Settings) -> Monitor:
    """A Monitor for a flow run, with the SMTP password from a Prefect Secret block when
    ``VIGIL_SMTP_PASSWORD_BLOCK`` names one. Errors name the block, never its value.

    The run's process is recorded as its owner, so a serve restarted after a crash can tell
    dead runs from live ones (``vigil.flows.orphans``).
    """
    record_owner()
    name = settings.smtp_password_block
    if name and settings.smtp_password is None:
        from prefect.blocks.system import Secret

        try:
            value = cast("Secret[Any]", Secret.load(name)).get()
        except ValueError as exc:
            raise ConfigError(
                f"Prefect Secret block {name!r} not found ({type(exc).__name__})"
            ) from None
        except Exception as exc:  # the API is down, or the block is of another type
            raise ConfigError(
                f"Prefect Secret block {name!r} could not be read: {type(exc).__name__}"
            ) from None
        if not isinstance(value, str):
            raise ConfigError(f"Prefect Secret block {name!r} does not hold a string")
        settings = settings.model_copy(update={"smtp_password": SecretStr(value)})
    return Monitor(settings)


def finish(summary: RunSummary, title: str) -> RunSummary | State[RunSummary]:
    """Log the summary, publish it (markdown and table artifacts), and name the final state."""
    logger = get_run_logger()
    for line in summary.lines():
        (logger.info if summary.ok else logger.warning)(line, extra={SUMMARY: True})
    create_markdown_artifact(
        key="vigil-run-summary",
        markdown="\n".join([f"# {title}", "", *(f"- {line}" for line in summary.lines())]),
        description="What this run read, matched and delivered.",
    )
    if summary.skipped:
        return Completed(name="Skipped", message=summary.skipped, data=summary)
    create_table_artifact(
        key="vigil-run-table",
        table=summary.table(),
        description="Sources, matches per rule, messages composed, the outbox after the run.",
    )
    if not summary.ok:
        failed = ", ".join(source.name for source in summary.failed_sources) or "delivery"
        # Completed, so the summary is the result, but named so the UI shows the partial failure.
        return Completed(name="Partial", message=f"partial failure: {failed}", data=summary)
    return summary


def _artifact_key(recipient: str) -> str:
    """Artifact keys allow lower-case letters, digits and dashes only."""
    return "".join(c if c.isalnum() else "-" for c in recipient.lower()).strip("-") or "default"


class _NotTheSummary(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(record, SUMMARY, False)


def keep_summary_off_the_console() -> None:
    """For `vigil run`, which prints the summary itself: Prefect's console handlers skip it."""
    from prefect.logging.handlers import PrefectConsoleHandler

    loggers = [logging.getLogger(), *map(logging.getLogger, logging.root.manager.loggerDict)]
    for logger in loggers:
        for handler in logger.handlers:
            if isinstance(handler, PrefectConsoleHandler):
                handler.addFilter(_NotTheSummary())
