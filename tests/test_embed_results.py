"""The non-raising forms of the reference evaluator and of connect (issue 16 item 3):
evaluate_members / explain_member / open_engine return diagnostics where the oracle
forms raise."""

from __future__ import annotations

import datetime as dt

import audiencelang
from audiencelang.run import open_engine

AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
MARKET = """market: m
profiles:
  table: people
  id: id
  traits:
    age: {column: age, type: integer}
"""
AUDIENCES = 'audience adults {\n  include age >= 18\n}\n'


def _checked() -> audiencelang.CheckedAudience:
    project = audiencelang.project_from_sources(markets={"markets/m.yaml": MARKET},
                                                audiences={"audiences/a.aud": AUDIENCES})
    checked, diags = audiencelang.check_audience(project, "adults", "m")
    assert checked is not None, diags
    return checked


def test_evaluate_members_gives_the_members() -> None:
    rows = {"people": [{"id": 1, "age": 30}, {"id": 2, "age": 9}, {"id": 3, "age": None}]}
    result = audiencelang.evaluate_members(_checked(), rows, as_of=AS_OF)
    assert result.ok and result.members == {1} and result.diagnostics == ()


def test_bad_inputs_of_the_evaluator_are_diagnostics() -> None:
    checked = _checked()
    rows = {"people": [{"id": 1, "age": "30"}]}
    bad_row = audiencelang.evaluate_members(checked, rows, as_of=AS_OF)
    assert bad_row.members is None and [d.code for d in bad_row.diagnostics] == ["E650"]
    assert "people.age" in bad_row.diagnostics[0].message
    text_as_of = audiencelang.evaluate_members(checked, {}, as_of="2026-11-01")  # type: ignore[arg-type]
    assert [d.code for d in text_as_of.diagnostics] == ["E903"]
    not_rows = audiencelang.evaluate_members(checked, [1, 2], as_of=AS_OF)  # type: ignore[arg-type]
    assert [d.code for d in not_rows.diagnostics] == ["E900"]
    dest = audiencelang.evaluate_members(checked, {}, as_of=AS_OF, destination="meta")
    assert [d.code for d in dest.diagnostics] == ["E502"]


def test_explain_member() -> None:
    checked = _checked()
    rows = {"people": [{"id": 1, "age": 30}]}
    found = audiencelang.explain_member(checked, rows, 1, as_of=AS_OF)
    assert found.ok and found.explanation is not None and found.explanation.member
    missing = audiencelang.explain_member(checked, rows, 7, as_of=AS_OF)
    assert missing.explanation is not None and not missing.explanation.found
    bad = audiencelang.explain_member(checked, rows, 1, as_of=dt.date(2026, 11, 1))  # type: ignore[arg-type]
    assert bad.explanation is None and [d.code for d in bad.diagnostics] == ["E903"]
    wrong = audiencelang.explain_member(checked, {"people": [{"id": 1, "age": "30"}]}, 1, as_of=AS_OF)
    assert [d.code for d in wrong.diagnostics] == ["E650"]


def test_open_engine_returns_the_engine_or_why_not(tmp_path: object) -> None:
    opened = open_engine(":memory:")
    assert opened.ok and opened.engine is not None
    with opened.engine as engine:
        assert engine.dialect == "duckdb"
    missing = open_engine("/nonexistent/folder/w.duckdb")
    assert missing.engine is None and [d.code for d in missing.diagnostics] == ["E601"]
    assert [d.code for d in open_engine(42).diagnostics] == ["E900"]  # type: ignore[arg-type]
