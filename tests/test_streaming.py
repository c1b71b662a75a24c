"""Big results stay streaming (issue 17 item 2): ``run --output`` writes a large member
list with bounded client memory.

Each run is a fresh process whose peak RSS is read (bench/streaming.py, which also
measures 5,000,000 members for docs/scaling.md). The bound is on the growth from a
10,000-member run to a 1,000,000-member run: holding the members in Python would add
~90 bytes each (90 MB here); a streamed run adds what the engine itself needs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.streaming import duckdb_file, make_project, peak_rss, postgres_table

SMALL, BIG = 10_000, 1_000_000
MIB = 1024 * 1024


def _growth(project: Path, small_db: str, big_db: str, out: Path) -> dict[str, float]:
    growth = {}
    for suffix in ("csv", "parquet"):
        sizes = []
        for db in (small_db, big_db):
            code, peak, err = peak_rss(project, db, out.with_suffix(f".{suffix}"))
            assert code == 0, err
            sizes.append(peak)
        growth[suffix] = sizes[1] - sizes[0]
        assert out.with_suffix(f".{suffix}").stat().st_size > BIG  # every member was written
    return growth


@pytest.mark.slow
def test_duckdb_members_stream_to_csv_and_parquet(tmp_path: Path) -> None:
    """DuckDB runs in the process: its own working set (the GROUP BY that makes ids
    distinct, ~35 bytes per member) is client memory; the rows fetched are not held."""
    project = make_project(tmp_path / "p")
    growth = _growth(project, duckdb_file(tmp_path / "s.duckdb", SMALL), duckdb_file(tmp_path / "b.duckdb", BIG),
                     tmp_path / "members")
    assert growth["csv"] < 64 and growth["parquet"] < 64, growth  # MiB for 990,000 more members


@pytest.mark.slow
@pytest.mark.postgres
def test_postgres_members_stream_with_flat_client_memory(tmp_path: Path, postgres_cluster: object) -> None:
    """PostgreSQL does the work in the server; the client streams through a server-side
    cursor: CSV stays flat, Parquet waits in a buffer file (at most 64 MB of it in memory)."""
    project = make_project(tmp_path / "p")
    with postgres_cluster.database("small") as small, postgres_cluster.database("big") as big:  # type: ignore[attr-defined]
        urls = [postgres_table(postgres_cluster.url(name), n)  # type: ignore[attr-defined]
                for name, n in ((small, SMALL), (big, BIG))]
        growth = _growth(project, urls[0], urls[1], tmp_path / "members")
    assert growth["csv"] < 16 and growth["parquet"] < 48, growth
