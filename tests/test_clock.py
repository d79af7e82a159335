"""The suite passes at any hour: tests that reason about "now" take a pinned clock."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from vigil.clock import system_clock

from tests.conftest import INSTANTS, FrozenClock

TESTS = Path(__file__).resolve().parent
WALL_CLOCK = re.compile(r"datetime\.now\(|datetime\.utcnow\(|date\.today\(|time\.time\(\)")


def test_no_test_reads_the_wall_clock_without_saying_why() -> None:
    """A test that needs "now" takes the ``clock`` fixture (run at every one of INSTANTS).

    The wall clock is allowed only where the code under test reads it too (a CLI command, a
    flow run, a fetch a moment ago) and the test's dates hold at any hour; the line, or the
    comment line above it, says ``wall clock:`` and why.
    """
    unexplained = []
    for path in sorted(TESTS.glob("**/*.py")):
        if path.name == Path(__file__).name:
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            if not WALL_CLOCK.search(line):
                continue
            above = lines[number - 2] if number > 1 else ""
            if "wall clock:" not in line and "wall clock:" not in above:
                unexplained.append(f"{path.name}:{number}: {line.strip()}")
    assert unexplained == []


def test_the_pinned_instants_cover_the_hours_and_both_clock_changes() -> None:
    hours = {instant.hour for instant in INSTANTS.values()}
    assert {0, 6, 12, 19} <= hours
    zone = ZoneInfo("America/New_York")
    changes = [
        instant
        for instant in INSTANTS.values()
        if (instant + timedelta(hours=6)).astimezone(zone).utcoffset()
        != instant.astimezone(zone).utcoffset()
    ]
    assert len(changes) == 2  # one fall-back, one spring-forward, within hours of the instant


def test_a_frozen_clock_moves_only_when_told() -> None:
    clock = FrozenClock(datetime(2026, 11, 1, 5, 30, tzinfo=UTC))
    assert clock() == clock() == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert clock.advance(timedelta(minutes=90)) == datetime(2026, 11, 1, 7, 0, tzinfo=UTC)
    assert clock() == datetime(2026, 11, 1, 7, 0, tzinfo=UTC)


def test_the_system_clock_is_aware_utc() -> None:
    now = system_clock()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)
