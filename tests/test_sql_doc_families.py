"""docs/sql.md shows one audience compiled per dialect family: those blocks must be current."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from audiencelang.project import load_project
from audiencelang.sql import compile as compile_audience

REPO = Path(__file__).resolve().parent.parent
HEADER = re.compile(r"^-- audience gmail_buyers \| market de \| dialect (\w+) ")


def test_dialect_family_examples_are_what_compile_prints() -> None:
    blocks = re.findall(r"```sql\n(.*?)```", (REPO / "docs" / "sql.md").read_text(encoding="utf-8"), re.S)
    shown = {m.group(1): b for b in blocks if (m := HEADER.match(b))}
    assert set(shown) == {"duckdb", "postgres", "bigquery", "spark", "clickhouse", "tsql"}
    project = load_project(REPO / "tests" / "fixtures" / "sqldoc")
    as_of = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    for dialect, text in shown.items():
        result = compile_audience(project, "gmail_buyers", "de", dialect, as_of=as_of)
        assert result.query is not None, result.diagnostics
        assert result.query.sql.rstrip() == text.rstrip(), f"docs/sql.md is stale for {dialect}"
