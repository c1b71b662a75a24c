"""Correctness of the hand-written expert SQL: each bench/expert/NAME.sql must return
exactly the members that the reference evaluator (audiencelang.eval, docs/semantics.md)
computes for bench/audiences NAME, on a small generated DE data set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench import api
from bench.common import AS_OF, BENCH, EXAMPLES, EXPERT, MARKET, NotReady


def load_dataset(con: Any) -> dict[str, list[dict[str, Any]]]:
    data: dict[str, list[dict[str, Any]]] = {}
    tables = con.execute(
        "SELECT schema_name || '.' || table_name FROM duckdb_tables() ORDER BY 1").fetchall()
    for (table,) in tables:
        cur = con.execute(f"SELECT * FROM {table}")
        cols = [d[0] for d in cur.description]
        data[table] = [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
    return data


def ensure_small_db(path: Path, profiles: int) -> None:
    from audiencelang.demo import generate

    if not path.exists():
        generate(path, EXAMPLES, profiles=profiles, events_per_profile=20, markets=[MARKET])


def verify_expert(names: list[str], db: Path, profiles: int) -> dict[str, Any]:
    import duckdb

    ensure_small_db(db, profiles)
    evaluate = api.evaluator()
    project = api.load_project(BENCH)
    con = duckdb.connect(str(db), read_only=True)
    con.execute("SET enable_progress_bar = false")
    data = load_dataset(con)
    out: dict[str, Any] = {"profiles": profiles, "cases": {}}
    for name in names:
        checked = api.check_audience(project, name, MARKET)
        want = evaluate(checked, data, as_of=AS_OF)
        sql = (EXPERT / f"{name}.sql").read_text(encoding="utf-8")
        got = {row[0] for row in con.execute(sql).fetchall()}
        out["cases"][name] = {
            "reference_members": len(want), "expert_members": len(got), "same": got == want,
            "missing": sorted(want - got)[:5], "extra": sorted(got - want)[:5],
        }
    con.close()
    return out


__all__ = ["NotReady", "verify_expert"]
