"""Mistakes in configuration that pydantic alone would make silent or cryptic.

A misspelt ``VIGIL_SMTP_HOTS`` is just another environment variable to pydantic-settings: mail
would quietly go to the Maildir. A misspelt key in ``vigil.toml`` fails as
``VIGIL_SMTP_HOTS: Extra inputs are not permitted``, naming neither the file nor the line. This
module says what a person needs: the name they wrote, where, and the nearest real one.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# Read by vigil itself, not fields of Settings.
EXTRA_VARIABLES = {"VIGIL_CONFIG"}


@dataclass(frozen=True, slots=True)
class TomlKey:
    name: str
    line: int


def setting_names() -> list[str]:
    from vigil.settings import Settings

    return list(Settings.model_fields)


def _nearest(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def unknown_variables(environ: Mapping[str, str]) -> list[str]:
    """A warning for each ``VIGIL_*`` variable that is no setting of vigil's."""
    known = [f"VIGIL_{name.upper()}" for name in setting_names()] + sorted(EXTRA_VARIABLES)
    return [
        f"warning: {name} is not a vigil setting and is ignored{_nearest(name, known)}"
        for name in sorted(environ)
        if name.startswith("VIGIL_") and name not in known
    ]


def toml_keys(path: Path) -> dict[str, TomlKey]:
    """The top-level keys of a TOML file with their line numbers (tomllib gives no lines)."""
    text = path.read_text(encoding="utf-8")
    keys = {}
    for number, line in enumerate(text.splitlines(), start=1):
        found = re.match(r"\s*([A-Za-z0-9_-]+)\s*=", line)
        if found and found.group(1) not in keys:
            keys[found.group(1)] = TomlKey(found.group(1), number)
        if re.match(r"\s*\[", line):  # a table: its keys are not top-level
            break
    return keys


def toml_problems(path: Path) -> list[str]:
    """``file:line: key: what`` for each key of the TOML settings file that vigil lacks."""
    if not path.is_file():
        return []
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        return [f"{path}: not valid TOML: {exc}"]
    known = setting_names()
    lines = toml_keys(path)
    return [
        f"{path}:{lines[key].line if key in lines else 1}: {key}: not a vigil setting"
        f"{_nearest(key, known)}"
        for key in document
        if key not in known
    ]


def where_set(field: str, environ: Mapping[str, str], toml_file: Path) -> str:
    """Where a setting's value came from, as a person would look for it."""
    variable = f"VIGIL_{field.upper()}"
    if variable in environ:
        return variable
    if toml_file.is_file():
        keys = toml_keys(toml_file)
        if field in keys:
            return f"{toml_file}:{keys[field].line}: {field}"
    return variable
