"""The audiencelang entry points the benchmark drives, found at run time.

Parts of the compiler land at different times; each accessor raises
:class:`bench.common.NotReady` when its part is missing, and the benchmark reports
that measurement as "not measured yet" instead of a number.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
from pathlib import Path
from typing import Any

from bench.common import NotReady

DIALECTS = ["duckdb", "postgres", "sqlite", "snowflake", "bigquery", "redshift",
            "databricks", "spark", "trino", "clickhouse"]


def _attr(module: str, name: str) -> Any:
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        raise NotReady(f"{module} not importable ({exc})") from None
    fn = getattr(mod, name, None)
    if fn is None:
        raise NotReady(f"{module}.{name} does not exist yet")
    return fn


def parse(text: str, path: str | None = None) -> Any:
    return _attr("audiencelang.syntax", "parse")(text, path=path)


def load_project(root: Path) -> Any:
    return _attr("audiencelang.project", "load_project")(root)


def check_project(project: Any) -> Any:
    return _attr("audiencelang.check", "check_project")(project)


def check_audience(project: Any, name: str, market: str) -> Any:
    """The CheckedAudience, or raise ValueError with the diagnostics."""
    out = _attr("audiencelang.check", "check_audience")(project, name, market)
    checked, diags = out if isinstance(out, tuple) else (out, [])
    if checked is None:
        raise ValueError(f"{name}/{market} does not check: " + "; ".join(str(d) for d in diags[:3]))
    return checked


def compiler() -> Any:
    """``compile_audience`` (raises NotReady when the SQL backend has not landed)."""
    return _attr("audiencelang.sql", "compile_audience")


def compile_sql(checked: Any, dialect: str, as_of: dt.datetime | None) -> str:
    fn = compiler()
    kwargs: dict[str, Any] = {"as_of": as_of}
    params = inspect.signature(fn).parameters
    if "destination" in params:
        kwargs["destination"] = None
    result = fn(checked, dialect, **kwargs)
    if isinstance(result, str):
        return result
    query = getattr(result, "query", result)
    sql = getattr(query, "sql", None)
    if callable(sql):
        sql = sql()
    if not isinstance(sql, str):
        diags = getattr(result, "diagnostics", None)
        raise ValueError(f"compile returned no SQL: {diags!r}")
    return sql


def evaluator() -> Any:
    return _attr("audiencelang.eval", "evaluate")
