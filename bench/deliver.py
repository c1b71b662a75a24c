"""`deliver` after a small change vs `run` of the same audience (docs/performance.md,
"Deliveries").

    .venv/bin/python -m bench.deliver [PROFILES] [--postgres]     # default 1,000,000, DuckDB

A DuckDB file with PROFILES profiles (age, email) and 5 orders per profile; the audience
`target` (bought in the last 365 days and age >= 75, ~200,000 members of 1M) activates
`ads` (identifier email). Then, each step in a fresh process (its peak RSS is its own):
`run` of the audience, a first `deliver` (everyone enters), a change of ~1% of the
audience (half of them leave: age set to 20; as many enter: age set to 80), `run` again
and `deliver` again; then another such change, and `run` and `deliver` with tracemalloc: the
peak of the Python objects they allocate (the rows brought to the client). Prints one JSON
object: seconds and peak RSS (MB) per step, the
members and the change, the machine's load average. ``--postgres``: the same data in a
throw-away PostgreSQL cluster (tests/pgcluster.py); the peak RSS is then the client's
alone (the warehouse runs in its own processes).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent / "data" / "deliver"
AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
CONFIG = """
[destinations.ads]
identifier = "email"
"""
MARKET = """market: m
profiles:
  table: crm.people
  id: id
  traits:
    age: {column: age, type: integer}
    email: {column: email, type: string}
events:
  purchase:
    table: shop.orders
    user: user_id
    time: ts
"""
AUDIENCE = """audience target {
  owner "bench@example.com"
  description "Bought in the last year, 75 or older."
  include performed purchase in last 365 days and age >= 75
  activate ads
}
"""


def make(profiles: int) -> None:
    import duckdb

    shutil.rmtree(ROOT, ignore_errors=True)
    (ROOT / "p" / "markets").mkdir(parents=True)
    (ROOT / "p" / "audiences").mkdir()
    (ROOT / "p" / "audiencelang.toml").write_text(CONFIG)
    (ROOT / "p" / "markets" / "m.yaml").write_text(MARKET)
    (ROOT / "p" / "audiences" / "target.aud").write_text(AUDIENCE)
    con = duckdb.connect(str(ROOT / "data.duckdb"))
    con.execute("CREATE SCHEMA crm")
    con.execute("CREATE SCHEMA shop")
    con.execute(f"CREATE TABLE crm.people AS SELECT i AS id, CAST(hash(i) % 100 AS BIGINT) AS age, "
                f"'u' || i || '@example.com' AS email FROM range({profiles}) r(i)")
    con.execute(f"CREATE TABLE shop.orders AS SELECT CAST(hash(i, 7) % {profiles} AS BIGINT) AS user_id, "
                "TIMESTAMP '2026-11-01' - to_seconds(CAST(hash(i, 8) % (730 * 86400) AS BIGINT)) AS ts "
                f"FROM range({profiles * 5}) r(i)")
    con.close()


def change(fraction: float, target: str) -> int:
    """Move ``fraction`` of the audience out and as many in; returns how many changed."""
    statements = ["UPDATE crm.people SET age = 20 WHERE id IN (SELECT id FROM crm.people WHERE age >= 75 ORDER BY id "
                  "LIMIT {n})",
                  "UPDATE crm.people SET age = 80 WHERE id IN (SELECT id FROM crm.people WHERE age < 75 ORDER BY id DESC "
                  "LIMIT {n})"]
    if target.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(target) as pg:
            row = pg.execute("SELECT count(*) FROM crm.people WHERE age >= 75").fetchone()
            assert row is not None
            n = int(row[0] * fraction / 2)
            for sql in statements:
                pg.execute(sql.format(n=n))
        return 2 * n
    import duckdb

    con = duckdb.connect(target)
    n = int(con.execute("SELECT count(*) FROM crm.people WHERE age >= 75").fetchone()[0] * fraction / 2)
    for sql in statements:
        con.execute(sql.format(n=n))
    con.close()
    return 2 * n


def step(what: str) -> dict[str, object]:
    """One measurement in this process."""
    import audiencelang.deliver.core
    import audiencelang.run.execute  # noqa: F401  (imports before the baseline)
    from audiencelang.project import load_project

    project = load_project(ROOT / "p")
    project.audiences()
    target = os.environ.get("BENCH_DELIVER_TARGET", str(ROOT / "data.duckdb"))
    # warm up (drivers, dialect tables, the compiler) so that the growth is the work's own
    from audiencelang.run import connect as warm
    from audiencelang.sql import compile_sql

    with warm(target) as engine:
        dialect = engine.dialect
    for mode in ("members", "counts", "deliverable"):
        compile_sql(project, "target", "m", dialect, as_of=AS_OF, destination="ads" if mode != "members" else None,
                    mode=mode)  # type: ignore[arg-type]
    traced = what.endswith("+mem")
    what = what.removesuffix("+mem")
    if traced:
        import tracemalloc

        tracemalloc.start()
    started = time.perf_counter()
    if what == "run":
        from audiencelang.run import connect, run_audience

        with connect(target) as engine:
            r = run_audience(project, "target", "m", engine=engine, as_of=AS_OF)
        assert r.ok, r.diagnostics
        out: dict[str, object] = {"members": r.size}
    else:
        from audiencelang.deliver import connect as dconnect
        from audiencelang.deliver import deliver

        with dconnect(target) as engine:
            d = deliver(project, "target", "m", "ads", engine=engine, as_of=AS_OF, output=ROOT / "out")
        assert d.ok, d.diagnostics
        out = {"members": d.listed, "entered": d.entered, "exited": d.exited}
    out["seconds"] = round(time.perf_counter() - started, 3)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    if traced:
        # Python objects allocated by the step at their peak: the rows moved to the client
        # (not the embedded DuckDB's own buffers, not the imports done before)
        out = {"python_peak_mb": round(tracemalloc.get_traced_memory()[1] / 2**20, 2)}
    return out


def child(what: str, target: str) -> dict[str, object]:
    res = subprocess.run([sys.executable, "-m", "bench.deliver", "--step", what], capture_output=True, text=True,
                         check=False, cwd=Path(__file__).resolve().parent.parent,
                         env={**os.environ, "BENCH_DELIVER_TARGET": target})
    if res.returncode != 0:
        raise SystemExit(f"step {what} failed:\n{res.stderr}")
    result: dict[str, object] = json.loads(res.stdout)
    return result


def main() -> None:
    if sys.argv[1:2] == ["--step"]:
        print(json.dumps(step(sys.argv[2])))
        return
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    postgres = "--postgres" in sys.argv
    profiles = int(args[0]) if args else 1_000_000
    t = time.perf_counter()
    make(profiles)
    cluster = None
    target = str(ROOT / "data.duckdb")
    if postgres:
        import psycopg

        from tests.pgcluster import copy_duckdb_into, find_pg_bindir, start_cluster

        bindir = find_pg_bindir()
        assert bindir is not None, "PostgreSQL binaries not found"
        cluster = start_cluster(bindir)
        with psycopg.connect(cluster.url(), autocommit=True) as admin:
            admin.execute("CREATE DATABASE bench")
        target = cluster.url("bench")
        with psycopg.connect(target) as pg:
            copy_duckdb_into(pg, ROOT / "data.duckdb", ROOT)
    made = round(time.perf_counter() - t, 1)
    results: dict[str, object] = {
        "engine": "postgresql" if postgres else "duckdb", "profiles": profiles, "orders": profiles * 5,
        "data_seconds": made, "load_average_before": [round(x, 2) for x in os.getloadavg()], "cpus": os.cpu_count()}
    try:
        results["run_1"] = child("run", target)
        results["deliver_1"] = child("deliver", target)
        results["changed"] = change(0.01, target)
        results["run_2"] = child("run", target)
        results["deliver_2"] = child("deliver", target)
        # memory, traced apart (tracemalloc slows the step): after the same change again
        results["changed_again"] = change(0.01, target)
        results["run_3_memory"] = child("run+mem", target)
        results["deliver_3_memory"] = child("deliver+mem", target)
    finally:
        if cluster is not None:
            cluster.stop()
            shutil.rmtree(cluster.root, ignore_errors=True)
    results["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
