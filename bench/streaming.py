"""Peak client memory of ``audiencelang run --output`` for large member lists (issue 17 item 2).

For N members (a profile table of N rows, an audience every profile is in), write
them with ``run --output FILE.csv|.parquet`` in a fresh process and read its peak
RSS (``ru_maxrss`` of a grandchild: nothing else counted). DuckDB runs in the
process (its buffers are client memory); PostgreSQL is a server (only the client's
memory is measured; rows come through a server-side cursor)::

    python -m bench.streaming                 # 5,000,000 members, DuckDB (+ PostgreSQL when installed)
    python -m bench.streaming --members 1000000 --engines duckdb

tests/test_streaming.py runs the same at a smaller N and asserts the bound.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
AS_OF = "2026-11-01T00:00:00Z"

MARKET = """market: m
profiles:
  table: people
  id: id
  traits:
    age: {column: age, type: integer}
"""
AUDIENCE = "audience everyone {\n  include age >= 0\n}\n"

#: Runs the CLI in a child and prints the child's peak RSS in MiB (Linux: ru_maxrss is KiB).
_MEASURE = (
    "import resource, subprocess, sys\n"
    "r = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
    "print(r.returncode, round(peak, 1)); sys.stderr.write(r.stderr[-2000:])\n"
)


def make_project(root: Path) -> Path:
    (root / "markets").mkdir(parents=True, exist_ok=True)
    (root / "audiences").mkdir(exist_ok=True)
    (root / "audiencelang.toml").write_text("")
    (root / "markets/m.yaml").write_text(MARKET)
    (root / "audiences/everyone.aud").write_text(AUDIENCE)
    return root


def duckdb_file(path: Path, members: int) -> str:
    import duckdb

    with duckdb.connect(str(path)) as con:
        con.execute(f"CREATE TABLE people AS SELECT i::BIGINT AS id, (i % 90)::BIGINT AS age FROM range({int(members)}) t(i)")
    return str(path)


def postgres_table(url: str, members: int) -> str:
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        con.execute("DROP TABLE IF EXISTS people")
        con.execute("CREATE TABLE people (id BIGINT, age BIGINT)")
        con.execute("INSERT INTO people SELECT i, i %% 90 FROM generate_series(0, %s) AS i", (int(members) - 1,))
        con.execute("ANALYZE people")
    return url


def peak_rss(project: Path, db: str, output: Path, env: dict[str, str] | None = None) -> tuple[int, float, str]:
    """(exit code, peak RSS in MiB, stderr tail) of ``run everyone --output OUTPUT`` in a fresh process."""
    cli = [sys.executable, "-m", "audiencelang.cli", "run", "everyone", "-m", "m", "--project", str(project),
           "--db", db, "--as-of", AS_OF, "--output", str(output)]
    r = subprocess.run([sys.executable, "-c", _MEASURE, *cli], capture_output=True, text=True,
                       env={**os.environ, **(env or {})}, cwd=REPO)
    code, peak = r.stdout.split()
    return int(code), float(peak), r.stderr


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--members", type=int, default=5_000_000)
    ap.add_argument("--engines", default="duckdb,postgres")
    args = ap.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        root = make_project(Path(tmp) / "p")
        targets: list[tuple[str, str]] = []
        if "duckdb" in args.engines:
            targets.append(("duckdb", duckdb_file(Path(tmp) / "w.duckdb", args.members)))
        cluster = None
        if "postgres" in args.engines:
            from tests.pgcluster import ClusterUnavailable, find_pg_bindir, start_cluster

            bindir = find_pg_bindir()
            if bindir is not None:
                try:
                    cluster = start_cluster(bindir)
                    targets.append(("postgres", postgres_table(cluster.url(), args.members)))
                except ClusterUnavailable as exc:
                    print(f"postgres skipped: {exc}", file=sys.stderr)
        try:
            for engine, db in targets:
                for suffix in ("csv", "parquet"):
                    out = Path(tmp) / f"members.{suffix}"
                    code, peak, err = peak_rss(root, db, out)
                    results.append({"engine": engine, "format": suffix, "members": args.members, "exit": code,
                                    "peak_rss_mib": peak, "bytes": out.stat().st_size if out.exists() else None})
                    print(json.dumps(results[-1]), flush=True)
                    if code != 0:
                        print(err, file=sys.stderr)
        finally:
            if cluster is not None:
                cluster.stop()


if __name__ == "__main__":
    main()
