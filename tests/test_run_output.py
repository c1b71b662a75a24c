"""`audiencelang.run.output`: CSV/Parquet member files, chosen by extension, written atomically.
Files are read back with DuckDB."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from audiencelang.run.engines import RunError, connect
from audiencelang.run.output import open_writer, output_format


def read_back(path: Path) -> list[tuple[Any, ...]]:
    con = duckdb.connect()
    if path.suffix == ".csv":
        rel = con.read_csv(str(path), header=True, all_varchar=True)
    else:
        rel = con.read_parquet(str(path))
    rows = [tuple(r) for r in rel.fetchall()]
    con.close()
    return rows


def columns_of(path: Path) -> list[str]:
    con = duckdb.connect()
    rel = con.read_csv(str(path), header=True) if path.suffix == ".csv" else con.read_parquet(str(path))
    names = list(rel.columns)
    con.close()
    return names


@pytest.mark.parametrize(("name", "fmt"), [("a.csv", "csv"), ("a.CSV", "csv"),
                                           ("a.parquet", "parquet"), ("x/y.Parquet", "parquet")])
def test_format_by_extension(name: str, fmt: str) -> None:
    assert output_format(name) == fmt


@pytest.mark.parametrize("name", ["a.txt", "a", "a.csv.gz", "a.json", "a.pq"])
def test_other_extensions_refused(name: str) -> None:
    with pytest.raises(ValueError, match=r"\.csv or \.parquet"):
        output_format(name)


ROWS = [(3, "h3"), (1, None), (2, "a,b \"quoted\"\nline"), (10**12, "ü")]


def test_csv_rows_exact(tmp_path: Path) -> None:
    out = tmp_path / "m.csv"
    with open_writer(out, ["member_id", "identifier"]) as w:
        w.write(ROWS[:2])
        w.write(ROWS[2:])
    assert columns_of(out) == ["member_id", "identifier"]
    assert read_back(out) == [(str(a), b) for a, b in ROWS]
    assert out.read_bytes().startswith(b"member_id,identifier\r\n3,h3\r\n1,\r\n")


def test_parquet_rows_and_types_exact(tmp_path: Path) -> None:
    out = tmp_path / "m.parquet"
    with open_writer(out, ["member_id", "identifier"]) as w:
        w.write(ROWS[:2])
        w.write(ROWS[2:])
    assert read_back(out) == ROWS
    con = duckdb.connect()
    types = [str(t) for t in con.read_parquet(str(out)).types]
    con.close()
    assert types == ["BIGINT", "VARCHAR"]


def test_parquet_string_ids_and_null_first_batch(tmp_path: Path) -> None:
    out = tmp_path / "m.parquet"
    with open_writer(out, ["member_id", "identifier"]) as w:
        w.write([("u1", None)])
        w.write([("u2", "x"), ("u3", None)])
    assert read_back(out) == [("u1", None), ("u2", "x"), ("u3", None)]


@pytest.mark.parametrize("name", ["empty.csv", "empty.parquet"])
def test_no_rows_gives_header_only(tmp_path: Path, name: str) -> None:
    out = tmp_path / name
    with open_writer(out, ["member_id", "identifier"]):
        pass
    assert out.exists() and read_back(out) == []
    assert columns_of(out) == ["member_id", "identifier"]


def test_timestamps_in_csv_are_iso_utc(tmp_path: Path) -> None:
    out = tmp_path / "t.csv"
    with open_writer(out, ["member_id", "identifier"]) as w:
        w.write([(1, dt.datetime(2026, 1, 2, 4, 0, tzinfo=dt.timezone(dt.timedelta(hours=1))))])
    assert out.read_text().splitlines()[1] == "1,2026-01-02T03:00:00Z"


@pytest.mark.parametrize("name", ["m.csv", "m.parquet"])
def test_failure_midway_leaves_nothing_and_keeps_old_file(tmp_path: Path, name: str) -> None:
    def batches() -> Iterator[list[tuple[Any, ...]]]:
        yield [(1, "a")]
        raise RuntimeError("connection lost")

    fresh = tmp_path / name
    with pytest.raises(RuntimeError), open_writer(fresh, ["member_id", "identifier"]) as w:
        for b in batches():
            w.write(b)
    assert list(tmp_path.iterdir()) == []

    old = tmp_path / name
    with open_writer(old, ["member_id", "identifier"]) as w:
        w.write([(7, "old")])
    before = old.read_bytes()
    with pytest.raises(RuntimeError), open_writer(old, ["member_id", "identifier"]) as w:
        for b in batches():
            w.write(b)
    assert old.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [name]


@pytest.mark.parametrize("name", ["m.csv", "m.parquet"])
def test_database_error_while_fetching_leaves_no_file(tmp_path: Path, name: str) -> None:
    """A real statement that fails after rows have been produced: the cast of the last
    of 300,000 rows fails, after the first batches have been written."""
    db = tmp_path / "w.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE t AS SELECT i, CASE WHEN i = 299999 THEN 'x' ELSE CAST(i AS VARCHAR) END AS v "
                "FROM range(300000) AS r(i)")
    con.close()
    out = tmp_path / name
    written = 0
    with connect(str(db)) as engine, pytest.raises(RunError) as info:
        engine.connection.execute("SET threads = 1")  # rows stream in order: the error comes late
        with engine.execute("SELECT CAST(v AS BIGINT) AS member_id FROM t") as rows, \
                open_writer(out, ["member_id"]) as w:
            for batch in rows.batches(size=1000):
                w.write(batch)
                written += len(batch)
    assert info.value.diagnostic.code == "E605"
    assert written > 0  # the failure came midway, after rows were written to the temp file
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["w.duckdb"]


def test_file_mode_follows_umask(tmp_path: Path) -> None:
    out = tmp_path / "m.csv"
    with open_writer(out, ["member_id"]) as w:
        w.write([(1,)])
    assert out.stat().st_mode & 0o777 != 0o600
