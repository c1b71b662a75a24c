"""Python values of the six logical types, and the time rules of docs/semantics.md.

Everything the evaluator compares goes through :func:`coerce` first, so a
comparison only ever sees one Python type per logical type:

=========  ===========================================================
logical    Python value used for comparisons
=========  ===========================================================
string     ``str``
integer    ``fractions.Fraction`` (exact)
decimal    ``fractions.Fraction`` (exact)
boolean    ``bool``
date       ``datetime`` at 00:00 of that day in the market's zone (aware, UTC)
timestamp  ``datetime`` in UTC (aware; naive input is taken as UTC)
=========  ===========================================================

Dates become the instant of their 00:00 in the market's time zone (UTC unless the
market names one, spec §9): local midnights keep the order of days, so comparing two
dates is the same as comparing their midnights, and a date meeting a time *is* its midnight
(docs/semantics.md, "Time"), so one representation serves every case.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

from audiencelang import ast
from audiencelang.localtime import local_midnight
from audiencelang.schema.market import FieldType

__all__ = [
    "UTC",
    "DatasetError",
    "Value",
    "coerce",
    "day_end",
    "fold_case",
    "literal_value",
    "minus",
    "plus_days",
    "to_instant",
    "unit_delta",
]

UTC = dt.UTC

Value = str | Fraction | bool | dt.datetime
"""A normalised, comparable value (see the module docstring)."""


class DatasetError(ValueError):
    """A value in the dataset does not fit the logical type the market declares for its column."""


def to_instant(value: dt.date | dt.datetime, zone: dt.tzinfo = UTC) -> dt.datetime:
    """A date → 00:00 of that day in ``zone`` (the market's, spec §9), as a UTC instant; a
    naive datetime → the same wall time in UTC; an aware datetime → converted to UTC."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
    return local_midnight(value, zone)


def day_end(day: dt.date, zone: dt.tzinfo = UTC) -> dt.datetime | None:
    """00:00 of the day after ``day`` in ``zone`` (the exclusive end of ``day``, which in a
    zone with daylight saving time may be 23 or 25 hours after its start), or ``None``
    when that is after year 9999 (no bound)."""
    try:
        return local_midnight(day + dt.timedelta(days=1), zone)
    except OverflowError:
        return None


def coerce(value: object, kind: FieldType, where: str, zone: dt.tzinfo = UTC) -> Value | None:
    """Normalise a dataset value of logical type ``kind``; ``None`` stays ``None``.

    Raises :class:`DatasetError` (naming ``where``, e.g. ``crm.kunden.land``) when the
    Python type does not fit: a ``str`` in an integer column is a bug in the data, not
    something to guess about.
    """
    if value is None:
        return None
    if kind == "string":
        if isinstance(value, str):
            return value
    elif kind in ("integer", "decimal"):
        if isinstance(value, bool):
            pass
        elif isinstance(value, int) or (isinstance(value, Decimal) and value.is_finite()):
            return Fraction(value)
        elif isinstance(value, float) and value == value and value not in (float("inf"), float("-inf")):
            return Fraction(Decimal(repr(value)))
    elif kind == "boolean":
        if isinstance(value, bool):
            return value
    elif kind in ("date", "timestamp") and isinstance(value, dt.date):  # datetime is a date too
        if kind == "date" and isinstance(value, dt.datetime):
            raise DatasetError(f"{where}: a date column holds a datetime {value!r}")
        try:
            return to_instant(value, zone)
        except OverflowError:
            raise DatasetError(f"{where}: the day {value} starts outside the years 1 to 9999 in {zone}") from None
    raise DatasetError(f"{where}: {value!r} ({type(value).__name__}) is not a {kind} value")


def literal_value(lit: ast.StringLit | ast.NumberLit | ast.BoolLit | ast.DateLit | ast.TimestampLit,
                  zone: dt.tzinfo = UTC) -> Value:
    """The comparable value of an audience literal (a date literal is 00:00 of its day in
    ``zone``, the market's; spec §9)."""
    if isinstance(lit, ast.StringLit):
        return lit.value
    if isinstance(lit, ast.NumberLit):
        return Fraction(lit.value)
    if isinstance(lit, ast.BoolLit):
        return lit.value
    return to_instant(lit.value, zone)


def unit_delta(window: ast.LastWindow | ast.AgoWindow | ast.Duration) -> dt.timedelta | None:
    """``N * UNIT`` as a timedelta, or ``None`` when it is too large for Python's timedelta
    (the window then reaches back before year 1 and its lower bound is no bound)."""
    seconds = ast.UNIT_SECONDS[window.unit]
    try:
        return dt.timedelta(seconds=seconds * window.amount)
    except OverflowError:
        return None


def minus(instant: dt.datetime, delta: dt.timedelta | None) -> dt.datetime | None:
    """``instant - delta``, or ``None`` when that is before year 1: a lower bound that
    every representable time satisfies (no bound)."""
    if delta is None:
        return None
    try:
        return instant - delta
    except OverflowError:
        return None


def plus_days(instant: dt.datetime, days: int) -> dt.datetime | None:
    """``instant + days``, or ``None`` when that is after year 9999: an exclusive upper
    bound that every representable time satisfies (no bound)."""
    try:
        return instant + dt.timedelta(days=days)
    except OverflowError:
        return None


def fold_case(text: str, *, ascii_only: bool = False) -> str:
    """Lower-case ``text`` one character at a time, the way ``ignoring case`` does.

    Each character is replaced by its lower case when that is a single code point;
    characters whose lower case is longer (``İ`` → ``i̇``) are kept unchanged. The
    per-character rule also means there is no context rule (a final capital sigma
    becomes the ordinary small sigma, never the final form). With ``ascii_only`` only ``A`` to ``Z`` are folded: that is what
    SQLite's ``LOWER()`` does (docs/semantics.md documents the limitation).
    """
    out: list[str] = []
    for ch in text:
        if ascii_only:
            out.append(ch.lower() if "A" <= ch <= "Z" else ch)
        else:
            low = ch.lower()
            out.append(low if len(low) == 1 else ch)
    return "".join(out)
