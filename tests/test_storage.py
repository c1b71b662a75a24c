"""How the warehouse stores the data must never change the answer silently (issue 11, 4-6).

* repeated profile ids: one member row per id, on every engine, and the gate counts people;
* physical column types that do not fit the market schema: ``run`` refuses them by name
  (``audiencelang.run.columns``) or, where the conversion is exact, runs;
* time columns stored as ``timestamptz`` (DuckDB, PostgreSQL, any session time zone) and
  SQLite text timestamps in each accepted form: exact at ``as_of`` and 1 µs either side.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from audiencelang.check import check_audience
from audiencelang.project import Project, load_project
from audiencelang.sql import compile_audience
from tests import engines
from tests.datagen import Scenario, check_scenario, scenarios

AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)

MARKET = """\
market: m
profiles:
  table: people
  id: pid
  traits:
    age:   {column: age, type: integer}
    email: {column: email, type: string}
    vip:   {column: vip, type: boolean}
    seen:  {column: seen, type: timestamp}
events:
  visit:
    table: visits
    user: uid
    time: ts
    properties:
      amount: {column: amount, type: decimal}
      at:     {column: ts, type: timestamp}
"""

CONFIG = """\
audiences = ["audiences"]
markets = ["markets"]

[destinations.d]
min_size = 3
identifier = "email"

[destinations.d4]
min_size = 4
identifier = "email"
"""

PEOPLE = {"pid": "integer", "age": "integer", "email": "string", "vip": "boolean", "seen": "timestamp"}
VISITS = {"uid": "integer", "ts": "timestamp", "amount": "decimal"}


def make_project(root: Path, audiences: dict[str, str]) -> Project:
    (root / "markets").mkdir(parents=True, exist_ok=True)
    (root / "audiences").mkdir(exist_ok=True)
    (root / "audiencelang.toml").write_text(CONFIG)
    (root / "markets" / "m.yaml").write_text(MARKET)
    for name, body in audiences.items():
        (root / "audiences" / f"{name}.aud").write_text(
            f'audience {name} {{\n  owner "t"\n  description "t"\n{textwrap.indent(body, "  ")}\n}}\n')
    return load_project(root)


def compiled(project: Project, name: str, dialect: str, *, destination: str | None = None,
             as_of: dt.datetime | None = AS_OF) -> str:
    checked, diags = check_audience(project, name, "m")
    assert checked is not None, [d.message for d in diags]
    result = compile_audience(checked, dialect, as_of=as_of, destination=destination)
    assert result.query is not None, [d.message for d in result.diagnostics]
    return str(result.query.sql)


# --------------------------------------------------------------------------- 6. repeated ids


def test_repeated_profile_ids_are_one_member_and_the_gate_counts_people(
        engine: engines.Engine, tmp_path: Path) -> None:
    """Three people, one of them in three profile rows (two qualify): each id comes back once,
    a gate of 3 delivers three rows, and a gate of 4 is held (before: 4 rows, delivered)."""
    project = make_project(tmp_path, {"adults": "include age >= 18\nactivate d\nactivate d4"})
    engine.load("people", PEOPLE, [
        {"pid": 1, "age": 30, "email": "a@x"},
        {"pid": 1, "age": 31, "email": "a@x"},
        {"pid": 1, "age": 5, "email": "0@x"},   # does not qualify: not its identifier
        {"pid": 2, "age": 40, "email": "c@x"},
        {"pid": 3, "age": 10, "email": "d@x"},
        {"pid": 4, "age": 50, "email": "e@x"},
    ])
    engine.load("visits", VISITS, [])
    assert sorted(r[0] for r in engine.query(compiled(project, "adults", engine.dialect))) == [1, 2, 4]
    rows = engine.query(compiled(project, "adults", engine.dialect, destination="d"))
    assert sorted(rows) == [(1, "a@x"), (2, "c@x"), (4, "e@x")]
    assert engine.query(compiled(project, "adults", engine.dialect, destination="d4")) == []


def test_check_db_counts_the_repeated_ids_of_a_market_declaring_unique_ids(
        engine: engines.Engine, tmp_path: Path) -> None:
    """``unique_id: true`` lets the statements skip de-duplicating members; the claim is
    verified by ``check --db`` with this query, which must count the repeated ids exactly as
    the statements compare ids (byte for byte: on MySQL ``a1`` and ``A1`` are two ids)."""
    from audiencelang.run.drift import repeated_ids_sql

    project = make_project(tmp_path, {"adults": "include age >= 18"})
    engine.load("people", PEOPLE, [{"pid": 1, "age": 30}, {"pid": 1, "age": 31}, {"pid": 2, "age": 40},
                                   {"pid": 3, "age": 10}, {"pid": 3, "age": 11}, {"pid": None, "age": 9},
                                   {"pid": None, "age": 8}])
    assert engine.query(repeated_ids_sql(project.markets["m"], engine.dialect)) == [(2,)]
    engine.load("people_s", {**PEOPLE, "pid": "string"},
                [{"pid": "a1"}, {"pid": "A1"}, {"pid": "a1 "}, {"pid": "b"}])
    m = project.markets["m"]
    strings = m.model_copy(update={"profiles": m.profiles.model_copy(update={"table": "people_s"})})
    assert engine.query(repeated_ids_sql(strings, engine.dialect)) == [(0,)]


def test_a_market_declaring_unique_ids_gets_the_same_members_without_de_duplication(
        engine: engines.Engine, tmp_path: Path) -> None:
    """With ``unique_id: true`` (and ids that are unique) the statement has no per-member
    GROUP BY and returns the same members, identifiers and gate."""
    project = make_project(tmp_path / "plain", {"adults": "include age >= 18\nactivate d"})
    make_project(tmp_path / "declared", {"adults": "include age >= 18\nactivate d"})
    (tmp_path / "declared" / "markets" / "m.yaml").write_text(
        MARKET.replace("  id: pid\n", "  id: pid\n  unique_id: true\n"))
    declared = load_project(tmp_path / "declared")
    engine.load("people", PEOPLE, [{"pid": i, "age": 10 * i, "email": f"{i}@x" if i != 4 else None}
                                   for i in range(1, 7)])
    engine.load("visits", VISITS, [])
    for destination in (None, "d"):
        plain = compiled(project, "adults", engine.dialect, destination=destination)
        fast = compiled(declared, "adults", engine.dialect, destination=destination)
        assert "GROUP BY" in plain and "GROUP BY" not in fast
        assert sorted(engine.query(fast)) == sorted(engine.query(plain)) != []


# --------------------------------------------------------------------------- 5. time columns

#: UTC+14 and UTC-12: the two ends of the session time zones a warehouse can be set to
SESSION_ZONES = ("Pacific/Kiritimati", "Etc/GMT+12")
US = dt.timedelta(microseconds=1)
H12 = dt.timedelta(hours=12)

#: the audiences of the boundary tests: a window, "after as_of is never counted", a trait
#: window and a min over a stored time
TIME_AUDIENCES = {
    "recent": "include performed visit in last 12 hours",
    "ever": "include performed visit",
    "seen_recently": "include seen in last 12 hours",
    "first_visit_old": "include min(visit.at) before 2026-10-31",
}


def boundary_data() -> dict[str, list[dict[str, Any]]]:
    """One user per instant around the window's lower bound and around ``as_of`` (1 µs
    either side of each), plus an 18-hour-old visit (a 12-hour window returned it on SQLite
    text ``T…Z`` before)."""
    instants = [AS_OF - H12 - US, AS_OF - H12, AS_OF - H12 + US, AS_OF - US, AS_OF, AS_OF + US,
                AS_OF - dt.timedelta(hours=18), dt.datetime(2026, 10, 30, 23, 59, 59, 999999, tzinfo=dt.UTC),
                dt.datetime(2026, 10, 31, tzinfo=dt.UTC)]
    people = [{"pid": i, "age": 20, "email": f"{i}@x", "seen": t} for i, t in enumerate(instants, 1)]
    visits = [{"uid": i, "ts": t, "amount": Decimal("1")} for i, t in enumerate(instants, 1)]
    return {"people": people, "visits": visits}


def check_time_audiences(eng: engines.Engine, project: Project, data: dict[str, list[dict[str, Any]]],
                         sessions: tuple[str, ...] = ()) -> None:
    from audiencelang.eval import evaluate

    expected_sizes = {"recent": 4, "ever": 8, "seen_recently": 4, "first_visit_old": 1}
    for name in TIME_AUDIENCES:
        checked, _ = check_audience(project, name, "m")
        assert checked is not None
        expected = evaluate(checked, data, as_of=AS_OF)
        assert len(expected) == expected_sizes[name], (name, expected)  # the oracle, pinned
        sql = compiled(project, name, eng.dialect)
        for stmt in ("", *sessions):
            if stmt:
                eng.query(stmt)
            got = {r[0] for r in eng.query(sql)}
            assert got == expected, f"{eng.name} {stmt or 'load session'} {name}: {sorted(got)} != {sorted(expected)}"


def zoned_sessions(dialect: str) -> tuple[str, ...]:
    return tuple(f"SET TimeZone = '{z}'" for z in SESSION_ZONES)


def test_duckdb_timestamptz_columns_in_any_session_time_zone(tmp_path: Path) -> None:
    """TIMESTAMPTZ columns at UTC+14 and UTC-12: events 1 µs after ``as_of`` are not counted
    and windows end where they should (a TIMESTAMP literal went through the session zone)."""
    import duckdb

    project = make_project(tmp_path, TIME_AUDIENCES)
    data = boundary_data()
    con = duckdb.connect(":memory:")
    eng = engines.duckdb_engine(con, zoned=True)
    eng.load("people", PEOPLE, data["people"])
    eng.load("visits", VISITS, data["visits"])
    assert con.execute("SELECT data_type FROM information_schema.columns WHERE column_name = 'ts'"
                       ).fetchall() == [("TIMESTAMP WITH TIME ZONE",)]
    check_time_audiences(eng, project, data, zoned_sessions("duckdb"))


@pytest.mark.postgres
def test_postgres_timestamptz_columns_in_any_session_time_zone(tmp_path: Path, pg_connection: Any) -> None:
    project = make_project(tmp_path, TIME_AUDIENCES)
    data = boundary_data()
    eng = engines.postgres_engine(pg_connection, zoned=True)
    eng.load("people", PEOPLE, data["people"])
    eng.load("visits", VISITS, data["visits"])
    check_time_audiences(eng, project, data, zoned_sessions("postgres"))


def _iso_z(value: dt.datetime) -> str:
    return value.isoformat() + "Z"  # 2026-10-31T12:00:00Z, …T12:00:00.000001Z


def _six_digits(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")  # always .ffffff, also .000000


def test_sqlite_canonical_text_timestamps_are_exact_at_the_bounds(tmp_path: Path) -> None:
    """Python's ``str(datetime)`` form (SQLite's ``datetime()``, ``.ffffff`` only when there are
    microseconds): the compiled SQL is exact 1 µs either side of ``as_of`` and of a window's start."""
    import sqlite3

    project = make_project(tmp_path, TIME_AUDIENCES)
    data = boundary_data()
    eng = engines.sqlite_engine(sqlite3.connect(":memory:"))
    eng.load("people", PEOPLE, data["people"])
    eng.load("visits", VISITS, data["visits"])
    check_time_audiences(eng, project, data)


@pytest.mark.parametrize("form", [_iso_z, _six_digits, lambda v: v.isoformat()], ids=["iso_z", "six_digits", "iso_t"])
def test_sqlite_text_timestamps_in_other_forms_are_refused_by_run(tmp_path: Path, form: Any) -> None:
    """SQLite compares text: ``…T06:00:00Z`` sorted after every ``… 23:00:00`` of the day (a
    12-hour window returned an 18-hour-old visit), ``…00:00:00.000000`` after ``…00:00:00``
    (a visit exactly at ``as_of`` was dropped). ``run`` now refuses such columns (E616)."""
    import sqlite3

    from audiencelang.run import connect, run_audience

    project = make_project(tmp_path / "p", TIME_AUDIENCES)
    data = boundary_data()
    path = tmp_path / "t.sqlite"
    eng = engines.sqlite_engine(sqlite3.connect(path), text=form)
    eng.load("people", PEOPLE, data["people"])
    eng.load("visits", VISITS, data["visits"])
    eng.handle.close()
    with connect(str(path)) as db:
        for name in ("recent", "ever"):
            r = run_audience(project, name, "m", engine=db, as_of=AS_OF)
            assert r.status == "failed" and [d.code for d in r.diagnostics] == ["E616"], r.diagnostics
            assert "column visits.ts (event time) is declared timestamp but is TEXT holding text values" \
                in r.diagnostics[0].message
        r = run_audience(project, "seen_recently", "m", engine=db, as_of=AS_OF)
        assert "column people.seen (trait seen)" in r.diagnostics[0].message


GENERATED = settings(max_examples=8, deadline=None, print_blob=True,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                            HealthCheck.function_scoped_fixture])


def test_duckdb_differential_with_timestamptz_columns_at_utc_plus_14_and_minus_12() -> None:
    """The generated audiences of tests/test_differential.py, every timestamp column a
    TIMESTAMPTZ, in sessions at UTC+14 and UTC-12: the evaluator's members each time."""
    import duckdb

    compared = []

    @GENERATED
    @given(scenarios())
    def run(scn: Scenario) -> None:
        for zone in SESSION_ZONES:
            con = duckdb.connect(":memory:")
            try:
                compared.append(check_scenario(scn, engines.duckdb_engine(con, zoned=True),
                                               session_sql=[f"SET TimeZone = '{zone}'"]))
            finally:
                con.close()

    run()
    assert sum(compared) >= 2 * 64


@pytest.mark.postgres
def test_postgres_differential_with_timestamptz_columns_at_utc_plus_14_and_minus_12(pg_connection: Any) -> None:
    from tests.test_differential_engines import _pg_reset

    compared = []

    @GENERATED
    @given(scenarios())
    def run(scn: Scenario) -> None:
        for zone in SESSION_ZONES:
            _pg_reset(pg_connection)
            pg_connection.execute("SET TimeZone = 'UTC'")
            compared.append(check_scenario(scn, engines.postgres_engine(pg_connection, zoned=True),
                                           session_sql=[f"SET TimeZone = '{zone}'"]))

    run()
    assert sum(compared) >= 2 * 64


@pytest.mark.mysql
@pytest.mark.parametrize("session_zone", ["+13:00", "-12:00"])
def test_mysql_differential_with_timestamp_columns_in_far_session_time_zones(mysql_connection: Any,
                                                                             session_zone: str) -> None:
    """MariaDB TIMESTAMP(6) columns are converted to the session's zone when read: the SQL
    runs itself at '+00:00' (``SET STATEMENT ... FOR``), so pasted into a session at UTC+13 or
    UTC-12 it still returns the evaluator's members (it did not: docs/sql.md, "Time columns")."""
    from tests.conftest import mysql_reset

    compared = []
    eng = engines.mysql_engine(mysql_connection, zoned=True)

    @GENERATED
    @given(scenarios())
    def run(scn: Scenario) -> None:
        mysql_reset(mysql_connection)
        compared.append(check_scenario(scn, eng, session_sql=[f"SET time_zone = '{session_zone}'"]))
        assert eng.query("SELECT @@session.time_zone") == [(session_zone,)]  # the session is left as it was

    run()
    assert sum(compared) >= 64


@pytest.mark.mysql
def test_mysql_timestamp_column_read_in_the_session_zone_is_exact_at_the_bounds(mysql_connection: Any) -> None:
    """By hand: an event 1 µs after ``as_of`` and one exactly 7 days before, in a TIMESTAMP(6)
    column, at UTC+13: only the second is in ``last 7 days``; compiled SQL run as pasted."""
    from audiencelang.check.checked import CheckedAudience
    from audiencelang.schema.market import Market
    from audiencelang.syntax import parse
    from tests.conftest import mysql_reset

    mysql_reset(mysql_connection)
    with mysql_connection.cursor() as cur:
        cur.execute("SET time_zone = '+00:00'")
        cur.execute("CREATE TABLE people (pid BIGINT)")
        cur.execute("CREATE TABLE visits (uid BIGINT, ts TIMESTAMP(6) NULL)")
        cur.execute("INSERT INTO people VALUES (1), (2), (3)")
        cur.execute("INSERT INTO visits VALUES (1, '2026-11-01 00:00:00.000001'), (2, '2026-10-25 00:00:00'), "
                    "(3, '2026-10-24 23:59:59.999999')")
        cur.execute("SET time_zone = '+13:00'")
    market = Market.model_validate({"market": "m", "profiles": {"table": "people", "id": "pid"},
                                    "events": {"visit": {"table": "visits", "user": "uid", "time": "ts"}}})
    parsed = parse("audience recent { include performed visit in last 7 days }").file
    assert parsed is not None
    aud = parsed.audiences[0]
    checked = CheckedAudience("recent", aud, market, None, {"recent": aud}, {})
    query = compile_audience(checked, "mysql", as_of=AS_OF).query
    assert query is not None
    with mysql_connection.cursor() as cur:
        cur.execute(query.sql)
        assert {r[0] for r in cur.fetchall()} == {2}
        cur.execute("SELECT @@session.time_zone")
        assert cur.fetchone() == ("+13:00",)
        # without the statement's own time zone the same SQL reads the column at UTC+13
        cur.execute(query.sql.replace("/*M! SET STATEMENT time_zone = '+00:00' FOR */", ""))
        assert {r[0] for r in cur.fetchall()} != {2}


# --------------------------------------------------------------------------- 4. column types

TYPED_AUDIENCES = {
    "adults": "include age >= 18",
    "buyers": "include sum(visit.amount) >= 1",
    "vips": "include vip = true",
    "visitors": "include performed visit",
}


def run_codes(project: Project, target: str, name: str) -> tuple[str, list[str], list[str], set[Any]]:
    """(status, codes, messages, members) of ``run`` for ``name`` on ``target``."""
    from audiencelang.run import connect, run_audience

    with connect(target) as eng:
        r = run_audience(project, name, "m", engine=eng, as_of=AS_OF, collect_members=True)
    return r.status, [d.code for d in r.diagnostics], [d.message for d in r.diagnostics], set(r.members or ())


def _duckdb_file(path: Path, people: str, visits: str, rows: list[str]) -> str:
    import duckdb

    con = duckdb.connect(str(path))
    con.execute(f"CREATE TABLE people ({people})")
    con.execute(f"CREATE TABLE visits ({visits})")
    for stmt in rows:
        con.execute(stmt)
    con.close()
    return str(path)


def _sqlite_file(path: Path, people: str, visits: str, rows: list[str]) -> str:
    import sqlite3

    con = sqlite3.connect(path)
    con.execute(f"CREATE TABLE people ({people})")
    con.execute(f"CREATE TABLE visits ({visits})")
    for stmt in rows:
        con.execute(stmt)
    con.commit()
    con.close()
    return str(path)


GOOD_PEOPLE = "pid BIGINT, age BIGINT, email VARCHAR, vip BOOLEAN, seen TIMESTAMP"
GOOD_VISITS = "uid BIGINT, ts TIMESTAMP, amount DECIMAL(18, 2)"


def test_sqlite_integer_trait_stored_as_text_is_refused(tmp_path: Path) -> None:
    """``age TEXT`` holding '9' and '30': ``age >= 18`` compared text and picked '9' (E616 now)."""
    project = make_project(tmp_path / "p", TYPED_AUDIENCES)
    db = _sqlite_file(tmp_path / "t.sqlite", "pid INTEGER, age TEXT, email TEXT, vip INTEGER, seen TEXT",
                      "uid INTEGER, ts TEXT, amount NUMERIC",
                      ["INSERT INTO people VALUES (1, '9', 'a', 0, NULL), (2, '30', 'b', 1, NULL)"])
    status, codes, messages, members = run_codes(project, db, "adults")
    assert (status, codes) == ("failed", ["E616"]), (members, messages)
    assert "market m: column people.age (trait age) is declared integer but is TEXT" in messages[0]


def test_sqlite_text_booleans_are_refused(tmp_path: Path) -> None:
    """``vip BOOLEAN`` holding 'true': SQLite keeps the text, ``vip = 1`` never matched it."""
    project = make_project(tmp_path / "p", TYPED_AUDIENCES)
    db = _sqlite_file(tmp_path / "t.sqlite", "pid INTEGER, age INTEGER, email TEXT, vip BOOLEAN, seen TEXT",
                      "uid INTEGER, ts TEXT, amount NUMERIC",
                      ["INSERT INTO people VALUES (1, 20, 'a', 'true', NULL), (2, 30, 'b', 1, NULL)"])
    status, codes, messages, _ = run_codes(project, db, "vips")
    assert (status, codes) == ("failed", ["E616"]), messages
    assert "column people.vip (trait vip) is declared boolean but is BOOLEAN holding text values" in messages[0]


def test_sqlite_timestamps_in_a_form_the_sql_does_not_read_are_refused(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", TYPED_AUDIENCES)
    db = _sqlite_file(tmp_path / "t.sqlite", "pid INTEGER, age INTEGER, email TEXT, vip INTEGER, seen TEXT",
                      "uid INTEGER, ts TEXT, amount NUMERIC",
                      ["INSERT INTO people VALUES (1, 20, 'a', 1, NULL)",
                       "INSERT INTO visits VALUES (1, '2026-10-31T12:00:00+02:00', 1)"])
    status, codes, messages, _ = run_codes(project, db, "visitors")
    assert (status, codes) == ("failed", ["E616"]), messages
    assert "column visits.ts (event time) is declared timestamp" in messages[0]


def test_duckdb_text_profile_id_against_integer_event_users_is_refused(tmp_path: Path) -> None:
    """A VARCHAR profile id joined with BIGINT users: '2', '02' and '2.0' all got user 2's visits."""
    project = make_project(tmp_path / "p", TYPED_AUDIENCES)
    db = _duckdb_file(tmp_path / "t.duckdb", GOOD_PEOPLE.replace("pid BIGINT", "pid VARCHAR"), GOOD_VISITS,
                      ["INSERT INTO people (pid) VALUES ('2'), ('02'), ('2.0')",
                       "INSERT INTO visits VALUES (2, TIMESTAMP '2026-10-31 00:00:00', 1)"])
    status, codes, messages, members = run_codes(project, db, "visitors")
    assert (status, codes) == ("failed", ["E616"]), (members, messages)
    assert "column visits.uid (event user) is declared integer or text id but is BIGINT" in messages[0]
    assert "the profile id people.pid is VARCHAR" in messages[0]


def test_duckdb_decimal_stored_as_double_is_refused(tmp_path: Path) -> None:
    """Ten purchases of 0.1 in a DOUBLE column: ``sum >= 1`` was false."""
    project = make_project(tmp_path / "p", TYPED_AUDIENCES)
    db = _duckdb_file(tmp_path / "t.duckdb", GOOD_PEOPLE, GOOD_VISITS.replace("DECIMAL(18, 2)", "DOUBLE"),
                      ["INSERT INTO people (pid) VALUES (1)",
                       *["INSERT INTO visits VALUES (1, TIMESTAMP '2026-10-31 00:00:00', 0.1)"] * 10])
    status, codes, messages, members = run_codes(project, db, "buyers")
    assert (status, codes) == ("failed", ["E616"]), (members, messages)
    assert "column visits.amount (event property or filter) is declared decimal but is DOUBLE" in messages[0]


def test_duckdb_exact_conversions_run(tmp_path: Path) -> None:
    """Accepted because exact: INTEGER for a decimal, TIMESTAMPTZ for a timestamp, INTEGER
    profile ids with BIGINT users."""
    project = make_project(tmp_path / "p", TYPED_AUDIENCES)
    db = _duckdb_file(tmp_path / "t.duckdb", GOOD_PEOPLE.replace("pid BIGINT", "pid INTEGER"),
                      "uid BIGINT, ts TIMESTAMPTZ, amount INTEGER",
                      ["INSERT INTO people (pid) VALUES (1), (2)",
                       "INSERT INTO visits VALUES (1, TIMESTAMPTZ '2026-10-31 00:00:00+00', 1)",
                       "INSERT INTO visits VALUES (2, TIMESTAMPTZ '2026-11-01 00:00:00.000001+00', 1)"])
    assert run_codes(project, db, "buyers")[:2] == ("ok", [])
    assert run_codes(project, db, "buyers")[3] == {1}


@pytest.mark.postgres
def test_postgres_column_types(tmp_path: Path, postgres_cluster: Any) -> None:
    """double precision decimals and a text id against bigint users are refused; timestamptz
    and integer decimals run."""
    project = make_project(tmp_path / "p", TYPED_AUDIENCES)
    import psycopg

    with postgres_cluster.database("types") as name, psycopg.connect(postgres_cluster.url(name)) as conn:
        url = postgres_cluster.url(name)
        conn.execute("CREATE TABLE people (pid text, age bigint, email text, vip boolean, seen timestamp)")
        conn.execute("CREATE TABLE visits (uid bigint, ts timestamptz, amount double precision)")
        conn.execute("INSERT INTO people (pid) VALUES ('1')")
        conn.execute("INSERT INTO visits VALUES (1, '2026-10-31 00:00:00+00', 0.1)")
        conn.commit()
        status, codes, messages, _ = run_codes(project, url, "buyers")
        assert (status, codes) == ("failed", ["E616", "E616"]), messages
        assert "column visits.amount (event property or filter) is declared decimal but is double precision" \
            in messages[0]
        assert "column visits.uid (event user) is declared integer or text id but is bigint" in messages[1]
        conn.execute("ALTER TABLE people ALTER COLUMN pid TYPE bigint USING pid::bigint")
        conn.execute("ALTER TABLE visits ALTER COLUMN amount TYPE integer USING 1")
        conn.commit()
        assert run_codes(project, url, "buyers") == ("ok", [], [], {1})


#: the ends of the calendar (zoned literals wrote the year 1 as '1-01-01', which
#: PostgreSQL reads as 2001)
CALENDAR_ENDS = {
    "year_one": "include seen before 0001-01-01T00:00:01Z",
    "year_999": "include seen >= 0999-12-31T00:00:00Z and seen < 1000-01-01T00:00:00Z",
    "last_day": "include seen after 9999-12-31T23:00:00Z",
}


def check_calendar_ends(eng: engines.Engine, project: Project, sessions: tuple[str, ...]) -> None:
    instants = [dt.datetime(1, 1, 1, tzinfo=dt.UTC), dt.datetime(999, 12, 31, 23, 59, tzinfo=dt.UTC),
                dt.datetime(9999, 12, 31, 23, 59, tzinfo=dt.UTC), dt.datetime(2001, 1, 1, tzinfo=dt.UTC)]
    eng.load("people", PEOPLE, [{"pid": i, "age": 20, "email": f"{i}@x", "seen": t}
                                for i, t in enumerate(instants, 1)])
    eng.load("visits", VISITS, [])
    expected = {"year_one": {1}, "year_999": {2}, "last_day": {3}}
    for name in CALENDAR_ENDS:
        sql = compiled(project, name, eng.dialect)
        for stmt in ("", *sessions):
            if stmt:
                eng.query(stmt)
            got = {r[0] for r in eng.query(sql)}
            assert got == expected[name], f"{eng.name} {stmt or 'load session'} {name}: {sorted(got)}"


def test_duckdb_timestamptz_columns_at_the_ends_of_the_calendar(tmp_path: Path) -> None:
    import duckdb

    eng = engines.duckdb_engine(duckdb.connect(":memory:"), zoned=True)
    check_calendar_ends(eng, make_project(tmp_path, CALENDAR_ENDS), zoned_sessions("duckdb"))


@pytest.mark.postgres
@pytest.mark.parametrize("zoned", [False, True])
def test_postgres_time_columns_at_the_ends_of_the_calendar(tmp_path: Path, pg_connection: Any, zoned: bool) -> None:
    eng = engines.postgres_engine(pg_connection, zoned=zoned)
    check_calendar_ends(eng, make_project(tmp_path, CALENDAR_ENDS), zoned_sessions("postgres"))
