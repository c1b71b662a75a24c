"""Texts generated from the grammar itself never make parse() or format_str() raise."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark

from audiencelang.diagnostics import Diagnostic
from audiencelang.syntax import build_parser, parse
from audiencelang.syntax.formatter import FormatError, format_str

_LAYOUT = st.sampled_from(["", " ", "\n", "  # note\n", "\r\n"])


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(from_lark(build_parser(), explicit={"WS": st.just(" "), "COMMENT": st.just("# c\n")}))
def test_grammar_texts_give_a_clean_parse_result(text: str) -> None:
    result = parse(text)
    assert all(isinstance(d, Diagnostic) and d.span is not None for d in result.diagnostics)
    try:
        out = format_str(text)
    except FormatError as exc:
        assert exc.diagnostics
    else:
        assert format_str(out) == out


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.one_of(
    st.sampled_from(["audience", "a", "{", "}", "include", "performed", "where", "and", "or", "not", "(",
                     ")", "=", "1", '"x"', "in", "last", "7", "days", "sum", "count", ".", "between",
                     "at", "least", "times", "-", "2024-01-01", "#", "\\", '"',
                     # spec §8
                     "then", "within", "more", "than", "ago", "on", "distinct", "first", "months", "year"]),
    _LAYOUT), max_size=40).map("".join))
def test_token_soup_never_raises(text: str) -> None:
    result = parse(text)
    assert all(isinstance(d, Diagnostic) for d in result.diagnostics)
    if result.ok and result.file is not None:
        out = format_str(text)
        assert format_str(out) == out
