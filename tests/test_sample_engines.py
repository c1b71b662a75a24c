"""Spec §10 on real engines: ``in sample`` picks the same ids on DuckDB, PostgreSQL, Spark,
ClickHouse (chdb) and MariaDB, and each id's bucket equals :func:`audiencelang.sample_bucket`.

100,000 ids per engine: 50,000 integers (0, ±1, the ends of BIGINT, random ones of every size)
in an integer id column and 50,000 strings (ASCII, non-ASCII, emoji, ``042``, ``1.0``, ``a:b``,
trailing blanks) in a text id column. Two checks per engine and column: the bucket expression
of :mod:`audiencelang.sql.sample` returns every id's bucket exactly, and a compiled audience
``in sample 37.5% salt "…"`` (and its ``not``) selects exactly the ids the evaluator selects.
SQLite is refused at compile time (E520); T-SQL, which cannot run here, is checked as text
(the UTF-8 collation and the plain-decimal NVARCHAR cast the bucket relies on).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import sqlglot
from sqlglot import exp

from audiencelang import ast
from audiencelang.check import CheckedAudience
from audiencelang.eval import evaluate
from audiencelang.sample import sample_bucket
from audiencelang.schema.market import Market
from audiencelang.sql import compile_audience
from audiencelang.sql.dialects import DIALECTS
from audiencelang.sql.sample import bucket
from tests import engines

N = 50_000
SALT = "q4_holdout/ü"
AS_OF = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)


def integer_ids() -> list[int]:
    rng = random.Random(10)
    fixed = [0, 1, -1, 9, 10, 99, 100, 2**31 - 1, 2**31, -(2**31), 2**32, 2**53 + 1, 2**63 - 1, -(2**63)]
    out = set(fixed)
    while len(out) < N:
        bits = rng.choice((7, 16, 32, 53, 63))
        out.add(rng.randrange(-(2**bits), 2**bits) if bits < 63 else rng.randrange(-(2**63), 2**63))
    return sorted(out)


def string_ids() -> list[str]:
    rng = random.Random(11)
    fixed = ["0", "042", "1.0", "-5", "", " ", "a ", "a:b", "Zürich", "ß", "İstanbul", "日本語", "😀", "e\u0301",
             "O'Brien", "back\\slash", "${x}", "%_", "UPPER", "upper"]
    alphabet = "abcXYZ019 -_:.üßéñøå日本語😀'\"\\"
    out = set(fixed)
    while len(out) < N:
        out.add("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 24))))
    return sorted(out)


IDS: dict[str, Callable[[], list[Any]]] = {"integer": integer_ids, "string": string_ids}


def market() -> Market:
    return Market.model_validate({"market": "m", "profiles": {"table": "profiles", "id": "id", "traits": {}}},
                                 strict=False)


def checked(expr: ast.Expr) -> CheckedAudience:
    aud = ast.Audience(name=ast.Name(value="a"), include=expr)
    return CheckedAudience("a", aud, market(), None, {"a": aud}, {})


def sample(percent: str) -> ast.InSample:
    return ast.InSample(percent=ast.NumberLit(value=Decimal(percent)), salt=ast.StringLit(value=SALT))


def bucket_sql(dialect: str) -> str:
    def f(cls: Any, **args: Any) -> Any:
        return cls(**args)

    ident = exp.Column(this=exp.Identifier(this="id", quoted=True))
    select = exp.Select(expressions=[ident.copy(), bucket(ident, SALT, DIALECTS[dialect], f)]).from_(
        exp.Table(this=exp.Identifier(this="profiles", quoted=True)))
    return select.sql(dialect=dialect)


def check_engine(engine: engines.Engine, kind: str) -> None:
    ids = IDS[kind]()
    engine.load("profiles", {"id": kind}, [{"id": i} for i in ids])
    expected = {i: sample_bucket(SALT, i) for i in ids}
    got = {(int(i) if kind == "integer" else i): int(b) for i, b in engine.query(bucket_sql(engine.dialect))}
    wrong = [(i, got.get(i), b) for i, b in expected.items() if got.get(i) != b]
    assert not wrong, (engine.name, kind, len(wrong), wrong[:10])
    data = {"profiles": [{"id": i} for i in ids]}
    for expr in (sample("37.5"), ast.Not(operand=sample("37.5")), sample("0.01"), sample("100")):
        c = checked(expr)
        res = compile_audience(c, engine.dialect, as_of=AS_OF)
        assert res.query is not None, res.diagnostics
        members = {int(r[0]) if kind == "integer" else r[0] for r in engine.query(res.query.sql)}
        want = evaluate(c, data, as_of=AS_OF)
        assert members == want, (engine.name, kind, expr, len(members ^ want))
    share = sum(b < 3750 for b in expected.values()) / len(expected)
    assert 0.36 < share < 0.39  # the data do exercise both sides


@pytest.mark.parametrize("kind", ["integer", "string"])
def test_duckdb(duckdb_engine: engines.Engine, kind: str) -> None:
    check_engine(duckdb_engine, kind)


@pytest.mark.parametrize("kind", ["integer", "string"])
def test_postgres(postgres_engine: engines.Engine, kind: str) -> None:
    check_engine(postgres_engine, kind)


@pytest.mark.parametrize("kind", ["integer", "string"])
def test_clickhouse(clickhouse_engine: engines.Engine, kind: str) -> None:
    check_engine(clickhouse_engine, kind)


def _mysql_binary_load(conn: Any, table: str, columns: engines.Columns, rows: Any) -> None:
    """A text id column with a byte, no-pad collation: under MariaDB's default ``utf8mb4_general_ci``,
    ids differing only in case, accents or trailing blanks are one value to ``GROUP BY`` (true
    of every audience with such ids, not of samples)."""
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE `profiles` (`id` TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin)")
        cur.executemany("INSERT INTO `profiles` VALUES (%s)", [[r["id"]] for r in rows])
    conn.commit()


@pytest.mark.parametrize("kind", ["integer", "string"])
def test_mysql_dialect_on_mariadb(mysql_engine: engines.Engine, kind: str) -> None:
    if kind == "string":
        mysql_engine = engines.Engine("mysql", "mysql", mysql_engine.handle, _mysql_binary_load,
                                      engines.mysql_query)
    check_engine(mysql_engine, kind)


@pytest.mark.parametrize("kind", ["integer", "string"])
def test_spark(spark_engine: engines.Engine, kind: str) -> None:
    check_engine(spark_engine, kind)


def test_tsql_hashes_the_utf8_bytes_of_the_id_text() -> None:
    """SQL Server 2019+: ``HASHBYTES`` over ``VARCHAR(MAX)`` under a ``_UTF8`` collation, of the
    ``NVARCHAR`` text (integers in plain decimal); the salt as a literal, never pasted."""
    salt = "q4:hold'out é"
    expr = ast.InSample(percent=ast.NumberLit(value=Decimal("10")), salt=ast.StringLit(value=salt))
    res = compile_audience(checked(expr), "tsql", as_of=AS_OF)
    assert res.query is not None and not res.diagnostics, res.diagnostics
    flat = " ".join(res.query.sql.split()).replace("( ", "(").replace(" )", ")")
    assert "COLLATE Latin1_General_100_BIN2_UTF8 AS VARCHAR(MAX))" in flat, flat
    assert "AS NVARCHAR(MAX))" in flat and "CONVERT(VARCHAR(32), HASHBYTES('MD5', CAST((" in flat, flat
    tree = sqlglot.parse_one(res.query.sql, read="tsql")
    assert any(lit.this == salt + ":" for lit in tree.find_all(exp.National)), "the salt is one N'...' literal"


@pytest.mark.parametrize("dialect", ["sqlite"])
def test_dialects_without_utf8_md5_refuse_at_compile_time(dialect: str) -> None:
    res = compile_audience(checked(sample("10")), dialect, as_of=AS_OF)
    assert res.query is None
    assert [d.code for d in res.diagnostics] == ["E520"]
    assert f"'in sample' cannot be compiled for dialect '{dialect}'" in res.diagnostics[0].message
