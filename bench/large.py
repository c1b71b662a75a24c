"""Large audiences: compile time and run time on DuckDB, SQLite and PostgreSQL (jit off)
for long condition chains (docs/performance.md, "Large audiences").

    .venv/bin/python -m bench.large or_eq:10000 or_gt:10000 in_list:100000 ...

Each SHAPE:N writes one audience into a scratch project (bench/data/large/) and prints
one JSON line: file size, parse / compile seconds per dialect, run seconds and members
per engine, peak RSS of this process (the compiler plus in-process DuckDB/SQLite).
Data: 100,000 profiles and 500,000 visits, the same on every engine (PostgreSQL: a
throw-away cluster, tests/pgcluster.py). Shapes:

  or_eq      country = "C0" or country = "C1" or ...        (one IN list)
  where_or   performed visit where (page = "P0" or ...)     (one IN list in the scan)
  in_list    country in ["C0", "C1", ...]
  and_ne     country != "C0" and country != "C1" and ...    (one NOT IN list)
  or_gt      age > 0 or age > 1 or ...                      (N tests: a balanced OR tree)
  or_contains country contains "C0" or ...                  (N tests)
  and_gt     (age != 0 or age > 0) and ...                  (2N tests)
"""

from __future__ import annotations

import datetime as dt
import json
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent / "data" / "large"
AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
MARKET = """market: m
profiles:
  table: crm.kunden
  id: id
  traits:
    country: {column: country, type: string}
    age: {column: age, type: integer}
events:
  visit:
    table: web.visits
    user: uid
    time: t
    properties:
      page: {column: page, type: string}
"""
SHAPES = {
    "or_eq": lambda n: " or ".join(f'country = "C{i}"' for i in range(n)),
    "where_or": lambda n: "performed visit where (" + " or ".join(f'page = "P{i}"' for i in range(n)) + ")",
    "in_list": lambda n: "country in [" + ", ".join(f'"C{i}"' for i in range(n)) + "]",
    "and_ne": lambda n: " and ".join(f'country != "C{i}"' for i in range(n)),
    "or_gt": lambda n: " or ".join(f"age > {i}" for i in range(n)),
    "or_contains": lambda n: " or ".join(f'country contains "C{i}"' for i in range(n)),
    "and_gt": lambda n: " and ".join(f"(age != {i} or age > {i})" for i in range(n)),
}


def make_data(folder: Path) -> tuple[Path, Path]:
    db, lite = folder / "d.duckdb", folder / "d.sqlite"
    if db.exists() and lite.exists():
        return db, lite
    con = duckdb.connect(str(db))
    con.execute("CREATE SCHEMA crm; CREATE SCHEMA web")
    con.execute("CREATE TABLE crm.kunden AS SELECT i AS id, 'C' || (i % 300000) AS country, "
                "(i % 90)::BIGINT AS age FROM range(100000) r(i)")
    con.execute("CREATE TABLE web.visits AS SELECT (i % 100000) AS uid, TIMESTAMP '2026-01-01' + "
                "to_seconds(i % 20000000) AS t, 'P' || (i % 300000) AS page FROM range(500000) r(i)")
    s = sqlite3.connect(lite)
    s.execute("CREATE TABLE kunden (id INTEGER, country TEXT, age INTEGER)")
    s.execute("CREATE TABLE visits (uid INTEGER, t TEXT, page TEXT)")
    s.executemany("INSERT INTO kunden VALUES (?,?,?)", con.execute("SELECT * FROM crm.kunden").fetchall())
    s.executemany("INSERT INTO visits VALUES (?,?,?)", con.execute(
        "SELECT uid, strftime(t, '%Y-%m-%d %H:%M:%S'), page FROM web.visits").fetchall())
    s.commit()
    s.close()
    con.close()
    return db, lite


def measure(shape: str, n: int, targets: dict[str, str]) -> dict[str, object]:
    from audiencelang.project import load_project
    from audiencelang.run.engines import connect
    from audiencelang.sql import compile as compile_

    project = ROOT / f"{shape}-{n}"
    (project / "markets").mkdir(parents=True, exist_ok=True)
    (project / "audiences").mkdir(exist_ok=True)
    (project / "audiencelang.toml").write_text("")
    (project / "markets" / "m.yaml").write_text(MARKET)
    aud = project / "audiences" / "a.aud"
    aud.write_text(f'audience big {{\n  owner "t@x"\n  description "t"\n  include {SHAPES[shape](n)}\n}}\n')
    out: dict[str, object] = {"shape": shape, "n": n, "file_bytes": aud.stat().st_size}
    t = time.perf_counter()
    p = load_project(project)
    diags = [d.code for d in p.diagnostics if d.is_error]
    out["parse_s"] = round(time.perf_counter() - t, 2)
    if diags:
        out["diagnostics"] = diags
        return out
    for dialect, target in targets.items():
        t = time.perf_counter()
        result = compile_(p, "big", "m", dialect, as_of=AS_OF)
        out[f"compile_{dialect}_s"] = round(time.perf_counter() - t, 2)
        if result.query is None:
            out[f"{dialect}_diagnostics"] = [d.code for d in result.diagnostics]
            continue
        with connect(target) as engine:
            engine.prepare(p.markets["m"])
            t = time.perf_counter()
            _, rows = engine.fetch_all(result.query.sql)
            out[f"run_{dialect}_s"] = round(time.perf_counter() - t, 2)
            out[f"members_{dialect}"] = len(rows)
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    return out


def main(argv: list[str]) -> None:
    ROOT.mkdir(parents=True, exist_ok=True)
    db, lite = make_data(ROOT)
    targets = {"duckdb": str(db), "sqlite": str(lite)}
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.pgcluster import copy_duckdb_into, find_pg_bindir, start_cluster

    bindir = find_pg_bindir()
    cluster = start_cluster(bindir) if bindir else None
    try:
        if cluster is not None:
            import psycopg

            with cluster.database("large") as name:
                with psycopg.connect(cluster.url(name)) as con:
                    copy_duckdb_into(con, db, Path(tempfile.mkdtemp()))
                    con.commit()
                targets["postgres"] = cluster.url(name)
                for spec in argv:
                    shape, n = spec.split(":")
                    print(json.dumps(measure(shape, int(n), targets)), flush=True)
        else:
            for spec in argv:
                shape, n = spec.split(":")
                print(json.dumps(measure(shape, int(n), targets)), flush=True)
    finally:
        if cluster is not None:
            cluster.stop()
            shutil.rmtree(cluster.root, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:] or ["or_eq:10000", "or_gt:10000", "in_list:100000"])
