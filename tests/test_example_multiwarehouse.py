"""examples/multiwarehouse: a market per warehouse (de on DuckDB, us on SQLite, fr on
PostgreSQL) compiles and runs as its README says (issue 17, "Done when").

The data comes from the example's own script (make_warehouses.py, run as a user runs it);
the reference members from the same seeded demo data, evaluated per market.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from audiencelang.check import check_audience
from audiencelang.cli import main
from audiencelang.demo import generate
from audiencelang.eval import evaluate
from audiencelang.project import load_project
from audiencelang.run.demo import DEFAULT_AS_OF
from tests.test_run import dataset

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "multiwarehouse"
AS_OF = "2026-11-01T00:00:00Z"
DIALECTS = {"de": "duckdb", "us": "sqlite", "fr": "postgres"}
PROFILES, EVENTS, SEED = 600, 8, 5


def invoke(*args: object, env: dict[str, str]) -> Any:
    result = CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def test_compile_all_writes_each_market_in_its_dialect(tmp_path: Path) -> None:
    """No URL is needed to compile: the dialects come from the market files."""
    out = tmp_path / "sql"
    env = {"AUDIENCELANG_DB": "", "DE_WAREHOUSE_URL": "", "US_WAREHOUSE_URL": "", "FR_WAREHOUSE_URL": ""}
    result = invoke("compile", "--all", "--project", EXAMPLE, "--out", out, "--as-of", AS_OF, env=env)
    assert result.exit_code == 0, result.output
    project = load_project(EXAMPLE)
    files = sorted(p.name for p in out.glob("*.sql"))
    assert len(files) == len(project.audiences()) * 3 + 3  # + recent_buyers for its newsletter
    for path in out.glob("*.sql"):
        market = path.stem.split("__")[1]
        header = path.read_text(encoding="utf-8").splitlines()[0]
        assert f"| market {market} | dialect {DIALECTS[market]} |" in header, (path.name, header)
    result = invoke("check", EXAMPLE, env=env)
    assert result.exit_code == 0, result.output
    result = invoke("fmt", "--check", EXAMPLE, env=env)
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def warehouses(postgres_cluster: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The example's script run as the README says; the environment `run` then needs."""
    folder = tmp_path_factory.mktemp("multiwarehouse")
    with postgres_cluster.database("fr") as name:
        env = {**os.environ, "PYTHONPATH": str(REPO), "FR_WAREHOUSE_URL": postgres_cluster.url(name)}
        done = subprocess.run([sys.executable, EXAMPLE / "make_warehouses.py", "--out", folder,
                               "--profiles", str(PROFILES), "--events-per-profile", str(EVENTS),
                               "--seed", str(SEED)],
                              capture_output=True, text=True, env=env, timeout=300, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"export DE_WAREHOUSE_URL={folder / 'de.duckdb'}" in done.stdout
        yield {"AUDIENCELANG_DB": "", "DE_WAREHOUSE_URL": str(folder / "de.duckdb"),
               "US_WAREHOUSE_URL": str(folder / "us.sqlite"), "FR_WAREHOUSE_URL": postgres_cluster.url(name)}


@pytest.fixture(scope="module")
def expected(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], set[int]]:
    """The evaluator's members per audience x market, on the same seeded demo data."""
    project = load_project(EXAMPLE)
    folder = tmp_path_factory.mktemp("reference")
    out = {}
    for market in DIALECTS:
        path = folder / f"{market}.duckdb"
        generate(path, EXAMPLE, profiles=PROFILES, events_per_profile=EVENTS, seed=SEED, markets=[market])
        data = dataset(path)
        for audience in sorted(project.audiences()):
            checked, diags = check_audience(project, audience, market)
            assert checked is not None, diags
            out[(audience, market)] = evaluate(checked, data, as_of=DEFAULT_AS_OF,
                                               ascii_case_folding=market == "us")  # SQLite: ASCII LOWER()
    assert sum(1 for m in out.values() if m) >= len(out) - 2  # the data is not trivially empty
    return out


@pytest.mark.postgres
def test_run_all_uses_each_markets_warehouse(warehouses: dict[str, str],
                                             expected: dict[tuple[str, str], set[int]]) -> None:
    result = invoke("run", "--all", "--project", EXAMPLE, "--as-of", AS_OF, "--format", "json", env=warehouses)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    runs = doc["runs"] if isinstance(doc, dict) else doc
    assert {(r["audience"], r["market"]): r["size"] for r in runs} == {k: len(v) for k, v in expected.items()}
    text = invoke("run", "--all", "--project", EXAMPLE, "--as-of", AS_OF, env=warehouses)
    assert text.exit_code == 0, text.output
    # and each market file fits its warehouse (schema drift: none)
    drift = invoke("check", "--warehouses", EXAMPLE, env=warehouses)
    assert drift.exit_code == 0, drift.output


@pytest.mark.postgres
def test_a_url_of_another_dialect_is_refused(warehouses: dict[str, str]) -> None:
    env = {**warehouses, "FR_WAREHOUSE_URL": warehouses["US_WAREHOUSE_URL"]}  # SQLite for postgres
    result = invoke("run", "--all", "-m", "fr", "--project", EXAMPLE, "--as-of", AS_OF, env=env)
    assert result.exit_code == 1 and "E653" in result.stderr


@pytest.mark.postgres
def test_member_files_per_market(warehouses: dict[str, str], expected: dict[tuple[str, str], set[int]],
                                 tmp_path: Path) -> None:
    for (audience, market), members in expected.items():
        out = tmp_path / f"{audience}_{market}.csv"
        result = invoke("run", audience, "-m", market, "--project", EXAMPLE, "--as-of", AS_OF,
                        "--output", out, env=warehouses)
        assert result.exit_code == 0, result.output
        with out.open(newline="") as f:
            assert {int(r["member_id"]) for r in csv.DictReader(f)} == members, (audience, market)


@pytest.mark.postgres
def test_one_warehouse_missing_fails_only_its_market(warehouses: dict[str, str]) -> None:
    env = {**warehouses, "FR_WAREHOUSE_URL": ""}
    result = invoke("run", "--all", "--project", EXAMPLE, "--as-of", AS_OF, "--format", "json", env=env)
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    runs = doc["runs"] if isinstance(doc, dict) else doc
    failed = {r["market"] for r in runs if r["status"] != "ok"}
    assert failed == {"fr"} and "E652" in result.stderr


def test_the_example_data_is_not_committed() -> None:
    """make_warehouses.py writes warehouses/ next to itself by default: git ignores it."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    done = subprocess.run(["git", "check-ignore", "-q", str(EXAMPLE / "warehouses" / "de.duckdb")],
                          cwd=REPO, capture_output=True, check=False)
    assert done.returncode == 0


@pytest.mark.parametrize("market", sorted(DIALECTS))
def test_the_market_files_are_the_main_examples_plus_a_warehouse(market: str) -> None:
    """The README says the schemas are those of examples/markets/: a change there is made here too."""
    main_text = (REPO / "examples" / "markets" / f"{market}.yaml").read_text(encoding="utf-8")
    text = (EXAMPLE / "markets" / f"{market}.yaml").read_text(encoding="utf-8")
    assert text.startswith(main_text)
    assert text[len(main_text):].strip().splitlines()[-3:] == [
        "warehouse:", f"  dialect: {DIALECTS[market]}", f"  url_env: {market.upper()}_WAREHOUSE_URL"]
