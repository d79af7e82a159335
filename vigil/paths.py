"""Where the shipped rules, templates and examples are, installed or in a checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def bundled(relative: str) -> Path:
    """The shipped copy of ``relative``: inside the wheel, else in the source checkout."""
    inside_wheel = _PACKAGE / "_bundled" / relative
    if inside_wheel.exists():
        return inside_wheel
    return _PACKAGE.parent / relative
