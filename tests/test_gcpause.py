"""`audiencelang.gcpause.paused_gc`: the collector is off inside a pass and as it was after."""

from __future__ import annotations

import gc

import pytest

from audiencelang.gcpause import paused_gc


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


def test_compile_leaves_the_collector_as_it_found_it() -> None:
    from pathlib import Path

    from audiencelang.project import load_project
    from audiencelang.sql import compile

    project = load_project(Path(__file__).resolve().parent.parent / "examples")
    assert compile(project, "cart_abandoners", "de", "duckdb").query is not None
    assert gc.isenabled()
    assert compile(project, "no_such", "de", "duckdb").query is None
    assert gc.isenabled()
