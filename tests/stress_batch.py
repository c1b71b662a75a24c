"""Manual stress run of the batch equivalence on DuckDB: many generated scenarios, no
shrinking, stops at the first batch that differs from its audiences' own statements and
prints it. Not collected by pytest (the test suite runs 12 scenarios per run).

    PYTHONPATH=. .venv/bin/python tests/stress_batch.py 500
    PYTHONPATH=. .venv/bin/python tests/stress_batch.py 500 --split-windows

``--split-windows``: every distinct window width of a shared pass in a pass of its own
(audiencelang.sql.batch_passes with its cost model made free), the strategy at its most
split.
"""

from __future__ import annotations

import sys

import duckdb
from hypothesis import HealthCheck, Phase, given, settings

from tests import engines
from tests.datagen import Scenario, scenarios
from tests.test_batch import _scenario_batch


def main(n: int) -> int:
    seen = [0]

    @settings(max_examples=n, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(scenarios())
    def run(scn: Scenario) -> None:
        con = duckdb.connect(":memory:")
        try:
            seen[0] += 1
            _scenario_batch(scn, engines.duckdb_engine(con))
        except AssertionError as exc:
            print(f"scenario {seen[0]} differs:\n{exc}\n{scn!r}"[:20000])
            raise
        finally:
            con.close()

    try:
        run()
    except AssertionError:
        return 1
    print(f"{seen[0]} scenarios: every batch equals its audiences' own statements")
    return 0


if __name__ == "__main__":
    if "--split-windows" in sys.argv:
        from audiencelang.sql import batch_passes

        batch_passes._FIXED = batch_passes._READ = 0.0
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    raise SystemExit(main(int(args[0]) if args else 200))
