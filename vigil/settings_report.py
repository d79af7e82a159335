"""The settings in force and where each came from (``vigil config show``): the environment, a
line of the TOML file, or the default. Secrets are never shown: a password or token reads
``(set)``, and a store URL loses its password."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from pydantic import SecretStr

from vigil.config_check import toml_keys
from vigil.settings import Settings

MASKED = "(set)"


@dataclass(frozen=True, slots=True)
class SettingLine:
    name: str  # the field, as vigil.toml names it
    variable: str  # VIGIL_…
    value: str  # as shown: secrets masked
    source: str  # "VIGIL_X", "vigil.toml:3", or "default"


def settings_report(
    settings: Settings, environ: Mapping[str, str], toml_file: Path
) -> list[SettingLine]:
    """One line per setting, in the order Settings declares them."""
    keys = toml_keys(toml_file) if toml_file.is_file() else {}
    lines = []
    for name in Settings.model_fields:
        variable = f"VIGIL_{name.upper()}"
        if variable in environ:
            source = variable
        elif name in keys:
            source = f"{toml_file}:{keys[name].line}"
        else:
            source = "default"
        lines.append(SettingLine(name, variable, _shown(name, getattr(settings, name)), source))
    return lines


def _shown(name: str, value: object) -> str:
    if isinstance(value, SecretStr):
        return MASKED
    if value is None:
        return ""
    if name == "database_url":
        from vigil.store import shown_url

        return shown_url(str(value))
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, list):
        return ", ".join(str(part) for part in value)
    return str(value)
