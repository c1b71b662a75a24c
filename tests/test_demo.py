"""The demo data generator: schema fidelity, realism, reproducibility, speed."""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner

from audiencelang.cli import main
from audiencelang.run.demo import DEFAULT_AS_OF, DemoError, generate, load_market_specs

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
DUCK_TYPES = {"string": "VARCHAR", "integer": "BIGINT", "decimal": "DECIMAL(18,2)",
              "boolean": "BOOLEAN", "date": "DATE", "timestamp": "TIMESTAMP"}
AS_OF = DEFAULT_AS_OF.replace(tzinfo=None)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    generate(path, EXAMPLES, profiles=6000, events_per_profile=10, seed=7)
    return path


def q(path: Path, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params).fetchall()


def column_types(path: Path, table: str) -> dict[str, str]:
    schema, name = table.split(".")
    rows = q(path, "SELECT column_name, data_type FROM information_schema.columns "
                   "WHERE table_schema = ? AND table_name = ?", [schema, name])
    return {c: t.replace(" ", "") for c, t in rows}


def test_every_market_table_and_column_exists_with_its_yaml_type(demo_db: Path) -> None:
    specs = load_market_specs(EXAMPLES)
    assert [s["market"] for s in specs] == ["de", "fr", "us"]
    for spec in specs:
        profiles = spec["profiles"]
        cols = column_types(demo_db, profiles["table"])
        assert profiles["id"] in cols
        for trait in profiles["traits"].values():
            assert cols[trait["column"]] == DUCK_TYPES[trait["type"]]
        for event in spec["events"].values():
            cols = column_types(demo_db, event["table"])
            assert cols[event["time"]] == "TIMESTAMP"
            for prop in event.get("properties", {}).values():
                assert cols[prop["column"]] == DUCK_TYPES[prop["type"]]
        consent = spec["consent"]
        cols = column_types(demo_db, consent["table"])
        for key in ("user", "purpose", "status", "time"):
            assert consent[key] in cols


def test_profiles_split_evenly_and_events_join_to_profiles(demo_db: Path) -> None:
    for spec in load_market_specs(EXAMPLES):
        p = spec["profiles"]
        (n,), = q(demo_db, f'SELECT count(*) FROM {p["table"]}')
        assert n == 2000
        for name, event in spec["events"].items():
            where = event.get("where")
            sql = (f'SELECT count(*), count(p."{p["id"]}") FROM {event["table"]} e '
                   f'LEFT JOIN {p["table"]} p ON e."{event["user"]}" = p."{p["id"]}"')
            params: list[Any] = []
            if where:
                sql += f' WHERE e."{where["column"]}" = ?'
                params.append(where["equals"])
            (rows, joined), = q(demo_db, sql, params)
            assert rows > 0, (spec["market"], name)
            assert joined == rows, (spec["market"], name)


def test_shared_tables_hold_several_event_types_and_unmapped_rows(demo_db: Path) -> None:
    kinds = {k for (k,) in q(demo_db, "SELECT DISTINCT type_evenement FROM suivi.evenements")}
    assert kinds == {"ajout_panier", "vue_page", "session", "achat", "other"}


def test_events_span_400_days_and_some_fall_after_as_of(demo_db: Path) -> None:
    (first, last, after), = q(
        demo_db, "SELECT min(horodatage), max(horodatage), count(*) FILTER (horodatage > ?) "
                 "FROM suivi.evenements", [AS_OF])
    assert AS_OF - dt.timedelta(days=401) < first < AS_OF - dt.timedelta(days=390)
    assert last > AS_OF and after > 0


def test_optional_traits_have_some_nulls_and_hashes_match_emails(demo_db: Path) -> None:
    (n, no_age, no_city, no_email), = q(
        demo_db, "SELECT count(*), count(*) - count(alter), count(*) - count(ort), "
                 "count(*) - count(email) FROM crm.kunden")
    for missing in (no_age, no_city, no_email):
        assert 0.02 * n < missing < 0.10 * n
    rows = q(demo_db, "SELECT email, email_hash FROM crm.kunden LIMIT 200")
    for email, digest in rows:
        if email is None:
            assert digest is None
        else:
            assert digest == hashlib.sha256(email.strip().lower().encode()).hexdigest()
    (upper,), = q(demo_db, "SELECT count(*) FROM crm.kunden WHERE email <> lower(email)")
    assert upper > 0  # some addresses were typed in upper case


def test_consent_histories_have_ties_revocations_and_unconfirmed_grants(demo_db: Path) -> None:
    statuses = {s for (s,) in q(demo_db, "SELECT DISTINCT status FROM legal.einwilligungen")}
    assert statuses == {"erteilt", "abgelehnt", "widerrufen"}
    (ties,), = q(demo_db, "SELECT count(*) FROM (SELECT kunden_id, zweck, geaendert_am "
                          "FROM legal.einwilligungen GROUP BY ALL HAVING count(*) > 1)")
    assert ties > 0
    (confirmed, unconfirmed, late), = q(
        demo_db, "SELECT count(bestaetigt_am), count(*) - count(bestaetigt_am), "
                 "count(*) FILTER (bestaetigt_am > ?) FROM legal.einwilligungen "
                 "WHERE status = 'erteilt'", [AS_OF])
    assert confirmed > 0 and unconfirmed > 0 and late >= 0
    (none_at_all,), = q(demo_db, "SELECT count(*) FROM crm.kunden k WHERE NOT EXISTS ("
                                 "SELECT 1 FROM legal.einwilligungen c WHERE c.kunden_id = "
                                 "k.kunden_id AND c.zweck = 'werbung')")
    assert none_at_all > 0  # profiles without any consent row (opt-out markets grant them)


def _fingerprint(path: Path) -> list[tuple[Any, ...]]:
    tables = q(path, "SELECT table_schema, table_name FROM information_schema.tables "
                     "ORDER BY ALL")
    return [
        (s, t, *q(path, f'SELECT count(*), sum(hash(x)) FROM (SELECT * FROM "{s}"."{t}") x')[0])
        for s, t in tables
    ]


def test_same_seed_same_data_other_seed_other_data(tmp_path: Path, demo_db: Path) -> None:
    again = tmp_path / "again.duckdb"
    generate(again, EXAMPLES, profiles=6000, events_per_profile=10, seed=7)
    assert _fingerprint(again) == _fingerprint(demo_db)
    other = tmp_path / "other.duckdb"
    generate(other, EXAMPLES, profiles=6000, events_per_profile=10, seed=8)
    assert _fingerprint(other) != _fingerprint(demo_db)


def test_replaces_existing_file_atomically_and_leaves_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "out" / "demo.duckdb"
    target.parent.mkdir()
    generate(target, EXAMPLES, profiles=10, events_per_profile=1, markets=["us"], seed=1)
    stats = generate(target, EXAMPLES, profiles=30, events_per_profile=2, markets=["us"])
    assert [m.market for m in stats.markets] == ["us"]
    assert q(target, "SELECT count(*) FROM analytics.users") == [(30,)]
    assert sorted(p.name for p in target.parent.iterdir()) == ["demo.duckdb"]


def test_bad_inputs_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(DemoError, match="unknown market"):
        generate(tmp_path / "x.duckdb", EXAMPLES, profiles=10, markets=["jp"])
    bad = tmp_path / "bad.yaml"
    bad.write_text("market: xx\nprofiles: {table: a.b, id: i, traits: {t: {column: c, type: money}}}\n")
    with pytest.raises(DemoError, match="unknown type 'money'"):
        generate(tmp_path / "x.duckdb", bad, profiles=10)
    assert not (tmp_path / "x.duckdb").exists()


def test_table_and_where_values_are_never_pasted_into_sql(tmp_path: Path) -> None:
    market = tmp_path / "m.yaml"
    market.write_text(
        "market: evil\n"
        "profiles: {table: 'we\"ird.pro''files', id: 'i\"d', traits: {}}\n"
        "events:\n"
        "  click: {table: 'ev.t', user: u, time: t, where: {column: k, equals: \"x'); DROP TABLE t; --\"}}\n"
    )
    generate(tmp_path / "e.duckdb", market, profiles=5, events_per_profile=4)
    assert q(tmp_path / "e.duckdb", 'SELECT DISTINCT k FROM ev.t WHERE k <> \'other\'') == [
        ("x'); DROP TABLE t; --",)]
    assert q(tmp_path / "e.duckdb", 'SELECT count(*) FROM "we""ird"."pro\'files"') == [(5,)]


def test_cli_demo_generate(tmp_path: Path) -> None:
    db = tmp_path / "cli.duckdb"
    result = CliRunner().invoke(main, ["demo", "generate", "--db", str(db), "--profiles", "90",
                                       "--project", str(EXAMPLES), "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "90 profiles" in result.output and "as_of 2026-11-01T00:00:00Z" in result.output
    assert q(db, "SELECT count(*) FROM crm.clients") == [(30,)]
    bad = CliRunner().invoke(main, ["demo", "generate", "--db", str(db), "--as-of", "2026-11-01"])
    assert bad.exit_code == 2 and "offset" in bad.output


@pytest.mark.slow
def test_full_size_demo_is_fast(tmp_path: Path) -> None:
    started = time.perf_counter()
    stats = generate(tmp_path / "big.duckdb", EXAMPLES)
    assert stats.profiles == 100_000 and stats.events >= 1_990_000
    assert time.perf_counter() - started < 60
