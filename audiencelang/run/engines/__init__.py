"""Database connections for ``audiencelang run``: DuckDB, SQLite, PostgreSQL, Redshift,
MySQL/MariaDB, ClickHouse (chdb) and Spark (local and Connect).

``connect(target)`` turns a path or URL into an :class:`Engine`. An engine knows
its sqlglot dialect name, runs one statement at a time and hands the rows back
in batches (``fetchmany``; PostgreSQL uses a server-side cursor), so a large
member list never has to fit in memory twice.

Targets (see docs/run.md):

============================================  =====================================
target                                        engine
============================================  =====================================
``None``                                      DuckDB file ``audiencelang.duckdb`` in the project root
``path.duckdb``, ``path.db``, any other path  DuckDB, read-only (a SQLite file is recognised by its header)
``duckdb:///relative/path``, ``duckdb:////abs/path``   DuckDB, read-only
``path.sqlite``, ``path.sqlite3``,            SQLite (stdlib ``sqlite3``), read-only
``sqlite:///relative/path``, ``sqlite:////abs/path``
``postgresql://…``, ``postgres://…``,         PostgreSQL via psycopg 3, read-only session
``host=… dbname=…`` (libpq keywords)
``redshift://…``                              Redshift via psycopg 3 (dialect ``redshift``); refused (E615) unless
                                              the server reports ``standard_conforming_strings = off``
``mysql://…``, ``mariadb://…``                MySQL/MariaDB via PyMySQL (dialect ``mysql``), sql_mode and time zone
                                              pinned, read-only transactions, unbuffered cursor
``chdb:///relative``, ``chdb:////abs``        embedded ClickHouse (chdb) on a data folder, ``readonly = 2``, UTC
``spark+local:///WAREHOUSE``                  local Spark; tables are Parquet folders ``WAREHOUSE/db.db/table``
``sc://HOST:PORT``                            Spark Connect (dialect ``spark``); settings pinned and read back
============================================  =====================================

Every problem (missing file, bad URL, refused connection, unsafe session, SQL
error, missing table) is raised as :class:`RunError`, which carries one ``E6xx``
:class:`~audiencelang.diagnostics.Diagnostic` with the database's own message on
one line. Nothing here creates a database file.
"""

from __future__ import annotations

from audiencelang.run.engines.base import (
    BATCH_SIZE,
    DEFAULT_DB_NAME,
    Engine,
    Rows,
    RunError,
    one_line,
)
from audiencelang.run.engines.connect import connect
from audiencelang.run.engines.files import (
    DUCKDB_CONFIG,
    ClickHouseEngine,
    DuckDBEngine,
    SQLiteEngine,
)
from audiencelang.run.engines.servers import (
    MYSQL_SQL_MODE,
    MySQLEngine,
    PostgresEngine,
    RedshiftEngine,
)
from audiencelang.run.engines.spark import SPARK_SQL_CONF, SparkEngine

__all__ = [
    "BATCH_SIZE",
    "DEFAULT_DB_NAME",
    "DUCKDB_CONFIG",
    "MYSQL_SQL_MODE",
    "SPARK_SQL_CONF",
    "ClickHouseEngine",
    "DuckDBEngine",
    "Engine",
    "MySQLEngine",
    "PostgresEngine",
    "RedshiftEngine",
    "Rows",
    "RunError",
    "SQLiteEngine",
    "SparkEngine",
    "connect",
    "one_line",
]
