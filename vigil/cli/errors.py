"""How a ``vigil`` command reports a :class:`~vigil.errors.VigilError`: one ``vigil: …`` line
per problem on stderr, no traceback, exit code 2 (vigil could not start)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer

from vigil.cli.root import EXIT_UNUSABLE, err
from vigil.errors import FileFormatError, VigilError

P = ParamSpec("P")
R = TypeVar("R")


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
