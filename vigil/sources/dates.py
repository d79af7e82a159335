"""Which dates a feed gives are believable, decided alike for both parsers.

A feed's date is the feed's claim. One dated year 1 used to stop all mail (a reader in New York
cannot be shown a moment before year 1 in UTC), year 0 dropped a whole feed, and ``-0001`` was
year 1 to one parser and 2000 to the other. So a date is believed only inside a sane window:
not before 1990 (there were no news feeds), not more than 26 hours ahead (a feed's mistake, or
a time zone's), and only when the year it was read as stands in what the feed wrote. Anything
else is treated as missing: the article is dated when vigil first sees it, and flagged.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
FUTURE_TOLERANCE = timedelta(hours=26)

# A year written with a minus sign: ISO 8601's years before 1 CE ("-0001-01-01"), or an RFC 822
# date's ("01 Jan -0001"); not a time zone offset ("16:05 -0300").
_NEGATIVE_YEAR = re.compile(r"^\s*-\d|[A-Za-z]{3,}\.?\s+-\d")
_FOUR_DIGITS = re.compile(r"(?<!\d)(\d{4})(?!\d)")


def believable(moment: datetime | None, raw: str | None, seen_at: datetime) -> datetime | None:
    """``moment`` when a reader can trust it, else None (dated when first seen instead).

    ``raw`` is the text the feed gave, when the parser kept it: a year the parser made up
    (feedparser reads ``-0001`` as 2000) is not in it.
    """
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if not EARLIEST <= moment <= seen_at + FUTURE_TOLERANCE:
        return None
    if raw is not None and not raw_is_plausible(raw, moment.year):
        return None
    return moment


def raw_is_plausible(raw: str, year: int | None = None) -> bool:
    """No negative year, every four-digit year in the window, and ``year`` among them when
    the text has four-digit years at all (RFC 822 allows two)."""
    if _NEGATIVE_YEAR.search(raw):
        return False
    years = [int(found) for found in _FOUR_DIGITS.findall(raw)]
    if years and not EARLIEST.year <= years[0] <= 9999:  # the first is the year ("+0300" isn't)
        return False
    return year is None or not years or year in years
