"""Markets whose tables have the names of the statement's own CTEs (docs/sql.md, "The
statement's own names").

A compiled statement names its steps (``params``, ``profiles``, ``events_…``, ``consent``,
``facts``, ``aud_…``, ``members``, ``matchable``, ``deliverable``, ``gated``, ``packed``). A
table of the same name (ignoring case: DuckDB, SQLite and MariaDB compare quoted names so)
read by a later step would resolve to the step instead of the table, and SQLite refuses a
step that reads a table of its own name ("circular reference"). The compiler then prefixes
every step's name (``al_``, ``al2_`` …). Held to the reference evaluator on DuckDB, SQLite,
PostgreSQL and MariaDB, with the generated audiences of tests/datagen.py (which also draws
such names now and then for every differential test).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audiencelang.sql.names import free_names
from tests import engines
from tests.datagen import Scenario, check_scenario, scenarios
from tests.test_deliver import pg_database  # noqa: F401  (a fixture)

#: (profiles, events, events, -, consent): each layout puts CTE names where they hurt most
LAYOUTS = [
    ("members", "profiles", "facts", "x3", "consent"),  # every table read before its namesake step
    ("Profiles", "consent", "PACKED", "x3", "Facts"),  # case: one name on DuckDB, SQLite, MariaDB
    ("facts", "params", "events_params", "x3", "members"),  # a scan step named like a table
    ("aud_ref_0", "matchable", "gated", "x3", "deliverable"),  # a referenced audience's step
    ("al_profiles", "profiles", "al2_facts", "x3", "al_consent"),  # the first prefixes collide too
]
IDS = ["later-steps", "case", "scan-name", "destination-steps", "prefix"]

SETTINGS = settings(max_examples=3, deadline=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])

Make = Callable[[], Any]  # a context manager giving a fresh engine


@contextmanager
def _duck() -> Iterator[engines.Engine]:
    con = duckdb.connect(":memory:")
    try:
        yield engines.duckdb_engine(con)
    finally:
        con.close()


@contextmanager
def _lite() -> Iterator[engines.Engine]:
    con = sqlite3.connect(":memory:")
    try:
        yield engines.sqlite_engine(con)
    finally:
        con.close()


def _differential(make: Make, tables: tuple[str, ...], *, sqlite: bool = False) -> None:
    """Generated audiences (members, and for a destination with suppression: counts,
    deliver's list and the gate) equal the evaluator's on markets with ``tables``."""
    from tests.test_differential_activation import check_destinations

    compared = [0, 0]

    @SETTINGS
    @given(scenarios(tables=tables, samples=not sqlite, n_audiences=4))
    def run(scn: Scenario) -> None:
        with make() as eng:
            compared[0] += check_scenario(scn, eng, ascii_case=sqlite)
        with make() as eng:
            scn.load(eng)
            compared[1] += check_destinations(scn, eng, ascii_case=sqlite)[0]

    run()
    assert compared[0] >= 12 and compared[1] >= 36, compared


def project_with_tables(profiles: str, orders: str, consent: str) -> Any:
    from audiencelang.project import project_from_sources

    market = f"""market: m
profiles:
  table: {profiles}
  id: user_id
  traits:
    country: {{column: country, type: string}}
events:
  purchase:
    table: {orders}
    user: user_id
    time: ordered_at
consent:
  table: {consent}
  user: user_id
  purpose: purpose
  status: status
  time: changed_at
  statuses: {{granted: granted, denied: denied, revoked: revoked}}
  purposes:
    ads: {{value: ads, mode: opt_in}}
"""
    audience = """audience buyers {
  include country = "DE" and performed purchase at least 1 times in last 30 days
  require consent ads
}
"""
    return project_from_sources(markets={"m.yaml": market}, audiences={"buyers.aud": audience})


def test_names_are_kept_without_a_collision() -> None:
    names = ["params", "profiles", "events_orders", "consent", "facts", "members"]
    assert free_names(names, ["customers", "orders", "consents"]) == {n: n for n in names}


def test_every_name_gets_one_prefix_on_a_collision() -> None:
    names = ["profiles", "facts", "members"]
    assert free_names(names, ["FACTS"]) == {n: "al_" + n for n in names}
    assert free_names(names, ["Profiles", "al_members"]) == {n: "al2_" + n for n in names}


def test_compiled_sql_names_no_step_like_a_table() -> None:
    """The statement for a market with a table ``consent`` prefixes its steps; the same
    input gives the same bytes."""
    from audiencelang.sql import compile_sql

    project = project_with_tables("users", "orders", "consent")
    first = compile_sql(project, "buyers", "m", "sqlite")
    assert first.query is not None, first.diagnostics
    sql = first.query.sql
    assert 'WITH "al_params" AS (' in sql and '"al_profiles" AS (' in sql and '"al_consent" AS (' in sql
    assert 'FROM "consent" AS "src"' in sql and '"consent" AS (' not in sql.replace('"al_consent" AS (', "")
    again = compile_sql(project, "buyers", "m", "sqlite")
    assert again.query is not None and again.query.sql == sql
    plain = compile_sql(project_with_tables("users", "orders", "consents"), "buyers", "m", "sqlite")
    assert plain.query is not None and '"al_' not in plain.query.sql


@pytest.mark.parametrize("tables", LAYOUTS, ids=IDS)
def test_duckdb(tables: tuple[str, ...]) -> None:
    _differential(_duck, tables)


@pytest.mark.parametrize("tables", LAYOUTS, ids=IDS)
def test_sqlite(tables: tuple[str, ...]) -> None:
    _differential(_lite, tables, sqlite=True)


@pytest.mark.postgres
@pytest.mark.parametrize("tables", LAYOUTS, ids=IDS)
def test_postgres(pg_connection: Any, tables: tuple[str, ...]) -> None:
    from tests.test_differential_engines import _pg_reset

    @contextmanager
    def make() -> Iterator[engines.Engine]:
        _pg_reset(pg_connection)
        yield engines.postgres_engine(pg_connection)

    _differential(make, tables)


@pytest.mark.mysql
@pytest.mark.parametrize("tables", LAYOUTS[:3], ids=IDS[:3])
def test_mariadb(mysql_connection: Any, tables: tuple[str, ...]) -> None:
    from tests.conftest import mysql_reset

    @contextmanager
    def make() -> Iterator[engines.Engine]:
        mysql_reset(mysql_connection)
        yield engines.mysql_engine(mysql_connection)

    _differential(make, tables)


# --------------------------------------------------------------------------- the warehouse clock


@pytest.mark.parametrize("engine_name", ["duckdb", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_params_step_at_the_warehouse_clock(engine_name: str, request: pytest.FixtureRequest) -> None:
    """Compiled without ``as_of`` the statement has a ``params`` step (the warehouse's
    time): an events table ``params`` (and profiles ``Profiles``) still reads its rows."""
    from tests.test_differential_now import SETTINGS as NOW_SETTINGS
    from tests.test_differential_now import (
        Tally,
        _Duck,
        _Lite,
        _Pg,
        now_minute,
        now_scenarios,
        run_scenario,
    )

    if engine_name == "postgres":
        pg = request.getfixturevalue("pg_connection")
        make: Make = lambda: _Pg(pg)  # noqa: E731
    else:
        make = _Duck if engine_name == "duckdb" else _Lite
    tally = Tally()

    @settings(NOW_SETTINGS, max_examples=3)
    @given(st.data())
    def run(data: st.DataObject) -> None:
        scn = data.draw(now_scenarios(now_minute(), tables=("Profiles", "params", "facts", "x3", "consent"),
                                      samples=engine_name != "sqlite", n_audiences=6))
        with make() as eng:
            run_scenario(scn, eng, tally, seed=None, ascii_case=engine_name == "sqlite")

    run()
    assert tally.audiences >= 18 and tally.non_empty > 0, tally


# --------------------------------------------------------------------------- diff --db


@pytest.mark.parametrize("suffix", [".duckdb", ".sqlite"])
def test_member_impact_with_tables_named_before_and_after(tmp_path: Any, suffix: str) -> None:
    """``diff --db`` puts both statements in CTEs ``before`` and ``after``: tables of those
    names (and ``consent``) are still read as tables."""
    import datetime as dt

    from audiencelang.review.diff import diff_projects
    from audiencelang.review.impact import add_impact
    from audiencelang.run.engines import connect

    path = tmp_path / f"shop{suffix}"
    rows = ["CREATE TABLE \"Before\" (user_id INTEGER, country TEXT)",
            "INSERT INTO \"Before\" VALUES (1, 'DE'), (2, 'DE'), (3, 'FR')",
            "CREATE TABLE \"after\" (user_id INTEGER, ordered_at TIMESTAMP)",
            "INSERT INTO \"after\" VALUES (1, '2026-10-20 00:00:00'), (3, '2026-10-21 00:00:00')",
            "CREATE TABLE consent (user_id INTEGER, purpose TEXT, status TEXT, changed_at TIMESTAMP)",
            "INSERT INTO consent VALUES (1, 'ads', 'granted', '2026-01-01 00:00:00'), "
            "(2, 'ads', 'granted', '2026-01-01 00:00:00'), (3, 'ads', 'granted', '2026-01-01 00:00:00')"]
    if suffix == ".duckdb":
        con: Any = duckdb.connect(str(path))
    else:
        con = sqlite3.connect(path)
    for stmt in rows:
        con.execute(stmt)
    con.commit() if suffix == ".sqlite" else None
    con.close()
    old = project_with_tables("Before", "after", "consent")
    new_market = old.markets["m"]
    from audiencelang.project import project_from_sources

    new = project_from_sources(markets={"m.yaml": new_market}, audiences={"buyers.aud": """audience buyers {
  include performed purchase at least 1 times in last 30 days
  require consent ads
}
"""})
    diff = diff_projects(old, new)
    with connect(path) as engine:
        add_impact(diff, old, new, engine, dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
    (aud,) = [d for d in diff.audiences if d.name == "buyers"]
    (impact,) = aud.impact
    assert impact.error is None, impact.error
    # before: DE buyers with consent = {1}; after: buyers with consent = {1, 3}
    assert (impact.before, impact.after, impact.entered, impact.left) == (1, 2, 1, 0)


# --------------------------------------------------------------------------- deliver

#: deliverkit's tables renamed: the people in a table named like deliver's session table
RENAMED = {"people": "audiencelang_stage", "orders": "profiles", "consent_log": "consent"}


@pytest.mark.parametrize("kind", ["duckdb", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_deliver_with_tables_named_like_its_own(kind: str, tmp_path: Any, request: pytest.FixtureRequest) -> None:
    """Two deliveries from a market whose people are in a table ``audiencelang_stage`` (the
    name of deliver's temporary table) and whose orders are in ``profiles``: the changes are
    the evaluator's, and the data table is neither read in place of nor dropped."""
    import dataclasses
    import datetime as dt
    import textwrap

    from audiencelang.deliver import connect, deliver
    from audiencelang.project import load_project
    from tests import deliverkit as K
    from tests.test_deliver import read, steps, target_for

    root = K.make_project(tmp_path / "p")
    market = textwrap.dedent(K.MARKET)
    for old, new in RENAMED.items():
        market = market.replace(f"table: {old}", f"table: {new}")
    (root / "markets" / "m.yaml").write_text(market)
    project = load_project(root)
    target = target_for(kind, tmp_path, request)
    listed: dict[str, str] = {}
    for (as_of, data, _), _n in zip(steps(), range(2), strict=False):
        renamed = dataclasses.replace(data, tables={RENAMED[k]: v for k, v in data.tables.items()})
        columns = {RENAMED[k]: v for k, v in K.COLUMNS.items()}
        _load(kind, target, renamed.tables, columns)
        deliverable = K.expected_deliverable(project, renamed, as_of)
        with connect(target) as engine:
            result = deliver(project, "buyers", "m", "ads", engine=engine, as_of=as_of.replace(tzinfo=dt.UTC),
                             output=tmp_path / "out")
        assert result.ok and result.status == "delivered", result.diagnostics
        assert result.folder is not None
        assert read(result.folder / "entered.csv") == {k: v for k, v in deliverable.items() if k not in listed}
        assert read(result.folder / "exited.csv") == {k: v for k, v in listed.items() if k not in deliverable}
        listed = deliverable
        with connect(target) as engine:
            _, rows = engine.fetch_all('SELECT count(*) FROM "audiencelang_stage"', audience="t", market="m")
        assert rows[0][0] == len(data.tables["people"])


def _load(kind: str, target: Any, tables: dict[str, list[dict[str, Any]]],
          columns: dict[str, dict[str, str]]) -> None:
    if kind == "duckdb":
        con: Any = duckdb.connect(str(target))
        for name, rows in tables.items():
            con.execute(f'DROP TABLE IF EXISTS "{name}"')
            engines.duckdb_load(con, name, columns[name], rows)
        con.close()
    elif kind == "sqlite":
        scon = sqlite3.connect(str(target))
        for name, rows in tables.items():
            scon.execute(f'DROP TABLE IF EXISTS "{name}"')
            engines.sqlite_load(scon, name, columns[name], rows)
        scon.close()
    else:
        import psycopg

        with psycopg.connect(str(target)) as conn:
            for name, rows in tables.items():
                conn.execute(f'DROP TABLE IF EXISTS "{name}"')
                engines.postgres_load(conn, name, columns[name], rows)
