"""Differential tests of SQL compiled WITHOUT ``as_of``: the warehouse's own clock.

Compiled without ``as_of`` (duckdb, postgres, sqlite), the statement reads the
warehouse's current time once, in a ``params`` CTE (docs/semantics.md, Time). Here
that SQL runs on DuckDB, SQLite and PostgreSQL and must return exactly the
reference evaluator's members at the instant the statement ran.

The clock moves between building the data, running the SQL and evaluating, so
every example is built around ``now0`` (the current UTC time truncated to the
minute) and every time-dependent value is kept at least :data:`MARGIN` away from
every edge an audience can put there (``now - N*unit`` for each window and
``max_age_days``, and ``now`` itself), with seconds and microseconds jitter so
SQLite's second-resolution ``DATETIME('now')`` is compared with fractional text.
Rows in the future (events, consent grants, double opt-in confirmations) are
part of every data set and must never count. The evaluator runs at the time
read just *before* and just *after* the statement; both must agree (the data is
stable over that interval, so the warehouse's own instant has the same answer),
the engine must return that set, and the whole example must finish within
``MARGIN`` of ``now0`` (checked).

The generated audiences come from ``tests/datagen.py`` (every construct, windows
``in last 90 minutes / 1 hour / 7 days / 1 week / 30 days / 400 days``, ``since``,
``between``, ``before``/``after``, aggregates, consent, references); only the
market and the rows are built here, relative to ``now0``. The hand-written
audiences at the bottom state the member sets a user would expect.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import hypothesis
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audiencelang import ast
from audiencelang.check.checked import CheckedAudience
from audiencelang.eval import evaluate
from audiencelang.schema.loader import load_market
from audiencelang.schema.market import Market
from audiencelang.syntax import parse
from tests import engines
from tests.datagen import (
    DECIMALS,
    INTEGERS,
    LAST_WINDOWS,
    STRINGS,
    Scenario,
    audiences,
    compile_sql,
    markets,
    member_ids,
    string_ids,
)

UTC = dt.UTC
MINUTE = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
MARGIN = dt.timedelta(minutes=5)
"""No time-dependent value lies within this distance of an edge; an example must finish within it."""

# every `now - W` an audience of this file can test: the generator's `in last` windows, the
# generated markets' max_age_days (1, 7, 365), the hand-written windows below, and now itself
EDGE_WINDOWS = sorted(
    {dt.timedelta(0)}
    | {dt.timedelta(**{unit + "s": n}) for n, unit in LAST_WINDOWS}
    | {dt.timedelta(days=d) for d in (1, 7, 365)}
    | {dt.timedelta(minutes=30), dt.timedelta(hours=2), dt.timedelta(days=90), dt.timedelta(weeks=2)}
)

SETTINGS = settings(deadline=None, print_blob=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture],
                    # the first failing example is reported as drawn (shrinking one ran for minutes);
                    # AUDIENCELANG_SHRINK=1 shrinks, to study a failure
                    **({} if os.environ.get("AUDIENCELANG_SHRINK") == "1"
                       else {"phases": [hypothesis.Phase.generate]}))
EXAMPLES = 9  # x 12 audiences = 108 per engine
TZ_EXAMPLES = 4  # x 12 = 48 per engine in a UTC+14 session
PER_EXAMPLE = 12
FAR_EAST = "SET TimeZone = 'Pacific/Kiritimati'"


def now_minute() -> dt.datetime:
    return dt.datetime.now(UTC).replace(second=0, microsecond=0)


def clock() -> dt.datetime:
    return dt.datetime.now(UTC)


def safe(t: dt.datetime, now0: dt.datetime) -> bool:
    """``t`` is at least MARGIN away from every edge ``now0 - W`` (and from now0)."""
    return all(abs(t - (now0 - w)) >= MARGIN for w in EDGE_WINDOWS)


def midnight(d: dt.date) -> dt.datetime:
    return dt.datetime(d.year, d.month, d.day, tzinfo=UTC)


# --------------------------------------------------------------------------- data relative to now

# hours back from now0 (negative: the future); each point is then moved 7, 37 or 53 minutes
# further back plus up to 50 s of jitter, so it sits 6-53 minutes from the whole-hour edges
HOURS_BACK = [-24 * 400, -25, -1, 0, 1, 2, 3, 23, 24, 25, 24 * 7 - 1, 24 * 7, 24 * 7 + 1,
              24 * 30 - 1, 24 * 30, 24 * 30 + 1, 24 * 90, 24 * 365 - 1, 24 * 365, 24 * 365 + 1,
              24 * 400 - 1, 24 * 400 + 1, 24 * 800]
DAYS_BACK = [-400, -2, -1, 0, 1, 2, 6, 7, 8, 13, 14, 15, 29, 30, 31, 89, 91, 364, 366, 399, 400, 401, 800]


@st.composite
def instants(draw: st.DrawFn, now0: dt.datetime) -> dt.datetime:
    hours = draw(st.sampled_from(HOURS_BACK))
    minutes = draw(st.sampled_from([7, 37, 53]))
    jitter = dt.timedelta(seconds=draw(st.integers(0, 50)), microseconds=draw(st.sampled_from([0, 1, 500000, 999999])))
    t = now0 - hours * HOUR - minutes * MINUTE - jitter
    assert safe(t, now0), (t, now0)  # 6-53 minutes from every whole-hour and 30-minute edge
    return t


@st.composite
def dates(draw: st.DrawFn, now0: dt.datetime) -> dt.date:
    # a date whose midnight is too near an edge (now0 close to midnight) becomes 3 days ago, which is
    # always safe; the pool keeps its size so that hypothesis replays the same choices
    fallback = (now0 - 3 * DAY).date()
    assert safe(midnight(fallback), now0)
    d = (now0 - draw(st.sampled_from(DAYS_BACK)) * DAY).date()
    return d if safe(midnight(d), now0) else fallback


def _value(draw: st.DrawFn, kind: str, now0: dt.datetime) -> Any:
    if draw(st.integers(0, 5)) == 0:
        return None
    if kind == "string":
        return draw(st.sampled_from(STRINGS))
    if kind == "integer":
        return draw(st.sampled_from(INTEGERS))
    if kind == "decimal":
        return draw(st.sampled_from(DECIMALS))
    if kind == "boolean":
        return draw(st.booleans())
    if kind == "date":
        return draw(dates(now0))
    return draw(instants(now0))


@st.composite
def now_scenarios(draw: st.DrawFn, now0: dt.datetime, n_audiences: int = 8, no_true_column: bool = False,
                  samples: bool = True, tables: Sequence[str] | None = None) -> Scenario:
    """A generated market (hostile names, datagen) with rows placed around ``now0``.

    ``no_true_column``: no column is named ``true``/``false`` (for SQLite, where a bare ``TRUE``
    in the compiled SQL means such a column: see test_sqlite_boolean_literal_next_to_a_column_named_true)."""
    strategy = markets(tables=tables)
    if no_true_column:
        strategy = strategy.filter(lambda mc: not any(c.lower() in ("true", "false")
                                                      for cols in mc[1].values() for c in cols))
    market, columns = draw(strategy)
    prof = market.profiles
    n = draw(st.integers(4, 12))
    ids: list[Any] = (list(range(1, n + 1)) if columns[prof.table][prof.id] == "integer"
                      else string_ids(n))
    data: dict[str, list[dict[str, Any]]] = {}
    data[prof.table] = [{prof.id: pid, **{f.column: _value(draw, f.type, now0) for f in prof.traits.values()}}
                        for pid in ids]

    by_table: dict[str, list[Any]] = {}
    for ev in market.events.values():
        by_table.setdefault(ev.table, []).append(ev)
    for table, evs in by_table.items():
        ev0 = evs[0]
        kind_col = ev0.where.column if ev0.where is not None else None
        kinds = [e.where.equals for e in evs if e.where is not None]
        rows = []
        for _ in range(draw(st.integers(2 * n, 6 * n))):
            row: dict[str, Any] = {}
            for c, t in columns[table].items():
                if c == ev0.user:
                    row[c] = draw(st.sampled_from([*ids, *ids, None]))
                elif c == ev0.time:
                    row[c] = draw(st.one_of(instants(now0), instants(now0), st.just(None)))
                elif c == kind_col:
                    row[c] = draw(st.sampled_from([*kinds, *kinds, None]))
                else:
                    row[c] = _value(draw, t, now0)
            rows.append(row)
        data[table] = rows

    consent = market.consent
    assert consent is not None
    statuses = [consent.statuses.granted, consent.statuses.denied, consent.statuses.revoked]
    purposes = [p.value for p in consent.purposes.values()]
    assert consent.confirmed is not None
    crows: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(2 * n, 6 * n))):
        at: dt.datetime | None = draw(st.one_of(instants(now0), instants(now0), st.just(None)))
        crows.append({
            consent.user: draw(st.sampled_from(ids)),
            consent.purpose: draw(st.sampled_from(purposes)),
            consent.status: draw(st.sampled_from([*statuses, consent.statuses.granted, "maybe"])),
            consent.time: at,
            consent.confirmed: draw(st.one_of(st.just(None), st.just(at), instants(now0))),
        })
        if at is not None and draw(st.integers(0, 4)) == 0:  # a tie at the same instant
            crows.append({**crows[-1], consent.status: draw(st.sampled_from(statuses))})
    data[consent.table] = crows

    scn = Scenario(market, columns, data, now0, samples=samples)  # as_of = now0: the audiences' literals sit around it
    scn.refs["ref_0"] = draw(audiences(scn, "ref_0", allow_refs=False))
    scn.audiences = [draw(audiences(scn, f"a_{i}")) for i in range(n_audiences)]
    scn.audiences += [draw(clock_audiences(scn, f"t_{i}")) for i in range(N_CLOCK_AUDIENCES)]
    return scn


N_CLOCK_AUDIENCES = 4
"""Per example, besides datagen's 8 audiences over every construct: audiences made only of
conditions the clock decides, so that most comparisons exercise the params CTE."""

CLOCK_WINDOWS = [(30, "minute"), (90, "minute"), (1, "hour"), (2, "hour"), (1, "day"), (7, "day"),
                 (1, "week"), (2, "week"), (30, "day"), (90, "day"), (400, "day")]


@st.composite
def clock_audiences(draw: st.DrawFn, scn: Scenario, name: str) -> ast.Audience:
    m = scn.market
    assert m.consent is not None
    purposes = sorted(m.consent.purposes)

    def window() -> ast.LastWindow:
        n, unit = draw(st.sampled_from(CLOCK_WINDOWS))
        return ast.LastWindow(amount=n, unit=unit)

    def leaf() -> ast.Expr:
        kind = draw(st.sampled_from(["trait", "performed", "count", "where", "consent", "consent"]))
        if kind == "trait":
            trait = draw(st.sampled_from(["t_date", "t_timestamp"]))
            return ast.InLast(target=ast.Name(value=trait), window=window())
        if kind == "consent":
            return ast.HasConsent(purpose=ast.Name(value=draw(st.sampled_from(purposes))))
        event = draw(st.sampled_from(sorted(m.events)))
        props = m.events[event].properties
        if kind == "where" and "p_at" in props:  # `p_at` is the event's own time column
            return ast.Performed(event=ast.Name(value=event), where=ast.InLast(
                target=ast.Name(value="p_at"), window=window()))
        if kind == "count":
            agg = ast.Aggregate(func="count", event=ast.Name(value=event), window=window())
            return ast.Compare(target=agg, op=draw(st.sampled_from([">=", "<", "="])),
                               value=ast.NumberLit(value=Decimal(draw(st.integers(1, 2)))))
        count = None
        if draw(st.booleans()):
            count = ast.Count(op=draw(st.sampled_from(["at_least", "at_most", "exactly"])), n=draw(st.integers(0, 2)))
        return ast.Performed(event=ast.Name(value=event), count=count, window=window())

    def tree(depth: int) -> ast.Expr:
        shape = draw(st.integers(0, 5)) if depth else 0
        if shape < 2:
            return leaf()
        if shape == 2:
            return ast.Not(operand=tree(depth - 1))
        items = (tree(depth - 1), tree(depth - 1))
        return ast.And(items=items) if shape < 5 else ast.Or(items=items)

    exclude = tree(0) if draw(st.integers(0, 3)) == 0 else None
    require: tuple[ast.RequireConsent, ...] = ()
    if draw(st.integers(0, 3)) == 0:
        require = (ast.RequireConsent(purposes=(ast.Name(value=draw(st.sampled_from(purposes))),)),)
    return ast.Audience(name=ast.Name(value=name), include=tree(2), exclude=exclude, require_consent=require)


# --------------------------------------------------------------------------- comparing at the warehouse's now


SHIFTS = [k * unit for k in (-1, 1) for unit in (HOUR, 2 * HOUR, DAY, 7 * DAY, 30 * DAY)]


class Tally:
    """What a run compared: audiences, and how many of them the clock decides (their members
    differ a day earlier or a day later), so a run in which time never mattered fails."""

    def __init__(self) -> None:
        self.audiences = 0
        self.clock_sensitive = 0
        self.non_empty = 0


def compare_at_now(engine: engines.Engine, checked: CheckedAudience, data: Any, now0: dt.datetime, *,
                   ascii_case: bool = False, describe: Any = None) -> set[Any]:
    """Compile without as_of, run, and compare with the evaluator at the instants around the run.
    Returns the member set."""
    sql = compile_sql(checked, engine.dialect, None)
    # (that this SQL really reads the clock is shown by the tally: its answer matches the evaluator at the
    # statement's time while the evaluator's answer a day or an hour away differs)
    before = clock() - dt.timedelta(seconds=1)  # SQLite's DATETIME('now') is truncated to the second
    got = member_ids(engine.query(sql))
    after = clock()
    expected = evaluate(checked, data, as_of=after, ascii_case_folding=ascii_case)
    expected_before = evaluate(checked, data, as_of=before, ascii_case_folding=ascii_case)

    def report(title: str) -> str:
        head = (f"{title}\nSQL compiled without as_of; data built around now0 = {now0.isoformat()}; "
                f"statement ran between {before.isoformat()} and {after.isoformat()}\n")
        body = describe(sql, got, expected) if describe else f"--- SQL\n{sql}\n--- engine {sorted(map(repr, got))}"
        return head + body + f"\n--- evaluator at the start of the statement {sorted(map(repr, expected_before))}"

    assert after - now0 < MARGIN, report("too slow: the example outlived the data's distance from every edge")
    assert expected_before == expected, report("unstable: the data is too close to an edge (a bug in this test)")
    assert got == expected, report(f"engine {engine.name}: member sets differ")
    return got


def run_scenario(scn: Scenario, engine: engines.Engine, tally: Tally, *, seed: object,
                 ascii_case: bool = False) -> None:
    scn.load(engine)
    for aud in scn.audiences:
        checked = scn.checked(aud)

        def describe(sql: str, got: Any, expected: Any, aud: Any = aud) -> str:
            return scn.reproducer(aud, sql, engine.name, got, expected, seed)

        got = compare_at_now(engine, checked, scn.data, scn.as_of, ascii_case=ascii_case, describe=describe)
        tally.audiences += 1
        tally.non_empty += bool(got)
        later = clock()
        if any(evaluate(checked, scn.data, as_of=later + shift, ascii_case_folding=ascii_case) != got
               for shift in SHIFTS):
            tally.clock_sensitive += 1


#: The least share (1 in CLOCK_SHARE) of compared audiences the clock must decide. What
#: share of the generated audiences it decides depends on the instant of the run as well as
#: on the seed (the data is built around now): on 2026-12-07 16:00 UTC, over 12 seeds and
#: all retries, 9.7-16 % of the hostile-zone audiences were decided, so 1 in 6 failed one
#: run in five, 1 in 8 one in twelve. A run in which time never mattered has none.
CLOCK_SHARE = 16


def _meaningful(tally: Tally) -> bool:
    return tally.clock_sensitive >= tally.audiences // CLOCK_SHARE and tally.non_empty >= tally.audiences // 5


def assert_meaningful(tally: Tally, at_least: int) -> None:
    assert tally.audiences >= at_least, tally.audiences
    # the clock must decide a good share of them, and some must have members
    assert tally.clock_sensitive >= tally.audiences // CLOCK_SHARE, (tally.clock_sensitive, tally.audiences)
    assert tally.non_empty >= tally.audiences // 5, (tally.non_empty, tally.audiences)


@pytest.fixture
def seed(request: pytest.FixtureRequest) -> Any:
    return request.config.getoption("hypothesis_seed", None)


def _generated(make_engine: Any, seed: Any, examples: int, *, ascii_case: bool = False,
               no_true_column: bool = False, samples: bool = True) -> Tally:
    tally = Tally()

    @settings(SETTINGS, max_examples=examples)
    @given(st.data())
    def run(data: st.DataObject) -> None:
        now0 = now_minute()
        scn = data.draw(now_scenarios(now0, no_true_column=no_true_column, samples=samples))
        with make_engine() as eng:
            run_scenario(scn, eng, tally, seed=seed, ascii_case=ascii_case)

    run()
    # A small run can draw too few audiences the clock decides (about 1 seed in 25 did):
    # rather than pass a weak run or fail a correct one, draw more, reproducibly from the
    # run's seed, until assert_meaningful's shares hold (it still asserts them).
    for extra in range(1, 6):
        if _meaningful(tally):
            break
        hypothesis.seed(int(seed or 0) * 31 + extra)(run)()
    return tally


class _Duck:
    def __init__(self, session_sql: Sequence[str] = (), zone: str = "Pacific/Kiritimati", zoned: bool = False) -> None:
        self.session_sql = session_sql
        self.zone = zone
        self.zoned = zoned

    def __enter__(self) -> engines.Engine:
        self.con = duckdb.connect(":memory:")
        for stmt in self.session_sql:
            self.con.execute(stmt)
        if self.session_sql:
            assert self.con.execute("SELECT current_setting('TimeZone')").fetchone() == (self.zone,)
        return engines.duckdb_engine(self.con, zoned=self.zoned)

    def __exit__(self, *exc: object) -> None:
        self.con.close()


class _Lite:
    def __enter__(self) -> engines.Engine:
        self.con = sqlite3.connect(":memory:")
        return engines.sqlite_engine(self.con)

    def __exit__(self, *exc: object) -> None:
        self.con.close()


class _Pg:
    """The test's database, emptied before each example."""

    def __init__(self, conn: Any, zoned: bool = False) -> None:
        self.conn = conn
        self.zoned = zoned

    def __enter__(self) -> engines.Engine:
        _pg_reset(self.conn)
        return engines.postgres_engine(self.conn, zoned=self.zoned)

    def __exit__(self, *exc: object) -> None:
        self.conn.rollback()


def _pg_reset(conn: Any) -> None:
    conn.rollback()
    rows = conn.execute("SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' "
                        "AND nspname <> 'information_schema'").fetchall()
    for (schema,) in rows:
        conn.execute(f'DROP SCHEMA "{schema.replace(chr(34), chr(34) * 2)}" CASCADE')
    conn.execute("CREATE SCHEMA public")
    conn.execute("RESET TimeZone")
    conn.commit()


@pytest.fixture
def pg(pg_connection: Any) -> Any:
    """A fresh database with the cluster's defaults (tests/conftest.py)."""
    return pg_connection


# --------------------------------------------------------------------------- generated


def test_duckdb_at_the_warehouse_clock_matches_the_evaluator(seed: Any) -> None:
    assert_meaningful(_generated(_Duck, seed, EXAMPLES), PER_EXAMPLE * EXAMPLES)


def test_sqlite_at_the_warehouse_clock_matches_the_evaluator(seed: Any) -> None:
    assert_meaningful(_generated(_Lite, seed, EXAMPLES, ascii_case=True, samples=False),  # E520 on SQLite
                      PER_EXAMPLE * EXAMPLES)


@pytest.mark.postgres
def test_postgres_at_the_warehouse_clock_matches_the_evaluator(pg: Any, seed: Any) -> None:
    assert_meaningful(_generated(lambda: _Pg(pg), seed, EXAMPLES), PER_EXAMPLE * EXAMPLES)


def test_duckdb_clock_in_a_far_east_session_time_zone(seed: Any) -> None:
    """``SET TimeZone`` needs DuckDB's ICU extension (bundled in the Python wheel)."""
    assert_meaningful(_generated(lambda: _Duck([FAR_EAST]), seed, TZ_EXAMPLES), PER_EXAMPLE * TZ_EXAMPLES)


@pytest.mark.postgres
def test_postgres_clock_in_a_far_east_session_time_zone(pg: Any, seed: Any) -> None:
    class FarEast(_Pg):
        def __enter__(self) -> engines.Engine:
            eng = super().__enter__()
            self.conn.execute(FAR_EAST)
            self.conn.commit()
            assert self.conn.execute("SHOW TimeZone").fetchone() == ("Pacific/Kiritimati",)
            self.conn.commit()
            return eng

    assert_meaningful(_generated(lambda: FarEast(pg), seed, TZ_EXAMPLES), PER_EXAMPLE * TZ_EXAMPLES)


# TIMESTAMPTZ columns in sessions far from UTC (a half-hour offset among them): exact since the
# clock and the times it meets are counted from the epoch (audiencelang/sql/clock.py); before,
# the params bounds were naive TIMESTAMPs, read in the session's zone against such columns
HOSTILE = ["Pacific/Kiritimati", "America/St_Johns", "Etc/GMT+12"]


@pytest.mark.parametrize("zone", HOSTILE)
def test_duckdb_clock_on_timestamptz_columns_in_hostile_session_time_zones(zone: str, seed: Any) -> None:
    assert_meaningful(_generated(lambda: _Duck([f"SET TimeZone = '{zone}'"], zone, zoned=True), seed, 2),
                      PER_EXAMPLE * 2)


@pytest.mark.postgres
@pytest.mark.parametrize("zone", HOSTILE)
def test_postgres_clock_on_timestamptz_columns_in_hostile_session_time_zones(pg: Any, zone: str, seed: Any) -> None:
    class Hostile(_Pg):
        def __enter__(self) -> engines.Engine:
            eng = super().__enter__()
            self.conn.execute(f"SET TimeZone = '{zone}'")
            self.conn.commit()
            return eng

    assert_meaningful(_generated(lambda: Hostile(pg, zoned=True), seed, 2), PER_EXAMPLE * 2)


class _My:
    """The MariaDB test database, emptied, in a session at ``zone``; timestamps in TIMESTAMP(6)
    columns, which MariaDB converts to the session's zone when read."""

    def __init__(self, conn: Any, zone: str) -> None:
        self.conn = conn
        self.zone = zone

    def __enter__(self) -> engines.Engine:
        from tests.conftest import mysql_reset

        mysql_reset(self.conn)
        with self.conn.cursor() as cur:
            cur.execute("SET time_zone = %s", (self.zone,))
        return engines.mysql_engine(self.conn, zoned=True)

    def __exit__(self, *exc: object) -> None:
        pass


@pytest.mark.mysql
@pytest.mark.parametrize("zone", ["+13:00", "-12:00"])
def test_mysql_clock_on_timestamp_columns_in_far_session_time_zones(mysql_connection: Any, zone: str,
                                                                    seed: Any) -> None:
    """``UTC_TIMESTAMP(6)`` does not move with the session, and the statement reads TIMESTAMP
    columns at '+00:00' (its own ``SET STATEMENT``), whatever the session's zone."""
    assert_meaningful(_generated(lambda: _My(mysql_connection, zone), seed, 2), PER_EXAMPLE * 2)


# --------------------------------------------------------------------------- hand-written: what a user expects

DE_MARKET, _diags = load_market(Path(__file__).resolve().parents[1] / "examples" / "markets" / "de.yaml")
assert DE_MARKET is not None, _diags
DE: Market = DE_MARKET
DE_COLUMNS: dict[str, dict[str, str]] = {
    "crm.kunden": {"kunden_id": "integer", "land": "string", "angemeldet_am": "date", "letzter_login": "timestamp"},
    "web.ereignisse": {"kunden_id": "integer", "ereignis": "string", "zeitpunkt": "timestamp", "geraet": "string"},
    "shop.bestellungen": {"kunde": "integer", "bestellt_am": "timestamp", "umsatz": "decimal", "kanal": "string"},
    "legal.einwilligungen": {"kunden_id": "integer", "zweck": "string", "status": "string",
                             "geaendert_am": "timestamp", "bestaetigt_am": "timestamp"},
}


def de_data(now0: dt.datetime) -> dict[str, list[dict[str, Any]]]:
    """Nine customers of the example `de` market; every time is whole days/hours and 7 minutes
    from ``now0`` (dates are at least a day from any edge, whatever the time of day)."""

    def ago(days: float = 0, hours: float = 0, minutes: float = 0) -> dt.datetime:
        return now0 - dt.timedelta(days=days, hours=hours, minutes=minutes)

    today = now0.date()
    profiles = [
        {"kunden_id": 1, "land": "DE", "angemeldet_am": today - 3 * DAY, "letzter_login": ago(hours=1, minutes=7)},
        {"kunden_id": 2, "land": "DE", "angemeldet_am": today - 40 * DAY, "letzter_login": ago(hours=2, minutes=7)},
        {"kunden_id": 3, "land": "DE", "angemeldet_am": today + 2 * DAY, "letzter_login": ago(minutes=-7)},
        {"kunden_id": 4, "land": "DE", "angemeldet_am": today - 25 * DAY, "letzter_login": ago(hours=1, minutes=53)},
        {"kunden_id": 5, "land": "DE"},
        {"kunden_id": 6, "land": "DE"},
        {"kunden_id": 7, "land": "DE"},
        {"kunden_id": 8, "land": "DE"},
        {"kunden_id": 9, "land": "AT"},
    ]
    web = [
        {"kunden_id": 1, "ereignis": "warenkorb", "zeitpunkt": ago(days=2, minutes=7)},
        {"kunden_id": 2, "ereignis": "warenkorb", "zeitpunkt": ago(days=7, minutes=7)},    # just outside 7 days
        {"kunden_id": 3, "ereignis": "warenkorb", "zeitpunkt": ago(hours=-1, minutes=-7)},  # in an hour
        {"kunden_id": 4, "ereignis": "warenkorb", "zeitpunkt": ago(days=7, minutes=-7)},   # just inside 7 days
        {"kunden_id": 5, "ereignis": "sitzung", "zeitpunkt": ago(minutes=7), "geraet": "ios"},
        {"kunden_id": 6, "ereignis": "sitzung", "zeitpunkt": ago(minutes=37), "geraet": "ios"},
        {"kunden_id": 7, "ereignis": "seitenaufruf", "zeitpunkt": ago(days=-1)},           # tomorrow
    ]
    orders = [
        {"kunde": 1, "bestellt_am": ago(days=10, minutes=7), "umsatz": Decimal("60.00")},
        {"kunde": 1, "bestellt_am": ago(days=89), "umsatz": Decimal("50.00")},
        {"kunde": 2, "bestellt_am": ago(days=91, minutes=7), "umsatz": Decimal("100.00")},
        {"kunde": 2, "bestellt_am": ago(days=1, minutes=7), "umsatz": Decimal("100.00")},
        {"kunde": 3, "bestellt_am": ago(minutes=-7), "umsatz": Decimal("500.00")},          # in 7 minutes
        {"kunde": 3, "bestellt_am": ago(days=13, minutes=7), "umsatz": Decimal("40.00")},
        {"kunde": 8, "bestellt_am": ago(days=14, minutes=7), "umsatz": Decimal("200.00")},  # just outside 2 weeks
        {"kunde": 8, "bestellt_am": ago(days=14, minutes=-7), "umsatz": Decimal("50.00")},  # just inside
    ]

    def consent(pid: int, purpose: str, status: str, at: dt.datetime, confirmed: dt.datetime | None = None,
                ) -> dict[str, Any]:
        return {"kunden_id": pid, "zweck": purpose, "status": status, "geaendert_am": at, "bestaetigt_am": confirmed}

    consents = [
        # ads_personalization: opt-in, max_age_days 365
        consent(1, "werbung", "erteilt", ago(days=364, minutes=7)),
        consent(2, "werbung", "erteilt", ago(days=365, minutes=7)),         # expired a few minutes ago
        consent(3, "werbung", "erteilt", ago(days=30)),
        consent(3, "werbung", "widerrufen", ago(days=1)),
        consent(4, "werbung", "erteilt", ago(days=400)),
        consent(4, "werbung", "erteilt", ago(hours=-1)),                    # renewed only in an hour
        consent(5, "werbung", "erteilt", ago(days=10)),
        consent(5, "werbung", "widerrufen", ago(hours=-1)),                 # revoked only in an hour
        # email_marketing: opt-in with double opt-in
        consent(1, "newsletter", "erteilt", ago(days=10), ago(days=9)),
        consent(2, "newsletter", "erteilt", ago(days=10), ago(hours=-1)),   # confirmed only in an hour
        consent(3, "newsletter", "erteilt", ago(days=10)),                  # never confirmed
        consent(6, "newsletter", "erteilt", ago(days=10), ago(days=9)),
        consent(6, "newsletter", "erteilt", ago(days=1)),                   # latest grant unconfirmed
        consent(7, "newsletter", "erteilt", ago(days=400), ago(days=399)),  # no max age for e-mail
        consent(8, "newsletter", "erteilt", ago(hours=-2), ago(hours=-1)),  # all in the future
    ]
    return {"crm.kunden": profiles, "web.ereignisse": web, "shop.bestellungen": orders,
            "legal.einwilligungen": consents}


def _d(now0: dt.datetime, days: int) -> str:
    return (now0.date() + dt.timedelta(days=days)).isoformat()


# (audience text with {d-N} placeholders for the date N days from today, expected member ids)
EXPECTED: list[tuple[str, set[int]]] = [
    ("include performed add_to_cart in last 7 days", {1, 4}),
    ("include performed add_to_cart in last 1 week", {1, 4}),
    ("include performed session in last 30 minutes", {5}),
    ("include performed session in last 1 hour", {5, 6}),
    ("include performed session where device = \"ios\" in last 90 minutes", {5, 6}),
    ("include performed page_view", set()),
    ("include not performed page_view and country = \"DE\"", {1, 2, 3, 4, 5, 6, 7, 8}),
    ("include performed page_view at most 0 times and country = \"AT\"", {9}),
    ("include signup_date in last 30 days", {1, 4}),
    ("include last_login_at in last 2 hours", {1, 4}),
    ("include last_login_at in last 120 minutes and not signup_date in last 4 weeks", set()),
    ("include count(purchase) in last 90 days >= 2", {1, 8}),
    ("include sum(purchase.revenue) in last 2 weeks >= 100", {2}),
    ("include performed purchase in last 2 weeks", {1, 2, 3, 8}),
    ("include performed purchase since {d-12}", {1, 2}),
    ("include performed purchase between {d-20} and {d-5}", {1, 3, 8}),
    ("include signup_date before {d-10}", {2, 4}),
    ("include signup_date after {d+0}", {3}),
    ("include country = \"DE\" require consent ads_personalization", {1, 5}),
    ("include country in [\"DE\", \"AT\"] require consent email_marketing", {1, 7}),
    ("include has consent ads_personalization or has consent email_marketing", {1, 5, 7}),
    ("include performed add_to_cart in last 7 days exclude performed purchase in last 7 days "
     "require consent ads_personalization", {1}),
]


def _render(text: str, now0: dt.datetime) -> str:
    return re.sub(r"\{d([+-]\d+)\}", lambda m: _d(now0, int(m.group(1))), text)


HAND_ENGINES = [
    pytest.param("duckdb", (), id="duckdb"),
    pytest.param("duckdb", (FAR_EAST,), id="duckdb-utc+14"),
    pytest.param("sqlite", (), id="sqlite"),
    pytest.param("postgres", (), id="postgres", marks=pytest.mark.postgres),
    pytest.param("postgres", (FAR_EAST,), id="postgres-utc+14", marks=pytest.mark.postgres),
]


@pytest.mark.parametrize(("engine_name", "session_sql"), HAND_ENGINES)
def test_hand_written_audiences_at_the_warehouse_clock(engine_name: str, session_sql: tuple[str, ...],
                                                        request: pytest.FixtureRequest) -> None:
    eng: engines.Engine = request.getfixturevalue(f"{engine_name}_engine")
    now0 = now_minute()
    data = de_data(now0)
    for table, cols in DE_COLUMNS.items():
        eng.load(table, cols, data[table])
    for stmt in session_sql:
        eng.query(stmt)
    for text, expected in EXPECTED:
        res = parse(f"audience a {{ {_render(text, now0)} }}")
        assert res.ok and res.file is not None, res.diagnostics
        aud = res.file.audiences[0]
        checked = CheckedAudience("a", aud, DE, None, {"a": aud}, {})
        got = compare_at_now(eng, checked, data, now0)  # == the evaluator at the statement's time
        assert got == expected, f"{text}: {sorted(got)} != {sorted(expected)}"


# --------------------------------------------------------------------------- known SQL bug (found here)

TRUE_MARKET = {
    "market": "m",
    "profiles": {"table": "people", "id": "id", "traits": {
        "vip": {"column": "vip", "type": "boolean"},
        "since": {"column": "true", "type": "date"},  # a column that happens to be called `true`
    }},
}


def test_sqlite_boolean_literal_next_to_a_column_named_true(sqlite_engine: engines.Engine) -> None:
    """``vip = true`` must select the VIP whatever the table's other columns are called."""
    market = Market.model_validate(TRUE_MARKET, strict=False)
    now0 = now_minute()
    sqlite_engine.load("people", {"id": "integer", "vip": "boolean", "true": "date"}, [
        {"id": 1, "vip": True, "true": (now0 - 3 * DAY).date()},
        {"id": 2, "vip": False, "true": (now0 - 3 * DAY).date()},
    ])
    res = parse("audience a { include vip = true and since in last 7 days }")
    assert res.ok and res.file is not None
    aud = res.file.audiences[0]
    checked = CheckedAudience("a", aud, market, None, {"a": aud}, {})
    data = {"people": [{"id": 1, "vip": True, "true": (now0 - 3 * DAY).date()},
                       {"id": 2, "vip": False, "true": (now0 - 3 * DAY).date()}]}
    assert evaluate(checked, data, as_of=clock()) == {1}
    assert compare_at_now(sqlite_engine, checked, data, now0) == {1}
