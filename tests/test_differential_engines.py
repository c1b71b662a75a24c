"""Differential tests on PostgreSQL, Spark, ClickHouse (chdb) and MariaDB (dialect mysql),
and hostile sessions.

Same generator and oracle as tests/test_differential.py. PostgreSQL: 25 examples x
8 audiences; also a session in UTC+14 and a session with
``standard_conforming_strings = off`` (results must not change, no literal may
become an injection). Spark: the data set is loaded once per example and 70
audiences run against it (3 examples, 210 audiences). ClickHouse: 25 x 8.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from audiencelang.eval import evaluate
from tests import engines
from tests.datagen import ALSO, Scenario, check_scenario, scenarios
from tests.test_injection import (
    AS_OF,
    BACKSLASH_MEGABYTE,
    CORPUS,
    KINDS,
    checked_for,
    compile_sql,
    injection_data,
    run_corpus_on,
)

SETTINGS = settings(max_examples=25, deadline=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


@pytest.fixture
def seed(request: pytest.FixtureRequest) -> Any:
    return request.config.getoption("hypothesis_seed", None)


# --------------------------------------------------------------------------- PostgreSQL


@pytest.fixture
def pg(pg_connection: Any) -> Any:
    """A fresh database with the cluster's defaults: ``--locale=C``, whose plain ``LOWER()``
    folds ASCII only. The compiled SQL must fold all of Unicode anyway (semantics.md)."""
    return pg_connection


def _pg_reset(conn: Any) -> None:
    """Drop every table and schema a scenario created."""
    conn.rollback()  # after a failed statement (the failure is reported, the next example runs)
    rows = conn.execute("SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' "
                        "AND nspname <> 'information_schema'").fetchall()
    for (schema,) in rows:
        conn.execute(f'DROP SCHEMA "{schema.replace(chr(34), chr(34) * 2)}" CASCADE')
    conn.execute("CREATE SCHEMA public")
    conn.commit()


def _pg_ascii_only(conn: Any) -> bool:
    row = conn.execute("SELECT lower('ÄÖÜ') = 'äöü'").fetchone()
    conn.commit()
    return not row[0]


def _run_generated(engine: engines.Engine, reset: Callable[[Any], None], session: list[str], seed: Any,
                   examples: int, samples: bool = True) -> int:
    """``examples`` generated scenarios on ``engine``, each on an emptied database (``reset``)
    after the ``session`` statements; returns the number of audiences compared."""
    compared: list[int] = []

    @settings(SETTINGS, max_examples=examples)
    @given(scenarios(samples=samples))
    def run(scn: Scenario) -> None:
        reset(engine.handle)
        for stmt in session:
            engine.query(stmt)
        compared.append(check_scenario(scn, engine, seed=seed))

    run()
    return sum(compared)


def _pg_run(conn: Any, seed: Any, session: list[str], examples: int) -> int:
    return _run_generated(engines.postgres_engine(conn), _pg_reset, session, seed, examples)


@pytest.mark.postgres
def test_postgres_matches_the_evaluator(pg: Any, seed: Any) -> None:
    assert _pg_run(pg, seed, [], 25) >= 200


@pytest.mark.postgres
def test_postgres_database_lower_is_ascii_only(pg: Any) -> None:
    """The differential's database folds ASCII only with plain LOWER(): so the Unicode
    `ignoring case` matches it checks come from the compiled SQL, not from the locale."""
    assert _pg_ascii_only(pg)


@pytest.mark.postgres
def test_postgres_in_a_far_east_session_time_zone(pg: Any, seed: Any) -> None:
    assert _pg_run(pg, seed, ["SET TimeZone = 'Pacific/Kiritimati'"], 8) >= 64
    assert pg.execute("SHOW TimeZone").fetchone() == ("Pacific/Kiritimati",)


@pytest.mark.postgres
def test_postgres_with_standard_conforming_strings_off(pg: Any, seed: Any) -> None:
    """With ``standard_conforming_strings = off`` a backslash in '...' is an escape. The
    compiled SQL spells backslashes as CHR(92), so nothing changes and nothing injects."""
    off = ["SET standard_conforming_strings = off", "SET escape_string_warning = off"]
    assert _pg_run(pg, seed, off, 8) >= 64
    assert pg.execute("SHOW standard_conforming_strings").fetchone() == ("off",)
    pg.commit()


@pytest.mark.postgres
def test_postgres_injection_corpus_in_both_string_modes(pg: Any) -> None:
    for setting in ("on", "off"):
        _pg_reset(pg)
        pg.execute(f"SET standard_conforming_strings = {setting}")
        pg.commit()
        assert run_corpus_on(engines.postgres_engine(pg)) > 0


@pytest.mark.postgres
def test_postgres_a_megabyte_of_backslashes(pg: Any) -> None:
    """70,000 backslashes in one value: PostgreSQL must still run it (a chain of 140,000 `||`
    once overflowed its stack; the compiler now writes one REPLACE(literal, placeholder, CHR(92)))."""
    columns, data = injection_data()
    data["select.order"].append({"user": 10_000, "my col": BACKSLASH_MEGABYTE})
    eng = engines.postgres_engine(pg)
    for table, cols in columns.items():
        eng.load(table, cols, data[table])
    checked = checked_for(KINDS["eq"][0](BACKSLASH_MEGABYTE))
    got = {r[0] for r in eng.query(compile_sql(checked, "postgres", AS_OF))}
    assert got == evaluate(checked, data, as_of=AS_OF) == {10_000}


# --------------------------------------------------------------------------- Redshift (on PostgreSQL)

# Redshift reads a backslash in '...' as an escape (as PostgreSQL did before 9.1), and the
# redshift SQL is written for that ('it\'s'): the session that stands in for Redshift does too
REDSHIFT_STRINGS = ["SET standard_conforming_strings = off", "SET escape_string_warning = off"]


def _as_redshift(conn: Any) -> engines.Engine:
    return engines.Engine("postgres (as redshift)", "redshift", conn, engines.postgres_load,
                          engines.postgres_query)


@pytest.mark.postgres
def test_redshift_dialect_matches_the_evaluator_on_postgres(pg_icu_connection: Any, seed: Any) -> None:
    """Dialect ``redshift`` on PostgreSQL 15, Redshift's ancestor, in a database whose plain
    ``LOWER()`` folds all of Unicode (ICU root collation) as Redshift's ``LOWER`` does: the
    redshift SQL carries no ``COLLATE`` (Redshift has no ICU collations), so its
    ``ignoring case`` matches rest on that; and with ``standard_conforming_strings = off``, as
    Redshift reads string literals. Not Redshift itself: a Redshift-only function or a
    PostgreSQL feature Redshift lacks would not show here (docs/correctness.md)."""
    # no 'in sample': redshift SQL casts ids to VARCHAR(MAX), which only Redshift parses
    assert _run_generated(_as_redshift(pg_icu_connection), _pg_reset, REDSHIFT_STRINGS, seed, 25,
                          samples=False) >= 200


@pytest.mark.postgres
def test_redshift_dialect_injection_corpus_on_postgres(pg_icu_connection: Any) -> None:
    """The injection corpus (quotes, backslashes, comment markers, ...) in every string
    condition kind, as Redshift reads literals: exactly the evaluator's rows."""
    for stmt in REDSHIFT_STRINGS:
        pg_icu_connection.execute(stmt)
    pg_icu_connection.commit()
    assert run_corpus_on(_as_redshift(pg_icu_connection)) == len(CORPUS) * len(KINDS)
    assert pg_icu_connection.execute("SHOW standard_conforming_strings").fetchone() == ("off",)
    pg_icu_connection.commit()


@pytest.mark.postgres
def test_redshift_dialect_folds_unicode_case_on_postgres(pg_icu_connection: Any) -> None:
    """``ignoring case`` on non-ASCII text with the redshift SQL (plain ``LOWER``): right in
    the ICU database that stands in for Redshift, and it is the database that makes it right
    (a ``C``-locale one folds ASCII only)."""
    assert not _pg_ascii_only(pg_icu_connection)
    eng = _as_redshift(pg_icu_connection)
    columns, data = injection_data()
    values = ["Ärger im Büro", "ÉMILE ZOLA", "olivenöl", "plain ascii"]
    data["select.order"] = [{"user": i, "my col": v, 'we"ird': i, "Abc": v} for i, v in enumerate(values, 1)]
    for table, cols in columns.items():
        eng.load(table, cols, data[table])
    for kind, value in [("contains_ci", "ärger IM"), ("contains_ci", "Émile"), ("contains_ci", "ÖL"),
                        ("not_starts_ci", "OLIVEN")]:
        checked = checked_for(KINDS[kind][0](value))
        got = {r[0] for r in eng.query(compile_sql(checked, "redshift", AS_OF))}
        expected = evaluate(checked, data, as_of=AS_OF)
        assert got == expected and 0 < len(expected) < len(values), (kind, value, got, expected)


# --------------------------------------------------------------------------- Spark


@pytest.mark.spark
def test_spark_matches_the_evaluator(spark_engine: engines.Engine, seed: Any) -> None:
    """Dialects ``spark`` and ``databricks`` on Spark 4 (local, UTC session). The databricks
    SQL is held to the evaluator too: where it is the spark SQL but for its header line, the
    same run covers it; where it differs, Spark runs it as well."""
    compared: list[int] = []
    before = ALSO.copy()

    @settings(SETTINGS, max_examples=3)
    @given(scenarios(identifiers="tame", n_audiences=70))
    def run(scn: Scenario) -> None:
        spark = spark_engine.handle
        for table in scn.columns:
            spark.sql(f"DROP TABLE IF EXISTS {'.'.join(engines._bq(p) for p in table.split('.'))}")
        compared.append(check_scenario(scn, spark_engine, seed=seed, also=["databricks"]))

    run()
    assert sum(compared) >= 200
    databricks = (ALSO - before)
    assert databricks[("databricks", "same SQL")] + databricks[("databricks", "ran")] >= 200, databricks
    print(f"databricks SQL on Spark: {dict(databricks)}")


# --------------------------------------------------------------------------- ClickHouse


@pytest.mark.clickhouse
def test_clickhouse_matches_the_evaluator(clickhouse_engine: engines.Engine, seed: Any) -> None:
    compared: list[int] = []

    @SETTINGS
    @given(scenarios())
    def run(scn: Scenario) -> None:
        for table in scn.columns:
            clickhouse_engine.query(f"DROP TABLE IF EXISTS {'.'.join(engines._bq(p) for p in table.split('.'))}")
        compared.append(check_scenario(scn, clickhouse_engine, seed=seed))

    run()
    assert sum(compared) >= 200


# --------------------------------------------------------------------------- MySQL (on MariaDB)


def _mysql_run(conn: Any, seed: Any, session: list[str], examples: int) -> int:
    from tests.conftest import mysql_reset

    return _run_generated(engines.mysql_engine(conn), mysql_reset, session, seed, examples)


@pytest.mark.mysql
def test_mysql_dialect_matches_the_evaluator_on_mariadb(mysql_connection: Any, seed: Any) -> None:
    """Dialect ``mysql`` on MariaDB 10.11 (utf8mb4, case-insensitive default collation)."""
    assert _mysql_run(mysql_connection, seed, [], 25) >= 200


@pytest.mark.mysql
def test_mysql_in_a_far_east_session_time_zone(mysql_connection: Any, seed: Any) -> None:
    """DATETIME columns and UTC_TIMESTAMP() do not move with the session time zone."""
    assert _mysql_run(mysql_connection, seed, ["SET time_zone = '+13:00'"], 8) >= 64
    with mysql_connection.cursor() as cur:
        cur.execute("SELECT @@session.time_zone")
        assert cur.fetchone() == ("+13:00",)


@pytest.mark.mysql
def test_mysql_injection_corpus(mysql_engine: engines.Engine) -> None:
    assert run_corpus_on(mysql_engine) > 0


@pytest.mark.postgres
def test_runner_session_is_safe_on_a_hostile_database(pg: Any, postgres_cluster: Any) -> None:
    """A database whose defaults are `standard_conforming_strings = off` and UTC+14: the runner's
    connection (audiencelang.run.engines.connect) turns both back and the corpus still matches."""
    import psycopg

    from audiencelang.run.engines import connect

    dbname = pg.info.dbname
    with psycopg.connect(postgres_cluster.url(), autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{dbname}" SET standard_conforming_strings = off')
        admin.execute(f"ALTER DATABASE \"{dbname}\" SET TimeZone = 'Pacific/Kiritimati'")
    columns, data = injection_data()
    loader = psycopg.connect(postgres_cluster.url(dbname))
    try:
        eng = engines.postgres_engine(loader)
        for table, cols in columns.items():
            eng.load(table, cols, data[table])
    finally:
        loader.close()
    runner = connect(postgres_cluster.url(dbname))
    try:
        _, now = runner.fetch_all("SELECT current_setting('standard_conforming_strings'), "
                                  "current_setting('TimeZone')")
        assert now == [("on", "UTC")]
        for value in CORPUS:
            for kind in KINDS:
                checked = checked_for(KINDS[kind][0](value))
                sql = compile_sql(checked, "postgres", AS_OF)
                got = {r[0] for r in runner.fetch_all(sql)[1]}
                assert got == evaluate(checked, data, as_of=AS_OF), (kind, value, sql)
    finally:
        runner.close()
