"""How commands print what they found: a table for people (box drawing on a terminal only,
plain columns off one) or one JSON document for scripts (``--format json``)."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from enum import StrEnum
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from vigil.cli.root import out


class TableFormat(StrEnum):
    """What a command that prints a table or a summary prints: one naming across commands."""

    TABLE = "table"
    JSON = "json"


FormatOption = Annotated[
    TableFormat,
    typer.Option(help="table (for people) or json (one document on standard output, for scripts)."),
]


def on_terminal() -> bool:
    return out.is_terminal


def new_table(title: str) -> Table:
    """A table with box drawing on a terminal, and plain columns in logs and pipes."""
    return Table(title=title, box=box.HEAVY_HEAD if on_terminal() else None)


def print_json(document: object) -> None:
    """``document`` as indented JSON on standard output; datetimes in ISO 8601."""
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2, default=_plain) + "\n")
    sys.stdout.flush()


def _plain(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
