"""What every ``vigil`` command shares: consoles, exit codes, common options, settings.

Exit codes scripts can rely on: 0 all good; 1 the run finished but something failed (a feed, a
delivery) or a check found problems; 2 vigil could not start (bad settings, rules or arguments).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ParamSpec, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console

from vigil.errors import FileFormatError, VigilError

if TYPE_CHECKING:
    from vigil.rules.examples import ExampleFailure

P = ParamSpec("P")
R = TypeVar("R")

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


def settings_from(*, for_delivery: bool = False, **overrides: object):
    """The settings, with every configuration mistake said before anything runs.

    Unknown ``VIGIL_*`` variables are warned about (with the nearest real name), unknown keys
    of the TOML file are errors naming file and line, and a bad value names where it was set.
    A bad delivery setting (``VIGIL_SMTP_*``) stops only commands that deliver
    (``for_delivery``); for the others it is a warning and the setting is left at its default.
    """
    import os

    from vigil.config_check import toml_problems, unknown_variables, where_set
    from vigil.settings import DELIVERY_SETTINGS, Settings, config_file

    for warning in unknown_variables(os.environ):
        err.print(f"vigil: {warning}", markup=False)
    toml_file = config_file()
    if problems := toml_problems(toml_file):
        for problem in problems:
            err.print(f"vigil: configuration: {problem}", markup=False)
        raise typer.Exit(EXIT_UNUSABLE)
    given = {key: value for key, value in overrides.items() if value is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        errors = exc.errors()
    fields = {str(error["loc"][0]) for error in errors if error["loc"]}
    lenient = not for_delivery and fields and fields <= DELIVERY_SETTINGS
    for error in errors:
        field = str(error["loc"][0]) if error["loc"] else ""
        where = where_set(field, os.environ, toml_file) if field else "settings"
        if lenient:
            err.print(
                f"vigil: warning: configuration: {where}: {error['msg']} "
                "(ignored: this command sends no mail)",
                markup=False,
            )
        else:
            err.print(f"vigil: configuration: {where}: {error['msg']}", markup=False)
    if not lenient:
        raise typer.Exit(EXIT_UNUSABLE)
    defaults = {
        field: Settings.model_fields[field].get_default(call_default_factory=True)
        for field in fields
    }
    return Settings(**given, **defaults)


def fail_unusable(exc: VigilError) -> typer.Exit:
    """Say a :class:`VigilError` on stderr, one ``vigil: …`` line per problem; the exit (2)."""
    problems = exc.problems if isinstance(exc, FileFormatError) else [str(exc)]
    for problem in problems:
        err.print(f"vigil: {problem}", markup=False)
    return typer.Exit(EXIT_UNUSABLE)


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Wrap a command so that a :class:`VigilError` it meets (a malformed file, a store that
    cannot be opened) is said in one line per problem, with no traceback, and exits 2."""

    @functools.wraps(command)
    def reporting(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except VigilError as exc:
            raise fail_unusable(exc) from None

    return reporting


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


def warn_misbehaving_examples(failures: list[ExampleFailure]) -> None:
    """Name each misbehaving rule example on stderr (a run goes on; rules check fails)."""
    for failure in failures:
        err.print(f"warning: {failure}", markup=False)
    if failures:
        err.print(
            f"warning: {len(failures)} example(s) misbehave; `vigil rules check` lists them",
            markup=False,
        )
