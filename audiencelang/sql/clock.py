"""The warehouse's current UTC time, per dialect, and bounds derived from it.

Used by the ``params`` CTE of a statement compiled without ``as_of`` (spec §1.6:
"the compiled SQL uses the warehouse's current timestamp"). Each expression is

- **session-independent**: it reads an absolute instant or a function documented as
  UTC, never a wall clock in the session's time zone; and
- **typed like the timestamp literals** the backend emits for that dialect
  (:attr:`DialectProfile.instant_type`), so comparisons with columns never pass
  through a session time zone (pitfalls: naive vs zoned comparisons).

=============  ============================================================  ===================
dialect        current time                                                  type
=============  ============================================================  ===================
duckdb         ``CURRENT_TIMESTAMP AT TIME ZONE 'UTC'``                       TIMESTAMP
postgres       ``CURRENT_TIMESTAMP AT TIME ZONE 'UTC'``                       timestamp
sqlite         ``DATETIME('now')``                                            ISO text (UTC)
snowflake      ``SYSDATE()``                                                  TIMESTAMP_NTZ (UTC)
bigquery       ``CURRENT_TIMESTAMP()``                                        TIMESTAMP (instant)
redshift       ``SYSDATE``                                                    TIMESTAMP (UTC)
spark          ``DATE_ADD(MICROSECOND, UNIX_MICROS(CURRENT_TIMESTAMP()),      TIMESTAMP_NTZ
databricks     CAST('1970-01-01 00:00:00' AS TIMESTAMP_NTZ))``
trino          ``CAST(AT_TIMEZONE(CURRENT_TIMESTAMP, 'UTC') AS TIMESTAMP(6))``  timestamp(6)
clickhouse     ``now64(6, 'UTC')``                                            DateTime64(6, 'UTC')
mysql          ``UTC_TIMESTAMP(6)``                                           DATETIME(6)
tsql           ``SYSUTCDATETIME()``                                           DATETIME2(7)
=============  ============================================================  ===================

**Epoch clocks** (DuckDB, PostgreSQL, Spark, Databricks: :attr:`DialectProfile.epoch_clock`).
A warehouse column may hold naive UTC times (``TIMESTAMP``, Spark ``TIMESTAMP_NTZ``) or
instants (``TIMESTAMPTZ``/``timestamptz``, Spark's default ``TIMESTAMP``, which is LTZ); the
compiler does not know which. Any typed clock value meets one of the two through the
session's time zone (a naive value against an instant column is read as a wall time in the
session's zone, and the other way round). So on these dialects the ``params`` CTE holds
the clock as a count from the epoch, and every time compared with it is converted to the
same count, which is session-independent for both kinds of column:

- duckdb: ``EPOCH_US(t)`` (microseconds, BIGINT); a bound ``now - N000000``;
- postgres: ``EXTRACT(EPOCH FROM t)`` (seconds, exact NUMERIC); a bound ``now - N``;
- spark, databricks: ``CASE WHEN TYPEOF(t) = 'timestamp' THEN UNIX_MICROS(t) ELSE
  TIMESTAMPDIFF(MICROSECOND, CAST('1970-01-01 00:00:00' AS TIMESTAMP_NTZ), t) END``; the
  clock ``UNIX_MICROS(CURRENT_TIMESTAMP())``; a bound ``now - N000000``.

DuckDB's ``EPOCH_US`` and PostgreSQL's ``EXTRACT(EPOCH …)`` count a naive timestamp's
nominal (UTC) time and an instant's absolute time. Spark's ``UNIX_MICROS`` takes an LTZ
timestamp (an NTZ one would be converted through the session zone), so the type decides,
at analysis time (``TYPEOF`` is constant per column). Costs: the conversion hides the
column from PostgreSQL's indexes and DuckDB's zone maps (the ``--as-of`` form, which
``run`` uses, keeps them: sql/instants.py).

(The table above is :func:`now_expr`; the ``params`` of duckdb, postgres, spark and
databricks use the epoch clock instead.) Spark/Databricks count microseconds from the epoch instead of converting the session's
wall clock (``to_utc_timestamp(current_timestamp(), current_timezone())``), which is
ambiguous for one hour a year in zones with daylight saving time.

A bound ``as_of - N seconds`` (windows ``in last N UNIT``, ``max_age_days``) is written
with the dialect's own explicit form (sqlglot's generic interval arithmetic transpiles
badly): ``x - INTERVAL 'N' SECOND`` (Trino, DuckDB, PostgreSQL: string quantity),
``x - INTERVAL N SECOND`` (MySQL, Spark, ClickHouse), ``x - INTERVAL 'N SECOND'``
(Snowflake, Redshift), ``TIMESTAMP_SUB(x, INTERVAL N SECOND)`` (BigQuery),
``DATEADD(SECOND, -N, x)`` (T-SQL), ``DATETIME(x, '-N seconds')`` (SQLite). Date columns
meet these bounds as their 00:00 UTC instant (a cast of the column to the instant type,
see ``Builder.time_operand``), so no date arithmetic is needed in SQL.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from sqlglot import exp

from audiencelang.sql.dialects import DialectProfile

__all__ = ["epoch_minus_seconds", "epoch_now", "epoch_of", "minus_seconds", "now_expr", "now_utc_ntz"]

_F = TypeVar("_F", bound=exp.Func)


class FuncMaker(Protocol):
    """``Builder.f``: makes a function node and records it for the allow-list check."""

    def __call__(self, cls: type[_F], **args: Any) -> _F: ...


def _second() -> exp.Var:
    return exp.Var(this="SECOND")


def now_expr(d: DialectProfile, f: FuncMaker) -> exp.Expr:
    """The current UTC time in dialect ``d``, typed like its timestamp literals."""
    kind = d.now
    if kind == "sqlite":
        return f(exp.Anonymous, this="DATETIME", expressions=[exp.Literal.string("now")])
    if kind == "at_time_zone":
        return exp.AtTimeZone(this=f(exp.CurrentTimestamp), zone=exp.Literal.string("UTC"))
    if kind == "sysdate":
        return f(exp.CurrentTimestamp, sysdate=True)
    if kind == "current_timestamp":
        return f(exp.CurrentTimestamp)
    if kind == "epoch_micros":
        epoch = f(exp.Cast, this=exp.Literal.string("1970-01-01 00:00:00"), to=d.instant_cast())
        micros = f(exp.UnixMicros, this=f(exp.CurrentTimestamp))
        return f(exp.TimestampAdd, this=epoch, expression=micros, unit=exp.Var(this="MICROSECOND"))
    if kind == "cast_at_time_zone":
        return f(exp.Cast, this=exp.AtTimeZone(this=f(exp.CurrentTimestamp), zone=exp.Literal.string("UTC")),
                 to=d.instant_cast())
    if kind == "now64":
        return f(exp.Anonymous, this="now64", expressions=[exp.Literal.number(6), exp.Literal.string("UTC")])
    if kind == "utc_timestamp":
        return f(exp.UtcTimestamp, this=exp.Literal.number(6))
    assert kind == "sysutcdatetime", kind
    return f(exp.Anonymous, this="SYSUTCDATETIME", expressions=[])


def epoch_now(d: DialectProfile, f: FuncMaker) -> exp.Expr:
    """The current time as :func:`epoch_of` counts it (dialects with an ``epoch_clock``;
    Spark's ``CURRENT_TIMESTAMP()`` is an LTZ instant)."""
    if d.epoch_clock == "spark":
        return f(exp.UnixMicros, this=f(exp.CurrentTimestamp))
    return epoch_of(d, f(exp.CurrentTimestamp), f)


def now_utc_ntz(d: DialectProfile, f: FuncMaker) -> exp.Expr:
    """Spark/Databricks: the current UTC time as a ``TIMESTAMP_NTZ`` (microseconds from the
    epoch added to the NTZ epoch: no session time zone involved)."""
    epoch = f(exp.Cast, this=exp.Literal.string("1970-01-01 00:00:00"), to=d.instant_cast())
    micros = f(exp.UnixMicros, this=f(exp.CurrentTimestamp))
    return f(exp.TimestampAdd, this=epoch, expression=micros, unit=exp.Var(this="MICROSECOND"))


def epoch_of(d: DialectProfile, e: exp.Expr, f: FuncMaker) -> exp.Expr:
    """Time ``e`` (naive UTC or an instant) counted from the epoch, session-independently."""
    kind = d.epoch_clock
    if kind == "epoch_us":
        return f(exp.UnixMicros, this=e)  # DuckDB: EPOCH_US
    if kind == "extract":
        return f(exp.Extract, this=exp.Var(this="EPOCH"), expression=e)
    assert kind == "spark", kind
    zoned = exp.EQ(this=f(exp.Anonymous, this="TYPEOF", expressions=[e.copy()]),
                   expression=exp.Literal.string("timestamp"))
    epoch = f(exp.Cast, this=exp.Literal.string("1970-01-01 00:00:00"), to=d.instant_cast())
    naive = f(exp.TimestampDiff, this=e.copy(), expression=epoch, unit=exp.Var(this="MICROSECOND"))
    return f(exp.Case, ifs=[f(exp.If, this=zoned, true=f(exp.UnixMicros, this=e))], default=naive)


def epoch_minus_seconds(d: DialectProfile, e: exp.Expr, seconds: int) -> exp.Expr:
    """``e - seconds`` for an :func:`epoch_of` count ``e`` (``seconds`` a validated int)."""
    n = int(seconds) * (1 if d.epoch_clock == "extract" else 1_000_000)
    return exp.Sub(this=e, expression=exp.Literal.number(str(n)))


def minus_seconds(d: DialectProfile, e: exp.Expr, seconds: int, f: FuncMaker) -> exp.Expr:
    """``e - seconds`` (``seconds`` > 0, a validated int), in dialect ``d``'s explicit form."""
    n = str(int(seconds))
    kind = d.now
    if kind == "sqlite":
        return f(exp.Anonymous, this="DATETIME", expressions=[e, exp.Literal.string(f"-{n} seconds")])
    if kind == "current_timestamp":  # BigQuery
        return f(exp.TimestampSub, this=e, expression=exp.Literal.number(n), unit=_second())
    if kind == "sysutcdatetime":  # T-SQL
        return f(exp.DateAdd, this=e, expression=exp.Neg(this=exp.Literal.number(n)), unit=_second())
    quantity = (exp.Literal.number(n) if kind in ("epoch_micros", "now64", "utc_timestamp")
                else exp.Literal.string(n))
    return exp.Sub(this=e, expression=exp.Interval(this=quantity, unit=_second()))
