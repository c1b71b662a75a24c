"""A market's local days (spec §9): where a day of a time zone begins, as a UTC instant.

A date in a market with a time zone stands for 00:00 of that day in the zone. Where
daylight saving time skips midnight (a gap that contains 00:00), the day begins at the
first instant that is on it, the end of the gap; where midnight happens twice, at the
first one. Everything here is exact to the microsecond and follows the zone's rules as
the tz database (Python's ``zoneinfo``) knows them.
"""

from __future__ import annotations

import datetime as dt

__all__ = ["local_date", "local_midnight"]

UTC = dt.UTC
_US = dt.timedelta(microseconds=1)


def local_date(instant: dt.datetime, zone: dt.tzinfo) -> dt.date:
    """The day ``instant`` (aware, or naive UTC) is on in ``zone``."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(zone).date()


def local_midnight(day: dt.date, zone: dt.tzinfo) -> dt.datetime:
    """The first instant (aware, UTC) of ``day`` in ``zone``.

    Raises ``OverflowError`` when that instant is outside the years 1 to 9999.
    """
    naive = dt.datetime(day.year, day.month, day.day)
    if zone is UTC:
        return naive.replace(tzinfo=UTC)
    guess = naive.replace(tzinfo=zone).astimezone(UTC)  # fold=0: a gap maps forward, a repeat to the first
    if guess.astimezone(zone).replace(tzinfo=None) == naive:
        return guess
    # 00:00 does not exist (a gap around midnight): the day starts at the gap's end, the
    # first instant whose local date is `day`, somewhere in the day before `guess`
    lo, hi = guess - dt.timedelta(days=1), guess  # local_date(lo) < day <= local_date(hi)
    while hi - lo > _US:
        mid = lo + (hi - lo) // 2
        if mid.astimezone(zone).date() >= day:
            hi = mid
        else:
            lo = mid
    return hi
