"""Calendar windows and zoned dates compiled WITHOUT ``as_of`` (spec §9; audiencelang/sql/calendar.py).

The statement computes today's local date and the local midnights of calendar windows
from the warehouse clock in the market's zone. Held to the reference evaluator at the
instant the statement ran, on data placed exactly on those local midnights and 1 µs
either side (and on ``now`` ± a minute), in markets far apart (UTC+14, UTC-3:30, Lord
Howe's half-hour DST, Berlin), sessions in yet another zone, naive and zoned columns.
The SQL's local midnight of a date is also checked against :mod:`audiencelang.localtime`
on the days daylight saving time starts and ends (a 23- and a 25-hour day, a skipped
midnight). Dialects that cannot compute them refuse at compile time (E509).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from audiencelang.check.checked import CheckedAudience
from audiencelang.eval import evaluate
from audiencelang.localtime import calendar_bounds, local_date, local_midnight
from audiencelang.schema.loader import load_market_text
from audiencelang.sql import DIALECTS, compile_audience
from audiencelang.sql.calendar import midnight, midnight_epoch
from audiencelang.syntax import parse
from tests import engines

UTC = dt.UTC
US = dt.timedelta(microseconds=1)
TABLES = {
    "people": {"id": "integer", "signup": "date", "login": "timestamp"},
    "events": {"uid": "integer", "ts": "timestamp"},
}
WINDOWS = ["today", "yesterday", "in last 2 calendar days", "in last 1 calendar weeks",
           "in last 2 calendar weeks", "in last 1 calendar months", "in last 3 calendar months"]
AUDIENCES = [f"performed buy {w}" for w in WINDOWS] + [
    "login in last 2 calendar days",
    "signup in last 2 calendar months",
    "signup in last 40 days",  # a zoned date against now - 40 days
    "not performed buy in last 1 calendar weeks",
]
ZONES = ["Pacific/Kiritimati", "America/St_Johns", "Australia/Lord_Howe", "Europe/Berlin"]
MARGIN = dt.timedelta(minutes=15)  # the whole test runs within it (checked)
SESSION = "America/Los_Angeles"  # the session's own zone: neither UTC nor the market's


def market(zone: str) -> Any:
    m, diags = load_market_text(f"""market: m
timezone: {zone}
profiles:
  table: people
  id: id
  traits:
    signup: {{column: signup, type: date}}
    login: {{column: login, type: timestamp}}
events:
  buy: {{table: events, user: uid, time: ts}}
""")
    assert m is not None, diags
    return m


def checked(zone: str, include: str) -> CheckedAudience:
    res = parse(f"audience a {{ include {include} }}")
    assert res.ok and res.file is not None, res.diagnostics
    aud = res.file.audiences[0]
    return CheckedAudience("a", aud, market(zone), None, {"a": aud}, {})


def edges(now: dt.datetime, zone: ZoneInfo) -> list[dt.datetime]:
    """Every bound a window above can put near ``now`` (aware UTC)."""
    out = {now}
    for w in ("today", "yesterday"):
        s, e, _ = calendar_bounds(w, 1, "day", now, zone)
        out |= {s, e}
    for n, unit in ((2, "day"), (1, "week"), (2, "week"), (1, "month"), (3, "month")):
        out.add(calendar_bounds("last", n, unit, now, zone)[0])
    return sorted(out)


def dataset(now: dt.datetime, zone: ZoneInfo) -> dict[str, list[dict[str, Any]]]:
    """Events and logins on every edge and 1 µs either side (``now`` itself: 15 minutes either
    side, as the clock moves while the test runs); signups on the local days around the date windows' edges."""
    times: list[dt.datetime] = []
    for e in edges(now, zone):
        if e == now:
            times += [now - MARGIN, now + MARGIN]
        else:
            times += [e - US, e, e + US]
    today = local_date(now, zone)
    forty = local_date(now - dt.timedelta(days=40), zone)
    months = calendar_bounds("last", 2, "month", now, zone)[0].astimezone(zone).date()
    dates = sorted({d + dt.timedelta(days=k) for d in (today, forty, months) for k in (-1, 0, 1)})
    people, events = [], []
    for i, t in enumerate(times):
        uid = i + 1
        people.append({"id": uid, "signup": dates[i % len(dates)], "login": t})
        events.append({"uid": uid, "ts": t})
    for j, d in enumerate(dates):
        people.append({"id": 1000 + j, "signup": d, "login": None})
    return {"people": people, "events": events}


def check_engine(eng: engines.Engine, zone_name: str) -> None:
    zone = ZoneInfo(zone_name)
    now = dt.datetime.now(UTC)
    if (local_midnight(local_date(now, zone) + dt.timedelta(days=1), zone) - now) < MARGIN:
        pytest.skip("a local midnight is about to pass: the bounds would move during the test")
    data = dataset(now, zone)
    for table, cols in TABLES.items():
        eng.load(table, cols, data[table])
    for include in AUDIENCES:
        c = checked(zone_name, include)
        res = compile_audience(c, eng.dialect)
        assert res.query is not None, res.diagnostics
        before = dt.datetime.now(UTC)
        got = {int(r[0]) for r in eng.query(res.query.sql)}
        after = dt.datetime.now(UTC)
        assert after - now < MARGIN, "too slow: the data is no longer away from the moving edges"
        expected = evaluate(c, data, as_of=after)
        assert evaluate(c, data, as_of=before) == expected, "the data moved under the clock (a bug in this test)"
        everyone = {p["id"] for p in data["people"]}
        assert expected and expected != everyone, (include, "this audience would not show a wrong bound")
        assert got == expected, (zone_name, include, eng.name, sorted(got ^ expected), res.query.sql)


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("zoned", [False, True], ids=["timestamp", "timestamptz"])
def test_duckdb_calendar_windows_at_the_warehouse_clock(zone: str, zoned: bool) -> None:
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"SET TimeZone = '{SESSION}'")
        check_engine(engines.duckdb_engine(con, zoned=zoned), zone)
    finally:
        con.close()


@pytest.mark.postgres
@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("zoned", [False, True], ids=["timestamp", "timestamptz"])
def test_postgres_calendar_windows_at_the_warehouse_clock(pg_connection: Any, zone: str, zoned: bool) -> None:
    pg_connection.execute(f"SET TimeZone = '{SESSION}'")
    pg_connection.commit()
    check_engine(engines.postgres_engine(pg_connection, zoned=zoned), zone)


@pytest.fixture
def spark_in_another_zone(spark_engine: engines.Engine) -> Iterator[engines.Engine]:
    spark = spark_engine.handle
    previous = spark.conf.get("spark.sql.session.timeZone")
    spark.conf.set("spark.sql.session.timeZone", SESSION)
    try:
        yield spark_engine
    finally:
        spark.conf.set("spark.sql.session.timeZone", previous)


@pytest.mark.spark
def test_spark_calendar_windows_at_the_warehouse_clock(spark_in_another_zone: engines.Engine) -> None:
    """Spark's own TIMESTAMP (LTZ) columns, a half-hour market zone, a session in a third zone."""
    check_engine(spark_in_another_zone, "America/St_Johns")


@pytest.fixture
def clickhouse_in_another_zone(clickhouse_engine: engines.Engine) -> Iterator[engines.Engine]:
    """chdb with the session's time zone set to :data:`SESSION` (``session_timezone``)."""
    conn = clickhouse_engine.handle
    conn.query(f"SET session_timezone = '{SESSION}'")
    try:
        assert engines.chdb_query(conn, "SELECT timezone()") == [(SESSION,)]
        yield clickhouse_engine
    finally:
        conn.query("SET session_timezone = ''")


@pytest.mark.clickhouse
@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("zoned", [False, True], ids=["utc_column", "other_zone_column"])
def test_clickhouse_calendar_windows_at_the_warehouse_clock(clickhouse_in_another_zone: engines.Engine,
                                                            zone: str, zoned: bool) -> None:
    """``DateTime64(6, 'UTC')`` columns and columns declared in yet another zone, a session in a third."""
    eng = clickhouse_in_another_zone
    check_engine(engines.chdb_engine(eng.handle, zoned=zoned), zone)


# --------------------------------------------------------------------------- distinct local days

DAYS_AUDIENCES = ["performed buy on at least 2 distinct days",
                  "performed buy on exactly 1 distinct days",
                  "performed buy on at least 2 distinct days in last 3 calendar days"]


def check_distinct_days(eng: engines.Engine, zone_name: str) -> None:
    """Events 1 µs either side of local midnights (one UTC day, two local days, or the other
    way round), counted with ``--as-of`` and at the warehouse clock."""
    zone = ZoneInfo(zone_name)
    now = dt.datetime.now(UTC)
    if (local_midnight(local_date(now, zone) + dt.timedelta(days=1), zone) - now) < MARGIN:
        pytest.skip("a local midnight is about to pass")
    today = local_date(now, zone)
    mids = [local_midnight(today - dt.timedelta(days=k), zone) for k in range(4)]
    events = []
    uid = 0
    for m in mids:
        for pattern in ((-US, US - US), (US - US, US), (-US, -2 * US), (-US, dt.timedelta(hours=12))):
            uid += 1
            events += [{"uid": uid, "ts": m + pattern[0]}, {"uid": uid, "ts": m + pattern[1]}]
    data = {"people": [{"id": i, "signup": None, "login": None} for i in range(1, uid + 1)], "events": events}
    for table, cols in TABLES.items():
        eng.load(table, cols, data[table])
    for include in DAYS_AUDIENCES:
        c = checked(zone_name, include)
        for as_of in (None, now):
            res = compile_audience(c, eng.dialect, as_of=as_of)
            assert res.query is not None, res.diagnostics
            got = {int(r[0]) for r in eng.query(res.query.sql)}
            at = dt.datetime.now(UTC) if as_of is None else as_of
            expected = evaluate(c, data, as_of=at)
            utc_days = evaluate(checked("UTC", include), data, as_of=at)
            assert expected != utc_days or zone_name == "UTC", "local days would not show here"
            assert got == expected, (zone_name, include, as_of, eng.name, sorted(got ^ expected))


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "America/St_Johns", "UTC"])
@pytest.mark.parametrize("zoned", [False, True], ids=["timestamp", "timestamptz"])
def test_duckdb_distinct_local_days(zone: str, zoned: bool) -> None:
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"SET TimeZone = '{SESSION}'")
        check_distinct_days(engines.duckdb_engine(con, zoned=zoned), zone)
    finally:
        con.close()


@pytest.mark.postgres
@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "America/St_Johns", "UTC"])
@pytest.mark.parametrize("zoned", [False, True], ids=["timestamp", "timestamptz"])
def test_postgres_distinct_local_days(pg_connection: Any, zone: str, zoned: bool) -> None:
    pg_connection.execute(f"SET TimeZone = '{SESSION}'")
    pg_connection.commit()
    check_distinct_days(engines.postgres_engine(pg_connection, zoned=zoned), zone)


@pytest.mark.spark
def test_spark_distinct_local_days(spark_in_another_zone: engines.Engine) -> None:
    check_distinct_days(spark_in_another_zone, "Pacific/Kiritimati")


@pytest.mark.clickhouse
@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "America/St_Johns", "UTC"])
def test_clickhouse_distinct_local_days(clickhouse_in_another_zone: engines.Engine, zone: str) -> None:
    check_distinct_days(clickhouse_in_another_zone, zone)


# --------------------------------------------------------------------------- local midnights on DST days

DST_DAYS = [
    ("Europe/Berlin", "2026-03-29"), ("Europe/Berlin", "2026-03-30"),  # a 23-hour day, the day after
    ("Europe/Berlin", "2026-10-25"), ("Europe/Berlin", "2026-10-26"),  # a 25-hour day
    ("Australia/Lord_Howe", "2026-04-05"), ("Australia/Lord_Howe", "2026-10-04"),  # half-hour DST
    ("America/St_Johns", "2026-03-08"), ("America/St_Johns", "2026-11-01"),
    ("America/Santiago", "2026-09-06"),  # 00:00 does not exist: the day starts at 01:00
    ("America/Havana", "2026-03-08"),  # likewise
    ("Pacific/Kiritimati", "1995-01-01"),  # the day the zone moved from UTC-10 to UTC+14 (skipped)
    ("Pacific/Kiritimati", "2026-12-06"),
]


# days around offset changes that skip or repeat midnight (audiencelang.localtime.midnight_change)
MIDNIGHT_DAYS = [
    ("America/Havana", "2025-11-02"),  # 01:00 -> 00:00: midnight twice, the first one counts
    ("America/Havana", "2025-03-09"),
    ("America/Santiago", "2025-04-06"), ("America/Santiago", "2025-09-07"),
    ("America/Asuncion", "2024-10-06"), ("America/Asuncion", "2024-03-24"),
    ("Asia/Beirut", "2025-03-30"), ("Asia/Beirut", "2025-10-26"),
    ("America/Sao_Paulo", "2018-11-04"), ("America/Sao_Paulo", "2018-02-18"),
    ("Asia/Tehran", "2021-03-22"), ("Asia/Tehran", "2021-09-22"),
]


def _midnight_sql(dialect: str) -> str:
    day = exp.Cast(this=exp.Literal.string("{day}"), to=exp.DataType.build("DATE"))
    e = midnight_epoch(DIALECTS[dialect], day, "{zone}", lambda cls, **kw: cls(**kw))
    return "SELECT " + e.sql(dialect)


def _expected_micros(zone: str, day: str) -> int:
    m = local_midnight(dt.date.fromisoformat(day), ZoneInfo(zone))
    return (m - dt.datetime(1970, 1, 1, tzinfo=UTC)) // US


@pytest.mark.parametrize(("zone", "day"), DST_DAYS)
def test_duckdb_local_midnight_matches_localtime(zone: str, day: str) -> None:
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"SET TimeZone = '{SESSION}'")
        got = con.execute(_midnight_sql("duckdb").format(day=day, zone=zone)).fetchone()
        assert got == (_expected_micros(zone, day),)
    finally:
        con.close()


@pytest.mark.postgres
def test_postgres_local_midnight_matches_localtime(pg_connection: Any) -> None:
    pg_connection.execute(f"SET TimeZone = '{SESSION}'")
    for zone, day in DST_DAYS:
        (got,) = pg_connection.execute(_midnight_sql("postgres").format(day=day, zone=zone)).fetchone()
        assert Decimal(got) * 1_000_000 == _expected_micros(zone, day), (zone, day, got)
    pg_connection.rollback()


@pytest.mark.spark
def test_spark_local_midnight_matches_localtime(spark_in_another_zone: engines.Engine) -> None:
    spark = spark_in_another_zone.handle
    for zone, day in DST_DAYS:
        (got,) = spark.sql(_midnight_sql("spark").format(day=day, zone=zone)).collect()[0]
        assert got == _expected_micros(zone, day), (zone, day, got)


@pytest.mark.clickhouse
def test_clickhouse_local_midnight_matches_localtime(clickhouse_in_another_zone: engines.Engine) -> None:
    """The typed form (``DateTime64(6, 'UTC')``), counted in microseconds from the epoch."""
    eng = clickhouse_in_another_zone
    day = exp.Cast(this=exp.Literal.string("{day}"), to=exp.DataType.build("DATE32", dialect="clickhouse"))
    e = midnight(DIALECTS["clickhouse"], day, "{zone}", lambda cls, **kw: cls(**kw))
    sql = "SELECT toUnixTimestamp64Micro(" + e.sql("clickhouse") + "), toTypeName(" + e.sql("clickhouse") + ")"
    for zone, d in DST_DAYS + MIDNIGHT_DAYS:
        got = eng.query(sql.format(day=d, zone=zone))
        assert got == [(_expected_micros(zone, d), "DateTime64(6, 'UTC')")], (zone, d, got)


# --------------------------------------------------------------------------- dialects that cannot


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_every_dialect_computes_the_bounds_or_refuses_with_e509(dialect: str) -> None:
    for include in ("performed buy today", "signup in last 40 days"):
        res = compile_audience(checked("Asia/Tokyo", include), dialect)
        if dialect not in ("sqlite", "mysql"):
            assert res.query is not None and not res.diagnostics, res.diagnostics
            assert len([t for t in sqlglot.parse(res.query.sql, read=dialect) if t is not None]) == 1
        else:
            (d,) = res.diagnostics
            assert res.query is None and d.code == "E509" and f"dialect '{dialect}'" in d.message, d
            assert "Asia/Tokyo" in d.message and "--as-of" in d.hints[0]
