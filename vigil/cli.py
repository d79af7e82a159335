"""The ``vigil`` command: a thin skin over the package (and, for ``run``, the Prefect flow).

Exit codes scripts can rely on: 0 all good; 1 the run finished but something failed (a feed, a
delivery) or a check found problems; 2 vigil could not start (bad settings, rules or arguments).
"""

from __future__ import annotations

import contextlib
import sys
import time
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from vigil.cli_digest import digest_app
from vigil.cli_workbench import matches_app, rules_backtest, rules_stats
from vigil.console import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_UNUSABLE,
    ArticlesOption,
    FeedsOption,
    RulesOption,
    err,
    fail_unusable,
    out,
    progress,
    reports_errors,
    settings_from,
    warn_misbehaving_examples,
)
from vigil.errors import VigilError

app = typer.Typer(
    help="vigil: news monitoring from analyst rules to email digests.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
rules_app = typer.Typer(help="Check rule files and try them on articles.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")
feeds_app = typer.Typer(
    help="Feed health, and OPML import and export. Without a command: the health table.",
    invoke_without_command=True,
)
app.add_typer(feeds_app, name="feeds")

app.add_typer(digest_app, name="digest")
app.add_typer(matches_app, name="matches")
rules_app.command("stats")(rules_stats)
rules_app.command("backtest")(rules_backtest)


@app.command()
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
            help="Recipients file (who gets what, when). Default: $VIGIL_RECIPIENTS, else "
            "VIGIL_MAIL_TO gets every match each run."
        ),
    ] = None,
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

    from flows.server import prefect_api
    from vigil.prefect_env import quiet_prefect, unreachable_api

    if problem := unreachable_api():
        err.print(f"vigil: the Prefect server is not reachable: {problem}", markup=False)
        raise typer.Exit(EXIT_UNUSABLE)
    started = time.perf_counter()
    with quiet_prefect(), ExitStack() as stack:
        stack.enter_context(prefect_api(settings.home / "prefect-server.log"))
        try:
            from flows.monitor import monitor
            from flows.tasks import keep_summary_off_the_console

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
    summary = state.result(raise_on_failure=False)
    if isinstance(summary, BaseException):
        err.print(f"vigil: the run failed: {type(summary).__name__}: {summary}", markup=False)
        raise typer.Exit(EXIT_FAILED)
    for line in summary.lines():
        out.print(line, markup=False)
    out.print(f"run took {time.perf_counter() - started:.1f} s", markup=False)
    raise typer.Exit(EXIT_OK if summary.ok else EXIT_FAILED)


@app.command()
@reports_errors
def serve(
    ingest_every: Annotated[
        float, typer.Option(min=0.1, help="Minutes between ingest runs (feeds, then alerts).")
    ] = 15,
    digests_at: Annotated[
        str, typer.Option(help="Local time of the daily digests run, HH:MM (see --timezone).")
    ] = "07:00",
    timezone: Annotated[
        str, typer.Option(help="IANA time zone of --digests-at, e.g. Europe/Istanbul.")
    ] = "UTC",
    alerts_every: Annotated[
        float,
        typer.Option(min=0.1, help="Minutes between alert runs (they also retry the outbox)."),
    ] = 5,
    partitions: Annotated[
        int, typer.Option(min=1, help="Split the feeds into this many ingest deployments.")
    ] = 1,
    port: Annotated[
        int,
        typer.Option(help="Port of the Prefect server vigil starts when PREFECT_API_URL is unset."),
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

    from flows.server import prefect_api
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
        from flows.serve import Schedules, serve_all

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


def _check_state_folder(settings) -> None:
    """VIGIL_HOME writable and the store usable: said in one line before Prefect starts."""
    import tempfile

    from vigil.errors import StoreError
    from vigil.store import Store

    try:
        settings.home.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=settings.home):
            pass
    except OSError as exc:
        raise StoreError(
            f"VIGIL_HOME {settings.home} is not a folder vigil may write to ({exc.strerror}); "
            "choose another with VIGIL_HOME"
        ) from None
    Store(settings.store_url, timeout=settings.database_timeout).close()


def _check_inputs(settings) -> None:
    """Rules, feeds and recipients, checked before any Prefect start-up is paid for.

    A rule whose examples misbehave does not stop a run (the other rules still work), but
    each such example is named on stderr: ``vigil rules check`` is the place to fix it.
    """
    from vigil.rules import Matcher, load_ruleset
    from vigil.rules.examples import check_examples
    from vigil.sources import load_feeds_file

    ruleset = load_ruleset(settings.rules, follow_links=settings.rules_follow_links)
    for line in ruleset.skipped:
        err.print(f"vigil: warning: {line}", markup=False)
    specs = load_feeds_file(settings.feeds)
    _check_state_folder(settings)
    if settings.recipients is not None:
        from vigil.recipients import load_recipients

        load_recipients(settings.recipients, ruleset, [tag for s in specs for tag in s.tags])
    warn_misbehaving_examples(check_examples(Matcher(ruleset)))


@app.command()
@reports_errors
def backfill(
    since: Annotated[
        datetime,
        typer.Option(
            formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M"],
            help="Re-match items vigil first saw on or after this date (UTC), e.g. 2026-11-01.",
        ),
    ],
    until: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M"], help="…and before this date."),
    ] = None,
    rule: Annotated[
        list[str] | None,
        typer.Option("--rule", help="Only this rule (repeatable). Default: every rule."),
    ] = None,
    resend: Annotated[
        bool,
        typer.Option(
            "--resend",
            help="Also send again the range's matches that were already delivered. Without it, "
            "only matches the items did not have before go out.",
        ),
    ] = False,
    dask: Annotated[
        bool,
        typer.Option(
            "--dask",
            help="Run as the Prefect flow vigil-backfill on a DaskTaskRunner: batches matched in "
            "parallel processes (needs vigil[dask]).",
        ),
    ] = False,
    workers: Annotated[int, typer.Option(min=1, help="Dask worker processes.")] = 2,
    batch_size: Annotated[int, typer.Option(min=1, help="Items per batch (per task).")] = 500,
    rules: RulesOption = None,
) -> None:
    """Re-apply the current rules to stored items, after adding or editing a rule.

    New matches go out with each recipient's next alerts and digests; matches already
    delivered are not sent again unless --resend.
    """
    from datetime import UTC

    from vigil.backfill import backfill as run_backfill
    from vigil.backfill import only_rules
    from vigil.rules import load_ruleset
    from vigil.store import Store

    settings = settings_from(rules=rules)
    start, end = since.replace(tzinfo=UTC), until.replace(tzinfo=UTC) if until else None
    try:
        ruleset = load_ruleset(settings.rules, follow_links=settings.rules_follow_links)
        only_rules(ruleset, rule)
    except ValueError as exc:
        err.print(f"vigil: {exc}", markup=False)
        raise typer.Exit(EXIT_UNUSABLE) from None
    if dask:
        report = _backfill_on_dask(start, end, rule, resend, batch_size, workers)
    else:
        store = Store(settings.store_url)
        try:
            with progress("re-matching stored items") as report_progress:
                report = run_backfill(
                    store, ruleset, start, until=end, rule_ids=rule, resend=resend,
                    batch_size=batch_size, progress=report_progress,
                )  # fmt: skip
        finally:
            store.close()
    for line in report.lines():
        out.print(line, markup=False)


def _backfill_on_dask(start, end, rule_ids, resend: bool, batch_size: int, workers: int):
    from vigil.prefect_env import quiet_prefect

    with quiet_prefect():
        from flows.backfill import run_on_dask

        return run_on_dask(
            since=start, until=end, rule_ids=rule_ids, resend=resend,
            batch_size=batch_size, workers=workers,
        )  # fmt: skip


@rules_app.command("check")
@reports_errors
def rules_check(
    path: Annotated[
        Path | None, typer.Argument(help="Rules folder. Default: $VIGIL_RULES, else rules/.")
    ] = None,
    rules: RulesOption = None,
) -> None:
    """Validate every rule file and run every rule's examples.

    Prints a table of the rules, or every problem as file:line:column with the offending text.
    Exit code 2 when anything is wrong.
    """
    from vigil.rules import Matcher
    from vigil.rules.examples import check_examples
    from vigil.rules.loader import load_ruleset_partly

    settings = settings_from(rules=path or rules)
    ruleset, problems = load_ruleset_partly(
        settings.rules, follow_links=settings.rules_follow_links
    )
    # Everything at once: the files' problems, and the examples of every rule that compiled.
    failures = check_examples(Matcher(ruleset)) if ruleset.rules else []
    table = Table(
        title=f"{len(ruleset.rules)} rules, {len(ruleset.actors)} actors, "
        f"{len(ruleset.actions)} actions in {settings.rules}"
    )
    for column in ("rule", "title", "severity", "examples", "defined at"):
        table.add_column(column)
    for rule in ruleset.rules:
        count = len(rule.examples.match) + len(rule.examples.no_match)
        broken = sum(1 for failure in failures if failure.rule_id == rule.id)
        status = f"{count - broken}/{count} ok" if count else "none"
        table.add_row(rule.id, rule.title, str(rule.severity), status, rule.location)
    if ruleset.rules:
        out.print(table)
    for line in ruleset.skipped:
        err.print(f"warning: {line}", markup=False)
    for line in [*problems, *map(str, failures)]:
        err.print(line, markup=False)
    if problems or failures:
        counts = []
        if problems:
            counts.append(f"{len(problems)} problem(s) in {settings.rules}")
        if failures:
            counts.append(f"{len(failures)} example(s) misbehave")
        err.print("; ".join(counts), markup=False)
        raise typer.Exit(EXIT_UNUSABLE)
    out.print("all rules valid, all examples behave", markup=False)


@rules_app.command("test")
@reports_errors
def rules_test(
    articles: Annotated[
        list[str],
        typer.Argument(
            help="Article files (Title / Author on line 1), folders of them, or stored item ids."
        ),
    ],
    rule: Annotated[
        list[str] | None, typer.Option("--rule", help="Only this rule id (repeatable).")
    ] = None,
    rules: RulesOption = None,
) -> None:
    """Show which rules match each article and why: the text with matched words marked, then
    per rule matched or not, the clause that failed, and the evidence sentence. Stores nothing.
    """
    from vigil.rules import Matcher, load_ruleset
    from vigil.rules.explain import explain_rule

    settings = settings_from(rules=rules)
    matcher = Matcher(load_ruleset(settings.rules, follow_links=settings.rules_follow_links))
    loaded = _load_articles(articles, settings)
    selected = [r for r in matcher.ruleset.rules if not rule or r.id in rule]
    if rule and (unknown := sorted(set(rule) - {r.id for r in selected})):
        err.print(f"vigil: no such rule: {', '.join(unknown)}", markup=False)
        raise typer.Exit(EXIT_UNUSABLE)
    for name, article in loaded:
        doc = matcher.prepare(article)
        matches = {m.rule_id: m for m in matcher.match(article)}
        out.print(f"== {name}: {article.title}", markup=False, style="bold")
        spans = sorted({s for hits in doc.term_hits.values() for s in hits})
        out.print(_marked(doc.text, spans), markup=False, highlight=False)
        out.print()
        for candidate in selected:
            found = matches.get(candidate.id)
            if found:
                direction = f", {found.direction}" if found.direction else ""
                out.print(
                    f"✓ {candidate.id}: matched (score {found.score:g}{direction})",
                    markup=False,
                    style="green",
                )
                evidence = "".join(f"[{p}]" if hit else p for p, hit in found.evidence_segments())
                out.print(f"    evidence: {evidence}", markup=False)
            else:
                out.print(f"✗ {candidate.id}: no match", markup=False, style="red")
            for line in explain_rule(matcher, candidate, doc):
                out.print(f"    {line}", markup=False)
        out.print()


def _marked(text: str, spans: list[tuple[int, int]]) -> str:
    from vigil.rules.matcher import highlight_segments, merge_spans

    segments = highlight_segments(text, merge_spans(spans))
    return "".join(f"[{piece}]" if hit else piece for piece, hit in segments)


def _load_articles(names: list[str], settings):
    from vigil.errors import SourceError
    from vigil.localfiles import LocalFileError
    from vigil.sources import read_article_folder
    from vigil.sources.seedtext import read_article_file

    loaded = []
    for name in names:
        path = Path(name)
        if path.is_dir():
            problems: list[tuple[Path, str]] = []
            found = read_article_folder(path, problems=problems)
            loaded += [(f"{path}/{a.title[:30]}", a) for a in found]
            for _, problem in problems:
                err.print(f"vigil: skipped: {problem}", markup=False)
        elif path.exists() and not name.isdigit():
            try:
                loaded.append((str(path), read_article_file(path, path.parent.name)))
            except LocalFileError as exc:
                raise SourceError(str(exc)) from None
        elif name.isdigit():
            from vigil.store import Store
            from vigil.store.repo import shown_url

            store = Store(settings.store_url)
            try:
                article = store.article(int(name))
            finally:
                store.close()
            if article is None:
                raise SourceError(
                    f"no stored item with id {name} in {shown_url(settings.store_url)}"
                )
            loaded.append((f"item {name}", article))
        else:
            raise SourceError(f"{name}: no such file or folder, and not a stored item id")
    return loaded


@feeds_app.callback()
@reports_errors
def feeds_health(ctx: typer.Context, feeds: FeedsOption = None) -> None:
    """Show each feed's health: last success, failures in a row, next try, last error.

    Exit code 1 when any feed is failing or disabled.
    """
    if ctx.invoked_subcommand is not None:
        return
    from vigil.sources import load_feeds_file
    from vigil.store import Store

    settings = settings_from(feeds=feeds)
    specs = load_feeds_file(settings.feeds)
    store = Store(settings.store_url)
    try:
        rows = {row.name: row for row in store.feed_health()}
    finally:
        store.close()
    table = Table(title=f"{len(specs)} feeds in {settings.feeds}")
    for column in ("feed", "health", "last success", "failures", "next try", "items", "last error"):
        table.add_column(column)
    troubled = 0
    for spec in specs:
        row = rows.get(spec.name)
        if row is None or row.configured_url != spec.url:
            table.add_row(spec.name, "not fetched yet", "", "", "", "", "")
            continue
        health = "disabled" if row.disabled else "failing" if row.consecutive_failures else "ok"
        troubled += health != "ok"
        style = {"ok": "green", "failing": "yellow", "disabled": "red"}[health]
        table.add_row(
            spec.name,
            f"[{style}]{health}[/{style}]",
            _when(row.last_success),
            str(row.consecutive_failures or ""),
            _when(row.next_attempt),
            str(row.items_seen),
            (row.last_error or "")[:60],
        )
    out.print(table)
    raise typer.Exit(EXIT_FAILED if troubled else EXIT_OK)


def _when(moment) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else ""


@feeds_app.command("import")
@reports_errors
def feeds_import(
    opml: Annotated[Path, typer.Argument(help="OPML file exported by a feed reader.")],
    feeds: Annotated[Path, typer.Option(help="Feeds file to add to (created if missing).")] = Path(
        "feeds.yaml"
    ),
) -> None:
    """Add the feeds of an OPML file to a feeds file; feeds already there are skipped."""
    from vigil.sources.opml import import_opml

    added, skipped = import_opml(opml, feeds)
    for spec in added:
        out.print(f"added {spec.name}: {spec.url}", markup=False)
    out.print(f"{len(added)} added, {len(skipped)} already in {feeds}", markup=False)


@feeds_app.command("export")
@reports_errors
def feeds_export(
    feeds: FeedsOption = None,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write here instead of standard output.")
    ] = None,
) -> None:
    """Write the feeds file as OPML, for any feed reader."""
    from vigil.sources import load_feeds_file
    from vigil.sources.opml import export_opml

    settings = settings_from(feeds=feeds)
    text = export_opml(load_feeds_file(settings.feeds))
    if out_file is None:
        sys.stdout.write(text)
    else:
        out_file.write_text(text, encoding="utf-8")
        out.print(f"wrote {out_file}", markup=False)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("vigil: interrupted")
        sys.exit(130)
    except VigilError as exc:  # a store that cannot be opened, a file: one line, no traceback
        raise SystemExit(fail_unusable(exc).exit_code) from None


if __name__ == "__main__":
    main()
