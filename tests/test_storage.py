"""How the warehouse stores the data must never change the answer silently (issue 11, 4-6).

* repeated profile ids: one member row per id, on every engine, and the gate counts people;
* physical column types that do not fit the market schema: ``run`` refuses them by name
  (``audiencelang.run.columns``) or, where the conversion is exact, runs;
* time columns stored as ``timestamptz`` (DuckDB, PostgreSQL, any session time zone) and
  SQLite text timestamps in each accepted form: exact at ``as_of`` and 1 µs either side.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path
from typing import Any

import pytest

from audiencelang.check import check_audience
from audiencelang.project import Project, load_project
from audiencelang.sql import compile_audience
from tests import engines

AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)

MARKET = """\
market: m
profiles:
  table: people
  id: pid
  traits:
    age:   {column: age, type: integer}
    email: {column: email, type: string}
    vip:   {column: vip, type: boolean}
    seen:  {column: seen, type: timestamp}
events:
  visit:
    table: visits
    user: uid
    time: ts
    properties:
      amount: {column: amount, type: decimal}
"""

CONFIG = """\
audiences = ["audiences"]
markets = ["markets"]

[destinations.d]
min_size = 3
identifier = "email"

[destinations.d4]
min_size = 4
identifier = "email"
"""

PEOPLE = {"pid": "integer", "age": "integer", "email": "string", "vip": "boolean", "seen": "timestamp"}
VISITS = {"uid": "integer", "ts": "timestamp", "amount": "decimal"}


def make_project(root: Path, audiences: dict[str, str]) -> Project:
    (root / "markets").mkdir(parents=True, exist_ok=True)
    (root / "audiences").mkdir(exist_ok=True)
    (root / "audiencelang.toml").write_text(CONFIG)
    (root / "markets" / "m.yaml").write_text(MARKET)
    for name, body in audiences.items():
        (root / "audiences" / f"{name}.aud").write_text(
            f'audience {name} {{\n  owner "t"\n  description "t"\n{textwrap.indent(body, "  ")}\n}}\n')
    return load_project(root)


def compiled(project: Project, name: str, dialect: str, *, destination: str | None = None,
             as_of: dt.datetime | None = AS_OF) -> str:
    checked, diags = check_audience(project, name, "m")
    assert checked is not None, [d.message for d in diags]
    result = compile_audience(checked, dialect, as_of=as_of, destination=destination)
    assert result.query is not None, [d.message for d in result.diagnostics]
    return str(result.query.sql)


# --------------------------------------------------------------------------- 6. repeated ids


def test_repeated_profile_ids_are_one_member_and_the_gate_counts_people(
        engine: engines.Engine, tmp_path: Path) -> None:
    """Three people, one of them in three profile rows (two qualify): each id comes back once,
    a gate of 3 delivers three rows, and a gate of 4 is held (before: 4 rows, delivered)."""
    project = make_project(tmp_path, {"adults": "include age >= 18\nactivate d\nactivate d4"})
    engine.load("people", PEOPLE, [
        {"pid": 1, "age": 30, "email": "a@x"},
        {"pid": 1, "age": 31, "email": "a@x"},
        {"pid": 1, "age": 5, "email": "0@x"},   # does not qualify: not its identifier
        {"pid": 2, "age": 40, "email": "c@x"},
        {"pid": 3, "age": 10, "email": "d@x"},
        {"pid": 4, "age": 50, "email": "e@x"},
    ])
    engine.load("visits", VISITS, [])
    assert sorted(r[0] for r in engine.query(compiled(project, "adults", engine.dialect))) == [1, 2, 4]
    rows = engine.query(compiled(project, "adults", engine.dialect, destination="d"))
    assert sorted(rows) == [(1, "a@x"), (2, "c@x"), (4, "e@x")]
    assert engine.query(compiled(project, "adults", engine.dialect, destination="d4")) == []
