"""Spec §1 examples parse to the AST they mean; precedence; the where rule; keyword-prefixed names."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from audiencelang import ast
from audiencelang.syntax import build_parser, parse

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "docs" / "spec" / "LANGUAGE.md"  # the repository's verbatim copy (tests/test_spec_examples.py)


def test_tests_read_the_spec_from_the_repository() -> None:
    """Issue 12.16: this file read the spec from an absolute path of one machine."""
    assert SPEC.is_file() and SPEC.is_relative_to(REPO)
    machine_path = "/work/" + "shared"
    for test in (REPO / "tests").glob("*.py"):
        assert machine_path not in test.read_text(encoding="utf-8"), test.name


def cond(snippet: str) -> Any:
    """The include expression of ``audience t { include SNIPPET }`` (no diagnostics allowed)."""
    result = parse(f"audience t {{ include {snippet} }}")
    assert result.diagnostics == [], [d.message for d in result.diagnostics]
    assert result.file is not None
    inc = result.file.audiences[0].include
    assert inc is not None
    return inc


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


# --------------------------------------------------------------------------- §1 the full example


def test_spec_example_audience() -> None:
    text = SPEC.read_text(encoding="utf-8").split("```\n# audiences/cart_abandoners.aud\n", 1)[1]
    text = "# audiences/cart_abandoners.aud\n" + text.split("```", 1)[0]
    result = parse(text)
    assert result.ok, result.diagnostics
    assert result.file is not None
    (a,) = result.file.audiences
    assert a.name.value == "cart_abandoners"
    assert a.title is not None and a.title.value == "Cart abandoners DACH"
    assert a.owner is not None and a.owner.value == "crm-team@example.com"
    assert a.tags == (ast.StringLit(value="retargeting", span=a.tags[0].span),
                      ast.StringLit(value="dach", span=a.tags[1].span))
    assert isinstance(a.include, ast.And) and len(a.include.items) == 2
    p, c = a.include.items
    assert isinstance(p, ast.Performed) and p.event.value == "add_to_cart"
    assert p.window == ast.LastWindow(amount=7, unit="day", span=p.window.span)  # type: ignore[union-attr]
    assert isinstance(c, ast.InList) and [v.value for v in c.values] == ["DE", "AT", "CH"]  # type: ignore[union-attr]
    assert isinstance(a.exclude, ast.Or)
    assert isinstance(a.exclude.items[1], ast.InAudience)
    assert a.exclude.items[1].audience.value == "existing_customers"
    assert a.required_purposes == ("ads_personalization",)
    assert a.min_size is not None and a.min_size.value == 1000
    assert [x.destination.value for x in a.activate] == ["meta_ads", "newsletter"]
    assert [c.text for c in result.comments] == ["# audiences/cart_abandoners.aud"]


# --------------------------------------------------------------------------- §1.2 trait conditions


def test_compare_ops() -> None:
    for op in ("=", "!=", "<", "<=", ">", ">="):
        e = cond(f"age {op} 18")
        assert isinstance(e, ast.Compare) and e.op == op and e.target.value == "age"  # type: ignore[union-attr]
        assert e.value == ast.NumberLit(value=Decimal(18), span=e.value.span)


def test_in_and_not_in() -> None:
    e = cond('country in ["DE", "AT"]')
    assert isinstance(e, ast.InList) and not e.negated
    assert [v.value for v in e.values] == ["DE", "AT"]  # type: ignore[union-attr]
    e = cond('country not in ["DE"]')
    assert isinstance(e, ast.InList) and e.negated


def test_between_values() -> None:
    e = cond("lifetime_value between 100 and 500")
    assert isinstance(e, ast.Between)
    assert (e.low.value, e.high.value) == (Decimal(100), Decimal(500))


@pytest.mark.parametrize(("snippet", "op", "ignore"), [
    ('email contains "@example."', "contains", False),
    ('city starts with "mün" ignoring case', "starts_with", True),
    ('city ends with "burg"', "ends_with", False),
    ('city starts   with "x"', "starts_with", False),
])
def test_string_match(snippet: str, op: str, ignore: bool) -> None:
    e = cond(snippet)
    assert isinstance(e, ast.StringMatch) and e.op == op and e.ignore_case is ignore


def test_match_is_literal_text() -> None:
    e = cond('email contains "50%_off"')
    assert isinstance(e, ast.StringMatch) and e.value.value == "50%_off"


def test_null_tests() -> None:
    e = cond("loyalty_tier is null")
    assert isinstance(e, ast.IsNull) and not e.negated
    e = cond("loyalty_tier is not null")
    assert isinstance(e, ast.IsNull) and e.negated


def test_date_trait_windows() -> None:
    e = cond("signup_date in last 30 days")
    assert isinstance(e, ast.InLast) and (e.window.amount, e.window.unit) == (30, "day")
    e = cond("signup_date before 2024-01-01")
    assert isinstance(e, ast.TimeCompare) and e.op == "before" and e.value.value == dt.date(2024, 1, 1)
    e = cond("signup_date after 2024-01-01")
    assert isinstance(e, ast.TimeCompare) and e.op == "after"


def test_booleans() -> None:
    e = cond("is_employee = false")
    assert isinstance(e, ast.Compare) and e.target.value == "is_employee"  # type: ignore[union-attr]
    assert isinstance(e.value, ast.BoolLit) and e.value.value is False
    assert cond("x != true").value.value is True


# --------------------------------------------------------------------------- §1.3 events


def test_performed_forms() -> None:
    e = cond("performed purchase")
    assert e == ast.Performed(event=e.event, span=e.span)
    e = cond("performed purchase in last 30 days")
    assert e.window.amount == 30 and e.count is None
    e = cond("performed purchase at least 3 times in last 90 days")
    assert (e.count.op, e.count.n, e.window.amount) == ("at_least", 3, 90)
    assert cond("performed purchase at most 1 time").count.op == "at_most"
    assert cond("performed purchase exactly 0 times").count.n == 0


def test_performed_where_with_window() -> None:
    e = cond('performed purchase where revenue > 50 and channel = "app" in last 30 days')
    assert isinstance(e, ast.Performed) and isinstance(e.where, ast.And)
    assert [i.target.value for i in e.where.items] == ["revenue", "channel"]
    assert e.window == ast.LastWindow(amount=30, unit="day", span=e.window.span)  # type: ignore[union-attr]


def test_performed_between_and_since() -> None:
    e = cond("performed page_view between 2024-01-01 and 2024-01-31")
    assert isinstance(e.window, ast.BetweenWindow)
    assert (e.window.start.value, e.window.end.value) == (dt.date(2024, 1, 1), dt.date(2024, 1, 31))
    e = cond("performed page_view since 2024-03-01")
    assert isinstance(e.window, ast.SinceWindow) and e.window.start.value == dt.date(2024, 3, 1)


def test_not_performed() -> None:
    e = cond("not performed purchase in last 7 days")
    assert isinstance(e, ast.Not) and isinstance(e.operand, ast.Performed)
    assert e.operand.window.amount == 7


@pytest.mark.parametrize(("unit", "canon"), [("minute", "minute"), ("minutes", "minute"), ("hour", "hour"),
                                             ("hours", "hour"), ("day", "day"), ("weeks", "week")])
def test_units(unit: str, canon: str) -> None:
    assert cond(f"performed p in last 2 {unit}").window.unit == canon


# --------------------------------------------------------------------------- §1.3 the where rule


def test_where_takes_everything_up_to_the_window() -> None:
    e = cond('performed purchase where revenue > 50 and channel = "app"')
    assert isinstance(e, ast.Performed) and isinstance(e.where, ast.And) and len(e.where.items) == 2


def test_where_closed_by_window_then_outer_and() -> None:
    e = cond('performed purchase where revenue > 50 in last 7 days and country = "DE"')
    assert isinstance(e, ast.And) and len(e.items) == 2
    assert isinstance(e.items[0], ast.Performed) and isinstance(e.items[0].where, ast.Compare)
    assert e.items[1].target.value == "country"


def test_where_closed_by_count_then_outer_or() -> None:
    e = cond("performed purchase where revenue > 50 at least 2 times or vip = true")
    assert isinstance(e, ast.Or) and e.items[0].count.n == 2


def test_where_closed_by_parentheses() -> None:
    e = cond('(performed purchase where revenue > 50) and country = "DE"')
    assert isinstance(e, ast.And)
    assert isinstance(e.items[0], ast.Performed) and isinstance(e.items[0].where, ast.Compare)


def test_where_or_not_and_parens_inside() -> None:
    e = cond('performed purchase where not (revenue > 50 or channel = "app") and x is null')
    assert isinstance(e.where, ast.And) and isinstance(e.where.items[0], ast.Not)
    assert isinstance(e.where.items[0].operand, ast.Or)


# --------------------------------------------------------------------------- §1.4 aggregates


def test_aggregates() -> None:
    e = cond("sum(purchase.revenue) in last 90 days >= 500")
    assert isinstance(e, ast.Compare) and e.op == ">=" and e.value.value == 500
    agg = e.target
    assert isinstance(agg, ast.Aggregate)
    assert (agg.func, agg.event.value, agg.property.value) == ("sum", "purchase", "revenue")  # type: ignore[union-attr]
    assert agg.window.amount == 90  # type: ignore[union-attr]
    e = cond('avg(purchase.revenue) where channel = "web" > 40')
    assert e.target.func == "avg" and isinstance(e.target.where, ast.Compare) and e.op == ">"
    e = cond("count(page_view) in last 7 days >= 10")
    assert e.target.func == "count" and e.target.property is None
    assert cond("max(purchase.revenue) > 1000").target.func == "max"
    e = cond("min(session.started_at) before 2023-01-01")
    assert isinstance(e, ast.TimeCompare) and e.target.func == "min"


def test_aggregate_between_is_test_or_window() -> None:
    e = cond("count(visit) between 2 and 5")
    assert isinstance(e, ast.Between) and e.target.window is None
    e = cond("count(visit) between 2024-01-01 and 2024-02-01 >= 3")
    assert isinstance(e, ast.Compare) and isinstance(e.target.window, ast.BetweenWindow)
    e = cond("count(visit) between 2024-01-01 and 2024-02-01 between 1 and 3")
    assert isinstance(e, ast.Between) and isinstance(e.target.window, ast.BetweenWindow)
    e = cond("count(visit) since 2024-01-01 < 3")
    assert isinstance(e.target.window, ast.SinceWindow)


# --------------------------------------------------------------------------- §1.5 references


def test_references() -> None:
    e = cond("in audience existing_customers")
    assert isinstance(e, ast.InAudience) and e.audience.value == "existing_customers"
    e = cond("has consent email_marketing")
    assert isinstance(e, ast.HasConsent) and e.purpose.value == "email_marketing"


# --------------------------------------------------------------------------- §1.6 literals


@pytest.mark.parametrize(("written", "value"), [
    (r'"say \"hi\""', 'say "hi"'),
    (r'"back\\slash"', "back\\slash"),
    (r'"line\nbreak"', "line\nbreak"),
    (r'"tab\there"', "tab\there"),
    (r'"\u00fc\u20AC"', "ü€"),
    ('"mün"', "mün"),
    ('""', ""),
])
def test_string_escapes(written: str, value: str) -> None:
    assert cond(f"x = {written}").value == ast.StringLit(value=value, span=cond(f"x = {written}").value.span)


@pytest.mark.parametrize(("written", "value"), [("42", "42"), ("-3", "-3"), ("19.99", "19.99"), ("0.10", "0.10")])
def test_numbers(written: str, value: str) -> None:
    lit = cond(f"x = {written}").value
    assert isinstance(lit, ast.NumberLit) and str(lit.value) == value


def test_dates_and_timestamps() -> None:
    assert cond("x = 2024-01-31").value.value == dt.date(2024, 1, 31)
    v = cond("x = 2024-01-31T12:00:00Z").value.value
    assert v == utc(2024, 1, 31, 12) and v.utcoffset() == dt.timedelta(0)
    v = cond("x = 2024-01-31T12:00:00+01:00").value.value
    assert v == utc(2024, 1, 31, 11) and v.utcoffset() == dt.timedelta(hours=1)
    v = cond("x = 2024-01-31T12:00+05:30").value.value
    assert v.utcoffset() == dt.timedelta(hours=5, minutes=30)


# --------------------------------------------------------------------------- precedence


def test_not_binds_tighter_than_and_than_or() -> None:
    e = cond("not a = 1 and b = 2 or c = 3")
    assert isinstance(e, ast.Or) and isinstance(e.items[0], ast.And)
    assert isinstance(e.items[0].items[0], ast.Not)
    assert isinstance(e.items[0].items[0].operand, ast.Compare)


def test_parentheses_override() -> None:
    e = cond("not (a = 1 and (b = 2 or c = 3))")
    assert isinstance(e, ast.Not) and isinstance(e.operand, ast.And)
    assert isinstance(e.operand.items[1], ast.Or)


def test_and_or_are_flat() -> None:
    e = cond("a = 1 and b = 2 and (c = 3 and d = 4)")
    assert isinstance(e, ast.And) and len(e.items) == 4
    e = cond("a = 1 or (b = 2 or c = 3) or d = 4")
    assert isinstance(e, ast.Or) and len(e.items) == 4


def test_redundant_parentheses_vanish() -> None:
    assert ast.strip_spans(cond("((((a = 1))))")) == ast.strip_spans(cond("a = 1"))


# --------------------------------------------------------------------------- names


PREFIXED = ["country", "counter", "minimum", "country_code", "performed_at", "inbox", "notes", "order",
            "andrew", "island", "between_x", "since_when", "has_x", "is_employee", "min_age", "sum_x",
            "where_x"]


@pytest.mark.parametrize("name", PREFIXED)
def test_keyword_prefixed_names_everywhere(name: str) -> None:
    e = cond(f"{name} = 1 and performed {name} where {name} = 2 and {name} is null in last 1 day "
             f"and sum({name}.{name}) > 3 and in audience {name} and has consent {name}")
    assert isinstance(e, ast.And) and len(e.items) == 5
    trait, perf, agg, aud, cons = e.items
    assert trait.target.value == name
    assert perf.event.value == name and [i.target.value for i in perf.where.items] == [name, name]
    assert agg.target.event.value == name and agg.target.property.value == name
    assert aud.audience.value == name and cons.purpose.value == name
    result = parse(f"audience {name} {{ include x = 1 require consent {name} activate {name} }}")
    assert result.ok and result.file is not None
    assert result.file.audiences[0].name.value == name


@pytest.mark.parametrize("word", ["count", "sum", "avg", "min", "max", "performed", "not", "in", "has"])
def test_condition_keywords_cannot_be_traits(word: str) -> None:
    assert not parse(f"audience t {{ include {word} = 1 }}").ok


def test_condition_keywords_are_fine_as_property_and_event_names() -> None:
    e = cond("performed count where sum = 1 and min > 2")
    assert e.event.value == "count" and [i.target.value for i in e.where.items] == ["sum", "min"]


def test_grammar_is_conflict_free() -> None:
    build_parser.cache_clear()
    try:
        parser = build_parser(strict=True)
        assert parser.parse("audience a { include x = 1 }") is not None
    finally:
        build_parser.cache_clear()
