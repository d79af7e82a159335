"""Moments as people type them after ``--since`` and ``--until``: a day or a day and a minute
in UTC (``2026-11-30``, ``2026-11-30T08:00``), or back from now (``7d``, ``2h``, ``30m``,
``1w``, ``today``, ``yesterday``)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from vigil.clock import DAY_FORMAT

FORMATS = (DAY_FORMAT, f"{DAY_FORMAT}T%H:%M")
EXPECTED = (
    "expected a day (2026-11-30), a day and a time in UTC (2026-11-30T08:00), "
    "or a time back from now: 30m, 2h, 7d, 1w, today, yesterday"
)
_BACK = re.compile(r"^(\d{1,6})\s*(m|min|h|d|w)$")
_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_moment(text: str, now: datetime) -> datetime:
    """The aware UTC moment ``text`` names, ``now`` being the present; ValueError otherwise."""
    word = text.strip().lower()
    midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if word == "now":
        return now.astimezone(UTC)
    if word == "today":
        return midnight
    if word == "yesterday":
        return midnight - timedelta(days=1)
    back = _BACK.match(word)
    if back:
        return now.astimezone(UTC) - timedelta(**{_UNITS[back[2]]: int(back[1])})
    for pattern in FORMATS:
        try:
            return datetime.strptime(text.strip(), pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise ValueError(f"{text!r}: {EXPECTED}")
