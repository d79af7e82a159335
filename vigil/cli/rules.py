"""``vigil rules``: check rule files, try them on articles, and the analyst's workbench
(``stats``, ``backtest``, ``eval``). Nothing here writes to the store or sends anything."""

from __future__ import annotations

import json
import sys
from contextlib import ExitStack
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from vigil.cli.errors import reports_errors
from vigil.cli.output import FormatOption, TableFormat, new_table, print_json
from vigil.cli.root import (
    EXIT_UNUSABLE,
    MOMENT,
    OutOption,
    RulesOption,
    SinceOption,
    UntilOption,
    err,
    open_store,
    out,
    progress,
    settings_from,
    utc,
)
from vigil.clock import DAY_FORMAT, MINUTE_FORMAT

if TYPE_CHECKING:
    from vigil.rules.examples import ExampleFailure

rules_app = typer.Typer(help="Check rule files and try them on articles.", no_args_is_help=True)


class BacktestFormat(StrEnum):
    TABLE = "table"
    JSONL = "jsonl"


@rules_app.command("stats")
@reports_errors
def rules_stats(
    since: SinceOption = None,
    format: FormatOption = TableFormat.TABLE,
    noisy: Annotated[
        float,
        typer.Option(
            metavar="SHARE", min=0, max=1, help="Flag rules matching more than this share of items."
        ),
    ] = 0.3,
    rules: RulesOption = None,
) -> None:
    """Per rule: hits, hits per day and week, share of items, last hit, the last 14 days, the
    precision measured by analysts' labels (with how many it rests on) and the items labelled
    missed, and flags for rules that never matched and rules that match too much."""
    from vigil.stats import rule_stats

    _, ruleset, store = open_store(rules)
    try:
        report = rule_stats(store, ruleset, utc(since), noisy_share=noisy)
    finally:
        store.close()
    if format is TableFormat.JSON:
        document = {
            "since": report.since.isoformat(),
            "until": report.until.isoformat(),
            "items": report.items,
            "rules": [entry.as_json() for entry in report.rules],
        }
        sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        return
    days = report.recent_days()
    table = new_table(
        f"{len(report.rules)} rules over {report.items} items first seen "
        f"{report.since:{DAY_FORMAT}} to {report.until:{DAY_FORMAT}}"
    )
    counted = {"hits", "per day", "per week", "share", "precision", "missed"}
    for column in (
        "rule", "hits", "per day", "per week", "share", "last hit", "14 days", "precision",
        "missed", "flags",
    ):  # fmt: skip
        table.add_column(column, justify="right" if column in counted else "left")
    for entry in report.rules:
        style = "yellow" if entry.flags else ""
        table.add_row(
            entry.rule_id,
            str(entry.hits),
            f"{entry.per_day:.1f}",
            f"{entry.per_week:.1f}",
            f"{entry.share:.0%}",
            f"{entry.last_hit:{MINUTE_FORMAT}}" if entry.last_hit else "never",
            entry.spark(days),
            entry.precision_text(),
            str(entry.missed),
            ", ".join(entry.flags),
            style=style,
        )
    out.print(table)


def _candidate_folder(candidate: Path | None, old_spelling: Path | None) -> Path:
    """--candidate; --rules, which everywhere else names the live rules, still works here."""
    if old_spelling is not None:
        err.print(
            "vigil: `rules backtest --rules` is now --candidate (--rules names the live rules "
            "everywhere else); the old spelling still works",
            markup=False,
        )
    chosen = candidate or old_spelling
    if chosen is None:
        raise typer.BadParameter("the candidate rules folder is needed", param_hint="--candidate")
    return chosen


@rules_app.command("backtest")
@reports_errors
def rules_backtest(
    since: Annotated[
        datetime,
        typer.Option(
            **MOMENT,
            help="Items first seen on or after this moment: a day (UTC), a day and time, or 7d, "
            "2h, yesterday.",
        ),
    ],
    candidate: Annotated[
        Path | None,
        typer.Option(
            metavar="DIR", help="The candidate rules folder (an edited copy of the live one)."
        ),
    ] = None,
    old_spelling: Annotated[
        Path | None,
        typer.Option("--rules", hidden=True, help="The old spelling of --candidate."),
    ] = None,
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

    rules = _candidate_folder(candidate, old_spelling)
    _, live_rules, store = open_store()
    with ExitStack() as stack:
        stack.callback(store.close)
        candidate_rules = load_ruleset(rules)
        warn_misbehaving_examples(check_examples(Matcher(candidate_rules)))
        handle = (
            stack.enter_context(open(out_file, "w", encoding="utf-8")) if out_file else sys.stdout
        )
        show = out_file is not None or format is BacktestFormat.TABLE
        report_progress = stack.enter_context(progress("backtesting stored items"))

        def write(difference: Difference) -> None:
            if format is BacktestFormat.JSONL:
                handle.write(json.dumps(difference.as_json(), ensure_ascii=False) + "\n")

        report = backtest(
            store, candidate_rules, since.replace(tzinfo=UTC), until=utc(until),
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
    table = new_table(f"{rules} against the live rules on {report.items} stored items")
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


@rules_app.command("check")
@reports_errors
def rules_check(
    path: Annotated[
        Path | None, typer.Argument(help="Rules folder. Default: $VIGIL_RULES, else rules/.")
    ] = None,
    rules: RulesOption = None,
    format: FormatOption = TableFormat.TABLE,
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
    table = new_table(
        f"{len(ruleset.rules)} rules, {len(ruleset.actors)} actors, "
        f"{len(ruleset.actions)} actions in {settings.rules}"
    )
    for column in ("rule", "title", "severity", "examples", "defined at"):
        table.add_column(column)
    listed: list[dict[str, object]] = []
    for rule in ruleset.rules:
        count = len(rule.examples.match) + len(rule.examples.no_match)
        broken = sum(1 for failure in failures if failure.rule_id == rule.id)
        status = f"{count - broken}/{count} ok" if count else "none"
        table.add_row(rule.id, rule.title, str(rule.severity), status, rule.location)
        listed.append(
            {"id": rule.id, "title": rule.title, "severity": str(rule.severity),
             "tags": list(rule.tags), "examples": count, "examples_ok": count - broken,
             "defined_at": rule.location}
        )  # fmt: skip
    if format is TableFormat.JSON:
        print_json(
            {"rules_folder": str(settings.rules), "rules": listed,
             "actors": len(ruleset.actors), "actions": len(ruleset.actions),
             "skipped": list(ruleset.skipped), "problems": list(problems),
             "misbehaving_examples": [str(failure) for failure in failures],
             "ok": not problems and not failures}
        )  # fmt: skip
    elif ruleset.rules:
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
    if format is TableFormat.JSON:
        return
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
        list[str] | None,
        typer.Option("--rule", metavar="ID", help="Only this rule id (repeatable)."),
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
    from vigil.sources.named import articles_named

    loaded = articles_named(
        articles,
        settings.store_url,
        skipped=lambda problem: err.print(f"vigil: skipped: {problem}", markup=False),
    )
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
    from vigil.match import highlight_segments
    from vigil.rules.evidence import merge_spans

    segments = highlight_segments(text, merge_spans(spans))
    return "".join(f"[{piece}]" if hit else piece for piece, hit in segments)


def warn_misbehaving_examples(failures: list[ExampleFailure]) -> None:
    """Name each misbehaving rule example on stderr (a run goes on; rules check fails)."""
    for failure in failures:
        err.print(f"warning: {failure}", markup=False)
    if failures:
        err.print(
            f"warning: {len(failures)} example(s) misbehave; `vigil rules check` lists them",
            markup=False,
        )
