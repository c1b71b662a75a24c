"""Calendar bounds from the warehouse clock on the dialects this machine cannot run (spec §9).

Snowflake, BigQuery, Redshift, Trino and T-SQL (audiencelang/sql/calendar_typed.py; ClickHouse,
which has the same kind of form, runs in tests/test_calendar_now.py):

- golden files ``tests/golden/<dialect>/calendar/<case>.sql`` (``AUDIENCELANG_UPDATE_GOLDEN=1``
  regenerates them): windows, zoned dates against now, local distinct days, in a market in
  Europe/Berlin;
- each statement parses back with sqlglot in its dialect as one statement, calls only
  allow-listed functions, and holds the market's zone only as string literals;
- where a dialect cannot be trusted with the zone (an undocumented DST rule meets a zone whose
  midnight is skipped or repeated; T-SQL and a zone without a Windows name), E509 says why.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from audiencelang.localtime import local_midnight, midnight_change
from audiencelang.sql import DIALECTS, _check_functions, compile_audience
from audiencelang.sql.build import build_with_functions
from audiencelang.sql.calendar_typed import DIALECTS as TYPED
from audiencelang.sql.calendar_typed import RULE_UNKNOWN
from audiencelang.sql.lower import lower
from audiencelang.sql.windows_zones import windows_zone
from tests.test_calendar_now import checked

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("AUDIENCELANG_UPDATE_GOLDEN") == "1"
CASES = {
    "today": "performed buy today",
    "yesterday": "performed buy yesterday",
    "days": "performed buy in last 3 calendar days",
    "weeks": "performed buy in last 2 calendar weeks",
    "months": "not performed buy in last 3 calendar months",
    "date_months": "signup in last 2 calendar months",
    "date_vs_now": "signup in last 40 days",
    "distinct_days": "performed buy on at least 2 distinct days in last 1 calendar weeks",
}
ZONE = "Europe/Berlin"


@pytest.mark.parametrize("dialect", sorted(TYPED))
def test_golden_calendar_sql(dialect: str) -> None:
    folder = GOLDEN / dialect / "calendar"
    mismatches = []
    for case, include in CASES.items():
        res = compile_audience(checked(ZONE, include), dialect)
        assert res.query is not None and not res.diagnostics, (case, res.diagnostics)
        path = folder / f"{case}.sql"
        if UPDATE:
            folder.mkdir(parents=True, exist_ok=True)
            path.write_text(res.query.sql, encoding="utf-8")
        elif not path.exists() or path.read_text(encoding="utf-8") != res.query.sql:
            mismatches.append(path.name)
    assert not mismatches, f"{dialect}: SQL differs from golden files {mismatches} (AUDIENCELANG_UPDATE_GOLDEN=1)"
    assert {p.name for p in folder.glob("*.sql")} == {f"{c}.sql" for c in CASES}, "stale golden files"


@pytest.mark.parametrize("dialect", sorted(TYPED))
@pytest.mark.parametrize("zone", ["Europe/Berlin", "Asia/Tokyo", "America/New_York", "Asia/Kolkata"])
def test_calendar_sql_parses_and_holds_the_zone_only_as_literals(dialect: str, zone: str) -> None:
    name = windows_zone(zone) if dialect == "tsql" else zone
    assert name is not None
    for case, include in CASES.items():
        c = checked(zone, include)
        res = compile_audience(c, dialect)
        assert res.query is not None and not res.diagnostics, (case, res.diagnostics)
        trees = [t for t in sqlglot.parse(res.query.sql, read=dialect) if t is not None]
        assert len(trees) == 1, (dialect, case)
        tree, _ = build_with_functions(lower(c, as_of=None), DIALECTS[dialect])
        assert _check_functions(tree, DIALECTS[dialect]) is None, (dialect, case)
        literals = [lit for lit in trees[0].find_all(exp.Literal) if lit.is_string]
        assert any(lit.this == name for lit in literals), (dialect, case)
        body = "\n".join(res.query.sql.splitlines()[1:])  # the header names the market, not the zone
        assert body.count(name) == sum(lit.this == name for lit in literals), (dialect, case)
        assert "params" in res.query.sql


@pytest.mark.parametrize("dialect", sorted(RULE_UNKNOWN))
@pytest.mark.parametrize(("zone", "day", "kind"), [
    ("America/Santiago", "1970-10-11", "skipped"),
    ("Europe/Lisbon", "1976-09-26", "repeated"),
    ("America/Sao_Paulo", "1985-11-02", "skipped"),
    ("Pacific/Kiritimati", "1979-10-01", "skipped"),
])
def test_undocumented_dst_rule_refuses_zones_whose_midnight_moves(dialect: str, zone: str, day: str,
                                                                    kind: str) -> None:
    for include in ("performed buy today", "signup in last 40 days", "performed buy on at least 2 distinct days"):
        res = compile_audience(checked(zone, include), dialect)
        (d,) = res.diagnostics
        assert res.query is None and d.code == "E509", d
        assert f"midnight was {kind} in {zone} on {day}" in d.message and f"dialect '{dialect}'" in d.message, d
        if "distinct days" not in include:  # local days are counted in SQL, with or without as_of
            assert compile_audience(checked(zone, include), dialect, as_of=dt.datetime(2026, 12, 1)).query is not None


@pytest.mark.parametrize("zone", ["America/Santiago", "America/Havana", "Pacific/Kiritimati",
                                  "Australia/Lord_Howe", "America/St_Johns"])
def test_documented_dst_rules_compute_every_zone(zone: str) -> None:
    """ClickHouse (tested against Python) and T-SQL (documented) take the gap's end and the
    first of two midnights, like audiencelang.localtime."""
    for dialect in ("clickhouse", "tsql"):
        res = compile_audience(checked(zone, "performed buy yesterday"), dialect)
        assert res.query is not None and not res.diagnostics, (dialect, res.diagnostics)


def test_tsql_refuses_a_zone_without_a_windows_name() -> None:
    assert windows_zone("Antarctica/Troll") is None
    res = compile_audience(checked("Antarctica/Troll", "performed buy today"), "tsql")
    (d,) = res.diagnostics
    assert res.query is None and d.code == "E509" and "Windows zone names" in d.message, d
    assert "Antarctica/Troll" in d.message and "--as-of" in d.hints[0]


def test_windows_zone_names() -> None:
    assert windows_zone("Europe/Berlin") == "W. Europe Standard Time"
    assert windows_zone("America/St_Johns") == "Newfoundland Standard Time"
    assert windows_zone("Pacific/Kiritimati") == "Line Islands Standard Time"
    assert windows_zone("Australia/Lord_Howe") == "Lord Howe Standard Time"
    assert windows_zone("Asia/Calcutta") == windows_zone("Asia/Kolkata") == "India Standard Time"
    assert windows_zone("UTC") == "UTC"


def test_midnight_change_finds_skipped_and_repeated_midnights() -> None:
    assert midnight_change("America/Santiago") == (dt.date(1970, 10, 11), "skipped")
    assert midnight_change("Europe/Lisbon") == (dt.date(1976, 9, 26), "repeated")
    for zone in ("Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC", "Europe/London"):
        assert midnight_change(zone) is None, zone
    from zoneinfo import ZoneInfo

    day, kind = midnight_change("Asia/Beirut") or (None, None)
    assert day is not None and kind == "skipped"
    start = local_midnight(day, ZoneInfo("Asia/Beirut"))  # the gap's end: 01:00 local
    assert start.astimezone(ZoneInfo("Asia/Beirut")).time() != dt.time(0)
