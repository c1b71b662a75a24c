"""Embedding: building an in-memory project and compiling one audience, in-process.

    .venv/bin/python -m bench.embed [--runs N]

A CDP-style request: 1 audience and 3 market files as texts (the example project's),
``Project.from_sources`` -> ``compile_sql`` for DuckDB. Reports the first request of
the process (grammar built, nothing cached on disk: a library does not write the
grammar cache) and the median [IQR] of the following ones. Target: <= 20 ms warm
(issue 16). Results go to docs/performance.md ("Embedding").
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

from bench.common import repeat

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def request(config: str, markets: dict[str, str], audience: str) -> str:
    from audiencelang import compile_sql, project_from_sources

    project = project_from_sources(config=config, markets=markets, audiences={"request.aud": audience})
    result = compile_sql(project, "big_spenders", "de", "duckdb", as_of=AS_OF)
    assert result.query is not None, result.diagnostics
    return result.query.sql


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=200)
    args = ap.parse_args(argv)
    config = (EXAMPLES / "audiencelang.toml").read_text()
    markets = {f"markets/{p.name}": p.read_text() for p in sorted((EXAMPLES / "markets").glob("*.yaml"))}
    audience = (EXAMPLES / "audiences/big_spenders.aud").read_text()
    t0 = time.perf_counter()
    request(config, markets, audience)
    first = time.perf_counter() - t0
    warm = repeat(lambda: request(config, markets, audience), args.runs, warmup=5)
    out = {"first_request_s": round(first, 4), "warm_ms_median": round(warm["median"] * 1000, 2),
           "warm_ms_q1": round(warm["q1"] * 1000, 2), "warm_ms_q3": round(warm["q3"] * 1000, 2),
           "runs": args.runs, "markets": len(markets), "audiences": 1}
    json.dump(out, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
