"""The physical-planning step (audiencelang.sql.physical) is the only reader of the
dialects' strategy flags, and the builder writes exactly what its decisions say."""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
from pathlib import Path

from audiencelang.project import load_project
from audiencelang.sql import DIALECTS, compile
from audiencelang.sql.build import build_statement
from audiencelang.sql.physical import decide
from tests.engines import samples

REPO = Path(__file__).resolve().parent.parent
AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
STRATEGY_FLAGS = {"split_scans", "inner_joins", "fence_joins", "semi_join_exists", "semi_join_scans",
                  "packed_facts", "filter_aggregates", "asof_sequences", "window_passes"}


def test_only_physical_reads_strategy_flags() -> None:
    readers = []
    for path in sorted((REPO / "audiencelang").rglob("*.py")):
        if path.name in ("physical.py", "dialects.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in STRATEGY_FLAGS:
                readers.append(f"{path.relative_to(REPO)}:{node.lineno} .{node.attr}")
    assert readers == []


def test_explain_strategy_is_the_decisions() -> None:
    project = load_project(REPO / "examples")
    for name in sorted(project.audiences()):
        for market in sorted(project.markets):
            for dialect in ("duckdb", "postgres", "sqlite"):
                res = compile(project, name, market, dialect, as_of=AS_OF)
                if dialect == "sqlite" and samples(project, name):
                    assert res.query is None and [d.code for d in res.diagnostics] == ["E520"]
                    continue
                assert res.query is not None
                assert res.query.strategy == decide(res.query.plan, DIALECTS[dialect]).strategy(res.query.plan)


def test_builder_writes_the_decisions_it_is_given() -> None:
    """PostgreSQL's decisions fence the joins (``OFFSET 0``); the same plan written with
    the decisions of a profile without the fence has none: the builder follows the
    decisions, not the dialect's flags."""
    project = load_project(REPO / "examples")
    name = sorted(project.audiences())[0]
    market = sorted(project.markets)[0]
    res = compile(project, name, market, "postgres", as_of=AS_OF)
    assert res.query is not None
    pg = DIALECTS["postgres"]
    fenced = build_statement(res.query.plan, pg).sql(dialect="postgres")
    unfenced = build_statement(res.query.plan, pg,
                               decide(res.query.plan, dataclasses.replace(pg, fence_joins=False)))
    assert "OFFSET 0" in fenced
    assert "OFFSET 0" not in unfenced.sql(dialect="postgres")
