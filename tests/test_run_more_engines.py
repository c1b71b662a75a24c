"""`audiencelang run --db` on MySQL/MariaDB, ClickHouse (chdb) and Spark: the session
settings that are pinned, read-only sessions, E6xx diagnostics without a traceback, and the
example audiences' members equal to the reference evaluator's, through `audiencelang run`."""

from __future__ import annotations

import csv
import json
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from audiencelang.check import check_audience
from audiencelang.cli import main
from audiencelang.eval import evaluate
from audiencelang.project import Project, load_project
from audiencelang.run.demo import DEFAULT_AS_OF, generate
from audiencelang.run.engines import MySQLEngine, RunError, connect
from tests import engines as test_engines
from tests.test_run import duckdb_tables

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
AS_OF = "2026-11-01T00:00:00Z"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    generate(path, EXAMPLES, profiles=900, events_per_profile=12, seed=3)
    return path


@pytest.fixture(scope="module")
def project() -> Project:
    return load_project(EXAMPLES)


def pairs(project: Project) -> list[tuple[str, str]]:
    return [(a, m) for a in sorted(project.audiences()) for m in sorted(project.markets)]


def expected_members(project: Project, demo_db: Path) -> dict[tuple[str, str], set[Any]]:
    data = {name: rows for name, (_, rows) in duckdb_tables(demo_db).items()}
    out = {}
    for audience, market in pairs(project):
        checked, _diags = check_audience(project, audience, market)
        if checked is None:
            continue
        out[(audience, market)] = evaluate(checked, data, as_of=DEFAULT_AS_OF)
    return out


def run_cli(*args: str | Path) -> Any:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def assert_run_matches_evaluator(target: str, project: Project, demo_db: Path, tmp_path: Path, *,
                                 files: bool = True) -> None:
    """`run --all --format json` sizes and, per pair, `run --output` member files (``files``;
    else the members of `run_audience` on one connection) equal the evaluator's members."""
    expected = expected_members(project, demo_db)
    result = run_cli("run", "--all", "--db", target, "--as-of", AS_OF, "--project", EXAMPLES, "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    runs = doc["runs"] if isinstance(doc, dict) else doc
    sizes = {(r["audience"], r["market"]): r["size"] for r in runs}
    assert sizes == {k: len(v) for k, v in expected.items()}
    assert sum(1 for v in expected.values() if v) >= len(expected) // 2
    if not files:
        from audiencelang.run.execute import run_audience

        with connect(target) as engine:
            for (audience, market), members in expected.items():
                r = run_audience(project, audience, market, engine=engine, as_of=DEFAULT_AS_OF,
                                 collect_members=True)
                assert r.ok and r.members is not None, r.diagnostics
                assert {int(m) for m in r.members} == members, (audience, market)
        return
    for (audience, market), members in expected.items():
        out = tmp_path / f"{audience}_{market}.csv"
        result = run_cli("run", audience, "-m", market, "--db", target, "--as-of", AS_OF,
                         "--project", EXAMPLES, "--output", out)
        assert result.exit_code == 0, result.output
        with out.open(newline="") as f:
            got = {int(r["member_id"]) for r in csv.DictReader(f)}
        assert got == members, (audience, market)


# --------------------------------------------------------------------------- MySQL / MariaDB


def mysql_url(server: Any, database: str = "", user: str = "root", password: str = "") -> str:
    auth = user + (":" + urllib.parse.quote(password, safe="") if password else "")
    return f"mysql://{auth}@localhost/{database}?unix_socket={urllib.parse.quote(server.socket)}"


@pytest.fixture(scope="module")
def mysql_demo(mariadb_server: Any, demo_db: Path) -> Iterator[str]:
    conn = mariadb_server.connect()
    from tests.conftest import mysql_reset

    mysql_reset(conn)
    for table, (columns, rows) in duckdb_tables(demo_db).items():
        test_engines.mysql_load(conn, table, columns, rows)
    try:
        yield mysql_url(mariadb_server, "main")
    finally:
        mysql_reset(conn)
        conn.close()


@pytest.mark.mysql
def test_mysql_run_matches_evaluator(mysql_demo: str, project: Project, demo_db: Path, tmp_path: Path) -> None:
    assert_run_matches_evaluator(mysql_demo, project, demo_db, tmp_path)


@pytest.mark.mysql
def test_mysql_session_is_pinned_and_read_only(mysql_demo: str, mariadb_server: Any) -> None:
    admin = mariadb_server.connect()
    with admin.cursor() as cur:  # a server whose defaults would change how the SQL reads
        cur.execute("SET GLOBAL sql_mode = 'ANSI_QUOTES,NO_BACKSLASH_ESCAPES,PIPES_AS_CONCAT'")
        cur.execute("SET GLOBAL time_zone = '+05:00'")
    try:
        with connect(mysql_demo) as engine:
            assert isinstance(engine, MySQLEngine) and engine.dialect == "mysql"
            mode, tz = engine.fetch_all("SELECT @@SESSION.sql_mode, @@SESSION.time_zone")[1][0]
            assert "NO_BACKSLASH_ESCAPES" not in mode and "ANSI_QUOTES" not in mode and tz == "+00:00"
            assert engine.fetch_all("SELECT 'a\\\\b', '50%_off', '%s'")[1] == [("a\\b", "50%_off", "%s")]
            with pytest.raises(RunError) as info:
                engine.fetch_all("DELETE FROM crm.kunden")
            assert info.value.diagnostic.code == "E605" and "READ ONLY" in info.value.diagnostic.message.upper()
            with pytest.raises(RunError) as info:
                engine.fetch_all("SELECT * FROM crm.nope", audience="a", market="de")
            assert info.value.diagnostic.code == "E606" and "\n" not in info.value.diagnostic.message
            with pytest.raises(RunError) as info:
                engine.fetch_all("SELECT nope FROM crm.kunden")
            assert info.value.diagnostic.code == "E605" and "nope" in info.value.diagnostic.message
            # explain binds the profile id: `?` placeholders, % in the text kept
            _, rows = engine.fetch_all("SELECT '%?', ? FROM crm.kunden LIMIT 1", params=("x'%s",))
            assert rows == [("%?", "x'%s")]
            with engine.execute("SELECT kunden_id FROM crm.kunden ORDER BY kunden_id") as rows_:
                sizes = [len(b) for b in rows_.batches(size=120)]
            assert sizes == [120, 120, 60]
            assert engine.now().utcoffset() is not None
    finally:
        with admin.cursor() as cur:
            cur.execute("SET GLOBAL sql_mode = DEFAULT")
            cur.execute("SET GLOBAL time_zone = 'SYSTEM'")
        admin.close()


@pytest.mark.mysql
def test_mysql_bad_credentials_and_database(mysql_demo: str, mariadb_server: Any) -> None:
    admin = mariadb_server.connect()
    with admin.cursor() as cur:
        cur.execute("CREATE USER IF NOT EXISTS 'reader'@'localhost' IDENTIFIED BY 'right-pw'")
    try:
        for target, words in [
            (mysql_url(mariadb_server, "main", "reader", "wrong-s3cret"), "Access denied"),
            (mysql_url(mariadb_server, "no_such_db"), "no_such_db"),
            ("mysql://u:s3cret@127.0.0.1:1/x?connect_timeout=2", "Can't connect"),
        ]:
            with pytest.raises(RunError) as info:
                connect(target)
            d = info.value.diagnostic
            assert d.code == "E602" and words in d.message, d.message
            assert "s3cret" not in d.message and "\n" not in d.message
        result = run_cli("run", "big_spenders", "-m", "de", "--project", EXAMPLES,
                         "--db", mysql_url(mariadb_server, "main", "reader", "wrong-s3cret"))
        assert result.exit_code == 1 and "E602" in result.output and "s3cret" not in result.output
    finally:
        with admin.cursor() as cur:
            cur.execute("DROP USER IF EXISTS 'reader'@'localhost'")
        admin.close()


@pytest.mark.parametrize("target", ["mysql://u@h/db?sslmode=require", "mysql://u@h:notaport/db"])
def test_mysql_malformed_url(target: str) -> None:
    with pytest.raises(RunError) as info:
        connect(target)
    assert info.value.diagnostic.code == "E603"


# --------------------------------------------------------------------------- ClickHouse (chdb)
# chdb runs one embedded server per process (the test session's own chdb fixture holds
# ":memory:"): the data folder is written and read by subprocesses.

_CHDB_LOAD = """
import sys
import chdb
import pyarrow as pa
from tests import engines as E
from tests.test_run import duckdb_tables

con = chdb.connect(sys.argv[2])
arrow = {"string": pa.string(), "integer": pa.int64(), "decimal": pa.decimal128(18, 2),
         "boolean": pa.bool_(), "date": pa.date32(), "timestamp": pa.timestamp("us", tz="UTC")}
for table, (columns, rows) in duckdb_tables(__import__("pathlib").Path(sys.argv[1])).items():
    parts = table.split(".")
    if len(parts) == 2:
        con.query(f"CREATE DATABASE IF NOT EXISTS {E._bq(parts[0])}")
    name = ".".join(E._bq(p) for p in parts)
    ddl = ", ".join(f"{E._bq(c)} Nullable({E.CLICKHOUSE_TYPES[k]})" for c, k in columns.items())
    con.query(f"CREATE TABLE {name} ({ddl}) ENGINE = MergeTree ORDER BY tuple()")
    recs = [{c: (E.utc_aware(r[c]) if k == "timestamp" and r[c] is not None else r[c])
             for c, k in columns.items()} for r in rows]
    if recs:
        _audiencelang_rows = pa.Table.from_pylist(recs, schema=pa.schema([(c, arrow[k]) for c, k in columns.items()]))
        con.query(f"INSERT INTO {name} SELECT * FROM Python(_audiencelang_rows)")
con.close()
"""

_CHDB_MEMBERS = """
import json, sys
from audiencelang.project import load_project
from audiencelang.run.demo import DEFAULT_AS_OF
from audiencelang.run.engines import connect, RunError
from audiencelang.run.execute import run_audience

project = load_project(sys.argv[2])
out = {}
with connect(sys.argv[1]) as engine:
    assert engine.dialect == "clickhouse"
    for a in sorted(project.audiences()):
        for m in sorted(project.markets):
            r = run_audience(project, a, m, engine=engine, as_of=DEFAULT_AS_OF, collect_members=True)
            out[f"{a}|{m}"] = sorted(int(x) for x in r.members) if r.ok else [d.code for d in r.diagnostics]
    tz = engine.fetch_all("SELECT timezone()")[1][0][0]
    try:
        engine.fetch_all("INSERT INTO crm.kunden (kunden_id) VALUES (1)")
        ro = "written"
    except RunError as e:
        ro = e.diagnostic.code + " " + e.diagnostic.message
    try:
        engine.fetch_all("SELECT * FROM crm.nope", audience="a", market="de")
        missing = "found"
    except RunError as e:
        missing = e.diagnostic.code
print(json.dumps({"members": out, "tz": tz, "ro": ro, "missing": missing}))
"""


def _python(*args: str | Path, timeout: int = 300) -> Any:
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=REPO, check=False)


@pytest.fixture(scope="module")
def chdb_demo(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    pytest.importorskip("chdb")
    folder = tmp_path_factory.mktemp("chdb") / "warehouse"
    done = _python("-c", _CHDB_LOAD, demo_db, folder)
    assert done.returncode == 0, done.stderr[-3000:]
    return f"chdb:///{folder}"


@pytest.mark.clickhouse
def test_chdb_run_matches_evaluator(chdb_demo: str, project: Project, demo_db: Path) -> None:
    expected = expected_members(project, demo_db)
    done = _python("-c", _CHDB_MEMBERS, chdb_demo, EXAMPLES)
    assert done.returncode == 0, done.stderr[-3000:]
    doc = json.loads(done.stdout)
    got = {tuple(k.split("|")): set(v) for k, v in doc["members"].items()}
    assert got == expected
    assert doc["tz"] == "UTC"
    assert doc["ro"].startswith("E605") and "readonly" in doc["ro"].lower()
    assert doc["missing"] == "E606"
    # and through the command line: sizes per audience x market
    done = _python("-m", "audiencelang.cli", "run", "--all", "--db", chdb_demo, "--as-of", AS_OF,
                   "--project", EXAMPLES, "--format", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    sizes = {(r["audience"], r["market"]): r["size"] for r in json.loads(done.stdout)}
    assert sizes == {k: len(v) for k, v in expected.items()}


def test_chdb_missing_folder_is_e601_and_not_created(tmp_path: Path) -> None:
    for target in (f"chdb:///{tmp_path / 'nope'}", f"chdb:///{tmp_path}"):
        with pytest.raises(RunError) as info:
            connect(target)
        assert info.value.diagnostic.code == "E601"
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- Spark


def write_spark_warehouse(spark: Any, demo_db: Path, folder: Path) -> None:
    """The demo tables as Parquet folders FOLDER/DB.db/TABLE (Spark's own warehouse layout)."""
    for table, (columns, rows) in duckdb_tables(demo_db).items():
        parts = table.split(".")
        data = [tuple(test_engines.utc_aware(r[c]) if k == "timestamp" and r[c] is not None else r[c]
                      for c, k in columns.items()) for r in rows]
        df = spark.createDataFrame(data, schema=test_engines.spark_schema(columns))
        where = folder / (parts[0] + ".db" if len(parts) == 2 else "") / parts[-1]
        df.write.mode("overwrite").parquet(str(where))


@pytest.fixture(scope="module")
def spark_demo(spark_session: Any, demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("spark") / "warehouse"
    before = {r[0] for r in spark_session.sql("SHOW DATABASES").collect()}
    write_spark_warehouse(spark_session, demo_db, folder)
    yield f"spark+local:///{folder}"
    for (db,) in spark_session.sql("SHOW DATABASES").collect():
        if db not in before:
            spark_session.sql(f"DROP DATABASE IF EXISTS `{db}` CASCADE")


@pytest.mark.spark
def test_spark_local_run_matches_evaluator(spark_demo: str, project: Project, demo_db: Path,
                                           tmp_path: Path) -> None:
    assert_run_matches_evaluator(spark_demo, project, demo_db, tmp_path)


@pytest.mark.spark
def test_spark_session_is_pinned(spark_demo: str, spark_session: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import datetime as dt
    import time

    spark_session.conf.set("spark.sql.session.timeZone", "Asia/Tokyo")
    spark_session.conf.set("spark.sql.parser.escapedStringLiterals", "true")
    spark_session.conf.set("spark.sql.ansi.enabled", "false")
    monkeypatch.setenv("TZ", "America/New_York")  # PySpark hands timestamps back in local time
    time.tzset()
    try:
        with connect(spark_demo) as engine:
            assert engine.dialect == "spark"
            rows = engine.fetch_all("SELECT current_timezone(), 'a\\\\b', TIMESTAMP'2026-01-01 00:00:00'")[1]
            assert rows == [("UTC", "a\\b", dt.datetime(2026, 1, 1))]
            with pytest.raises(RunError) as info:
                engine.fetch_all("SELECT CAST('x' AS INT)")  # ANSI mode: an error, not NULL
            assert info.value.diagnostic.code == "E605"
            with pytest.raises(RunError) as info:
                engine.fetch_all("SELECT * FROM crm.nope", audience="a", market="de")
            assert info.value.diagnostic.code == "E606" and "\n" not in info.value.diagnostic.message
            assert engine.fetch_all("SELECT ?, '?'", params=("x'y",))[1] == [("x'y", "?")]
            now = engine.now()
            assert abs((now - dt.datetime.now(dt.UTC)).total_seconds()) < 60
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
        spark_session.conf.set("spark.sql.session.timeZone", "UTC")
        spark_session.conf.set("spark.sql.parser.escapedStringLiterals", "false")


def test_spark_missing_warehouse_is_e601(tmp_path: Path) -> None:
    with pytest.raises(RunError) as info:
        connect(f"spark+local:///{tmp_path / 'nope'}")
    assert info.value.diagnostic.code == "E601"
    assert list(tmp_path.iterdir()) == []


def test_spark_connect_unreachable_is_e602_without_token() -> None:
    with pytest.raises(RunError) as info:
        connect("sc://127.0.0.1:1/;token=s3cret")
    d = info.value.diagnostic
    assert d.code == "E602" and "s3cret" not in d.message and "\n" not in d.message


# --------------------------------------------------------------------------- Spark Connect
# A Spark Connect server started by the test session from the Spark that pyspark ships
# (the class start-connect-server.sh runs, in the foreground), on a free local port.


@pytest.fixture(scope="module")
def spark_connect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import importlib
    import os
    import shutil
    import socket
    import subprocess
    import time

    from tests.conftest import unavailable

    try:
        pyspark = importlib.import_module("pyspark")
        for needed in ("grpc", "google.rpc", "zstandard"):
            importlib.import_module(needed)
    except ImportError as exc:
        unavailable(f"the Spark Connect client is not installed ({exc}): pip install -e '.[engines]'")
        raise
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        unavailable("Java (>= 17) is needed by Spark")
    home = Path(pyspark.__file__).parent
    root = tmp_path_factory.mktemp("spark-connect")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = (root / "server.log").open("wb")
    proc = subprocess.Popen(
        [str(home / "bin" / "spark-submit"), "--class", "org.apache.spark.sql.connect.service.SparkConnectServer",
         "--master", "local[1]", "--driver-memory", "2g",
         "--conf", f"spark.connect.grpc.binding.port={port}",
         "--conf", "spark.connect.grpc.binding.address=127.0.0.1", "--conf", "spark.ui.enabled=false",
         "--conf", "spark.sql.shuffle.partitions=1", "--conf", f"spark.sql.warehouse.dir={root / 'warehouse'}",
         "--conf", f"spark.driver.extraJavaOptions=-Dderby.system.home={root}"],
        cwd=root, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "SPARK_HOME": str(home)})
    deadline = time.monotonic() + 180
    try:
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("Spark Connect server did not start: "
                                       + (root / "server.log").read_text(errors="replace")[-2000:]) from None
                time.sleep(0.5)
        yield f"sc://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.mark.spark
def test_spark_connect_run_matches_evaluator(spark_connect_server: str, project: Project, demo_db: Path,
                                             tmp_path: Path) -> None:
    import os

    from pyspark.sql import SparkSession

    client = SparkSession.builder.remote(spark_connect_server).create()
    try:
        for table, (columns, rows) in duckdb_tables(demo_db).items():
            test_engines.spark_load(client, table, columns, rows)
    finally:
        client.stop()
        os.environ.pop("SPARK_CONNECT_MODE_ENABLED", None)  # see _open_spark_connect
    with connect(spark_connect_server) as engine:
        assert engine.dialect == "spark"
        assert engine.fetch_all("SELECT current_timezone(), 'a\\\\b', ?", params=("x'",))[1] == [("UTC", "a\\b", "x'")]
        with pytest.raises(RunError) as info:
            engine.fetch_all("SELECT * FROM crm.nope", audience="a", market="de")
        assert info.value.diagnostic.code == "E606"
    assert_run_matches_evaluator(spark_connect_server, project, demo_db, tmp_path, files=False)
    # the process can still start a local Spark after Connect sessions (spark+local://)
    assert "SPARK_CONNECT_MODE_ENABLED" not in os.environ


# --------------------------------------------------------------------------- column types (E616)

DRIFT_MARKET = {"market": "de", "profiles": {"table": "drift.k", "id": "id", "traits": {}}}
DRIFT_COLUMNS = [("id", "id"), ("age", "integer"), ("spend", "decimal"), ("seen", "timestamp"),
                 ("ok_int", "integer"), ("ok_dec", "decimal"), ("ok_ts", "timestamp"), ("ok_str", "string"),
                 ("ok_bool", "boolean")]


def refused_columns(engine: Any) -> dict[str, str]:
    from audiencelang.run.columns import Column, check_columns
    from audiencelang.schema.market import Market

    market = Market.model_validate(DRIFT_MARKET)
    cols = [Column(("drift", "k"), c, d, f"trait {c}") for c, d in DRIFT_COLUMNS]  # type: ignore[arg-type]
    diags = check_columns(engine, market, cols)
    assert all(d.code == "E616" and "\n" not in d.message for d in diags)
    return {d.message.split("column drift.k.")[1].split(" ")[0]: d.message for d in diags}


@pytest.mark.mysql
def test_mysql_column_types_are_checked(mysql_demo: str, mariadb_server: Any) -> None:
    admin = mariadb_server.connect()
    with admin.cursor() as cur:
        cur.execute("CREATE DATABASE drift")
        cur.execute("CREATE TABLE drift.k (id BIGINT, age TEXT, spend DOUBLE, seen DATETIME, ok_int INT UNSIGNED, "
                    "ok_dec DECIMAL(10,2), ok_ts DATETIME(6), ok_str VARCHAR(20), ok_bool BOOLEAN)")
    try:
        with connect(mysql_demo) as engine:
            refused = refused_columns(engine)
        assert sorted(refused) == ["age", "seen", "spend"]
        assert "is declared integer but is text in MySQL database" in refused["age"]
    finally:
        with admin.cursor() as cur:
            cur.execute("DROP DATABASE drift")
        admin.close()


@pytest.mark.spark
def test_spark_column_types_are_checked(spark_demo: str, spark_session: Any) -> None:
    spark_session.sql("CREATE DATABASE IF NOT EXISTS drift")
    spark_session.sql("CREATE TABLE drift.k (id BIGINT, age STRING, spend DOUBLE, seen DATE, ok_int INT, "
                      "ok_dec DECIMAL(10,2), ok_ts TIMESTAMP, ok_str STRING, ok_bool BOOLEAN) USING parquet")
    try:
        with connect(spark_demo) as engine:
            refused = refused_columns(engine)
        assert sorted(refused) == ["age", "seen", "spend"]
        assert "is declared decimal but is double in Spark database" in refused["spend"]
    finally:
        spark_session.sql("DROP DATABASE drift CASCADE")


_CHDB_DRIFT = """
import json, sys
import chdb
con = chdb.connect(sys.argv[1])
con.query("CREATE DATABASE drift")
con.query("CREATE TABLE drift.k (id Int64, age Nullable(String), spend Float64, seen DateTime, "
          "ok_int UInt32, ok_dec Nullable(Decimal(10, 2)), ok_ts DateTime64(6, 'UTC'), "
          "ok_str LowCardinality(String), ok_bool Bool) ENGINE = MergeTree ORDER BY tuple()")
con.close()
from tests.test_run_more_engines import refused_columns
from audiencelang.run.engines import connect
with connect("chdb:///" + sys.argv[1]) as engine:
    print(json.dumps(refused_columns(engine)))
"""


@pytest.mark.clickhouse
def test_chdb_column_types_are_checked(tmp_path: Path) -> None:
    pytest.importorskip("chdb")
    done = _python("-c", _CHDB_DRIFT, tmp_path / "wh")
    assert done.returncode == 0, done.stderr[-3000:]
    refused = json.loads(done.stdout.strip().splitlines()[-1])
    assert sorted(refused) == ["age", "seen", "spend"]
    assert "is declared integer but is Nullable(String) in ClickHouse database" in refused["age"]


@pytest.mark.mysql
def test_mysql_explain_agrees_with_the_sql(mysql_demo: str, demo_db: Path) -> None:
    from tests.test_review_explain import _hold_explain_to_sql

    _hold_explain_to_sql(demo_db, mysql_demo)
