"""``vigil run`` and ``vigil serve``: the monitor once, or on its schedules, as Prefect flows.

Both check the rules, the feeds file, the recipients and the store before paying for Prefect's
start-up.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from vigil.cli.errors import reports_errors
from vigil.cli.output import FormatOption, TableFormat, print_json
from vigil.cli.root import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_UNUSABLE,
    ArticlesOption,
    FeedsOption,
    RulesOption,
    err,
    out,
    progress,
    settings_from,
)
from vigil.cli.rules import warn_misbehaving_examples

if TYPE_CHECKING:
    from vigil.settings import Settings


@contextmanager
def _showing_progress() -> Iterator[None]:
    """The run's reading as it goes, on standard error: a bar on a terminal, lines off one."""
    from vigil.pipeline.progress import RunProgress, listening

    with progress("reading sources") as report:

        def show(step: RunProgress) -> None:
            report(
                step.sources_done,
                step.sources_total,
                f"{step.new_items} new items, {step.new_matches} new matches",
            )

        with listening(show):
            yield


@reports_errors
def run(
    feeds: FeedsOption = None,
    rules: RulesOption = None,
    articles: ArticlesOption = None,
    no_articles: Annotated[
        bool, typer.Option("--no-articles", help="Read feeds only, no article folder.")
    ] = False,
    recipients: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="Recipients file (who gets what, when). Default: $VIGIL_RECIPIENTS, else "
            "VIGIL_MAIL_TO gets every match each run.",
        ),
    ] = None,
    format: FormatOption = TableFormat.TABLE,
) -> None:
    """Run the monitor once: ingest, match, and deliver the alerts and digests that are due.

    Runs as the Prefect flow 'vigil-monitor' on the server PREFECT_API_URL names, or else on a
    temporary local Prefect server that vigil starts for this run and stops afterwards.
    """
    settings = settings_from(
        for_delivery=True,
        feeds=feeds,
        rules=rules,
        articles="" if no_articles else articles,
        recipients=recipients,
    )
    _check_inputs(settings)  # before paying for Prefect's start-up

    from vigil.flows.server import prefect_api
    from vigil.prefect_env import quiet_prefect, unreachable_api

    if problem := unreachable_api():
        err.print(f"vigil: the Prefect server is not reachable: {problem}", markup=False)
        raise typer.Exit(EXIT_UNUSABLE)
    started = time.perf_counter()
    with quiet_prefect(), ExitStack() as stack:
        stack.enter_context(prefect_api(settings.home / "prefect-server.log"))
        stack.enter_context(_showing_progress())
        try:
            from vigil.flows.monitor import monitor
            from vigil.flows.tasks import keep_summary_off_the_console

            keep_summary_off_the_console()
            state = monitor(
                feeds=str(settings.feeds),
                rules=str(settings.rules),
                articles="" if settings.articles is None else str(settings.articles),
                recipients=str(settings.recipients) if settings.recipients else None,
                return_state=True,
            )
        except Exception as exc:  # Prefect itself failed: say so, without a traceback
            err.print(f"vigil: Prefect could not run the flow: {type(exc).__name__}: {exc}")
            raise typer.Exit(EXIT_FAILED) from None
    from vigil.pipeline import RunSummary

    summary = state.result(raise_on_failure=False)
    if not isinstance(summary, RunSummary):  # the flow raised: its exception, as a value
        err.print(f"vigil: the run failed: {type(summary).__name__}: {summary}", markup=False)
        raise typer.Exit(EXIT_FAILED)
    seconds = round(time.perf_counter() - started, 1)
    if format is TableFormat.JSON:
        print_json(summary.as_json() | {"seconds": seconds})
    else:
        for line in summary.lines():
            out.print(line, markup=False)
        out.print(f"run took {seconds:.1f} s", markup=False)
    raise typer.Exit(EXIT_OK if summary.ok else EXIT_FAILED)


@reports_errors
def serve(
    ingest_every: Annotated[
        float,
        typer.Option(
            metavar="MINUTES", min=0.1, help="Minutes between ingest runs (feeds, then alerts)."
        ),
    ] = 15,
    digests_at: Annotated[
        str,
        typer.Option(
            metavar="HH:MM", help="Local time of the daily digests run, HH:MM (see --timezone)."
        ),
    ] = "07:00",
    timezone: Annotated[
        str,
        typer.Option(metavar="ZONE", help="IANA time zone of --digests-at, e.g. Europe/Istanbul."),
    ] = "UTC",
    alerts_every: Annotated[
        float,
        typer.Option(
            metavar="MINUTES",
            min=0.1,
            help="Minutes between alert runs (they also retry the outbox).",
        ),
    ] = 5,
    partitions: Annotated[
        int,
        typer.Option(metavar="N", min=1, help="Split the feeds into this many ingest deployments."),
    ] = 1,
    port: Annotated[
        int,
        typer.Option(
            metavar="PORT",
            help="Port of the Prefect server vigil starts when PREFECT_API_URL is unset.",
        ),
    ] = 4200,
    run_now: Annotated[
        bool,
        typer.Option(
            "--run-now",
            help="Run one cycle now (ingest, then digests), then follow the schedules.",
        ),
    ] = False,
) -> None:
    """Run vigil on its schedules: serve the ingest, digests and alerts deployments.

    Uses the Prefect server PREFECT_API_URL names; without one, starts a Prefect server of its
    own (SQLite in PREFECT_HOME, log in $VIGIL_HOME/prefect-server.log) and stops it on exit.
    Stop with Ctrl-C or SIGTERM.
    """
    import signal
    from datetime import timedelta
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from vigil.schedule import Cadence

    settings = settings_from(for_delivery=True)
    try:
        at = Cadence.parse(f"daily {digests_at}").at
        ZoneInfo(timezone)
        _check_inputs(settings)
    except (ValueError, ZoneInfoNotFoundError) as exc:
        err.print(f"vigil: {exc}", markup=False)
        raise typer.Exit(EXIT_UNUSABLE) from None

    from vigil.flows.server import prefect_api
    from vigil.prefect_env import quiet_prefect, unreachable_api

    # SIGTERM (systemd, docker stop) ends the process like Ctrl-C, so the server is stopped too.
    signal.signal(signal.SIGTERM, _interrupt)
    with quiet_prefect(), ExitStack() as stack:
        if problem := unreachable_api():
            err.print(f"vigil: the Prefect server is not reachable: {problem}", markup=False)
            raise typer.Exit(EXIT_UNUSABLE)
        log = settings.home / "prefect-server.log"
        _, seconds = stack.enter_context(prefect_api(log, port=port))
        if seconds is not None:
            out.print(f"started a Prefect server on port {port} in {seconds:.1f} s (log: {log})")
        from vigil.flows.serve import Schedules, serve_all

        schedules = Schedules(
            ingest_every=timedelta(minutes=ingest_every),
            digests_cron=f"{at.minute} {at.hour} * * *",
            timezone=timezone,
            alerts_every=timedelta(minutes=alerts_every),
            partitions=partitions,
        )
        if seconds is not None:
            stack.callback(out.print, "stopped the Prefect server", markup=False)
        with contextlib.suppress(KeyboardInterrupt):
            serve_all(schedules, run_now=run_now, say=lambda line: out.print(line, markup=False))


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _check_inputs(settings: Settings) -> None:
    """The run's inputs checked before any Prefect start-up is paid for (``vigil.preflight``);
    misbehaving rule examples are named on stderr: ``vigil rules check`` is where to fix them."""
    from vigil.preflight import check_inputs

    checked = check_inputs(
        settings, warn=lambda line: err.print(f"vigil: warning: {line}", markup=False)
    )
    warn_misbehaving_examples(checked.example_failures)
