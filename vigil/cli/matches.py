"""``vigil matches``: stored matches, exported for analysis, and analysts' labels of them.
Only ``label`` writes to the store (the labels table); nothing here sends anything."""

from __future__ import annotations

import json
import sys
from contextlib import ExitStack
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from vigil.cli.errors import reports_errors
from vigil.cli.output import FormatOption, TableFormat, new_table
from vigil.cli.root import (
    EXIT_UNUSABLE,
    OutOption,
    SinceOption,
    UntilOption,
    err,
    open_store,
    out,
    progress,
    settings_from,
    utc,
)
from vigil.clock import MINUTE_FORMAT

if TYPE_CHECKING:
    from vigil.store import Verdict

matches_app = typer.Typer(
    help="Stored matches: export them for analysis, label them relevant, irrelevant or missed.",
    no_args_is_help=True,
)


class ExportFormat(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"


RuleFilter = Annotated[
    list[str] | None, typer.Option("--rule", metavar="ID", help="Only this rule (repeatable).")
]


@matches_app.command("export")
@reports_errors
def export(
    since: SinceOption = None,
    until: UntilOption = None,
    rule: RuleFilter = None,
    format: Annotated[ExportFormat, typer.Option(help="jsonl or csv.")] = ExportFormat.JSONL,
    out_file: OutOption = None,
) -> None:
    """One record per (item, rule): the item, the rule and its tags, actors and direction, the
    evidence sentence, the score, whether and when it was delivered, and the analyst's label
    (verdict, author, note) or none. Streamed."""
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


@matches_app.command("label")
@reports_errors
def label(
    item_id: Annotated[
        int, typer.Argument(help="The stored item's id (item_id in `vigil matches export`).")
    ],
    rule: Annotated[str, typer.Option("--rule", metavar="ID", help="The rule the label is about.")],
    relevant: Annotated[
        bool, typer.Option("--relevant", help="The rule's match of the item is right.")
    ] = False,
    irrelevant: Annotated[
        bool,
        typer.Option("--irrelevant", help="The rule's match of the item is wrong (noise)."),
    ] = False,
    missed: Annotated[
        bool,
        typer.Option("--missed", help="The rule did not match the item, and should have."),
    ] = False,
    note: Annotated[
        str | None,
        typer.Option("--note", metavar="TEXT", help="Why, in a few words; kept with the label."),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option("--by", metavar="NAME", help="Who says so. Default: your user name."),
    ] = None,
) -> None:
    """Label what a rule did with a stored item: its match is relevant or irrelevant, or the
    rule missed an item it should have matched. One label per item and rule: labelling the
    pair again replaces it. `vigil rules stats` measures each rule's precision from them."""
    from vigil.errors import LabelError, WrongVerdict

    given: dict[Verdict, bool] = {"relevant": relevant, "irrelevant": irrelevant, "missed": missed}
    chosen = [verdict for verdict, flag in given.items() if flag]
    if len(chosen) != 1:
        err.print("vigil: give one of --relevant, --irrelevant or --missed", markup=False)
        raise typer.Exit(EXIT_UNUSABLE)
    verdict = chosen[0]
    settings, ruleset, store = open_store()
    defined = rule in {r.id for r in ruleset.rules}
    try:
        if not defined and verdict == "missed":
            raise LabelError(
                f"no rule {rule} in {settings.rules}: a missed label is for a rule the rules "
                "define (check the id: `vigil rules check` lists them)"
            )
        author = by if by is not None else _user_name()
        try:
            previous = store.label_item(item_id, rule, verdict, note or None, author or None)
        except WrongVerdict as exc:
            if not defined:
                raise LabelError(
                    f"no rule {rule} in {settings.rules}, and no stored match of it on item "
                    f"{item_id} (check the id: `vigil rules check` lists the rules)"
                ) from None
            if exc.matched:
                raise LabelError(
                    f"{rule} matched item {item_id}: --missed is for an item the rule did not "
                    "match; judge the match with --relevant or --irrelevant"
                ) from None
            raise LabelError(
                f"{rule} did not match item {item_id}: --{verdict} judges a match the rule "
                "made; use --missed if the rule should have matched it"
            ) from None
    finally:
        store.close()
    if not defined:
        err.print(
            f"vigil: warning: {rule} is no longer defined in {settings.rules}; its stored match "
            "is labelled all the same",
            markup=False,
        )
    said = f"item {item_id}, {rule}: {verdict}" + (f" (by {author})" if author else "")
    if previous is not None:
        said += f", replacing {previous.verdict}" + (
            f" (by {previous.author})" if previous.author else ""
        )
    out.print(said, markup=False)


@matches_app.command("labels")
@reports_errors
def labels(
    rule: RuleFilter = None,
    format: FormatOption = TableFormat.TABLE,
) -> None:
    """The analysts' current labels, oldest first: item, rule, verdict, who gave it and when,
    the note and the item's title."""
    from vigil.store import Store

    store = Store(settings_from().store_url)
    try:
        found = store.labels_for(rule_ids=rule or None)
    finally:
        store.close()
    if format is TableFormat.JSON:
        document = [
            {**entry._asdict(), "labelled_at": entry.labelled_at.isoformat()} for entry in found
        ]
        sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        return
    table = new_table(f"{len(found)} label(s)")
    for column in ("item", "rule", "verdict", "by", "labelled"):
        table.add_column(column, justify="right" if column == "item" else "left")
    table.add_column("note")
    table.add_column("title", max_width=50)  # wrapped past 50 columns, never cut
    for entry in found:
        table.add_row(
            str(entry.item_id),
            entry.rule_id,
            entry.verdict,
            entry.author or "",
            f"{entry.labelled_at:{MINUTE_FORMAT}}",
            entry.note or "",
            entry.title,
        )
    out.print(table)


def _user_name() -> str | None:
    """The OS user, who labels by default; None when the system cannot say."""
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return None


@matches_app.command("feed")
@reports_errors
def feed(
    rule: RuleFilter = None,
    tag: Annotated[
        str | None, typer.Option(metavar="NAME", help="Only the rules of this family tag.")
    ] = None,
    recipient: Annotated[
        str | None,
        typer.Option(metavar="ID", help="Only what the recipients file routes to this recipient."),
    ] = None,
    days: Annotated[
        float | None,
        typer.Option(metavar="DAYS", min=0, help="Only items first seen in the last DAYS days."),
    ] = None,
    limit: Annotated[
        int, typer.Option(metavar="N", min=1, help="At most this many entries, the newest.")
    ] = 100,
    out_file: OutOption = None,
) -> None:
    """An Atom 1.0 feed of the stored matches, newest first, for any feed reader: one entry per
    (item, rule) with a stable id, the evidence as its summary and the article's link."""
    from vigil.atom import FeedChoice, atom_feed, chosen_matches
    from vigil.clock import system_clock
    from vigil.monitor import recipients_of

    settings, ruleset, store = open_store()
    chosen = None
    if recipient is not None:
        readers = {reader.id: reader for reader in recipients_of(settings, ruleset)}
        if recipient not in readers:
            known = ", ".join(sorted(readers))
            err.print(f"vigil: no recipient {recipient!r}; the recipients are: {known}")
            raise typer.Exit(EXIT_UNUSABLE)
        chosen = readers[recipient]
    choice = FeedChoice(tuple(rule) if rule else None, tag, chosen, days)
    rules = {r.id: r for r in ruleset.rules}
    now = system_clock()
    try:
        found = chosen_matches(store, rules, choice, now=now, limit=limit)
    finally:
        store.close()
    document = atom_feed(found, choice, now=now, rules=rules, web_url=settings.web_url)
    if out_file is None:
        sys.stdout.buffer.write(document)
        sys.stdout.flush()
    else:
        out_file.write_bytes(document)
        err.print(f"wrote {len(found)} entries to {out_file}", markup=False)
