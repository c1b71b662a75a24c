"""Calendar bounds and local midnights computed from the warehouse clock (spec §9, no ``as_of``).

Compiled with ``--as-of``, calendar windows and dates of a market with a time zone are
computed in Python (:mod:`audiencelang.localtime`) and emitted as UTC literals. Without
it, the statement computes them in the market's zone from the warehouse's clock, in the
``params`` CTE, on the dialects with an epoch clock (:mod:`audiencelang.sql.clock`):
every bound is the epoch count of a local midnight, compared with the epoch count of the
column like every other clock bound.

A calendar bound is named ``cal_<unit>_<k>``: 00:00 local of

- ``day``: the local date ``k`` days before today's (``today``: ``cal_day_0``;
  ``yesterday``: from ``cal_day_1`` to ``cal_day_0``, excluded; ``in last N calendar
  days``: ``cal_day_<N-1>``);
- ``week``: the Monday ``k`` weeks before the current week's Monday;
- ``month``: the 1st of the month ``k`` months before the current month.

Per dialect (``Z`` the market's zone, a name validated against the tz database):

=========  ==================================  ======================================================
dialect    today's local date                   00:00 local of date ``D``, as the epoch count
=========  ==================================  ======================================================
duckdb     ``CAST(TIMEZONE('Z',                 ``EPOCH_US(TIMEZONE('Z', CAST(D AS TIMESTAMP)))``
           CURRENT_TIMESTAMP) AS DATE)``
postgres   ``CAST(CURRENT_TIMESTAMP AT TIME     ``EXTRACT(EPOCH FROM CAST(D AS TIMESTAMP) AT TIME ZONE 'Z')``
           ZONE 'Z' AS DATE)``
spark      ``CAST(CONVERT_TIMEZONE('UTC', 'Z',  ``TIMESTAMPDIFF(MICROSECOND, <NTZ epoch>,
           <UTC now as NTZ>) AS DATE)``         CONVERT_TIMEZONE('Z', 'UTC', CAST(D AS TIMESTAMP_NTZ)))``
=========  ==================================  ======================================================

Weeks: DuckDB and PostgreSQL ``D - (CAST(EXTRACT(ISODOW FROM D) AS INT) - 1)``, Spark ``DATE_SUB(D, WEEKDAY(D))``. Months: DuckDB ``CAST(DATE_TRUNC('month',
D) - INTERVAL 'k' MONTH AS DATE)``, PostgreSQL the same on ``CAST(D AS TIMESTAMP)``,
Spark ``ADD_MONTHS(TRUNC(D, 'MM'), -k)``. All three engines resolve a local midnight that
falls in a daylight-saving gap to the gap's end, as :func:`audiencelang.localtime.local_midnight`
does; where midnight happens twice (no zone of the tests; a few zones historically)
PostgreSQL takes the later one, Python, DuckDB (ICU) and Spark (java.time) the first.

ClickHouse, Snowflake, BigQuery, Redshift, Trino and T-SQL, whose clock is a typed instant,
have their forms in :mod:`audiencelang.sql.calendar_typed` (this module dispatches to it).
SQLite and MySQL/MariaDB refuse with E509 (:data:`UNSUPPORTED`); so do T-SQL in a zone
without a Windows name and Snowflake, BigQuery, Redshift and Trino in a zone whose midnight
is skipped or repeated (:func:`audiencelang.sql.calendar_typed.unsupported`).
"""

from __future__ import annotations

from sqlglot import exp

from audiencelang.sql import calendar_typed
from audiencelang.sql.clock import FuncMaker, epoch_of, now_utc_ntz
from audiencelang.sql.dialects import DialectProfile

__all__ = ["UNSUPPORTED", "local_day", "local_today", "midnight", "midnight_epoch", "parse_name", "start_date",
           "typed", "unsupported"]

#: Why a dialect without an epoch clock does not compute local calendars from its clock.
UNSUPPORTED = {
    "sqlite": "SQLite has no time zones (its clock is UTC only)",
    "mysql": "MySQL/MariaDB convert between named zones only with the server's time zone tables loaded "
             "(CONVERT_TZ returns NULL without them), which the SQL cannot check",
}


def typed(d: DialectProfile) -> bool:
    """Whether dialect ``d``'s calendar bounds are instants of its type
    (:mod:`audiencelang.sql.calendar_typed`) rather than epoch counts."""
    return d.epoch_clock is None and d.name in calendar_typed.DIALECTS


def unsupported(d: DialectProfile, zone: str) -> str | None:
    """Why dialect ``d`` cannot compute local midnights of ``zone`` from its clock, or None if it can."""
    if d.epoch_clock is not None:
        return None
    if typed(d):
        return calendar_typed.unsupported(d, zone)
    return UNSUPPORTED.get(d.name, "not written for this dialect")


def midnight(d: DialectProfile, day: exp.Expr, zone: str, f: FuncMaker) -> exp.Expr:
    """00:00 local in ``zone`` of the date ``day`` as the dialect's ``params`` bounds are
    written: an epoch count (:func:`midnight_epoch`) or an instant (typed dialects)."""
    if typed(d):
        return calendar_typed.midnight(d, day, zone, f)
    return midnight_epoch(d, day, zone, f)


def parse_name(name: str) -> tuple[str, int]:
    """``cal_week_3`` -> ``("week", 3)``."""
    _, unit, k = name.split("_")
    return unit, int(k)


def _zone(zone: str) -> exp.Literal:
    return exp.Literal.string(zone)


def _date(d: DialectProfile) -> exp.DataType:
    to = d.date_cast()
    assert to is not None
    return to


def local_today(d: DialectProfile, zone: str, f: FuncMaker) -> exp.Expr:
    """Today's date in ``zone`` by the warehouse clock."""
    kind = d.epoch_clock
    if kind == "epoch_us":
        local: exp.Expr = f(exp.Anonymous, this="TIMEZONE", expressions=[_zone(zone), f(exp.CurrentTimestamp)])
    elif kind == "extract":
        local = exp.AtTimeZone(this=f(exp.CurrentTimestamp), zone=_zone(zone))
    else:
        assert kind == "spark", kind
        local = f(exp.Anonymous, this="CONVERT_TIMEZONE",
                  expressions=[exp.Literal.string("UTC"), _zone(zone), now_utc_ntz(d, f)])
    return f(exp.Cast, this=local, to=_date(d))


def start_date(d: DialectProfile, today: exp.Expr, unit: str, k: int, f: FuncMaker) -> exp.Expr:
    """The first local date of a calendar window: ``k`` days, weeks (from Monday) or months
    (from the 1st) before ``today``'s."""
    if typed(d):
        return calendar_typed.start_date(d, today, unit, k, f)
    kind = d.epoch_clock
    n = int(k)
    if unit == "day":
        if n == 0:
            return today
        if kind == "spark":
            return f(exp.Anonymous, this="DATE_SUB", expressions=[today, exp.Literal.number(n)])
        return exp.Sub(this=today, expression=exp.Literal.number(n))
    if unit == "week":
        if kind == "spark":
            back: exp.Expr = exp.Add(this=f(exp.Anonymous, this="WEEKDAY", expressions=[today.copy()]),
                                     expression=exp.Literal.number(7 * n))
            return f(exp.Anonymous, this="DATE_SUB", expressions=[today, back])
        dow = f(exp.Cast, this=f(exp.Extract, this=exp.Var(this="ISODOW"), expression=today.copy()),
                to=exp.DataType.build("INT"))
        back = exp.Add(this=exp.Sub(this=dow, expression=exp.Literal.number(1)), expression=exp.Literal.number(7 * n))
        return exp.Sub(this=today, expression=exp.Paren(this=back))
    assert unit == "month", unit
    if kind == "spark":
        first = f(exp.Anonymous, this="TRUNC", expressions=[today, exp.Literal.string("MM")])
        return f(exp.Anonymous, this="ADD_MONTHS", expressions=[first, exp.Literal.number(-n)])
    source = today if kind == "epoch_us" else f(exp.Cast, this=today, to=exp.DataType.build("TIMESTAMP"))
    first = f(exp.Anonymous, this="DATE_TRUNC", expressions=[exp.Literal.string("month"), source])
    shifted = exp.Sub(this=first, expression=exp.Interval(this=exp.Literal.string(str(n)), unit=exp.Var(this="MONTH")))
    return f(exp.Cast, this=shifted, to=_date(d))


def midnight_epoch(d: DialectProfile, day: exp.Expr, zone: str, f: FuncMaker) -> exp.Expr:
    """00:00 local in ``zone`` of the date ``day``, counted from the epoch like
    :func:`audiencelang.sql.clock.epoch_of`."""
    kind = d.epoch_clock
    if kind == "epoch_us":
        naive = f(exp.Cast, this=day, to=exp.DataType.build("TIMESTAMP"))
        return f(exp.UnixMicros, this=f(exp.Anonymous, this="TIMEZONE", expressions=[_zone(zone), naive]))
    if kind == "extract":
        naive = f(exp.Cast, this=day, to=exp.DataType.build("TIMESTAMP"))
        return f(exp.Extract, this=exp.Var(this="EPOCH"), expression=exp.AtTimeZone(this=naive, zone=_zone(zone)))
    assert kind == "spark", kind
    ntz = f(exp.Cast, this=day, to=d.instant_cast())
    utc = f(exp.Anonymous, this="CONVERT_TIMEZONE", expressions=[_zone(zone), exp.Literal.string("UTC"), ntz])
    epoch = f(exp.Cast, this=exp.Literal.string("1970-01-01 00:00:00"), to=d.instant_cast())
    return f(exp.TimestampDiff, this=utc, expression=epoch, unit=exp.Var(this="MICROSECOND"))


def local_day(d: DialectProfile, e: exp.Expr, zone: str, f: FuncMaker) -> exp.Expr:
    """The date time ``e`` (a naive UTC or a zoned column) is on in ``zone`` (``distinct days``,
    spec §8/§9), whatever the session's time zone: the column is first made a UTC instant from
    its epoch count (:func:`audiencelang.sql.clock.epoch_of`), which is exact for both kinds
    of column (a plain ``CAST(e AS DATE)`` of a ``TIMESTAMPTZ`` column takes the session's day).

    - duckdb: ``CAST(TIMEZONE('Z', TIMEZONE('UTC', MAKE_TIMESTAMP(EPOCH_US(e)))) AS DATE)``
    - postgres: ``CAST((CAST('1970-01-01 00:00:00+00' AS TIMESTAMPTZ) + CAST(EXTRACT(EPOCH FROM e) *
      1000000 AS BIGINT) * INTERVAL '1 MICROSECOND') AT TIME ZONE 'Z' AS DATE)``
    - spark: ``CAST(CONVERT_TIMEZONE('UTC', 'Z', DATE_ADD(MICROSECOND, <epoch_of(e)>, <NTZ epoch>)) AS DATE)``
    - typed dialects: :func:`audiencelang.sql.calendar_typed.local_day`
    """
    if typed(d):
        return calendar_typed.local_day(d, e, zone, f)
    kind = d.epoch_clock
    micros = epoch_of(d, e, f)
    if kind == "epoch_us":
        naive = f(exp.Anonymous, this="MAKE_TIMESTAMP", expressions=[micros])
        instant: exp.Expr = f(exp.Anonymous, this="TIMEZONE", expressions=[exp.Literal.string("UTC"), naive])
        local: exp.Expr = f(exp.Anonymous, this="TIMEZONE", expressions=[_zone(zone), instant])
    elif kind == "extract":
        epoch = f(exp.Cast, this=exp.Literal.string("1970-01-01 00:00:00+00"), to=exp.DataType.build("TIMESTAMPTZ"))
        us = f(exp.Cast, this=exp.Mul(this=micros, expression=exp.Literal.number(1_000_000)),
               to=exp.DataType.build("BIGINT"))
        step = exp.Interval(this=exp.Literal.string("1"), unit=exp.Var(this="MICROSECOND"))
        instant = exp.Paren(this=exp.Add(this=epoch, expression=exp.Mul(this=us, expression=step)))
        local = exp.AtTimeZone(this=instant, zone=_zone(zone))
    else:
        assert kind == "spark", kind
        epoch = f(exp.Cast, this=exp.Literal.string("1970-01-01 00:00:00"), to=d.instant_cast())
        utc = f(exp.TimestampAdd, this=epoch, expression=micros, unit=exp.Var(this="MICROSECOND"))
        local = f(exp.Anonymous, this="CONVERT_TIMEZONE", expressions=[exp.Literal.string("UTC"), _zone(zone), utc])
    return f(exp.Cast, this=local, to=_date(d))
