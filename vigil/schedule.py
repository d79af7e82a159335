"""When a recipient's digest is due: every run, daily at a local time, weekly, or on a cron
expression (``cron 0 8 * * 1-5``) read in the recipient's time zone.

A digest belongs to a *slot*, the local time it is scheduled for, stored as UTC. The store
records each slot once (a unique key), so two overlapping runs, or a run retried by Prefect,
never send a slot's digest twice; a monitor that was down for three days sends one digest for
the latest slot, not three.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from cronsim import CronSim, CronSimError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_CADENCE = re.compile(
    r"^\s*(?:(?P<run>every run)|(?P<none>none)"
    r"|(?P<daily>daily)\s+(?:at\s+)?(?P<dtime>\d{1,2}:\d{2})"
    r"|(?P<weekly>weekly)\s+(?:on\s+)?(?P<day>[a-z]+)\s+(?:at\s+)?(?P<wtime>\d{1,2}:\d{2}))\s*$",
    re.IGNORECASE,
)


class Every(StrEnum):
    RUN = "run"
    DAY = "day"
    WEEK = "week"
    CRON = "cron"
    NEVER = "never"


@dataclass(frozen=True, slots=True)
class Cadence:
    every: Every
    at: time = time(8, 0)
    weekday: int = 0  # Monday
    cron: str = ""  # the five fields, for Every.CRON

    @classmethod
    def parse(cls, text: str) -> Cadence:
        """``every run``, ``daily 08:00``, ``weekly monday 08:00``, ``cron M H DOM MON DOW``
        or ``none``."""
        cron = _CRON.match(text)
        if cron:
            return cls(Every.CRON, cron=_checked_cron(cron["fields"]))
        found = _CADENCE.match(text)
        if not found:
            raise ValueError(
                "expected 'every run', 'daily HH:MM', 'weekly <weekday> HH:MM', "
                "'cron <minute> <hour> <day> <month> <weekday>' or 'none'"
            )
        if found["run"]:
            return cls(Every.RUN)
        if found["none"]:
            return cls(Every.NEVER)
        clock = _clock(found["dtime"] or found["wtime"])
        if found["daily"]:
            return cls(Every.DAY, clock)
        day = found["day"].lower()
        matches = [index for index, name in enumerate(WEEKDAYS) if name.startswith(day[:3])]
        if len(day) < 3 or not matches or not WEEKDAYS[matches[0]].startswith(day):
            raise ValueError(f"unknown weekday {found['day']!r}")
        return cls(Every.WEEK, clock, matches[0])

    def __str__(self) -> str:
        if self.every is Every.RUN:
            return "every run"
        if self.every is Every.NEVER:
            return "none"
        if self.every is Every.DAY:
            return f"daily {self.at:%H:%M}"
        if self.every is Every.CRON:
            return f"cron {self.cron}"
        return f"weekly {WEEKDAYS[self.weekday]} {self.at:%H:%M}"

    @property
    def scheduled(self) -> bool:
        return self.every in {Every.DAY, Every.WEEK, Every.CRON}

    def describe(self) -> str:
        """The schedule in words, for tables ("At 08:00 on Monday through Friday")."""
        if self.every is Every.CRON:
            return str(CronSim(self.cron, datetime(2000, 1, 1)).explain())
        return str(self)

    def latest_slot(self, now: datetime, zone: ZoneInfo) -> datetime | None:
        """The last scheduled time at or before ``now``, in UTC; None when not on a schedule."""
        if not self.scheduled:
            return None
        if self.every is Every.CRON:
            return _cron_latest(self.cron, now, zone)
        local_now = now.astimezone(zone)
        day = local_now.date()
        for _ in range(8):
            if self.every is Every.DAY or day.weekday() == self.weekday:
                slot = _local(day, self.at, zone)
                if slot <= now:
                    return slot
            day -= timedelta(days=1)
        raise AssertionError("a weekly slot always lies within the last eight days")

    def next_slot(self, now: datetime, zone: ZoneInfo) -> datetime | None:
        """The first scheduled time after ``now``, in UTC; None when not on a schedule."""
        if not self.scheduled:
            return None
        if self.every is Every.CRON:
            return _cron_next(self.cron, now, zone)
        day = now.astimezone(zone).date()
        for _ in range(9):
            if self.every is Every.DAY or day.weekday() == self.weekday:
                slot = _local(day, self.at, zone)
                if slot > now:
                    return slot
            day += timedelta(days=1)
        raise AssertionError("a weekly slot always lies within the next eight days")


_CRON = re.compile(r"^\s*cron\s+(?P<fields>\S+(?:\s+\S+){4})\s*$", re.IGNORECASE)


def _checked_cron(fields: str) -> str:
    expression = " ".join(fields.split())
    try:
        CronSim(expression, datetime(2000, 1, 1))
    except CronSimError as exc:
        raise ValueError(f"cron {expression!r}: {exc}") from None
    return expression


def _cron_latest(expression: str, now: datetime, zone: ZoneInfo) -> datetime | None:
    # CronSim goes back from a moment strictly: start a second later so that a slot at
    # exactly ``now`` counts, and step over one that the second added.
    for slot in CronSim(expression, (now + timedelta(seconds=1)).astimezone(zone), reverse=True):
        if slot <= now:
            return slot.astimezone(UTC)
    return None


def _cron_next(expression: str, now: datetime, zone: ZoneInfo) -> datetime | None:
    found = next(CronSim(expression, now.astimezone(zone)), None)
    return None if found is None else found.astimezone(UTC)


def _clock(text: str) -> time:
    hours, minutes = (int(part) for part in text.split(":"))
    if hours > 23 or minutes > 59:
        raise ValueError(f"{text!r} is not a time of day (00:00 to 23:59)")
    return time(hours, minutes)


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    """``at`` on ``day`` in ``zone`` as UTC. On a spring-forward gap the wall time is shifted
    forward (fold=0 maps it past the gap); on a fall-back repeat the first occurrence wins."""
    local = datetime.combine(day, at, tzinfo=zone)
    # Round-trip through UTC to normalise times that fall inside a DST gap.
    return local.astimezone(UTC)
