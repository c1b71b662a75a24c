"""Large audiences compile to SQL whose cost stays linear (docs/performance.md, "Large
audiences"): `=`/`in` chains over one field become one list; long chains of other tests
are written as balanced trees that SQLite (expression depth limit 1,000) accepts."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import duckdb
import pytest

from audiencelang.project import load_project
from audiencelang.sql import compile as compile_audience
from audiencelang.syntax import parse
from audiencelang.syntax.parser import MAX_CONDITIONS, MAX_LIST_VALUES
from tests import engines

AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
MARKET = """\
market: m
profiles:
  table: crm.kunden
  id: id
  traits:
    country: {column: country, type: string}
    age: {column: age, type: integer}
events:
  visit:
    table: web.visits
    user: uid
    time: t
    properties:
      page: {column: page, type: string}
"""
N = 3000


def project(root: Path, include: str) -> Path:
    (root / "markets").mkdir(parents=True)
    (root / "audiences").mkdir()
    (root / "audiencelang.toml").write_text("")
    (root / "markets" / "m.yaml").write_text(MARKET)
    (root / "audiences" / "a.aud").write_text(
        f'audience big {{\n  owner "t@x"\n  description "t"\n  include {include}\n}}\n')
    return root


def compiled(root: Path, dialect: str) -> str:
    result = compile_audience(load_project(root), "big", "m", dialect, as_of=AS_OF)
    assert result.query is not None, result.diagnostics
    return result.query.sql


def load(engine: engines.Engine) -> None:
    engine.load("crm.kunden", {"id": "integer", "country": "string", "age": "integer"},
                [{"id": i, "country": f"C{i * 7}", "age": i % 90} for i in range(1, 2001)])
    engine.load("web.visits", {"uid": "integer", "t": "timestamp", "page": "string"},
                [{"uid": i, "t": dt.datetime(2026, 10, 1, 12), "page": f"P{i * 3}"} for i in range(1, 2001)])


def run_on(dialect: str, sql: str) -> set[int]:
    if dialect == "duckdb":
        con: object = duckdb.connect(":memory:")
        engine = engines.duckdb_engine(con)
    else:
        con = sqlite3.connect(":memory:")
        engine = engines.sqlite_engine(con)
    try:
        load(engine)
        return {int(r[0]) for r in engine.query(sql)}
    finally:
        con.close()  # type: ignore[attr-defined]


@pytest.mark.parametrize("dialect", ["duckdb", "sqlite", "postgres", "snowflake", "bigquery"])
@pytest.mark.parametrize("where", ["trait", "event"])
def test_an_or_chain_of_equalities_is_one_list(tmp_path: Path, dialect: str, where: str) -> None:
    if where == "trait":
        include = " or ".join(f'country = "C{i}"' for i in range(N)) + ' or country in ["X", "C0"]'
    else:
        include = "performed visit where (" + " or ".join(f'page = "P{i}"' for i in range(N)) + ")"
    sql = compiled(project(tmp_path, include), dialect)
    assert sql.count(" IN (") == 1 and " OR " not in sql
    assert sql.count("'C17'" if where == "trait" else "'P17'") == 1


@pytest.mark.parametrize("dialect", ["duckdb", "sqlite", "postgres"])
def test_an_and_chain_of_inequalities_is_one_list(tmp_path: Path, dialect: str) -> None:
    include = " and ".join(f'country != "C{i}"' for i in range(N)) + ' and country not in ["X"]'
    sql = compiled(project(tmp_path, include), dialect)
    assert sql.count(" IN (") == 1 and sql.count("'C17'") == 1
    if dialect != "postgres":
        assert run_on(dialect, sql) == {i for i in range(1, 2001) if i * 7 >= N}


@pytest.mark.parametrize("dialect", ["duckdb", "sqlite"])
@pytest.mark.parametrize("where", ["trait", "event"])
def test_long_chains_return_the_right_members(tmp_path: Path, dialect: str, where: str) -> None:
    if where == "trait":  # equalities (one list) mixed with range tests (a balanced tree)
        include = " or ".join(f'country = "C{i}"' if i % 2 else f"age > {89 - i // 100}" for i in range(N))
        expected = {i for i in range(1, 2001) if (i * 7 < N and (i * 7) % 2 == 1) or i % 90 > 89 - (N - 2) // 100}
    else:
        include = "performed visit where (" + " or ".join(
            f'page = "P{i}"' if i % 2 else f'page ends with "{i}"' for i in range(N)) + ")"
        expected = {i for i in range(1, 2001)
                    if any((j % 2 and f"P{i * 3}" == f"P{j}") or (not j % 2 and f"P{i * 3}".endswith(str(j)))
                           for j in range(N))}
    sql = compiled(project(tmp_path, include), dialect)
    assert run_on(dialect, sql) == expected


@pytest.mark.parametrize(("include", "code"), [
    (" or ".join(f"age > {i}" for i in range(MAX_CONDITIONS)), None),
    (" or ".join(f"age > {i}" for i in range(MAX_CONDITIONS + 1)), "E121"),
    ("country in [" + ", ".join(f'"C{i}"' for i in range(MAX_LIST_VALUES)) + "]", None),
    ("country in [" + ", ".join(f'"C{i}"' for i in range(MAX_LIST_VALUES + 1)) + "]", "E121"),
])
def test_size_limits(include: str, code: str | None) -> None:
    result = parse(f"audience big {{\n  include {include}\n}}\n", "a.aud")
    assert [d.code for d in result.diagnostics] == ([code] if code else [])
    assert (result.file is None) == (code is not None)
    if code:
        d = result.diagnostics[0]
        assert d.span is not None and d.span.line == 2 and "split the audience" in d.hints[0]
