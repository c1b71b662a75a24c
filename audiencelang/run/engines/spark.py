"""Spark: a local session on a Parquet warehouse folder, or Spark Connect."""

from __future__ import annotations

import contextlib
import datetime as dt
import urllib.parse
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audiencelang.diagnostics import error
from audiencelang.run.engines.base import Engine, Rows, RunError, one_line
from audiencelang.run.engines.servers import _redact, _scrub

if TYPE_CHECKING:
    from audiencelang.schema.market import Market


# --------------------------------------------------------------------------- Spark

#: Runtime SQL settings of every Spark session ``run`` uses (docs/sql.md, "What the SQL
#: assumes of the session"): UTC, backslash escapes read as escapes, ANSI mode.
SPARK_SQL_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parser.escapedStringLiterals": "false",
    "spark.sql.ansi.enabled": "true",
}


class SparkEngine(Engine):
    """Spark SQL (dialect ``spark``): a local Spark (``spark+local://``) or a Spark Connect
    server (``sc://``). Rows stream partition by partition (``toLocalIterator``). Spark has
    no read-only session: ``run`` only ever sends SELECT statements."""

    dialect = "spark"
    kind = "Spark"

    def __init__(self, target: str, connection: Any, *, owned: bool, warehouse: Path | None = None,
                 shares_files: bool = True) -> None:
        super().__init__(target, connection)
        self._owned = owned
        self.warehouse = warehouse
        #: Spark writes files where this process sees them (local Spark, a Connect server on
        #: a loopback host): ``run --output X.parquet`` lets Spark write (run/spark_output.py)
        self.shares_files = shares_files

    def _is_missing_table(self, exc: BaseException) -> bool:
        text = str(exc)
        return "TABLE_OR_VIEW_NOT_FOUND" in text or "SCHEMA_NOT_FOUND" in text

    def execute(self, sql: str, *, audience: str | None = None, market: str | None = None,
                params: Sequence[object] = ()) -> Rows:
        try:
            df = self.connection.sql(sql, args=list(params)) if params else self.connection.sql(sql)
            columns = [str(c) for c in df.columns]
            it = df.toLocalIterator()
        except Exception as exc:
            raise self.translate(exc, audience, market) from None
        return Rows(self, _SparkCursor(it), columns, (audience, market))

    def now(self) -> dt.datetime:
        try:
            _, rows = self.fetch_all("SELECT unix_micros(current_timestamp())")
            return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=int(rows[0][0]))
        except (RunError, IndexError, TypeError, ValueError):
            return dt.datetime.now(dt.UTC)

    def prepare(self, market: Market) -> None:
        """Local Spark: each market table ``db.t`` is the Parquet folder ``WAREHOUSE/db.db/t``
        (``WAREHOUSE/t`` without a database), the layout Spark's ``saveAsTable`` writes;
        registered in this session's catalog (no data is written)."""
        if self.warehouse is None:
            return
        tables = [market.profiles.table, *(e.table for e in market.events.values())]
        if market.consent is not None:
            tables.append(market.consent.table)
        spark = self.connection
        for table in sorted(set(tables)):
            parts = table.split(".")
            if "${" in table or len(parts) > 2:
                continue  # refused by the compiler (E508) or not a local table: the statement says
            quoted = ".".join("`" + p.replace("`", "``") + "`" for p in parts)
            folder = self.warehouse / (parts[0] + ".db" if len(parts) == 2 else "") / parts[-1]
            try:
                if spark.catalog.tableExists(quoted):
                    continue
                if not folder.is_dir():
                    continue  # the statement reports the missing table (E606)
                if len(parts) == 2:
                    spark.sql(f"CREATE DATABASE IF NOT EXISTS {quoted.split('.')[0]}")
                spark.catalog.createTable(quoted, path=str(folder.absolute()), source="parquet")
            except Exception as exc:
                raise RunError(error(
                    "E602", f"cannot register table {table} of market {market.market} from "
                    f"{folder}: {one_line(exc)}", market=market.market)) from None

    def close(self) -> None:
        if self._owned:
            with contextlib.suppress(Exception):
                self.connection.stop()


class _SparkCursor:
    """``fetchmany`` over a DataFrame's local iterator; naive timestamps (Python's local
    time, as PySpark converts them) become naive UTC."""

    def __init__(self, it: Iterator[Any]) -> None:
        self._it = it

    def fetchmany(self, size: int) -> list[tuple[Any, ...]]:
        out = []
        for row in self._it:
            out.append(tuple(_spark_value(v) for v in row))
            if len(out) >= size:
                break
        return out

    def close(self) -> None:
        close = getattr(self._it, "close", None)
        if close is not None:
            close()


def _spark_value(v: object) -> object:
    if isinstance(v, dt.datetime) and v.tzinfo is None:
        return v.astimezone(dt.UTC).replace(tzinfo=None)
    return v


def _pin_spark(spark: Any, shown: str) -> None:
    try:
        for key, value in SPARK_SQL_CONF.items():
            spark.conf.set(key, value)
        got = {k: str(spark.conf.get(k)).lower() for k in SPARK_SQL_CONF}
    except Exception as exc:
        raise RunError(error("E604", f"cannot make the Spark session safe on {shown}: {one_line(exc)}")) from None
    for key, value in SPARK_SQL_CONF.items():
        if got[key] != value.lower():
            raise RunError(error("E604", f"Spark session {shown} keeps {key} = {got[key]} (needs {value}); "
                                 "refusing to run"))


def _open_spark_local(path: Path, shown: str) -> SparkEngine:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise RunError(error("E603", f"cannot open {shown}: pyspark is not installed", None,
                             "pip install 'pyspark>=4.0' (or audiencelang[engines]); it needs Java 17")) from None
    if not path.is_dir():
        raise RunError(error("E601", f"Spark warehouse folder not found: {shown}", None,
                             "pass --db spark+local:///FOLDER holding one Parquet folder per table "
                             "(FOLDER/DB.db/TABLE)"))
    owned = SparkSession.getActiveSession() is None
    try:
        spark = (SparkSession.builder.master("local[*]").appName("audiencelang")
                 .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
                 .config("spark.sql.warehouse.dir", str(path.absolute()))
                 .getOrCreate())
        if owned:
            spark.sparkContext.setLogLevel("ERROR")
    except Exception as exc:
        raise RunError(error("E602", f"cannot start a local Spark for {shown}: {one_line(exc)}", None,
                             "Spark needs Java 17 or later (JAVA_HOME)")) from None
    _pin_spark(spark, shown)
    return SparkEngine(shown, spark, owned=owned, warehouse=path)


def _open_spark_connect(url: str) -> SparkEngine:
    """``sc://HOST:PORT`` (Spark Connect's own URL, ``/;token=…;use_ssl=true`` included)."""
    import socket

    shown = _redact(url)
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise RunError(error("E603", f"cannot connect to {shown}: pyspark is not installed", None,
                             "pip install 'pyspark[connect]>=4.0' (or audiencelang[engines])")) from None
    try:
        parts = urllib.parse.urlsplit(url.split(";", 1)[0])
        host, port = parts.hostname or "localhost", parts.port or 15002
    except ValueError as exc:
        raise RunError(error("E603", f"malformed Spark Connect URL {shown}: {one_line(exc)}", None,
                             "use sc://HOST:15002")) from None
    import logging

    # PySpark's client logs every failed statement as JSON on stderr; run reports it (E605/E606)
    logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
    try:  # the client retries for minutes against a closed port: ask once first
        socket.create_connection((host, port), timeout=10).close()
    except OSError as exc:
        raise RunError(error("E602", f"cannot connect to Spark Connect server {shown}: "
                             f"{exc.strerror or exc}")) from None
    import os

    mode = os.environ.get("SPARK_CONNECT_MODE_ENABLED")
    try:
        spark = SparkSession.builder.remote(url).create()
        spark.sql("SELECT 1").collect()
    except Exception as exc:
        raise RunError(error("E602", f"cannot connect to Spark Connect server {shown}: "
                             f"{_scrub(one_line(exc), url)}")) from None
    finally:
        # PySpark marks the whole process as "Connect mode" when a remote session is
        # created: a local Spark (spark+local://) could not start in this process after it
        if mode is None:
            os.environ.pop("SPARK_CONNECT_MODE_ENABLED", None)
    _pin_spark(spark, shown)
    return SparkEngine(shown, spark, owned=True, shares_files=_is_loopback(host))


def _is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address (no name lookup)."""
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
