"""Spec §8 on its edges, on every engine: each case is rows sitting exactly on one edge
(equal timestamps, a gap exactly equal to ``within`` and one microsecond over, a wait that
ends exactly at ``as_of`` and one that has not, an occurrence at ``as_of - N`` of ``more than
N ago``, ties with nulls at the first/last instant, midnight for distinct days). The compiled
SQL, compiled with and without ``as_of`` where the engine's clock allows, must return the
members the spec states (written here) and the reference evaluator agrees.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from audiencelang.check.checked import CheckedAudience
from audiencelang.eval import evaluate
from audiencelang.schema.market import Market
from audiencelang.syntax.parser import parse_bytes
from tests import engines
from tests.datagen import compile_sql

UTC = dt.UTC
US = dt.timedelta(microseconds=1)
AS_OF = dt.datetime(2024, 6, 15, 12, 0, tzinfo=UTC)
T = dt.datetime(2024, 6, 10, 8, 0, tzinfo=UTC)  # inside every window used below
H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)
ALMOST = dt.timedelta(seconds=59, microseconds=999999)  # SQLite's DATETIME rounds this up

MARKET = Market.model_validate({
    "market": "m",
    "profiles": {"table": "crm.people", "id": "id", "traits": {"since": {"column": "since", "type": "timestamp"}}},
    "events": {
        name: {"table": "web.events", "user": "uid", "time": "at", "where": {"column": "kind", "equals": name},
               "properties": {"s": {"column": "s", "type": "string"}, "v": {"column": "v", "type": "decimal"}}}
        for name in ("a", "b")
    },
}, strict=False)
COLUMNS = {"crm.people": {"id": "integer", "since": "timestamp"},
           "web.events": {"uid": "integer", "at": "timestamp", "kind": "string", "s": "string", "v": "decimal"}}


def ev(kind: str, at: dt.datetime, s: str | None = None) -> dict[str, Any]:
    return {"kind": kind, "at": at, "s": s}


#: (audience condition, {profile: its events}, the members the spec gives)
CASES: list[tuple[str, dict[int, list[dict[str, Any]]], set[int]]] = [
    ("performed a then b within 1 hour", {
        1: [ev("a", T), ev("b", T + H)],               # gap exactly within: in
        2: [ev("a", T), ev("b", T + H + US)],          # one microsecond over: out
        3: [ev("a", T), ev("b", T)],                   # same instant does not follow: out
        4: [ev("b", T), ev("a", T + US)],              # wrong order: out
        5: [ev("a", AS_OF - 10 * US), ev("b", AS_OF + US)],  # b after as_of: out
        6: [ev("a", T), ev("a", T + 2 * H), ev("b", T + 2 * H + H)],  # the later a: in
        7: [ev("a", T + ALMOST), ev("b", T + H + ALMOST)],  # exactly within, at .999999 s: in
        8: [ev("a", T + ALMOST - US), ev("b", T + H + ALMOST)],  # one microsecond over: out
    }, {1, 6, 7}),
    ("performed a then a within 1 hour", {
        1: [ev("a", T), ev("a", T)],                   # a tie is no sequence
        2: [ev("a", T), ev("a", T), ev("a", T + H)],
    }, {2}),
    ("performed a then b then a within 1 day", {
        1: [ev("a", T), ev("b", T), ev("a", T + H)],   # b not strictly after a
        2: [ev("a", T), ev("b", T + US), ev("a", T + US + D)],
        3: [ev("a", T), ev("b", T + US), ev("a", T + US)],
    }, {2}),
    ("performed a then not b within 1 day", {
        1: [ev("a", AS_OF - D)],                       # the wait ends exactly at as_of: in
        2: [ev("a", AS_OF - D + US)],                  # not yet over: out
        3: [ev("a", T), ev("b", T)],                   # same instant cancels: out
        4: [ev("a", T), ev("b", T + D)],               # exactly at the end of the wait: out
        5: [ev("a", T), ev("b", T + D + US)],          # after the wait: in
        6: [ev("a", T), ev("b", T + H), ev("a", T + 2 * H)],  # the second cart is abandoned: in
        7: [ev("b", T), ev("a", T + US)],              # b before a does not cancel: in
    }, {1, 5, 6, 7}),
    ("performed a then not b within 1 day in last 3 days", {
        1: [ev("a", AS_OF - 3 * D), ev("b", AS_OF - 3 * D + H)],   # cancelled by b
        2: [ev("a", AS_OF - 3 * D - US)],              # before the window
        3: [ev("a", AS_OF - 3 * D)],                   # on the window's bound
        4: [ev("a", AS_OF - 2 * D), ev("b", AS_OF + US)],  # b after as_of is never counted
    }, {3, 4}),
    ('first(a.s) = "x"', {
        1: [ev("a", T, "x"), ev("a", T, "y")],          # one at the first instant fails
        2: [ev("a", T, "x"), ev("a", T, "x"), ev("a", T + US, "y")],
        3: [ev("a", T, None), ev("a", T, "x")],         # null compares false
        4: [ev("b", T, "x")],
    }, {2}),
    ("last(a.s) is null", {
        1: [ev("a", T, "x"), ev("a", T + H, None)],
        2: [ev("a", T + H, "x"), ev("a", T + H, None)],
        3: [ev("a", T + H, None), ev("a", AS_OF + US, "x")],  # after as_of: not an occurrence
    }, {1, 3}),
    ("last performed a more than 3 days ago", {
        1: [ev("a", AS_OF - 3 * D)],                   # exactly N ago is not more than: out
        2: [ev("a", AS_OF - 3 * D - US)],
        3: [ev("a", AS_OF - 4 * D), ev("a", AS_OF - H)],
    }, {2}),
    ("first performed a in last 3 days", {
        1: [ev("a", AS_OF - 3 * D)],                   # on the bound: in
        2: [ev("a", AS_OF - 3 * D - US), ev("a", AS_OF - H)],  # earlier first: out
    }, {1}),
    ("performed a on at least 2 distinct days", {
        1: [ev("a", dt.datetime(2024, 6, 9, 23, 59, 59, 999999, tzinfo=UTC)), ev("a", dt.datetime(2024, 6, 10, tzinfo=UTC))],
        2: [ev("a", dt.datetime(2024, 6, 10, tzinfo=UTC)), ev("a", dt.datetime(2024, 6, 10, 23, 59, 59, 999999, tzinfo=UTC))],
    }, {1}),
    ("since more than 1 year ago", {}, {11}),
]
PEOPLE = [{"id": 10, "since": AS_OF - dt.timedelta(days=365)}, {"id": 11, "since": AS_OF - dt.timedelta(days=365) - US}]


def _data(events: dict[int, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    people = [{"id": pid, "since": None} for pid in range(1, 10)] + PEOPLE
    rows = [{"uid": pid, "v": None, **e} for pid, es in events.items() for e in es]
    return {"crm.people": people, "web.events": rows}


def _checked(condition: str) -> CheckedAudience:
    res = parse_bytes(f"audience a {{ include {condition} }}".encode())
    assert res.file is not None and not res.diagnostics, res.diagnostics
    aud = res.file.audiences[0]
    return CheckedAudience("a", aud, MARKET, None, {"a": aud}, {})


SESSIONS: dict[str, list[str]] = {
    "duckdb": ["SET TimeZone = 'Pacific/Kiritimati'"],
    "postgres": ["SET TimeZone = 'Pacific/Kiritimati'", "SET standard_conforming_strings = off"],
    "mysql": ["SET time_zone = '+13:00'"],
}


@pytest.mark.parametrize("case", range(len(CASES)), ids=[c[0] for c in CASES])
def test_over_time_edges(engine: engines.Engine, case: int) -> None:
    condition, events, members = CASES[case]
    data = _data(events)
    checked = _checked(condition)
    assert evaluate(checked, data, as_of=AS_OF) == members  # the evaluator reads the spec alike
    for table, cols in COLUMNS.items():
        engine.load(table, cols, data[table])
    for stmt in SESSIONS.get(engine.name, []):
        engine.query(stmt)
    got = {r[0] for r in engine.query(compile_sql(checked, engine.dialect, AS_OF))}
    assert got == members, (condition, engine.name)
