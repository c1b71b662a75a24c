"""`audiencelang.gcpause.paused_gc`: the collector is off inside a pass and as it was after."""

from __future__ import annotations

import gc

import pytest

from audiencelang.gcpause import paused_gc


@pytest.fixture(autouse=True)
def _opted_in(monkeypatch: pytest.MonkeyPatch) -> None:
    from audiencelang.process import options

    monkeypatch.setattr(options, "gc_pause", True)


def test_a_library_caller_keeps_the_collector_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the opt-in (an embedder's process), the collector is never switched."""
    from audiencelang.process import options

    monkeypatch.setattr(options, "gc_pause", False)
    with paused_gc():
        assert gc.isenabled()
    assert gc.isenabled()


def test_paused_inside_and_restored_after() -> None:
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():  # nested: the inner block must not switch it back on
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_restored_after_an_exception() -> None:
    with pytest.raises(ZeroDivisionError), paused_gc():
        _ = 1 / 0
    assert gc.isenabled()


def test_a_callers_disabled_collector_stays_disabled() -> None:
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_compile_runs_with_the_collector_paused_and_restores_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """``compile_audience`` builds the statement with the collector off (linear time on large
    audiences, docs/performance.md) and leaves it on afterwards, also when compiling fails."""
    from pathlib import Path

    import audiencelang.sql as sql
    from audiencelang.project import load_project

    seen: list[bool] = []
    inner = sql._compile_audience

    def observed(*args: object, **kw: object) -> object:
        seen.append(gc.isenabled())
        return inner(*args, **kw)  # type: ignore[arg-type]

    from audiencelang.process import options

    monkeypatch.setattr(sql, "_compile_audience", observed)
    monkeypatch.setattr(options, "gc_pause", True)  # the CLI opts in (audiencelang.process)
    project = load_project(Path(__file__).resolve().parent.parent / "examples")
    assert sql.compile(project, "cart_abandoners", "de", "duckdb").query is not None
    assert seen == [False] and gc.isenabled()
    assert sql.compile(project, "cart_abandoners", "de", "no_such_dialect").query is None
    assert gc.isenabled()


def test_check_through_main_leaves_the_collector_as_it_was() -> None:
    """`audiencelang check` keeps the collector off to the end only in the console script's
    own process (it exits right after); called through `main` (a test runner, an embedder's
    click group) the process goes on, and the collector is on again after it."""
    from pathlib import Path

    from click.testing import CliRunner

    from audiencelang.cli import main

    examples = Path(__file__).resolve().parent.parent / "examples"
    assert gc.isenabled()
    result = CliRunner().invoke(main, ["check", "--no-cache", "--project", str(examples), str(examples)])
    assert result.exit_code in (0, 1), result.output
    assert gc.isenabled()
