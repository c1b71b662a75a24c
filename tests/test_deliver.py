"""`deliver` (spec §11, docs/deliver.md) on real DuckDB, SQLite and PostgreSQL: over a
sequence of deliveries with the data changing between them (new events, consent revoked,
identifiers nulled, profiles suppressed, the gate crossing both ways), the recorded lists,
the entered and exited files equal what the reference evaluator gives at each as_of."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from audiencelang.cli import main
from audiencelang.deliver import connect, deliver, history
from audiencelang.project import load_project
from tests.deliverkit import BASE, Data, expected_deliverable, load, make_project

DAY = dt.timedelta(days=1)
DOCS = Path(__file__).parent.parent / "docs"


def read(path: Path) -> dict[str, str]:
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["member_id", "identifier"]
    return {r[0]: r[1] for r in rows[1:]}


def steps() -> Iterator[tuple[dt.datetime, Data, str]]:
    """(as_of, data, the status expected) for each delivery, the data changed in place."""
    d = Data()
    for pid in range(1, 9):
        d.person(pid)
        d.consent(pid, "granted", BASE - 60 * DAY)
    for pid in (1, 2, 3, 4):
        d.order(pid, BASE - DAY)
    yield BASE, d, "delivered"                       # 1-4 enter
    d.order(5, BASE)                                 # new event: 5 enters
    d.consent(1, "revoked", BASE + DAY / 2)          # consent revoked: 1 exits
    yield BASE + DAY, d, "delivered"
    d.set(2, email=None)                             # identifier nulled: 2 exits
    d.set(3, age=95)                                 # suppressed: 3 exits
    yield BASE + 2 * DAY, d, "held"                  # 4, 5 left: the gate holds, exits go on
    d.order(5, BASE + 39 * DAY)                      # 5 stays; 4's order ages out: 4 exits
    d.order(6, BASE + 39 * DAY)                      # 6 deliverable, does not enter (held)
    yield BASE + 40 * DAY, d, "held"
    d.order(7, BASE + 40 * DAY)
    d.order(8, BASE + 40 * DAY)                      # 5, 6, 7, 8: the gate opens again
    yield BASE + 41 * DAY, d, "delivered"
    d.consent(6, "revoked", BASE + 41 * DAY + DAY / 2)
    d.consent(7, "revoked", BASE + 41 * DAY + DAY / 2)  # 5, 8: held, 6 and 7 exit
    yield BASE + 42 * DAY, d, "held"


def target_for(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if kind == "duckdb":
        return str(tmp_path / "data.duckdb")
    if kind == "sqlite":
        return str(tmp_path / "data.sqlite")
    cluster = request.getfixturevalue("postgres_cluster")
    name = request.getfixturevalue("pg_database")
    return str(cluster.url(name))


@pytest.fixture
def pg_database(postgres_cluster: Any) -> Iterator[str]:
    with postgres_cluster.database("deliver") as name:
        yield name


@pytest.mark.parametrize("kind", ["duckdb", "sqlite", "postgres"])
def test_lifecycle_matches_the_reference_evaluator(kind: str, tmp_path: Path,
                                                  request: pytest.FixtureRequest) -> None:
    root = make_project(tmp_path / "p")
    project = load_project(root)
    target = target_for(kind, tmp_path, request)
    out = tmp_path / "out"
    listed: dict[str, str] = {}
    statuses = []
    for as_of, data, status in steps():
        load(kind, target, data)
        deliverable = expected_deliverable(project, data, as_of)
        open_ = len(deliverable) >= 3
        with connect(target) as engine:
            result = deliver(project, "buyers", "m", "ads", engine=engine, as_of=as_of.replace(tzinfo=dt.UTC),
                             output=out, full=True)
        assert result.ok, result.diagnostics
        statuses.append(result.status)
        assert result.status == ("delivered" if open_ else "held") == status
        entered = {k: v for k, v in deliverable.items() if k not in listed} if open_ else {}
        exited = {k: v for k, v in listed.items() if k not in deliverable}
        assert result.folder is not None and (result.folder / "RECORDED").exists()
        assert read(result.folder / "entered.csv") == entered
        assert read(result.folder / "exited.csv") == exited
        listed = dict(deliverable) if open_ else {k: v for k, v in listed.items() if k in deliverable}
        assert read(result.folder / "members.csv") == listed
        assert (result.entered, result.exited, result.listed) == (len(entered), len(exited), len(listed))
        manifest = json.loads((result.folder / "delivery.json").read_text())
        assert manifest["seq"] == result.seq and manifest["status"] == result.status
    assert statuses == ["delivered", "delivered", "held", "held", "delivered", "held"]
    with connect(target) as engine:
        past = history(project, engine=engine, audience="buyers")
    assert [p.seq for p in past] == [6, 5, 4, 3, 2, 1]
    assert [(p.entered, p.exited) for p in reversed(past)] == [(4, 0), (1, 1), (0, 2), (0, 1), (3, 0), (0, 2)]


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p")
    project = load_project(root)
    db = tmp_path / "data.duckdb"
    as_of, data, _ = next(steps())
    load("duckdb", db, data)
    with connect(db) as engine:
        result = deliver(project, "buyers", "m", "ads", engine=engine, as_of=as_of.replace(tzinfo=dt.UTC),
                         dry_run=True)
        assert result.ok and result.dry_run and result.entered == 4 and not result.recorded
        assert history(project, engine=engine) == []


def invoke(*args: str | Path) -> Any:
    return CliRunner().invoke(main, [str(a) for a in args])


def test_cli_deliver_and_history(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p")
    db = tmp_path / "data.duckdb"
    gen = steps()
    for _ in range(2):
        as_of, data, _ = next(gen)
        load("duckdb", db, data)
        res = invoke("deliver", "buyers", "--project", root, "--market", "m", "--destination", "ads",
                     "--db", db, "--as-of", as_of.strftime("%Y-%m-%dT%H:%M:%SZ"), "--output", tmp_path / "out")
        assert res.exit_code == 0, res.output
        assert "entered" in res.output
    res = invoke("deliver", "--history", "buyers", "--project", root, "--db", db, "--format", "json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["version"] == 1
    jsonschema.validate(doc, json.loads((DOCS / "schemas" / "deliveries.schema.json").read_text()))
    assert [(d["seq"], d["entered"], d["exited"]) for d in doc["deliveries"]] == [(2, 1, 1), (1, 4, 0)]
    res = invoke("deliver", "--history", "buyers", "--project", root, "--db", db)
    assert res.exit_code == 0 and "2026-10-02T00:00:00Z" in res.stdout, res.output
    res = invoke("deliver", "--all", "--project", root, "--db", db, "--as-of", "2026-10-03T00:00:00Z",
                 "--output", tmp_path / "out", "--format", "parquet", "--report", "json")
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    jsonschema.validate(report, json.loads((DOCS / "schemas" / "deliver.schema.json").read_text()))
    assert [d["seq"] for d in report["deliveries"]] == [3]
    assert (Path(report["deliveries"][0]["folder"]) / "entered.parquet").is_file()


@pytest.mark.parametrize("code", [f"E70{n}" for n in range(8)])
def test_the_codes_are_documented(code: str) -> None:
    docs = Path(__file__).parent.parent / "docs"
    assert f"\n### {code}\n" in (docs / "errors.md").read_text(encoding="utf-8")
    source = "".join(p.read_text() for p in (Path(__file__).parent.parent / "audiencelang" / "deliver").glob("*.py"))
    assert f'"{code}"' in source
    r = CliRunner().invoke(main, ["rule", code])
    assert r.exit_code == 0 and "deliver" in r.output, r.output


def test_sqlite_dry_run_and_history_do_not_create_the_state_file(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p")
    project = load_project(root)
    db = tmp_path / "data.sqlite"
    as_of, data, _ = next(steps())
    load("sqlite", db, data)
    state = tmp_path / "data.al_state.sqlite"
    with connect(db) as engine:
        assert history(project, engine=engine) == []
        dry = deliver(project, "buyers", "m", "ads", engine=engine, as_of=as_of.replace(tzinfo=dt.UTC), dry_run=True)
        assert dry.ok and dry.entered == 4 and not state.exists()
        real = deliver(project, "buyers", "m", "ads", engine=engine, as_of=as_of.replace(tzinfo=dt.UTC),
                       output=tmp_path / "out")
        assert real.ok and real.recorded and state.exists()
    with connect(db) as engine:  # a read attaches the state file read-only, then a delivery writes it
        assert [p.seq for p in history(project, engine=engine)] == [1]
        again = deliver(project, "buyers", "m", "ads", engine=engine,
                        as_of=(as_of + DAY).replace(tzinfo=dt.UTC), output=tmp_path / "out")
        assert again.ok and again.seq == 2, again.diagnostics
