"""Reading what a browser sends: dates, numbers, where to go back to. A bad value is a
:class:`FormProblem` the page shows, never a server error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from vigil.clock import DAY_FORMAT
from vigil.errors import FormProblem

__all__ = ["FormProblem", "day", "day_range", "local_path", "optional_int"]


def day(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, DAY_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise FormProblem(f"{name}: a day as YYYY-MM-DD, not {value[:40]!r}") from None


def day_range(since: str | None, until: str | None) -> tuple[datetime | None, datetime | None]:
    """[since, until] as whole UTC days: ``until`` includes its day."""
    start, end = day(since, "since"), day(until, "until")
    if end is not None:
        end += timedelta(days=1)
    if start is not None and end is not None and end <= start:
        raise FormProblem("until: comes before since")
    return start, end


def optional_int(value: str | None, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise FormProblem(f"{name}: a whole number, not {value[:40]!r}") from None


def local_path(value: str | None, default: str = "/") -> str:
    """Where to send the browser back to: a path on this site only (no //host, no scheme)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    return value
