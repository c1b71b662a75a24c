"""Hostile input never raises: every case ends in a ParseResult (with diagnostics where due)."""

from __future__ import annotations

import pytest

from audiencelang import ast
from audiencelang.syntax import parse, parse_bytes
from audiencelang.syntax.formatter import FormatError, format_str


def inc(expr: str) -> str:
    return f"audience t {{ include {expr} }}"


def codes(result: object) -> list[str]:
    return [d.code for d in result.diagnostics]  # type: ignore[attr-defined]


def test_non_utf8_bytes() -> None:
    r = parse_bytes(b"audience t { include a = \"\xc3\x28\" }")
    assert r.file is None and codes(r) == ["E113"]


def test_nul_bytes() -> None:
    r = parse("audience t {\0 include a = 1 }")
    assert r.file is None and codes(r) == ["E114"]
    assert codes(parse_bytes(b"\0\0\0")) == ["E114"]


def test_empty_file() -> None:
    r = parse("")
    assert r.file is not None and r.file.audiences == () and codes(r) == ["W101"]
    assert format_str("") == ""


def test_only_white_space_is_an_empty_file() -> None:
    r = parse("\t\n\r\f  ")
    assert r.file is not None and codes(r) == ["W101"]
    assert format_str("\t\n\r\f  ") == ""


def test_only_comments() -> None:
    r = parse("# one\n\n# two\n")
    assert r.file is not None and codes(r) == ["W101"]
    assert [c.text for c in r.comments] == ["# one", "# two"]
    assert format_str("# one\n\n\n# two") == "# one\n\n# two\n"


def test_ten_thousand_nested_parentheses() -> None:
    r = parse(inc("(" * 10_000 + "a = 1" + ")" * 10_000))
    assert r.ok and r.file is not None
    assert isinstance(r.file.audiences[0].include, ast.Compare)


def test_ten_thousand_nested_not() -> None:
    r = parse(inc("not " * 10_000 + "a = 1"))
    assert r.file is None and codes(r) == ["E116"]


def test_ten_thousand_or_terms() -> None:
    import time

    text = inc(" or ".join(f"a = {i}" for i in range(10_000)))  # MAX_CONDITIONS
    t0 = time.perf_counter()
    r = parse(text)
    # flattening must be linear: a quadratic one took minutes here
    assert time.perf_counter() - t0 < 20
    assert r.ok and r.file is not None
    e = r.file.audiences[0].include
    assert isinstance(e, ast.Or) and len(e.items) == 10_000
    assert all(isinstance(i, ast.Compare) for i in e.items)


def test_one_megabyte_string() -> None:
    big = "x" * (1024 * 1024)
    r = parse(inc(f'a = "{big}"'))
    assert r.ok and r.file is not None
    assert r.file.audiences[0].include.value.value == big  # type: ignore[union-attr]


def test_twenty_megabyte_file() -> None:
    data = inc("a = 1").encode() + b" " * (20 * 1024 * 1024)
    r = parse_bytes(data)
    assert r.file is None and codes(r) == ["E115"]
    r = parse(data.decode())
    assert r.file is None and codes(r) == ["E115"]


def test_crlf_line_ends() -> None:
    r = parse("# c\r\naudience t {\r\n  include a = 1  # x\r\n}\r\n")
    assert r.ok and [c.text for c in r.comments] == ["# c", "# x"]
    assert r.file is not None and r.file.audiences[0].include.span.line == 3  # type: ignore[union-attr]


def test_bom() -> None:
    r = parse("\ufeffaudience t { include a = 1 }")
    assert r.ok and r.file is not None and r.file.audiences[0].span.column == 1
    assert parse_bytes(b"\xef\xbb\xbfaudience t { include a = 1 }").ok


def test_five_thousand_digit_number() -> None:
    r = parse(inc("a = " + "7" * 5000))
    assert codes(r) == ["E107"]
    assert len(r.diagnostics[0].message) < 200


def test_window_of_a_billion_days() -> None:
    r = parse(inc("performed p in last 1000000000 days"))
    assert codes(r) == ["E107"]
    r = parse(inc("signup in last 1000000000 days"))
    assert codes(r) == ["E107"]



def test_calendar_window_of_a_billion_months() -> None:
    r = parse(inc("performed p in last 1000000000 calendar months"))
    assert codes(r) == ["E107"]
    r = parse(inc("signup in last 0 calendar days"))
    assert codes(r) == ["E110"]
    r = parse(inc("performed p in last 2 calendar"))
    assert codes(r) == ["E101"] and "after 'calendar'" in r.diagnostics[0].message


def test_calendar_window_reaching_before_year_one() -> None:
    """1,300 calendar months (the most) before 0050-06-01: E505 in SQL, no lower bound in Python."""
    import datetime as dt

    from audiencelang.check.checked import CheckedAudience
    from audiencelang.eval import evaluate
    from audiencelang.schema import load_market_text
    from audiencelang.sql import compile_audience

    market, _ = load_market_text("market: m\ntimezone: Pacific/Kiritimati\nprofiles: {table: p, id: id}\n"
                                 "events:\n  e: {table: ev, user: u, time: t}\n")
    assert market is not None
    r = parse('audience a {\n  owner "x@example.com"\n  include performed e in last 1300 calendar months\n}\n')
    assert r.file is not None
    aud = r.file.audiences[0]
    checked = CheckedAudience("a", aud, market, None, {"a": aud}, {})
    as_of = dt.datetime(50, 6, 1, tzinfo=dt.UTC)
    res = compile_audience(checked, "duckdb", as_of=as_of)
    assert res.query is None and [d.code for d in res.diagnostics] == ["E505"]
    data = {"p": [{"id": 1}], "ev": [{"u": 1, "t": dt.datetime(1, 1, 1, 12, 0)}]}
    assert evaluate(checked, data, as_of=as_of) == {1}


@pytest.mark.parametrize("text", [
    "}", "{", "audience", "audience {", "audience t {", "audience t { include", "include a = 1",
    '"', '"\\', "(((", "audience t { include a = 1 } }", "\u2028", "ä",
    "audience t { include performed }", "audience t { include sum( }", "audience T { include a = 1 }",
    "audience t { include a = 2024-13-45T99:99:99+99:99 }", "audience t { include a = -  }",
])
def test_garbage_gives_diagnostics_not_exceptions(text: str) -> None:
    r = parse(text)
    assert r.diagnostics and all(d.span is not None for d in r.diagnostics)
    with pytest.raises(FormatError) as info:
        format_str(text)
    assert info.value.diagnostics
