from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from vigil.schedule import Cadence, Every

KYIV = ZoneInfo("Europe/Kyiv")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("every run", "every run"),
        ("none", "none"),
        ("daily 08:00", "daily 08:00"),
        ("Daily at 7:30", "daily 07:30"),
        ("weekly monday 09:15", "weekly monday 09:15"),
        ("weekly on fri at 17:00", "weekly friday 17:00"),
    ],
)
def test_cadences_parse_and_print(text: str, expected: str) -> None:
    assert str(Cadence.parse(text)) == expected


@pytest.mark.parametrize(
    "text", ["hourly", "daily", "daily 24:00", "daily 8:60", "weekly someday 08:00", "weekly 08:00"]
)
def test_bad_cadences_say_what_is_expected(text: str) -> None:
    with pytest.raises(ValueError, match=r"expected|time of day|weekday"):
        Cadence.parse(text)


def test_daily_slot_is_the_local_time_today_once_it_has_passed() -> None:
    daily = Cadence.parse("daily 08:00")
    # 05:30 UTC is 07:30 in Kyiv (UTC+2 in winter): today's 08:00 has not come yet.
    before = datetime(2026, 11, 27, 5, 30, tzinfo=UTC)
    assert daily.latest_slot(before, KYIV) == datetime(2026, 11, 26, 6, 0, tzinfo=UTC)
    after = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
    assert daily.latest_slot(after, KYIV) == datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
    assert daily.next_slot(after, KYIV) == datetime(2026, 11, 28, 6, 0, tzinfo=UTC)


def test_the_same_local_time_moves_in_utc_across_daylight_saving() -> None:
    daily = Cadence.parse("daily 08:00")
    summer = daily.latest_slot(datetime(2026, 7, 1, 12, tzinfo=UTC), NEW_YORK)
    winter = daily.latest_slot(datetime(2026, 12, 1, 14, tzinfo=UTC), NEW_YORK)
    assert (summer.hour, winter.hour) == (12, 13)


def test_a_slot_in_the_spring_forward_gap_still_happens_once() -> None:
    # Kyiv skips 03:00-04:00 on 29 March 2026; a 03:30 digest still gets exactly one slot.
    at_half_three = Cadence.parse("daily 03:30")
    day_after = datetime(2026, 3, 30, 0, 0, tzinfo=UTC)
    slot = at_half_three.latest_slot(day_after, KYIV)
    assert slot is not None and slot.date() == datetime(2026, 3, 29).date()
    assert at_half_three.next_slot(slot, KYIV) > slot


def test_weekly_slot_is_on_the_named_weekday() -> None:
    weekly = Cadence.parse("weekly monday 08:00")
    saturday = datetime(2026, 11, 28, 12, tzinfo=UTC)
    slot = weekly.latest_slot(saturday, KYIV)
    assert slot.astimezone(KYIV).strftime("%A %H:%M") == "Monday 08:00"
    assert (saturday - slot).days == 5
    assert weekly.next_slot(saturday, KYIV).astimezone(KYIV).day == 30


def test_unscheduled_cadences_have_no_slots() -> None:
    now = datetime(2026, 11, 28, tzinfo=UTC)
    for cadence in (Cadence(Every.RUN), Cadence(Every.NEVER)):
        assert cadence.latest_slot(now, KYIV) is None and cadence.next_slot(now, KYIV) is None


BERLIN = ZoneInfo("Europe/Berlin")


def test_a_cron_expression_is_a_schedule_in_the_readers_zone() -> None:
    weekdays = Cadence.parse("cron 0 8 * * 1-5")
    assert str(weekdays) == "cron 0 8 * * 1-5" and weekdays.scheduled
    assert weekdays.describe() == "At 08:00 on Monday through Friday"
    # Saturday 2026-11-28 10:00 in Kyiv: the last slot was Friday's 08:00, the next Monday's.
    saturday = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
    assert weekdays.latest_slot(saturday, KYIV) == datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
    assert weekdays.next_slot(saturday, KYIV) == datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


def test_a_cron_slot_at_exactly_now_is_the_latest_and_not_the_next() -> None:
    hourly = Cadence.parse("cron 0 * * * *")
    now = datetime(2026, 12, 2, 5, 0, tzinfo=UTC)
    assert hourly.latest_slot(now, KYIV) == now
    assert hourly.next_slot(now, KYIV) == datetime(2026, 12, 2, 6, 0, tzinfo=UTC)


def test_a_cron_slot_in_the_spring_forward_gap_happens_once_after_it() -> None:
    nightly = Cadence.parse("cron 30 2 * * *")
    # 2026-03-29: Berlin's clocks jump from 02:00 to 03:00; 02:30 runs at 03:00 (as cron does).
    before = datetime(2026, 3, 29, 0, 0, tzinfo=UTC)  # 01:00 local
    assert nightly.next_slot(before, BERLIN) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    later = datetime(2026, 3, 29, 12, 0, tzinfo=UTC)
    assert nightly.latest_slot(later, BERLIN) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize("text", ["cron 61 8 * * *", "cron 0 8 * * funday", "cron 0 8 *"])
def test_a_bad_cron_expression_says_what_is_wrong(text: str) -> None:
    with pytest.raises(ValueError, match=r"cron|expected"):
        Cadence.parse(text)
