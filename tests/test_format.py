"""The canonical formatter: layout, literals, parentheses, comments, idempotence, meaning."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from audiencelang import ast
from audiencelang.syntax import parse
from audiencelang.syntax.formatter import (
    LINE_WIDTH,
    FormatError,
    format_expr,
    format_file,
    format_str,
)
from tests import strategies as S


def tree(text: str) -> Any:
    result = parse(text)
    assert result.ok, [d.message for d in result.diagnostics]
    assert result.file is not None
    return ast.strip_spans(result.file.model_copy(update={"comments": ()}))


def comments(text: str) -> list[str]:
    return [c.text.rstrip() for c in parse(text).comments]


def check(text: str, comments_in_order: bool = False) -> str:
    """Format, and assert the three promises: same meaning, same comments, idempotent.

    Comments travel with their clause, so their order changes only when clauses are reordered."""
    out = format_str(text)
    assert tree(out) == tree(text)
    if comments_in_order:
        assert comments(out) == comments(text)
    else:
        assert sorted(comments(out)) == sorted(comments(text))
    assert format_str(out) == out
    assert out == "" or (out.endswith("\n") and not out.endswith("\n\n"))
    return out


def inc(expr: str) -> str:
    """The include line the formatter prints for a one-line expression."""
    return format_str(f"audience t {{ include {expr} }}").splitlines()[1].removeprefix("  include ")


# --------------------------------------------------------------------------- layout


def test_canonical_layout_and_clause_order() -> None:
    src = """audience b { activate y  min size 10 require consent p , q exclude z = 1
      include a = 1 tags ["x","y",] description "d" owner "o" title "t" activate x }
      audience a{include a=1}"""
    assert check(src) == """audience b {
  title "t"
  owner "o"
  description "d"
  tags ["x", "y"]

  include a = 1
  exclude z = 1

  require consent p, q
  min size 10

  activate y
  activate x
}

audience a {
  include a = 1
}
"""


def test_long_expression_is_broken_before_each_top_level_operator() -> None:
    terms = [f"performed event_number_{i} in last {i + 2} days" for i in range(4)]
    lines = check("audience t { include " + " and ".join(terms) + " exclude x = 1 }").splitlines()
    assert lines[1:9] == [
        "  include",
        "    " + terms[0],
        *(f"    and {t}" for t in terms[1:]),
        "",  # a clause printed over several lines is followed by a blank line
        "  exclude x = 1",
        "}",
    ]
    # only the top level is broken: an `and` inside an `or` stays on its term's line
    lines = check("audience t { include " + " and ".join(terms) + " or vip = true }").splitlines()
    assert lines[1:4] == ["  include", "    " + " and ".join(terms), "    or vip = true"]


def test_short_expression_stays_on_one_line_up_to_the_limit() -> None:
    name = "x" * (LINE_WIDTH - len("  include  = 1 and b = 2"))
    out = check(f"audience t {{ include {name} = 1 and b = 2 }}")
    assert f"  include {name} = 1 and b = 2" in out.splitlines()
    out = check(f"audience t {{ include {name}y = 1 and b = 2 }}")
    assert "    and b = 2" in out.splitlines()


def test_long_performed_term_is_split_before_where_count_and_window() -> None:
    src = ('audience t { include performed page_view where path starts with "/sale-and-more" and '
           'channel = "app" at least 3 times in last 14 days }')
    assert check(src).splitlines()[1:6] == [
        "  include",
        "    performed page_view",
        '      where path starts with "/sale-and-more" and channel = "app"',
        "      at least 3 times",
        "      in last 14 days",
    ]


def test_crlf_bom_and_final_newline() -> None:
    out = check("\ufeffaudience t {\r\n  include a = 1 # c\r\n}\r\n\r\n\r\n")
    assert out == "audience t {\n  include a = 1  # c\n}\n"
    assert check("audience t { include a = 1 }") == "audience t {\n  include a = 1\n}\n"


# --------------------------------------------------------------------------- literals


@pytest.mark.parametrize(("written", "canonical"), [
    (r'"a\"b"', r'"a\"b"'),
    (r'"a\\b"', r'"a\\b"'),
    (r'"a\nb\tc"', r'"a\nb\tc"'),
    (r'"\u00fc"', '"ü"'),
    (r'"\u001B\u007f"', r'"\u001b\u007f"'),
    (r'"\u200b\u2028"', r'"\u200b\u2028"'),
    ('"€ 😀"', '"€ 😀"'),
    ("19.990", "19.990"),
    ("-3", "-3"),
    ("0.000000001", "0.000000001"),
    ("2024-01-31", "2024-01-31"),
    ("2024-01-31T12:00Z", "2024-01-31T12:00:00Z"),
    ("2024-01-31T12:00:00+00:00", "2024-01-31T12:00:00Z"),
    ("2024-01-31T12:00:00.5-05:30", "2024-01-31T12:00:00.500000-05:30"),
    ("true", "true"),
])
def test_literals(written: str, canonical: str) -> None:
    assert inc(f"x = {written}") == f"x = {canonical}"
    check(f"audience t {{ include x = {written} }}")


@pytest.mark.parametrize(("written", "canonical"), [
    ("performed p in last 1 days", "performed p in last 1 day"),
    ("performed p in last 7 day", "performed p in last 7 days"),
    ("performed p in last 2 week", "performed p in last 2 weeks"),
    ("performed p at  least 1 times", "performed p at least 1 time"),
    ("performed p exactly 0 time", "performed p exactly 0 times"),
    ("performed p at most 3 time", "performed p at most 3 times"),
    ("x starts\n  with \"a\" ignoring   case", 'x starts with "a" ignoring case'),
    ("x ends with \"a\"", 'x ends with "a"'),
    ("x not   in [1,2,]", "x not in [1, 2]"),
    ("x is not null", "x is not null"),
    ("sum(e.p) since 2024-01-01 between 1 and 2", "sum(e.p) since 2024-01-01 between 1 and 2"),
    ("count(e) where a=1 in last 3 hours>=2", "count(e) where a = 1 in last 3 hours >= 2"),
])
def test_keywords_and_units(written: str, canonical: str) -> None:
    assert inc(written) == canonical


# --------------------------------------------------------------------------- parentheses


@pytest.mark.parametrize(("written", "canonical"), [
    ("((a = 1))", "a = 1"),
    ("(a = 1 or b = 2) and c = 3", "(a = 1 or b = 2) and c = 3"),
    ("a = 1 or (b = 2 and c = 3)", "a = 1 or b = 2 and c = 3"),
    ("not (a = 1)", "not a = 1"),
    ("not (a = 1 and b = 2)", "not (a = 1 and b = 2)"),
    ("not (not a = 1)", "not not a = 1"),
    ("a = 1 and (b = 2 and c = 3)", "a = 1 and b = 2 and c = 3"),
    # the where rule: an open `where` that is not last must be closed by parentheses
    ("(performed p where a = 1) and c = 3", "(performed p where a = 1) and c = 3"),
    ("c = 3 and (performed p where a = 1)", "c = 3 and performed p where a = 1"),
    ("(performed p where a = 1 in last 2 days) and c = 3", "performed p where a = 1 in last 2 days and c = 3"),
    ("(not performed p where a = 1) or c = 3", "not (performed p where a = 1) or c = 3"),
    ("(c = 1 and performed p where a = 1) or d = 2", "c = 1 and (performed p where a = 1) or d = 2"),
    ("(c = 1 or performed p where a = 1) and d = 2", "(c = 1 or performed p where a = 1) and d = 2"),
    ("not (performed p where a = 1 or b = 2)", "not performed p where a = 1 or b = 2"),
    ("performed p where (a = 1 or b = 2) and not (c = 3 and d = 4)",
     "performed p where (a = 1 or b = 2) and not (c = 3 and d = 4)"),
])
def test_parentheses_only_where_needed(written: str, canonical: str) -> None:
    assert inc(written) == canonical
    check(f"audience t {{ include {written} }}")


def test_where_rule_holds_in_broken_layout() -> None:
    long = " and ".join(f"(performed e{i} where property_{i} = {i})" for i in range(6))
    out = check(f"audience t {{ include {long} }}")
    assert "    and (performed e1 where property_1 = 1)" in out.splitlines()
    assert "    and performed e5 where property_5 = 5" in out.splitlines()


def test_format_expr_on_hand_built_tree() -> None:
    e = ast.And(items=(ast.Or(items=(
        ast.HasConsent(purpose=ast.Name(value="p")), ast.InAudience(audience=ast.Name(value="a")))),
        ast.Compare(target=ast.Name(value="n"), op=">=", value=ast.NumberLit(value=Decimal("1.50")))))
    assert format_expr(e) == "(has consent p or in audience a) and n >= 1.50"


# --------------------------------------------------------------------------- comments


def test_comments_leading_trailing_dangling_and_file_level() -> None:
    src = """# file header

# about t
audience t {   # header
  activate x  # why x
  # about the include
  include a = 1 and b = 2  # trailing include
  title "T"
  # dangling at the end
}  # after the brace


# the end
"""
    assert check(src) == """# file header

# about t
audience t {  # header
  title "T"

  # about the include
  include a = 1 and b = 2  # trailing include

  activate x  # why x
  # dangling at the end
}  # after the brace

# the end
"""


def test_comments_between_terms_force_the_broken_layout() -> None:
    src = """audience t {
  include
    a = 1  # first
    # before second
    and b = 2
    and c = 3  # last
}
"""
    assert check(src, comments_in_order=True) == src


def test_comments_inside_a_term_move_before_or_after_its_line() -> None:
    src = """audience t {
  include performed p  # after p
    # inside
    in last 7 days
}
"""
    assert check(src) == """audience t {
  # after p
  # inside
  include performed p in last 7 days
}
"""
    src = 'audience t { include x in [1, # one\n 2] # two\n }'
    assert check(src) == "audience t {\n  # one\n  include x in [1, 2]  # two\n}\n"


def test_hash_in_string_is_not_a_comment() -> None:
    assert check('audience t { include x = "#1" }') == 'audience t {\n  include x = "#1"\n}\n'


def test_comment_trailing_whitespace_is_dropped() -> None:
    assert format_str("audience t { include x = 1 }  # c   \t\n") == "audience t {\n  include x = 1\n}  # c\n"


# --------------------------------------------------------------------------- errors


def test_unparseable_text_raises_format_error_with_diagnostics() -> None:
    with pytest.raises(FormatError) as info:
        format_str("audience t { include x = }", path="t.aud")
    assert [d.code for d in info.value.diagnostics] == ["E101"]
    assert info.value.diagnostics[0].span.path == "t.aud"  # type: ignore[union-attr]


def test_text_with_recoverable_errors_is_not_formatted() -> None:
    # the parser recovers from E107 with a placeholder value: formatting it would change the number
    with pytest.raises(FormatError) as info:
        format_str("audience t { include x = " + "9" * 30 + " }")
    assert [d.code for d in info.value.diagnostics] == ["E107"]


def test_package_root_exports_format_str() -> None:
    import audiencelang

    assert audiencelang.format_str("audience t{include a=1}") == "audience t {\n  include a = 1\n}\n"


def test_examples_round_trip() -> None:
    from pathlib import Path

    for path in sorted(Path(__file__).resolve().parent.parent.joinpath("examples").rglob("*.aud")):
        check(path.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- properties


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(S.files())
def test_random_trees_print_and_parse_back(file: ast.File) -> None:
    text = format_file(file)
    result = parse(text)
    assert result.ok, (text, [d.message for d in result.diagnostics])
    assert result.file is not None
    assert ast.strip_spans(result.file) == ast.strip_spans(file)
    assert format_file(result.file, result.comments) == text


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(S.messy_texts())
def test_messy_texts_format_idempotently_keeping_meaning_and_comments(text: str) -> None:
    check(text, comments_in_order=True)


# --------------------------------------------------------------------------- spec §8 forms


@pytest.mark.parametrize(("written", "canonical"), [
    ("performed a  then   b within 1 hours in last 1 months", "performed a then b within 1 hour in last 1 month"),
    ("performed a then not b within 2 year", "performed a then not b within 2 years"),
    ("first performed a more than 3 day ago", "first performed a more than 3 days ago"),
    ("performed a on at least 1 distinct days", "performed a on at least 1 distinct day"),
    ("performed a in last 7 days on exactly 2 distinct day", "performed a on exactly 2 distinct days in last 7 days"),
    ("d more than 1 years ago", "d more than 1 year ago"),
    ('last(e.p)in["x"]', 'last(e.p) in ["x"]'),
])
def test_seq_forms_print_canonically(written: str, canonical: str) -> None:
    assert inc(written) == canonical


@pytest.mark.parametrize(("written", "canonical"), [
    # an open sequence (last step ends in `where`) keeps its parentheses before `and`
    ("(performed a then b where x = 1) and y = 2", "(performed a then b where x = 1) and y = 2"),
    ("y = 2 and (performed a then b where x = 1)", "y = 2 and performed a then b where x = 1"),
    ("(performed a where x = 1 then b) and y = 2", "performed a where x = 1 then b and y = 2"),
    ("(performed a then b where x = 1 within 1 day) and y = 2", "performed a then b where x = 1 within 1 day and y = 2"),
    ("(first performed a where x = 1) or y = 2", "(first performed a where x = 1) or y = 2"),
    ("(last performed a where x = 1 in last 2 days) or y = 2", "last performed a where x = 1 in last 2 days or y = 2"),
])
def test_seq_parentheses_only_where_the_where_rule_needs_them(written: str, canonical: str) -> None:
    assert inc(written) == canonical
    check(f"audience t {{ include {written} }}")


def test_long_sequence_is_split_before_where_each_step_and_window() -> None:
    text = ('audience t { include not performed view_item where category = "shoes" and price > 100 '
            'then add_to_cart within 30 minutes then not purchase where channel = "app" within 1 day '
            'in last 30 days and age > 1 }')
    out = check(text)
    assert out.splitlines()[1:-1] == [
        "  include",
        "    not performed view_item",
        '      where category = "shoes" and price > 100',
        "      then add_to_cart within 30 minutes",
        '      then not purchase where channel = "app" within 1 day',
        "      in last 30 days",
        "    and age > 1",
    ]
