"""IANA time zone names -> the Windows names SQL Server's ``AT TIME ZONE`` takes.

The mapping is CLDR's ``windowsZones`` (the territory-"001" and territory entries, every
IANA name and alias they list), as packaged by ``tzlocal`` (``tzlocal.windows_tz.tz_win``,
regenerated from CLDR with each release). A zone missing there has no Windows name: the
tsql dialect then refuses local calendars in it (E509, docs/sql.md).
"""

from __future__ import annotations

__all__ = ["windows_zone"]


def windows_zone(zone: str) -> str | None:
    """The Windows time zone name of IANA zone ``zone``, or None if CLDR maps it to none."""
    if zone == "UTC":
        return "UTC"
    # imported here: only a T-SQL statement in a zoned market needs it (tzlocal's package
    # import reads the system's zone setup, 4 ms of every compile's start-up otherwise)
    from tzlocal.windows_tz import tz_win

    return tz_win.get(zone)
