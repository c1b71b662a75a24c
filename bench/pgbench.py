"""The benchmark audiences on PostgreSQL: the plans its planner picks for our SQL.

PostgreSQL is what ``audiencelang run postgresql://...`` executes on. Its planner pushes a
filter down to the lowest join input that has its columns and estimates a filtered
aggregate or a string test on a trait at one or two rows; with such an input it joins the
next event aggregate with a nested loop. The postgres SQL therefore applies every test
after the joins (``fence_joins`` in audiencelang.sql.dialects). This section measures, on
the 100k-profile demo data copied into a throw-away PostgreSQL cluster:

- ``current``: the postgres SQL as compiled now (interleaved runs, median);
- ``pushed``: the same audience compiled with the tests pushed into the join inputs (as
  every other dialect gets it), once, cut off at ``TIMEOUT_S``;
- ``pushed, nestloop off``: that SQL with ``enable_nestloop = off`` (what the pushed
  tests cost once the nested loops are gone);

and whether the current plan has a nested loop, and that the members equal DuckDB's.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import api
from bench.common import AS_OF, BENCH, MARKET, NotReady, summarize

TIMEOUT_S = 30


def run(quick: bool, db: Path) -> dict[str, Any]:
    try:
        import psycopg  # noqa: F401  (only: is it installed)

        from tests.pgcluster import ClusterUnavailable, find_pg_bindir, start_cluster
    except ImportError as exc:
        raise NotReady(f"psycopg or the test helpers are missing ({exc})") from None
    bindir = find_pg_bindir()
    if bindir is None:
        raise NotReady("PostgreSQL binaries (initdb, pg_ctl) not found; install `postgresql`")
    try:
        cluster = start_cluster(bindir)
    except ClusterUnavailable as exc:
        raise NotReady(str(exc)) from None
    scratch = Path(tempfile.mkdtemp(prefix="audiencelang-pgbench-"))
    try:
        return _measure(quick, db, cluster, scratch)
    finally:
        cluster.stop()
        shutil.rmtree(cluster.root, ignore_errors=True)
        shutil.rmtree(scratch, ignore_errors=True)


def _measure(quick: bool, db: Path, cluster: Any, scratch: Path) -> dict[str, Any]:
    import psycopg

    from audiencelang.sql import dialects
    from tests.pgcluster import copy_duckdb_into

    project = api.load_project(BENCH)
    names = sorted(p.stem for p in (BENCH / "audiences").glob("*.aud"))
    checked = {n: api.check_audience(project, n, MARKET) for n in names}
    current = {n: api.compile_sql(c, "postgres", AS_OF) for n, c in checked.items()}
    profile = dialects.DIALECTS["postgres"]
    dialects.DIALECTS["postgres"] = dataclasses.replace(profile, fence_joins=False)
    try:
        pushed = {n: api.compile_sql(c, "postgres", AS_OF) for n, c in checked.items()}
    finally:
        dialects.DIALECTS["postgres"] = profile
    import duckdb

    duck = duckdb.connect(str(db), read_only=True)
    expected = {n: {r[0] for r in duck.execute(api.compile_sql(c, "duckdb", AS_OF)).fetchall()}
                for n, c in checked.items()}
    duck.close()
    out: dict[str, Any] = {"timeout_s": TIMEOUT_S, "cases": {}}
    with cluster.database("bench") as name, psycopg.connect(cluster.url(name)) as pg:
        t0 = time.perf_counter()
        copy_duckdb_into(pg, db, scratch)
        out["load_seconds"] = time.perf_counter() - t0
        pg.autocommit = True
        out["server"] = pg.execute("SHOW server_version").fetchone()[0]

        def timed(sql: str, nestloop: bool = True) -> tuple[float | None, set[Any]]:
            pg.execute(f"SET enable_nestloop = {'on' if nestloop else 'off'}")
            pg.execute(f"SET statement_timeout = '{TIMEOUT_S}s'")
            t = time.perf_counter()
            try:
                rows = pg.execute(sql.encode()).fetchall()
            except psycopg.errors.QueryCanceled:
                return None, set()
            return time.perf_counter() - t, {r[0] for r in rows}

        runs = 1 if quick else 3
        for n in names:
            plan = "\n".join(r[0] for r in pg.execute(b"EXPLAIN " + current[n].encode()).fetchall())
            samples: list[float] = []
            members: set[Any] = set()
            for i in range(runs + 1):  # the first is a warm-up
                t, members = timed(current[n])
                if t is not None and i:
                    samples.append(t)
            before, _ = timed(pushed[n])
            before_nl_off, _ = timed(pushed[n], nestloop=False)
            out["cases"][n] = {
                "members": len(members), "same_as_duckdb": members == expected[n],
                "current": summarize(samples) if samples else None,
                "pushed_s": before, "pushed_nestloop_off_s": before_nl_off,
                "nested_loop_in_current_plan": "Nested Loop" in plan,
            }
    return out
