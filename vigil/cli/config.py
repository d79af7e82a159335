"""``vigil config show`` (the settings in force, and where each came from) and ``vigil init``
(a starter folder)."""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from vigil.cli.errors import reports_errors
from vigil.cli.output import FormatOption, TableFormat, new_table, print_json
from vigil.cli.root import out, settings_from

config_app = typer.Typer(help="The settings vigil runs with.", no_args_is_help=True)


@config_app.command("show")
@reports_errors
def show(format: FormatOption = TableFormat.TABLE) -> None:
    """Every setting in force, its value (passwords and tokens masked) and where it came from:
    a VIGIL_* variable, a line of the TOML file, or the default."""
    from vigil.settings import config_file
    from vigil.settings_report import settings_report

    settings = settings_from()
    toml_file = config_file()
    lines = settings_report(settings, os.environ, toml_file)
    if format is TableFormat.JSON:
        print_json(
            {"config_file": str(toml_file), "config_file_exists": toml_file.is_file(),
             "settings": [asdict(line) for line in lines]}
        )  # fmt: skip
        return
    shown = "" if toml_file.is_file() else " (not there: defaults and environment only)"
    table = new_table(f"settings (config file {toml_file}{shown})")
    for column in ("setting", "variable", "value", "from"):
        table.add_column(column, overflow="fold")
    for line in lines:
        table.add_row(line.name, line.variable, line.value, line.source)
    out.print(table)


@reports_errors
def init(
    folder: Annotated[Path, typer.Argument(help="The folder to create (or an empty one).")],
) -> None:
    """Create a starter folder: a copy of the shipped rules, a feeds file with bundled samples,
    a recipients file and a vigil.toml naming them; then `cd FOLDER && vigil run`."""
    from vigil.starter import create_starter

    for path in create_starter(folder):
        out.print(f"created {path}", markup=False)
    out.print(f"next: cd {folder} && vigil run", markup=False)
