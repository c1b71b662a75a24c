"""`deliver` after a small change vs `run` of the same audience (docs/performance.md,
"Deliveries").

    .venv/bin/python -m bench.deliver [PROFILES]      # default 1,000,000

A DuckDB file with PROFILES profiles (age, email) and 5 orders per profile; the audience
`target` (bought in the last 365 days and age >= 75, ~200,000 members of 1M) activates
`ads` (identifier email). Then, each step in a fresh process (its peak RSS is its own):
`run` of the audience, a first `deliver` (everyone enters), a change of ~1% of the
audience (half of them leave: age set to 20; as many enter: age set to 80), `run` again
and `deliver` again. Prints one JSON object: seconds and peak RSS (MB) per step, the
members and the change, the machine's load average.
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
  table: people
  id: id
  traits:
    age: {column: age, type: integer}
    email: {column: email, type: string}
events:
  purchase:
    table: orders
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
    con.execute(f"CREATE TABLE people AS SELECT i AS id, CAST(hash(i) % 100 AS BIGINT) AS age, "
                f"'u' || i || '@example.com' AS email FROM range({profiles}) r(i)")
    con.execute(f"CREATE TABLE orders AS SELECT CAST(hash(i, 7) % {profiles} AS BIGINT) AS user_id, "
                "TIMESTAMP '2026-11-01' - to_seconds(CAST(hash(i, 8) % (730 * 86400) AS BIGINT)) AS ts "
                f"FROM range({profiles * 5}) r(i)")
    con.close()


def change(fraction: float) -> int:
    """Move ``fraction`` of the audience out and as many in; returns how many changed."""
    import duckdb

    con = duckdb.connect(str(ROOT / "data.duckdb"))
    n = int(con.execute("SELECT count(*) FROM people WHERE age >= 75").fetchone()[0] * fraction / 2)
    con.execute(f"UPDATE people SET age = 20 WHERE id IN (SELECT id FROM people WHERE age >= 75 ORDER BY id LIMIT {n})")
    con.execute(f"UPDATE people SET age = 80 WHERE id IN (SELECT id FROM people WHERE age < 75 ORDER BY id DESC "
                f"LIMIT {n})")
    con.close()
    return 2 * n


def step(what: str) -> dict[str, object]:
    """One measurement in this process."""
    from audiencelang.project import load_project

    project = load_project(ROOT / "p")
    started = time.perf_counter()
    if what == "run":
        from audiencelang.run import connect, run_audience

        with connect(ROOT / "data.duckdb") as engine:
            r = run_audience(project, "target", "m", engine=engine, as_of=AS_OF)
        assert r.ok, r.diagnostics
        out: dict[str, object] = {"members": r.size}
    else:
        from audiencelang.deliver import connect as dconnect
        from audiencelang.deliver import deliver

        with dconnect(ROOT / "data.duckdb") as engine:
            d = deliver(project, "target", "m", "ads", engine=engine, as_of=AS_OF, output=ROOT / "out")
        assert d.ok, d.diagnostics
        out = {"members": d.listed, "entered": d.entered, "exited": d.exited}
    out["seconds"] = round(time.perf_counter() - started, 3)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


def child(what: str) -> dict[str, object]:
    res = subprocess.run([sys.executable, "-m", "bench.deliver", "--step", what], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parent.parent)
    result: dict[str, object] = json.loads(res.stdout)
    return result


def main() -> None:
    if sys.argv[1:2] == ["--step"]:
        print(json.dumps(step(sys.argv[2])))
        return
    profiles = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    t = time.perf_counter()
    make(profiles)
    made = round(time.perf_counter() - t, 1)
    results = {"profiles": profiles, "orders": profiles * 5, "data_seconds": made,
               "load_average_before": [round(x, 2) for x in os.getloadavg()], "cpus": os.cpu_count()}
    results["run_1"] = child("run")
    results["deliver_1"] = child("deliver")
    results["changed"] = change(0.01)
    results["run_2"] = child("run")
    results["deliver_2"] = child("deliver")
    results["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
