"""Embedding: no process-wide surprises, and threads (issue 16 item 4).

A library caller's process sees no GC switching, no forked workers and no file written
outside what it named; the CLI opts in to all three. Threads may share a project.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from audiencelang.check import check_project
from audiencelang.project import Project, load_project
from audiencelang.run.demo import generate
from audiencelang.run.engines import connect
from audiencelang.run.execute import run_audience
from audiencelang.sql import compile_sql

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)

_PROBE = r"""
import gc, json, os, sys
from pathlib import Path
events = {"gc_disable": 0, "fork": 0}
real_disable = gc.disable
def disable():
    events["gc_disable"] += 1
    real_disable()
gc.disable = disable
os.register_at_fork(before=lambda: events.__setitem__("fork", events["fork"] + 1))
import audiencelang
root = Path(sys.argv[1])
project = audiencelang.load_project(root)
report = audiencelang.check_project(project)
result = audiencelang.compile_sql(project, "a0", "de", "duckdb")
assert result.query is not None, result.diagnostics
events["files"] = len(project.files)
print(json.dumps(events))
"""


def _big_project(root: Path, n: int = 240) -> None:
    root.mkdir()
    (root / "audiencelang.toml").write_text("")
    (root / "markets").mkdir()
    (root / "markets/de.yaml").write_bytes((EXAMPLES / "markets/de.yaml").read_bytes())
    (root / "audiences").mkdir()
    for i in range(n):  # more than PARALLEL_MIN_FILES: the CLI parses them in workers
        (root / f"audiences/a{i}.aud").write_text(f'audience a{i} {{\n  include country = "DE"\n}}\n')


def test_a_library_call_neither_switches_gc_nor_forks_nor_writes_a_cache(tmp_path: Path) -> None:
    _big_project(tmp_path / "p")
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache"), "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", _PROBE, str(tmp_path / "p")], env=env,
                         capture_output=True, text=True, check=True)
    events = json.loads(out.stdout)
    assert events == {"gc_disable": 0, "fork": 0, "files": 240}
    assert list(home.rglob("*")) == []  # no grammar cache, nothing else


def test_the_cli_opts_in_to_the_grammar_cache(tmp_path: Path) -> None:
    _big_project(tmp_path / "p", n=2)
    cache = tmp_path / "cache"
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-m", "audiencelang.cli", "check", str(tmp_path / "p")], env=env,
                   capture_output=True, check=False)
    assert [p.name.startswith("grammar-") for p in (cache / "audiencelang").iterdir()] == [True]


def _pairs(project: Project) -> list[tuple[str, str]]:
    return [(a, m) for a in sorted(project.audiences()) for m in sorted(project.markets)]


def test_threads_compile_on_one_shared_project() -> None:
    serial = load_project(EXAMPLES)
    expected = {(a, m): compile_sql(serial, a, m, "postgres", as_of=AS_OF) for a, m in _pairs(serial)}
    for _ in range(3):  # a fresh project each time: the threads race to load and analyse it
        shared = load_project(EXAMPLES)
        pairs = list(expected) * 3
        with ThreadPoolExecutor(8) as pool:
            got = list(pool.map(lambda p, s=shared: compile_sql(s, p[0], p[1], "postgres", as_of=AS_OF), pairs))
        assert got == [expected[p] for p in pairs]
        assert check_project(shared) == check_project(serial)


def test_threads_run_on_one_shared_project_one_engine_each(tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    generate(db, EXAMPLES, profiles=300, events_per_profile=8, seed=2)
    project = load_project(EXAMPLES)
    pairs = [p for p in _pairs(project) if p[0] in ("cart_abandoners", "big_spenders", "engaged_browsers")]

    def run(pair: tuple[str, str]) -> tuple[str, int | None]:
        with connect(db) as engine:  # an engine (a connection) is not shared between threads
            r = run_audience(project, pair[0], pair[1], engine=engine, as_of=AS_OF)
            return r.status, r.size

    with connect(db) as engine:
        expected = [(r.status, r.size) for r in
                    (run_audience(load_project(EXAMPLES), a, m, engine=engine, as_of=AS_OF) for a, m in pairs)]
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(run, pairs * 2)) == expected * 2
