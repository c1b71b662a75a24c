"""`audiencelang explain`: one profile's rows from the warehouse, through the reference
evaluator, held to the compiled SQL's membership (DuckDB and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from audiencelang.check import check_audience
from audiencelang.cli import main
from audiencelang.project import load_project
from audiencelang.review.explain import explain_profile, profile_statements
from audiencelang.run.engines import connect
from audiencelang.run.execute import run_audience

EXAMPLES = Path(__file__).parents[1] / "examples"
SCHEMA = Path(__file__).parents[1] / "docs" / "schemas" / "explain.schema.json"
AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
PROFILES_PER_MARKET = 60


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from audiencelang.run.demo import generate

    path = tmp_path_factory.mktemp("explaindb") / "demo.duckdb"
    generate(path, EXAMPLES, profiles=3000, events_per_profile=20, seed=5, as_of=AS_OF)
    yield path


def _ids(db: Path, market: Any) -> list[Any]:
    import duckdb

    from audiencelang.schema.market import split_table

    con = duckdb.connect(str(db), read_only=True)
    try:
        table = ".".join('"' + p + '"' for p in split_table(market.profiles.table))
        return [r[0] for r in con.execute(f'SELECT "{market.profiles.id}" FROM {table} ORDER BY 1').fetchall()]
    finally:
        con.close()


def _hold_explain_to_sql(db: Path, target: str) -> None:
    """For every market: random profiles plus some members of every audience, each explained
    for every audience; the verdict must equal membership in the compiled SQL's result."""
    project = load_project(EXAMPLES)
    rng = random.Random(19)
    checked_pairs = members_seen = 0
    # read the ids before run opens the file: DuckDB refuses a second connection to a file
    # with another configuration in the same process (run opens it with external access off)
    all_ids = {market: _ids(db, project.markets[market]) for market in sorted(project.markets)}
    with connect(target) as engine:
        for market in sorted(project.markets):
            checked = {}
            members: dict[str, set[Any]] = {}
            for name in sorted(project.audiences()):
                c, _ = check_audience(project, name, market)
                if c is None:
                    continue
                r = run_audience(project, name, market, engine=engine, as_of=AS_OF, collect_members=True)
                assert r.ok and r.members is not None, (name, market, r.diagnostics)
                checked[name] = c
                members[name] = set(r.members)
            ids = all_ids[market]
            sample = set(rng.sample(ids, min(PROFILES_PER_MARKET, len(ids))))
            for m in members.values():  # members are rare in some audiences: take a few of each
                sample.update(rng.sample(sorted(m), min(5, len(m))))
            for pid in sorted(sample):
                for name, c in checked.items():
                    got = explain_profile(c, engine, str(pid), AS_OF)
                    assert got.explanation.member == (pid in members[name]), (market, name, pid)
                    checked_pairs += 1
                    members_seen += got.explanation.member
    assert checked_pairs > 1000 and members_seen > 50, (checked_pairs, members_seen)


def test_explain_agrees_with_the_sql_on_duckdb(demo_db: Path) -> None:
    _hold_explain_to_sql(demo_db, str(demo_db))


@pytest.mark.postgres
def test_explain_agrees_with_the_sql_on_postgres(demo_db: Path, postgres_cluster: Any, tmp_path: Path) -> None:
    import psycopg

    from tests.pgcluster import copy_duckdb_into

    with postgres_cluster.database("explain") as name:
        url = postgres_cluster.url(name)
        with psycopg.connect(url) as conn:
            copy_duckdb_into(conn, demo_db, tmp_path)
            conn.commit()
        _hold_explain_to_sql(demo_db, url)


def _cli(*args: str) -> Any:
    return CliRunner().invoke(main, ["explain", "--project", str(EXAMPLES), *args])


def test_explain_text_shows_conditions_consent_gates_and_referenced_audiences(demo_db: Path) -> None:
    project = load_project(EXAMPLES)
    ids = _ids(demo_db, project.markets["de"])
    r = _cli("cart_abandoners", "--market", "de", "--profile", str(ids[1]), "--db", str(demo_db),
             "--as-of", "2026-11-01")
    assert r.exit_code == 0, r.output
    out = r.stdout
    assert out.startswith(f"profile {ids[1]} ")
    assert "of cart_abandoners (market de, as of 2026-11-01T00:00:00Z)" in out.splitlines()[0]
    assert "performed add_to_cart in last 7 days    [" in out
    assert "country in [\"DE\", \"AT\", \"CH\"]    [country = 'DE']" in out
    assert "in audience existing_customers\n      " in out  # the referenced audience, evaluated too
    assert "require consent ads_personalization    [opt_in: " in out
    assert "meta_ads: gate: at least 1,000 members; consent ads_personalization; identifier email_sha256" in out
    assert "read 4 statements, rows: crm.kunden 1, " in out


def test_explain_json_has_a_version_and_matches_its_schema(demo_db: Path) -> None:
    project = load_project(EXAMPLES)
    ids = _ids(demo_db, project.markets["de"])
    r = _cli("lapsed_high_value", "--market", "de", "--profile", str(ids[7]), "--db", str(demo_db),
             "--as-of", "2026-11-01", "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["version"] == 1 and doc["profile"] == str(ids[7]) and doc["as_of"] == "2026-11-01T00:00:00Z"
    jsonschema.validate(doc, json.loads(SCHEMA.read_text(encoding="utf-8")))
    details = json.dumps(doc)
    assert "Fraction(" not in details  # values are shown as numbers, not Python reprs


def test_explain_json_schema_is_current() -> None:
    from audiencelang.review.explain import explain_json_schema

    assert SCHEMA.read_text(encoding="utf-8") == json.dumps(explain_json_schema(), indent=2) + "\n", (
        "docs/schemas/explain.schema.json is stale; regenerate with: "
        ".venv/bin/python -m audiencelang.review.explain docs/schemas")


@pytest.mark.parametrize(("args", "code", "exit_code"), [
    (("--profile", "424242424242"), "E640", 1),
    (("--profile", "x' OR '1'='1"), "E640", 1),
    (("--profile", "1", "--market", "xx"), "E910", 2),
    (("--profile", "1", "--as-of", "yesterday"), "E903", 2),
])
def test_explain_diagnostics(demo_db: Path, args: tuple[str, ...], code: str, exit_code: int) -> None:
    base = ("cart_abandoners", "--db", str(demo_db))
    r = _cli(*base, *(("--market", "de") if "--market" not in args else ()), *args)
    assert r.exit_code == exit_code, r.output
    assert r.stderr.startswith(f"error[{code}]: "), r.stderr
    assert "Traceback" not in r.output


def test_explain_unknown_audience_and_unreachable_db(tmp_path: Path) -> None:
    r = _cli("cart_abandoner", "--market", "de", "--profile", "1", "--db", str(tmp_path / "none.duckdb"))
    assert (r.exit_code, r.stderr.split(":")[0]) == (2, "error[E610]")
    r = _cli("cart_abandoners", "--market", "de", "--profile", "1", "--db", str(tmp_path / "none.duckdb"))
    assert (r.exit_code, r.stderr.split(":")[0]) == (1, "error[E601]")
    r = _cli("cart_abandoners", "--market", "de", "--profile", "1",
             "--db", "postgresql://u:hunter2@127.0.0.1:1/none")
    assert (r.exit_code, r.stderr.split(":")[0]) == (1, "error[E602]")
    assert "hunter2" not in r.output


def test_statements_bind_the_id_and_read_only_the_market_columns() -> None:
    project = load_project(EXAMPLES)
    stmts = profile_statements(project.markets["de"])
    assert stmts[0][0] == "crm.kunden"
    for _, s in stmts:
        sql = s.sql(dialect="postgres")
        assert "%s" in sql and "*" not in sql
    first = stmts[0][1].sql(dialect="duckdb")
    assert first.startswith('SELECT "kunden_id", ') and first.endswith(
        'FROM "crm"."kunden" WHERE CAST("kunden_id" AS TEXT) = ?')
