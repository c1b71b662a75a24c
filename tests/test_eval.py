"""The reference evaluator against hand-computed examples of docs/semantics.md.

Each test states the rule it checks and builds the smallest data that decides it,
usually with one row exactly on an edge and one a microsecond beyond it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from audiencelang import ast
from audiencelang.check.checked import CheckedAudience
from audiencelang.eval import (
    DatasetError,
    EvaluationError,
    evaluate,
    explain,
    fold_case,
    members_for_destination,
    render_audience,
    render_expr,
)
from audiencelang.schema.config import Destination
from audiencelang.schema.loader import load_market
from audiencelang.schema.market import Market
from audiencelang.syntax import parse

ROOT = Path(__file__).resolve().parents[1]
UTC = dt.UTC
AS_OF = dt.datetime(2024, 6, 15, 12, 0, tzinfo=UTC)
US = dt.timedelta(microseconds=1)


def _market(name: str) -> Market:
    market, diags = load_market(ROOT / "examples" / "markets" / f"{name}.yaml")
    assert market is not None, diags
    return market


DE = _market("de")
US_MARKET = _market("us")


def checked(text: str, market: Market = DE, **destinations: Destination) -> CheckedAudience:
    """The first audience of ``text``; every audience of ``text`` is referenceable."""
    res = parse(text)
    assert res.ok and res.file is not None, res.diagnostics
    auds = {a.name.value: a for a in res.file.audiences}
    first = res.file.audiences[0]
    return CheckedAudience(first.name.value, first, market, None, auds, destinations)


def include(expr: str, market: Market = DE) -> CheckedAudience:
    return checked(f"audience a {{ include {expr} }}", market)


def person(pid: int, **traits: Any) -> dict[str, Any]:
    cols = {name: f.column for name, f in DE.profiles.traits.items()}
    row: dict[str, Any] = {"kunden_id": pid}
    row.update({cols[k]: v for k, v in traits.items()})
    return row


def order(pid: int | None, at: dt.datetime | None, revenue: Any = None, channel: Any = None) -> dict[str, Any]:
    return {"kunde": pid, "bestellt_am": at, "umsatz": revenue, "kanal": channel}


def web(pid: int, kind: str | None, at: dt.datetime | None, **cols: Any) -> dict[str, Any]:
    return {"kunden_id": pid, "ereignis": kind, "zeitpunkt": at, **cols}


def consent(pid: int, purpose: str, status: str, at: dt.datetime | None, confirmed: dt.datetime | None = None) -> dict[str, Any]:
    return {"kunden_id": pid, "zweck": purpose, "status": status, "geaendert_am": at, "bestaetigt_am": confirmed}


def members(c: CheckedAudience, profiles: list[dict[str, Any]], **tables: list[dict[str, Any]]) -> set[Any]:
    names = {"orders": "shop.bestellungen", "web": "web.ereignisse", "consent": "legal.einwilligungen"}
    data = {"crm.kunden": profiles, **{names[k]: v for k, v in tables.items()}}
    return evaluate(c, data, as_of=AS_OF)


# --------------------------------------------------------------------------- two-valued logic


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ('country = "DE"', {1}),
        ('not country = "DE"', {2, 3}),          # null country: the comparison is false, `not` true
        ('country != "DE"', {2}),                 # a comparison: false for null
        ('not country in ["DE"]', {2, 3}),
        ('country not in ["DE"]', {2}),
        ("country is null", {3}),
        ("country is not null", {1, 2}),
        ('not (country = "DE" or country = "AT")', {3}),
    ],
)
def test_null_is_false_and_not_is_two_valued(expr: str, expected: set[int]) -> None:
    people = [person(1, country="DE"), person(2, country="AT"), person(3, country=None)]
    assert members(include(expr), people) == expected


def test_null_profile_id_is_never_a_member() -> None:
    people = [person(1), {"kunden_id": None}]
    assert members(include("country is null"), people) == {1}


def test_numbers_compare_exactly() -> None:
    people = [person(1, age=19), person(2, age=20), person(3, lifetime_value=Decimal("19.99")),
              person(4, lifetime_value=Decimal("20.00"))]
    assert members(include("age > 19.99"), people) == {2}
    assert members(include("lifetime_value = 19.99"), people) == {3}
    assert members(include("lifetime_value between 19.99 and 20"), people) == {3, 4}
    assert members(include("age in [19, 21]"), people) == {1}


def test_booleans() -> None:
    people = [person(1, is_employee=True), person(2, is_employee=False), person(3)]
    assert members(include("is_employee = false"), people) == {2}
    assert members(include("is_employee != true"), people) == {2}
    assert members(include("not is_employee = true"), people) == {2, 3}


# --------------------------------------------------------------------------- strings


def test_string_matches_are_literal_and_case_sensitive() -> None:
    people = [person(1, email="50%_off@x"), person(2, email="50XXoff@x"), person(3, email="a\\b"),
              person(4, email="50%_OFF@x")]
    assert members(include('email contains "50%_off"'), people) == {1}
    assert members(include('email contains "\\\\"'), people) == {3}
    assert members(include('email starts with "50%"'), people) == {1, 4}
    assert members(include('email ends with "_off@x"'), people) == {1}
    assert members(include('email ends with "_off@x" ignoring case'), people) == {1, 4}


def test_ignoring_case_folds_per_character_and_keeps_multi_codepoint_lowercases() -> None:
    people = [person(1, city="MÜNCHEN"), person(2, city="münchen"), person(3, city="İstanbul"),
              person(4, city="istanbul"), person(5, city="ΟΔΟΣ")]
    assert members(include('city starts with "mün" ignoring case'), people) == {1, 2}
    # the literal "İ" stays "İ" (its lower case is two code points); so does the column's
    assert members(include('city starts with "İst" ignoring case'), people) == {3}
    # per character: the final capital sigma becomes the small sigma, never the final form
    assert members(include('city ends with "\\u03bf\\u03c3" ignoring case'), people) == {5}
    assert fold_case("ÄBC İ") == "äbc İ"
    assert fold_case("ÄBC", ascii_only=True) == "Äbc"


def test_sqlite_mode_folds_ascii_only() -> None:
    c = include('city starts with "mün" ignoring case')
    data = {"crm.kunden": [person(1, city="MÜNCHEN"), person(2, city="Münster")]}
    assert evaluate(c, data, as_of=AS_OF) == {1, 2}
    assert evaluate(c, data, as_of=AS_OF, ascii_case_folding=True) == {2}


# --------------------------------------------------------------------------- time


def test_date_trait_before_after_between() -> None:
    d = dt.date
    people = [person(1, signup_date=d(2023, 12, 31)), person(2, signup_date=d(2024, 1, 1)),
              person(3, signup_date=d(2024, 1, 2)), person(4)]
    assert members(include("signup_date before 2024-01-01"), people) == {1}
    assert members(include("signup_date after 2024-01-01"), people) == {3}
    assert members(include("signup_date between 2024-01-01 and 2024-01-01"), people) == {2}
    assert members(include("signup_date = 2024-01-01"), people) == {2}
    assert members(include("signup_date < 2024-01-01T00:00:01Z"), people) == {1, 2}
    assert members(include("not signup_date after 2024-01-01"), people) == {1, 2, 4}


def test_timestamp_trait_against_days_and_instants() -> None:
    t = dt.datetime
    people = [
        person(1, last_login_at=t(2024, 1, 1, 23, 59, 59, 999999)),
        person(2, last_login_at=t(2024, 1, 2)),                       # naive = UTC
        person(3, last_login_at=t(2023, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
        person(4, last_login_at=t(2024, 1, 1, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))),  # 2023-12-31T23:00Z
    ]
    assert members(include("last_login_at after 2024-01-01"), people) == {2}
    assert members(include("last_login_at before 2024-01-01"), people) == {3, 4}
    assert members(include("last_login_at between 2024-01-01 and 2024-01-01"), people) == {1}
    assert members(include("last_login_at = 2024-01-02"), people) == {2}
    # a literal's offset is applied: 2024-01-01T01:00+01:00 is 00:00 UTC
    assert members(include("last_login_at after 2024-01-01T01:00:00+01:00"), people) == {1, 2}
    assert members(include(
        "last_login_at between 2023-12-31T23:00:00Z and 2024-01-01T23:59:59.999999Z"), people) == {1, 3, 4}


def test_in_last_window_edges() -> None:
    week = dt.timedelta(days=7)
    people = [person(1, last_login_at=AS_OF - week), person(2, last_login_at=AS_OF - week - US),
              person(3, last_login_at=AS_OF), person(4, last_login_at=AS_OF + US),
              person(5, signup_date=(AS_OF - week).date())]   # 2024-06-08 00:00 is before as_of-7d (12:00)
    assert members(include("last_login_at in last 7 days"), people) == {1, 3}
    assert members(include("last_login_at in last 1 week"), people) == {1, 3}
    assert members(include("last_login_at in last 168 hours"), people) == {1, 3}
    assert members(include("signup_date in last 7 days"), people) == set()
    assert members(include("signup_date in last 8 days"), people) == {5}


# --------------------------------------------------------------------------- events


def test_events_after_as_of_or_without_time_or_user_never_count() -> None:
    people = [person(1), person(2), person(3)]
    orders = [order(1, AS_OF), order(2, AS_OF + US), order(3, None), order(None, AS_OF)]
    assert members(include("performed purchase"), people, orders=orders) == {1}
    assert members(include("performed purchase at most 0 times"), people, orders=orders) == {2, 3}
    assert members(include("performed purchase exactly 0 times"), people, orders=orders) == {2, 3}
    assert members(include("performed purchase at least 0 times"), people, orders=orders) == {1, 2, 3}


def test_event_counts_filters_and_windows() -> None:
    day = dt.timedelta(days=1)
    people = [person(1), person(2), person(3)]
    orders = [
        order(1, AS_OF - 30 * day, Decimal("60"), "app"),     # exactly on the 30-day edge
        order(1, AS_OF - day, Decimal("40"), "app"),
        order(1, AS_OF - day, Decimal("70"), "web"),
        order(2, AS_OF - 30 * day - US, Decimal("99"), "app"),  # 1 µs outside
        order(3, AS_OF - day, None, "app"),                     # null revenue: `revenue > 50` false
    ]
    assert members(include("performed purchase in last 30 days"), people, orders=orders) == {1, 3}
    assert members(include("performed purchase where revenue > 50 and channel = \"app\" in last 30 days"),
                   people, orders=orders) == {1}
    assert members(include("performed purchase at least 3 times in last 30 days"), people, orders=orders) == {1}
    assert members(include("performed purchase exactly 1 time"), people, orders=orders) == {2, 3}
    assert members(include("performed purchase where not revenue > 50"), people, orders=orders) == {1, 3}
    assert members(include("performed purchase where revenue is null"), people, orders=orders) == {3}


def test_between_and_since_windows() -> None:
    t = dt.datetime
    people = [person(1), person(2), person(3), person(4)]
    orders = [order(1, t(2024, 1, 31, 23, 59, 59, 999999, tzinfo=UTC)), order(2, t(2024, 2, 1, tzinfo=UTC)),
              order(3, t(2024, 1, 1, tzinfo=UTC)), order(4, t(2023, 12, 31, 23, 59, 59, 999999, tzinfo=UTC))]
    assert members(include("performed purchase between 2024-01-01 and 2024-01-31"), people, orders=orders) == {1, 3}
    assert members(include("performed purchase since 2024-01-01"), people, orders=orders) == {1, 2, 3}
    assert members(include(
        "performed purchase between 2024-01-01T00:00:00Z and 2024-02-01T00:00:00Z"), people, orders=orders) == {1, 2, 3}
    # a window that is entirely after as_of selects nothing: rows after as_of never count
    late = [order(1, AS_OF + dt.timedelta(days=1))]
    assert members(include("performed purchase since 2024-06-16"), people, orders=late) == set()


def test_shared_event_table_is_restricted_by_the_events_where() -> None:
    people = [person(1), person(2), person(3)]
    rows = [web(1, "warenkorb", AS_OF), web(2, "seitenaufruf", AS_OF), web(3, None, AS_OF)]
    assert members(include("performed add_to_cart"), people, web=rows) == {1}
    assert members(include("performed page_view"), people, web=rows) == {2}
    assert members(include("count(session) = 0"), people, web=rows) == {1, 2, 3}


# --------------------------------------------------------------------------- aggregates


def test_aggregates_over_nothing() -> None:
    people = [person(1), person(2)]
    orders = [order(1, AS_OF, Decimal("10"))]
    assert members(include("count(purchase) = 0"), people, orders=orders) == {2}
    assert members(include("sum(purchase.revenue) = 0"), people, orders=orders) == {2}
    assert members(include("sum(purchase.revenue) < 1"), people, orders=orders) == {2}
    assert members(include("avg(purchase.revenue) < 100"), people, orders=orders) == {1}
    assert members(include("not avg(purchase.revenue) < 100"), people, orders=orders) == {2}
    assert members(include("max(purchase.revenue) >= 0"), people, orders=orders) == {1}
    assert members(include("min(purchase.revenue) >= 0"), people, orders=orders) == {1}
    # only null values of the property: count(E.p) and sum are 0, avg/min/max null
    nulls = [order(1, AS_OF, None), order(1, AS_OF, None)]
    assert members(include("count(purchase.revenue) = 0"), people, orders=nulls) == {1, 2}
    assert members(include("count(purchase) = 2"), people, orders=nulls) == {1}
    assert members(include("sum(purchase.revenue) = 0"), people, orders=nulls) == {1, 2}
    assert members(include("max(purchase.revenue) < 1"), people, orders=nulls) == set()


def test_avg_is_exact() -> None:
    people = [person(1), person(2)]
    orders = [order(1, AS_OF, Decimal(1)), order(1, AS_OF, Decimal(1)), order(1, AS_OF, Decimal(2)),
              order(2, AS_OF, Decimal("0.10")), order(2, AS_OF, Decimal("0.20")), order(2, AS_OF, None)]
    # 4/3 lies strictly between 1.333333333 and 1.333333334
    assert members(include("avg(purchase.revenue) > 1.333333333"), people, orders=orders) == {1}
    assert members(include("avg(purchase.revenue) < 1.333333334"), people, orders=orders) == {1, 2}
    # nulls are not counted: (0.1 + 0.2) / 2 = 0.15 exactly
    assert members(include("avg(purchase.revenue) = 0.15"), people, orders=orders) == {2}
    assert members(include("sum(purchase.revenue) = 0.3"), people, orders=orders) == {2}


def test_aggregate_windows_filters_and_time_tests() -> None:
    day = dt.timedelta(days=1)
    people = [person(1), person(2)]
    orders = [order(1, AS_OF - 100 * day, Decimal(500), "web"), order(1, AS_OF - day, Decimal(100), "web"),
              order(2, AS_OF - day, Decimal(600), "app")]
    assert members(include("sum(purchase.revenue) in last 90 days >= 500"), people, orders=orders) == {2}
    assert members(include("sum(purchase.revenue) >= 500"), people, orders=orders) == {1, 2}
    assert members(include('avg(purchase.revenue) where channel = "web" > 250'), people, orders=orders) == {1}
    sessions = [web(1, "sitzung", dt.datetime(2022, 12, 31, 23, 59, tzinfo=UTC)),
                web(1, "sitzung", AS_OF), web(2, "sitzung", dt.datetime(2023, 1, 1, tzinfo=UTC))]
    assert members(include("min(session.started_at) before 2023-01-01"), people, web=sessions) == {1}
    assert members(include("max(session.started_at) after 2023-01-01"), people, web=sessions) == {1}


# --------------------------------------------------------------------------- consent


def test_consent_latest_row_ties_and_revocations() -> None:
    t0 = AS_OF - dt.timedelta(days=10)
    c = checked("audience a { include country is null require consent ads_personalization }")
    people = [person(i) for i in range(1, 8)]
    rows = [
        consent(1, "werbung", "erteilt", t0),
        consent(2, "werbung", "erteilt", t0), consent(2, "werbung", "abgelehnt", t0),    # tie: refusal wins
        consent(3, "werbung", "erteilt", t0), consent(3, "werbung", "widerrufen", t0 + US),
        consent(4, "werbung", "widerrufen", t0), consent(4, "werbung", "erteilt", t0 + US),
        consent(5, "werbung", "erteilt", t0), consent(5, "werbung", "abgelehnt", AS_OF + US),  # future denial ignored
        consent(6, "werbung", "erteilt", t0), consent(6, "werbung", "vielleicht", t0 + US),   # unknown status ignored
        consent(7, "newsletter", "erteilt", t0),                                             # other purpose
        consent(7, "werbung", "erteilt", None),                                              # null time ignored
    ]
    assert members(c, people, consent=rows) == {1, 4, 5, 6}


def test_consent_max_age_edge() -> None:
    c = checked("audience a { include country is null require consent ads_personalization }")
    year = dt.timedelta(days=365)
    rows = [consent(1, "werbung", "erteilt", AS_OF - year), consent(2, "werbung", "erteilt", AS_OF - year - US)]
    assert members(c, [person(1), person(2)], consent=rows) == {1}


def test_double_opt_in_needs_a_confirmation_up_to_as_of() -> None:
    c = checked("audience a { include country is null require consent email_marketing }")
    t0 = AS_OF - dt.timedelta(days=3)
    rows = [
        consent(1, "newsletter", "erteilt", t0, t0 + US),
        consent(2, "newsletter", "erteilt", t0, None),
        consent(3, "newsletter", "erteilt", t0, AS_OF + US),                               # confirmed later
        consent(4, "newsletter", "erteilt", t0 - US, t0), consent(4, "newsletter", "erteilt", t0, None),
        consent(5, "newsletter", "erteilt", t0, AS_OF),
    ]
    assert members(c, [person(i) for i in range(1, 6)], consent=rows) == {1, 5}


def test_opt_out_holds_without_rows() -> None:
    c = checked("audience a { include age is null require consent ads_personalization }", US_MARKET)
    data = {"analytics.users": [{"user_id": 1}, {"user_id": 2}, {"user_id": 3}],
            "privacy.consent_log": [
                {"user_id": 2, "purpose_code": "targeted_ads", "state": "opt_out", "changed_at": AS_OF},
                {"user_id": 3, "purpose_code": "targeted_ads", "state": "opt_out", "changed_at": AS_OF - US},
                {"user_id": 3, "purpose_code": "targeted_ads", "state": "opt_in", "changed_at": AS_OF}]}
    assert evaluate(c, data, as_of=AS_OF) == {1, 3}
    has = checked("audience a { include not has consent ads_personalization }", US_MARKET)
    assert evaluate(has, data, as_of=AS_OF) == {2}


# --------------------------------------------------------------------------- references and gates


def test_in_audience_is_full_membership_of_the_reference() -> None:
    text = """
    audience outer { include in audience inner or age = 1 }
    audience inner {
      include country = "DE"
      exclude age = 2
      require consent ads_personalization
      min size 1000000
    }"""
    people = [person(1, country="DE", age=1), person(2, country="DE", age=2), person(3, country="DE"),
              person(4, country="DE")]
    rows = [consent(3, "werbung", "erteilt", AS_OF), consent(2, "werbung", "erteilt", AS_OF)]
    # 1 by age; 2 is excluded from inner; 3 is in inner (inner's min size does not apply); 4 lacks consent
    assert members(checked(text), people, consent=rows) == {1, 3}


def test_gate_returns_rows_only_at_the_effective_minimum() -> None:
    text = """audience a { include country = "DE" min size 2 activate meta }"""
    dest = Destination(min_size=3, identifier="email_sha256")
    c = checked(text, meta=dest)
    people = [person(1, country="DE", email_sha256="h1"), person(2, country="DE")]
    data = {"crm.kunden": people}
    assert members_for_destination(c, data, "meta", as_of=AS_OF) == []
    # spec §11: member 2 has no identifier: not delivered, and not counted by the gate
    data = {"crm.kunden": [*people, person(3, country="DE", email_sha256="h3")]}
    assert members_for_destination(c, data, "meta", as_of=AS_OF) == []
    data = {"crm.kunden": [*people, person(3, country="DE", email_sha256="h3"),
                           person(4, country="DE", email_sha256="h4")]}
    assert members_for_destination(c, data, "meta", as_of=AS_OF) == [(1, "h1"), (3, "h3"), (4, "h4")]
    c2 = checked(text, meta=Destination(min_size=1))
    assert members_for_destination(c2, {"crm.kunden": people}, "meta", as_of=AS_OF) == [(1, None), (2, None)]


# --------------------------------------------------------------------------- explain


def test_explain_says_which_conditions_held() -> None:
    text = """
    audience a {
      include country = "DE" and (age >= 18 or in audience b)
      exclude performed purchase in last 7 days
    }
    audience b { include city is not null }"""
    c = checked(text)
    data = {"crm.kunden": [person(1, country="DE", age=17, city="Köln")],
            "shop.bestellungen": [order(1, AS_OF - dt.timedelta(days=8))]}
    e = explain(c, data, 1, AS_OF)
    assert e.found and e.member
    assert e.include.text == 'country = "DE" and (age >= 18 or in audience b)'
    country, either = e.include.children
    assert (country.text, country.holds, country.detail) == ('country = "DE"', True, "country = 'DE'")
    age, ref = either.children
    assert (age.text, age.holds) == ("age >= 18", False)
    assert (ref.text, ref.holds) == ("in audience b", True)
    assert e.exclude is not None and not e.exclude.holds and e.exclude.detail == "0 occurrences"
    rendered = e.render()
    assert "✗ age >= 18" in rendered and "✓ in audience b" in rendered
    missing = explain(c, data, 99, AS_OF)
    assert not missing.found and not missing.member


# --------------------------------------------------------------------------- errors and text


def test_dataset_type_errors_are_reported_with_the_column() -> None:
    with pytest.raises(DatasetError, match=r"crm\.kunden\.alter"):
        members(include("age > 1"), [person(1, age="12")])
    with pytest.raises(EvaluationError, match="no trait"):
        members(include("shoe_size > 1"), [person(1)])


def test_a_window_reaching_before_year_one_has_no_lower_bound() -> None:
    c = include("last_login_at in last 5000 weeks")
    data = {"crm.kunden": [person(1, last_login_at=dt.datetime(1, 1, 1))]}
    assert evaluate(c, data, as_of=dt.datetime(50, 1, 1)) == {1}
    c = include("performed purchase in last 50000000 minutes")
    data2 = {"crm.kunden": [person(1)], "shop.bestellungen": [order(1, dt.datetime(1, 1, 1))]}
    assert evaluate(c, data2, as_of=dt.datetime(50, 1, 1, tzinfo=UTC)) == {1}
    assert evaluate(c, data2, as_of=dt.datetime(100, 1, 1, tzinfo=UTC)) == set()  # ~95 years back: year 5


def test_render_parses_back_to_the_same_tree() -> None:
    for path in sorted((ROOT / "examples" / "audiences").glob("*.aud")):
        res = parse(path.read_text())
        assert res.file is not None
        for a in res.file.audiences:
            again = parse(render_audience(a))
            assert again.ok and again.file is not None, (render_audience(a), again.diagnostics)
            assert ast.strip_spans(again.file.audiences[0]) == ast.strip_spans(a)
    tricky = 'not (performed purchase where revenue > 1) and x contains "a\\"b\\\\"'
    res = parse(f"audience a {{ include {tricky} }}")
    assert res.file is not None and res.file.audiences[0].include is not None
    assert render_expr(res.file.audiences[0].include) == tricky


def test_dataset_values_are_checked_when_read_as_docs_eval_md_says() -> None:
    """docs/eval.md: a wrong value raises DatasetError when the evaluator reads it; a column
    no condition uses, or an operand after the one that decides an `or`, is not read."""
    assert members(include('country = "DE"'), [person(1, country="DE", age="12")]) == {1}
    assert members(include('country = "DE" or age > 1'), [person(1, country="DE", age="12")]) == {1}
    with pytest.raises(DatasetError, match=r"crm\.kunden\.alter"):
        members(include('country = "AT" or age > 1'), [person(1, country="DE", age="12")])
