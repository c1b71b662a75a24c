"""SQL compiled without ``as_of`` on every dialect: the warehouse's own UTC clock (spec §1.6, §6).

- Golden files ``tests/golden/<dialect>/now/<audience>__de.sql`` for every dialect (the
  ``params`` CTE and its per-dialect clock expression, audiencelang/sql/clock.py); each
  re-parses as one statement and calls only allow-listed functions.
- Executed on Spark (session time zone ``Pacific/Kiritimati``, UTC+14, on ``TIMESTAMP_NTZ``
  columns as docs/sql.md requires) and ClickHouse (session time zone likewise): the
  members equal the reference evaluator's at the instant the statement ran, on data
  placed at least :data:`MARGIN` away from every window edge, and the clock decides the
  answer (the evaluator a day away differs), so a statement ignoring the clock fails.

Regenerate the goldens with ``AUDIENCELANG_UPDATE_GOLDEN=1``.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlglot

from audiencelang.check import check_audience
from audiencelang.eval import evaluate
from audiencelang.project import Project, load_project
from audiencelang.sql import DIALECTS, _check_functions, compile, compile_audience
from audiencelang.sql.build import build_with_functions
from audiencelang.sql.lower import lower
from tests.engines import Engine
from tests.test_sql_exec import TABLES, checked_from
from tests.test_sql_golden import golden_text, refused

REPO = Path(__file__).resolve().parent.parent
GOLDEN = REPO / "tests" / "golden"
UPDATE = os.environ.get("AUDIENCELANG_UPDATE_GOLDEN") == "1"
UTC = dt.UTC
MARGIN = dt.timedelta(minutes=20)  # every value is further than this from every edge
FAR_EAST = "Pacific/Kiritimati"  # UTC+14: a session-local clock would be 14 hours off


@pytest.fixture(scope="module")
def project() -> Project:
    p = load_project(REPO / "examples")
    assert not [d for d in p.diagnostics if d.is_error]
    return p


# --------------------------------------------------------------------------- emitted text, every dialect


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_golden_sql_without_as_of(project: Project, dialect: str) -> None:
    folder = GOLDEN / dialect / "now"
    expected, mismatches = set(), []
    for name in sorted(project.audiences()):
        res = compile(project, name, "de", dialect)
        if refused(res, dialect):  # 'in sample' on sqlite/tsql (E520): the golden holds the diagnostic
            file, text = golden_text(res, dialect, f"{name}__de")
            path = folder / file
            expected.add(path.name)
            if UPDATE:
                folder.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
            elif not path.exists() or path.read_text(encoding="utf-8") != text:
                mismatches.append(path.name)
            continue
        assert res.query is not None and not res.diagnostics, (name, res.diagnostics)
        sql = res.query.sql
        trees = [t for t in sqlglot.parse(sql, read=dialect) if t is not None]
        assert len(trees) == 1, (name, dialect)
        checked, _ = check_audience(project, name, "de")  # the statement's own tree: allow-listed only
        assert checked is not None
        tree, _functions = build_with_functions(lower(checked, as_of=None), DIALECTS[dialect])
        assert _check_functions(tree, DIALECTS[dialect]) is None, (name, dialect)
        assert "params" in sql and "as_of warehouse current time" in sql.splitlines()[0]
        path = folder / f"{name}__de.sql"
        expected.add(path.name)
        if UPDATE:
            folder.mkdir(parents=True, exist_ok=True)
            path.write_text(sql, encoding="utf-8")
        elif not path.exists() or path.read_text(encoding="utf-8") != sql:
            mismatches.append(path.name)
    assert not mismatches, f"{dialect}: SQL differs from golden files {mismatches} (AUDIENCELANG_UPDATE_GOLDEN=1)"
    assert {p.name for p in [*folder.glob("*.sql"), *folder.glob("*.E520.txt")]} == expected, "stale golden files"


CLOCK = {  # the current UTC time each dialect reads (docs/sql.md, "Without --as-of")
    "duckdb": "EPOCH_US(CURRENT_TIMESTAMP)",
    "postgres": "EXTRACT(EPOCH FROM CURRENT_TIMESTAMP)",
    "snowflake": "SYSDATE()",
    "bigquery": "CURRENT_TIMESTAMP()",
    "redshift": "SYSDATE",
    "spark": "UNIX_MICROS(CURRENT_TIMESTAMP())",
    "databricks": "UNIX_MICROS(CURRENT_TIMESTAMP())",
    "trino": "CAST(AT_TIMEZONE(CURRENT_TIMESTAMP, 'UTC') AS TIMESTAMP(6))",
    "clickhouse": "now64(6, 'UTC')",
    "mysql": "UTC_TIMESTAMP(6)",
    "tsql": "SYSUTCDATETIME()",
}
MINUS_A_DAY = {
    "duckdb": "\"now\".\"as_of\" - 86400000000",
    "postgres": "\"now\".\"as_of\" - 86400 ",
    "snowflake": "- INTERVAL '86400 SECOND'",
    "bigquery": "TIMESTAMP_SUB(`now`.`as_of`, INTERVAL 86400 SECOND)",
    "redshift": "- INTERVAL '86400 SECOND'",
    "spark": "`now`.`as_of` - 86400000000",
    "databricks": "`now`.`as_of` - 86400000000",
    "trino": "- INTERVAL '86400' SECOND",
    "clickhouse": "- INTERVAL 86400 SECOND",
    "mysql": "- INTERVAL 86400 SECOND",
    "tsql": "DATEADD(SECOND, -86400, [now].[as_of])",
}


@pytest.mark.parametrize("dialect", sorted(CLOCK))
def test_clock_and_bound_expressions_per_dialect(dialect: str) -> None:
    text = "audience a {\n include performed buy in last 1 day and signup in last 1 day\n}\n"
    res = compile_audience(checked_from(text), dialect)
    assert res.query is not None, res.diagnostics
    flat = " ".join(res.query.sql.split()).replace("( ", "(").replace(" )", ")")
    assert f"SELECT {CLOCK[dialect]} AS " in flat, flat
    assert MINUS_A_DAY[dialect] in flat, flat


# --------------------------------------------------------------------------- executed: Spark, ClickHouse

AUDIENCES = {
    "recent_buyer": "performed buy in last 7 days",
    "burst": "performed buy at least 2 times in last 90 minutes",
    "new_signup": "signup in last 30 days",
    "recent_login": "last_login in last 2 hours",
    "no_recent_view": "not performed view in last 1 day",
    "ads_ok": "performed buy",
    "mail_ok": "performed buy",
    "old_buyer_only": "performed buy and not performed buy in last 7 days",
}
REQUIRES = {"ads_ok": "require consent ads", "mail_ok": "require consent mail"}


def _now_minute() -> dt.datetime:
    return dt.datetime.now(UTC).replace(second=0, microsecond=0)


def dataset(now0: dt.datetime) -> dict[str, list[dict[str, Any]]]:
    """Rows 30-50 minutes either side of every edge the audiences above put near ``now0``."""
    m = dt.timedelta(minutes=1)
    day = dt.timedelta(days=1)
    edges = [now0, now0 - 7 * day, now0 - 90 * m, now0 - 2 * 60 * m, now0 - day, now0 - 30 * day]
    offsets = [-50 * m, -30 * m, 30 * m, 50 * m]
    times = sorted({e + o + dt.timedelta(seconds=7, microseconds=123456) for e in edges for o in offsets})
    # dates whose 00:00 UTC is far enough from now - 30 days (the signup window's edge)
    lower = now0 - 30 * day
    dates = [lower.date() + dt.timedelta(days=k) for k in (-2, -1, 0, 1, 2)]
    dates = [d for d in dates if abs(dt.datetime(d.year, d.month, d.day, tzinfo=UTC) - lower) > MARGIN]
    people: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    consent: list[dict[str, Any]] = []
    uid = 0
    for i, t in enumerate(times):
        for kind in ("buy", "view"):
            uid += 1
            people.append({"id": uid, "signup": dates[i % len(dates)], "last_login": t})
            events.append({"uid": uid, "ts": t, "kind": kind, "amount": Decimal("1.50")})
            if i % 3 == 0:
                events.append({"uid": uid, "ts": t + 5 * m, "kind": kind})
            consent.append({"uid": uid, "purpose": "ads", "status": "yes", "ts": t})
            consent.append({"uid": uid, "purpose": "mail", "status": "yes", "ts": now0 - 3 * day,
                            "confirmed": t})
    return {"crm.people": people, "ev.events": events, "legal.consent": consent}


def check_at_the_warehouse_clock(engine: Engine, data: Mapping[str, Sequence[Mapping[str, Any]]],
                                 now0: dt.datetime) -> None:
    sensitive = 0
    for name, include in AUDIENCES.items():
        text = f"audience {name} {{\n include {include}\n {REQUIRES.get(name, '')}\n}}\n"
        checked = checked_from(text)
        res = compile_audience(checked, engine.dialect)
        assert res.query is not None, res.diagnostics
        before = dt.datetime.now(UTC)
        got = {int(r[0]) for r in engine.query(res.query.sql)}
        after = dt.datetime.now(UTC)
        assert after - now0 < MARGIN, "too slow: the data is no longer MARGIN away from the edges"
        expected = evaluate(checked, data, as_of=after)
        assert evaluate(checked, data, as_of=before) == expected, "data too close to an edge (test bug)"
        assert got == expected, (name, engine.name, sorted(got ^ expected), res.query.sql)
        day = dt.timedelta(days=1)
        if expected and any(evaluate(checked, data, as_of=after + d) != expected for d in (-day, day)):
            sensitive += 1
    assert sensitive >= 6, f"only {sensitive} audiences depend on the clock: the test would not notice"


def _spark_load_ntz(spark: Any, data: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
    """The tables as docs/sql.md asks for on Spark: ``TIMESTAMP_NTZ`` columns holding UTC."""
    from pyspark.sql import types as T

    kinds: dict[str, Any] = {"string": T.StringType, "integer": T.LongType, "decimal": lambda: T.DecimalType(18, 2),
                             "boolean": T.BooleanType, "date": T.DateType, "timestamp": T.TimestampNTZType}
    for table, columns in TABLES.items():
        schema = T.StructType([T.StructField(c, kinds[k](), True) for c, k in columns.items()])
        rows = [tuple((r.get(c).replace(tzinfo=None) if k == "timestamp" and r.get(c) is not None else r.get(c))
                      for c, k in columns.items()) for r in data.get(table, ())]
        db, name = table.split(".")
        spark.sql(f"CREATE DATABASE IF NOT EXISTS `{db}`")
        spark.createDataFrame(rows, schema=schema).write.mode("overwrite").saveAsTable(f"`{db}`.`{name}`")


@pytest.fixture
def far_east_spark(spark_engine: Engine) -> Iterator[Engine]:
    spark = spark_engine.handle
    previous = spark.conf.get("spark.sql.session.timeZone")
    spark.conf.set("spark.sql.session.timeZone", FAR_EAST)
    try:
        yield spark_engine
    finally:
        spark.conf.set("spark.sql.session.timeZone", previous)


@pytest.mark.spark
def test_spark_reads_the_utc_clock_whatever_the_session_time_zone(far_east_spark: Engine) -> None:
    spark = far_east_spark.handle
    local = spark.sql("SELECT CAST(CURRENT_TIMESTAMP() AS TIMESTAMP_NTZ) AS t").collect()[0][0]
    assert abs(local - dt.datetime.now(UTC).replace(tzinfo=None) - dt.timedelta(hours=14)) < dt.timedelta(minutes=5)
    now0 = _now_minute()
    data = dataset(now0)
    _spark_load_ntz(spark, data)
    check_at_the_warehouse_clock(far_east_spark, data, now0)


@pytest.fixture
def far_east_clickhouse(clickhouse_engine: Engine) -> Iterator[Engine]:
    conn = clickhouse_engine.handle
    conn.query(f"SET session_timezone = '{FAR_EAST}'")
    try:
        yield clickhouse_engine
    finally:
        conn.query("SET session_timezone = ''")


@pytest.mark.clickhouse
def test_clickhouse_reads_the_utc_clock_whatever_the_session_time_zone(far_east_clickhouse: Engine) -> None:
    tz = far_east_clickhouse.query("SELECT timezone()")[0][0]
    assert tz == FAR_EAST
    now0 = _now_minute()
    data = dataset(now0)
    for table, columns in TABLES.items():
        far_east_clickhouse.load(table, columns, data.get(table, ()))
    check_at_the_warehouse_clock(far_east_clickhouse, data, now0)


@pytest.mark.mysql
def test_mysql_reads_the_utc_clock_whatever_the_session_time_zone(mysql_engine: Engine) -> None:
    """Dialect mysql on MariaDB: ``UTC_TIMESTAMP(6)`` in a UTC+13 session (MariaDB's limit)."""
    with mysql_engine.handle.cursor() as cur:
        cur.execute("SET time_zone = '+13:00'")
        cur.execute("SELECT TIMESTAMPDIFF(MINUTE, UTC_TIMESTAMP(), NOW())")
        assert cur.fetchone() == (13 * 60,)
    now0 = _now_minute()
    data = dataset(now0)
    for table, columns in TABLES.items():
        mysql_engine.load(table, columns, data.get(table, ()))
    check_at_the_warehouse_clock(mysql_engine, data, now0)


# --------------------------------------------------------------------------- hostile session time zones

# UTC+14, UTC-3:30 (a half-hour offset) and UTC-12: a clock or a column read through the session's
# zone would be off by hours. MariaDB takes offsets only (no zone tables), from -12:59 to +13:00.
HOSTILE = ["Pacific/Kiritimati", "America/St_Johns", "Etc/GMT+12"]
HOSTILE_MYSQL = ["+13:00", "-03:30", "-12:00"]


def _load(engine: Engine, data: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
    for table, columns in TABLES.items():
        engine.load(table, columns, data.get(table, ()))


@pytest.mark.parametrize("zoned", [False, True], ids=["timestamp", "timestamptz"])
@pytest.mark.parametrize("zone", HOSTILE)
def test_duckdb_clock_in_hostile_session_time_zones(zone: str, zoned: bool) -> None:
    """TIMESTAMP (naive UTC) and TIMESTAMPTZ columns alike: the epoch clock (sql/clock.py)."""
    import duckdb

    from tests import engines

    con = duckdb.connect(":memory:")
    try:
        con.execute(f"SET TimeZone = '{zone}'")
        now0 = _now_minute()
        data = dataset(now0)
        eng = engines.duckdb_engine(con, zoned=zoned)
        _load(eng, data)
        assert con.execute("SELECT current_setting('TimeZone')").fetchone() == (zone,)
        check_at_the_warehouse_clock(eng, data, now0)
    finally:
        con.close()


@pytest.mark.postgres
@pytest.mark.parametrize("zoned", [False, True], ids=["timestamp", "timestamptz"])
@pytest.mark.parametrize("zone", HOSTILE)
def test_postgres_clock_in_hostile_session_time_zones(pg_connection: Any, zone: str, zoned: bool) -> None:
    from tests import engines

    eng = engines.postgres_engine(pg_connection, zoned=zoned)
    now0 = _now_minute()
    data = dataset(now0)
    _load(eng, data)
    pg_connection.execute(f"SET TimeZone = '{zone}'")
    pg_connection.commit()
    assert pg_connection.execute("SHOW TimeZone").fetchone() == (zone,)
    pg_connection.commit()
    check_at_the_warehouse_clock(eng, data, now0)


@pytest.mark.spark
@pytest.mark.parametrize(("zone", "ntz"), [("America/St_Johns", False), ("Etc/GMT+12", True)],
                         ids=["ltz-st-johns", "ntz-utc-12"])
def test_spark_clock_in_hostile_session_time_zones(spark_engine: Engine, zone: str, ntz: bool) -> None:
    """Spark's own ``TIMESTAMP`` (LTZ, an instant) and ``TIMESTAMP_NTZ`` columns: the SQL counts
    microseconds from the epoch per the column's type (``TYPEOF``), so neither moves."""
    spark = spark_engine.handle
    now0 = _now_minute()
    data = dataset(now0)
    if ntz:
        _spark_load_ntz(spark, data)
    else:
        _load(spark_engine, data)  # tests/engines.py: TimestampType (LTZ) columns
    previous = spark.conf.get("spark.sql.session.timeZone")
    spark.conf.set("spark.sql.session.timeZone", zone)
    try:
        check_at_the_warehouse_clock(spark_engine, data, now0)
    finally:
        spark.conf.set("spark.sql.session.timeZone", previous)


@pytest.mark.clickhouse
@pytest.mark.parametrize("zone", HOSTILE[1:])
def test_clickhouse_clock_in_hostile_session_time_zones(clickhouse_engine: Engine, zone: str) -> None:
    conn = clickhouse_engine.handle
    conn.query(f"SET session_timezone = '{zone}'")
    try:
        assert clickhouse_engine.query("SELECT timezone()")[0][0] == zone
        now0 = _now_minute()
        data = dataset(now0)
        _load(clickhouse_engine, data)
        check_at_the_warehouse_clock(clickhouse_engine, data, now0)
    finally:
        conn.query("SET session_timezone = ''")


@pytest.mark.mysql
@pytest.mark.parametrize("zone", HOSTILE_MYSQL[1:])
def test_mysql_clock_in_hostile_session_time_zones(mysql_engine: Engine, zone: str) -> None:
    """``DATETIME(6)`` columns (MariaDB's ``TIMESTAMP`` columns are read in the session's zone:
    docs/sql.md, "Time columns")."""
    with mysql_engine.handle.cursor() as cur:
        cur.execute(f"SET time_zone = '{zone}'")
    now0 = _now_minute()
    data = dataset(now0)
    _load(mysql_engine, data)
    check_at_the_warehouse_clock(mysql_engine, data, now0)
