"""`deliver`'s guarantees (docs/deliver.md, "Guarantees") with real processes and engines:
two deliveries of one key at once (one wins, the other ends with E702/E706), the process
killed between the file write and the state write, the PostgreSQL connection dropped before
the commit, an output folder that cannot be written: no member lost, no half-written folder,
no state recorded for a delivery whose files do not exist."""

from __future__ import annotations

import csv
import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from audiencelang.deliver import connect, history
from audiencelang.project import load_project
from tests.deliverkit import BASE, Data, load, make_project

DAY = dt.timedelta(days=1)


def first_data() -> Data:
    d = Data()
    for pid in range(1, 7):
        d.person(pid)
        d.consent(pid, "granted", BASE - 60 * DAY)
    for pid in (1, 2, 3, 4):
        d.order(pid, BASE - DAY)
    return d


def cli(root: Path, target: str, out: Path, as_of: dt.datetime, fault: str | None = None,
        wait: bool = True, mark: Path | None = None) -> Any:
    env = {**os.environ}
    env.pop("AUDIENCELANG_DELIVER_FAULT", None)
    if fault:
        env["AUDIENCELANG_DELIVER_FAULT"] = fault
    if mark:
        env["AUDIENCELANG_DELIVER_FAULT_MARK"] = str(mark)
    args = [sys.executable, "-c", "from audiencelang.cli import main; main()", "deliver", "buyers",
            "--project", str(root), "--market", "m", "--destination", "ads", "--db", target,
            "--as-of", as_of.strftime("%Y-%m-%dT%H:%M:%SZ"), "--output", str(out)]
    if not wait:
        return subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)


def lib(root: Path, target: str, out: Path, as_of: dt.datetime) -> Any:
    """The same delivery in this process (the library call the CLI makes)."""
    from audiencelang.deliver import deliver

    with connect(target) as engine:
        return deliver(load_project(root), "buyers", "m", "ads", engine=engine,
                       as_of=as_of.replace(tzinfo=dt.UTC), output=out)


@pytest.fixture
def pg_database(postgres_cluster: Any) -> Iterator[str]:
    with postgres_cluster.database("deliverf") as name:
        yield name


def setup(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> tuple[Path, str]:
    root = make_project(tmp_path / "p")
    if kind == "postgres":
        target = str(request.getfixturevalue("postgres_cluster").url(request.getfixturevalue("pg_database")))
    else:
        target = str(tmp_path / f"data.{kind}")
    load(kind, target, first_data())
    return root, target


def past(root: Path, target: str) -> list[Any]:
    with connect(target) as engine:
        return history(load_project(root), engine=engine)


def members(path: Path) -> set[str]:
    with path.open(newline="") as f:
        return {r[0] for r in list(csv.reader(f))[1:]}


def key_dir(out: Path) -> Path:
    return out / "buyers" / "m" / "ads"


def wait_for(mark: Path, proc: Any) -> None:
    """Until the other process reaches its fault point (it creates ``mark`` there)."""
    deadline = time.monotonic() + 60
    while not mark.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the other delivery never reached its fault point"
        time.sleep(0.05)


@pytest.mark.parametrize("kind", ["duckdb", "sqlite", "postgres"])
def test_two_deliveries_at_once_one_wins(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    root, target = setup(kind, tmp_path, request)
    out = tmp_path / "out"
    mark = tmp_path / "locked"
    first = cli(root, target, out, BASE, fault="pause:locked:2", wait=False, mark=mark)
    wait_for(mark, first)
    code = "E706" if kind == "duckdb" else "E702"
    try:
        second = lib(root, target, out, BASE)  # this process, while the other one runs
        assert second.status == "failed" and [d.code for d in second.diagnostics] == [code]
    except Exception as exc:  # DuckDB: connect() raises E706 (the file has one writer)
        assert kind == "duckdb" and code in str(getattr(exc, "diagnostic", exc))
    _, stderr = first.communicate(timeout=120)
    assert first.returncode == 0, stderr
    assert [p.seq for p in past(root, target)] == [1]
    assert sorted(p.name for p in key_dir(out).iterdir()) == ["000001_20261001T000000Z"]


@pytest.mark.parametrize("kind", ["duckdb", "sqlite", "postgres"])
def test_killed_between_files_and_state_loses_nobody(kind: str, tmp_path: Path,
                                                     request: pytest.FixtureRequest) -> None:
    root, target = setup(kind, tmp_path, request)
    out = tmp_path / "out"
    assert lib(root, target, out, BASE).ok
    data = first_data()
    data.order(5, BASE)
    data.consent(1, "revoked", BASE + DAY / 2)
    load(kind, target, data)
    killed = cli(root, target, out, BASE + DAY, fault="kill:published")
    assert killed.returncode == -9
    folder = key_dir(out) / "000002_20261002T000000Z"
    assert members(folder / "entered.csv") == {"5"} and not (folder / "RECORDED").exists()
    assert [p.seq for p in past(root, target)] == [1]  # nothing recorded
    again = lib(root, target, out, BASE + DAY)  # takes over the dead process's lock
    assert again.ok, again.diagnostics
    names = sorted(p.name for p in key_dir(out).iterdir())
    assert names == ["000001_20261001T000000Z", "000002_20261002T000000Z",
                     "000002_20261002T000000Z.unrecorded"]
    assert members(folder / "entered.csv") == {"5"} and members(folder / "exited.csv") == {"1"}
    assert (folder / "RECORDED").exists()
    assert [(p.seq, p.entered, p.exited) for p in past(root, target)] == [(2, 1, 1), (1, 4, 0)]


def test_connection_dropped_before_commit_records_nothing(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    import psycopg

    root, target = setup("postgres", tmp_path, request)
    out = tmp_path / "out"
    mark = tmp_path / "before_commit"
    proc = cli(root, target, out, BASE, fault="pause:before_commit:4", wait=False, mark=mark)
    wait_for(mark, proc)
    deadline = time.monotonic() + 60
    killed = 0
    while not killed and time.monotonic() < deadline:
        with psycopg.connect(target, autocommit=True) as conn:
            rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE state = 'idle in transaction' "
                                "AND query LIKE %s AND pid <> pg_backend_pid()", ("%DELETE FROM%locks%",)).fetchall()
            for (pid,) in rows:
                killed += conn.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]
        time.sleep(0.1)
    assert killed
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 1 and "E705" in stderr and "Traceback" not in stderr
    assert past(root, target) == []
    again = lib(root, target, out, BASE)
    assert again.ok, again.diagnostics
    folder = key_dir(out) / "000001_20261001T000000Z"
    assert members(folder / "entered.csv") == {"1", "2", "3", "4"}
    assert (key_dir(out) / "000001_20261001T000000Z.unrecorded").is_dir()
    assert [p.seq for p in past(root, target)] == [1]


def test_unwritable_output_records_nothing(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p")
    target = str(tmp_path / "data.duckdb")
    load("duckdb", target, first_data())
    out = tmp_path / "out"
    out.mkdir()
    (out / "buyers").write_text("a file where the delivery folders go")
    bad = lib(root, target, out, BASE)
    assert bad.status == "failed" and [d.code for d in bad.diagnostics] == ["E704"]
    assert past(root, target) == []
    (out / "buyers").unlink()
    good = lib(root, target, out, BASE)  # no lock left behind
    assert good.ok, good.diagnostics
    assert [p.name for p in key_dir(out).iterdir()] == ["000001_20261001T000000Z"]
