"""Differential tests for spec §8 ("Behaviour over time"): compiled SQL returns exactly the
reference evaluator's members on DuckDB, SQLite, PostgreSQL, Spark, ClickHouse (chdb) and
MariaDB (dialect mysql), in hostile sessions too (UTC+14, ``standard_conforming_strings =
off``), over data on every edge (tests/datagen_seq.py). At least 100 §8 audiences per
engine per run. A failure prints a complete reproducer (docs/correctness.md).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, Phase, given, settings

from audiencelang import ast
from tests import engines
from tests.datagen import Scenario, check_scenario
from tests.datagen_seq import is_over_time, seq_scenarios

SETTINGS = settings(max_examples=16, deadline=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture],
                    # AUDIENCELANG_NO_SHRINK=1: report the first failure as found (shrinking a
                    # scenario of 8 audiences can take minutes)
                    **({"phases": [Phase.explicit, Phase.reuse, Phase.generate]}
                       if os.environ.get("AUDIENCELANG_NO_SHRINK") == "1" else {}))


@pytest.fixture
def seed(request: pytest.FixtureRequest) -> Any:
    return request.config.getoption("hypothesis_seed", None)


def _over_time(scn: Scenario) -> int:
    return sum(any(is_over_time(n) for n in ast.walk(a)) for a in scn.audiences)


def _run(make: Callable[[], engines.Engine], reset: Callable[[engines.Engine, Scenario], None] | None,
         seed: Any, examples: int, session: tuple[str, ...] = (), ascii_case: bool = False,
         identifiers: str = "hostile", n_audiences: int = 8) -> int:
    """``examples`` scenarios; returns the number of §8 audiences compared."""
    counted: list[int] = []

    @settings(SETTINGS, max_examples=examples)
    @given(seq_scenarios(identifiers=identifiers, n_audiences=n_audiences))
    def run(scn: Scenario) -> None:
        eng = make()
        if reset is not None:
            reset(eng, scn)
        check_scenario(scn, eng, seed=seed, ascii_case=ascii_case, session_sql=session)
        counted.append(_over_time(scn))

    run()
    return sum(counted)


def test_duckdb_matches_the_evaluator_over_time(seed: Any) -> None:
    def make() -> engines.Engine:
        return engines.duckdb_engine(duckdb.connect(":memory:"))

    assert _run(make, None, seed, 16) >= 100


def test_duckdb_over_time_in_a_far_east_session(seed: Any) -> None:
    def make() -> engines.Engine:
        con = duckdb.connect(":memory:")
        con.execute("SET TimeZone = 'Pacific/Kiritimati'")
        return engines.duckdb_engine(con)

    assert _run(make, None, seed, 8) >= 40


def test_sqlite_matches_the_evaluator_over_time(seed: Any) -> None:
    def make() -> engines.Engine:
        return engines.sqlite_engine(sqlite3.connect(":memory:"))

    assert _run(make, None, seed, 16, ascii_case=True) >= 100
