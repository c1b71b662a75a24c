"""Load typed rows into real engines and run SQL on them, for tests.

Every engine gets the same small vocabulary: a table is described by
``columns`` (column name -> logical type of spec §2: ``string``, ``integer``,
``decimal``, ``boolean``, ``date``, ``timestamp``) and filled with ``rows``
(dicts keyed by column; missing keys are NULL). Values always reach the engine
through its own parameter binding, COPY, Arrow or DataFrame path, never through
SQL literals we render ourselves, so a test cannot pass because our quoting
and the compiler's quoting share a bug.

Physical types per engine (timestamps always hold UTC):

=========  =========  ========  ==============  =========  ===============================  ===========
logical    DuckDB     SQLite    PostgreSQL      Spark      ClickHouse (chdb, Nullable)      MariaDB
=========  =========  ========  ==============  =========  ===============================  ===========
string     VARCHAR    TEXT      TEXT            STRING     String                           TEXT
integer    BIGINT     INTEGER   BIGINT          BIGINT     Int64                            BIGINT
decimal    DEC(18,2)  NUMERIC   NUMERIC(18,2)   DEC(18,2)  Decimal(18, 2)                   DEC(18,2)
boolean    BOOLEAN    INTEGER   BOOLEAN         BOOLEAN    Bool                             BOOLEAN
date       DATE       TEXT      DATE            DATE       Date32                           DATE
timestamp  TIMESTAMP  TEXT      TIMESTAMP       TIMESTAMP  DateTime64(6, 'UTC')             DATETIME(6)
=========  =========  ========  ==============  =========  ===============================  ===========

SQLite stores dates as ``YYYY-MM-DD`` and timestamps as ``YYYY-MM-DD HH:MM:SS``
(``.ffffff`` appended only when there are microseconds), which is the format of
SQLite's own ``datetime()``; booleans as 0/1; decimals with NUMERIC affinity.
Spark ``TIMESTAMP`` is session-local: the test session runs in UTC.

Timestamps given as aware datetimes are converted to UTC; naive ones are taken
as UTC already. ``Engine.query`` returns plain tuples; ``normalise`` turns a
value into a comparable Python value for a logical type (for SQLite, whose
values come back as text/0-1/floats).
"""

from __future__ import annotations

import datetime as dt
import functools
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

Columns = Mapping[str, str]
Row = Mapping[str, Any]

LOGICAL_TYPES = ("string", "integer", "decimal", "boolean", "date", "timestamp")

DUCKDB_TYPES = {"string": "VARCHAR", "integer": "BIGINT", "decimal": "DECIMAL(18, 2)",
                "boolean": "BOOLEAN", "date": "DATE", "timestamp": "TIMESTAMP"}
SQLITE_TYPES = {"string": "TEXT", "integer": "INTEGER", "decimal": "NUMERIC",
                "boolean": "INTEGER", "date": "TEXT", "timestamp": "TEXT"}
POSTGRES_TYPES = {"string": "TEXT", "integer": "BIGINT", "decimal": "NUMERIC(18, 2)",
                  "boolean": "BOOLEAN", "date": "DATE", "timestamp": "TIMESTAMP"}
#: timestamps stored as instants (``zoned=True`` engines): the compiled SQL must not
#: depend on the session time zone for these either (docs/sql.md, "Time columns")
DUCKDB_ZONED_TYPES = {**DUCKDB_TYPES, "timestamp": "TIMESTAMPTZ"}
POSTGRES_ZONED_TYPES = {**POSTGRES_TYPES, "timestamp": "TIMESTAMPTZ"}
MYSQL_TYPES = {"string": "TEXT", "integer": "BIGINT", "decimal": "DECIMAL(18, 2)",
               "boolean": "BOOLEAN", "date": "DATE", "timestamp": "DATETIME(6)"}
#: MariaDB's TIMESTAMP: stored as UTC, converted to the session's time zone when read or
#: written (the loader writes in a '+00:00' session)
MYSQL_ZONED_TYPES = {**MYSQL_TYPES, "timestamp": "TIMESTAMP(6) NULL"}
CLICKHOUSE_TYPES = {"string": "String", "integer": "Int64", "decimal": "Decimal(18, 2)",
                    "boolean": "Bool", "date": "Date32", "timestamp": "DateTime64(6, 'UTC')"}
#: timestamps of a column declared in another zone (an instant all the same: the zone only
#: changes how ClickHouse prints and parses it)
CLICKHOUSE_ZONED_TYPES = {**CLICKHOUSE_TYPES, "timestamp": "DateTime64(6, 'America/Los_Angeles')"}


def _check_columns(columns: Columns) -> None:
    for name, kind in columns.items():
        if kind not in LOGICAL_TYPES:
            raise ValueError(f"column {name}: unknown logical type {kind!r}")


def utc_naive(value: dt.datetime) -> dt.datetime:
    """``value`` as a naive datetime holding UTC (naive input is UTC already)."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def utc_aware(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def normalise(value: Any, kind: str) -> Any:
    """A comparable Python value for a result of logical type ``kind`` from any engine."""
    if value is None:
        return None
    if kind == "decimal":
        return Decimal(str(value)).quantize(Decimal("0.01"))
    if kind == "boolean":
        return bool(value)
    if kind == "integer":
        return int(value)
    if kind == "date":
        if isinstance(value, dt.datetime):
            return value.date()
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    if kind == "timestamp":
        if not isinstance(value, dt.datetime):
            value = dt.datetime.fromisoformat(str(value))
        return utc_aware(value)
    return value


def normalise_rows(rows: Iterable[Sequence[Any]], kinds: Sequence[str]) -> list[tuple[Any, ...]]:
    return [tuple(normalise(v, k) for v, k in zip(row, kinds, strict=True)) for row in rows]


def _split(table: str) -> list[str]:
    parts = table.split(".")
    if not 1 <= len(parts) <= 2 or not all(parts):
        raise ValueError(f"table {table!r} must be `name` or `schema.name`")
    return parts


def _dq(name: str) -> str:
    """A double-quoted identifier (identifiers are test-controlled; values are never quoted)."""
    return '"' + name.replace('"', '""') + '"'


def _bq(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _values(columns: Columns, row: Row) -> list[Any]:
    unknown = set(row) - set(columns)
    if unknown:
        raise ValueError(f"row has columns not in the table: {sorted(unknown)}")
    return [row.get(c) for c in columns]


def _utc_rows(columns: Columns, rows: Iterable[Row], aware: bool = False) -> list[list[Any]]:
    """``rows`` as value lists in column order, timestamps as naive UTC (for engines whose
    drivers bind Python datetimes: DuckDB, PostgreSQL, MariaDB); ``aware``: as aware UTC
    datetimes (for TIMESTAMPTZ columns, whatever the session time zone)."""
    conv = utc_aware if aware else utc_naive
    return [[conv(v) if k == "timestamp" and v is not None else v
             for v, k in zip(_values(columns, r), columns.values(), strict=True)]
            for r in rows]


#: DuckDB column types of the demo data (audiencelang.run.demo) -> logical types
DUCKDB_LOGICAL = {"BIGINT": "integer", "VARCHAR": "string", "DECIMAL(18,2)": "decimal", "DATE": "date",
                  "BOOLEAN": "boolean", "TIMESTAMP": "timestamp"}


def duckdb_tables(con: Any) -> list[tuple[str, dict[str, str]]]:
    """Every table of a DuckDB connection as ``("schema.table", {column: logical type})``."""
    out = []
    for schema, table in con.execute("SELECT schema_name, table_name FROM duckdb_tables() "
                                     "ORDER BY schema_name, table_name").fetchall():
        cols = con.execute(f"DESCRIBE {_dq(schema)}.{_dq(table)}").fetchall()
        out.append((f"{schema}.{table}", {c[0]: DUCKDB_LOGICAL[c[1]] for c in cols}))
    return out


def load_duckdb_file(engine: Engine, path: Any) -> None:
    """Copy every table of the DuckDB file ``path`` (demo data, say) into ``engine`` through
    its own loader."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        for table, columns in duckdb_tables(con):
            schema, name = table.split(".")
            cur = con.execute(f"SELECT * FROM {_dq(schema)}.{_dq(name)}")
            names = [d[0] for d in cur.description]
            engine.load(table, columns, (dict(zip(names, r, strict=True)) for r in cur.fetchall()))
    finally:
        con.close()


# --------------------------------------------------------------------------- DuckDB


def duckdb_load(con: Any, table: str, columns: Columns, rows: Iterable[Row],
                types: Mapping[str, str] = DUCKDB_TYPES) -> None:
    """Create ``table`` in a DuckDB connection and insert ``rows`` with bound parameters."""
    _check_columns(columns)
    parts = _split(table)
    if len(parts) == 2:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {_dq(parts[0])}")
    name = ".".join(_dq(p) for p in parts)
    ddl = ", ".join(f"{_dq(c)} {types[k]}" for c, k in columns.items())
    con.execute(f"CREATE TABLE {name} ({ddl})")
    data = _utc_rows(columns, rows, aware=types is not DUCKDB_TYPES)
    if data:
        marks = ", ".join("?" for _ in columns)
        con.executemany(f"INSERT INTO {name} VALUES ({marks})", data)


def duckdb_query(con: Any, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in con.execute(sql).fetchall()]


# --------------------------------------------------------------------------- SQLite


def _sqlite_value(value: Any, kind: str, text: Callable[[dt.datetime], str] = str) -> Any:
    if value is None:
        return None
    if kind == "timestamp":
        return text(utc_naive(value))  # str: 'YYYY-MM-DD HH:MM:SS[.ffffff]'
    if kind == "date":
        return value.isoformat()
    if kind == "decimal":
        return str(value)  # NUMERIC affinity turns it into a number
    if kind == "boolean":
        return int(bool(value))
    return value


def sqlite_load(con: sqlite3.Connection, table: str, columns: Columns, rows: Iterable[Row],
                text: Callable[[dt.datetime], str] = str) -> None:
    """Create ``table``; for ``schema.table`` an in-memory database is attached as ``schema``.
    ``text`` writes a (naive UTC) timestamp as text (default ``str``)."""
    _check_columns(columns)
    parts = _split(table)
    if len(parts) == 2 and parts[0] not in {r[1] for r in con.execute("PRAGMA database_list")}:
        con.execute(f"ATTACH DATABASE ':memory:' AS {_dq(parts[0])}")
    name = ".".join(_dq(p) for p in parts)
    ddl = ", ".join(f"{_dq(c)} {SQLITE_TYPES[k]}" for c, k in columns.items())
    con.execute(f"CREATE TABLE {name} ({ddl})")
    marks = ", ".join("?" for _ in columns)
    con.executemany(
        f"INSERT INTO {name} VALUES ({marks})",
        [[_sqlite_value(v, k, text) for v, k in zip(_values(columns, r), columns.values(), strict=True)]
         for r in rows],
    )
    con.commit()


def sqlite_query(con: sqlite3.Connection, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in con.execute(sql).fetchall()]


# --------------------------------------------------------------------------- PostgreSQL


def postgres_load(conn: Any, table: str, columns: Columns, rows: Iterable[Row],
                  types: Mapping[str, str] = POSTGRES_TYPES) -> None:
    """Create ``table`` in a psycopg connection and fill it with COPY (binary-safe)."""
    from psycopg import sql as pgsql

    _check_columns(columns)
    parts = _split(table)
    ident = pgsql.Identifier(*parts)
    with conn.cursor() as cur:
        if len(parts) == 2:
            cur.execute(pgsql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                pgsql.Identifier(parts[0])))
        ddl = pgsql.SQL(", ").join(
            pgsql.SQL("{} {}").format(pgsql.Identifier(c), pgsql.SQL(types[k]))
            for c, k in columns.items()
        )
        cur.execute(pgsql.SQL("CREATE TABLE {} ({})").format(ident, ddl))
        cols = pgsql.SQL(", ").join(pgsql.Identifier(c) for c in columns)
        with cur.copy(pgsql.SQL("COPY {} ({}) FROM STDIN").format(ident, cols)) as copy:
            for values in _utc_rows(columns, rows, aware=types is not POSTGRES_TYPES):
                copy.write_row(values)
    conn.commit()


def postgres_query(conn: Any, sql: str) -> list[tuple[Any, ...]]:
    with conn.cursor() as cur:
        cur.execute(sql.encode())  # bytes: psycopg must not look for %s placeholders
        result = [tuple(r) for r in cur.fetchall()] if cur.description else []
    conn.commit()
    return result


# --------------------------------------------------------------------------- MySQL (MariaDB)


def mysql_load(conn: Any, table: str, columns: Columns, rows: Iterable[Row],
               types: Mapping[str, str] = MYSQL_TYPES) -> None:
    """Create ``table`` (a database for ``db.table``) and insert ``rows`` with bound parameters
    (in a '+00:00' session, so TIMESTAMP columns store the UTC instants given)."""
    _check_columns(columns)
    parts = _split(table)
    name = ".".join(_bq(p) for p in parts)
    with conn.cursor() as cur:
        cur.execute("SELECT @@session.time_zone")
        (session_zone,) = cur.fetchone()
        cur.execute("SET time_zone = '+00:00'")
        if len(parts) == 2:
            cur.execute(f"CREATE DATABASE IF NOT EXISTS {_bq(parts[0])}")
        ddl = ", ".join(f"{_bq(c)} {types[k]}" for c, k in columns.items())
        cur.execute(f"CREATE TABLE {name} ({ddl})")
        data = _utc_rows(columns, rows)
        if data:
            marks = ", ".join("%s" for _ in columns)
            cur.executemany(f"INSERT INTO {name} VALUES ({marks})", data)
        cur.execute("SET time_zone = %s", (session_zone,))
    conn.commit()


def mysql_query(conn: Any, sql: str) -> list[tuple[Any, ...]]:
    with conn.cursor() as cur:
        cur.execute(sql)  # no parameters: pymysql does not interpret % in the text
        return [tuple(r) for r in cur.fetchall()] if cur.description else []


# --------------------------------------------------------------------------- Spark


def spark_schema(columns: Columns, *, ntz: bool = False) -> Any:
    """``ntz``: timestamps in ``TIMESTAMP_NTZ`` columns (UTC wall clock) instead of Spark's
    default ``TIMESTAMP`` (LTZ: instants)."""
    from pyspark.sql import types as T

    spark_types: dict[str, Callable[[], Any]] = {
        "string": T.StringType, "integer": T.LongType,
        "decimal": lambda: T.DecimalType(18, 2), "boolean": T.BooleanType,
        "date": T.DateType, "timestamp": T.TimestampNTZType if ntz else T.TimestampType,
    }
    return T.StructType([T.StructField(c, spark_types[k](), True) for c, k in columns.items()])


def spark_load(spark: Any, table: str, columns: Columns, rows: Iterable[Row], *, ntz: bool = False) -> None:
    """Create ``table`` (a database is created for ``schema.table``) from a typed DataFrame
    (``ntz``: timestamps as ``TIMESTAMP_NTZ`` holding the UTC wall clock)."""
    _check_columns(columns)
    parts = _split(table)
    stamp = utc_naive if ntz else utc_aware
    data = [
        tuple(stamp(v) if k == "timestamp" and v is not None else v
              for v, k in zip(_values(columns, r), columns.values(), strict=True))
        for r in rows
    ]
    df = spark.createDataFrame(data, schema=spark_schema(columns, ntz=ntz))
    if len(parts) == 2:
        spark.sql(f"CREATE DATABASE IF NOT EXISTS {_bq(parts[0])}")
    df.write.mode("overwrite").saveAsTable(".".join(_bq(p) for p in parts))


def spark_query(spark: Any, sql: str) -> list[tuple[Any, ...]]:
    """Rows via Arrow, so timestamps come back in the session time zone (UTC), not the host's."""
    table = spark.sql(sql).toArrow()
    names = table.column_names
    return [tuple(r[n] for n in names) for r in table.to_pylist()] if names else []


# --------------------------------------------------------------------------- ClickHouse (chdb)


def chdb_load(conn: Any, table: str, columns: Columns, rows: Iterable[Row],
              types: Mapping[str, str] = CLICKHOUSE_TYPES) -> None:
    """Create ``table`` (a database for ``db.table``) and insert an Arrow table of ``rows``."""
    import pyarrow as pa

    _check_columns(columns)
    parts = _split(table)
    arrow_types = {"string": pa.string(), "integer": pa.int64(), "decimal": pa.decimal128(18, 2),
                   "boolean": pa.bool_(), "date": pa.date32(),
                   "timestamp": pa.timestamp("us", tz="UTC")}
    schema = pa.schema([(c, arrow_types[k]) for c, k in columns.items()])
    if len(parts) == 2:
        conn.query(f"CREATE DATABASE IF NOT EXISTS {_bq(parts[0])}")
    name = ".".join(_bq(p) for p in parts)
    ddl = ", ".join(f"{_bq(c)} Nullable({types[k]})" for c, k in columns.items())
    conn.query(f"CREATE TABLE {name} ({ddl}) ENGINE = Memory")
    records = [
        {c: (utc_aware(v) if k == "timestamp" and v is not None else v)
         for c, k, v in zip(columns, columns.values(), _values(columns, r), strict=True)}
        for r in rows
    ]
    if records:
        _audiencelang_rows = pa.Table.from_pylist(records, schema=schema)
        # chdb's Python() table function reads the local variable of that name.
        conn.query(f"INSERT INTO {name} SELECT * FROM Python(_audiencelang_rows)")


def chdb_query(conn: Any, sql: str) -> list[tuple[Any, ...]]:
    table = conn.query(sql, "ArrowTable")
    names = table.column_names
    return [tuple(r[n] for n in names) for r in table.to_pylist()] if names else []


# --------------------------------------------------------------------------- one interface


@dataclass
class Engine:
    """One database for one test: ``load`` tables, ``query`` SQL, ``dialect`` for sqlglot."""

    name: str
    dialect: str
    handle: Any
    _load: Callable[[Any, str, Columns, Iterable[Row]], None] = field(repr=False)
    _query: Callable[[Any, str], list[tuple[Any, ...]]] = field(repr=False)

    def load(self, table: str, columns: Columns, rows: Iterable[Row]) -> None:
        self._load(self.handle, table, columns, rows)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        return self._query(self.handle, sql)


def duckdb_engine(con: Any, *, zoned: bool = False) -> Engine:
    """``zoned``: timestamps in ``TIMESTAMPTZ`` columns."""
    if zoned:
        return Engine("duckdb", "duckdb", con, functools.partial(duckdb_load, types=DUCKDB_ZONED_TYPES),
                      duckdb_query)
    return Engine("duckdb", "duckdb", con, duckdb_load, duckdb_query)


def sqlite_engine(con: sqlite3.Connection, *, text: Callable[[dt.datetime], str] = str) -> Engine:
    """``text``: how timestamps are written (default ``str``: ``YYYY-MM-DD HH:MM:SS[.ffffff]``)."""
    return Engine("sqlite", "sqlite", con, functools.partial(sqlite_load, text=text), sqlite_query)


def postgres_engine(conn: Any, *, zoned: bool = False) -> Engine:
    """``zoned``: timestamps in ``timestamptz`` columns."""
    if zoned:
        return Engine("postgres", "postgres", conn, functools.partial(postgres_load, types=POSTGRES_ZONED_TYPES),
                      postgres_query)
    return Engine("postgres", "postgres", conn, postgres_load, postgres_query)


def mysql_engine(conn: Any, *, zoned: bool = False) -> Engine:
    """``zoned``: timestamps in ``TIMESTAMP(6)`` columns (MariaDB reads them in the session's zone)."""
    if zoned:
        return Engine("mysql", "mysql", conn, functools.partial(mysql_load, types=MYSQL_ZONED_TYPES), mysql_query)
    return Engine("mysql", "mysql", conn, mysql_load, mysql_query)


def spark_engine(spark: Any, *, ntz: bool = False) -> Engine:
    """``ntz``: timestamps in ``TIMESTAMP_NTZ`` columns (default: ``TIMESTAMP``, LTZ)."""
    if ntz:
        return Engine("spark", "spark", spark, functools.partial(spark_load, ntz=True), spark_query)
    return Engine("spark", "spark", spark, spark_load, spark_query)


def chdb_engine(conn: Any, *, zoned: bool = False) -> Engine:
    """``zoned``: timestamps in columns declared in another zone (``CLICKHOUSE_ZONED_TYPES``)."""
    if zoned:
        return Engine("clickhouse", "clickhouse", conn, functools.partial(chdb_load, types=CLICKHOUSE_ZONED_TYPES),
                      chdb_query)
    return Engine("clickhouse", "clickhouse", conn, chdb_load, chdb_query)


def samples(project: Any, audience: str) -> bool:
    """Whether ``audience``'s file holds ``in sample`` (spec §10), which the sqlite dialect
    refuses (E520): examples/audiences/winback_holdout.aud."""
    key, _ = project.audiences()[audience]
    return "in sample" in (project.root / key).read_text(encoding="utf-8")
