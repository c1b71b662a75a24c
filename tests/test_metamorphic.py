"""Metamorphic properties of the compiled SQL on DuckDB (and of the evaluator).

No oracle needed: relations between the results of related inputs must hold.

* adding an exclusion never grows an audience;
* adding a later denial never grows a consent-gated audience;
* shifting all data, all time literals and ``as_of`` by the same whole number of
  days changes nothing;
* ``include X exclude Y`` = members(X) - members(Y).
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from audiencelang import ast
from audiencelang.eval import evaluate
from tests import engines
from tests.datagen import Scenario, compile_sql, member_ids, scenarios

SETTINGS = settings(max_examples=12, deadline=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _members(scn: Scenario, aud: ast.Audience, data: dict[str, list[dict[str, Any]]] | None = None,
             as_of: dt.datetime | None = None) -> set[Any]:
    """Members by the compiled SQL on a fresh DuckDB, checked against the evaluator too."""
    data = scn.data if data is None else data
    as_of = scn.as_of if as_of is None else as_of
    checked = scn.checked(aud)
    con = duckdb.connect(":memory:")
    try:
        eng = engines.duckdb_engine(con)
        for table, cols in scn.columns.items():
            eng.load(table, cols, data.get(table, []))
        got = member_ids(eng.query(compile_sql(checked, "duckdb", as_of)))
    finally:
        con.close()
    assert got == evaluate(checked, data, as_of=as_of)
    return got


def test_adding_an_exclusion_never_grows() -> None:
    @SETTINGS
    @given(scenarios(n_audiences=4), st.data())
    def run(scn: Scenario, data: st.DataObject) -> None:
        base, other = scn.audiences[0], scn.audiences[1]
        extra = other.include
        assert extra is not None
        exclude = extra if base.exclude is None else ast.Or(items=(base.exclude, extra))
        narrowed = base.model_copy(update={"exclude": exclude})
        assert _members(scn, narrowed) <= _members(scn, base)

    run()


def test_a_later_denial_never_grows_a_consent_gated_audience() -> None:
    @SETTINGS
    @given(scenarios(n_audiences=2), st.data())
    def run(scn: Scenario, data: st.DataObject) -> None:
        consent = scn.market.consent
        assert consent is not None
        purpose = data.draw(st.sampled_from(sorted(consent.purposes)))
        aud = scn.audiences[0].model_copy(update={
            "require_consent": (ast.RequireConsent(purposes=(ast.Name(value=purpose),)),)})
        before = _members(scn, aud)
        prof = scn.market.profiles
        ids = [r[prof.id] for r in scn.data[prof.table] if r[prof.id] is not None]
        who = data.draw(st.sampled_from(ids))
        times = [r[consent.time] for r in scn.data[consent.table]
                 if r[consent.user] == who and r[consent.time] is not None]
        later = max([*times, scn.as_of - dt.timedelta(days=1)]) + dt.timedelta(
            microseconds=data.draw(st.sampled_from([0, 1, 3_600_000_000])))
        status = data.draw(st.sampled_from([consent.statuses.denied, consent.statuses.revoked]))
        denied = copy.deepcopy(scn.data)
        denied[consent.table].append({consent.user: who, consent.purpose: consent.purposes[purpose].value,
                                      consent.status: status, consent.time: later, consent.confirmed: None})
        after = _members(scn, aud, denied)
        assert after <= before
        if later <= scn.as_of:  # the denial is now the latest row (or ties with it, and wins)
            assert who not in after

    run()


def _shift_value(v: Any, delta: dt.timedelta) -> Any:
    if isinstance(v, dt.date):  # datetime included
        return v + delta
    return v


def _shift_ast(node: Any, delta: dt.timedelta) -> Any:
    if isinstance(node, ast.DateLit | ast.TimestampLit):
        return node.model_copy(update={"value": node.value + delta})
    if isinstance(node, BaseModel):
        updates = {name: _shift_ast(getattr(node, name), delta) for name in type(node).model_fields}
        return node.model_copy(update=updates)
    if isinstance(node, tuple):
        return tuple(_shift_ast(x, delta) for x in node)
    return node


def test_shifting_data_literals_and_as_of_together_changes_nothing() -> None:
    @SETTINGS
    @given(scenarios(n_audiences=3), st.sampled_from([-400, -1, 1, 29, 366]))
    def run(scn: Scenario, days: int) -> None:
        delta = dt.timedelta(days=days)
        shifted_data = {t: [{c: _shift_value(v, delta) for c, v in r.items()} for r in rows]
                        for t, rows in scn.data.items()}
        shifted = Scenario(scn.market, scn.columns, shifted_data, scn.as_of + delta,
                           refs={k: _shift_ast(a, delta) for k, a in scn.refs.items()})
        for aud in scn.audiences:
            assert _members(shifted, _shift_ast(aud, delta)) == _members(scn, aud)

    run()


def test_include_x_exclude_y_is_a_set_difference() -> None:
    @SETTINGS
    @given(scenarios(n_audiences=2))
    def run(scn: Scenario) -> None:
        x, y = (a.model_copy(update={"exclude": None, "require_consent": ()}) for a in scn.audiences)
        assert y.include is not None
        both = x.model_copy(update={"exclude": y.include})
        assert _members(scn, both) == _members(scn, x) - _members(scn, y)

    run()
