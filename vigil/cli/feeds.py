"""``vigil feeds``: the feeds' health table, and OPML import and export."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from vigil.cli.errors import reports_errors
from vigil.cli.output import FormatOption, TableFormat, new_table, print_json
from vigil.cli.root import EXIT_FAILED, EXIT_OK, FeedsOption, out, settings_from
from vigil.clock import MINUTE_FORMAT

feeds_app = typer.Typer(
    help="Feed health, and OPML import and export. Without a command: the health table.",
    invoke_without_command=True,
)


@feeds_app.callback()
@reports_errors
def feeds_health(
    ctx: typer.Context, feeds: FeedsOption = None, format: FormatOption = TableFormat.TABLE
) -> None:
    """Show each feed's health: last success, failures in a row, next try, last error.

    Exit code 1 when any feed is failing or disabled.
    """
    if ctx.invoked_subcommand is not None:
        return
    from vigil.sources import load_feeds_file
    from vigil.sources.feed_state import FeedCondition, condition
    from vigil.store import Store

    settings = settings_from(feeds=feeds)
    specs = load_feeds_file(settings.feeds)
    store = Store(settings.store_url)
    try:
        rows = store.feed_rows()
    finally:
        store.close()
    table = new_table(f"{len(specs)} feeds in {settings.feeds}")
    for column in ("feed", "health", "last success", "failures", "next try", "items", "last error"):
        table.add_column(column)
    listed: list[dict[str, object]] = []
    troubled = 0
    for spec in specs:
        row = rows.get(spec.name)
        health = condition(row, spec.url)
        listed.append(
            {"name": spec.name, "url": spec.url, "health": str(health),
             "last_success": row.last_success if row else None,
             "failures": row.consecutive_failures if row else 0,
             "next_attempt": row.next_attempt if row else None,
             "items": row.items_seen if row else 0,
             "last_error": row.last_error if row else None}
        )  # fmt: skip
        if row is None or health is FeedCondition.NEW:
            table.add_row(spec.name, str(health), "", "", "", "", "")
            continue
        troubled += health is not FeedCondition.OK
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
    if format is TableFormat.JSON:
        print_json({"feeds_file": str(settings.feeds), "feeds": listed, "troubled": troubled})
    else:
        out.print(table)
    raise typer.Exit(EXIT_FAILED if troubled else EXIT_OK)


def _when(moment: datetime | None) -> str:
    return f"{moment:{MINUTE_FORMAT}} UTC" if moment else ""


@feeds_app.command("import")
@reports_errors
def feeds_import(
    opml: Annotated[Path, typer.Argument(help="OPML file exported by a feed reader.")],
    feeds: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="Feeds file to add to (created if missing). Default: $VIGIL_FEEDS, the file "
            "the other commands read; else ./feeds.yaml (never the bundled demo feeds).",
        ),
    ] = None,
) -> None:
    """Add the feeds of an OPML file to a feeds file; feeds already there are skipped."""
    from vigil.sources.opml import import_opml

    if feeds is None:
        settings = settings_from()
        feeds = settings.feeds if "feeds" in settings.model_fields_set else Path("feeds.yaml")
    added, skipped = import_opml(opml, feeds)
    for spec in added:
        out.print(f"added {spec.name}: {spec.url}", markup=False)
    out.print(f"{len(added)} added, {len(skipped)} already in {feeds}", markup=False)


@feeds_app.command("export")
@reports_errors
def feeds_export(
    feeds: FeedsOption = None,
    out_file: Annotated[
        Path | None,
        typer.Option("--out", metavar="FILE", help="Write here instead of standard output."),
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
