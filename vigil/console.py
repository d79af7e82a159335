"""What every ``vigil`` command shares: consoles, exit codes, common options, settings.

Exit codes scripts can rely on: 0 all good; 1 the run finished but something failed (a feed, a
delivery) or a check found problems; 2 vigil could not start (bad settings, rules or arguments).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console

from vigil.errors import FileFormatError, VigilError

EXIT_OK, EXIT_FAILED, EXIT_UNUSABLE = 0, 1, 2

# Off a terminal (logs, pipes), tables get room instead of wrapping at 80 columns.
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)
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


def settings_from(**overrides: object):
    from vigil.settings import Settings

    given = {key: value for key, value in overrides.items() if value is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        for error in exc.errors():
            name = "VIGIL_" + "_".join(str(part) for part in error["loc"]).upper()
            err.print(f"vigil: configuration: {name}: {error['msg']}")
        raise typer.Exit(EXIT_UNUSABLE) from None


def fail_unusable(exc: VigilError) -> typer.Exit:
    problems = exc.problems if isinstance(exc, FileFormatError) else [str(exc)]
    for problem in problems:
        err.print(f"vigil: {problem}", markup=False)
    return typer.Exit(EXIT_UNUSABLE)


@contextmanager
def progress(description: str) -> Iterator[Callable[[int, int], None]]:
    """A ``report(done, total)`` callback: a rich progress bar on a terminal, plain log lines
    (at most one per 10 %) when not; on standard error, so that exports on standard output
    stay clean."""
    if err.is_terminal:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        with Progress(
            f"[bold]{description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=err,
        ) as bar:
            task = bar.add_task(description, total=None)

            def report(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            yield report
        return
    last_tenth = -1

    def log(done: int, total: int) -> None:
        nonlocal last_tenth
        tenth = done * 10 // max(total, 1)
        if tenth != last_tenth or done == total:
            last_tenth = tenth
            err.print(f"{description}: {done}/{total}", markup=False)

    yield log


def warn_misbehaving_examples(failures: list[str]) -> None:
    """Name each misbehaving rule example on stderr (a run goes on; rules check fails)."""
    for failure in failures:
        err.print(f"warning: {failure}", markup=False)
    if failures:
        err.print(
            f"warning: {len(failures)} example(s) misbehave; `vigil rules check` lists them",
            markup=False,
        )
