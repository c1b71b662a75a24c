"""A warehouse per market and schema drift (issue 17 items 3 and 4), on real engines.

A market file may say ``warehouse: {dialect, url_env}``: ``run``/``explain`` without
``--db`` open the URL in that environment variable; ``check --db``/``--warehouses``
compares every market file with the warehouse and reports drift at the market file's line.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner

from audiencelang.cli import main
from audiencelang.project import load_project
from audiencelang.run.demo import generate
from audiencelang.run.drift import schema_drift
from audiencelang.run.execute import run_all
from audiencelang.schema import load_market_text

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
AS_OF = "2026-11-01T00:00:00Z"


def _invoke(*args: object, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example project with de and us on their own warehouses (fr on the default file),
    and one DuckDB file per market."""
    root = tmp_path_factory.mktemp("wh") / "proj"
    shutil.copytree(EXAMPLES, root)
    for market, env in (("de", "DE_WAREHOUSE_URL"), ("us", "US_WAREHOUSE_URL")):
        path = root / "markets" / f"{market}.yaml"
        path.write_text(path.read_text() + f"warehouse:\n  dialect: duckdb\n  url_env: {env}\n")
    for market, name in (("de", "de.duckdb"), ("us", "us.duckdb"), ("fr", "audiencelang.duckdb")):
        generate(root / name, root, profiles=120, events_per_profile=5, seed=3, markets=[market])
    return root


def _env(root: Path, **extra: str) -> dict[str, str]:
    return {"DE_WAREHOUSE_URL": str(root / "de.duckdb"), "US_WAREHOUSE_URL": str(root / "us.duckdb"),
            "AUDIENCELANG_DB": "", **extra}


def test_the_market_file_declares_its_warehouse() -> None:
    text = "market: m\nprofiles: {table: p, id: id}\nwarehouse: {dialect: postgres, url_env: M_URL}\n"
    market, diags = load_market_text(text, path="m.yaml")
    assert diags == [] and market is not None and market.warehouse is not None
    assert (market.warehouse.dialect, market.warehouse.url_env) == ("postgres", "M_URL")
    secret = "market: m\nprofiles: {table: p, id: id}\nwarehouse: {dialect: postgres, url_env: 'postgresql://u:hunter2@h/db'}\n"
    _, diags = load_market_text(secret, path="m.yaml")
    assert [d.code for d in diags] == ["E207"] and diags[0].span is not None and diags[0].span.line == 3
    assert "hunter2" not in diags[0].message  # a URL pasted in the file is never echoed
    _, diags = load_market_text(text.replace("postgres,", "oracle9,"), path="m.yaml")
    assert [d.code for d in diags] == ["E207"] and "snowflake" in diags[0].message


def test_warehouse_dialects_are_the_compiled_dialects() -> None:
    import typing

    from audiencelang.schema.market import WarehouseDialect
    from audiencelang.sql import DIALECTS

    assert set(typing.get_args(WarehouseDialect)) == set(DIALECTS)


def test_run_uses_each_markets_warehouse(project: Path) -> None:
    env = _env(project)
    one = _invoke("run", "cart_abandoners", "-m", "de", "--project", project, "--as-of", AS_OF, "--format", "json",
                  env=env)
    assert one.exit_code == 0, one.output
    every = _invoke("run", "--all", "--project", project, "--as-of", AS_OF, "--format", "json", env=env)
    assert every.exit_code == 0, every.output
    results = json.loads(every.stdout)
    assert {r["market"] for r in results} == {"de", "fr", "us"} and all(r["status"] == "ok" for r in results)
    # each market's members come from its own file: the same runs with --db on that file agree
    for market, name in (("de", "de.duckdb"), ("us", "us.duckdb"), ("fr", "audiencelang.duckdb")):
        pinned = _invoke("run", "--all", "-m", market, "--project", project, "--db", project / name,
                         "--as-of", AS_OF, "--format", "json", env=env)
        sizes = {r["audience"]: r["size"] for r in json.loads(pinned.stdout)}
        assert sizes == {r["audience"]: r["size"] for r in results if r["market"] == market}
    # the library: run_all without an engine does the same
    import os

    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        from audiencelang.run.execute import parse_as_of

        lib = run_all(load_project(project), as_of=parse_as_of(AS_OF))
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    assert [(r.audience, r.market, r.size) for r in lib] == [(r["audience"], r["market"], r["size"]) for r in results]


def test_an_unset_variable_is_e652_at_url_env(project: Path) -> None:
    env = _env(project)
    del env["DE_WAREHOUSE_URL"]
    r = _invoke("run", "cart_abandoners", "-m", "de", "--project", project, "--as-of", AS_OF, env=env)
    assert r.exit_code == 1 and "error[E652]" in r.stderr and "DE_WAREHOUSE_URL" in r.stderr
    assert f"markets/de.yaml:{_line_of(project / 'markets/de.yaml', 'url_env: DE_WAREHOUSE_URL')}:" in r.stderr
    # --all: de's runs say why, the other markets run
    every = _invoke("run", "--all", "--project", project, "--as-of", AS_OF, "--format", "json", env=env)
    results = json.loads(every.stdout)
    assert every.exit_code == 1
    assert {r["status"] for r in results if r["market"] == "de"} == {"not_run"}
    assert {r["status"] for r in results if r["market"] != "de"} == {"ok"}
    assert all(r["diagnostics"][0]["code"] == "E652" for r in results if r["market"] == "de")
    # the text report says it once, and calls de's runs "not run", not a compile problem
    text = _invoke("run", "--all", "--project", project, "--as-of", AS_OF, env=env)
    assert text.exit_code == 1 and text.stderr.count("error[E652]") == 1, text.stderr
    de_rows = [line for line in text.stdout.splitlines() if re.search(r"\sde\s", line)]
    assert de_rows and all("not run (E652)" in line for line in de_rows), text.stdout
    # --db overrides the warehouse
    r = _invoke("run", "cart_abandoners", "-m", "de", "--project", project, "--db", project / "de.duckdb",
                "--as-of", AS_OF, env=env)
    assert r.exit_code == 0, r.output


def test_another_dialect_is_e653_and_a_password_is_never_printed(project: Path, tmp_path: Path) -> None:
    sqlite_file = tmp_path / "w.sqlite"
    sqlite3.connect(sqlite_file).close()
    env = _env(project, DE_WAREHOUSE_URL=f"sqlite:///{sqlite_file}")
    r = _invoke("run", "cart_abandoners", "-m", "de", "--project", project, "--as-of", AS_OF, env=env)
    assert r.exit_code == 1 and "error[E653]" in r.stderr and "dialect sqlite" in r.stderr
    assert f"markets/de.yaml:{_line_of(project / 'markets/de.yaml', 'dialect: duckdb')}:" in r.stderr
    env = _env(project, DE_WAREHOUSE_URL="postgresql://audience:hunter2@127.0.0.1:1/dw?connect_timeout=2")
    for args in (("run", "cart_abandoners", "-m", "de"), ("explain", "cart_abandoners", "-m", "de", "-p", "1")):
        r = _invoke(*args, "--project", project, "--as-of", AS_OF, env=env)
        assert r.exit_code == 1 and "E602" in r.stderr and "DE_WAREHOUSE_URL" in r.stderr
        assert "hunter2" not in r.output + r.stderr


def test_explain_uses_the_markets_warehouse(project: Path) -> None:
    with duckdb.connect(str(project / "us.duckdb"), read_only=True) as con:
        (profile,) = con.execute("SELECT MIN(user_id) FROM analytics.users").fetchone()  # type: ignore[misc]
    r = _invoke("explain", "big_spenders", "-m", "us", "-p", profile, "--project", project, "--as-of", AS_OF,
                "--format", "json", env=_env(project))
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["market"] == "us"


# --------------------------------------------------------------------------- drift


def test_check_db_finds_a_renamed_column_a_changed_type_and_a_dropped_table(project: Path, tmp_path: Path) -> None:
    db = tmp_path / "drift.duckdb"
    shutil.copy(project / "de.duckdb", db)
    clean = _invoke("check", "--project", project, "-m", "de", "--db", db, "--format", "json", env=_env(project))
    assert clean.exit_code == 0, clean.output
    with duckdb.connect(str(db)) as con:
        con.execute("ALTER TABLE crm.kunden RENAME COLUMN land TO country_code")
        con.execute("ALTER TABLE shop.bestellungen ALTER umsatz TYPE DOUBLE")
        con.execute("DROP TABLE legal.einwilligungen")
    r = _invoke("check", "--project", project, "-m", "de", "--db", db, "--format", "json", env=_env(project))
    assert r.exit_code == 1
    found = {(d["code"], d["line"]) for d in json.loads(r.stdout)["diagnostics"]}
    yaml = project / "markets/de.yaml"
    assert found == {("E655", _line_of(yaml, "{column: land")), ("E616", _line_of(yaml, "{column: umsatz")),
                     ("E654", _line_of(yaml, "table: legal.einwilligungen"))}
    text = _invoke("check", "--project", project, "-m", "de", "--db", db, env=_env(project)).stdout
    assert "table crm.kunden has no column 'land' (trait country)" in text and "country_code" in text
    assert "declared decimal but is DOUBLE" in text


def test_check_db_finds_a_repeated_id_in_a_market_declaring_unique_ids(project: Path, tmp_path: Path) -> None:
    """de.yaml says ``unique_id: true``: one repeated profile row is E735 at that line, and
    the message counts ids (never prints one)."""
    db = tmp_path / "dup.duckdb"
    shutil.copy(project / "de.duckdb", db)
    with duckdb.connect(str(db)) as con:
        con.execute("INSERT INTO crm.kunden SELECT * FROM crm.kunden ORDER BY kunden_id LIMIT 2")
    r = _invoke("check", "--project", project, "-m", "de", "--db", db, "--format", "json", env=_env(project))
    assert r.exit_code == 1, r.output
    (d,) = json.loads(r.stdout)["diagnostics"]
    assert (d["code"], d["line"]) == ("E735", _line_of(project / "markets/de.yaml", "unique_id: true"))
    assert "2 ids are in more than one row" in d["message"]


def test_check_warehouses_checks_every_market_on_its_own(project: Path) -> None:
    r = _invoke("check", "--project", project, "--warehouses", "--format", "json", env=_env(project))
    assert r.exit_code == 0, r.output
    env = _env(project, US_WAREHOUSE_URL=str(project / "de.duckdb"))  # us pointed at de's tables
    r = _invoke("check", "--project", project, "--warehouses", "--format", "json", env=env)
    diags = json.loads(r.stdout)["diagnostics"]
    assert r.exit_code == 1 and {d["market"] for d in diags} == {"us"} and {d["code"] for d in diags} == {"E654"}
    assert all(d["path"].endswith("markets/us.yaml") for d in diags)


def test_schema_drift_on_sqlite_text_numbers(tmp_path: Path) -> None:
    """The library form, on SQLite: an integer trait stored as TEXT is E616 at its column."""
    root = tmp_path / "p"
    (root / "markets").mkdir(parents=True)
    (root / "audiences").mkdir()
    (root / "audiencelang.toml").write_text("")
    (root / "markets/m.yaml").write_text(
        "market: m\nprofiles:\n  table: people\n  id: id\n  traits:\n    age: {column: age, type: integer}\n"
        "    city: {column: city, type: string}\n")
    db = tmp_path / "w.sqlite"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE people (id INTEGER, age TEXT)")
        con.execute("INSERT INTO people VALUES (1, '30')")
    diags = schema_drift(load_project(root), db=str(db))
    assert sorted((d.code, d.span.line if d.span else None) for d in diags) == [("E616", 6), ("E655", 7)]


def test_compile_uses_the_markets_dialect(project: Path, tmp_path: Path) -> None:
    us = project / "markets/us.yaml"
    original = us.read_text()
    us.write_text(original.replace("dialect: duckdb", "dialect: postgres"))
    try:
        r = _invoke("compile", "big_spenders", "-m", "us", "--project", project, "--as-of", AS_OF)
        assert r.exit_code == 0, r.output
        assert r.stdout.startswith("-- audience big_spenders | market us | dialect postgres")
        pinned = _invoke("compile", "big_spenders", "-m", "us", "-d", "sqlite", "--project", project, "--as-of", AS_OF)
        assert "| dialect sqlite |" in pinned.stdout  # --dialect overrides
        r = _invoke("compile", "big_spenders", "-m", "fr", "--project", project, "--as-of", AS_OF)
        assert r.exit_code == 2 and "E500" in r.stderr and "fr names no warehouse" in r.stderr
        r = _invoke("compile", "--all", "--out", tmp_path / "sql", "-m", "us", "--project", project, "--as-of", AS_OF)
        assert r.exit_code == 0, r.output
        assert (tmp_path / "sql/big_spenders__us.sql").read_text().startswith(
            "-- audience big_spenders | market us | dialect postgres")
        r = _invoke("compile", "--all", "--out", tmp_path / "sql2", "--project", project, "--as-of", AS_OF)
        assert r.exit_code == 2 and "fr names no warehouse" in r.stderr
    finally:
        us.write_text(original)


def test_check_reports_a_feature_the_markets_dialect_lacks(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    shutil.copytree(EXAMPLES, root)
    (root / "audiences/winback_holdout.aud").unlink()  # its samples are E520 on sqlite too: one case here
    us = root / "markets/us.yaml"
    us.write_text(us.read_text() + "warehouse: {dialect: sqlite, url_env: US_WAREHOUSE_URL}\n")
    (root / "audiences/holdout.aud").write_text(
        'audience holdout {\n  description "A stable tenth of the adults."\n  owner "crm@example.com"\n'
        '  include age >= 18 and in sample 10% salt "q4"\n}\n')
    r = _invoke("check", "--project", root, "--format", "json")
    diags = [d for d in json.loads(r.stdout)["diagnostics"] if d["severity"] == "error"]
    assert r.exit_code == 1
    assert [(d["code"], d["market"], d["audience"]) for d in diags] == [("E520", "us", "holdout")]
    assert diags[0]["path"].endswith("audiences/holdout.aud") and diags[0]["line"] is not None
    assert any("dialect sqlite" in h for h in diags[0]["hints"])
    # checking only another file does not report it
    other = _invoke("check", root / "audiences/big_spenders.aud", "--project", root, "--format", "json")
    assert not [d for d in json.loads(other.stdout)["diagnostics"] if d["code"] == "E520"]


@pytest.mark.postgres
def test_drift_on_postgresql_renamed_column_and_changed_type(tmp_path: Path, postgres_cluster: Any) -> None:
    import psycopg

    root = tmp_path / "p"
    (root / "markets").mkdir(parents=True)
    (root / "audiences").mkdir()
    (root / "audiencelang.toml").write_text("")
    (root / "markets/m.yaml").write_text(
        "market: m\nprofiles:\n  table: crm.people\n  id: id\n  traits:\n    age: {column: age, type: integer}\n"
        "    spend: {column: spend, type: decimal}\nevents:\n  visit:\n    table: web.visits\n    user: person\n"
        "    time: at\nwarehouse: {dialect: postgres, url_env: M_URL}\n")
    with postgres_cluster.database("drift") as name:
        url = postgres_cluster.url(name)
        with psycopg.connect(url, autocommit=True) as con:
            con.execute("CREATE SCHEMA crm; CREATE SCHEMA web")
            con.execute("CREATE TABLE crm.people (id bigint, age integer, spend numeric(12,2))")
            con.execute("CREATE TABLE web.visits (person bigint, at timestamptz)")
        assert schema_drift(load_project(root), environ={"M_URL": url}) == []
        with psycopg.connect(url, autocommit=True) as con:
            con.execute("ALTER TABLE crm.people RENAME COLUMN age TO age_years")
            con.execute("ALTER TABLE crm.people ALTER spend TYPE double precision")
        env = {"M_URL": url, "AUDIENCELANG_DB": ""}
        r = _invoke("check", "--project", root, "--warehouses", "--format", "json", env=env)
    diags = json.loads(r.stdout)["diagnostics"]
    assert r.exit_code == 1
    assert sorted((d["code"], d["line"]) for d in diags) == [("E616", 7), ("E655", 6)]
    assert all(d["path"].endswith("markets/m.yaml") and d["market"] == "m" for d in diags)
    assert "double precision" in next(d["message"] for d in diags if d["code"] == "E616")
