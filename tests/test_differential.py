"""Differential tests: compiled SQL on DuckDB and SQLite returns exactly the evaluator's members.

Each hypothesis example is one market (hostile physical names) with rows full of
edge values and 8 audiences over every construct of spec §1; together at least
200 audiences per engine per run. A failure prints a complete reproducer:
audience text, market, rows, SQL and both member sets. Reproduce with
``pytest tests/test_differential.py --hypothesis-seed=N`` or the printed
``@reproduce_failure`` blob (docs/correctness.md).
"""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings

from audiencelang import ast
from tests import engines
from tests.datagen import SHAPES, Scenario, check_scenario, scenarios

EXAMPLES = 25  # x 8 audiences = 200 per engine
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture
def seed(request: pytest.FixtureRequest) -> Any:
    return request.config.getoption("hypothesis_seed", None)


def test_duckdb_matches_the_evaluator(seed: Any) -> None:
    compared = []

    # derandomized: the shape counts asserted below are of a fixed set of 200 audiences
    # (a random set once gave `excluding` 2 times, under the 3 asserted: a failure by chance);
    # the other engines' differentials stay random and explore
    @settings(SETTINGS, derandomize=True)
    @given(scenarios())
    def run(scn: Scenario) -> None:
        con = duckdb.connect(":memory:")
        try:
            compared.append(check_scenario(scn, engines.duckdb_engine(con), seed=seed))
        finally:
            con.close()

    before = SHAPES.copy()
    run()
    assert sum(compared) >= 200
    shapes = SHAPES - before
    print(f"DuckDB plan shapes compared: {dict(shapes)}")
    # the packed shape (tests as bits, some negated) is what most multi-scan audiences get
    assert shapes["packed"] >= 5 and shapes["packed_inverted"] >= 5, shapes
    # a top-level `not performed` as NOT EXISTS; a top-level opt-in in the consent pass's HAVING
    assert shapes["anti_join"] >= 3 and shapes["consent_having"] >= 3, shapes
    # a top-level `at most` (true without rows) as the listed users failing it
    assert shapes["excluding"] >= 3, shapes


def test_sqlite_matches_the_evaluator(seed: Any) -> None:
    """SQLite's LOWER() folds ASCII only: the evaluator runs with ``ascii_case_folding``."""
    compared = []

    @SETTINGS
    @given(scenarios(samples=False))  # SQLite refuses `in sample` (E520)
    def run(scn: Scenario) -> None:
        con = sqlite3.connect(":memory:")
        try:
            compared.append(check_scenario(scn, engines.sqlite_engine(con), seed=seed, ascii_case=True))
        finally:
            con.close()

    run()
    assert sum(compared) >= 200


def test_duckdb_in_a_far_east_session_time_zone(seed: Any) -> None:
    """A session time zone of UTC+14 must not move any date or window (docs/semantics.md: Time)."""
    compared = []

    @settings(SETTINGS, max_examples=8)
    @given(scenarios())
    def run(scn: Scenario) -> None:
        con = duckdb.connect(":memory:")
        try:
            con.execute("SET TimeZone = 'Pacific/Kiritimati'")
            compared.append(check_scenario(scn, engines.duckdb_engine(con), seed=seed))
            assert con.execute("SELECT current_setting('TimeZone')").fetchone() == ("Pacific/Kiritimati",)
        finally:
            con.close()

    run()
    assert sum(compared) >= 64


#: far-apart market zones (spec §9): +14, -03:30, Lord Howe's half-hour DST, Berlin
FAR_ZONES = ("Pacific/Kiritimati", "America/St_Johns", "Australia/Lord_Howe", "Europe/Berlin")


@pytest.mark.parametrize("engine_name", ["duckdb", "sqlite"])
def test_markets_in_far_time_zones_match_the_evaluator(seed: Any, engine_name: str) -> None:
    """Dates are local midnights (spec §9); the data holds every local midnight the
    audiences' dates name, and 1 µs either side. DuckDB runs in yet another session zone."""
    compared = []

    @settings(SETTINGS, max_examples=10)
    @given(scenarios(zones=FAR_ZONES, samples=engine_name != "sqlite"))  # sqlite: no MD5 (E520)
    def run(scn: Scenario) -> None:
        assert scn.market.timezone in FAR_ZONES
        if engine_name == "duckdb":
            con = duckdb.connect(":memory:")
            con.execute("SET TimeZone = 'America/Adak'")
            eng = engines.duckdb_engine(con)
        else:
            con = sqlite3.connect(":memory:")
            eng = engines.sqlite_engine(con)
        try:
            compared.append(check_scenario(scn, eng, seed=seed, ascii_case=engine_name == "sqlite"))
        finally:
            con.close()

    run()
    assert sum(compared) >= 80


def test_duckdb_gates_match_the_evaluator() -> None:
    """Compiled for a destination, the statement returns (member_id, identifier) rows only when
    their number reaches max(min size, destination min_size); tested at min-1, min and min+1."""
    from audiencelang.check.checked import CheckedAudience
    from audiencelang.eval import evaluate, members_for_destination
    from audiencelang.schema.config import Destination
    from tests.datagen import compile_sql

    compared = []

    @settings(SETTINGS, max_examples=10)
    @given(scenarios(n_audiences=3))
    def run(scn: Scenario) -> None:
        con = duckdb.connect(":memory:")
        try:
            eng = engines.duckdb_engine(con)
            scn.load(eng)
            for aud in scn.audiences:
                n = len(evaluate(scn.checked(aud), scn.data, as_of=scn.as_of))
                for own, dest_min in ((None, n), (n + 1, 0), (max(n - 1, 0), n + 1), (n, n)):
                    a = aud.model_copy(update={
                        "min_size": ast.NumberLit(value=Decimal(own)) if own is not None else None,
                        "activate": (ast.Activate(destination=ast.Name(value="dest")),)})
                    dest = Destination(min_size=dest_min, identifier="t_string")
                    checked = CheckedAudience(a.name.value, a, scn.market, None, {**scn.refs, a.name.value: a},
                                              {"dest": dest})
                    sql = compile_sql(checked, "duckdb", scn.as_of, destination="dest")
                    got = sorted(eng.query(sql), key=lambda r: repr(r[0]))
                    expected = members_for_destination(checked, scn.data, "dest", as_of=scn.as_of)
                    assert got == expected, scn.reproducer(a, sql, "duckdb", got, expected)
                    compared.append(1)
        finally:
            con.close()

    run()
    assert sum(compared) >= 120


def test_generated_audiences_pass_the_checker() -> None:
    """The differential builds CheckedAudience directly; the checker must agree they are valid
    (so a mismatch is never explained away by an audience the product would have refused)."""
    from audiencelang.check.resolve import MarketIndex, check_in_market

    @settings(SETTINGS, max_examples=15)
    @given(scenarios())
    def run(scn: Scenario) -> None:
        idx = MarketIndex.of(scn.market)
        for aud in [*scn.refs.values(), *scn.audiences]:
            errors = [f for f in check_in_market(aud, idx, {}) if f.severity.value == "error"]
            assert not errors, [(f.code, f.message) for f in errors]

    run()


@pytest.mark.parametrize("engine_name", ["duckdb", "sqlite"])
def test_long_or_chains_match_the_evaluator(seed: Any, engine_name: str) -> None:
    """`=`/`in` tests on one field in an `or` are lowered to one `in` list (and chains longer
    than FLAT_CHAIN are written as balanced trees): the same members as the evaluator's."""
    from hypothesis import strategies as st

    from audiencelang.sql.build import FLAT_CHAIN
    from tests.datagen import any_of_scenarios

    compared = []
    lists = []

    @settings(max_examples=15, deadline=None, print_blob=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(any_of_scenarios(), st.just(None))
    def run(scn: Scenario, _: None) -> None:
        lists.extend(sum(isinstance(i, ast.Compare | ast.InList) for i in getattr(a.include, "items", ()))
                     for a in scn.audiences)
        if engine_name == "duckdb":
            con: Any = duckdb.connect(":memory:")
            engine = engines.duckdb_engine(con)
        else:
            con = sqlite3.connect(":memory:")
            engine = engines.sqlite_engine(con)
        try:
            compared.append(check_scenario(scn, engine, seed=seed, ascii_case=engine_name == "sqlite"))
        finally:
            con.close()

    run()
    assert sum(compared) >= 60
    assert max(lists) > FLAT_CHAIN  # long chains were among them
