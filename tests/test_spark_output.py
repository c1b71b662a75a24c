"""``run --output PATH.parquet`` on Spark: Spark writes the members itself, never through
this process (issue 17, item 2; docs/run.md, "Member files on Spark").

The proof that no member reaches the driver: every statement ``run`` sends through the row
iterator (``SparkEngine.execute``, which streams rows here) is recorded, and neither the
members statement nor the destination's is among them; the result (12,000 rows) is larger
than a fetch batch (10,000). The files hold exactly the reference evaluator's members.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from audiencelang.check import check_audience
from audiencelang.eval import evaluate
from audiencelang.project import Project, load_project
from audiencelang.run.engines import BATCH_SIZE, Engine, connect
from audiencelang.run.execute import run_audience
from audiencelang.sql import compile_audience
from tests import engines as test_engines
from tests.test_run_more_engines import spark_connect_server  # noqa: F401 (a fixture)
from tests.test_storage import AS_OF, PEOPLE, VISITS, make_project

N = 12_000
AUDIENCES = {"adults": "include age >= 18\nactivate d\nactivate huge"}
HUGE = '\n[destinations.huge]\nmin_size = 1000000\nidentifier = "email"\n'


def project_at(root: Path) -> Project:
    """tests/test_storage.py's project, plus a destination whose gate is always held."""
    make_project(root, AUDIENCES)
    with (root / "audiencelang.toml").open("a") as f:
        f.write(HUGE)
    return load_project(root)


def people() -> list[dict[str, Any]]:
    return [{"pid": i, "age": 10 if i % 10 == 0 else 20 + i % 50, "email": None if i % 7 == 0 else f"{i}@x"} for i in range(1, N + 1)]


def expected(project: Project) -> tuple[set[int], set[tuple[int, str]]]:
    checked, _ = check_audience(project, "adults", "m")
    assert checked is not None
    members = evaluate(checked, {"people": people(), "visits": []}, as_of=AS_OF)
    emails = {p["pid"]: p["email"] for p in people()}
    return members, {(m, emails[m]) for m in members if emails[m] is not None}


def read_folder(path: Path) -> list[tuple[Any, ...]]:
    assert path.is_dir(), path
    assert sorted({f.suffix for f in path.iterdir()}) == [".parquet"], sorted(path.iterdir())
    return duckdb.sql(f"SELECT * FROM read_parquet('{path}/*.parquet')").fetchall()


def run_spied(engine: Engine, project: Project, out: Path, monkeypatch: pytest.MonkeyPatch,
              destination: str | None = None) -> tuple[Any, list[str]]:
    """``run_audience`` with every statement sent through the row iterator recorded."""
    streamed: list[str] = []
    execute = engine.execute

    def spy(sql: str, **kwargs: Any) -> Any:
        streamed.append(sql)
        return execute(sql, **kwargs)

    monkeypatch.setattr(engine, "execute", spy)
    r = run_audience(project, "adults", "m", engine=engine, as_of=AS_OF, output=out,
                     output_destination=destination)
    assert r.ok, r.diagnostics
    return r, streamed


def check_spark_writes(engine: Engine, project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    members, deliverable = expected(project)
    assert len(members) > BATCH_SIZE
    out = tmp_path / "out" / "adults.parquet"
    out.parent.mkdir()
    out.write_bytes(b"an older member file")  # replaced whole
    r, streamed = run_spied(engine, project, out, monkeypatch)
    assert r.sql not in streamed, "the members came through this process"
    assert r.size == r.output_rows == len(members)
    assert {row[0] for row in read_folder(out)} == members
    assert [g.size for g in r.gates] == [len(deliverable)] * 2  # the gates: the counts statement

    r, streamed = run_spied(engine, project, out, monkeypatch, destination="d")
    checked, _ = check_audience(project, "adults", "m")
    assert checked is not None
    dest = compile_audience(checked, "spark", as_of=AS_OF, destination="d", mode="members").query
    assert dest is not None and r.sql not in streamed and dest.sql not in streamed
    assert r.size == len(members) and r.output_rows == len(deliverable)
    rows = read_folder(out)
    assert set(rows) == deliverable and len(rows) == len(deliverable)

    r, streamed = run_spied(engine, project, out, monkeypatch, destination="huge")  # a held gate
    assert r.output_rows == 0 and read_folder(out) == []
    assert [g.status for g in r.gates if g.destination == "huge"] == ["held"]
    assert sorted(p.name for p in out.parent.iterdir()) == ["adults.parquet"]  # no temporary folder left


def test_spark_output_writes_only_parquet_to_spark(tmp_path: Path) -> None:
    """CSV and non-Spark engines keep the streamed writer (run/output.py)."""
    from audiencelang.run.spark_output import spark_writes

    duckdb.connect(str(tmp_path / "x.duckdb")).close()
    with connect(str(tmp_path / "x.duckdb")) as engine:
        assert not spark_writes(engine, tmp_path / "m.parquet")


@pytest.fixture
def spark_warehouse(spark_session: Any, tmp_path: Path) -> Iterator[str]:
    folder = tmp_path / "warehouse"
    for table, columns, rows in (("people", PEOPLE, people()), ("visits", VISITS, [])):
        df = spark_session.createDataFrame([tuple(r.get(c) for c in columns) for r in rows],
                                           schema=test_engines.spark_schema(columns))
        df.write.mode("overwrite").parquet(str(folder / table))
    try:
        yield f"spark+local:///{folder}"
    finally:
        for table in ("people", "visits"):
            spark_session.sql(f"DROP TABLE IF EXISTS default.`{table}`")


@pytest.mark.spark
def test_spark_local_writes_member_parquet_itself(spark_warehouse: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    project = project_at(tmp_path / "p")
    with connect(spark_warehouse) as engine:
        check_spark_writes(engine, project, tmp_path, monkeypatch)
        # CSV is still streamed (and equal)
        out = tmp_path / "adults.csv"
        r = run_audience(project, "adults", "m", engine=engine, as_of=AS_OF, output=out)
        assert r.ok and r.output_rows == len(expected(project)[0])


@pytest.mark.spark
def test_spark_local_write_failure_leaves_nothing(spark_warehouse: str, tmp_path: Path) -> None:
    """A statement that fails in Spark (a table's folder gone after it was registered):
    E605/E606, no temporary folder, the existing file untouched."""
    import shutil

    project = project_at(tmp_path / "p")
    out = tmp_path / "out" / "adults.parquet"
    out.parent.mkdir()
    out.write_bytes(b"keep me")
    with connect(spark_warehouse) as engine:
        checked, _ = check_audience(project, "adults", "m")
        assert checked is not None
        engine.prepare(checked.market)
        shutil.rmtree(spark_warehouse.removeprefix("spark+local:///") + "/people")
        r = run_audience(project, "adults", "m", engine=engine, as_of=AS_OF, output=out)
    assert r.status == "failed" and {d.code for d in r.diagnostics} & {"E605", "E606"}, r.diagnostics
    assert out.read_bytes() == b"keep me"
    assert [p.name for p in out.parent.iterdir()] == ["adults.parquet"]


@pytest.mark.spark
def test_spark_connect_writes_member_parquet_itself(spark_connect_server: str, tmp_path: Path,  # noqa: F811
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A Connect server on this machine (loopback) writes the folder where this process sees it."""
    from pyspark.sql import SparkSession

    client = SparkSession.builder.remote(spark_connect_server).create()
    try:
        for table, columns, rows in (("people", PEOPLE, people()), ("visits", VISITS, [])):
            test_engines.spark_load(client, table, columns, rows)
    finally:
        client.stop()
        os.environ.pop("SPARK_CONNECT_MODE_ENABLED", None)  # see _open_spark_connect
    project = project_at(tmp_path / "p")
    with connect(spark_connect_server) as engine:
        assert getattr(engine, "shares_files", False)
        check_spark_writes(engine, project, tmp_path, monkeypatch)


def test_a_killed_spark_write_is_removed_by_the_next_write(tmp_path: Path) -> None:
    """The temporary folder of a run whose process is gone is removed (not the live ones)."""
    from audiencelang.run.output import remove_stale_temp_files

    dead = tmp_path / ".adults.parquet.999999999.x1.tmp"
    live = tmp_path / f".adults.parquet.{os.getpid()}.x2.tmp"
    for folder in (dead, live):
        folder.mkdir()
        (folder / "part-00000.parquet").write_bytes(b"half")
    remove_stale_temp_files(tmp_path / "adults.parquet")
    assert not dead.exists() and live.exists()
