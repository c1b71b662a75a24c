"""`check` and `compile` agree on `in audience` chains: a 10,000-level chain (spread over
files of PER_FILE audiences: one file may hold 10,000 conditions, E121) is checked once; every audience above MAX_REFERENCE_DEPTH levels has E308 (and does not compile),
every audience up to the limit compiles, and its SQL returns the evaluator's members on
DuckDB."""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import pytest

from audiencelang.check import MAX_REFERENCE_DEPTH, check_audience, check_project
from audiencelang.eval import evaluate
from audiencelang.project import Project, load_project
from audiencelang.sql import compile
from tests.test_check_helpers import FIXTURES

LEVELS = 10_000
PER_FILE = 100
AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("chain")
    shutil.copytree(FIXTURES / "markets", root / "markets")
    (root / "audiencelang.toml").write_text((FIXTURES / "config.toml").read_text())
    (root / "audiences").mkdir()
    meta = '  owner "t@example.com"\n  description "d"\n'
    blocks = [f"audience lvl_0 {{\n{meta}  include age > 0\n}}\n"]
    blocks += [f"audience lvl_{i} {{\n{meta}  include in audience lvl_{i - 1} and age > {i % 50}\n}}\n"
               for i in range(1, LEVELS)]
    for start in range(0, LEVELS, PER_FILE):
        (root / "audiences" / _file(start)).write_text("\n".join(blocks[start:start + PER_FILE]))
    return load_project(root)


def _file(level: int) -> str:
    return f"chain_{level // PER_FILE:03d}.aud"


def test_check_reports_every_audience_above_the_limit(chain: Project) -> None:
    report = check_project(chain)
    assert {d.code for d in report.diagnostics} == {"E308"}
    assert sorted(int(d.audience.split("_")[1]) for d in report.diagnostics if d.audience) == \
        list(range(MAX_REFERENCE_DEPTH + 1, LEVELS))
    first = next(d for d in report.diagnostics if d.audience == f"lvl_{MAX_REFERENCE_DEPTH + 1}")
    assert first.message == (f"audience 'lvl_{MAX_REFERENCE_DEPTH + 1}' stands on {MAX_REFERENCE_DEPTH + 1} "
                             f"levels of 'in audience' references; the limit is {MAX_REFERENCE_DEPTH}")
    # at the reference, in the file that holds the audience
    assert first.span is not None and first.span.line == 4 + 6 * ((MAX_REFERENCE_DEPTH + 1) % PER_FILE)
    assert first.span.path is not None and first.span.path.endswith(_file(MAX_REFERENCE_DEPTH + 1))


@pytest.mark.parametrize("level", [MAX_REFERENCE_DEPTH + 1, LEVELS - 1])
def test_compile_refuses_what_check_refuses(chain: Project, level: int) -> None:
    result = compile(chain, f"lvl_{level}", "aa", "duckdb", as_of=AS_OF)
    assert result.query is None and {d.code for d in result.diagnostics if d.is_error} == {"E308"}
    assert any(d.audience == f"lvl_{level}" for d in result.diagnostics)


def test_the_deepest_accepted_audience_compiles_and_runs_like_the_evaluator(chain: Project) -> None:
    name = f"lvl_{MAX_REFERENCE_DEPTH}"
    result = compile(chain, name, "aa", "duckdb", as_of=AS_OF)
    assert result.query is not None, result.diagnostics
    checked, _ = check_audience(chain, name, "aa")
    assert checked is not None
    rows = [{"person_id": i, "age": None if i % 17 == 0 else i % 120} for i in range(2_000)]
    expected = evaluate(checked, {"crm.people": rows}, as_of=AS_OF)
    con = duckdb.connect()
    con.execute("CREATE SCHEMA crm")
    con.execute("CREATE TABLE crm.people (person_id BIGINT, age BIGINT)")
    con.executemany("INSERT INTO crm.people VALUES (?, ?)", [(r["person_id"], r["age"]) for r in rows])
    got = {r[0] for r in con.execute(result.query.sql).fetchall()}
    assert got == expected and 0 < len(got) < len(rows)
