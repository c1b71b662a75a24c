"""A reference implied by a sibling condition is not computed (audiencelang.sql.lower,
``without_implied``): ``in audience buyers and performed purchase where channel = "app" at
least 2 times in last 90 days`` reads 90 days of app orders, not all history for
``buyers``. Same members, on every engine; and references that are not implied stay."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from tests import engines
from tests.test_storage import AS_OF, PEOPLE, VISITS, compiled, make_project

BUYERS = "include performed visit"
IMPLIED = {
    "app": 'include in audience buyers and performed visit where amount > 1 at least 2 times in last 90 days',
    "nested": 'include age >= 18 and (in audience buyers and performed visit exactly 1 time in last 30 days)',
    "window": 'include in audience recent and performed visit where amount > 1 in last 30 days',
}
KEPT = {
    "at_most": "include in audience buyers and performed visit at most 2 times in last 90 days",
    "other_where": "include in audience big and performed visit in last 90 days",
    "wider": "include in audience recent and performed visit in last 90 days",
    "excluding": "include in audience buyers_not_kids and performed visit in last 90 days",
}
HELPERS = {
    "buyers": BUYERS,
    "recent": "include performed visit in last 30 days",
    "big": "include performed visit where amount > 5",
    "buyers_not_kids": "include performed visit\nexclude age < 10",
}
DAY = dt.timedelta(days=1)


def _visits() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for uid, ages in ((1, [1, 2]), (2, [5]), (3, [100, 200]), (4, [10, 40, 95]), (5, [20, 50])):
        for days in ages:
            rows.append({"uid": uid, "ts": AS_OF - days * DAY, "amount": Decimal(2 if uid != 5 else 9)})
    rows.append({"uid": 6, "ts": AS_OF + DAY, "amount": Decimal(2)})  # after as_of: never counted
    return rows


def test_an_implied_reference_is_not_computed_and_the_members_stay(
        engine: engines.Engine, tmp_path: Path) -> None:
    project = make_project(tmp_path, {**HELPERS, **IMPLIED, **KEPT})
    engine.load("people", PEOPLE, [{"pid": i, "age": 5 if i == 4 else 30} for i in range(1, 8)])
    engine.load("visits", VISITS, _visits())
    expected = {"app": [1, 4, 5], "nested": [2, 5], "window": [1, 2, 4, 5], "at_most": [1, 2, 3, 4, 5],
                "other_where": [5], "wider": [1, 2, 4, 5], "excluding": [1, 2, 5]}
    for name, members in expected.items():
        sql = compiled(project, name, engine.dialect)
        assert sorted(r[0] for r in engine.query(sql)) == members, name
        reference = {"app": "in_buyers", "nested": "in_buyers", "window": "in_recent", "at_most": "in_buyers",
                     "other_where": "in_big", "wider": "in_recent", "excluding": "in_buyers_not_kids"}[name]
        assert (reference in sql) == (name in KEPT), name


@pytest.mark.parametrize("name", sorted(IMPLIED))
def test_the_evaluator_agrees(name: str, tmp_path: Path) -> None:
    """The reference semantics still evaluate the reference: same members as the SQL above."""
    from audiencelang.check import check_audience
    from audiencelang.eval import evaluate

    project = make_project(tmp_path, {**HELPERS, **IMPLIED})
    checked, _ = check_audience(project, name, "m")
    assert checked is not None
    data = {"people": [{"pid": i, "age": 5 if i == 4 else 30} for i in range(1, 8)], "visits": _visits()}
    got = evaluate(checked, data, as_of=AS_OF)
    expected = {"app": [1, 4, 5], "nested": [2, 5], "window": [1, 2, 4, 5]}[name]
    assert sorted(got) == expected
