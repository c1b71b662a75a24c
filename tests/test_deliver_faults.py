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
        wait: bool = True) -> Any:
    env = {**os.environ}
    env.pop("AUDIENCELANG_DELIVER_FAULT", None)
    if fault:
        env["AUDIENCELANG_DELIVER_FAULT"] = fault
    args = [sys.executable, "-c", "from audiencelang.cli import main; main()", "deliver", "buyers",
            "--project", str(root), "--market", "m", "--destination", "ads", "--db", target,
            "--as-of", as_of.strftime("%Y-%m-%dT%H:%M:%SZ"), "--output", str(out)]
    if not wait:
        return subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)


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


def wait_for_lock(kind: str, root: Path, target: str, proc: Any) -> None:
    """Until the first process holds the key's lock (its lock row is committed)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        if kind == "duckdb":
            time.sleep(1.5)  # the file is the lock: it is held from the connection on
            return
        try:
            if kind == "sqlite":
                import sqlite3

                state = Path(target).with_name(Path(target).stem + ".al_state.sqlite")
                con = sqlite3.connect(state)
                n = con.execute("SELECT count(*) FROM locks").fetchone()[0] if state.exists() else 0
                con.close()
            else:
                import psycopg

                with psycopg.connect(target) as conn:
                    n = conn.execute("SELECT count(*) FROM al_state.locks").fetchone()[0]
            if n:
                return
        except Exception:
            pass
        time.sleep(0.1)
    raise AssertionError("the first delivery never took the lock")


@pytest.mark.parametrize("kind", ["duckdb", "sqlite", "postgres"])
def test_two_deliveries_at_once_one_wins(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    root, target = setup(kind, tmp_path, request)
    out = tmp_path / "out"
    first = cli(root, target, out, BASE, fault="pause:locked:3", wait=False)
    wait_for_lock(kind, root, target, first)
    second = cli(root, target, out, BASE)
    _, stderr = first.communicate(timeout=120)
    assert first.returncode == 0, stderr
    assert second.returncode == 1, second.stderr
    assert ("E706" if kind == "duckdb" else "E702") in second.stderr
    assert "Traceback" not in second.stderr
    assert [p.seq for p in past(root, target)] == [1]
    assert sorted(p.name for p in key_dir(out).iterdir()) == ["000001_20261001T000000Z"]


@pytest.mark.parametrize("kind", ["duckdb", "sqlite", "postgres"])
def test_killed_between_files_and_state_loses_nobody(kind: str, tmp_path: Path,
                                                     request: pytest.FixtureRequest) -> None:
    root, target = setup(kind, tmp_path, request)
    out = tmp_path / "out"
    assert cli(root, target, out, BASE).returncode == 0
    data = first_data()
    data.order(5, BASE)
    data.consent(1, "revoked", BASE + DAY / 2)
    load(kind, target, data)
    killed = cli(root, target, out, BASE + DAY, fault="kill:published")
    assert killed.returncode == -9
    folder = key_dir(out) / "000002_20261002T000000Z"
    assert members(folder / "entered.csv") == {"5"} and not (folder / "RECORDED").exists()
    assert [p.seq for p in past(root, target)] == [1]  # nothing recorded
    again = cli(root, target, out, BASE + DAY)  # takes over the dead process's lock
    assert again.returncode == 0, again.stderr
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
    proc = cli(root, target, out, BASE, fault="pause:before_commit:30", wait=False)
    deadline = time.monotonic() + 60
    killed = 0
    while not killed and time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
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
    again = cli(root, target, out, BASE)
    assert again.returncode == 0, again.stderr
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
    bad = cli(root, target, out, BASE)
    assert bad.returncode == 1 and "E704" in bad.stderr and "Traceback" not in bad.stderr
    assert past(root, target) == []
    (out / "buyers").unlink()
    good = cli(root, target, out, BASE)  # no lock left behind
    assert good.returncode == 0, good.stderr
    assert [p.name for p in key_dir(out).iterdir()] == ["000001_20261001T000000Z"]
