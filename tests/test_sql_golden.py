"""Compiled SQL as text: golden files, determinism, re-parsing, shape, injection, diagnostics.

Golden files: ``tests/golden/<dialect>/<audience>__<market>.sql`` for every audience
and market of the example project, compiled with ``as_of`` 2026-11-01T00:00:00Z
and no destination. Regenerate after an intended change with
``AUDIENCELANG_UPDATE_GOLDEN=1 .venv/bin/pytest -q tests/test_sql_golden.py``
and review the diff.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from audiencelang import sql as sqlmod
from audiencelang.check.checked import CheckedAudience
from audiencelang.project import Project, load_project
from audiencelang.schema import Destination, load_market_text
from audiencelang.sql import DIALECTS, compile, compile_audience
from audiencelang.sql import plan as P
from audiencelang.sql.build import BuildError
from audiencelang.sql.sample import UNSUPPORTED as SAMPLE_UNSUPPORTED
from audiencelang.syntax import parse

REPO = Path(__file__).resolve().parent.parent
GOLDEN = REPO / "tests" / "golden"
AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
UPDATE = os.environ.get("AUDIENCELANG_UPDATE_GOLDEN") == "1"


@pytest.fixture(scope="module")
def project() -> Project:
    p = load_project(REPO / "examples")
    assert not [d for d in p.diagnostics if d.is_error]
    return p


def refused(res: sqlmod.CompileResult, dialect: str) -> bool:
    """Whether ``res`` is an example the dialect refuses on purpose: ``in sample`` on a dialect
    without an exact MD5 of UTF-8 text (E520: sqlite; examples/audiences/winback_holdout.aud).
    Its golden file ``<audience>__<market>.E520.txt`` holds the diagnostic instead of SQL."""
    if res.query is not None:
        return False
    assert [d.code for d in res.diagnostics] == ["E520"] and dialect in SAMPLE_UNSUPPORTED, (dialect, res.diagnostics)
    return True


def golden_text(res: sqlmod.CompileResult, dialect: str, stem: str) -> tuple[str, str]:
    """The golden file name and text of a compiled example: its SQL, or its E520 diagnostic."""
    if refused(res, dialect):
        (d,) = res.diagnostics
        return f"{stem}.E520.txt", f"error[{d.code}]: {d.message}\n"
    assert res.query is not None
    return f"{stem}.sql", res.query.sql


def _cases(project: Project) -> Iterator[tuple[str, str]]:
    for a in sorted(project.audiences()):
        for m in sorted(project.markets):
            yield a, m


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_golden_sql(project: Project, dialect: str) -> None:
    folder = GOLDEN / dialect
    expected_files = set()
    mismatches = []
    for a, m in _cases(project):
        res = compile(project, a, m, dialect, as_of=AS_OF)
        name, text = golden_text(res, dialect, f"{a}__{m}")
        path = folder / name
        expected_files.add(path.name)
        if UPDATE:
            folder.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        elif not path.exists() or path.read_text(encoding="utf-8") != text:
            mismatches.append(path.name)
    assert not mismatches, f"{dialect}: SQL differs from golden files {mismatches} (AUDIENCELANG_UPDATE_GOLDEN=1)"
    assert {p.name for p in [*folder.glob("*.sql"), *folder.glob("*.E520.txt")]} == expected_files, "stale golden files"


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_every_statement_parses_back_as_one_statement_with_each_table_read_once(
    project: Project, dialect: str
) -> None:
    for a, m in _cases(project):
        for destination in [None, *sorted(project.config.destinations)]:
            res = compile(project, a, m, dialect, as_of=AS_OF, destination=destination)
            if destination is not None and res.query is None and res.diagnostics[-1].code == "E502":
                continue  # not activated by this audience
            if refused(res, dialect):
                continue
            assert res.query is not None, res.diagnostics
            statements = sqlglot.parse(res.query.sql, read=dialect)
            assert len(statements) == 1 and statements[0] is not None
            tree = statements[0]
            physical = [t for t in tree.find_all(exp.Table) if t.args.get("db") is not None]
            names = [(t.db, t.name) for t in physical]
            plan = res.query.plan
            scans = [s for s in plan.scans if not isinstance(s, P.SequenceScan)]
            # a sequence (spec §8) reads each step's table once, in one pass per step
            # (docs/sql.md, "Behaviour over time"), whichever tables other scans read
            step_reads = [tuple(st.table[-2:]) for s in plan.scans if isinstance(s, P.SequenceScan)
                          for st in s.steps]
            for r in step_reads:
                assert r in names, (a, m, r, names)
                names.remove(r)
            if DIALECTS[dialect].split_scans:
                # one read per distinct row filter of a table (docs/sql.md, "scan strategy")
                reads = [plan.profiles.table, *(s.table for s in scans)]
                reads += [plan.consent.table] if plan.consent is not None else []
                assert sorted(names) == sorted(tuple(r[-2:]) for r in reads), (a, m, names)
                keys = [(s.table, s.prune) for s in scans]
                assert len(keys) == len(set(keys)), f"{a}/{m}: two scans read the same rows"
            else:
                assert len(names) == len(set(names)), f"{a}/{m}/{dialect}: a table is read twice: {names}"
            ctes = [c.alias for c in tree.find_all(exp.CTE)]
            assert len(ctes) == len(set(ctes))
            # every CTE is used exactly once (engines that inline CTEs then evaluate each once);
            # DuckDB, which does not inline a CTE read twice, may also read `profiles` in a
            # scan's semi-join (docs/sql.md)
            refs = [t.name for t in tree.find_all(exp.Table) if t.args.get("db") is None]
            for c in ctes:
                if c == "params" or (c == "profiles" and dialect == "duckdb"):
                    assert refs.count(c) >= 1, (c, refs)
                    continue
                assert refs.count(c) == 1, (c, refs)
            assert res.query.sql.startswith(f"-- audience {a} | market {m} | dialect {dialect} | as_of ")


def test_same_input_same_bytes_across_processes() -> None:
    """Two fresh interpreters with different hash seeds produce identical SQL for everything."""
    script = (
        "import datetime as dt, hashlib, sys\n"
        "from audiencelang.project import load_project\n"
        "from audiencelang.sql import compile, DIALECTS\n"
        "p = load_project(sys.argv[1]); h = hashlib.sha256()\n"
        "for d in sorted(DIALECTS):\n"
        "  for a in sorted(p.audiences()):\n"
        "    for m in sorted(p.markets):\n"
        "      for as_of in (dt.datetime(2026, 11, 1, tzinfo=dt.UTC), None):\n"
        "        r = compile(p, a, m, d, as_of=as_of)\n"
        "        h.update((r.query.sql if r.query else repr([x.code for x in r.diagnostics])).encode())\n"
        "        if r.query: h.update(repr(r.query.plan.to_dict()).encode())\n"
        "print(h.hexdigest())\n"
    )
    digests = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run([sys.executable, "-c", script, str(REPO / "examples")], env=env,
                             capture_output=True, text=True, timeout=600, check=True)
        digests.append(out.stdout.strip())
    assert digests[0] == digests[1] and len(digests[0]) == 64


def test_plan_is_json_serialisable(project: Project) -> None:
    res = compile(project, "cart_abandoners", "de", "duckdb", as_of=AS_OF, destination="meta_ads")
    assert res.query is not None
    d = res.query.plan.to_dict()
    text = json.dumps(d, sort_keys=True)
    assert [s["name"] for s in d["scans"]] == ["ev_add_to_cart", "ev_purchase"]
    res = compile(project, "cart_abandoners", "de", "postgres", as_of=AS_OF, destination="meta_ads")
    assert res.query is not None
    assert [s.name for s in res.query.plan.scans] == ["events_web_ereignisse", "events_shop_bestellungen"]
    assert [a["name"] for a in d["audiences"]] == ["existing_customers"]
    assert d["output"] == {"mode": "members", "destination": "meta_ads", "identifier": "t_email_sha256",
                           "min_size": 1000, "suppress": []}
    assert json.loads(text) == json.loads(json.dumps(d, sort_keys=True))
    assert res.query.columns == ("member_id", "identifier") and res.query.min_size == 1000


# --------------------------------------------------------------------------- hostile values

HOSTILE = ["x' OR 1=1 --", "x\\' OR 1=1 --", "x\\", "*/ OR 1=1 /*", "$$ OR 1=1 $$", "a\"b` OR 1=1 ]"]

HOSTILE_MARKET = """
market: h
profiles:
  table: 'we"ird.Pro files'
  id: 'i"d'
  traits:
    name: {column: 'na`me]', type: string}
    n:    {column: 'select', type: integer}
events:
  e:
    table: 'x.ev"ents'
    user: 'u"ser'
    time: 'T ime'
    where: {column: 'k]ind', equals: "x' OR 1=1 --"}
    properties:
      p: {column: 'p''rop', type: string}
"""


def _escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"')


def test_injection_strings_stay_inside_literals() -> None:
    market, diags = load_market_text(HOSTILE_MARKET)
    assert market is not None, diags
    tests = " or ".join(
        f'name = "{_escape(h)}" or name contains "{_escape(h)}" or name ends with "{_escape(h)}" ignoring case'
        for h in HOSTILE
    )
    text = (f"audience a {{ include {tests} or (performed e where p starts with \"{_escape(HOSTILE[1])}\") "
            f"or n in [1] }}")
    result = parse(text)
    assert result.file is not None, result.diagnostics
    aud = result.file.audiences[0]
    checked = CheckedAudience(name="a", audience=aud, market=market, audiences={"a": aud})
    physical = {'we"ird', "Pro files", 'i"d', "na`me]", "select", "x", 'ev"ents', 'u"ser', "T ime", "k]ind", "p'rop"}
    for dialect in sorted(DIALECTS):
        res = compile_audience(checked, dialect, as_of=AS_OF)
        assert res.query is not None, (dialect, res.diagnostics)
        statements = sqlglot.parse(res.query.sql, read=dialect)
        assert len(statements) == 1
        tree = statements[0]
        assert tree is not None
        literals = "".join(str(node.this) for node in tree.find_all(exp.Literal, exp.National) if node.is_string)
        # Spark/Databricks write a value holding ', \ or $ as CAST(X'<UTF-8 hex>' AS STRING)
        literals += "".join(bytes.fromhex(str(node.this)).decode() for node in tree.find_all(exp.HexString))
        for node in tree.walk():
            if isinstance(node, (exp.Literal, exp.National)):
                continue
            if isinstance(node, exp.Identifier):
                assert "1=1" not in node.name, (dialect, node.name)
                continue
            for value in node.args.values():
                if isinstance(value, str):
                    assert "1=1" not in value, (dialect, type(node).__name__, value)
            assert not any("1=1" in c for c in (node.comments or [])), (dialect, node.comments)
        for h in HOSTILE:
            for piece in h.split("\\"):  # PostgreSQL writes a backslash as CHR(92)
                assert piece.lower() in literals.lower(), (dialect, h)
        idents = {i.name for i in tree.find_all(exp.Identifier)}
        assert physical <= idents, (dialect, physical - idents)


# --------------------------------------------------------------------------- diagnostics


def test_unknown_dialect_and_destination_and_missing_as_of(project: Project) -> None:
    res = compile(project, "cart_abandoners", "de", "oracle-ish", as_of=AS_OF)
    assert res.query is None and res.diagnostics[0].code == "E500"
    assert "duckdb" in res.diagnostics[0].hints[0]
    res = compile(project, "cart_abandoners", "de", "duckdb", as_of=AS_OF, destination="tiktok_ads")
    assert res.query is None and res.diagnostics[0].code == "E502"
    assert res.diagnostics[0].span is not None and res.diagnostics[0].span.path == "audiences/cart_abandoners.aud"
    for dialect in DIALECTS:  # no as_of: the warehouse clock, on every dialect (E504 retired)
        res = compile(project, "cart_abandoners", "de", dialect)
        assert res.query is not None and not res.diagnostics, (dialect, res.diagnostics)
    res = compile(project, "no_such_audience", "de", "duckdb", as_of=AS_OF)
    assert res.query is None and res.diagnostics[0].code == "E610"


def test_clickhouse_out_of_range_date_is_a_diagnostic() -> None:
    market, _ = load_market_text(HOSTILE_MARKET)
    assert market is not None
    result = parse("audience a { include n = 1 or performed e since 1850-01-01 }")
    assert result.file is not None
    aud = result.file.audiences[0]
    checked = CheckedAudience(name="a", audience=aud, market=market, audiences={"a": aud})
    res = compile_audience(checked, "clickhouse", as_of=AS_OF)
    assert res.query is None and res.diagnostics[0].code == "E505"
    assert compile_audience(checked, "duckdb", as_of=AS_OF).query is not None


def test_function_allow_list_blocks_functions_a_dialect_lacks(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    strict = dataclasses.replace(DIALECTS["trino"], functions=DIALECTS["trino"].functions - {"STRPOS"})
    monkeypatch.setitem(sqlmod.DIALECTS, "trino", strict)
    res = compile(project, "holiday_shoppers", "us", "trino", as_of=AS_OF)
    assert res.query is None
    assert res.diagnostics[-1].code == "E501" and "STRPOS" in res.diagnostics[-1].message


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_functions_recorded_while_building_are_exactly_those_in_the_tree(project: Project, dialect: str) -> None:
    """The allow-list is checked on the functions recorded while building (no tree walk):
    every function node of the finished statement must have been recorded."""
    from audiencelang.check import check_audience
    from audiencelang.sql.build import build_with_functions
    from audiencelang.sql.lower import lower

    def key(n: exp.Expr) -> tuple[str, str]:
        return (type(n).__name__, n.name if isinstance(n, exp.Anonymous) else "")

    def walked(tree: exp.Expr) -> set[tuple[str, str]]:
        return {key(n) for n in tree.walk() if isinstance(n, exp.Func)
                and not isinstance(n, (exp.Unary, exp.Binary, exp.Connector))}

    for a, m in _cases(project):
        checked, _ = check_audience(project, a, m)
        assert checked is not None
        for as_of in (AS_OF, None):
            try:
                tree, functions = build_with_functions(lower(checked, as_of=as_of), DIALECTS[dialect])
            except BuildError as exc:
                assert exc.code == "E520" and dialect in SAMPLE_UNSUPPORTED, (a, m, dialect, exc)
                continue
            assert {key(f) for f in functions} == walked(tree), (a, m, dialect)


def test_gate_uses_the_larger_minimum(project: Project) -> None:
    small = compile(project, "big_spenders", "us", "duckdb", as_of=AS_OF, destination="meta_ads")
    assert small.query is not None and small.query.min_size == 1000  # max(100, 1000)
    res = compile(project, "holiday_shoppers", "us", "duckdb", as_of=AS_OF, destination="tiktok_ads")
    assert res.query is not None and res.query.min_size == 1000
    res = compile(project, "newsletter_winback", "us", "duckdb", as_of=AS_OF, destination="newsletter")
    assert res.query is not None and res.query.min_size == 0 and "member_count" not in res.query.sql


def test_destination_without_identifier() -> None:
    market, _ = load_market_text(HOSTILE_MARKET)
    assert market is not None
    result = parse("audience a { include n = 1 activate d }")
    assert result.file is not None
    aud = result.file.audiences[0]
    checked = CheckedAudience(name="a", audience=aud, market=market, audiences={"a": aud},
                              destinations={"d": Destination(min_size=5)})
    res = compile_audience(checked, "duckdb", as_of=AS_OF, destination="d")
    assert res.query is None and res.diagnostics[0].code == "E503"


def test_header_digest_is_stable() -> None:
    # the header never carries anything run-dependent (time of compilation, paths, object ids)
    p = load_project(REPO / "examples")
    a = compile(p, "lifecycle_x", "de", "duckdb", as_of=AS_OF)
    assert a.query is None
    first = compile(p, "existing_customers", "de", "duckdb", as_of=AS_OF)
    second = compile(load_project(REPO / "examples"), "existing_customers", "de", "duckdb", as_of=AS_OF)
    assert first.query is not None and second.query is not None
    assert hashlib.sha256(first.query.sql.encode()).digest() == hashlib.sha256(second.query.sql.encode()).digest()
    assert first.query.sql.splitlines()[0] == (
        "-- audience existing_customers | market de | dialect duckdb | as_of 2026-11-01T00:00:00Z | "
        "audiencelang 0.1.0")


def test_fractional_literals_stay_exact_on_bigquery() -> None:
    """BigQuery reads 19.99 as FLOAT64: fractional literals are cast to NUMERIC there, nowhere else."""
    market, _ = load_market_text(HOSTILE_MARKET)
    assert market is not None
    result = parse("audience a { include n > 19.99 or n between -1.5 and 2 }")
    assert result.file is not None
    aud = result.file.audiences[0]
    checked = CheckedAudience(name="a", audience=aud, market=market, audiences={"a": aud})
    bq = compile_audience(checked, "bigquery", as_of=AS_OF).query
    assert bq is not None
    tree = sqlglot.parse_one(bq.sql, read="bigquery")
    numerics = {c.this.this for c in tree.find_all(exp.Cast) if c.to.is_type(exp.DataType.Type.DECIMAL)}
    assert numerics == {"19.99", "-1.5"}
    duck = compile_audience(checked, "duckdb", as_of=AS_OF).query
    assert duck is not None and "19.99" in duck.sql and "NUMERIC" not in duck.sql and "DECIMAL" not in duck.sql
