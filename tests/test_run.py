"""`audiencelang run` end to end on real engines.

* the example project on a small demo DuckDB (``audiencelang.run.demo.generate``):
  every audience x market runs, its members equal the reference evaluator's, its
  size equals the rows of its statement run independently;
* the same data in SQLite and PostgreSQL: the same members;
* gates at exactly min-1 and min, in the table and in the destination file;
* CSV/Parquet files read back with DuckDB; no file after a failed run;
* every error path of the CLI: code, exit status, no traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner, Result

from audiencelang.check import check_audience
from audiencelang.cli import main
from audiencelang.eval import evaluate, members_for_destination
from audiencelang.project import Project, load_project
from audiencelang.run.demo import DEFAULT_AS_OF, generate
from audiencelang.run.engines import DUCKDB_CONFIG, connect
from audiencelang.run.execute import RunResult, parse_as_of, run_all, run_audience
from tests import engines as test_engines
from tests.engines import samples

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
AS_OF = "2026-11-01T00:00:00Z"


# --------------------------------------------------------------------------- data


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    generate(path, EXAMPLES, profiles=900, events_per_profile=12, seed=3)
    return path


@pytest.fixture(scope="module")
def project() -> Project:
    return load_project(EXAMPLES)


_LOGICAL = {"VARCHAR": "string", "BIGINT": "integer", "INTEGER": "integer", "BOOLEAN": "boolean",
            "DATE": "date", "TIMESTAMP": "timestamp"}


def duckdb_tables(path: Path) -> dict[str, tuple[dict[str, str], list[dict[str, Any]]]]:
    """Every table of a DuckDB file: name as a market writes it -> (logical columns, rows)."""
    con = duckdb.connect(str(path), read_only=True)
    cols = con.execute(
        "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
        "ORDER BY table_schema, table_name, ordinal_position").fetchall()
    tables: dict[str, tuple[dict[str, str], list[dict[str, Any]]]] = {}
    for schema, table, column, dtype in cols:
        name = table if schema == "main" else f"{schema}.{table}"
        kind = "decimal" if str(dtype).startswith("DECIMAL") else _LOGICAL[str(dtype)]
        tables.setdefault(name, ({}, []))[0][column] = kind
    for name, (columns, rows) in tables.items():
        ident = ".".join('"' + p + '"' for p in name.split("."))
        cur = con.execute(f"SELECT * FROM {ident}")
        names = [d[0] for d in cur.description]
        rows.extend(dict(zip(names, r, strict=True)) for r in cur.fetchall())
        assert list(columns) == names
    con.close()
    return tables


def dataset(path: Path) -> dict[str, list[dict[str, Any]]]:
    return {name: rows for name, (_, rows) in duckdb_tables(path).items()}


def copy_to_sqlite(src: Path, dst: Path) -> Path:
    """One SQLite file; schema-qualified tables keep only their table name (the engine
    attaches the file under each schema name)."""
    con = sqlite3.connect(dst)
    for name, (columns, rows) in duckdb_tables(src).items():
        table = name.split(".")[-1]
        ddl = ", ".join(f'"{c}" {test_engines.SQLITE_TYPES[k]}' for c, k in columns.items())
        con.execute(f'CREATE TABLE "{table}" ({ddl})')
        marks = ", ".join("?" for _ in columns)
        con.executemany(f'INSERT INTO "{table}" VALUES ({marks})', [
            [test_engines._sqlite_value(r[c], k) for c, k in columns.items()] for r in rows])
    con.commit()
    con.close()
    return dst


@pytest.fixture(scope="module")
def sqlite_db(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_to_sqlite(demo_db, tmp_path_factory.mktemp("sqlite") / "demo.sqlite")


@pytest.fixture(scope="module")
def postgres_db(demo_db: Path, postgres_cluster: Any) -> Iterator[str]:
    import psycopg
    from psycopg import sql as pgsql

    name = f"run_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_cluster.url(), autocommit=True) as admin:
        admin.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name)))
    with psycopg.connect(postgres_cluster.url(name)) as conn:
        for table, (columns, rows) in duckdb_tables(demo_db).items():
            test_engines.postgres_load(conn, table, columns, rows)
    yield postgres_cluster.url(name)
    with psycopg.connect(postgres_cluster.url(), autocommit=True) as admin:
        admin.execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pgsql.Identifier(name)))


def pairs(project: Project) -> list[tuple[str, str]]:
    return [(a, m) for a in sorted(project.audiences()) for m in sorted(project.markets)]


def reference(project: Project, demo_db: Path, audience: str, market: str, *,
              ascii_case_folding: bool = False) -> set[Any]:
    checked, diags = check_audience(project, audience, market)
    assert checked is not None, diags
    return evaluate(checked, dataset(demo_db), as_of=DEFAULT_AS_OF, ascii_case_folding=ascii_case_folding)


def invoke(*args: str | Path) -> Result:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


# --------------------------------------------------------------------------- the example project


def test_every_example_audience_matches_the_reference_evaluator(project: Project, demo_db: Path) -> None:
    data = dataset(demo_db)
    # DuckDB shares one database per file and process: same settings as `run` (external access off)
    independent = duckdb.connect(str(demo_db), read_only=True, config=DUCKDB_CONFIG)
    nonempty = 0
    with connect(str(demo_db)) as engine:
        for audience, market in pairs(project):
            result = run_audience(project, audience, market, engine=engine, as_of=DEFAULT_AS_OF,
                                  collect_members=True)
            assert result.ok, (audience, market, result.diagnostics)
            assert result.members is not None and result.sql is not None
            checked, _ = check_audience(project, audience, market)
            assert checked is not None
            expected = evaluate(checked, data, as_of=DEFAULT_AS_OF)
            assert set(result.members) == expected, (audience, market)
            assert len(result.members) == len(expected)  # no member twice
            (count,) = independent.execute(f"SELECT count(*) FROM ({result.sql})").fetchone() or (None,)
            assert result.size == count
            nonempty += bool(expected)
            for gate in result.gates:
                dest = checked.destinations[gate.destination]
                assert gate.minimum == max(result.min_size, dest.min_size)
                want = members_for_destination(checked, data, gate.destination, as_of=DEFAULT_AS_OF)
                assert gate.delivered == bool(want) or (not expected and gate.minimum == 0)
    independent.close()
    assert nonempty >= len(pairs(project)) // 2  # the demo data is not trivially empty


def test_run_all_pins_one_as_of(project: Project, demo_db: Path) -> None:
    seen: list[RunResult] = []
    with connect(str(demo_db)) as engine:
        results = run_all(project, engine=engine, markets=["de"], progress=seen.append)
    assert [r.audience for r in results] == sorted(project.audiences())
    assert seen == results
    assert len({r.as_of for r in results}) == 1 and results[0].as_of is not None
    assert all(r.ok for r in results)


@pytest.mark.parametrize("engine_kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_same_members_on_sqlite_and_postgres(project: Project, demo_db: Path, engine_kind: str,
                                             request: pytest.FixtureRequest) -> None:
    target = str(request.getfixturevalue(f"{engine_kind}_db"))
    data = dataset(demo_db)
    with connect(target) as engine:
        assert engine.dialect == engine_kind
        for audience, market in pairs(project):
            if engine_kind == "sqlite" and samples(project, audience):
                continue  # 'in sample': E520 on SQLite
            result = run_audience(project, audience, market, engine=engine, as_of=DEFAULT_AS_OF,
                                  collect_members=True)
            assert result.ok, (audience, market, result.diagnostics)
            checked, _ = check_audience(project, audience, market)
            assert checked is not None
            expected = evaluate(checked, data, as_of=DEFAULT_AS_OF,
                                ascii_case_folding=engine_kind == "sqlite")
            assert result.members is not None
            assert {int(m) for m in result.members} == expected, (audience, market)


# --------------------------------------------------------------------------- the CLI on the demo


def table_rows(text: str) -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    for line in text.splitlines()[2:]:
        parts = re.split(r"\s{2,}", line.strip())
        if parts and parts[0]:
            rows[parts[0]] = parts[1:]
    return rows


def test_cli_table(project: Project, demo_db: Path) -> None:
    result = invoke("run", "cart_abandoners", "--market", "de", "--db", demo_db, "--as-of", AS_OF,
                    "--project", EXAMPLES)
    assert result.exit_code == 0, result.output
    header = result.stdout.splitlines()[0]
    assert header.startswith("cart_abandoners · market de · as_of 2026-11-01T00:00:00Z · ")
    assert re.split(r"\s{2,}", result.stdout.splitlines()[1].strip()) == [
        "destination", "minimum", "size", "without identifier", "suppressed", "delivered", "status"]
    size = len(reference(project, demo_db, "cart_abandoners", "de"))
    checked, _ = check_audience(project, "cart_abandoners", "de")
    assert checked is not None
    data = dataset(demo_db)
    rows = table_rows(result.stdout)
    assert list(rows) == ["(audience)", "meta_ads", "newsletter"]
    assert rows["(audience)"][:2] == ["1000", f"{size:,}"]
    for dest in ("meta_ads", "newsletter"):  # newsletter: max(min size 1000, 0)
        # spec §11: the gate counts only members with the identifier
        matchable = _matchable(checked, data, dest)
        assert 0 <= matchable <= size
        held = f"held: {matchable} < 1000"
        assert rows[dest] == ["1000", f"{size:,}", f"{size - matchable:,}", "0",
                              f"{matchable:,}" if matchable >= 1000 else "0",
                              "delivered" if matchable >= 1000 else held]


@pytest.mark.parametrize("kind", ["duckdb", "sqlite"])
def test_run_reports_members_without_identifier(project: Project, demo_db: Path, tmp_path: Path,
                                                kind: str) -> None:
    """Spec §11: per destination, ``run`` reports the members, those without its identifier
    (never delivered) and the gate counted on the rest; equal to the evaluator."""
    import shutil

    nulled = tmp_path / "nulled.duckdb"
    shutil.copy(demo_db, nulled)
    con = duckdb.connect(str(nulled))
    con.execute("UPDATE crm.kunden SET email_hash = NULL WHERE kunden_id IN "
                "(SELECT kunden_id FROM crm.kunden ORDER BY kunden_id LIMIT 450)")
    con.close()
    data = dataset(nulled)
    db = nulled if kind == "duckdb" else copy_to_sqlite(nulled, tmp_path / "nulled.sqlite")
    unmatched = 0
    for audience in sorted(project.audiences()):
        checked, _ = check_audience(project, audience, "de")
        if checked is None or not checked.destinations or (kind == "sqlite" and samples(project, audience)):
            continue
        result = invoke("run", audience, "-m", "de", "--db", db, "--as-of", AS_OF,
                        "--project", EXAMPLES, "--format", "json")
        assert result.exit_code == 0, result.output
        doc = json.loads(result.stdout)
        ascii_case = kind == "sqlite"
        size = len(evaluate(checked, data, as_of=DEFAULT_AS_OF, ascii_case_folding=ascii_case))
        assert doc["size"] == size
        for d in doc["destinations"]:
            matchable = _matchable(checked, data, d["destination"], ascii_case)
            minimum = d["minimum"]
            assert (d["members"], d["without_identifier"], d["suppressed"], d["size"]) == (
                size, size - matchable, 0, matchable), (audience, d)
            assert d["delivered"] == (matchable if matchable >= minimum and matchable > 0 else 0)
            assert d["status_text"] == ("delivered" if d["delivered"] else
                                        "held: empty" if matchable == 0 else f"held: {matchable} < {minimum}")
            unmatched += size - matchable
        with connect(str(db)) as engine:
            r = run_audience(project, audience, "de", engine=engine, as_of=DEFAULT_AS_OF, collect_members=True)
        for g in r.gates:  # the library hands over the gated, matchable list too
            expected = [m for m, _ in members_for_destination(checked, data, g.destination, as_of=DEFAULT_AS_OF,
                                                              ascii_case_folding=ascii_case)]
            assert sorted(r.members_for(g.destination), key=repr) == sorted(expected, key=repr)
    assert unmatched > 0


def _matchable(checked: Any, data: Any, destination: str, ascii_case: bool = False) -> int:
    """Members of ``checked`` with ``destination``'s identifier, by the evaluator with no gate."""
    import dataclasses

    from audiencelang.schema.config import Destination

    dest = checked.destinations[destination]
    open_dest = Destination(min_size=0, consent=dest.consent, identifier=dest.identifier)
    aud = checked.audience.model_copy(update={"min_size": None})
    ungated = dataclasses.replace(checked, audience=aud, destinations={**checked.destinations, destination: open_dest})
    return len(members_for_destination(ungated, data, destination, as_of=DEFAULT_AS_OF,
                                       ascii_case_folding=ascii_case))


def test_cli_json(project: Project, demo_db: Path) -> None:
    result = invoke("run", "big_spenders", "-m", "us", "--db", demo_db, "--as-of", "2026-11-01",
                    "--project", EXAMPLES, "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["as_of"] == AS_OF and doc["status"] == "ok"
    assert doc["size"] == len(reference(project, demo_db, "big_spenders", "us"))
    assert [d["destination"] for d in doc["destinations"]] == [
        a.destination.value for a in project.audiences()["big_spenders"][1].activate]


def test_cli_all(project: Project, demo_db: Path) -> None:
    result = invoke("run", "--all", "--db", demo_db, "--as-of", AS_OF, "--project", EXAMPLES)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{len(pairs(project))} of {len(pairs(project))} runs · as_of {AS_OF}")
    body = [re.split(r"\s{2,}", ln.strip()) for ln in lines[2:]]
    assert [(r[0], r[1]) for r in body] == pairs(project)
    for audience, market, size, *_ in body:
        assert size.replace(",", "") == str(len(reference(project, demo_db, audience, market)))


def test_cli_output_members_csv_and_parquet(project: Project, demo_db: Path, tmp_path: Path) -> None:
    expected = reference(project, demo_db, "existing_customers", "fr")
    assert expected
    for name in ("m.csv", "m.parquet"):
        out = tmp_path / name
        result = invoke("run", "existing_customers", "-m", "fr", "--db", demo_db, "--as-of", AS_OF,
                        "--project", EXAMPLES, "--output", out)
        assert result.exit_code == 0, result.output
        assert f"wrote {len(expected):,} members to {out}" in result.stderr
        con = duckdb.connect()
        rel = con.read_csv(str(out)) if name.endswith(".csv") else con.read_parquet(str(out))
        assert rel.columns == ["member_id"]
        got = [r[0] for r in rel.fetchall()]
        con.close()
        assert sorted(got) == sorted(expected)


def test_cli_destination_file_holds_identifiers(project: Project, demo_db: Path, tmp_path: Path) -> None:
    # one audience x destination whose gate opens on the demo data, and one held
    candidates = []
    data = dataset(demo_db)
    for audience, market in pairs(project):
        checked, _ = check_audience(project, audience, market)
        assert checked is not None
        for dest in checked.destinations:
            rows = members_for_destination(checked, data, dest, as_of=DEFAULT_AS_OF)
            candidates.append((len(rows) > 0, audience, market, dest, rows))
    delivered = next(c for c in candidates if c[0])
    held = next(c for c in candidates if not c[0])
    for _, audience, market, dest, rows in (delivered, held):
        out = tmp_path / f"{audience}-{dest}.parquet"
        result = invoke("run", audience, "-m", market, "--db", demo_db, "--as-of", AS_OF,
                        "--project", EXAMPLES, "--destination", dest, "--output", out)
        assert result.exit_code == 0, result.output
        con = duckdb.connect()
        rel = con.read_parquet(str(out))
        assert rel.columns == ["member_id", "identifier"]
        got = sorted((tuple(r) for r in rel.fetchall()), key=lambda r: repr(r[0]))
        con.close()
        assert got == rows
        assert list(table_rows(result.stdout)) == ["(audience)", dest]


# --------------------------------------------------------------------------- gates at the edge


GATE_CONFIG = """
[destinations.big]
min_size = 5
identifier = "email"

[destinations.free]
identifier = "email"
"""

GATE_MARKET = """
market: m
profiles:
  table: people
  id: id
  traits:
    age:   {column: age, type: integer}
    email: {column: email, type: string}
"""

GATE_AUDIENCE = """
audience adults {
  owner "t@example.com"
  description "Adults."
  include age >= 18
  min size 3
  activate big
  activate free
}
"""


def gate_project(root: Path, adults: int) -> Path:
    (root / "markets").mkdir(parents=True)
    (root / "audiences").mkdir()
    (root / "audiencelang.toml").write_text(GATE_CONFIG)
    (root / "markets" / "m.yaml").write_text(textwrap.dedent(GATE_MARKET))
    (root / "audiences" / "a.aud").write_text(textwrap.dedent(GATE_AUDIENCE))
    con = duckdb.connect(str(root / "audiencelang.duckdb"))
    con.execute("CREATE TABLE people (id BIGINT, age BIGINT, email VARCHAR)")
    rows = [(i, 30, f"p{i}@x") for i in range(adults)] + [(100, 12, "kid@x"), (101, None, None)]
    rows.append((102, 40, None))  # an adult without an identifier: a member, never delivered (§11)
    con.executemany("INSERT INTO people VALUES (?, ?, ?)", rows)
    con.close()
    return root


# spec §11: the member without an email counts for the audience's size, not for the gates
@pytest.mark.parametrize(("adults", "audience_status", "big", "free"), [
    (1, "below min size: 2 < 3", "held: 1 < 5", "held: 1 < 3"),
    (2, "ok", "held: 2 < 5", "held: 2 < 3"),        # audience at min size, matchable below it
    (3, "ok", "held: 3 < 5", "delivered"),          # matchable exactly min size
    (4, "ok", "held: 4 < 5", "delivered"),          # destination minimum - 1 (5 members)
    (5, "ok", "delivered", "delivered"),            # exactly the destination minimum
])
def test_gates_at_the_minimum(tmp_path: Path, adults: int, audience_status: str, big: str,
                              free: str) -> None:
    root = gate_project(tmp_path / "p", adults)
    result = invoke("run", "adults", "--project", root, "--as-of", AS_OF)  # default db, one market
    assert result.exit_code == 0, result.output
    rows = table_rows(result.stdout)
    size = adults + 1

    def delivered(status: str) -> str:
        return str(adults) if status == "delivered" else "0"
    assert rows == {"(audience)": ["3", str(size), audience_status],
                    "big": ["5", str(size), "1", "0", delivered(big), big],
                    "free": ["3", str(size), "1", "0", delivered(free), free]}
    out = tmp_path / "big.csv"
    result = invoke("run", "adults", "--project", root, "-d", "big", "-o", out, "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    assert lines[0] == "member_id,identifier"
    expected = sorted(f"{i},p{i}@x" for i in range(adults)) if big == "delivered" else []
    assert sorted(lines[1:]) == expected


@pytest.mark.parametrize("dest", ["big", None])
def test_parquet_schema_is_the_same_held_or_delivered(tmp_path: Path, dest: str | None) -> None:
    """member_id has the profile id's type (BIGINT here) and identifier the identifier trait's
    (VARCHAR), whether the gate holds the list back (0 rows) or delivers it."""
    schemas = {}
    for adults in (1, 5):
        root = gate_project(tmp_path / f"p{adults}", adults)
        if adults == 1 and dest is None:  # an audience with no member at all
            (root / "audiences" / "a.aud").write_text(textwrap.dedent(GATE_AUDIENCE).replace(">= 18", ">= 99"))
        out = tmp_path / f"{adults}.parquet"
        args = ["-d", dest] if dest else []
        result = invoke("run", "adults", "--project", root, *args, "-o", out, "--as-of", AS_OF)
        assert result.exit_code == 0, result.output
        con = duckdb.connect()
        rel = con.read_parquet(str(out))
        schemas[adults] = (list(rel.columns), [str(t) for t in rel.types], len(rel.fetchall()))
        con.close()
    columns = ["member_id", "identifier"] if dest else ["member_id"]
    assert schemas[1][:2] == schemas[5][:2] == (columns, ["BIGINT", "VARCHAR"][:len(columns)])
    # delivered to big: the 5 with an email (spec §11); all members: also the one without
    assert schemas[1][2] == 0 and schemas[5][2] == (5 if dest else 6)


# --------------------------------------------------------------------------- errors


def test_failed_run_leaves_no_file_and_keeps_the_old_one(tmp_path: Path) -> None:
    root = gate_project(tmp_path / "p", 4)
    out = tmp_path / "members.csv"
    assert invoke("run", "adults", "--project", root, "-d", "big", "-o", out).exit_code == 0
    before = out.read_bytes()
    con = duckdb.connect(str(root / "audiencelang.duckdb"))
    con.execute("ALTER TABLE people RENAME TO persons")
    con.close()
    for target in (out, tmp_path / "new.parquet"):
        result = invoke("run", "adults", "--project", root, "-d", "big", "-o", target)
        assert result.exit_code == 1
        assert "error[E606]: adults (market m): table not found" in result.stderr
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["members.csv", "p"]


@pytest.mark.parametrize(("args", "code", "exit_code"), [
    (["nope", "-m", "m"], "E610", 2),
    (["adult", "-m", "m"], "E610", 2),
    (["adults", "-m", "mm"], "E910", 2),
    (["adults", "--as-of", "yesterday"], "E903", 2),  # the code `compile` gives (E612 is retired)
    (["adults", "--as-of", "2026-11-01T00:00:00"], "E903", 2),
    (["adults", "--as-of", "2026-02-30"], "E903", 2),
    (["adults", "-o", "members.txt"], "E613", 2),
    (["adults", "-o", "members"], "E613", 2),
    (["adults", "-d", "nowhere"], "E609", 2),
    (["--all", "adults"], "E614", 2),
    ([], "E614", 2),
    (["adults", "--db", "missing.duckdb"], "E601", 1),
    (["adults", "--db", "sqlite:///missing.sqlite"], "E601", 1),
    (["adults", "--db", "oracle://u@h/db"], "E603", 1),
    (["adults", "--db", "postgresql://nobody@127.0.0.1:1/x"], "E602", 1),
])
def test_error_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], code: str,
                     exit_code: int) -> None:
    root = gate_project(tmp_path / "p", 4)
    monkeypatch.chdir(tmp_path)
    result = invoke("run", *args, "--project", root)
    assert result.exit_code == exit_code, result.output
    assert result.stderr.startswith(f"error[{code}]: "), result.stderr
    assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p"]  # nothing created
    if code in {"E610", "E910"}:
        assert "= hint:" in result.stderr


def test_unknown_names_suggest(tmp_path: Path) -> None:
    root = gate_project(tmp_path / "p", 4)
    result = invoke("run", "adult", "--project", root)
    assert "did you mean 'adults'?" in result.stderr


def test_no_project_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke("run", "adults", "--project", tmp_path)
    assert result.exit_code == 2 and "E200" in result.stderr


def test_audience_that_does_not_check_exits_1(tmp_path: Path) -> None:
    root = gate_project(tmp_path / "p", 4)
    (root / "audiences" / "bad.aud").write_text(
        'audience bad {\n  owner "o"\n  description "d"\n  include shoe_size > 3\n}\n')
    result = invoke("run", "bad", "--project", root)
    assert result.exit_code == 1
    assert "shoe_size" in result.stderr and "error[E3" in result.stderr
    all_runs = invoke("run", "--all", "--project", root)
    assert all_runs.exit_code == 1
    assert "does not compile" in all_runs.stdout


def test_env_var_selects_the_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = gate_project(tmp_path / "p", 4)
    (root / "audiencelang.duckdb").rename(tmp_path / "elsewhere.duckdb")
    assert invoke("run", "adults", "--project", root).exit_code == 1
    monkeypatch.setenv("AUDIENCELANG_DB", str(tmp_path / "elsewhere.duckdb"))
    assert invoke("run", "adults", "--project", root).exit_code == 0


# --------------------------------------------------------------------------- as_of


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-11-01T00:00:00Z", dt.datetime(2026, 11, 1, tzinfo=dt.UTC)),
    ("2026-11-01T01:30:00+01:00", dt.datetime(2026, 11, 1, 0, 30, tzinfo=dt.UTC)),
    ("2026-11-01", dt.datetime(2026, 11, 1, tzinfo=dt.UTC)),
    ("2026-11-01T00:00:00.5-05:00", dt.datetime(2026, 11, 1, 5, 0, 0, 500000, tzinfo=dt.UTC)),
])
def test_parse_as_of(text: str, expected: dt.datetime) -> None:
    assert parse_as_of(text) == expected


@pytest.mark.parametrize("text", ["", "now", "2026-11-01T00:00:00", "2026-13-01", "01.11.2026",
                                  "2026-11-01T25:00:00Z"])
def test_parse_as_of_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_as_of(text)
