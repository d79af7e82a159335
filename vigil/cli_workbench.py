"""The analyst's workbench: ``vigil matches export``, ``vigil rules stats`` and
``vigil rules backtest``. Nothing here writes to the store or sends anything."""

from __future__ import annotations

import json
import sys
from contextlib import ExitStack
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from vigil.console import (
    RulesOption,
    err,
    out,
    progress,
    reports_errors,
    settings_from,
    warn_misbehaving_examples,
)

matches_app = typer.Typer(help="Stored matches: export them for analysis.", no_args_is_help=True)

DATE_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M"]
SinceOption = Annotated[
    datetime | None,
    typer.Option(formats=DATE_FORMATS, help="Items first seen on or after this date (UTC)."),
]
UntilOption = Annotated[
    datetime | None,
    typer.Option(formats=DATE_FORMATS, help="…and before this date (UTC)."),
]
OutOption = Annotated[
    Path | None, typer.Option("--out", help="Write here instead of standard output.")
]


class ExportFormat(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"


class ReportFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


class BacktestFormat(StrEnum):
    TABLE = "table"
    JSONL = "jsonl"


def _utc(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment else None


def _open_store(rules: Path | None = None):
    from vigil.rules import load_ruleset
    from vigil.store import Store

    settings = settings_from(rules=rules)
    ruleset = load_ruleset(settings.rules, follow_links=settings.rules_follow_links)
    return settings, ruleset, Store(settings.store_url)


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

    _, ruleset, store = _open_store()
    window = {"since": _utc(since), "until": _utc(until), "rule_ids": rule}
    writer = write_csv if format is ExportFormat.CSV else write_jsonl
    with ExitStack() as stack:
        stack.callback(store.close)
        total = store.count_matches(**window) if out_file else 0
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

        count = writer(handle, records(store.stream_matches(**window), ruleset), tick)
    if out_file:
        err.print(f"wrote {count} matches to {out_file}", markup=False)


@reports_errors
def rules_stats(
    since: SinceOption = None,
    format: Annotated[ReportFormat, typer.Option(help="table or json.")] = ReportFormat.TABLE,
    noisy: Annotated[
        float,
        typer.Option(min=0, max=1, help="Flag rules matching more than this share of items."),
    ] = 0.3,
    rules: RulesOption = None,
) -> None:
    """Per rule: hits, hits per day and week, share of items, last hit, the last 14 days, and
    flags for rules that never matched and rules that match too much."""
    from vigil.stats import rule_stats

    _, ruleset, store = _open_store(rules)
    try:
        report = rule_stats(store, ruleset, _utc(since), noisy_share=noisy)
    finally:
        store.close()
    if format is ReportFormat.JSON:
        document = {
            "since": report.since.isoformat(),
            "until": report.until.isoformat(),
            "items": report.items,
            "rules": [entry.as_json() for entry in report.rules],
        }
        sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        return
    days = report.recent_days()
    table = Table(
        title=f"{len(report.rules)} rules over {report.items} items first seen "
        f"{report.since:%Y-%m-%d} to {report.until:%Y-%m-%d}"
    )
    for column in ("rule", "hits", "per day", "per week", "share", "last hit", "14 days", "flags"):
        table.add_column(
            column,
            justify="right" if column in {"hits", "per day", "per week", "share"} else "left",
        )
    for entry in report.rules:
        style = "yellow" if entry.flags else ""
        table.add_row(
            entry.rule_id,
            str(entry.hits),
            f"{entry.per_day:.1f}",
            f"{entry.per_week:.1f}",
            f"{entry.share:.0%}",
            f"{entry.last_hit:%Y-%m-%d %H:%M}" if entry.last_hit else "never",
            entry.spark(days),
            ", ".join(entry.flags),
            style=style,
        )
    out.print(table)


@reports_errors
def rules_backtest(
    rules: Annotated[
        Path, typer.Option(help="The candidate rules folder (an edited copy of the live one).")
    ],
    since: Annotated[
        datetime, typer.Option(formats=DATE_FORMATS, help="Items first seen on or after (UTC).")
    ],
    until: UntilOption = None,
    format: Annotated[
        BacktestFormat,
        typer.Option(help="table (per rule, with example titles) or jsonl (every difference)."),
    ] = BacktestFormat.TABLE,
    out_file: OutOption = None,
) -> None:
    """Apply a rule set to the stored items and compare with what the live rules flagged:
    per rule, new hits and lost hits with their titles. Writes nothing, sends nothing."""
    from vigil.backtest import Difference, backtest
    from vigil.rules import Matcher, load_ruleset
    from vigil.rules.examples import check_examples

    _, live_rules, store = _open_store()
    with ExitStack() as stack:
        stack.callback(store.close)
        candidate = load_ruleset(rules)
        warn_misbehaving_examples(check_examples(Matcher(candidate)))
        handle = (
            stack.enter_context(open(out_file, "w", encoding="utf-8")) if out_file else sys.stdout
        )
        show = out_file is not None or format is BacktestFormat.TABLE
        report_progress = stack.enter_context(progress("backtesting stored items"))

        def write(difference: Difference) -> None:
            if format is BacktestFormat.JSONL:
                handle.write(json.dumps(difference.as_json(), ensure_ascii=False) + "\n")

        report = backtest(
            store, candidate, since.replace(tzinfo=UTC), until=_utc(until),
            live_rule_ids={rule.id for rule in live_rules.rules},
            progress=report_progress if show else None,
            on_difference=write,
        )  # fmt: skip
    if format is BacktestFormat.JSONL:
        err.print(
            f"{report.items} items, {sum(r.new for r in report.rules.values())} new and "
            f"{sum(r.lost for r in report.rules.values())} lost hits",
            markup=False,
        )
        return
    table = Table(title=f"{rules} against the live rules on {report.items} stored items")
    for column in ("rule", "would flag", "live", "new", "lost", "examples"):
        table.add_column(column)
    for entry in report.rules.values():
        examples = "\n".join(
            f"{'+' if d.change == 'new' else '−'} {d.title[:70]}" for d in entry.examples[:6]
        )
        name = f"{entry.rule_id} ({entry.status})" if entry.status else entry.rule_id
        table.add_row(
            name, str(entry.would_flag), str(entry.live),
            f"+{entry.new}" if entry.new else "0", f"−{entry.lost}" if entry.lost else "0",
            examples,
            style="yellow" if entry.new or entry.lost else "",
        )  # fmt: skip
    out.print(table)
    changed = report.changed
    out.print(
        f"{len(changed)} rule(s) would change: " + ", ".join(r.rule_id for r in changed)
        if changed
        else "no rule would change what it flags",
        markup=False,
    )
