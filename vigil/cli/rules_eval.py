"""``vigil rules eval``: the rules scored against hand-labelled items, from a labels file or
from the analysts' labels in the store (``vigil matches label``). Nothing is stored or sent."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from vigil.cli.errors import reports_errors
from vigil.cli.output import FormatOption, TableFormat, new_table
from vigil.cli.root import (
    EXIT_FAILED,
    EXIT_UNUSABLE,
    RulesOption,
    SinceOption,
    err,
    open_store,
    out,
    settings_from,
    utc,
)
from vigil.cli.rules import rules_app

if TYPE_CHECKING:
    from vigil.rule_eval import EvalReport


@rules_app.command("eval")
@reports_errors
def rules_eval(
    labels: Annotated[
        Path | None,
        typer.Argument(
            help="Labels file (JSON Lines, one item a line), or a folder of them; "
            "left out with --feedback."
        ),
    ] = None,
    format: FormatOption = TableFormat.TABLE,
    min_recall: Annotated[
        float | None,
        typer.Option(
            metavar="SHARE", min=0, max=1, help="Exit 1 when a key's recall is below this (0 to 1)."
        ),
    ] = None,
    min_precision: Annotated[
        float | None,
        typer.Option(
            metavar="SHARE",
            min=0,
            max=1,
            help="Exit 1 when a key's precision is below this (0 to 1).",
        ),
    ] = None,
    key: Annotated[
        list[str] | None,
        typer.Option(
            "--key", metavar="KEY", help="Only this key: a rule id or tag:NAME (repeatable)."
        ),
    ] = None,
    rules: RulesOption = None,
    feedback: Annotated[
        bool,
        typer.Option(
            "--feedback",
            help="Score on the analysts' labels in the store (vigil matches label) instead of "
            "a labels file: relevant and missed count as should match, irrelevant as should not.",
        ),
    ] = False,
    since: SinceOption = None,
) -> None:
    """Score the rules against hand-labelled items: per rule id or tag:NAME, true and false
    positives, misses, precision, recall, F1 and the share of right directions, then each false
    positive with its evidence and each miss with the clause that failed. Items are matched in
    memory: nothing is stored, nothing is sent. Exit 1 when a key is below --min-recall or
    --min-precision. With --feedback, the items are the labelled stored ones (with --since, those
    first seen since then), so an edited rule set (--rules) can be tried on what analysts said."""
    from vigil.labels import load_labels, stored_labels
    from vigil.rule_eval import evaluate_labels
    from vigil.rules import Matcher, load_ruleset

    if (labels is None) == (not feedback):
        err.print("vigil: give a labels file, or --feedback (not both)", markup=False)
        raise typer.Exit(EXIT_UNUSABLE)
    if feedback:
        settings, ruleset, store = open_store(rules)
        items, dropped = stored_labels(store, ruleset, utc(since))
        for problem in dropped:
            err.print(f"warning: left out: {problem}", markup=False)
        source = "the store's labels"
    else:
        assert labels is not None
        settings = settings_from(rules=rules)
        ruleset = load_ruleset(settings.rules, follow_links=settings.rules_follow_links)
        items, source = load_labels(labels, ruleset), str(labels)
    report = evaluate_labels(Matcher(ruleset), items, key or None)
    below = report.shortfalls(min_recall=min_recall, min_precision=min_precision)
    if format is TableFormat.JSON:
        document = {"labels": source, "rules": str(settings.rules), **report.as_json()}
        document["below"] = below
        sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    else:
        _print_eval(report, f"{len(report.scores)} keys over {report.items} items of {source}")
    for warning in report.warnings:
        err.print(f"warning: {warning}", markup=False)
    for line in below:
        err.print(f"vigil: below the threshold: {line}", markup=False)
    if below:
        raise typer.Exit(EXIT_FAILED)


def _print_eval(report: EvalReport, title: str) -> None:
    """The table of keys, then every false positive, miss and wrong direction."""

    def share(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.2f}"

    table = new_table(title)
    for column in ("key", "labelled", "TP", "FP", "misses", "TN", "precision", "recall", "F1"):
        table.add_column(column, justify="left" if column == "key" else "right")
    table.add_column("direction", justify="right")
    for s in report.scores:
        direction = share(s.direction_share)
        if s.direction_labelled:
            direction += f" ({s.direction_right}/{s.direction_labelled})"
        table.add_row(
            s.key, str(s.labelled), str(s.tp), str(s.fp), str(s.fn), str(s.tn),
            share(s.precision), share(s.recall), share(s.f1), direction,
            style="yellow" if s.fp or s.fn else "",
        )  # fmt: skip
    out.print(table)
    out.print(f"False positives: {len(report.false_positives) or 'none'}", style="bold")
    for fp in report.false_positives:
        out.print(f"  {fp.key}: {fp.title} ({fp.where})", markup=False)
        for hit in fp.hits:
            direction = f" ({hit.direction})" if hit.direction else ""
            out.print(f"      {hit.rule_id}{direction}: {hit.evidence}", markup=False)
    out.print(f"Misses: {len(report.misses) or 'none'}", style="bold")
    for miss in report.misses:
        out.print(f"  {miss.key}: {miss.title} ({miss.where})", markup=False)
        for why in miss.rules:
            for line in why.failing:
                out.print(f"      {why.rule_id}: {line}", markup=False)
    if report.wrong_directions:
        out.print(f"Wrong directions: {len(report.wrong_directions)}", style="bold")
    for wrong in report.wrong_directions:
        out.print(
            f"  {wrong.key}: {wrong.title} ({wrong.where}): {wrong.rule_id} names "
            f"{wrong.found or 'no direction'}, labelled {wrong.labelled}",
            markup=False,
        )
