"""Never a traceback: parse → check → compile for every dialect ends in SQL or diagnostics.

Inputs: texts generated from the grammar (``from_lark``), byte-level mutations of
the example audience files, random market YAML, and four size extremes. The only
permitted outcomes are SQL (one statement) or diagnostics; any exception fails.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark

from audiencelang.check import check_audience, check_project
from audiencelang.project import load_project
from audiencelang.sql.dialects import DIALECTS
from audiencelang.syntax import build_parser, parse, parse_bytes
from audiencelang.syntax.parser import MAX_CONDITIONS

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
AS_OF = dt.datetime(2024, 6, 15, 12, 0, tzinfo=dt.UTC)
EXAMPLE_FILES = sorted((EXAMPLES / "audiences").glob("*.aud"))
SETTINGS = settings(deadline=None, suppress_health_check=list(HealthCheck), print_blob=True)


def compile_all(project_root: Path, as_of: dt.datetime | None = AS_OF, *,
                dialects: tuple[str, ...] = tuple(DIALECTS), markets: tuple[str, ...] | None = None,
                outcomes: list[str] | None = None) -> int:
    """Check every audience of the project against every market and compile each clean one
    for every dialect (and each destination it activates). Returns how many SQL texts came out.
    Raises whatever the library raises: the caller's test fails on any exception."""
    from audiencelang.sql import compile_audience

    project = load_project(project_root)
    check_project(project)
    produced = 0
    for name in sorted(project.audiences()):
        for market in sorted(project.markets) if markets is None else markets:
            checked, diags = check_audience(project, name, market)
            if checked is None:
                assert any(d.is_error for d in diags)
                continue
            for dialect in dialects:
                for destination in [None, *sorted(checked.destinations)]:
                    res = compile_audience(checked, dialect, as_of=as_of, destination=destination)
                    if outcomes is not None:
                        outcomes.append("sql" if res.query else ",".join(d.code for d in res.diagnostics))
                    if res.query is None:
                        assert any(d.is_error for d in res.diagnostics), (dialect, res.diagnostics)
                    else:
                        assert isinstance(res.query.sql, str) and res.query.sql
                        produced += 1
    return produced


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    """A copy of the example project with an empty ``audiences`` folder to write into."""
    shutil.copytree(EXAMPLES / "markets", tmp_path / "markets")
    shutil.copy(EXAMPLES / "audiencelang.toml", tmp_path / "audiencelang.toml")
    (tmp_path / "audiences").mkdir()
    yield tmp_path


def test_the_example_project_compiles_for_every_dialect(project: Path) -> None:
    for f in EXAMPLE_FILES:
        shutil.copy(f, project / "audiences" / f.name)
    assert compile_all(project) > 0


def _lark_texts() -> st.SearchStrategy[str]:
    return from_lark(build_parser(), start="start")


def test_grammar_generated_texts(project: Path) -> None:
    target = project / "audiences" / "fuzz.aud"

    @settings(SETTINGS, max_examples=60)
    @given(_lark_texts())
    def run(text: str) -> None:
        parse(text)  # must not raise
        target.write_text(text, encoding="utf-8", errors="surrogatepass")
        compile_all(project)

    run()


@st.composite
def mutated_example(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(EXAMPLE_FILES)).read_bytes())
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "delete", "insert", "duplicate", "truncate"]))
        if not data:
            break
        i = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[i] = draw(st.integers(0, 255))
        elif op == "delete":
            del data[i:i + draw(st.integers(1, 40))]
        elif op == "insert":
            data[i:i] = draw(st.sampled_from([b"(", b")", b"not ", b" or ", b"\"", b"\\", b"\xff", b"\x00",
                                               b"}", b"{", b"9" * 30, b"in last ", b"where ", b"\xc3", b"-"]))
        elif op == "duplicate":
            j = draw(st.integers(i, min(len(data), i + 200)))
            data[j:j] = data[i:j]
        else:
            del data[i:]
    return bytes(data)


def test_byte_mutations_of_the_examples(project: Path) -> None:
    target = project / "audiences" / "mutated.aud"

    @settings(SETTINGS, max_examples=60)
    @given(mutated_example())
    def run(data: bytes) -> None:
        parse_bytes(data)
        target.write_bytes(data)
        compile_all(project)

    run()


_YAML_SCALARS = st.sampled_from(["x", "1", "-1", "true", "null", "~", "''", '"a\\"b"', "[]", "{}", "1e999",
                                 "2024-01-01", "!!binary aGk=", "*a", "&a x", "'order'", "Abc", "a.b.c.d",
                                 "\"my col\"", "opt_in", "opt_out", "string", "decimal", "timestamp"])


@st.composite
def market_yaml(draw: st.DrawFn) -> str:
    """The example market with random lines replaced, dropped, duplicated or re-indented."""
    lines = (EXAMPLES / "markets" / draw(st.sampled_from(["de.yaml", "us.yaml", "fr.yaml"]))).read_text().split("\n")
    for _ in range(draw(st.integers(1, 5))):
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["value", "drop", "dup", "indent", "key"]))
        line = lines[i]
        if op == "value" and ":" in line:
            lines[i] = line.split(":", 1)[0] + ": " + draw(_YAML_SCALARS)
        elif op == "drop":
            del lines[i]
        elif op == "dup":
            lines.insert(i, line)
        elif op == "indent":
            lines[i] = " " * draw(st.integers(0, 7)) + line.lstrip()
        else:
            lines[i] = line.replace(line.strip().split(":")[0], draw(st.sampled_from(["tabel", "where", "x", "type"])), 1)
    return "\n".join(lines)


def test_random_market_yaml(project: Path) -> None:
    for f in EXAMPLE_FILES:
        shutil.copy(f, project / "audiences" / f.name)
    for old in (project / "markets").glob("*.yaml"):
        old.unlink()
    target = project / "markets" / "fuzz.yaml"

    @settings(SETTINGS, max_examples=30)
    @given(market_yaml())
    def run(text: str) -> None:
        target.write_text(text)
        compile_all(project)

    run()


# --------------------------------------------------------------------------- size extremes


def _write(project: Path, body: str) -> None:
    (project / "audiences" / "big.aud").write_text(body)


def test_twenty_thousand_or_terms(project: Path) -> None:
    """The widest `or` a file may hold (E121: MAX_CONDITIONS conditions) compiles; twice
    that is the located E121, not a crash or minutes of compiling."""
    def write(n: int) -> None:
        terms = " or ".join(f"age = {i}" for i in range(n))
        _write(project, f"audience big {{ owner \"x\" description \"y\" include {terms} }}")

    write(MAX_CONDITIONS)
    # three dialects with different string/literal rules
    assert compile_all(project, dialects=("duckdb", "postgres", "tsql"), markets=("de",)) == 3
    write(20_000)
    res = parse((project / "audiences" / "big.aud").read_text())
    assert [d.code for d in res.diagnostics] == ["E121"] and res.file is None
    assert compile_all(project, dialects=("duckdb", "postgres", "tsql"), markets=("de",)) == 0


def test_ten_thousand_nested_parentheses(project: Path) -> None:
    """Redundant parentheses are not nesting (the AST drops them): this one compiles."""
    _write(project, "audience deep { owner \"x\" description \"y\" include "
           + "(" * 10_000 + "age = 1" + ")" * 10_000 + " }")
    assert parse((project / "audiences" / "big.aud").read_text()).ok
    assert compile_all(project, markets=("de",)) == len(DIALECTS)


def test_ten_thousand_nested_nots_and_ors(project: Path) -> None:
    """Real nesting beyond the documented depth limit is a syntax diagnostic, not a crash.
    Each level holds one condition, plus the innermost: MAX_CONDITIONS - 1 levels (~20,000
    deep) stay within E121's limit and are E116; one level more is over both limits, and
    the parser reports the first it meets (E121: the outer conditions come first)."""
    for levels, code in ((MAX_CONDITIONS - 1, "E116"), (MAX_CONDITIONS, "E121")):
        body = "(not (age = 1 or " * levels + "age = 2" + "))" * levels
        _write(project, "audience deep { include " + body + " }")
        res = parse((project / "audiences" / "big.aud").read_text())
        assert [d.code for d in res.diagnostics if d.is_error] == [code]
        assert compile_all(project) == 0


def test_five_thousand_digit_number(project: Path) -> None:
    _write(project, "audience num { include age > " + "9" * 5000 + " }")
    res = parse((project / "audiences" / "big.aud").read_text())
    assert [d.code for d in res.diagnostics] == ["E107"]
    compile_all(project)


@pytest.mark.parametrize("as_of", [dt.datetime(50, 1, 1, tzinfo=dt.UTC), dt.datetime(1, 1, 2, tzinfo=dt.UTC)])
def test_windows_reaching_before_year_one(project: Path, as_of: dt.datetime) -> None:
    _write(project, """
    audience old {
      owner "x" description "y"
      include last_login_at in last 5200 weeks
        or performed purchase in last 52704000 minutes
        or sum(purchase.revenue) in last 36600 days > 1
        or performed purchase between 0001-01-01 and 0001-01-02
    }""")
    outcomes: list[str] = []
    compile_all(project, as_of=as_of, markets=("de",), outcomes=outcomes)
    # the compiler refuses such windows with E505 (the evaluator treats them as unbounded)
    assert len(outcomes) == len(DIALECTS) and all(o == "sql" or "E505" in o for o in outcomes), outcomes
