"""``vigil matches``: stored matches, exported for analysis. Writes nothing to the store."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from enum import StrEnum
from typing import Annotated

import typer

from vigil.cli.errors import reports_errors
from vigil.cli.root import OutOption, SinceOption, UntilOption, err, open_store, progress, utc

matches_app = typer.Typer(help="Stored matches: export them for analysis.", no_args_is_help=True)


class ExportFormat(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"


@matches_app.command("export")
@reports_errors
def export(
    since: SinceOption = None,
    until: UntilOption = None,
    rule: Annotated[
        list[str] | None, typer.Option("--rule", help="Only this rule (repeatable).")
    ] = None,
    format: Annotated[ExportFormat, typer.Option(help="jsonl or csv.")] = ExportFormat.JSONL,
    out_file: OutOption = None,
) -> None:
    """One record per (item, rule): the item, the rule and its tags, actors and direction, the
    evidence sentence, the score, and whether and when it was delivered. Streamed."""
    from vigil.export import records, write_csv, write_jsonl

    _, ruleset, store = open_store()
    start, end = utc(since), utc(until)
    writer = write_csv if format is ExportFormat.CSV else write_jsonl
    with ExitStack() as stack:
        stack.callback(store.close)
        total = store.count_matches(since=start, until=end, rule_ids=rule) if out_file else 0
        handle = (
            stack.enter_context(open(out_file, "w", encoding="utf-8", newline=""))
            if out_file
            else sys.stdout
        )
        report = stack.enter_context(progress(f"exporting to {out_file}")) if out_file else None
        done = 0

        def tick() -> None:
            nonlocal done
            done += 1
            if report is not None and (done % 1000 == 0 or done == total):
                report(done, total)

        count = writer(
            handle,
            records(store.stream_matches(since=start, until=end, rule_ids=rule), ruleset),
            tick,
        )
    if out_file:
        err.print(f"wrote {count} matches to {out_file}", markup=False)
