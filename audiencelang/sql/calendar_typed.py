"""Calendar bounds from the warehouse clock on dialects whose clock is a typed instant (spec §9).

ClickHouse, Snowflake, BigQuery, Redshift, Trino and T-SQL compare time columns with
values of the dialect's instant type (:mod:`audiencelang.sql.clock`: naive UTC, or
ClickHouse ``DateTime64(6, 'UTC')``, BigQuery ``TIMESTAMP``). A calendar bound is the
local midnight of a date in the market's zone ``Z``, converted to that type; today's
local date is read from the ``as_of`` column of the ``params`` CTE (the one clock reading
of the statement: ClickHouse evaluates each ``now64()`` call on its own).

===========  ======================================  =================================================
dialect      today's local date (``N``: ``as_of``)   00:00 local of date ``D`` as an instant
===========  ======================================  =================================================
clickhouse   ``toDate32(toTimeZone(N, 'Z'))``         ``toTimeZone(toDateTime64(D, 6, 'Z'), 'UTC')``
snowflake    ``CAST(CONVERT_TIMEZONE('UTC', 'Z', N)    ``CONVERT_TIMEZONE('Z', 'UTC', CAST(D AS
             AS DATE)``                               TIMESTAMPNTZ))``
bigquery     ``DATE(N, 'Z')``                         ``TIMESTAMP(D, 'Z')``
redshift     ``CAST(CONVERT_TIMEZONE('UTC', 'Z', N)    ``CONVERT_TIMEZONE('Z', 'UTC', CAST(D AS
             AS DATE)``                               TIMESTAMP))``
trino        ``CAST(AT_TIMEZONE(WITH_TIMEZONE(N,       ``CAST(AT_TIMEZONE(WITH_TIMEZONE(CAST(D AS
             'UTC'), 'Z') AS DATE)``                  TIMESTAMP(6)), 'Z'), 'UTC') AS TIMESTAMP(6))``
tsql         ``CAST(N AT TIME ZONE 'UTC' AT TIME      ``CAST(CAST(D AS DATETIME2(7)) AT TIME ZONE 'W'
             ZONE 'W' AS DATE)``                      AT TIME ZONE 'UTC' AS DATETIME2(7))``
===========  ======================================  =================================================

(T-SQL: ``W`` is the Windows name of ``Z``, :mod:`audiencelang.sql.windows_zones`.) The
first day of a window, ``k`` days, Monday-weeks or months back from today ``T``:

- clickhouse: ``subtractDays(T, k)``, ``subtractWeeks(toDate32(toMonday(T)), k)``,
  ``subtractMonths(toDate32(toStartOfMonth(T)), k)``;
- snowflake: ``DATEADD(DAY, -k, T)``, ``DATEADD(DAY, -(DAYOFWEEKISO(T) - 1 + 7k), T)``,
  ``DATEADD(MONTH, -k, DATE_TRUNC('MONTH', T))``;
- bigquery: ``DATE_SUB(T, INTERVAL k DAY)``, ``DATE_SUB(DATE_TRUNC(T, ISOWEEK), INTERVAL k WEEK)``,
  ``DATE_SUB(DATE_TRUNC(T, MONTH), INTERVAL k MONTH)``;
- redshift: ``CAST(DATEADD(DAY, -k, T) AS DATE)``, Monday as ``T`` minus
  ``DATEDIFF(DAY, CAST('1900-01-01' AS DATE), T) % 7`` days (1900-01-01 was a Monday),
  ``CAST(DATEADD(MONTH, -k, DATE_TRUNC('month', T)) AS DATE)``;
- trino: ``DATE_ADD('day', -k, T)``, ``DATE_ADD('week', -k, DATE_TRUNC('week', T))``,
  ``DATE_ADD('month', -k, DATE_TRUNC('month', T))``;
- tsql: ``DATEADD(DAY, -k, T)``, Monday as for Redshift (``DATEDIFF``, no ``DATEFIRST``),
  ``DATEADD(MONTH, -k, DATEFROMPARTS(YEAR(T), MONTH(T), 1))``.

No form depends on a session setting (week start, ``DATEFIRST``, time zone). The local day
of a time column ``e`` (``distinct days``): ClickHouse ``toDate32(toTimeZone(e, 'Z'))``,
Snowflake/Redshift ``CAST(CONVERT_TIMEZONE('UTC', 'Z', e) AS DATE)``, BigQuery
``DATE(e, 'Z')``, Trino ``CAST(AT_TIMEZONE(WITH_TIMEZONE(e, 'UTC'), 'Z') AS DATE)``, T-SQL
``CAST(e AT TIME ZONE 'UTC' AT TIME ZONE 'W' AS DATE)``.

Daylight saving time: ClickHouse (checked against :func:`audiencelang.localtime.local_midnight`
for every zone on every day around an offset change of 1970-2040) and T-SQL (documented:
a time in a gap moves forward by the gap, a time in an overlap takes the offset before the
change) resolve a skipped midnight to the gap's end and a repeated one to the first, like
Python. Snowflake, BigQuery, Redshift and Trino do not document what they do with a local
time that is skipped or repeated, so they compute the bounds only in zones whose midnight is
never skipped or repeated (1970-2100, :func:`audiencelang.localtime.midnight_change`): there
"00:00 local" names one instant whatever the rule. Other zones get E509 (docs/sql.md).
"""

from __future__ import annotations

from sqlglot import exp

from audiencelang.localtime import MIDNIGHT_YEARS, midnight_change
from audiencelang.sql.clock import FuncMaker
from audiencelang.sql.dialects import DialectProfile
from audiencelang.sql.windows_zones import windows_zone

__all__ = ["DIALECTS", "RULE_UNKNOWN", "local_day", "local_today", "midnight", "start_date", "unsupported"]

#: The dialects of this module.
DIALECTS = frozenset({"clickhouse", "snowflake", "bigquery", "redshift", "trino", "tsql"})
#: Those whose resolution of a skipped or repeated local midnight is not documented.
RULE_UNKNOWN = frozenset({"snowflake", "bigquery", "redshift", "trino"})


def unsupported(d: DialectProfile, zone: str) -> str | None:
    """Why dialect ``d`` cannot compute local midnights of ``zone`` from its clock, or None."""
    if d.name == "tsql" and windows_zone(zone) is None:
        return (f"SQL Server's AT TIME ZONE takes Windows zone names, and {zone} has none in the "
                "CLDR mapping (windowsZones)")
    if d.name in RULE_UNKNOWN and zone != "UTC":
        change = midnight_change(zone)
        if change is not None:
            day, kind = change
            return (f"midnight was {kind} in {zone} on {day.isoformat()} (daylight saving time), and "
                    f"{d.name} does not document which instant it takes for a {kind} local time "
                    f"(it computes local midnights only in zones whose midnight is never skipped or "
                    f"repeated, {MIDNIGHT_YEARS[0]}-{MIDNIGHT_YEARS[1]})")
    return None


def _s(text: str) -> exp.Literal:
    return exp.Literal.string(text)


def _n(value: int) -> exp.Expr:
    n = int(value)
    return exp.Neg(this=exp.Literal.number(-n)) if n < 0 else exp.Literal.number(n)


def _call(f: FuncMaker, name: str, *args: exp.Expr) -> exp.Expr:
    return f(exp.Anonymous, this=name, expressions=list(args))


def _zone(d: DialectProfile, zone: str) -> exp.Literal:
    if d.name == "tsql":
        name = windows_zone(zone)
        assert name is not None, zone  # unsupported() refused it first
        return _s(name)
    return _s(zone)


def _date(d: DialectProfile) -> exp.DataType:
    to = d.date_cast()
    assert to is not None
    return to


def _instant(d: DialectProfile) -> exp.DataType:
    to = d.instant_cast()
    assert to is not None
    return to


def _local(d: DialectProfile, e: exp.Expr, zone: str, f: FuncMaker) -> exp.Expr:
    """Instant ``e`` (of the dialect's instant type) as a value whose date is its local date."""
    z = _zone(d, zone)
    name = d.name
    if name == "clickhouse":
        return _call(f, "toTimeZone", e, z)
    if name in ("snowflake", "redshift"):
        return _call(f, "CONVERT_TIMEZONE", _s("UTC"), z, e)
    if name == "trino":
        return exp.AtTimeZone(this=_call(f, "WITH_TIMEZONE", e, _s("UTC")), zone=z)
    assert name == "tsql", name
    return exp.AtTimeZone(this=exp.AtTimeZone(this=e, zone=_s("UTC")), zone=z)


def local_today(d: DialectProfile, now: exp.Expr, zone: str, f: FuncMaker) -> exp.Expr:
    """Today's date in ``zone`` at the instant ``now`` (the ``params`` clock reading)."""
    return local_day(d, now, zone, f)


def local_day(d: DialectProfile, e: exp.Expr, zone: str, f: FuncMaker) -> exp.Expr:
    """The date time ``e`` is on in ``zone``."""
    if d.name == "bigquery":
        return _call(f, "DATE", e, _s(zone))
    local = _local(d, e, zone, f)
    if d.name == "clickhouse":
        return _call(f, "toDate32", local)
    return f(exp.Cast, this=local, to=_date(d))


def _monday_offset(today: exp.Expr, f: FuncMaker) -> exp.Expr:
    """Days since Monday: ``DATEDIFF(DAY, CAST('1900-01-01' AS DATE), today) % 7``
    (Redshift, T-SQL; 1900-01-01 was a Monday, and ``today`` is after it)."""
    monday = f(exp.Cast, this=_s("1900-01-01"), to=exp.DataType.build("DATE"))
    days = _call(f, "DATEDIFF", exp.Var(this="DAY"), monday, today)
    return exp.Paren(this=exp.Mod(this=days, expression=exp.Literal.number(7)))


def start_date(d: DialectProfile, today: exp.Expr, unit: str, k: int, f: FuncMaker) -> exp.Expr:
    """The first local date of a window ``k`` days, weeks (from Monday) or months (from
    the 1st) before ``today``'s."""
    n = int(k)
    name = d.name
    day, week, month = exp.Var(this="DAY"), exp.Var(this="WEEK"), exp.Var(this="MONTH")
    if name == "clickhouse":
        if unit == "day":
            return _call(f, "subtractDays", today, exp.Literal.number(n)) if n else today
        if unit == "week":
            return _call(f, "subtractWeeks", _call(f, "toDate32", _call(f, "toMonday", today)), exp.Literal.number(n))
        return _call(f, "subtractMonths", _call(f, "toDate32", _call(f, "toStartOfMonth", today)),
                     exp.Literal.number(n))
    if name == "bigquery":
        if unit == "day":
            first, step = today, day
        else:
            first = _call(f, "DATE_TRUNC", today, exp.Var(this="ISOWEEK" if unit == "week" else "MONTH"))
            step = week if unit == "week" else month
        if n == 0:
            return first
        return _call(f, "DATE_SUB", first, exp.Interval(this=exp.Literal.number(n), unit=step))
    if name == "trino":
        first = today if unit == "day" else _call(f, "DATE_TRUNC", _s(unit), today)
        return _call(f, "DATE_ADD", _s(unit), _n(-n), first) if n else first
    if name == "snowflake":
        if unit == "day":
            return _call(f, "DATEADD", day, _n(-n), today) if n else today
        if unit == "week":
            dow = exp.Sub(this=_call(f, "DAYOFWEEKISO", today.copy()), expression=exp.Literal.number(1))
            back: exp.Expr = exp.Add(this=dow, expression=exp.Literal.number(7 * n)) if n else dow
            return _call(f, "DATEADD", day, exp.Neg(this=exp.Paren(this=back)), today)
        first = _call(f, "DATE_TRUNC", _s("MONTH"), today)
        return _call(f, "DATEADD", month, _n(-n), first) if n else first
    assert name in ("redshift", "tsql"), name
    if unit == "day":
        shifted = _call(f, "DATEADD", day, _n(-n), today) if n else today
    elif unit == "week":
        back = _monday_offset(today.copy(), f)
        back = exp.Add(this=back, expression=exp.Literal.number(7 * n)) if n else back
        shifted = _call(f, "DATEADD", day, exp.Neg(this=exp.Paren(this=back)), today)
    elif name == "tsql":
        first = _call(f, "DATEFROMPARTS", _call(f, "YEAR", today.copy()), _call(f, "MONTH", today.copy()),
                      exp.Literal.number(1))
        shifted = _call(f, "DATEADD", month, _n(-n), first) if n else first
    else:
        first = _call(f, "DATE_TRUNC", _s("month"), today)
        shifted = _call(f, "DATEADD", month, _n(-n), first) if n else first
    if name == "redshift" and shifted is not today:  # DATEADD and DATE_TRUNC return TIMESTAMP there
        return f(exp.Cast, this=shifted, to=_date(d))
    return shifted


def midnight(d: DialectProfile, day: exp.Expr, zone: str, f: FuncMaker) -> exp.Expr:
    """00:00 local in ``zone`` of the date ``day``, as a value of the dialect's instant type."""
    z = _zone(d, zone)
    name = d.name
    if name == "clickhouse":
        local = _call(f, "toDateTime64", day, exp.Literal.number(6), z)
        return _call(f, "toTimeZone", local, _s("UTC"))
    if name == "bigquery":
        return _call(f, "TIMESTAMP", day, z)
    naive = f(exp.Cast, this=day, to=_instant(d))
    if name in ("snowflake", "redshift"):
        return _call(f, "CONVERT_TIMEZONE", z, _s("UTC"), naive)
    if name == "trino":
        zoned = exp.AtTimeZone(this=_call(f, "WITH_TIMEZONE", naive, z), zone=_s("UTC"))
        return f(exp.Cast, this=zoned, to=_instant(d))
    assert name == "tsql", name
    return f(exp.Cast, this=exp.AtTimeZone(this=exp.AtTimeZone(this=naive, zone=z), zone=_s("UTC")),
             to=_instant(d))
