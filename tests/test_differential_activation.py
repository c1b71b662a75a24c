"""Spec §11 on real engines: a destination with an ``identifier`` delivers only members
whose identifier is not null and who are in none of its suppression audiences, and only
they count toward its gate.

For generated audiences and data (tests/datagen.py, whose traits hold NULLs), the statement
compiled for a destination equals :func:`audiencelang.eval.members_for_destination` with the
gate at the matchable count minus one, at it and above it; the ``counts`` statement (run's
report) equals the evaluator's members and matchable members; the ``deliverable`` statement
(deliver's) flags exactly the ungated list. DuckDB, SQLite, PostgreSQL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings

from audiencelang import ast
from tests import engines
from tests.datagen import Scenario, scenarios

SETTINGS = settings(max_examples=10, deadline=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


def _compile(checked: Any, dialect: str, scn: Scenario, mode: str) -> str:
    from audiencelang.sql import compile_audience

    res = compile_audience(checked, dialect, as_of=scn.as_of, destination="dest", mode=mode)  # type: ignore[arg-type]
    assert res.query is not None, res.diagnostics
    return res.query.sql


def check_destinations(scn: Scenario, eng: engines.Engine, *,
                       ascii_case: bool = False) -> tuple[int, int, int]:
    """Compare every audience of ``scn`` for a destination (two of three with another
    generated audience as its suppression list); returns (statements compared, members
    without identifier seen, members suppressed seen)."""
    from audiencelang.check.checked import CheckedAudience
    from audiencelang.eval import evaluate, members_for_destination
    from audiencelang.schema.config import Destination

    compared = unmatched = suppressed = 0
    for i, aud in enumerate(scn.audiences):
        # the next generated audience (if any) is this destination's suppression list (§11)
        others = [x for x in scn.audiences if x.name.value != aud.name.value]
        supp = others[i % len(others)] if others and i % 3 != 2 else None

        def checked_for(own: int | None, dest_min: int, aud: ast.Audience = aud,
                        supp: ast.Audience | None = supp, with_supp: bool = True) -> CheckedAudience:
            a = aud.model_copy(update={
                "min_size": ast.NumberLit(value=Decimal(own)) if own is not None else None,
                "activate": (ast.Activate(destination=ast.Name(value="dest")),)})
            extra = {supp.name.value: supp} if supp is not None and with_supp else {}
            return CheckedAudience(a.name.value, a, scn.market, None, {**scn.refs, **extra, a.name.value: a},
                                   {"dest": Destination(min_size=dest_min, identifier="t_string")},
                                   suppress={"dest": tuple(extra)} if extra else {})

        open_ = checked_for(None, 0)
        members = len(evaluate(open_, scn.data, as_of=scn.as_of, ascii_case_folding=ascii_case))
        matchable = len(members_for_destination(checked_for(None, 0, with_supp=False), scn.data, "dest",
                                                as_of=scn.as_of, ascii_case_folding=ascii_case))
        deliverable = len(members_for_destination(open_, scn.data, "dest", as_of=scn.as_of,
                                                  ascii_case_folding=ascii_case))
        unmatched += members - matchable
        suppressed += matchable - deliverable
        counts = eng.query(_compile(open_, eng.dialect, scn, "counts"))
        assert [tuple(int(v) for v in r) for r in counts] == [(members, matchable, deliverable)], \
            _compile(open_, eng.dialect, scn, "counts")
        compared += 1
        # deliver's statement (mode "deliverable"): every member once, the flag set exactly
        # for the ungated list the destination is handed
        sql = _compile(open_, eng.dialect, scn, "deliverable")
        rows = eng.query(sql)
        assert len(rows) == members, sql
        handed = sorted(((r[0], r[1]) for r in rows if int(r[2]) == 1), key=lambda r: repr(r[0]))
        expected_list = members_for_destination(open_, scn.data, "dest", as_of=scn.as_of,
                                                ascii_case_folding=ascii_case)
        assert handed == expected_list, scn.reproducer(open_.audience, sql, eng.dialect, handed, expected_list)
        matchable = deliverable  # the gate counts these
        for own, dest_min in ((None, matchable), (matchable + 1, 0), (max(matchable - 1, 0), matchable + 1),
                              (matchable, matchable), (None, max(matchable - 1, 0))):
            checked = checked_for(own, dest_min)
            sql = _compile(checked, eng.dialect, scn, "members")
            got = sorted(eng.query(sql), key=lambda r: repr(r[0]))
            expected = members_for_destination(checked, scn.data, "dest", as_of=scn.as_of,
                                               ascii_case_folding=ascii_case)
            assert got == expected, scn.reproducer(checked.audience, sql, eng.dialect, got, expected)
            compared += 1
    return compared, unmatched, suppressed


def _run(make: Callable[[], tuple[engines.Engine, Callable[[], None]]], ascii_case: bool = False,
         samples: bool = True) -> None:
    totals = [0, 0, 0]

    @settings(SETTINGS)
    @given(scenarios(n_audiences=3, samples=samples))
    def run(scn: Scenario) -> None:
        eng, close = make()
        try:
            scn.load(eng)
            c, u, s = check_destinations(scn, eng, ascii_case=ascii_case)
            totals[0] += c
            totals[1] += u
            totals[2] += s
        finally:
            close()

    run()
    assert totals[0] >= 100
    assert totals[1] > 0, "no generated member lacked an identifier: the filter was not exercised"
    assert totals[2] > 0, "no generated member was suppressed: suppression was not exercised"


def test_duckdb_matchable_gates_match_the_evaluator() -> None:
    def make() -> tuple[engines.Engine, Callable[[], None]]:
        con = duckdb.connect(":memory:")
        return engines.duckdb_engine(con), con.close
    _run(make)


def test_sqlite_matchable_gates_match_the_evaluator() -> None:
    def make() -> tuple[engines.Engine, Callable[[], None]]:
        con = sqlite3.connect(":memory:")
        return engines.sqlite_engine(con), con.close
    _run(make, ascii_case=True, samples=False)  # SQLite has no MD5: 'in sample' is E520 there


@pytest.mark.postgres
def test_postgres_matchable_gates_match_the_evaluator(pg_connection: Any) -> None:
    from tests.test_differential_engines import _pg_reset

    def make() -> tuple[engines.Engine, Callable[[], None]]:
        _pg_reset(pg_connection)
        return engines.postgres_engine(pg_connection), lambda: None
    _run(make)
