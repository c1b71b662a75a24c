"""Spark/Databricks SQL compiled with ``as_of`` means the same in any session time zone and
ANSI mode, for both kinds of Spark time column (issue 11, item 5; docs/sql.md, "Time columns").

A Spark ``TIMESTAMP`` column is LTZ (an instant); a typed ``TIMESTAMP_NTZ`` literal compared
with it is converted through ``spark.sql.session.timeZone``: at UTC+14 events up to 14 hours
after ``as_of`` were counted, at UTC-12 the last 12 hours before it were dropped. The bounds
are now untyped strings with ``+00:00``, which Spark casts to the column's own type (LTZ: the
instant; NTZ: the wall clock, the offset ignored), in both ANSI modes.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from audiencelang.check import check_audience
from audiencelang.eval import evaluate
from audiencelang.project import load_project
from tests import engines
from tests.test_storage import (
    AS_OF,
    MARKET,
    SESSION_ZONES,
    TIME_AUDIENCES,
    VISITS,
    boundary_data,
    compiled,
    make_project,
)

#: the boundary audiences of tests/test_storage.py, a sequence (spec §8) and date traits
AUDIENCES = {
    **TIME_AUDIENCES,
    "visit_then_visit": "include performed visit then visit within 12 hours in last 1 day",
    "born_recently": "include born in last 1 day",
    "born_after": "include born after 2026-10-31",
}
SIZES = {"recent": 5, "ever": 8, "seen_recently": 4, "first_visit_old": 1,
         "visit_then_visit": 1, "born_recently": 8, "born_after": 2}
PEOPLE = {"pid": "integer", "age": "integer", "email": "string", "vip": "boolean", "seen": "timestamp",
          "born": "date"}


def _data() -> dict[str, list[dict[str, Any]]]:
    """tests/test_storage.py's instants 1 µs either side of ``as_of`` and of a 12-hour window's
    start; each person born on the UTC day of their instant; user 1 also visits 1 µs after
    their first visit (the sequence)."""
    data = boundary_data()
    for p in data["people"]:
        p["born"] = p["seen"].date()
    first = data["visits"][0]
    data["visits"].append({**first, "ts": first["ts"] + dt.timedelta(microseconds=1)})
    return data


@pytest.mark.spark
@pytest.mark.parametrize("ntz", [False, True], ids=["timestamp_ltz", "timestamp_ntz"])
def test_spark_as_of_sql_in_any_session_time_zone_and_ansi_mode(
        tmp_path: Path, spark_engine: engines.Engine, ntz: bool) -> None:
    """Before: at UTC+14 and UTC-12 the LTZ columns gave other members (a visit 1 µs after
    ``as_of`` counted, windows shifted by the session's offset)."""
    make_project(tmp_path, AUDIENCES)
    (tmp_path / "markets" / "m.yaml").write_text(
        MARKET.replace("    seen:  {column: seen, type: timestamp}\n",
                       "    seen:  {column: seen, type: timestamp}\n    born:  {column: born, type: date}\n"))
    project = load_project(tmp_path)
    spark = spark_engine.handle
    eng = engines.spark_engine(spark, ntz=ntz)
    data = _data()
    eng.load("people", PEOPLE, data["people"])
    eng.load("visits", VISITS, data["visits"])
    stored = dict(spark.table("visits").dtypes)["ts"]
    assert stored == ("timestamp_ntz" if ntz else "timestamp"), stored
    sessions = [(ansi, zone) for ansi in ("true", "false") for zone in ("UTC", *SESSION_ZONES)]
    ansi_before = spark.conf.get("spark.sql.ansi.enabled")
    try:
        for name in AUDIENCES:
            checked, _ = check_audience(project, name, "m")
            assert checked is not None
            expected = evaluate(checked, data, as_of=AS_OF)
            assert len(expected) == SIZES[name], (name, sorted(expected))  # the oracle, pinned
            sql = compiled(project, name, "spark")
            assert compiled(project, name, "databricks").count("+00:00") == sql.count("+00:00")
            for ansi, zone in sessions:
                spark.conf.set("spark.sql.ansi.enabled", ansi)
                spark.conf.set("spark.sql.session.timeZone", zone)
                got = {r[0] for r in eng.query(sql)}
                assert got == expected, f"{name} ansi={ansi} {zone}: {sorted(got)} != {sorted(expected)}"
    finally:
        spark.conf.set("spark.sql.session.timeZone", "UTC")
        spark.conf.set("spark.sql.ansi.enabled", ansi_before)
