"""Shared fixtures: real engines for tests (see docs/development.md).

Engine fixtures, each giving a ``tests.engines.Engine`` with a fresh, empty
namespace per test:

* ``duckdb_engine``, ``sqlite_engine`` - in-process, always available.
* ``postgres_engine`` (mark ``postgres``) - a database in a throw-away
  PostgreSQL cluster started once per test session (per xdist worker) with
  ``standard_conforming_strings=on``, on a private socket dir and a free port.
  ``postgres_url`` gives the cluster's admin URL.
* ``spark_engine`` (mark ``spark``) - one local ``local[1]`` SparkSession per
  session, UTC session time zone.
* ``clickhouse_engine`` (mark ``clickhouse``) - chdb, in-process ClickHouse.
* ``mysql_engine`` (mark ``mysql``) - a throw-away MariaDB 10.11 server (Debian's
  ``mariadb-server``) per session, private socket, ``utf8mb4``; runs dialect ``mysql``.
* ``engine`` - parametrised over all six.

An engine whose software is missing makes its tests SKIP with the reason, unless
``AUDIENCELANG_REQUIRE_ENGINES=1`` (set by ``.ci/run``), which turns the skip
into a failure so CI never passes by skipping.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests import engines
from tests.pgcluster import ClusterUnavailable, PostgresCluster, find_pg_bindir, start_cluster

REQUIRE_ENGINES = os.environ.get("AUDIENCELANG_REQUIRE_ENGINES") == "1"
REPO = Path(__file__).resolve().parent.parent


def unavailable(reason: str) -> None:
    """Skip (or, in CI, fail) because an engine cannot run here."""
    if REQUIRE_ENGINES:
        pytest.fail(f"{reason} (AUDIENCELANG_REQUIRE_ENGINES=1)", pytrace=False)
    pytest.skip(reason)


# --------------------------------------------------------------------------- DuckDB / SQLite


@pytest.fixture
def duckdb_engine() -> Iterator[engines.Engine]:
    import duckdb

    con = duckdb.connect(":memory:")
    try:
        yield engines.duckdb_engine(con)
    finally:
        con.close()


@pytest.fixture
def sqlite_engine() -> Iterator[engines.Engine]:
    con = sqlite3.connect(":memory:")
    try:
        yield engines.sqlite_engine(con)
    finally:
        con.close()


# --------------------------------------------------------------------------- PostgreSQL


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    bindir = find_pg_bindir()
    if bindir is None:
        unavailable("PostgreSQL binaries (initdb, pg_ctl) not found; "
                    "install `postgresql` or set AUDIENCELANG_PG_BINDIR")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        unavailable("psycopg is not installed (pip install -e '.[engines]')")
    assert bindir is not None
    try:
        cluster = start_cluster(bindir)
    except ClusterUnavailable as exc:
        unavailable(str(exc))
        raise
    try:
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(cluster.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url(postgres_cluster: PostgresCluster) -> str:
    """Admin URL of the session's PostgreSQL cluster (database ``postgres``)."""
    return postgres_cluster.url()


@contextlib.contextmanager
def _fresh_pg_database(cluster: PostgresCluster, prefix: str, options: str = "") -> Iterator[Any]:
    """A raw psycopg connection to a new database of ``cluster`` (``PostgresCluster.database``)."""
    import psycopg

    with cluster.database(prefix, options) as name, psycopg.connect(cluster.url(name)) as conn:
        yield conn


@pytest.fixture
def pg_connection(postgres_cluster: PostgresCluster) -> Iterator[Any]:
    """A raw psycopg connection to a fresh database with the cluster's defaults; dropped afterwards."""
    with _fresh_pg_database(postgres_cluster, "t") as conn:
        yield conn


@pytest.fixture
def pg_icu_connection(postgres_cluster: PostgresCluster) -> Iterator[Any]:
    """A raw psycopg connection to a fresh database whose default collation is ICU's root
    locale (``und``), so plain ``LOWER()`` folds all of Unicode as Redshift's does; dropped
    afterwards. For running dialect ``redshift`` (tests/test_differential_engines.py)."""
    with _fresh_pg_database(postgres_cluster, "t_icu", "TEMPLATE template0 ENCODING 'UTF8' "
                            "LOCALE_PROVIDER icu ICU_LOCALE 'und' LOCALE 'C'") as conn:
        yield conn


@pytest.fixture
def postgres_engine(pg_connection: Any) -> engines.Engine:
    """A fresh database per test, as an engine; dropped afterwards."""
    setting = pg_connection.execute("SHOW standard_conforming_strings").fetchone()
    assert setting == ("on",), setting
    pg_connection.commit()
    return engines.postgres_engine(pg_connection)


# --------------------------------------------------------------------------- MySQL (MariaDB)


@dataclass
class MariaDBServer:
    root: Path
    process: subprocess.Popen[bytes]

    @property
    def socket(self) -> str:
        return str(self.root / "mysqld.sock")

    def connect(self, database: str | None = None) -> Any:
        import pymysql

        return pymysql.connect(unix_socket=self.socket, user="root", database=database,
                               charset="utf8mb4", autocommit=True)


def _find_mariadb() -> tuple[str, str] | None:
    server = shutil.which("mariadbd") or shutil.which("mariadbd", path="/usr/sbin:/usr/local/sbin")
    install = shutil.which("mariadb-install-db")
    return (server, install) if server and install else None


@pytest.fixture(scope="session")
def mariadb_server() -> Iterator[MariaDBServer]:
    """A throw-away MariaDB server (Debian's ``mariadb-server`` binaries) on a private socket,
    no TCP, UTF-8 (``utf8mb4``) with the default case-insensitive collation, started once per
    test session (per xdist worker). It runs the SQL of dialect ``mysql``."""
    found = _find_mariadb()
    if found is None:
        unavailable("MariaDB binaries (mariadbd, mariadb-install-db) not found; install `mariadb-server`")
    try:
        import pymysql  # noqa: F401
    except ImportError:
        unavailable("pymysql is not installed (pip install -e '.[engines]')")
    assert found is not None
    server, install = found
    root = Path(tempfile.mkdtemp(prefix="audiencelang-mariadb-"))
    user = ["--user=root"] if os.geteuid() == 0 else []
    init = subprocess.run([install, "--no-defaults", f"--datadir={root / 'data'}", *user,
                           "--auth-root-authentication-method=socket", "--skip-test-db"],
                          capture_output=True, text=True, timeout=120, check=False)
    if init.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"mariadb-install-db failed: {init.stdout}{init.stderr}")
    log = root / "server.log"
    proc = subprocess.Popen([server, "--no-defaults", f"--datadir={root / 'data'}", *user,
                             f"--socket={root / 'mysqld.sock'}", "--skip-networking",
                             "--character-set-server=utf8mb4", "--collation-server=utf8mb4_general_ci",
                             "--innodb-buffer-pool-size=32M", "--innodb-flush-log-at-trx-commit=0",
                             f"--pid-file={root / 'mysqld.pid'}", f"--log-error={log}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    srv = MariaDBServer(root, proc)
    import time

    deadline = time.monotonic() + 60
    while True:
        try:
            srv.connect().close()
            break
        except Exception:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                shutil.rmtree(root, ignore_errors=True)
                raise RuntimeError(f"mariadbd did not start: {tail}") from None
            time.sleep(0.1)
    try:
        yield srv
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=30)
        if proc.poll() is None:
            proc.kill()
        shutil.rmtree(root, ignore_errors=True)


_MYSQL_SYSTEM = {"information_schema", "mysql", "performance_schema", "sys"}


def mysql_reset(conn: Any) -> None:
    """Drop every database a test created (tables of ``db.table`` live in database ``db``),
    then make an empty ``main`` the current database (for unqualified table names)."""
    with conn.cursor() as cur:
        cur.execute("SHOW DATABASES")
        for (name,) in cur.fetchall():
            if name not in _MYSQL_SYSTEM:
                cur.execute("DROP DATABASE `" + name.replace("`", "``") + "`")
        cur.execute("CREATE DATABASE main")
        cur.execute("USE main")


@pytest.fixture
def mysql_connection(mariadb_server: MariaDBServer) -> Iterator[Any]:
    conn = mariadb_server.connect()
    mysql_reset(conn)
    try:
        yield conn
    finally:
        mysql_reset(conn)
        conn.close()


@pytest.fixture
def mysql_engine(mysql_connection: Any) -> engines.Engine:
    """Empty databases per test (MariaDB 10.11 for dialect ``mysql``)."""
    return engines.mysql_engine(mysql_connection)


# --------------------------------------------------------------------------- Spark


@pytest.fixture(scope="session")
def spark_session() -> Iterator[Any]:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        unavailable("pyspark is not installed (pip install -e '.[engines]')")
        raise
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        unavailable("Java (>= 17) is needed by pyspark and was not found")
    warehouse = Path(tempfile.mkdtemp(prefix="audiencelang-spark-"))
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    # an environment variable holding a quote, for `${env:...}` in the injection corpus (the
    # JVM inherits the environment when it starts: tests/test_sessions.py)
    os.environ["AUDIENCELANG_TEST_EVIL"] = "x' OR '1'='1"
    spark = (
        SparkSession.builder.master("local[1]")
        .appName("audiencelang-tests")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.default.parallelism", "1")
        .config("spark.sql.session.timeZone", "UTC")
        # the session settings the spark SQL assumes, pinned (docs/sql.md, "Session settings");
        # variable substitution stays on (Spark's default): the SQL must not depend on it
        .config("spark.sql.parser.escapedStringLiterals", "false")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.warehouse.dir", str(warehouse / "warehouse"))
        # one long-lived driver serves every Spark test of a worker: with 1 GB (the default)
        # it ran out of heap in CI, which stopped the context under every later Spark test
        .config("spark.driver.memory", os.environ.get("AUDIENCELANG_SPARK_MEMORY", "3g"))
        .config("spark.driver.extraJavaOptions",
                f"-Dderby.system.home={warehouse} -Dlog4j2.level=ERROR")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    try:
        yield spark
    finally:
        spark.stop()
        shutil.rmtree(warehouse, ignore_errors=True)


@pytest.fixture
def spark_engine(spark_session: Any) -> Iterator[engines.Engine]:
    """The session's Spark; tables and databases a test creates are dropped afterwards."""
    before = {r[0] for r in spark_session.sql("SHOW DATABASES").collect()}
    try:
        yield engines.spark_engine(spark_session)
    finally:
        for (db,) in spark_session.sql("SHOW DATABASES").collect():
            if db not in before:
                spark_session.sql(f"DROP DATABASE IF EXISTS `{db}` CASCADE")
        for row in spark_session.sql("SHOW TABLES IN default").collect():
            spark_session.sql(f"DROP TABLE IF EXISTS default.`{row.tableName}`")


# --------------------------------------------------------------------------- ClickHouse (chdb)


@pytest.fixture(scope="session")
def chdb_connection() -> Iterator[Any]:
    try:
        import chdb
    except ImportError:
        unavailable("chdb is not installed (pip install -e '.[engines]')")
        raise
    conn = chdb.connect(":memory:")
    try:
        yield conn
    finally:
        conn.close()


@pytest.fixture
def clickhouse_engine(chdb_connection: Any) -> Iterator[engines.Engine]:
    """chdb keeps one connection per process; each test gets its own (then dropped) databases."""
    def databases() -> set[str]:
        return {r[0] for r in engines.chdb_query(chdb_connection, "SHOW DATABASES")}

    before = databases()
    name = f"t_{uuid.uuid4().hex[:12]}"
    chdb_connection.query(f"CREATE DATABASE {name}")
    chdb_connection.query(f"USE {name}")
    try:
        yield engines.chdb_engine(chdb_connection)
    finally:
        chdb_connection.query("USE default")
        for db in databases() - before:
            chdb_connection.query(f"DROP DATABASE IF EXISTS {engines._bq(db)}")  # names may hold a backtick


# --------------------------------------------------------------------------- all engines

ENGINE_PARAMS = [
    pytest.param("duckdb", id="duckdb"),
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    pytest.param("spark", id="spark", marks=pytest.mark.spark),
    pytest.param("clickhouse", id="clickhouse", marks=pytest.mark.clickhouse),
    pytest.param("mysql", id="mysql", marks=pytest.mark.mysql),
]


@pytest.fixture(params=ENGINE_PARAMS)
def engine(request: pytest.FixtureRequest) -> engines.Engine:
    """Each engine in turn (marks let ``-m 'not spark'`` deselect the slow ones)."""
    result: engines.Engine = request.getfixturevalue(f"{request.param}_engine")
    return result


# ----------------------------------------------------------------- hypothesis seed
# Every run uses one printed seed, so any generated failure can be replayed exactly:
#   pytest --hypothesis-seed=SEED tests/test_differential.py
# (set AUDIENCELANG_HYPOTHESIS_SEED or pass --hypothesis-seed to choose it).


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("hypothesis_seed", default=None) is None:
        import random

        seed = os.environ.get("AUDIENCELANG_HYPOTHESIS_SEED") or str(random.SystemRandom().randrange(2**32))
        os.environ["AUDIENCELANG_HYPOTHESIS_SEED"] = seed  # xdist workers inherit it
        config.option.hypothesis_seed = int(seed)
        from hypothesis import core

        core.global_force_seed = int(seed)


def pytest_report_header(config: pytest.Config) -> str:
    return (f"hypothesis seed: {config.getoption('hypothesis_seed')} "
            f"(replay with --hypothesis-seed={config.getoption('hypothesis_seed')})")
