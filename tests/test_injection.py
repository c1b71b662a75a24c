"""Injection and literal round trips for every dialect.

Each value of an injection corpus, used in every condition kind that takes a
string (and as market-provided consent/event values), must

1. compile to exactly one statement when the SQL is parsed back with sqlglot;
2. change nothing but literal nodes: the parsed tree, with every string literal
   (and every chain of literals and ``CHR(n)`` joined by ``||``/``CONCAT``)
   replaced by a placeholder, is the same as for a harmless value;
3. come back unchanged: folding those literal chains yields the value itself;
4. on the executable engines, select exactly the profiles the evaluator selects.

Identifiers from the market (reserved words, mixed case, spaces, quotes) must
always be quoted, and must appear in the SQL as written.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from audiencelang import ast
from audiencelang.check.checked import CheckedAudience
from audiencelang.eval import evaluate, fold_case
from audiencelang.schema.market import Market
from tests import engines
from tests.datagen import compile_sql

AS_OF = dt.datetime(2024, 6, 15, 12, 0, tzinfo=dt.UTC)
DIALECTS = ["duckdb", "postgres", "sqlite", "snowflake", "bigquery", "redshift", "databricks", "spark",
            "trino", "clickhouse", "mysql", "tsql"]
MEGABYTE = ("x' OR 1=1 -- */ $$ \u2019" * 40_000)[:999_999] + "\\"
"""A 1 MB value with quotes everywhere and one trailing backslash."""
BACKSLASH_MEGABYTE = ("x\\' OR 1=1 -- " * 70_000)[:1_000_000]
"""A 1 MB value with 70,000 backslashes (PostgreSQL spells each as CHR(92))."""
CORPUS = [
    "x' OR 1=1 --",
    "x\\' OR 1=1 --",
    "trailing\\",
    "\\",
    "''",
    "*/",
    "/* x",
    "$$",
    "$q$ OR 1=1 $q$",
    "\u2018x\u2019 OR \u201c1\u201d",   # unicode quotes
    "\u202eevil\u2066x\u2069",          # bidi controls
    'a"b',
    "`tick`",
    "]] OR [1]=[1]",
    "%_\\%",
    "line\nbreak\r\ttab",
    "; DROP TABLE users; --",
    "{fn x}",
    "\\x27",
    "?",
    "%s",
    ":name",
    # Spark/Databricks substitute ${...} in the SQL text, inside literals too (tests/test_sessions.py
    # runs these with a Spark conf, a Java system property and an environment variable holding a quote)
    "${env:AUDIENCELANG_TEST_EVIL}",
    "${system:user.home}",
    "${system:audiencelang.evil}",
    "${audiencelang.evil}",
    "${spark:audiencelang.evil}",
    "${hiveconf:x}",
    "$${env:HOME}",
    "a${x}b",
    "${",
    "{{ name }}",  # a Databricks SQL editor parameter, replaced inside literals too
]
HARMLESS = "harmless"

# A market whose physical names are all hostile; logical names are ordinary.
MARKET = Market.model_validate({
    "market": "m",
    "profiles": {"table": "select.order", "id": "user", "traits": {
        "s": {"column": "my col", "type": "string"},
        "n": {"column": 'we"ird', "type": "integer"},
        "mixed": {"column": "Abc", "type": "string"},
    }},
    "events": {"ev": {"table": "group", "user": "from", "time": "it's", "where": {"column": "a`b", "equals": "k"},
                      "properties": {"p": {"column": "[br]", "type": "string"},
                                     "v": {"column": "member_id", "type": "decimal"}}}},
    "consent": {"table": "params", "user": "user", "purpose": "Mixed Case", "status": "desc",
                "time": "table", "confirmed": "end",
                "statuses": {"granted": "g", "denied": "d", "revoked": "r"},
                "purposes": {"ads": {"value": "ads", "mode": "opt_in"}}},
}, strict=False)
PHYSICAL = {"select", "order", "user", "my col", 'we"ird', "Abc", "group", "from", "it's", "a`b", "[br]",
            "member_id", "params", "Mixed Case", "desc", "table", "end"}


def _market_with(status: str, purpose: str, kind: str) -> Market:
    doc = MARKET.model_dump(mode="json")
    doc["consent"]["statuses"]["granted"] = status
    doc["consent"]["purposes"]["ads"]["value"] = purpose
    doc["events"]["ev"]["where"]["equals"] = kind
    return Market.model_validate(doc, strict=False)


def _name(v: str) -> ast.Name:
    return ast.Name(value=v)


def _s(v: str) -> ast.StringLit:
    return ast.StringLit(value=v)


# condition kind -> (builder of the include expression for value v, whether the literal is lowered)
KINDS: dict[str, tuple[Callable[[str], ast.Expr], bool]] = {
    "eq": (lambda v: ast.Compare(target=_name("s"), op="=", value=_s(v)), False),
    "ne": (lambda v: ast.Compare(target=_name("s"), op="!=", value=_s(v)), False),
    "not_eq": (lambda v: ast.Not(operand=ast.Compare(target=_name("s"), op="=", value=_s(v))), False),
    "in": (lambda v: ast.InList(target=_name("s"), values=(_s(v), _s("b"))), False),
    "not_in": (lambda v: ast.InList(target=_name("s"), values=(_s(v),), negated=True), False),
    "contains": (lambda v: ast.StringMatch(target=_name("s"), op="contains", value=_s(v)), False),
    "starts_with": (lambda v: ast.StringMatch(target=_name("s"), op="starts_with", value=_s(v)), False),
    "ends_with": (lambda v: ast.StringMatch(target=_name("mixed"), op="ends_with", value=_s(v)), False),
    "contains_ci": (lambda v: ast.StringMatch(target=_name("s"), op="contains", value=_s(v), ignore_case=True), True),
    "not_starts_ci": (lambda v: ast.Not(operand=ast.StringMatch(target=_name("s"), op="starts_with", value=_s(v),
                                                                ignore_case=True)), True),
    "event_where": (lambda v: ast.Performed(event=_name("ev"), where=ast.Compare(target=_name("p"), op="=",
                                                                                 value=_s(v))), False),
    "aggregate_where": (lambda v: ast.Compare(
        target=ast.Aggregate(func="count", event=_name("ev"),
                             where=ast.StringMatch(target=_name("p"), op="ends_with", value=_s(v))),
        op=">=", value=ast.NumberLit(value=Decimal(1))), False),
}


def checked_for(expr: ast.Expr, market: Market = MARKET, consent: bool = False) -> CheckedAudience:
    req = (ast.RequireConsent(purposes=(_name("ads"),)),) if consent else ()
    aud = ast.Audience(name=_name("a"), include=expr, require_consent=req)
    return CheckedAudience("a", aud, market, None, {"a": aud}, {})


# --------------------------------------------------------------------------- parsing back


_CONCATS = (exp.DPipe, exp.Concat, exp.SafeConcat) if hasattr(exp, "SafeConcat") else (exp.DPipe, exp.Concat)


def _fold(node: exp.Expression) -> str | None:
    """The text of a string literal, a ``CHR(n)``/``CHAR(n)``/``NCHAR(n)`` call, or a chain of
    them joined by ``||`` or ``CONCAT``; ``None`` for anything else."""
    if isinstance(node, exp.Literal) and node.is_string:
        return str(node.this)
    if isinstance(node, exp.Paren):
        return _fold(node.this)
    if isinstance(node, exp.Replace):  # REPLACE('a<ph>b', '<ph>', CHR(92)): PostgreSQL backslashes
        parts3 = [_fold(node.this), _fold(node.expression), _fold(node.args["replacement"])]
        if all(p is not None for p in parts3):
            text, old, new = (p or "" for p in parts3)
            return text.replace(old, new)
        return None
    if isinstance(node, exp.National):
        return str(node.this)
    if isinstance(node, exp.Cast) and isinstance(node.this, exp.HexString):  # Spark: CAST(X'..' AS STRING)
        return bytes.fromhex(str(node.this.this)).decode()
    if isinstance(node, exp.Chr | exp.Anonymous) or type(node).__name__ in ("Chr", "Char"):
        args = node.expressions if node.expressions else [node.this]
        name = node.name.upper() if isinstance(node, exp.Anonymous) else "CHR"
        if name in ("CHR", "CHAR", "NCHAR") and len(args) == 1 and isinstance(args[0], exp.Literal) \
                and not args[0].is_string:
            return chr(int(args[0].this))
        return None
    if isinstance(node, _CONCATS):
        # flatten the (possibly 100,000 deep) chain iteratively
        parts: list[exp.Expression] = []
        stack: list[exp.Expression] = [node]
        while stack:
            cur = stack.pop()
            if isinstance(cur, _CONCATS):
                kids = list(cur.expressions) if cur.expressions else [cur.this, cur.expression]
                stack.extend(reversed(kids))
            elif isinstance(cur, exp.Paren) and isinstance(cur.this, _CONCATS):
                stack.append(cur.this)
            else:
                parts.append(cur)
        folded = [_fold(p) for p in parts]
        if all(f is not None for f in folded):
            return "".join(f for f in folded if f is not None)
    return None


def literal_texts_and_shape(sql: str, dialect: str) -> tuple[list[str], str]:
    """Parse ``sql`` (exactly one statement) and return the folded texts of its string
    literal chains and its SQL with each chain replaced by ``'?'`` (and each number by 0)."""
    statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    assert len(statements) == 1, f"{dialect}: {len(statements)} statements"
    tree = statements[0]
    texts: list[str] = []

    def replace(node: exp.Expression) -> exp.Expression:
        folded = _fold(node)
        if folded is not None:
            texts.append(folded)
            return exp.Literal.string("?")
        if isinstance(node, exp.Literal):  # lengths of the value (SUBSTRING(x, 1, n)) differ
            return exp.Literal.number(0)
        return node

    shape = tree.transform(replace, copy=True).sql(dialect="duckdb")
    return texts, shape


def quoted_identifiers_ok(sql: str, dialect: str) -> set[str]:
    """Every identifier naming a physical market name is quoted; returns the names seen."""
    tree = sqlglot.parse_one(sql, read=dialect)
    seen = set()
    for ident in tree.find_all(exp.Identifier):
        if ident.this in PHYSICAL:
            seen.add(ident.this)
            assert ident.quoted, f"{dialect}: identifier {ident.this!r} is not quoted"
    return seen


VALUES = [pytest.param(v, id=repr(v)[:30]) for v in CORPUS]


def every_kind(value: str) -> ast.Expr:
    """One expression using ``value`` in every condition kind (one compile per value)."""
    return ast.Or(items=tuple(build(value) for build, _ in KINDS.values()))


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("value", VALUES)
def test_string_values_stay_literals(dialect: str, value: str) -> None:
    sql = compile_sql(checked_for(every_kind(value)), dialect, AS_OF)
    texts, shape = literal_texts_and_shape(sql, dialect)
    assert value in texts, (dialect, sql[:3000])
    assert fold_case(value) in texts, (dialect, sql[:3000])
    harmless = compile_sql(checked_for(every_kind("h" * len(value))), dialect, AS_OF)  # same length
    _, harmless_shape = literal_texts_and_shape(harmless, dialect)
    assert shape == harmless_shape, (dialect, sql[:3000], harmless[:3000])


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("value", VALUES)
def test_market_values_stay_literals(dialect: str, value: str) -> None:
    """Consent status/purpose values and an event's ``where: equals`` come from YAML: same rules."""
    expr = ast.Or(items=(ast.Performed(event=_name("ev")), ast.HasConsent(purpose=_name("ads"))))
    sql = compile_sql(checked_for(expr, _market_with(value, value + "p", value + "k"), consent=True), dialect, AS_OF)
    harmless = compile_sql(checked_for(expr, _market_with("g", "gp", "gk"), consent=True), dialect, AS_OF)
    texts, shape = literal_texts_and_shape(sql, dialect)
    assert {value, value + "p", value + "k"} <= set(texts), (dialect, sql[:3000])
    assert shape == literal_texts_and_shape(harmless, dialect)[1]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_megabyte_string_is_one_literal(dialect: str) -> None:
    sql = compile_sql(checked_for(KINDS["eq"][0](MEGABYTE)), dialect, AS_OF)
    texts, _ = literal_texts_and_shape(sql, dialect)
    assert MEGABYTE in texts


@pytest.mark.parametrize("dialect", DIALECTS)
def test_hostile_identifiers_are_quoted_and_kept(dialect: str) -> None:
    expr = ast.And(items=(
        ast.Compare(target=_name("s"), op="=", value=_s("x")),
        ast.Compare(target=_name("n"), op=">", value=ast.NumberLit(value=Decimal(1))),
        ast.StringMatch(target=_name("mixed"), op="contains", value=_s("x"), ignore_case=True),
        ast.Compare(target=ast.Aggregate(func="sum", event=_name("ev"), property=_name("v"),
                                         where=ast.IsNull(target=_name("p"))),
                    op=">", value=ast.NumberLit(value=Decimal(0))),
    ))
    # double opt-in, so the consent's confirmed column ("end") is read too (the SQL reads it only then)
    doc = MARKET.model_dump(mode="json")
    doc["consent"]["purposes"]["ads"]["double_opt_in"] = True
    sql = compile_sql(checked_for(expr, Market.model_validate(doc, strict=False), consent=True), dialect, AS_OF)
    seen = quoted_identifiers_ok(sql, dialect)
    assert seen >= {"select", "order", "user", "my col", 'we"ird', "Abc", "group", "from", "it's", "a`b",
                    "[br]", "member_id", "params", "Mixed Case", "desc", "table", "end"}, seen


# --------------------------------------------------------------------------- on real engines


def injection_data(market: Market = MARKET) -> tuple[dict[str, dict[str, str]], dict[str, list[dict[str, Any]]]]:
    """Profiles whose strings are each corpus value, a variant around it and its upper case."""
    values: list[str | None] = [None, "", "b", HARMLESS]
    for v in CORPUS:
        values += [v, f"x{v}y", v.upper(), v[1:]]
    profiles, events = [], []
    for pid, v in enumerate(values, start=1):
        profiles.append({"user": pid, "my col": v, 'we"ird': pid, "Abc": v})
        events.append({"from": pid, "it's": AS_OF, "a`b": "k", "[br]": v, "member_id": Decimal(1)})
    columns = {
        "select.order": {"user": "integer", "my col": "string", 'we"ird': "integer", "Abc": "string"},
        "group": {"from": "integer", "it's": "timestamp", "a`b": "string", "[br]": "string", "member_id": "decimal"},
        "params": {"user": "integer", "Mixed Case": "string", "desc": "string", "table": "timestamp",
                   "end": "timestamp"},
    }
    return columns, {"select.order": profiles, "group": events, "params": []}


def run_corpus_on(engine: engines.Engine, *, ascii_case: bool = False, kinds: list[str] | None = None,
                  values: list[str] | None = None) -> int:
    columns, data = injection_data()
    for table, cols in columns.items():
        engine.load(table, cols, data[table])
    compared = 0
    for value in CORPUS if values is None else values:
        for kind in kinds or list(KINDS):
            checked = checked_for(KINDS[kind][0](value))
            sql = compile_sql(checked, engine.dialect, AS_OF)
            got = {r[0] for r in engine.query(sql)}
            expected = evaluate(checked, data, as_of=AS_OF, ascii_case_folding=ascii_case)
            assert got == expected, f"{engine.name} {kind} {value!r}:\n{sql}\ngot {sorted(got)} expected {sorted(expected)}"
            compared += 1
    return compared


def test_corpus_on_duckdb() -> None:
    con = duckdb.connect(":memory:")
    try:
        assert run_corpus_on(engines.duckdb_engine(con)) == len(CORPUS) * len(KINDS)
    finally:
        con.close()


def test_corpus_on_sqlite() -> None:
    con = sqlite3.connect(":memory:")
    try:
        assert run_corpus_on(engines.sqlite_engine(con), ascii_case=True) == len(CORPUS) * len(KINDS)
    finally:
        con.close()
