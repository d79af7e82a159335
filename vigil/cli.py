"""The ``vigil`` command: a thin skin over the package (and, for ``run``, the Prefect flow).

Exit codes scripts can rely on: 0 all good; 1 the run finished but something failed (a feed, a
delivery) or a check found problems; 2 vigil could not start (bad settings, rules or arguments).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from vigil.errors import FileFormatError, VigilError

EXIT_OK, EXIT_FAILED, EXIT_UNUSABLE = 0, 1, 2

app = typer.Typer(
    help="vigil: news monitoring from analyst rules to email digests.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
rules_app = typer.Typer(help="Check rule files and try them on articles.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

FeedsOption = Annotated[
    Path | None,
    typer.Option(help="Feeds file (YAML). Default: $VIGIL_FEEDS, else the bundled demo feeds."),
]
RulesOption = Annotated[
    Path | None,
    typer.Option(help="Rules folder. Default: $VIGIL_RULES, else the bundled rules/."),
]
ArticlesOption = Annotated[
    Path | None,
    typer.Option(
        help="Folder of plain-text articles. Default: $VIGIL_ARTICLES, else examples/articles/."
    ),
]


def _settings(**overrides: object):
    from vigil.settings import Settings

    given = {key: value for key, value in overrides.items() if value is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        for error in exc.errors():
            name = "VIGIL_" + "_".join(str(part) for part in error["loc"]).upper()
            err.print(f"vigil: configuration: {name}: {error['msg']}")
        raise typer.Exit(EXIT_UNUSABLE) from None


def _fail_unusable(exc: VigilError) -> typer.Exit:
    problems = exc.problems if isinstance(exc, FileFormatError) else [str(exc)]
    for problem in problems:
        err.print(f"vigil: {problem}", markup=False)
    return typer.Exit(EXIT_UNUSABLE)


@app.command()
def run(
    feeds: FeedsOption = None,
    rules: RulesOption = None,
    articles: ArticlesOption = None,
    no_articles: Annotated[
        bool, typer.Option("--no-articles", help="Read feeds only, no article folder.")
    ] = False,
) -> None:
    """Run the monitor once: ingest, match, and deliver one digest of what is new.

    Runs as the Prefect flow 'vigil-monitor' on the server PREFECT_API_URL names, or else on a
    temporary local server that Prefect starts and stops for this run.
    """
    settings = _settings(feeds=feeds, rules=rules, articles="" if no_articles else articles)
    # Validate inputs before paying for Prefect's start-up.
    try:
        from vigil.rules import load_ruleset
        from vigil.sources import load_feeds_file

        load_ruleset(settings.rules)
        load_feeds_file(settings.feeds)
    except VigilError as exc:
        raise _fail_unusable(exc) from None

    from vigil.prefect_env import quiet_prefect, unreachable_api

    if problem := unreachable_api():
        err.print(f"vigil: the Prefect server is not reachable: {problem}", markup=False)
        raise typer.Exit(EXIT_UNUSABLE)
    started = time.perf_counter()
    with quiet_prefect():
        from flows.monitor import monitor

        try:
            state = monitor(
                feeds=str(settings.feeds),
                rules=str(settings.rules),
                articles="" if settings.articles is None else str(settings.articles),
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


@rules_app.command("check")
def rules_check(rules: RulesOption = None) -> None:
    """Validate every rule file; list the rules, or every problem with file and line."""
    from vigil.rules import load_ruleset

    settings = _settings(rules=rules)
    try:
        ruleset = load_ruleset(settings.rules)
    except FileFormatError as exc:
        for problem in exc.problems:
            err.print(problem, markup=False)
        err.print(f"{len(exc.problems)} problem(s) in {settings.rules}", markup=False)
        raise typer.Exit(EXIT_FAILED) from None
    except VigilError as exc:
        raise _fail_unusable(exc) from None
    table = Table(title=f"{len(ruleset.rules)} rules, {len(ruleset.actors)} actors: all valid")
    for column in ("rule", "title", "severity", "needs", "defined at"):
        table.add_column(column)
    for rule in ruleset.rules:
        needs = []
        if rule.any:
            needs.append(f"any of {len(rule.any)}")
        if rule.all:
            needs.append(f"all of {len(rule.all)}")
        if rule.none:
            needs.append(f"none of {len(rule.none)}")
        if rule.actors:
            needs.append("actors " + "+".join(rule.actors))
        table.add_row(rule.id, rule.title, str(rule.severity), ", ".join(needs), rule.location)
    out.print(table)


@rules_app.command("test")
def rules_test(
    files: Annotated[
        list[Path], typer.Argument(help="Article text files (Title / Author on line 1).")
    ],
    rules: RulesOption = None,
) -> None:
    """Show which rules match each article file, with the evidence sentence. Stores nothing."""
    from vigil.rules import Matcher, load_ruleset
    from vigil.sources import parse_article_text

    settings = _settings(rules=rules)
    try:
        matcher = Matcher(load_ruleset(settings.rules))
    except VigilError as exc:
        raise _fail_unusable(exc) from None
    missing = [str(path) for path in files if not path.is_file()]
    if missing:
        err.print(f"vigil: no such file: {', '.join(missing)}", markup=False)
        raise typer.Exit(EXIT_UNUSABLE)
    for path in files:
        try:
            article = parse_article_text(
                path.read_text(encoding="utf-8"), outlet=path.parent.name, name=str(path)
            )
        except (VigilError, UnicodeDecodeError) as exc:
            err.print(f"vigil: {path}: {exc}", markup=False)
            raise typer.Exit(EXIT_UNUSABLE) from None
        found = matcher.match(article)
        out.print(f"{path}: {article.title}", markup=False, style="bold")
        if not found:
            out.print("  no rule matched", markup=False)
        for match in found:
            evidence = "".join(
                f"[{piece}]" if marked else piece for piece, marked in match.evidence_segments()
            )
            actors = f"  actors {', '.join(match.actors)}" if match.actors else ""
            out.print(f"  {match.rule_id}  score {match.score:g}{actors}", markup=False)
            out.print(f"    {evidence}", markup=False)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("vigil: interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
