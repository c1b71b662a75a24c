"""`audiencelang.run.engines`: connection targets, read-only sessions and E6xx diagnostics,
on real DuckDB, SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import duckdb
import pytest

from audiencelang.run.engines import (
    DuckDBEngine,
    PostgresEngine,
    RunError,
    SQLiteEngine,
    connect,
)
from audiencelang.schema.market import Market


def make_duckdb(path: Path) -> Path:
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA crm")
    con.execute("CREATE TABLE crm.kunden (id BIGINT, name VARCHAR)")
    con.execute("INSERT INTO crm.kunden SELECT i, 'n' || i FROM range(25000) AS r(i)")
    con.close()
    return path


def make_sqlite(path: Path) -> Path:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE kunden (id INTEGER, name TEXT)")
    con.executemany("INSERT INTO kunden VALUES (?, ?)", [(i, f"n{i}") for i in range(5)])
    con.commit()
    con.close()
    return path


def code_of(target: Any, **kw: Any) -> str:
    with pytest.raises(RunError) as info:
        connect(target, **kw)
    assert "\n" not in info.value.diagnostic.message
    return info.value.diagnostic.code


# --------------------------------------------------------------------------- DuckDB


@pytest.mark.parametrize("form", ["{p}", "duckdb:///{p}"])
def test_duckdb_path_and_url(tmp_path: Path, form: str) -> None:
    db = make_duckdb(tmp_path / "w.duckdb")
    with connect(form.format(p=db)) as engine:
        assert isinstance(engine, DuckDBEngine) and engine.dialect == "duckdb"
        cols, rows = engine.fetch_all("SELECT count(*) AS n FROM crm.kunden")
    assert cols == ["n"] and rows == [(25000,)]


def test_duckdb_relative_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_duckdb(tmp_path / "rel.duckdb")
    monkeypatch.chdir(tmp_path)
    with connect("duckdb:///rel.duckdb") as engine:
        assert engine.fetch_all("SELECT count(*) FROM crm.kunden")[1] == [(25000,)]


def test_duckdb_any_extension_and_default_in_project_root(tmp_path: Path) -> None:
    make_duckdb(tmp_path / "warehouse.data")
    with connect(str(tmp_path / "warehouse.data")) as engine:
        assert isinstance(engine, DuckDBEngine)
    make_duckdb(tmp_path / "audiencelang.duckdb")
    with connect(None, project_root=tmp_path) as engine:
        assert engine.fetch_all("SELECT max(id) FROM crm.kunden")[1] == [(24999,)]


def test_duckdb_is_read_only(tmp_path: Path) -> None:
    db = make_duckdb(tmp_path / "w.duckdb")
    with connect(str(db)) as engine, pytest.raises(RunError) as info:
        engine.fetch_all("DELETE FROM crm.kunden")
    assert info.value.diagnostic.code == "E605"
    assert "read-only" in info.value.diagnostic.message.lower()
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM crm.kunden").fetchone() == (25000,)
    con.close()


def test_rows_stream_in_batches(tmp_path: Path) -> None:
    db = make_duckdb(tmp_path / "w.duckdb")
    with connect(str(db)) as engine, engine.execute("SELECT id FROM crm.kunden ORDER BY id") as rows:
        sizes = [len(b) for b in rows.batches(size=10_000)]
    assert sizes == [10_000, 10_000, 5_000]


@pytest.mark.parametrize("target", ["missing.duckdb", "duckdb:///missing.duckdb", "missing.db",
                                    "missing.sqlite", "sqlite:///missing.sqlite3", "missing"])
def test_missing_file_is_e601_and_not_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              target: str) -> None:
    monkeypatch.chdir(tmp_path)
    assert code_of(target) == "E601"
    assert list(tmp_path.iterdir()) == []


def test_default_db_missing_names_it(tmp_path: Path) -> None:
    with pytest.raises(RunError) as info:
        connect(None, project_root=tmp_path)
    d = info.value.diagnostic
    assert d.code == "E601" and str(tmp_path / "audiencelang.duckdb") in d.message
    assert not (tmp_path / "audiencelang.duckdb").exists()


@pytest.mark.parametrize(("target", "code"), [
    ("oracle://u@h/db", "E603"),
    ("sqlite://relative.db", "E603"),
    ("duckdb:/x", "E603"),
    ("", "E603"),
    ("postgresql://nobody@127.0.0.1:1/x", "E602"),
    ("postgresql://u:secret@[bad", "E602"),
])
def test_bad_targets(target: str, code: str) -> None:
    with pytest.raises(RunError) as info:
        connect(target)
    d = info.value.diagnostic
    assert d.code == code, d
    assert "secret" not in d.message and "\n" not in d.message


def test_folder_is_not_a_database(tmp_path: Path) -> None:
    assert code_of(str(tmp_path)) == "E601"


def test_not_a_database_file(tmp_path: Path) -> None:
    bad = tmp_path / "notes.duckdb"
    bad.write_text("hello, I am text\n" * 100)
    assert code_of(str(bad)) == "E602"
    assert bad.read_text() == "hello, I am text\n" * 100


def test_missing_table_is_e606_naming_audience_and_market(tmp_path: Path) -> None:
    db = make_duckdb(tmp_path / "w.duckdb")
    with connect(str(db)) as engine, pytest.raises(RunError) as info:
        engine.fetch_all("SELECT * FROM crm.nope", audience="cart_abandoners", market="de")
    d = info.value.diagnostic
    assert (d.code, d.audience, d.market) == ("E606", "cart_abandoners", "de")
    assert d.message.startswith("cart_abandoners (market de): table not found")
    assert "nope" in d.message and "\n" not in d.message


def test_sql_error_is_e605(tmp_path: Path) -> None:
    db = make_duckdb(tmp_path / "w.duckdb")
    with connect(str(db)) as engine:
        with pytest.raises(RunError) as info:
            engine.fetch_all("SELEC 1")
        assert info.value.diagnostic.code == "E605"
        assert engine.fetch_all("SELECT 1")[1] == [(1,)]  # the session still works


def test_now_is_aware_utc(tmp_path: Path) -> None:
    db = make_duckdb(tmp_path / "w.duckdb")
    before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    with connect(str(db)) as engine:
        now = engine.now()
    assert now.tzinfo is not None and now.utcoffset() == dt.timedelta(0)
    assert before <= now <= dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)


# --------------------------------------------------------------------------- SQLite


@pytest.mark.parametrize("form", ["{p}", "sqlite:///{p}"])
def test_sqlite_by_suffix_and_url(tmp_path: Path, form: str) -> None:
    db = make_sqlite(tmp_path / "w.sqlite")
    with connect(form.format(p=db)) as engine:
        assert isinstance(engine, SQLiteEngine) and engine.dialect == "sqlite"
        assert engine.fetch_all("SELECT count(*) FROM kunden")[1] == [(5,)]


def test_sqlite_recognised_by_header_whatever_the_name(tmp_path: Path) -> None:
    db = make_sqlite(tmp_path / "legacy.db")
    with connect(str(db)) as engine:
        assert isinstance(engine, SQLiteEngine)


def test_sqlite_read_only_and_schemas_attached(tmp_path: Path) -> None:
    db = make_sqlite(tmp_path / "w.sqlite")
    market = Market.model_validate({
        "market": "de",
        "profiles": {"table": "crm.kunden", "id": "id", "traits": {}},
    })
    with connect(str(db)) as engine:
        with pytest.raises(RunError) as info:
            engine.fetch_all('SELECT count(*) FROM "crm"."kunden"')
        assert info.value.diagnostic.code == "E606"
        engine.prepare(market)
        engine.prepare(market)  # idempotent
        assert engine.fetch_all('SELECT count(*) FROM "crm"."kunden"')[1] == [(5,)]
        with pytest.raises(RunError) as info:
            engine.fetch_all("DELETE FROM kunden")
        assert info.value.diagnostic.code == "E605"
        assert "readonly" in info.value.diagnostic.message.replace("-", "").lower()
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM kunden").fetchone() == (5,)
    con.close()


# --------------------------------------------------------------------------- PostgreSQL


@pytest.fixture
def pg_db(postgres_cluster: Any) -> Any:
    import psycopg

    with postgres_cluster.database("run") as name:
        with psycopg.connect(postgres_cluster.url(name)) as conn:
            conn.execute("CREATE SCHEMA crm")
            conn.execute("CREATE TABLE crm.kunden (id BIGINT, name TEXT)")
            conn.execute("INSERT INTO crm.kunden SELECT i, 'n' || i FROM generate_series(0, 24999) AS i")
            conn.commit()
        yield postgres_cluster.url(name)


@pytest.mark.postgres
def test_postgres_session_is_safe_and_streams(pg_db: str) -> None:
    with connect(pg_db) as engine:
        assert isinstance(engine, PostgresEngine) and engine.dialect == "postgres"
        assert engine.fetch_all("SELECT current_setting('standard_conforming_strings')")[1] == [("on",)]
        assert engine.fetch_all("SELECT current_setting('TimeZone')")[1] == [("UTC",)]
        # no nested loops over aggregates, whatever PostgreSQL estimates (docs/run.md)
        assert engine.fetch_all("SELECT current_setting('enable_nestloop')")[1] == [("off",)]
        # backslash is an ordinary character in a string literal
        assert engine.fetch_all("SELECT 'a\\' AS s")[1] == [("a\\",)]
        # percent signs are not placeholders: compiled SQL is sent as written
        assert engine.fetch_all("SELECT '50%_off', '%s', '%(x)s'")[1] == [("50%_off", "%s", "%(x)s")]
        with engine.execute("SELECT id FROM crm.kunden ORDER BY id") as rows:
            assert rows.columns == ["id"]
            sizes = [len(b) for b in rows.batches(size=10_000)]
        assert sizes == [10_000, 10_000, 5_000]
        assert engine.fetch_all("SELECT current_setting('transaction_read_only')")[1] == [("on",)]
        with pytest.raises(RunError) as info:
            engine.fetch_all("SELECT * FROM crm.missing", audience="a", market="de")
        assert info.value.diagnostic.code == "E606" and "\n" not in info.value.diagnostic.message
        assert engine.fetch_all("SELECT count(*) FROM crm.kunden")[1] == [(25000,)]
        assert engine.now().utcoffset() == dt.timedelta(0)


@pytest.mark.postgres
def test_postgres_scheme_alias_and_bad_database(pg_db: str) -> None:
    with connect("postgres://" + pg_db.split("://", 1)[1]) as engine:
        assert engine.fetch_all("SELECT 1")[1] == [(1,)]
    bad = pg_db.rsplit("/", 1)[0] + "/no_such_db"
    with pytest.raises(RunError) as info:
        connect(bad)
    assert info.value.diagnostic.code == "E602" and "no_such_db" in info.value.diagnostic.message


# --------------------------------------------------------------------------- Redshift (redshift://)


def _as_redshift_url(url: str) -> str:
    return "redshift" + url[url.index(":"):]


@pytest.mark.postgres
def test_redshift_sql_is_refused_on_a_standard_conforming_server(pg_db: str) -> None:
    """The redshift SQL escapes a quote as \\' (right on Redshift); PostgreSQL with
    standard_conforming_strings = on (its default) would end the literal there: E615,
    before any statement runs, from the library and from `run` (exit 1)."""
    from click.testing import CliRunner

    from audiencelang.cli import main

    with pytest.raises(RunError) as info:
        connect(_as_redshift_url(pg_db))
    d = info.value.diagnostic
    assert d.code == "E615" and "standard_conforming_strings = on" in d.message and "\n" not in d.message
    examples = Path(__file__).resolve().parent.parent / "examples"
    result = CliRunner().invoke(main, ["run", "big_spenders", "--market", "de", "--project", str(examples),
                                       "--db", _as_redshift_url(pg_db)], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    assert "E615" in result.output and "dialect redshift SQL must not run there" in result.output


@pytest.mark.postgres
def test_redshift_sql_runs_where_backslash_escapes(pg_db: str, postgres_cluster: Any) -> None:
    """A server reporting standard_conforming_strings = off (as Redshift does) runs the
    redshift SQL: hostile values select exactly the evaluator's profiles."""
    import psycopg

    from audiencelang.eval import evaluate
    from tests import engines
    from tests.test_injection import AS_OF, KINDS, checked_for, compile_sql, injection_data

    name = pg_db.rsplit("/", 1)[1]
    with psycopg.connect(postgres_cluster.url(), autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" SET standard_conforming_strings = off')
        admin.execute(f'ALTER DATABASE "{name}" SET escape_string_warning = off')
    columns, data = injection_data()
    with psycopg.connect(pg_db) as loader:
        for table, cols in columns.items():
            engines.postgres_load(loader, table, cols, data[table])
    with connect(_as_redshift_url(pg_db)) as engine:
        assert engine.dialect == "redshift" and engine.kind == "Redshift"
        for value in ("x' OR 1=1 --", "x\\' OR 1=1 --", "trailing\\", "''"):
            for kind in ("eq", "in", "contains", "not_starts_ci"):
                checked = checked_for(KINDS[kind][0](value))
                got = {r[0] for r in engine.fetch_all(compile_sql(checked, "redshift", AS_OF))[1]}
                assert got == evaluate(checked, data, as_of=AS_OF), (kind, value)
