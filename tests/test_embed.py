"""Embedding: in-memory projects (issue 16 item 1).

The same project from disk and from memory gives identical diagnostics (loading and
checking), identical SQL and identical members on DuckDB.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from audiencelang.check import check_project
from audiencelang.project import Project, load_project
from audiencelang.run.demo import generate
from audiencelang.run.engines import connect
from audiencelang.run.execute import run_audience
from audiencelang.schema.loader import load_market_text
from audiencelang.sql import compile_sql
from audiencelang.syntax import parse

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)

# Files that give a finding at every stage: a market error, a syntax error, a check
# error, a lint finding silenced by a suppression comment (read from the text), bad UTF-8.
EXTRA = {
    "markets/broken.yaml": b"market: xx\nprofiles:\n  table: p\n  id: [1, 2\n",
    "markets/dup.yaml": None,  # a copy of de.yaml: E210
    "audiences/bad_syntax.aud": b"audience broken {\n  include country = \n}\n",
    "audiences/bad_check.aud": b'audience unknown_trait {\n  owner "a@b.c"\n  description "x"\n'
                               b'  include no_such_trait = "x"\n}\n',
    "audiences/suppressed.aud": b'# audiencelang: disable=L003\naudience NotSnake {\n  owner "a@b.c"\n'
                                b'  description "x"\n  include country = "DE"\n}\n',
    "audiences/latin1.aud": b'audience x {\n  include country = "\xe9"\n}\n',
}


@pytest.fixture(scope="module")
def on_disk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("proj")
    shutil.copytree(EXAMPLES, root, dirs_exist_ok=True)
    for key, data in EXTRA.items():
        (root / key).write_bytes(data if data is not None else (root / "markets/de.yaml").read_bytes())
    return root


def from_memory(root: Path, *, as_bytes: bool = False) -> Project:
    disk = load_project(root)

    def src(key: str) -> str | bytes:
        data = (root / key).read_bytes()
        if as_bytes:
            return data
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data  # bytes are accepted too: the same E113 as from disk
    audiences = sorted(p.relative_to(root).as_posix() for p in (root / "audiences").rglob("*.aud"))
    return Project.from_sources(
        config=(root / "audiencelang.toml").read_text(),
        markets={k: src(k) for k in disk.market_file_keys},
        audiences={k: src(k) for k in audiences},
    )


@pytest.mark.parametrize("as_bytes", [False, True], ids=["text", "bytes"])
def test_memory_and_disk_give_the_same_diagnostics_and_sql(on_disk: Path, as_bytes: bool) -> None:
    disk, mem = load_project(on_disk), from_memory(on_disk, as_bytes=as_bytes)
    assert {"E101", "E113", "E202", "E210"} <= {d.code for d in disk.diagnostics}  # EXTRA's findings
    assert mem.diagnostics == disk.diagnostics
    assert mem.targets == disk.targets
    assert mem.markets.keys() == disk.markets.keys() and mem.files == disk.files
    r_disk, r_mem = check_project(disk), check_project(mem)
    assert "E301" in {d.code for d in r_disk.diagnostics}
    assert "L003" not in {d.code for d in r_disk.diagnostics}  # the suppression comment is read
    assert r_mem == r_disk
    for name in mem.audiences():
        for market in mem.markets:
            a = compile_sql(disk, name, market, "duckdb", as_of=AS_OF)
            b = compile_sql(mem, name, market, "duckdb", as_of=AS_OF)
            assert a == b


def test_memory_and_disk_give_the_same_members(on_disk: Path, tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    generate(db, EXAMPLES, profiles=400, events_per_profile=10, seed=5)
    disk, mem = load_project(on_disk), from_memory(on_disk)
    with connect(db) as engine:
        for name in ("cart_abandoners", "big_spenders"):
            for market in ("de", "us"):
                a = run_audience(disk, name, market, engine=engine, as_of=AS_OF, collect_members=True)
                b = run_audience(mem, name, market, engine=engine, as_of=AS_OF, collect_members=True)
                assert a.status == b.status and a.diagnostics == b.diagnostics
                assert a.members is not None and sorted(a.members) == sorted(b.members or ())


def test_loaded_models_are_accepted() -> None:
    market, _ = load_market_text((EXAMPLES / "markets/de.yaml").read_text(), path="de.yaml")
    assert market is not None
    file = parse((EXAMPLES / "audiences/big_spenders.aud").read_text(), "a.aud").file
    assert file is not None
    project = Project.from_sources(markets={"de.yaml": market}, audiences={"a.aud": file})
    assert project.diagnostics == [] and list(project.markets) == ["de"]
    assert compile_sql(project, "big_spenders", "de", "duckdb", as_of=AS_OF).query is not None


def test_sources_of_the_wrong_type_are_diagnostics() -> None:
    project = Project.from_sources(markets={"m.yaml": 4}, audiences=[("a.aud", None), 7])  # type: ignore[list-item,dict-item]
    assert [d.code for d in project.diagnostics] == ["E900", "E900", "E900"]
    assert project.files == {} and project.markets == {}
    assert check_project(project).diagnostics  # and checking still works
    project = Project.from_sources(config=3)  # type: ignore[arg-type]
    assert [(d.code, "config" in d.message) for d in project.diagnostics] == [("E900", True)]


def test_nothing_is_read_from_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.aud").write_text("not an audience")  # would be an E1xx if read
    project = Project.from_sources(audiences={"b.aud": 'audience b {\n  include country = "DE"\n}\n'})
    assert list(project.files) == ["b.aud"] and project.diagnostics == []
