"""The root ``vigil`` app, and what its commands share: consoles, exit codes, common options,
settings, progress, the store.

Exit codes scripts can rely on: 0 all good; 1 the command ran but found trouble (a feed or a
delivery failed, a health table shows a troubled feed or message, ``rules eval`` missed its
thresholds); 2 vigil could not start or its input is wrong (bad settings, arguments, rules or
feeds file: ``rules check`` finding a problem exits 2).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Protocol

import typer
from pydantic import ValidationError
from rich.console import Console

from vigil.clock import system_clock
from vigil.moments import parse_moment

if TYPE_CHECKING:
    from vigil.rules.model import RuleSet
    from vigil.settings import Settings
    from vigil.store import Store

app = typer.Typer(
    help="vigil: news monitoring from analyst rules to email digests.",
    no_args_is_help=True,
    add_completion=True,
    rich_markup_mode=None,
)

EXIT_OK, EXIT_FAILED, EXIT_UNUSABLE = 0, 1, 2

# Off a terminal (logs, pipes), tables get room instead of wrapping at 80 columns.
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, highlight=False, soft_wrap=True)

FeedsOption = Annotated[
    Path | None,
    typer.Option(
        metavar="FILE",
        help="Feeds file (YAML). Default: $VIGIL_FEEDS, else the bundled demo feeds.",
    ),
]
RulesOption = Annotated[
    Path | None,
    typer.Option(
        metavar="DIR", help="Rules folder. Default: $VIGIL_RULES, else the bundled rules/."
    ),
]
ArticlesOption = Annotated[
    Path | None,
    typer.Option(
        metavar="DIR",
        help="Folder of plain-text articles. Default: $VIGIL_ARTICLES, else examples/articles/.",
    ),
]


def moment(value: str | datetime) -> datetime:
    """A date option (--since, --until): a day, a day and a minute in UTC, or back from now
    (vigil.moments), as an aware UTC datetime."""
    if isinstance(value, datetime):
        return value
    try:
        return parse_moment(value, system_clock())
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


MOMENT: dict[str, Any] = {"parser": moment, "metavar": "DATE"}
SinceOption = Annotated[
    datetime | None,
    typer.Option(
        **MOMENT,
        help="Items first seen on or after this moment: a day (UTC), a day and time, or 7d, 2h, "
        "yesterday.",
    ),
]
UntilOption = Annotated[
    datetime | None,
    typer.Option(**MOMENT, help="…and before this moment (the same forms)."),
]
OutOption = Annotated[
    Path | None,
    typer.Option("--out", metavar="FILE", help="Write here instead of standard output."),
]


def settings_from(*, for_delivery: bool = False, **overrides: object) -> Settings:
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
    # Values of several fields' types, which Settings validates (as it does the environment's).
    given: dict[str, Any] = {key: value for key, value in overrides.items() if value is not None}
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


class Report(Protocol):
    def __call__(self, done: int, total: int, detail: str = "") -> None: ...


@contextmanager
def progress(description: str) -> Iterator[Report]:
    """A ``report(done, total, detail)`` callback: a rich progress bar on a terminal, plain log
    lines (at most one per 10 %) when not; on standard error, so that exports and JSON on
    standard output stay clean."""
    if err.is_terminal:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        with Progress(
            f"[bold]{description}",
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=err,
        ) as bar:
            task = bar.add_task(description, total=None, detail="")

            def report(done: int, total: int, detail: str = "") -> None:
                bar.update(task, completed=done, total=total, detail=detail)

            yield report
        return
    last_tenth = -1

    def log(done: int, total: int, detail: str = "") -> None:
        nonlocal last_tenth
        tenth = done * 10 // max(total, 1)
        if tenth != last_tenth or done == total:
            last_tenth = tenth
            said = f", {detail}" if detail else ""
            err.print(f"{description}: {done}/{total}{said}", markup=False)

    yield log


def utc(moment: datetime | None) -> datetime | None:
    """A date option's value (naive, meant as UTC) as an aware UTC moment."""
    return moment.replace(tzinfo=UTC) if moment else None


def open_store(rules: Path | None = None) -> tuple[Settings, RuleSet, Store]:
    """The settings, the live rules and the store, for the commands that read stored matches."""
    from vigil.rules import load_ruleset
    from vigil.store import Store

    settings = settings_from(rules=rules)
    ruleset = load_ruleset(settings.rules, follow_links=settings.rules_follow_links)
    return settings, ruleset, Store(settings.store_url)
