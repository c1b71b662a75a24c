"""The compiled SQL means the same whatever the warehouse session and the columns' collations
(docs/sql.md, "What the SQL assumes of the session"):

- Spark substitutes ``${...}`` in the SQL text before parsing it (on by default), inside
  string literals too; with ``spark.sql.parser.escapedStringLiterals`` it reads backslashes
  in literals verbatim. Neither may change a value: the injection corpus runs with both.
- A case-insensitive column collation (DuckDB and SQLite ``NOCASE``, a PostgreSQL
  nondeterministic ICU collation) must not make ``country = "DE"`` match ``de``, nor a
  consent row for purpose ``ADS`` or status ``G`` count for ``ads``/``g``.
- ClickHouse compares decimals exactly (a bare ``1234567890123456.78`` is a Float64).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import duckdb
import pytest

from audiencelang import ast
from audiencelang.eval import evaluate
from audiencelang.schema.market import Market
from audiencelang.sql import compile_audience
from tests import engines
from tests.test_injection import (
    AS_OF,
    CORPUS,
    KINDS,
    MARKET,
    checked_for,
    compile_sql,
    injection_data,
    run_corpus_on,
)

EVIL = "x' OR '1'='1"
SUBSTITUTED = [v for v in CORPUS if "$" in v or "{" in v]
# what escapedStringLiterals reads differently: backslashes, quotes, control characters
ESCAPED = [v for v in CORPUS if "\\" in v or "'" in v or not v.isprintable()]


# --------------------------------------------------------------------------- Spark sessions


@pytest.fixture
def hostile_spark(spark_engine: engines.Engine) -> Iterator[engines.Engine]:
    """Substitution on (Spark's default), and a Spark conf, a Java system property and an
    environment variable (tests/conftest.py) each holding a quote."""
    spark = spark_engine.handle
    system = spark.sparkContext._jvm.java.lang.System
    assert spark.conf.get("spark.sql.variable.substitute") == "true"
    spark.conf.set("audiencelang.evil", EVIL)
    system.setProperty("audiencelang.evil", EVIL)
    try:
        # the session does substitute (in a literal, a value holding a quote would end it)
        assert spark.sql("SELECT '${system:user.home}' AS v").collect()[0][0] != "${system:user.home}"
        yield spark_engine
    finally:
        spark.conf.unset("audiencelang.evil")
        system.clearProperty("audiencelang.evil")


@pytest.mark.spark
def test_spark_substitution_reaches_no_literal(hostile_spark: engines.Engine) -> None:
    """Before: `${env:...}` read the environment and its quote ended the literal (every
    profile selected); `${system:user.home}` matched `/root`."""
    assert run_corpus_on(hostile_spark, values=SUBSTITUTED) == len(SUBSTITUTED) * len(KINDS)


@pytest.mark.spark
def test_spark_market_values_are_not_substituted(hostile_spark: engines.Engine) -> None:
    """Consent purpose/status values and an event's `where: equals` come from the market file."""
    _run_market_values(hostile_spark, "${audiencelang.evil}")


@pytest.mark.spark
def test_spark_escaped_string_literals_change_nothing(spark_engine: engines.Engine) -> None:
    """Before: with escapedStringLiterals = true, `x\\' OR 1=1 --` and the other values with a
    backslash or a quote selected other profiles (or failed to parse)."""
    spark = spark_engine.handle
    spark.conf.set("spark.sql.parser.escapedStringLiterals", "true")
    try:
        assert spark.sql("SELECT length('a\\\\b') AS n").collect()[0][0] == 4  # the setting is in effect
        assert run_corpus_on(spark_engine, values=ESCAPED) == len(ESCAPED) * len(KINDS)
    finally:
        spark.conf.set("spark.sql.parser.escapedStringLiterals", "false")


def test_spark_refuses_a_physical_name_spark_would_substitute() -> None:
    """A physical name from the market file holding `${`: E508 for spark and databricks
    (Spark would rewrite it, inside backquotes too), compiled as written elsewhere."""
    doc = MARKET.model_dump(mode="json")
    doc["profiles"]["traits"]["s"]["column"] = "col${system:user.home}"
    market = Market.model_validate(doc, strict=False)
    checked = checked_for(KINDS["eq"][0]("x"), market)
    for dialect in ("spark", "databricks"):
        res = compile_audience(checked, dialect, as_of=AS_OF)
        assert res.query is None
        [d] = res.diagnostics
        assert d.code == "E508" and "`col${system:user.home}`" in d.message and "market 'm'" in d.message, d
    assert compile_audience(checked, "duckdb", as_of=AS_OF).query is not None
    doc["profiles"]["traits"]["s"]["column"] = "price$ {x}"  # a `$` alone is harmless
    checked = checked_for(KINDS["eq"][0]("x"), Market.model_validate(doc, strict=False))
    assert compile_audience(checked, "spark", as_of=AS_OF).query is not None


# --------------------------------------------------------------------------- collations


def _strings(columns: dict[str, str]) -> list[str]:
    return [c for c, k in columns.items() if k == "string"]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _table(table: str) -> str:
    return ".".join(_q(p) for p in table.split("."))


def _duckdb_nocase(con: Any, table: str, columns: dict[str, str], rows: Any) -> None:
    engines.duckdb_load(con, table, columns, rows)
    for c in _strings(columns):
        con.execute(f"ALTER TABLE {_table(table)} ALTER COLUMN {_q(c)} SET DATA TYPE VARCHAR COLLATE NOCASE")


def _sqlite_nocase(con: sqlite3.Connection, table: str, columns: dict[str, str], rows: Any) -> None:
    """SQLite cannot change a column's collation: load, then rebuild the table with NOCASE."""
    engines.sqlite_load(con, table, columns, rows)
    parts = table.split(".")
    old = _table(".".join([*parts[:-1], parts[-1] + "_old"]))
    con.execute(f"ALTER TABLE {_table(table)} RENAME TO {_q(parts[-1] + '_old')}")
    ddl = ", ".join(f"{_q(c)} {engines.SQLITE_TYPES[k]}" + (" COLLATE NOCASE" if k == "string" else "")
                    for c, k in columns.items())
    con.execute(f"CREATE TABLE {_table(table)} ({ddl})")
    con.execute(f"INSERT INTO {_table(table)} SELECT * FROM {old}")
    con.execute(f"DROP TABLE {old}")
    con.commit()


def _postgres_ci(conn: Any, table: str, columns: dict[str, str], rows: Any) -> None:
    engines.postgres_load(conn, table, columns, rows)
    conn.execute("CREATE COLLATION IF NOT EXISTS ci "
                 "(provider = icu, locale = 'und-u-ks-level2', deterministic = false)")
    for c in _strings(columns):
        conn.execute(f"ALTER TABLE {_table(table)} ALTER COLUMN {_q(c)} TYPE text COLLATE ci")
    conn.commit()


def _postgres_citext(conn: Any, table: str, columns: dict[str, str], rows: Any) -> None:
    """``citext`` (contrib): case-insensitive under every collation, `COLLATE "C"` included."""
    engines.postgres_load(conn, table, columns, rows)
    conn.execute("CREATE EXTENSION IF NOT EXISTS citext")
    for c in _strings(columns):
        conn.execute(f"ALTER TABLE {_table(table)} ALTER COLUMN {_q(c)} TYPE citext")
    conn.commit()


def _collated(engine: engines.Engine, load: Callable[..., None]) -> engines.Engine:
    return engines.Engine(engine.name + " (case-insensitive columns)", engine.dialect, engine.handle, load,
                          engine._query)


def _assert_case_insensitive(engine: engines.Engine) -> None:
    engine.load("probe", {"s": "string"}, [{"s": "de"}])
    assert engine.query("SELECT COUNT(*) FROM probe WHERE s = 'DE'") == [(1,)]


CONSENT_ROWS = [  # (user, purpose, status); the market's values are purpose `ads`, statuses g/d/r
    (1, "ADS", "g"), (2, "ads", "G"), (3, "ads", "g"), (4, "Ads", "g"), (5, "ads", "g"),
    (5, "ads", "R"),  # later than the grant; not the revoked status `r`
]


def _run_market_values(engine: engines.Engine, hostile: str | None = None) -> None:
    """Consent purpose and status, and an event's `where: equals`, against rows that differ
    from the market's values in case only (or hold ``hostile``)."""
    columns, data = injection_data()
    market = MARKET
    if hostile is not None:
        doc = MARKET.model_dump(mode="json")
        doc["consent"]["statuses"]["granted"] = hostile
        doc["consent"]["purposes"]["ads"]["value"] = hostile + "p"
        doc["events"]["ev"]["where"]["equals"] = hostile + "k"
        market = Market.model_validate(doc, strict=False)
        rows = [(1, hostile + "p", hostile), (2, EVIL + "p", EVIL), (3, "p", "")]
        kinds = [hostile + "k", EVIL + "k", "k"]
    else:
        rows = CONSENT_ROWS
        kinds = ["K", "k", "K"]
    when = AS_OF - dt.timedelta(days=1)
    data["params"] = [{"user": u, "Mixed Case": p, "desc": s, "table": when + dt.timedelta(seconds=i),
                       "end": None} for i, (u, p, s) in enumerate(rows)]
    data["group"] = [{"from": i, "it's": when, "a`b": k, "[br]": "v", "member_id": Decimal(1)}
                     for i, k in enumerate(kinds, start=1)]
    for table, cols in columns.items():
        engine.load(table, cols, data[table])
    for expr, consent in [(ast.HasConsent(purpose=ast.Name(value="ads")), False),
                          (ast.Performed(event=ast.Name(value="ev")), False),
                          (ast.Performed(event=ast.Name(value="ev")), True)]:
        checked = checked_for(expr, market, consent=consent)
        got = {r[0] for r in engine.query(compile_sql(checked, engine.dialect, AS_OF))}
        expected = evaluate(checked, data, as_of=AS_OF)
        assert got == expected, (engine.name, expr, sorted(got), sorted(expected))
    if hostile is None:  # the data do hold the near misses
        assert evaluate(checked_for(ast.HasConsent(purpose=ast.Name(value="ads")), market), data,
                        as_of=AS_OF) == {3, 5}


@pytest.fixture
def nocase_duckdb() -> Iterator[engines.Engine]:
    con = duckdb.connect(":memory:")
    try:
        yield _collated(engines.duckdb_engine(con), _duckdb_nocase)
    finally:
        con.close()


@pytest.fixture
def nocase_sqlite() -> Iterator[engines.Engine]:
    con = sqlite3.connect(":memory:")
    try:
        yield _collated(engines.sqlite_engine(con), _sqlite_nocase)
    finally:
        con.close()


@pytest.fixture
def ci_postgres(pg_connection: Any) -> engines.Engine:
    return _collated(engines.postgres_engine(pg_connection), _postgres_ci)


@pytest.fixture
def citext_postgres(pg_connection: Any) -> engines.Engine:
    try:
        pg_connection.execute("CREATE EXTENSION IF NOT EXISTS citext")
        pg_connection.commit()
    except Exception:
        pg_connection.rollback()
        pytest.skip("the citext extension (postgresql-contrib) is not installed")
    return _collated(engines.postgres_engine(pg_connection), _postgres_citext)


def test_duckdb_nocase_columns_hold_market_values_exactly(nocase_duckdb: engines.Engine) -> None:
    """Before: consent rows for purpose `ADS` or with status `G` granted `ads`; event rows of
    kind `K` counted for `where: equals k`."""
    _assert_case_insensitive(nocase_duckdb)
    _run_market_values(nocase_duckdb)


def test_duckdb_nocase_columns_compare_exactly(nocase_duckdb: engines.Engine) -> None:
    """Before: `s = 'x'` matched `X`, `contains 'x'` found it in `X`."""
    assert run_corpus_on(nocase_duckdb) == len(CORPUS) * len(KINDS)


def test_sqlite_nocase_columns_hold_market_values_exactly(nocase_sqlite: engines.Engine) -> None:
    _assert_case_insensitive(nocase_sqlite)
    _run_market_values(nocase_sqlite)


def test_sqlite_nocase_columns_compare_exactly(nocase_sqlite: engines.Engine) -> None:
    assert run_corpus_on(nocase_sqlite, ascii_case=True) == len(CORPUS) * len(KINDS)


@pytest.mark.postgres
def test_postgres_nondeterministic_columns_hold_market_values_exactly(ci_postgres: engines.Engine) -> None:
    _assert_case_insensitive(ci_postgres)
    _run_market_values(ci_postgres)


@pytest.mark.postgres
def test_postgres_nondeterministic_columns_compare_exactly(ci_postgres: engines.Engine) -> None:
    """Before: `=`/`IN` matched other cases, and every `contains` failed with
    "nondeterministic collations are not supported for substring searches"."""
    assert run_corpus_on(ci_postgres) == len(CORPUS) * len(KINDS)


@pytest.mark.postgres
def test_postgres_citext_columns_hold_market_values_exactly(citext_postgres: engines.Engine) -> None:
    """Before: `x COLLATE "C" = 'g'` on a citext column still matched `G` (citext's own `=`)."""
    _assert_case_insensitive(citext_postgres)
    _run_market_values(citext_postgres)


@pytest.mark.postgres
def test_postgres_citext_columns_compare_exactly(citext_postgres: engines.Engine) -> None:
    assert run_corpus_on(citext_postgres) == len(CORPUS) * len(KINDS)


# --------------------------------------------------------------------------- ClickHouse decimals

DECIMALS = Market.model_validate({
    "market": "d",
    "profiles": {"table": "people", "id": "id", "traits": {"ltv": {"column": "ltv", "type": "decimal"},
                                                         "n": {"column": "n", "type": "integer"}}},
    "events": {"buy": {"table": "buys", "user": "id", "time": "at",
                       "properties": {"amount": {"column": "amount", "type": "decimal"}}}},
}, strict=False)
LTV = [Decimal("1234567890123456.78"), Decimal("1234567890123456.77"), Decimal("1234567890123456.79"),
       Decimal("0.10"), Decimal("-1234567890123456.78")]


def _decimal_audiences() -> list[ast.Expr]:
    ltv = ast.Name(value="ltv")

    def n(text: str) -> ast.NumberLit:
        return ast.NumberLit(value=Decimal(text))

    total = ast.Aggregate(func="sum", event=ast.Name(value="buy"), property=ast.Name(value="amount"))
    return [
        ast.Compare(target=ltv, op="=", value=n("1234567890123456.78")),
        ast.Compare(target=ltv, op="!=", value=n("1234567890123456.78")),
        ast.Compare(target=ltv, op=">", value=n("1234567890123456.78")),
        ast.Compare(target=ltv, op="<=", value=n("1234567890123456.77")),
        ast.Compare(target=ltv, op="=", value=n("-1234567890123456.78")),
        ast.InList(target=ltv, values=(n("1234567890123456.78"), n("0.1"))),
        ast.InList(target=ltv, values=(n("1234567890123456.79"),), negated=True),
        ast.Compare(target=total, op=">=", value=n("1234567890123456.79")),
        ast.Compare(target=total, op="=", value=n("0.3")),
        ast.InList(target=ast.Name(value="n"), values=(n("100.5"), n("2"))),  # an integer column
        ast.Compare(target=ast.Name(value="n"), op=">", value=n("1.5")),
    ]


@pytest.mark.clickhouse
def test_clickhouse_decimals_compare_exactly(clickhouse_engine: engines.Engine) -> None:
    """Before: `ltv = 1234567890123456.78` also matched `...56.77` (a Float64 literal)."""
    people = [{"id": i, "ltv": v, "n": i} for i, v in enumerate(LTV, start=1)]
    when = AS_OF - dt.timedelta(days=1)
    buys = [{"id": 1, "at": when, "amount": LTV[0]}, {"id": 1, "at": when, "amount": Decimal("0.01")},
            *({"id": 4, "at": when, "amount": Decimal("0.10")} for _ in range(3))]
    data: dict[str, list[dict[str, Any]]] = {"people": people, "buys": buys}
    clickhouse_engine.load("people", {"id": "integer", "ltv": "decimal", "n": "integer"}, people)
    clickhouse_engine.load("buys", {"id": "integer", "at": "timestamp", "amount": "decimal"}, buys)
    for expr in _decimal_audiences():
        checked = checked_for(expr, DECIMALS)
        sql = compile_sql(checked, "clickhouse", AS_OF)
        got = {r[0] for r in clickhouse_engine.query(sql)}
        expected = evaluate(checked, data, as_of=AS_OF)
        assert got == expected, (expr, sorted(got), sorted(expected), sql)
