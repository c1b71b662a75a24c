"""Every syntax diagnostic the parser emits: code, line and column (1-based) of what is wrong."""

from __future__ import annotations

import pytest

from audiencelang.diagnostics import Severity
from audiencelang.syntax import parse, parse_bytes

A = "audience a {\n  include "  # the condition starts at line 2, column 11

CASES = [
    # code, text, line, column, a word the message must contain
    ("E100", A + "a = 1 ;\n}", 2, 17, "';'"),
    ("E100", A + 'Country = "DE"\n}', 2, 11, "lower case"),
    ("E100", A + "c = 'DE'\n}", 2, 15, "double quotes"),
    ("E101", A + "a =\n}", 3, 1, "a value"),
    ("E101", A + "a = 1 and )\n}", 2, 21, "')'"),
    ("E102", A + "a = 1\n", 3, 1, "end of file"),
    ("E103", 'audience a {\n  title "abc\n  include a = 1\n}', 2, 9, "unterminated"),
    ("E104", A + 'a = "x\\qy"\n}', 2, 17, "\\q"),
    ("E104", A + 'a = "x\\u0000"\n}', 2, 17, "NUL"),
    ("E104", A + 'a = "\\ud800"\n}', 2, 16, "surrogate"),
    ("E104", A + 'a = "a\rb"\n}', 2, 15, "invalid character"),
    ("E105", A + "d before 2024-02-30\n}", 2, 20, "2024-02-30"),
    ("E106", A + "d before 2024-01-01T12:00:00\n}", 2, 20, "time zone"),
    ("E106", A + "d before 2024-01-01T25:00:00Z\n}", 2, 20, "not a timestamp"),
    ("E107", A + "a = " + "9" * 19 + "\n}", 2, 15, "out of range"),
    ("E107", A + "a = 1.1234567891\n}", 2, 15, "out of range"),
    ("E107", A + "performed p in last 1000000000 days\n}", 2, 31, "out of range"),
    ("E107", A + "performed p at least 1000000001 times\n}", 2, 32, "out of range"),
    ("E108", 'audience a {\n  title "x"\n}', 1, 10, "include"),
    ("E109", A + 'a = 1\n  title "x"\n  title "y"\n}', 4, 3, "twice"),
    ("E110", A + "performed p at least -1 times\n}", 2, 32, "negative"),
    ("E110", A + "performed p in last 1.5 days\n}", 2, 31, "whole number"),
    ("E110", A + "performed p in last 0 days\n}", 2, 31, "at least 1"),
    ("E110", A + "a = 1\n  min size 1.5\n}", 3, 12, "whole number"),
    ("E111", A + "performed p in last 3 fortnights\n}", 2, 33, "fortnights"),
    # spec §8 forms
    ("E101", A + "performed p then\n}", 3, 1, "a name"),
    ("E101", A + "performed p then not\n}", 3, 1, "a name"),
    ("E101", A + "performed p then q within\n}", 3, 1, "a number"),
    ("E101", A + "performed p more than 3 days\n}", 3, 1, "'ago'"),
    ("E101", A + "performed p on at least 3 days\n}", 2, 37, "'distinct'"),
    ("E101", A + "first performed\n}", 3, 1, "a name"),
    ("E101", A + "first purchase\n}", 2, 17, "purchase"),
    ("E101", A + "first performed p then q\n}", 2, 29, "'then'"),
    ("E101", A + "sum(p.r) in [1, 2]\n}", 2, 23, "'['"),
    ("E107", A + "performed p more than 101 years ago\n}", 2, 33, "out of range"),
    ("E107", A + "performed p then q within 1000000000 minutes\n}", 2, 37, "out of range"),
    ("E110", A + "performed p then q within 0 days\n}", 2, 37, "at least 1"),
    ("E110", A + "performed p on at least -2 distinct days\n}", 2, 35, "negative"),
    ("E111", A + "performed p then q within 2 fortnights\n}", 2, 39, "fortnights"),
    ("E111", A + "performed p on at least 3 distinct weeks\n}", 2, 46, "distinct weeks"),
    ("E111", A + "signup more than 2 decades ago\n}", 2, 30, "decades"),
    ("E117", A + "last(p.x) in []\n}", 2, 24, "empty list"),
    ("E118", A + 'first(p.x) where y = 1 ends with ""\n}', 2, 44, "non-empty"),
    ("E112", A + "a = 1\n}\naudience a {\n  include a = 1\n}", 4, 10, "twice"),
    ("E116", A + "not " * 101 + "a = 1\n}", 2, 15, "nested"),
    ("E117", A + "a in []\n}", 2, 16, "empty list"),
    ("E118", A + 'a contains ""\n}', 2, 22, "non-empty"),
    ("E119", A + "performed p between 2024-02-01 and 2024-01-01\n}", 2, 23, "starts after"),
    ("E120", A + "sum(p.r) since 5 > 3\n}", 2, 26, "date or timestamp"),
    ("E121", A + " or ".join(f"a = {i}" for i in range(10_001)) + "\n}", 2,
     11 + len(" or ".join(f"a = {i}" for i in range(10_000))) + 4, "more than 10,000 conditions"),  # the 10,001st
    ("W101", "# nothing here\n", 1, 1, "no audience"),
]


@pytest.mark.parametrize(("code", "text", "line", "column", "word"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_diagnostic_code_and_position(code: str, text: str, line: int, column: int, word: str) -> None:
    result = parse(text, path="t.aud")
    assert [d.code for d in result.diagnostics] == [code]
    d = result.diagnostics[0]
    assert d.span is not None
    assert (d.span.path, d.span.line, d.span.column) == ("t.aud", line, column)
    assert word in d.message
    assert d.severity is (Severity.WARNING if code.startswith("W") else Severity.ERROR)
    assert result.ok is (code.startswith("W"))


BYTE_CASES = [
    ("E113", b'audience a {\n  include a = "\xff"\n}', 2, 16),
    ("E114", b"audience a {\n  include\x00 a = 1\n}", 2, 10),
    ("E115", b" " * (5 * 1024 * 1024 + 1), 1, 1),
]


@pytest.mark.parametrize(("code", "data", "line", "column"), BYTE_CASES, ids=[c[0] for c in BYTE_CASES])
def test_byte_level_diagnostics(code: str, data: bytes, line: int, column: int) -> None:
    result = parse_bytes(data, path="t.aud")
    assert result.file is None
    assert [d.code for d in result.diagnostics] == [code]
    span = result.diagnostics[0].span
    assert span is not None and (span.line, span.column) == (line, column)


def test_every_code_the_parser_emits_is_covered() -> None:
    import re
    from pathlib import Path

    import audiencelang.syntax.parser as parser_module

    source = Path(parser_module.__file__).read_text(encoding="utf-8")
    emitted = set(re.findall(r'"([EW]1\d\d)"', source))
    covered = {c[0] for c in CASES} | {c[0] for c in BYTE_CASES}
    assert emitted <= covered, f"untested codes: {sorted(emitted - covered)}"


def test_hints_name_the_fix() -> None:
    d = parse(A + "performed p in last 3 moths\n}").diagnostics[0]
    assert any("months (30 days)" in h for h in d.hints)
    d = parse(A + "d before 2024-01-01T12:00:00\n}").diagnostics[0]
    assert any("2024-01-01T12:00:00Z" in h for h in d.hints)
    for bad in ("first performed p then q", "performed p within 1 day", "performed p in last 2 days then q"):
        d = parse(A + bad + "\n}").diagnostics[0]
        assert d.code == "E101" and any("performed A then B within 1 day" in h for h in d.hints), bad
    d = parse(A + "Country = 1\n}").diagnostics[0]
    assert d.hints == ("write 'country'",)
