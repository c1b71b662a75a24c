"""Emit-only dialects (no engine here): generated audiences compile to one statement that
sqlglot parses back in the same dialect, calling only allow-listed functions.

The allow-list is the SQL backend's own (``audiencelang.sql.dialects.DIALECTS[d].functions``),
checked independently here on the emitted text: every ``NAME(`` outside string
literals and quoted identifiers must be a listed function or SQL syntax.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import sqlglot
from hypothesis import HealthCheck, given, settings
from sqlglot.tokens import TokenType

from audiencelang.sql import sample as sample_sql
from audiencelang.sql.dialects import DIALECTS
from tests.datagen import Scenario, compile_sql, scenarios

EMIT_ONLY = ["snowflake", "bigquery", "redshift", "databricks", "trino", "mysql", "tsql"]
SYNTAX = {"IN", "AS", "EXISTS", "VALUES", "OVER", "USING", "ON", "AND", "OR", "NOT", "SELECT", "FROM",
          "WHERE", "WITH", "JOIN", "THEN", "ELSE", "WHEN", "BETWEEN", "IS", "CASE", "CAST", "FILTER"}


def called_functions(sql: str, dialect: str) -> set[str]:
    tokens = sqlglot.tokenize(sql, read=dialect)
    out = set()
    for i, ((prev, tok), (_, nxt)) in enumerate(itertools.pairwise(itertools.pairwise([None, *tokens]))):
        if nxt is None or nxt.token_type != TokenType.L_PAREN:
            continue
        if prev is not None and prev.token_type == TokenType.ALIAS:  # CAST(x AS TIMESTAMP(6)): a type
            continue
        if (prev is not None and prev.token_type == TokenType.L_PAREN and i >= 2
                and tokens[i - 2].text.upper() == "CONVERT"):  # T-SQL CONVERT(VARCHAR(32), x, 2): a type
            continue
        if tok.token_type in (TokenType.STRING, TokenType.IDENTIFIER, TokenType.NATIONAL_STRING,
                              TokenType.L_PAREN, TokenType.R_PAREN, TokenType.COMMA):
            continue
        name = tok.text.upper()
        if name.isidentifier() and name not in SYNTAX:
            out.add(name)
    return out


@pytest.mark.parametrize("dialect", EMIT_ONLY)
def test_emit_only_dialects_parse_back_with_allowed_functions(dialect: str) -> None:
    allowed = {f.upper() for f in DIALECTS[dialect].functions}
    seen: set[str] = set()
    count: list[int] = []

    @settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), print_blob=True)
    @given(scenarios(n_audiences=6, samples=dialect not in sample_sql.UNSUPPORTED))
    def run(scn: Scenario) -> None:
        for aud in scn.audiences:
            sql = compile_sql(scn.checked(aud), dialect, scn.as_of)
            statements: list[Any] = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
            assert len(statements) == 1, sql
            called = called_functions(sql, dialect)
            seen.update(called)
            assert called <= allowed, (called - allowed, sql)
            count.append(1)

    run()
    assert sum(count) >= 36
    assert seen, "no function calls at all: the tokenizer check is not looking"
