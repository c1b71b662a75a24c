"""Batch runs (issue 20): every audience's members in a shared statement are exactly the
members its own statement returns, on real engines.

Over the example audiences and the benchmark's (demo data, every market), many renamed
copies of them (several statements and bit words), and generated audiences
(tests/datagen.py: hostile names, edge values, references), on DuckDB, PostgreSQL and
(a few) Spark.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings

from audiencelang.check import CheckedAudience, check_audience
from audiencelang.project import Project, load_project, project_from_sources
from audiencelang.sql import compile_audience, compile_batch
from audiencelang.sql import plan as P
from audiencelang.sql import sample as sample_sql
from tests import engines
from tests.datagen import SAMPLE_UNSUPPORTED, Scenario, _sample_refused, scenarios

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def _checked(project: Project, market: str, names: Sequence[str] | None = None) -> list[CheckedAudience]:
    out = []
    for name in sorted(project.audiences()) if names is None else names:
        checked, diags = check_audience(project, name, market)
        if checked is not None and not any(d.is_error for d in diags):
            out.append(checked)
    return out


def assert_batch_is_singles(engine: engines.Engine, checked: Sequence[CheckedAudience],
                            as_of: dt.datetime | None = AS_OF, *, statements: int | None = None) -> int:
    """Run the batch of ``checked`` and each audience's own statement on ``engine``; the
    member sets must be equal. Returns the number of audiences compared."""
    batch = compile_batch(checked, engine.dialect, as_of=as_of)
    assert not batch.diagnostics and not batch.left_out, (batch.diagnostics, batch.left_out)
    assert sorted(batch.audiences) == sorted(c.name for c in checked)
    if statements is not None:
        assert len(batch.statements) == statements
    compared = 0
    for st in batch.statements:
        # shared scans: one pass per event table (DuckDB: per event of a table, split by
        # window widths into a few passes named <pass>_w1, _w2...)
        tables = [s.table for s in st.plan.scans if isinstance(s, P.Scan)]
        if engine.dialect == "duckdb":
            passes = {re.sub(r"_w\d+$", "", s.name) for s in st.plan.scans if isinstance(s, P.Scan)}
            assert len(passes) <= len(checked[0].market.events) + len(set(tables)), passes
        else:
            assert len(tables) == len(set(tables)), tables
        got = st.members(engine.query(st.sql))
        for c in checked:
            if c.name not in got:
                continue
            q = compile_audience(c, engine.dialect, as_of=as_of).query
            assert q is not None
            own = sorted(map(repr, {r[0] for r in engine.query(q.sql)}))
            shared = sorted(map(repr, got[c.name]))
            assert len(set(got[c.name])) == len(got[c.name]), f"{c.name}: an id twice"
            assert shared == own, f"{c.name} differs in the batch\n--- batch SQL\n{st.sql}\n--- own SQL\n{q.sql}"
            compared += 1
    return compared


# --------------------------------------------------------------------------- demo data


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from audiencelang.run.demo import generate

    path = tmp_path_factory.mktemp("batch") / "demo.duckdb"
    generate(path, EXAMPLES, profiles=3000, events_per_profile=15)
    return path


def _bench_project() -> Project:
    import bench.common  # noqa: F401  (opts in to the bench config's market outside its root)

    return load_project(REPO / "bench")


def _projects() -> list[tuple[Project, str]]:
    examples = load_project(EXAMPLES)
    return [*((examples, m) for m in sorted(examples.markets)), (_bench_project(), "de")]


def _copies(n: int) -> Project:
    """The example and benchmark audiences, ``n`` renamed copies of each, one market."""
    texts = [p.read_text() for p in sorted((EXAMPLES / "audiences").glob("*.aud"))]
    texts += [p.read_text() for p in sorted((REPO / "bench" / "audiences").glob("*.aud"))]
    audiences = {}
    for k in range(n):
        for i, text in enumerate(texts):
            audiences[f"a{i}_{k}.aud"] = re.sub(r"\baudience(\s+)([a-z_0-9]+)", rf"audience\g<1>\g<2>_c{k}", text)
    config = (EXAMPLES / "audiencelang.toml").read_text().replace('["audiences"]', "[]").replace('["markets"]', "[]")
    return project_from_sources(config=config, markets={"de.yaml": (EXAMPLES / "markets" / "de.yaml").read_text()},
                                audiences=audiences)


def test_examples_and_bench_on_duckdb(demo_file: Path) -> None:
    con = duckdb.connect(str(demo_file), read_only=True)
    try:
        engine = engines.duckdb_engine(con)
        for project, market in _projects():
            assert assert_batch_is_singles(engine, _checked(project, market), statements=1) >= 10
            # the warehouse's current time instead of a fixed one (a params CTE)
            assert assert_batch_is_singles(engine, _checked(project, market), as_of=None) >= 10
    finally:
        con.close()


def test_many_copies_over_several_statements_and_words(demo_file: Path) -> None:
    """300+ audiences: several bit words per row and, past the dialect's width, statements."""
    project = _copies(12)
    checked = _checked(project, "de")
    assert len(checked) >= 250
    batch = compile_batch(checked, "duckdb", as_of=AS_OF)
    assert len(batch.statements) >= 2 and max(len(s.audiences) for s in batch.statements) > 62
    con = duckdb.connect(str(demo_file), read_only=True)
    try:
        assert assert_batch_is_singles(engines.duckdb_engine(con), checked) == len(checked)
    finally:
        con.close()


def test_identical_conditions_are_computed_once() -> None:
    project = _copies(3)
    checked = _checked(project, "de")
    (st,) = compile_batch(checked, "duckdb", as_of=AS_OF).statements
    (one,) = compile_batch(_checked(_copies(1), "de"), "duckdb", as_of=AS_OF).statements
    # three copies of every audience read exactly the aggregates of one copy
    assert sum(len(s.aggregates) for s in st.plan.scans) == sum(len(s.aggregates) for s in one.plan.scans)
    assert len(st.audiences) == 3 * len(one.audiences)


def test_a_reference_read_whole_by_one_plan_and_filtered_by_another(demo_file: Path) -> None:
    """A table that one audience reads whole (a condition with no `where`) is read in one
    pass in its plan, the conditions of the audiences it references on that table becoming
    conditional aggregates; another audience referencing them filters them in scans of their
    own. Both lowerings of a reference land on the same shared aggregates (it was E741: the
    whole group ran alone), and every member set is its own statement's."""
    market = (EXAMPLES / "markets" / "de.yaml").read_text().replace("consent:\n", (
        "  store_purchase:\n    table: shop.bestellungen\n    user: kunde\n    time: bestellt_am\n"
        '    where: {column: kanal, equals: "store"}\n'
        "    properties:\n      revenue: {column: umsatz, type: decimal}\n"
        "consent:\n"), 1)
    texts = {
        # the event's own `where` in the scan's key in one plan, in the condition in the other
        "r0.aud": "audience ref_own {\n  include performed store_purchase where revenue > 10 in last 90 days\n}\n",
        "a1.aud": "audience whole_own {\n  include performed purchase in last 30 days and in audience ref_own\n}\n",
        "a2.aud": 'audience split_own {\n  include in audience ref_own or performed purchase where channel = "app"\n}\n',
        # a `where` of two tests on a table without events' filters (flattened in one plan only)
        "r1.aud": ('audience ref_and {\n  include performed purchase where channel = "web" and revenue > 10'
                   " in last 30 days\n}\n"),
        "a3.aud": "audience whole_and {\n  include performed purchase and in audience ref_and\n}\n",
        "a4.aud": "audience split_and {\n  include in audience ref_and and not in audience ref_own\n}\n",
    }
    project = project_from_sources(markets={"de.yaml": market}, audiences=texts)
    checked = _checked(project, "de")
    assert len(checked) == len(texts)
    (st,) = compile_batch(checked, "duckdb", as_of=AS_OF).statements
    assert sorted(s.name for s in st.plan.audiences) == ["ref_and", "ref_own"]  # each computed once
    con = duckdb.connect(str(demo_file), read_only=True)
    try:
        assert assert_batch_is_singles(engines.duckdb_engine(con), checked) == len(texts)
    finally:
        con.close()


def test_a_batch_of_one_audience_tests_its_membership_itself(demo_file: Path) -> None:
    """A batch holding one audience tests that membership over ``facts`` itself, so the own
    statement's shortcuts that take a test out of ``facts`` (a top-level ``performed``
    semi-joined on DuckDB when another INNER join restricts the profiles) must not reach
    it: before, ``run --all`` of a market with only such an audience failed with a Binder
    Error (no column for the semi-joined count)."""
    texts = {"e.aud": "audience engaged {\n  include performed session at least 3 times in last 30 days\n"
                      "    and performed purchase in last 180 days\n}\n"}
    project = project_from_sources(markets={"de.yaml": (EXAMPLES / "markets" / "de.yaml").read_text()},
                                   audiences=texts)
    checked = _checked(project, "de")
    own = compile_audience(checked[0], "duckdb", as_of=AS_OF).query
    assert own is not None and own.strategy["semi_join"]  # the shortcut is taken alone
    con = duckdb.connect(str(demo_file), read_only=True)
    try:
        assert assert_batch_is_singles(engines.duckdb_engine(con), checked, statements=1) == 1
    finally:
        con.close()


def test_examples_and_bench_on_postgres(demo_file: Path, postgres_engine: engines.Engine) -> None:
    engines.load_duckdb_file(postgres_engine, demo_file)
    for project, market in _projects():
        assert assert_batch_is_singles(postgres_engine, _checked(project, market)) >= 10


def test_examples_on_spark(demo_file: Path, spark_engine: engines.Engine) -> None:
    engines.load_duckdb_file(spark_engine, demo_file)
    examples = load_project(EXAMPLES)
    assert assert_batch_is_singles(spark_engine, _checked(examples, "de")) >= 10


# --------------------------------------------------------------------------- generated audiences

SETTINGS = settings(max_examples=12, deadline=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _scenario_batch(scn: Scenario, engine: engines.Engine) -> int:
    scn.load(engine)
    checked = [scn.checked(a) for a in scn.audiences]
    if engine.dialect in SAMPLE_UNSUPPORTED:
        checked = [c for c in checked if not _sample_refused(c, engine.dialect, scn.as_of)]
    # the references of generated audiences are in the batch too, under their own names
    names = {c.name for c in checked}
    checked += [scn.checked(a) for n, a in scn.refs.items() if n not in names
                and not (engine.dialect in SAMPLE_UNSUPPORTED and _sample_refused(scn.checked(a), engine.dialect,
                                                                                  scn.as_of))]
    return assert_batch_is_singles(engine, checked, scn.as_of)


def test_generated_on_duckdb() -> None:
    compared: list[int] = []

    @SETTINGS
    @given(scenarios())
    def run(scn: Scenario) -> None:
        con = duckdb.connect(":memory:")
        try:
            compared.append(_scenario_batch(scn, engines.duckdb_engine(con)))
        finally:
            con.close()

    run()
    assert sum(compared) >= 80


@pytest.fixture
def every_window_its_own_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """The window-pass cost model made free: every distinct window width of a shared pass
    gets a pass of its own (the strategy at its most split, on small batches too)."""
    from audiencelang.sql import batch_passes

    monkeypatch.setattr(batch_passes, "_FIXED", 0.0)
    monkeypatch.setattr(batch_passes, "_READ", 0.0)


def _window_passes(st: Any) -> int:
    return sum(1 for s in st.plan.scans if isinstance(s, P.Scan) and re.search(r"_w\d+$", s.name))


def test_window_passes_on_the_bench_and_examples(demo_file: Path) -> None:
    """DuckDB splits a shared event pass by its aggregates' window widths where the cost
    model says it pays (100 generated bench audiences: every page-view, session, cart and
    purchase pass); each audience's members stay its own statement's."""
    from bench.batchbench import project

    checked = _checked(project(100), "de")
    (st,) = compile_batch(checked, "duckdb", as_of=AS_OF).statements
    assert _window_passes(st) >= 8
    assert _window_passes(compile_batch(checked, "postgres", as_of=AS_OF).statements[0]) == 0
    con = duckdb.connect(str(demo_file), read_only=True)
    try:
        engine = engines.duckdb_engine(con)
        assert assert_batch_is_singles(engine, checked) >= 100
        assert assert_batch_is_singles(engine, checked, as_of=None) >= 100
    finally:
        con.close()


@pytest.mark.usefixtures("every_window_its_own_pass")
def test_every_window_its_own_pass_on_duckdb(demo_file: Path) -> None:
    """The most split form of the window passes on the examples and bench audiences (fixed
    and warehouse as_of) and on generated scenarios (edges one microsecond off)."""
    con = duckdb.connect(str(demo_file), read_only=True)
    try:
        engine = engines.duckdb_engine(con)
        for project, market in _projects():
            checked = _checked(project, market)
            assert assert_batch_is_singles(engine, checked) >= 10
            assert assert_batch_is_singles(engine, checked, as_of=None) >= 10
        (st,) = compile_batch(_checked(_bench_project(), "de"), "duckdb", as_of=AS_OF).statements
        assert _window_passes(st) >= 2
    finally:
        con.close()
    compared: list[int] = []

    @SETTINGS
    @given(scenarios())
    def run(scn: Scenario) -> None:
        con = duckdb.connect(":memory:")
        try:
            compared.append(_scenario_batch(scn, engines.duckdb_engine(con)))
        finally:
            con.close()

    run()
    assert sum(compared) >= 80


def test_window_passes_give_the_same_sql_bytes() -> None:
    from bench.batchbench import project

    def sql() -> list[str]:
        checked = _checked(project(30), "de")
        return [st.sql for st in compile_batch(checked, "duckdb", as_of=AS_OF).statements]

    assert sql() == sql()


def test_generated_on_postgres(pg_connection: Any) -> None:
    compared: list[int] = []

    @settings(SETTINGS, max_examples=6)
    @given(scenarios())
    def run(scn: Scenario) -> None:
        pg_connection.rollback()
        rows = pg_connection.execute("SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' "
                                     "AND nspname <> 'information_schema'").fetchall()
        for (schema,) in rows:
            pg_connection.execute(f'DROP SCHEMA "{schema.replace(chr(34), chr(34) * 2)}" CASCADE')
        pg_connection.execute("CREATE SCHEMA public")
        pg_connection.commit()
        compared.append(_scenario_batch(scn, engines.postgres_engine(pg_connection)))

    run()
    assert sum(compared) >= 40


def test_one_market_per_batch() -> None:
    examples = load_project(EXAMPLES)
    mixed = _checked(examples, "de")[:2] + _checked(examples, "us")[:2]
    result = compile_batch(mixed, "duckdb", as_of=AS_OF)
    assert not result.statements and [d.code for d in result.diagnostics] == ["E740"]


# --------------------------------------------------------------------------- run --all


def test_run_all_in_batches_reports_what_single_runs_report(demo_file: Path, tmp_path: Path) -> None:
    import json
    import shutil

    from click.testing import CliRunner

    from audiencelang.cli import main

    db = tmp_path / "demo.duckdb"
    shutil.copy(demo_file, db)

    def run(*extra: str) -> list[dict[str, Any]]:
        res = CliRunner().invoke(main, ["run", "--all", "--db", str(db), "--as-of", "2026-11-01",
                                        "--project", str(EXAMPLES), "--format", "json", *extra],
                                 catch_exceptions=False)
        assert res.exit_code == 0, res.output
        out: list[dict[str, Any]] = json.loads(res.stdout)
        return [{k: v for k, v in r.items() if k != "seconds"} for r in out]

    shared, single = run(), run("--no-batch")
    examples = load_project(EXAMPLES)
    assert len(shared) == len(examples.audiences()) * len(examples.markets) and shared == single
    assert any(r["size"] for r in shared)


def test_run_all_marks_the_shared_runs(demo_file: Path) -> None:
    from audiencelang.run import connect
    from audiencelang.run.execute import run_all

    examples = load_project(EXAMPLES)
    with connect(str(demo_file), project_root=EXAMPLES) as engine:
        results = run_all(examples, engine=engine, markets=["de"], as_of=AS_OF)
        alone = run_all(examples, engine=engine, markets=["de"], as_of=AS_OF, batch=False)
    assert all(r.shared for r in results if r.ok) and not any(r.shared for r in alone)
    assert [r.size for r in results] == [r.size for r in alone]


def test_an_audience_that_does_not_compile_alone_stays_out(demo_file: Path, sqlite_engine: engines.Engine) -> None:
    """SQLite refuses `in sample` (E520): that audience is left out, the others share a
    statement and still return their own statements' members."""
    market = (EXAMPLES / "markets" / "de.yaml").read_text()
    texts = {
        "a.aud": 'audience sampled {\n  include in sample 10% salt "s" and performed purchase\n}\n',
        "b.aud": "audience buyers {\n  include performed purchase in last 90 days\n}\n",
        "c.aud": "audience carts {\n  include performed add_to_cart at most 2 times in last 30 days\n}\n",
    }
    project = project_from_sources(markets={"de.yaml": market}, audiences=texts)
    checked = _checked(project, "de", ["sampled", "buyers", "carts"])
    batch = compile_batch(checked, "sqlite", as_of=AS_OF)
    assert [d.code for d in batch.left_out["sampled"]] == ["E520"]
    assert sorted(batch.audiences) == ["buyers", "carts"]
    engines.load_duckdb_file(sqlite_engine, demo_file)
    assert assert_batch_is_singles(sqlite_engine, [c for c in checked if c.name != "sampled"]) == 2


def test_run_all_in_batches_on_postgres(demo_file: Path, postgres_cluster: Any, tmp_path: Path) -> None:
    """`run --all` through the PostgreSQL engine: the shared statements' report equals the
    single statements' (members, gates and their counts)."""
    from audiencelang.run import connect
    from audiencelang.run.execute import run_all
    from tests.pgcluster import copy_duckdb_into

    examples = load_project(EXAMPLES)
    with postgres_cluster.database("batch") as name:
        import psycopg

        with psycopg.connect(postgres_cluster.url(name)) as pg:
            copy_duckdb_into(pg, demo_file, tmp_path)
            pg.commit()
        with connect(postgres_cluster.url(name)) as engine:
            shared = run_all(examples, engine=engine, markets=["de"], as_of=AS_OF)
            alone = run_all(examples, engine=engine, markets=["de"], as_of=AS_OF, batch=False)
    assert all(r.ok and r.shared for r in shared)
    assert [(r.audience, r.size, r.gates) for r in shared] == [(r.audience, r.size, r.gates) for r in alone]
    assert sum(r.size or 0 for r in shared) > 0


def test_every_dialect_writes_the_examples_batch() -> None:
    from audiencelang.sql import DIALECTS

    examples = load_project(EXAMPLES)
    checked = _checked(examples, "de")
    for dialect in sorted(DIALECTS):
        batch = compile_batch(checked, dialect, as_of=AS_OF)
        # only the holdout examples' samples are left out, where the dialect refuses them (E520)
        refused = {n for n, ds in batch.left_out.items() if [d.code for d in ds] == ["E520"]}
        assert set(batch.left_out) == refused and (not refused or dialect in sample_sql.UNSUPPORTED), dialect
        assert len(batch.statements) == 1, (dialect, batch.left_out)
        assert batch.statements[0].sql == compile_batch(checked, dialect, as_of=AS_OF).statements[0].sql
