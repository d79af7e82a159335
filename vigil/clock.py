"""What time it is, passed in: every step that reasons about "now" takes a :data:`Clock`.

A monitor, its store and its dispatcher read one clock, so a test pins a single instant (or
steps it) and every timestamp vigil writes (first seen, matched, composed, sent, backed off)
agrees with the slots it computes. Production uses :func:`system_clock`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]
"""A function returning the current moment as an aware UTC datetime."""

DAY_FORMAT = "%Y-%m-%d"
"""How vigil writes a day for people, and reads one from them: 2026-11-28."""
MINUTE_FORMAT = f"{DAY_FORMAT} %H:%M"
"""How vigil writes a moment for people (tables, report lines): 2026-11-28 01:09."""


def system_clock() -> datetime:
    """The wall clock, in UTC."""
    return datetime.now(UTC)
