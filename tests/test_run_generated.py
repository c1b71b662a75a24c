"""The generated differential audiences through `audiencelang run` itself, on every engine.

The differential tests (tests/test_differential*.py) compile generated audiences and run
the SQL through the test harness. Here the same generator's scenarios (a fixed seed,
tests/generated_projects.py) are written as projects — ``audiencelang.toml``, a market
file full of hostile names, ``.aud`` files — next to a database holding their rows, and
the real command runs them: ``run --all --format json`` (the batched statements) and, per
audience, ``run NAME --output members.csv``. Sizes and member files must equal the
reference evaluator's members, on DuckDB, SQLite, PostgreSQL, MariaDB (dialect mysql),
ClickHouse (chdb), Spark local and Spark Connect. Issue 17 item 5.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from audiencelang.cli import main
from tests import engines as test_engines
from tests.datagen import Scenario
from tests.generated_projects import MARKET, GeneratedProject, generate, write_projects
from tests.test_run import duckdb_tables
from tests.test_run_more_engines import spark_connect_server  # noqa: F401  (a fixture)

#: Scenarios per engine: each holds 10 generated audiences and the one they may reference.
PROJECTS = 3
#: Member files of the projects in turn: both writers of `run --output`.
FILES = (".csv", ".parquet")
#: Audiences compared per engine at least (33 when every generated one checks).
AT_LEAST = 25


def run_cli(*args: str | Path, env: dict[str, str] | None = None) -> Any:
    result = CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def run_project(gp: GeneratedProject, target: str, out: Path, *, ascii_case: bool = False,
                member_file: str = ".csv") -> int:
    """Run every audience of ``gp`` on ``target`` with the CLI, member files of type
    ``member_file``; returns how many were compared. Raises with the audiences' text, the
    market file and the numbers on a difference."""
    result = run_cli("run", "--all", "--db", target, "--as-of", gp.as_of, "--project", gp.root,
                     "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    runs = doc["runs"] if isinstance(doc, dict) else doc
    sizes = {r["audience"]: r["size"] for r in runs}
    expected = {name: gp.expected(name, ascii_case=ascii_case) for name in gp.names}
    wrong = {n: (sizes.get(n), len(m)) for n, m in expected.items() if sizes.get(n) != len(m)}
    assert not wrong and set(sizes) == set(expected), _show(
        gp, target, f"run --all sizes (run, evaluator): {wrong or sizes}", [*wrong] or gp.names)
    out.mkdir(parents=True, exist_ok=True)
    for name in gp.names:
        path = out / f"{name}{member_file}"
        result = run_cli("run", name, "-m", MARKET, "--db", target, "--as-of", gp.as_of,
                         "--project", gp.root, "--output", path)
        assert result.exit_code == 0, result.output
        got = gp.read_members(path)
        assert got == expected[name], _show(
            gp, target, f"run {name} --output: {sorted(map(repr, got))}\n"
            f"evaluator: {sorted(map(repr, expected[name]))}", [name])
    return len(gp.names)


def _show(gp: GeneratedProject, target: str, what: str, names: list[str]) -> str:
    """A reproducer: the project folder stays under pytest's tmp folder."""
    texts = "".join((gp.root / "audiences" / f"{n}.aud").read_text(encoding="utf-8")
                    for n in [*names, *sorted(gp.scenario.refs)] if n in gp.names)
    return (f"{target}: members differ from the evaluator's (project {gp.root}, --as-of {gp.as_of})\n"
            f"{what}\n--- audiences\n{texts}")


def projects(tmp_path_factory: pytest.TempPathFactory, name: str, **kw: Any) -> list[GeneratedProject]:
    scns: list[Scenario] = generate(PROJECTS, **kw)
    return write_projects(scns, tmp_path_factory.mktemp(name))


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> list[GeneratedProject]:
    """Hostile physical names (spaces, quotes, backticks, reserved words), `in sample` included."""
    return projects(tmp_path_factory, "hostile")


@pytest.fixture(scope="module")
def no_samples(tmp_path_factory: pytest.TempPathFactory) -> list[GeneratedProject]:
    """For SQLite, which refuses `in sample` (E520)."""
    return projects(tmp_path_factory, "nosample", samples=False)


@pytest.fixture(scope="module")
def tame(tmp_path_factory: pytest.TempPathFactory) -> list[GeneratedProject]:
    """For Spark, whose Parquet tables cannot name a column `my col` (tests/datagen.py)."""
    return projects(tmp_path_factory, "tame", identifiers="tame")


def test_the_projects_are_the_same_on_every_run(hostile: list[GeneratedProject]) -> None:
    again = generate(PROJECTS)
    assert [[a.name.value for a in s.audiences] for s in again] == [
        [a.name.value for a in gp.scenario.audiences] for gp in hostile]
    assert [s.audiences for s in again] == [gp.scenario.audiences for gp in hostile]
    assert [s.data for s in again] == [gp.scenario.data for gp in hostile]


# --------------------------------------------------------------------------- DuckDB, SQLite


def test_duckdb(hostile: list[GeneratedProject], tmp_path: Path) -> None:
    compared = sum(run_project(gp, str(gp.source), tmp_path / str(i), member_file=FILES[i % 2])
                   for i, gp in enumerate(hostile))
    assert compared >= AT_LEAST


def test_sqlite(no_samples: list[GeneratedProject], tmp_path: Path) -> None:
    """SQLite's LOWER() folds ASCII only: the evaluator runs with ``ascii_case_folding``."""
    compared = 0
    for i, gp in enumerate(no_samples):
        db = tmp_path / f"p{i}.sqlite"
        con = sqlite3.connect(db)
        try:  # no schemas in SQLite: `run` attaches the file under each schema name (docs/run.md)
            for table, (columns, rows) in duckdb_tables(gp.source).items():
                test_engines.sqlite_load(con, table.split(".")[-1], columns, rows)
        finally:
            con.close()
        compared += run_project(gp, str(db), tmp_path / str(i), ascii_case=True,
                                member_file=FILES[i % 2])
    assert compared >= AT_LEAST


# --------------------------------------------------------------------------- PostgreSQL, MariaDB


@pytest.mark.postgres
def test_postgres(hostile: list[GeneratedProject], postgres_cluster: Any, tmp_path: Path) -> None:
    import psycopg

    compared = 0
    for i, gp in enumerate(hostile):
        with postgres_cluster.database("gen") as name:
            with psycopg.connect(postgres_cluster.url(name)) as conn:
                for table, (columns, rows) in duckdb_tables(gp.source).items():
                    test_engines.postgres_load(conn, table, columns, rows)
            compared += run_project(gp, postgres_cluster.url(name), tmp_path / str(i),
                            member_file=FILES[i % 2])
    assert compared >= AT_LEAST


@pytest.mark.mysql
def test_mysql(hostile: list[GeneratedProject], mysql_connection: Any, mariadb_server: Any,
               tmp_path: Path) -> None:
    from tests.conftest import mysql_reset
    from tests.test_run_more_engines import mysql_url

    compared = 0
    for i, gp in enumerate(hostile):
        mysql_reset(mysql_connection)
        for table, (columns, rows) in duckdb_tables(gp.source).items():
            test_engines.mysql_load(mysql_connection, table, columns, rows)
        compared += run_project(gp, mysql_url(mariadb_server, "main"), tmp_path / str(i),
                            member_file=FILES[i % 2])
    assert compared >= AT_LEAST


# --------------------------------------------------------------------------- ClickHouse (chdb)
# chdb runs one embedded server per process, on one folder (the test session's own chdb
# fixture holds ":memory:"): each project is loaded and run by a Python process of its own.

_CHDB_PROJECT = """
import json, sys
from pathlib import Path
import chdb
import pyarrow as pa
from tests import engines as E
from tests.test_run import duckdb_tables
from tests.generated_projects import GeneratedProject
from tests.test_run_generated import run_project

source, folder, root, out = map(Path, sys.argv[1:5])
con = chdb.connect(str(folder))
arrow = {"string": pa.string(), "integer": pa.int64(), "decimal": pa.decimal128(18, 2),
         "boolean": pa.bool_(), "date": pa.date32(), "timestamp": pa.timestamp("us", tz="UTC")}
for table, (columns, rows) in duckdb_tables(source).items():
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


@pytest.mark.clickhouse
def test_clickhouse(hostile: list[GeneratedProject], tmp_path: Path) -> None:
    """The scenarios and the evaluator's members are computed here; the child process loads
    the rows into its chdb folder and runs the CLI (in process, like the other engines)."""
    import pickle

    from tests.test_run_more_engines import _python

    pytest.importorskip("chdb")
    compared = 0
    for i, gp in enumerate(hostile):
        state = tmp_path / f"p{i}.pickle"
        state.write_bytes(pickle.dumps(gp))
        script = _CHDB_PROJECT + (
            "import pickle\n"
            f"gp = pickle.loads(Path({str(state)!r}).read_bytes())\n"
            f"print(json.dumps({{'compared': run_project(gp, f'chdb:///{{folder}}', out, "
            f"member_file={FILES[i % 2]!r})}}))\n")
        done = _python("-c", script, gp.source, tmp_path / f"ch{i}", gp.root, tmp_path / str(i))
        assert done.returncode == 0, (done.stdout + done.stderr)[-6000:]
        compared += json.loads(done.stdout.strip().splitlines()[-1])["compared"]
    assert compared >= AT_LEAST


# --------------------------------------------------------------------------- Spark local, Spark Connect


@pytest.mark.spark
def test_spark_local(tame: list[GeneratedProject], spark_session: Any, tmp_path: Path) -> None:
    from tests.test_run_more_engines import write_spark_warehouse

    def forget(before: set[str]) -> None:
        """`run` registers a market's tables in the session's catalog and keeps a table it
        finds there: the next project's tables of the same name must not be the last one's."""
        for (db,) in spark_session.sql("SHOW DATABASES").collect():
            if db not in before:
                spark_session.sql(f"DROP DATABASE IF EXISTS {test_engines._bq(db)} CASCADE")
        for row in spark_session.sql("SHOW TABLES IN default").collect():
            if not row.isTemporary:
                spark_session.sql(f"DROP TABLE IF EXISTS default.{test_engines._bq(row.tableName)}")

    before = {r[0] for r in spark_session.sql("SHOW DATABASES").collect()}
    compared = 0
    for i, gp in enumerate(tame):
        folder = tmp_path / f"warehouse{i}"
        write_spark_warehouse(spark_session, gp.source, folder)
        try:
            compared += run_project(gp, f"spark+local:///{folder}", tmp_path / str(i),
                            member_file=FILES[i % 2])
        finally:
            forget(before)
        shutil.rmtree(folder)
    assert compared >= AT_LEAST


@pytest.mark.spark
def test_spark_connect(tame: list[GeneratedProject], tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """On the Spark Connect server of tests/test_run_more_engines.py (a module fixture: this
    module starts its own)."""
    from pyspark.sql import SparkSession

    server: str = request.getfixturevalue("spark_connect_server")

    compared = 0
    for i, gp in enumerate(tame):
        client = SparkSession.builder.remote(server).create()
        try:
            for (db,) in client.sql("SHOW DATABASES").collect():
                if db != "default":
                    client.sql(f"DROP DATABASE IF EXISTS {test_engines._bq(db)} CASCADE")
            for row in client.sql("SHOW TABLES IN default").collect():
                client.sql(f"DROP TABLE IF EXISTS default.{test_engines._bq(row.tableName)}")
            for table, (columns, rows) in duckdb_tables(gp.source).items():
                test_engines.spark_load(client, table, columns, rows)
        finally:
            client.stop()
            os.environ.pop("SPARK_CONNECT_MODE_ENABLED", None)  # see _open_spark_connect
        compared += run_project(gp, server, tmp_path / str(i),
                            member_file=FILES[i % 2])
    assert compared >= AT_LEAST
