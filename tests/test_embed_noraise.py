"""Embedding: no public function raises for a user's problem (issue 16 item 3).

Every function of ``audiencelang.__all__`` that is documented as returning diagnostics
(and the documented API of docs/api.md) is called with a corpus of bad arguments, one
argument at a time; no exception may escape and the result must carry an error.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

import audiencelang
import audiencelang.sql as sql
from audiencelang.project import Project, load_project
from audiencelang.run.engines import connect
from audiencelang.run.execute import RunResult, run_all, run_audience
from audiencelang.run.warehouse import EngineResult, market_engine, open_engine

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)

#: The one public function documented as raising (docs/api.md, "Errors: nothing raises"): sample_bucket
#: is a pure value function like hashlib.md5, and a wrong Python type is TypeError. The raising forms
#: format_str, evaluate, explain and run.connect are outside __all__ (their non-raising forms are in it:
#: format_source, evaluate_members, explain_member, run.open_engine); classes are constructors.
RAISING = {"sample_bucket"}


@pytest.fixture(scope="module")
def project() -> Project:
    return load_project(EXAMPLES)


def _bad_values(project: Project) -> list[object]:
    closed = connect(":memory:")
    closed.close()
    return [None, "", "no such thing", 3, -1, 1.5, True, b"\xff\xfe", [], {}, ("a", 1), "2026-11-01",
            dt.date(2026, 11, 1), object(), closed, duckdb.connect(), project, Path("/nonexistent/x.aud"),
            "x" * 10_000, "\0"]


def _good(project: Project, engine: Any) -> dict[str, object]:
    checked, _ = audiencelang.check_audience(project, "cart_abandoners", "de")
    return {"project": project, "audience": "cart_abandoners", "market": "de", "dialect": "duckdb", "name":
            "cart_abandoners", "text": 'audience a {\n  include country = "DE"\n}\n', "data": b"audience a {}",
            "path": "a.aud", "checked": checked, "engine": engine, "node": None, "file": None,
            "target": ":memory:", "profile_id": 1, "salt": "s", "member_id": 1}


def _functions() -> Iterator[tuple[str, Callable[..., Any]]]:
    for name in audiencelang.__all__:
        obj = getattr(audiencelang, name)
        if callable(obj) and not isinstance(obj, type) and name not in RAISING:
            yield name, obj
    yield "sql.parse_as_of", sql.parse_as_of
    yield "run.run_audience", run_audience
    yield "run.run_all", run_all
    yield "run.open_engine", open_engine
    yield "run.market_engine", market_engine


def _fits_default(value: object, param: inspect.Parameter) -> bool:
    return value is None or isinstance(value, (str, list, dict, tuple, Path))


def _has_error(result: object) -> bool:
    if result is None:  # parse_as_of's "not a time"
        return True
    if isinstance(result, tuple):
        return any(_has_error(r) for r in result)
    if isinstance(result, list):
        return any(_has_error(r) for r in result) if result and not hasattr(result[0], "code") else any(
            getattr(d, "is_error", False) for d in result)
    if isinstance(result, Project):
        return any(d.is_error for d in result.diagnostics)
    if isinstance(result, RunResult):
        return result.status != "ok"
    if isinstance(result, EngineResult):
        if result.engine is not None:
            result.engine.close()
        return not result.ok
    if isinstance(result, dict):
        return bool(result.get("diagnostics"))
    diags = getattr(result, "diagnostics", None)
    return diags is not None and any(d.is_error for d in diags)


def test_the_function_list_is_the_public_api() -> None:
    names = {n for n, _ in _functions()}
    assert {"parse", "parse_file", "load_project", "project_from_sources", "check_project", "check_audience",
            "compile_sql", "compile", "compile_audience", "format_source", "format_tree", "tree_from_json",
            "validate_tree"} <= names


@pytest.mark.parametrize(("name", "func"), list(_functions()), ids=[n for n, _ in _functions()])
def test_bad_arguments_come_back_as_diagnostics(name: str, func: Callable[..., Any], project: Project) -> None:
    with connect(":memory:") as engine:
        good = _good(project, engine)
        sig = inspect.signature(func)
        params = [p for p in sig.parameters.values() if p.kind is not p.VAR_KEYWORD and p.kind is not p.VAR_POSITIONAL]
        for bad in _bad_values(project):
            for target in params:
                kwargs = {p.name: good.get(p.name) for p in params if p.default is p.empty}
                if any(v is None for v in kwargs.values()) and target.name not in kwargs:
                    continue
                kwargs[target.name] = bad
                if kwargs == {p: good.get(p) for p in kwargs}:
                    continue
                try:
                    result = func(**kwargs)
                except Exception as exc:  # pragma: no cover - the failure message says which call
                    pytest.fail(f"{name}({target.name}={bad!r:.60}) raised {type(exc).__name__}: {exc}")
                named = target.name in ("audience", "market", "dialect", "name") and bad in ("", "no such thing")
                if isinstance(bad, type(good.get(target.name))) and not named:
                    continue  # a value of the right type: the function decides; it must not raise
                if target.name == "engine" and bad is None:
                    continue  # engine=None: the market's own warehouse (docs/markets.md); it may exist
                if target.default is not inspect.Parameter.empty and not (
                        target.name in ("as_of", "engine") or not _fits_default(bad, target)):
                    continue  # an optional argument: it must not raise, its value may be fine
                assert _has_error(result), f"{name}({target.name}={bad!r:.60}) gave no error: {result!r:.200}"


@pytest.mark.parametrize("as_of", ["2026-11-01", dt.date(2026, 11, 1), 1_700_000_000, "now"])
def test_a_string_or_date_as_of_is_e903(project: Project, as_of: object) -> None:
    result = audiencelang.compile_sql(project, "cart_abandoners", "de", "duckdb", as_of=as_of)  # type: ignore[arg-type]
    assert result.query is None and [d.code for d in result.diagnostics] == ["E903"]
    assert "parse_as_of" in result.diagnostics[0].hints[0]
    with connect(":memory:") as engine:
        run = run_audience(project, "cart_abandoners", "de", engine=engine, as_of=as_of)  # type: ignore[arg-type]
    assert run.status == "not_run" and [d.code for d in run.diagnostics] == ["E903"]


def test_an_unknown_output_suffix_is_a_diagnostic(project: Project, tmp_path: Path) -> None:
    with connect(":memory:") as engine:
        r = run_audience(project, "cart_abandoners", "de", engine=engine, as_of=AS_OF, output=tmp_path / "m.json")
    assert r.status == "not_run" and [d.code for d in r.diagnostics] == ["E613"]
    assert ".csv or .parquet" in r.diagnostics[0].message and not (tmp_path / "m.json").exists()


def test_sample_bucket_is_a_value_function_raising_type_error() -> None:
    """Documented in docs/api.md: like hashlib, sample_bucket raises TypeError for a wrong Python type."""
    assert audiencelang.sample_bucket("q4_holdout", 42) == 8135
    for salt, member in ((None, 1), ("s", None), ("s", True), ("s", 1.5), (b"s", 1)):
        with pytest.raises(TypeError):
            audiencelang.sample_bucket(salt, member)  # type: ignore[arg-type]


def test_raising_forms_are_outside_the_public_list() -> None:
    assert not {"format_str", "evaluate", "explain"} & set(audiencelang.__all__)
    assert {"format_source", "evaluate_members", "explain_member"} <= set(audiencelang.__all__)
    result = open_engine("nosuchscheme://x")
    assert result.engine is None and [d.code for d in result.diagnostics] == ["E603"]
    assert audiencelang.format_source("audience a {").text is None


def test_a_closed_or_foreign_connection_is_a_diagnostic(project: Project) -> None:
    closed = connect(":memory:")
    closed.close()
    for engine in (closed, duckdb.connect(), "duckdb:///x.duckdb"):
        r = run_audience(project, "cart_abandoners", "de", engine=engine, as_of=AS_OF)  # type: ignore[arg-type]
        assert r.status != "ok" and r.diagnostics and r.diagnostics[0].is_error, engine
        results = run_all(project, engine=engine)  # type: ignore[arg-type]
        assert results and all(x.status != "ok" and x.diagnostics for x in results)
