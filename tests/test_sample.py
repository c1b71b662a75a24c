"""Spec §10 (stable random samples): syntax, checker, and the bucket function.

The cross-engine proof that SQL computes the same buckets is tests/test_sample_engines.py.
"""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal
from pathlib import Path

import pytest

import audiencelang
from audiencelang import ast
from audiencelang.sample import sample_bucket
from audiencelang.syntax import parse
from audiencelang.syntax.formatter import format_str

SPEC = Path(__file__).resolve().parent.parent / "docs" / "spec" / "LANGUAGE.md"


def spec_lines() -> list[str]:
    section = SPEC.read_text(encoding="utf-8").split("## 10. Stable random samples", 1)[1]
    block = re.search(r"```\n(.*?)```", section, re.S)
    assert block is not None
    return [line for line in block.group(1).splitlines() if line.strip()]


def include(snippet: str) -> ast.Node:
    result = parse(f"audience t {{ include {snippet} }}")
    assert result.diagnostics == [], [d.message for d in result.diagnostics]
    assert result.file is not None
    inc = result.file.audiences[0].include
    assert inc is not None
    return inc


def test_the_spec_lines_parse_exactly_as_written_and_print_back_unchanged() -> None:
    lines = spec_lines()
    assert lines == ['in sample 10% salt "q4_holdout"', 'not in sample 10% salt "q4_holdout"']
    pos, neg = (include(line) for line in lines)
    assert isinstance(pos, ast.InSample)
    assert pos.percent.value == Decimal(10) and pos.salt.value == "q4_holdout"
    assert isinstance(neg, ast.Not) and ast.strip_spans(neg.operand) == ast.strip_spans(pos)
    for line in lines:
        text = f"audience t {{\n  include {line}\n}}\n"
        assert format_str(text) == text


def test_the_holdout_line_of_the_spec_prose_parses() -> None:
    e = include('in audience x and not in sample 10% salt "x_holdout"')
    assert isinstance(e, ast.And)
    assert isinstance(e.items[1], ast.Not) and isinstance(e.items[1].operand, ast.InSample)


def test_fmt_writes_the_canonical_form() -> None:
    text = 'audience t { include in   sample 12.50 %  salt "a\\"b" and sample = 1 }'
    assert format_str(text) == ('audience t {\n  include in sample 12.50% salt "a\\"b" and sample = 1\n}\n')


def test_sample_and_salt_stay_usable_as_names() -> None:
    e = include("sample = 1 and salt > 2 and in audience sample")
    assert isinstance(e, ast.And) and len(e.items) == 3


def test_a_sample_without_a_salt_is_a_syntax_error_with_a_location() -> None:
    result = parse("audience t { include in sample 10% }")
    assert [d.code for d in result.diagnostics] == ["E101"]
    assert result.diagnostics[0].span.column == 36


# --------------------------------------------------------------------------- checker


def _check(tmp_path: Path, snippet: str) -> list[tuple[str, int, int, str]]:
    from audiencelang.check import check_project
    from audiencelang.project import load_project

    (tmp_path / "markets").mkdir()
    (tmp_path / "audiences").mkdir()
    (tmp_path / "audiencelang.toml").write_text("")
    (tmp_path / "markets" / "m.yaml").write_text(
        "market: m\nprofiles:\n  table: p\n  id: id\n  traits:\n    age: {column: age, type: integer}\n")
    (tmp_path / "audiences" / "a.aud").write_text(
        f'audience a {{\n  owner "o"\n  description "d"\n  include {snippet}\n}}\n')
    report = check_project(load_project(tmp_path))
    return [(d.code, d.span.line, d.span.column, d.message) for d in report.diagnostics
            if d.code.startswith("E")]


@pytest.mark.parametrize(("snippet", "code", "column", "message"), [
    ('in sample 0% salt "s"', "E330", 21, "sample percentage 0% is out of range"),
    ('in sample -5% salt "s"', "E330", 21, "sample percentage -5% is out of range"),
    ('in sample 100.01% salt "s"', "E330", 21, "sample percentage 100.01% is out of range"),
    ('not in sample 12.345% salt "s"', "E331", 25, "sample percentage 12.345% has more than two decimals"),
    ('in sample 10.000% salt "s"', "E331", 21, "sample percentage 10.000% has more than two decimals"),
    ('in sample 10% salt ""', "E332", 30, "the salt of a sample is empty"),
])
def test_the_checker_locates_each_malformed_sample(tmp_path: Path, snippet: str, code: str, column: int,
                                                    message: str) -> None:
    assert _check(tmp_path, snippet) == [(code, 4, column, message)]


@pytest.mark.parametrize("snippet", ['in sample 100% salt "s"', 'in sample 0.01% salt "s"',
                                     'in sample 12.5% salt "s"', 'not in sample 99.99% salt " "'])
def test_valid_samples_check_clean(tmp_path: Path, snippet: str) -> None:
    assert _check(tmp_path, snippet) == []


@pytest.mark.parametrize("code", ["E330", "E331", "E332"])
def test_the_codes_are_documented(code: str) -> None:
    from audiencelang.check.rules import get_rule

    assert get_rule(code) is not None
    errors = (Path(__file__).resolve().parent.parent / "docs" / "errors.md").read_text(encoding="utf-8")
    assert f"### {code}" in errors


# --------------------------------------------------------------------------- the bucket


def _spec_bucket(salt: str, text: str) -> int:
    """§10 word by word, written independently of audiencelang.sample."""
    hexdigest = hashlib.md5((salt + ":" + text).encode("utf-8")).hexdigest()
    assert hexdigest == hexdigest.lower()
    return int(hexdigest[0:8], 16) % 10000


@pytest.mark.parametrize(("member_id", "text"), [
    (0, "0"), (-1, "-1"), (42, "42"), (2**63 - 1, "9223372036854775807"), (-(2**63), "-9223372036854775808"),
    ("42", "42"), ("042", "042"), ("Zürich-ß", "Zürich-ß"), ("", ""), ("a:b", "a:b"), ("😀", "😀"),
])
def test_sample_bucket_follows_the_spec(member_id: int | str, text: str) -> None:
    for salt in ("q4_holdout", "ü", "x:y"):
        assert audiencelang.sample_bucket(salt, member_id) == _spec_bucket(salt, text)


def test_known_values() -> None:
    # md5("q4_holdout:42") = ffc60787…; 0xffc60787 = 4291168135
    assert sample_bucket("q4_holdout", 42) == 8135
    assert sample_bucket("q4_holdout", "42") == 8135


def test_buckets_are_spread_evenly() -> None:
    buckets = [sample_bucket("spread", i) for i in range(20_000)]
    assert min(buckets) >= 0 and max(buckets) <= 9999
    share = sum(b < 1000 for b in buckets) / len(buckets)
    assert 0.09 < share < 0.11


@pytest.mark.parametrize("bad", [True, 1.0, None, b"1"])
def test_ids_that_are_neither_integers_nor_strings_are_refused(bad: object) -> None:
    with pytest.raises(TypeError):
        sample_bucket("s", bad)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- evaluator and explain


def test_the_evaluator_keeps_the_buckets_below_p_times_100_and_explain_shows_the_bucket() -> None:
    import datetime as dt

    from audiencelang.check import CheckedAudience
    from audiencelang.eval import evaluate, explain
    from audiencelang.schema.market import Market

    market = Market.model_validate({"market": "m", "profiles": {"table": "p", "id": "id", "traits": {}}},
                                   strict=False)
    as_of = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
    ids: list[int | str | None] = [*range(-50, 2000), "Zürich", "042", None]
    data = {"p": [{"id": i} for i in ids]}

    def audience(snippet: str) -> CheckedAudience:
        aud = parse(f"audience a {{ include {snippet} }}").file.audiences[0]  # type: ignore[union-attr]
        return CheckedAudience("a", aud, market, None, {"a": aud}, {})

    inside = evaluate(audience('in sample 12.5% salt "s"'), data, as_of=as_of)
    assert inside == {i for i in ids if i is not None and sample_bucket("s", i) < 1250}
    outside = evaluate(audience('not in sample 12.5% salt "s"'), data, as_of=as_of)
    assert outside == {i for i in ids if i is not None and i not in inside}  # a null id is no member
    assert 0.10 < len(inside) / len(ids) < 0.15

    text = explain(audience('not in sample 10% salt "q4_holdout"'), data, 42, as_of).render()
    assert 'in sample 10% salt "q4_holdout"    [bucket 8135 (salt "q4_holdout"), not below 1000]' in text


def test_cli_explain_reads_the_profile_from_the_warehouse_and_shows_its_bucket(tmp_path: Path) -> None:
    import duckdb
    from click.testing import CliRunner

    from audiencelang.cli import main

    (tmp_path / "markets").mkdir()
    (tmp_path / "audiences").mkdir()
    (tmp_path / "audiencelang.toml").write_text("")
    (tmp_path / "markets" / "m.yaml").write_text(
        "market: m\nprofiles:\n  table: p\n  id: id\n  traits:\n    age: {column: age, type: integer}\n")
    (tmp_path / "audiences" / "a.aud").write_text(
        'audience holdout {\n  owner "o"\n  description "d"\n  include not in sample 10% salt "q4_holdout"\n}\n')
    db = tmp_path / "w.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE p (id BIGINT, age BIGINT)")
    con.execute("INSERT INTO p VALUES (42, 30), (7, 40)")
    con.close()
    r = CliRunner().invoke(main, ["explain", "--project", str(tmp_path), "holdout", "--market", "m",
                                  "--profile", "42", "--db", str(db)])
    assert r.exit_code == 0, r.output
    assert 'in sample 10% salt "q4_holdout"' in r.output
    assert "bucket 8135" in r.output
