"""A market's local days (spec §9): where a day of a time zone begins, as a UTC instant.

A date in a market with a time zone stands for 00:00 of that day in the zone. Where
daylight saving time skips midnight (a gap that contains 00:00), the day begins at the
first instant that is on it, the end of the gap; where midnight happens twice, at the
first one. Everything here is exact to the microsecond and follows the zone's rules as
the tz database (Python's ``zoneinfo``) knows them.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo

__all__ = ["MIDNIGHT_YEARS", "calendar_bounds", "local_date", "local_midnight", "midnight_change"]

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


def calendar_bounds(period: str, amount: int, unit: str, as_of: dt.datetime,
                    zone: dt.tzinfo) -> tuple[dt.datetime, dt.datetime, bool]:
    """The bounds of a calendar window (spec §9's table) at ``as_of`` (aware) in ``zone``:
    ``(start, end, end_included)``, aware UTC. ``today`` and ``in last N calendar UNIT``
    end at ``as_of`` (included); ``yesterday`` ends where today starts (excluded).

    Raises ``OverflowError`` when the start is before the year 1.
    """
    today = local_date(as_of, zone)
    if period == "today":
        return local_midnight(today, zone), as_of, True
    if period == "yesterday":
        return local_midnight(today - dt.timedelta(days=1), zone), local_midnight(today, zone), False
    if unit == "day":
        first = today - dt.timedelta(days=amount - 1)
    elif unit == "week":  # weeks start on Monday
        first = today - dt.timedelta(days=today.weekday() + 7 * (amount - 1))
    else:
        months = today.year * 12 + (today.month - 1) - (amount - 1)
        if months < 12:
            raise OverflowError("before the year 1")
        first = dt.date(months // 12, months % 12 + 1, 1)
    return local_midnight(first, zone), as_of, True


#: The years :func:`midnight_change` searches.
MIDNIGHT_YEARS = (1970, 2100)


@functools.lru_cache(maxsize=64)
def midnight_change(zone_name: str) -> tuple[dt.date, str] | None:
    """The first local day of the years :data:`MIDNIGHT_YEARS` on which zone ``zone_name``
    skips its midnight (a daylight-saving gap contains 00:00: ``"skipped"``) or passes it
    twice (an overlap contains it: ``"repeated"``), or None if no day of those years does.

    On the other days, "00:00 local" names exactly one instant, so every engine that knows
    the zone's offsets agrees on it; on these days an engine must also follow
    :func:`local_midnight`'s rule (the gap's end, the first of two). The offsets are sampled
    every 12 hours (two changes less than 12 hours apart would be missed: none in the tz
    database of these years changes the offset at midnight that way) and each change is
    located to the microsecond.
    """
    zone = zoneinfo.ZoneInfo(zone_name)
    step = dt.timedelta(hours=12)
    t = dt.datetime(MIDNIGHT_YEARS[0], 1, 1, tzinfo=UTC)
    end = dt.datetime(MIDNIGHT_YEARS[1] + 1, 1, 1, tzinfo=UTC)
    before = t.astimezone(zone).utcoffset()
    while t < end:
        nxt = t + step
        after = nxt.astimezone(zone).utcoffset()
        if after != before:
            assert before is not None and after is not None
            lo, hi = t, nxt  # the change is in (lo, hi]
            while hi - lo > _US:
                mid = lo + (hi - lo) // 2
                if mid.astimezone(zone).utcoffset() == before:
                    lo = mid
                else:
                    hi = mid
            wall_before = (hi + before).replace(tzinfo=None)  # the wall clock's jump at the change
            wall_after = (hi + after).replace(tzinfo=None)
            first, last = min(wall_before, wall_after), max(wall_before, wall_after)
            midnight = dt.datetime.combine(first.date(), dt.time())
            if midnight < first:
                midnight += dt.timedelta(days=1)
            if midnight < last:  # the wall times [first, last) are skipped or repeated
                return midnight.date(), ("skipped" if after > before else "repeated")
            before = after
        t = nxt
    return None
