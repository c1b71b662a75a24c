"""Spec §9: in a market with a time zone, a date is 00:00 of its day there (not UTC).

Generated markets in far-apart zones (half-hour offsets, +14, both daylight-saving
switches of Berlin, Lord Howe's half-hour DST), data exactly on local midnights and
1 µs either side, compiled with ``--as-of`` and run on every engine of the suite; the
reference evaluator must agree, and both must give the member sets stated here.
The local midnights are built here with ``zoneinfo`` directly (not with the code under
test); without ``--as-of`` the forms that would need local time in SQL are refused
(E509), never computed in UTC.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from audiencelang.check.checked import CheckedAudience
from audiencelang.eval import evaluate
from audiencelang.localtime import local_midnight
from audiencelang.schema import load_market_text
from audiencelang.schema.market import Market
from audiencelang.sql import compile_audience
from audiencelang.syntax import parse
from tests import engines
from tests.datagen import compile_sql, member_ids

SPEC = Path(__file__).resolve().parent.parent / "docs" / "spec" / "LANGUAGE.md"

UTC = dt.UTC
US = dt.timedelta(microseconds=1)

#: (zone, a day D): D's length there is 23 h, 25 h, 23.5 h, or 24 h in an odd offset
CASES = [
    ("Europe/Berlin", dt.date(2024, 3, 31)),       # 23-hour day (spring forward)
    ("Europe/Berlin", dt.date(2024, 10, 27)),      # 25-hour day (fall back)
    ("America/St_Johns", dt.date(2024, 11, 29)),   # UTC-03:30
    ("Pacific/Kiritimati", dt.date(2024, 11, 29)),  # UTC+14
    ("Australia/Lord_Howe", dt.date(2024, 10, 6)),  # 23.5-hour day (DST of 30 minutes)
    ("Australia/Lord_Howe", dt.date(2024, 4, 7)),   # 24.5-hour day
]

PROFILE_COLS = {"id": "integer", "seen": "timestamp", "signup": "date"}
EVENT_COLS = {"user_id": "integer", "at": "timestamp"}


def _market(zone: str) -> Market:
    text = f"""market: m
timezone: {zone}
profiles:
  table: people
  id: id
  traits:
    seen: {{column: seen, type: timestamp}}
    signup: {{column: signup, type: date}}
events:
  purchase: {{table: buys, user: user_id, time: at}}
"""
    market, diags = load_market_text(text)
    assert market is not None, diags
    return market


def _midnight(zone: str, d: dt.date) -> dt.datetime:
    """00:00 of ``d`` in ``zone`` as naive UTC (every day of CASES has a 00:00)."""
    return dt.datetime(d.year, d.month, d.day, tzinfo=ZoneInfo(zone)).astimezone(UTC).replace(tzinfo=None)


def _data(zone: str, d: dt.date) -> dict[str, list[dict[str, Any]]]:
    start, end = _midnight(zone, d), _midnight(zone, d + dt.timedelta(days=1))
    # 1: 1 µs before D; 2: D's first instant; 3: D's last µs; 4: the next day's first instant
    times = {1: start - US, 2: start, 3: end - US, 4: end}
    days = {1: d - dt.timedelta(days=1), 2: d, 3: d, 4: d + dt.timedelta(days=1)}
    people = [{"id": i, "seen": t, "signup": days[i]} for i, t in times.items()]
    return {"people": people, "buys": [{"user_id": i, "at": t} for i, t in times.items()]}


def _expected(zone: str, d: dt.date) -> list[tuple[str, set[int]]]:
    one_s = dt.timedelta(seconds=1)
    after_start = (_midnight(zone, d) + one_s).strftime("%Y-%m-%dT%H:%M:%SZ")
    at_start = _midnight(zone, d).strftime("%Y-%m-%dT%H:%M:%SZ")
    return [
        (f"include performed purchase since {d}", {2, 3, 4}),
        (f"include performed purchase between {d} and {d}", {2, 3}),
        (f"include seen before {d}", {1}),
        (f"include seen after {d}", {4}),
        (f"include seen between {d} and {d}", {2, 3}),
        (f"include seen >= {d}", {2, 3, 4}),
        (f"include signup = {d}", {2, 3}),                   # a date with a date stays a date
        (f"include signup > {d}", {4}),
        (f"include signup >= {at_start}", {2, 3, 4}),        # a date meets a time: its local 00:00
        (f"include signup > {after_start}", {4}),
        (f"include signup < {after_start}", {1, 2, 3}),
    ]


def _checked(text: str, market: Market) -> CheckedAudience:
    res = parse(f'audience a {{\n  owner "t@example.com"\n  {text}\n}}\n')
    assert res.ok and res.file is not None, (text, res.diagnostics)
    aud = res.file.audiences[0]
    return CheckedAudience("a", aud, market, None, {"a": aud}, {})


@pytest.mark.parametrize(("zone", "day"), CASES, ids=[f"{z}-{d}" for z, d in CASES])
def test_dates_are_local_midnights_on_every_engine(engine: engines.Engine, zone: str, day: dt.date) -> None:
    market = _market(zone)
    data = _data(zone, day)
    engine.load("people", PROFILE_COLS, data["people"])
    engine.load("buys", EVENT_COLS, data["buys"])
    as_of = dt.datetime(2030, 1, 1, tzinfo=UTC)
    for text, expected in _expected(zone, day):
        checked = _checked(text, market)
        ev = evaluate(checked, data, as_of=as_of)
        sql = compile_sql(checked, engine.dialect, as_of)
        got = member_ids(engine.query(sql))
        assert (ev, got) == (expected, expected), f"{zone} {text}: evaluator {ev}, {engine.name} {got}"


@pytest.mark.parametrize(("zone", "day"), CASES[:4], ids=[f"{z}-{d}" for z, d in CASES[:4]])
def test_date_bounds_are_constants_at_the_warehouse_clock(engine: engines.Engine, zone: str, day: dt.date) -> None:
    """Without --as-of the statement reads the warehouse clock, but a date's local midnight
    is still a constant computed here: the same members (all the data is in the past)."""
    market = _market(zone)
    data = _data(zone, day)
    engine.load("people", PROFILE_COLS, data["people"])
    engine.load("buys", EVENT_COLS, data["buys"])
    for text, expected in _expected(zone, day):
        sql = compile_sql(_checked(text, market), engine.dialect, None)
        assert member_ids(engine.query(sql)) == expected, f"{zone} {text} on {engine.name} at the warehouse clock"


def test_a_utc_market_keeps_utc_days() -> None:
    market = _market("UTC")
    data = _data("UTC", dt.date(2024, 3, 31))
    checked = _checked("include performed purchase between 2024-03-31 and 2024-03-31", market)
    assert evaluate(checked, data, as_of=dt.datetime(2030, 1, 1, tzinfo=UTC)) == {2, 3}


@pytest.mark.parametrize("text", [
    "include signup in last 30 days",
    "include signup more than 2 years ago",
    "include performed purchase on at least 2 distinct days",
])
def test_without_as_of_local_time_in_sql_is_refused_never_utc(text: str) -> None:
    """Local midnights of dates are computed from the warehouse clock on duckdb and postgres
    (tests/test_calendar_now.py holds them to the evaluator); SQLite, which has no time zones,
    refuses (local distinct days too: tests/test_calendar_now.py runs them on the others)."""
    checked = _checked(text, _market("Asia/Tokyo"))
    for dialect in ("duckdb", "postgres", "sqlite"):
        res = compile_audience(checked, dialect, as_of=None)
        codes = [d.code for d in res.diagnostics if d.is_error]
        if dialect != "sqlite":
            assert res.query is not None and codes == [], (dialect, res.diagnostics)
            continue
        assert res.query is None and codes == ["E509"], (dialect, res.diagnostics)
        assert "Asia/Tokyo" in res.diagnostics[0].message
    # the same audience in a UTC market compiles as before
    assert compile_audience(_checked(text, _market("UTC")), "duckdb", as_of=None).query is not None


def test_distinct_days_are_local_days_in_the_evaluator_and_refused_in_sql_without_zones() -> None:
    # 1 µs before and at Kiritimati's midnight: one UTC day (2024-11-28), two local days
    zone, d = "Pacific/Kiritimati", dt.date(2024, 11, 29)
    market = _market(zone)
    t = _midnight(zone, d)
    data = {"people": [{"id": 1, "seen": None, "signup": None}, {"id": 2, "seen": None, "signup": None}],
            "buys": [{"user_id": 1, "at": t - US}, {"user_id": 1, "at": t},
                     {"user_id": 2, "at": t}, {"user_id": 2, "at": t + dt.timedelta(hours=23)}]}
    checked = _checked("include performed purchase on at least 2 distinct days", market)
    as_of = dt.datetime(2030, 1, 1, tzinfo=UTC)
    assert evaluate(checked, data, as_of=as_of) == {1}
    assert evaluate(_checked("include performed purchase on at least 2 distinct days", _market("UTC")),
                    data, as_of=as_of) == {2}
    res = compile_audience(checked, "sqlite", as_of=as_of)  # SQLite has no time zones: refused
    assert res.query is None and [d.code for d in res.diagnostics] == ["E509"]
    assert "dialect 'sqlite'" in res.diagnostics[0].message
    # duckdb, postgres, spark count local days in SQL (tests/test_calendar_now.py runs them)
    assert compile_audience(checked, "duckdb", as_of=as_of).query is not None


def test_local_midnight_skipped_by_daylight_saving() -> None:
    # Chile moved its clocks from 24:00 to 01:00 on 2022-09-10: 2022-09-11 begins at 01:00 local
    zone = ZoneInfo("America/Santiago")
    start = local_midnight(dt.date(2022, 9, 11), zone)
    assert start == dt.datetime(2022, 9, 11, 4, tzinfo=UTC)
    assert (start - US).astimezone(zone).date() == dt.date(2022, 9, 10)
    assert start.astimezone(zone).date() == dt.date(2022, 9, 11)


# --------------------------------------------------------------------------- calendar windows

#: (zone, as_of as a local wall time): today is a 23-hour, 25-hour, 23.5-hour or odd-offset day
CALENDAR_CASES = [
    ("Europe/Berlin", dt.datetime(2024, 3, 31, 12, 0)),
    ("Europe/Berlin", dt.datetime(2024, 10, 27, 23, 59, 59)),
    ("Europe/Berlin", dt.datetime(2024, 4, 1, 0, 30)),        # yesterday was the 23-hour day
    ("America/St_Johns", dt.datetime(2024, 12, 1, 0, 0)),     # as_of exactly on local midnight
    ("Pacific/Kiritimati", dt.datetime(2024, 11, 29, 6, 0)),
    ("Australia/Lord_Howe", dt.datetime(2024, 10, 6, 3, 0)),
]


def _m(zone: str, d: dt.date) -> dt.datetime:
    return dt.datetime(d.year, d.month, d.day, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def _calendar_expectations(zone: str, as_of: dt.datetime) -> list[tuple[str, dt.datetime, dt.datetime, bool]]:
    """(window text, start, end, end included), from spec §9's table, built with zoneinfo here."""
    today = as_of.astimezone(ZoneInfo(zone)).date()
    monday = today - dt.timedelta(days=today.weekday())
    first = today.replace(day=1)
    prev_first = (first - dt.timedelta(days=1)).replace(day=1)
    return [
        ("today", _m(zone, today), as_of, True),
        ("yesterday", _m(zone, today - dt.timedelta(days=1)), _m(zone, today), False),
        ("in last 1 calendar day", _m(zone, today), as_of, True),
        ("in last 7 calendar days", _m(zone, today - dt.timedelta(days=6)), as_of, True),
        ("in last 1 calendar week", _m(zone, monday), as_of, True),
        ("in last 2 calendar weeks", _m(zone, monday - dt.timedelta(days=7)), as_of, True),
        ("in last 1 calendar month", _m(zone, first), as_of, True),
        ("in last 2 calendar months", _m(zone, prev_first), as_of, True),
    ]


def _calendar_data(zone: str, as_of: dt.datetime) -> tuple[dict[str, list[dict[str, Any]]], dict[int, dt.datetime]]:
    edges = sorted({start for _, start, _, _ in _calendar_expectations(zone, as_of)}
                   | {_m(zone, as_of.astimezone(ZoneInfo(zone)).date())})
    times = [t + k * US for t in edges for k in (-1, 0)] + [as_of, as_of + US]
    at = {i + 1: t for i, t in enumerate(sorted(set(times)))}
    naive = {i: t.astimezone(UTC).replace(tzinfo=None) for i, t in at.items()}
    people = [{"id": i, "seen": t, "signup": at[i].astimezone(ZoneInfo(zone)).date()} for i, t in naive.items()]
    return {"people": people, "buys": [{"user_id": i, "at": t} for i, t in naive.items()]}, at


@pytest.mark.parametrize(("zone", "local_as_of"), CALENDAR_CASES, ids=[f"{z}-{t:%m%dT%H%M}" for z, t in CALENDAR_CASES])
def test_calendar_windows_on_every_engine(engine: engines.Engine, zone: str, local_as_of: dt.datetime) -> None:
    as_of = local_as_of.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    market = _market(zone)
    data, at = _calendar_data(zone, as_of)
    engine.load("people", PROFILE_COLS, data["people"])
    engine.load("buys", EVENT_COLS, data["buys"])
    for window, start, end, end_inc in _calendar_expectations(zone, as_of):
        inside = {i for i, t in at.items() if start <= t and (t <= end if end_inc else t < end)}
        day_inside = {p["id"] for p in data["people"]
                      if start <= _m(zone, p["signup"]) and (_m(zone, p["signup"]) <= end if end_inc
                                                            else _m(zone, p["signup"]) < end)}
        forms = [(f"include performed purchase {window}", inside),
                 (f"include count(purchase) {window} >= 1", inside) if window.startswith("in ") else None,
                 (f"include seen {window}", inside) if window.startswith("in ") else None,
                 (f"include signup {window}", day_inside) if window.startswith("in ") else None]
        for text, expected in [f for f in forms if f is not None]:
            checked = _checked(text, market)
            ev = evaluate(checked, data, as_of=as_of)
            got = member_ids(engine.query(compile_sql(checked, engine.dialect, as_of)))
            assert (ev, got) == (expected, expected), f"{zone} {as_of} {text}: evaluator {ev}, {engine.name} {got}"


def test_calendar_windows_without_as_of_are_refused() -> None:
    """... on the dialects that do not compute them from the warehouse clock (the others do:
    tests/test_calendar_now.py, tests/test_calendar_dialects.py)."""
    for zone in ("UTC", "Asia/Tokyo"):
        checked = _checked("include performed purchase yesterday", _market(zone))
        for dialect in ("sqlite", "mysql"):
            res = compile_audience(checked, dialect, as_of=None)
            assert res.query is None and [d.code for d in res.diagnostics] == ["E509"], res.diagnostics
            assert f"dialect '{dialect}'" in res.diagnostics[0].message
            assert "--as-of" in res.diagnostics[0].hints[0]
        for dialect in ("duckdb", "postgres", "spark", "trino", "clickhouse", "tsql"):
            assert compile_audience(checked, dialect, as_of=None).query is not None


def test_calendar_windows_format_back_as_written() -> None:
    from audiencelang.syntax.formatter import format_str
    for text in ("performed purchase today", "performed purchase yesterday",
                 "performed app_open in last 7 calendar days", "signup_date in last 2 calendar months",
                 "count(purchase) in last 1 calendar week >= 2"):
        src = f'audience a {{\n  owner "t@example.com"\n\n  include {text}\n}}\n'
        assert format_str(src) == src


def test_unknown_calendar_unit_is_e111() -> None:
    res = parse('audience a {\n  owner "t@example.com"\n  include performed x in last 3 calendar years\n}\n')
    assert not res.ok and [d.code for d in res.diagnostics] == ["E111"]
    assert "calendar unit 'years'" in res.diagnostics[0].message


def test_the_spec_section_9_examples_run_on_duckdb_as_written(duckdb_engine: engines.Engine) -> None:
    section = SPEC.read_text(encoding="utf-8").split("## 9.", 1)[1].split("\n## ", 1)[0]
    block = section.split("Calendar windows", 1)[1].split("```\n", 2)[1]
    lines = [line for line in block.splitlines() if line.strip()]
    assert lines == ["performed purchase today", "performed purchase yesterday",
                     "performed app_open in last 7 calendar days", "signup_date in last 2 calendar months"]
    text = """market: jp
timezone: Asia/Tokyo
profiles:
  table: people
  id: id
  traits:
    signup_date: {column: signup, type: date}
events:
  purchase: {table: buys, user: user_id, time: at}
  app_open: {table: opens, user: user_id, time: at}
"""
    market, diags = load_market_text(text)
    assert market is not None, diags
    # as_of 2024-11-29 09:00 Tokyo = 00:00 UTC: today began 2024-11-28 15:00 UTC
    as_of = dt.datetime(2024, 11, 29, 0, 0, tzinfo=UTC)
    t = dt.datetime(2024, 11, 28, 15, 0)  # Tokyo's midnight, naive UTC
    people = [{"id": 1, "signup": dt.date(2024, 10, 1)}, {"id": 2, "signup": dt.date(2024, 9, 30)},
              {"id": 3, "signup": None}]
    buys = [{"user_id": 1, "at": t}, {"user_id": 2, "at": t - US}]
    opens = [{"user_id": 1, "at": t - dt.timedelta(days=6)}, {"user_id": 2, "at": t - dt.timedelta(days=6) - US}]
    data = {"people": people, "buys": buys, "opens": opens}
    duckdb_engine.load("people", {"id": "integer", "signup": "date"}, people)
    duckdb_engine.load("buys", EVENT_COLS, buys)
    duckdb_engine.load("opens", EVENT_COLS, opens)
    expected = [{1}, {2}, {1}, {1}]
    for line, want in zip(lines, expected, strict=True):
        checked = _checked(f"include {line}", market)
        got = member_ids(duckdb_engine.query(compile_sql(checked, "duckdb", as_of)))
        assert (evaluate(checked, data, as_of=as_of), got) == (want, want), line


def test_explain_names_the_local_bounds_it_used() -> None:
    from audiencelang.eval import explain
    market = _market("Europe/Berlin")
    as_of = dt.datetime(2024, 4, 1, 0, 30, tzinfo=ZoneInfo("Europe/Berlin"))  # yesterday lasted 23 hours
    data = {"people": [{"id": 1, "seen": None, "signup": dt.date(2024, 3, 1)}],
            "buys": [{"user_id": 1, "at": dt.datetime(2024, 3, 30, 23, 0)}]}
    out = explain(_checked("include performed purchase yesterday", market), data, 1, as_of).render()
    assert ("yesterday = from 2024-03-31 00:00 Europe/Berlin (2024-03-30T23:00:00Z) up to "
            "2024-04-01 00:00 Europe/Berlin (2024-03-31T22:00:00Z) excluded") in out, out
    out = explain(_checked("include signup in last 1 calendar month", market), data, 1, as_of).render()
    assert "in last 1 calendar month = from 2024-04-01 00:00 Europe/Berlin (2024-03-31T22:00:00Z) up to as_of" in out
