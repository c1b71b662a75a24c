"""The checker on spec §8 forms: what the spec forbids or leaves meaningless (E316-E319), steps
whose event a market lacks, first()/last() tests against the property's type, `more than ... ago`
on non-time traits, and the lint rules walking the new nodes without tripping."""

from __future__ import annotations

from pathlib import Path

import pytest

from audiencelang.check.rules import RULES
from audiencelang.diagnostics import Severity
from tests.test_check_helpers import aud, pos, run, where


def diags(tmp: Path, expr: str) -> list[tuple[str, str | None, tuple[int, int], str]]:
    text = aud(f"include {expr}")
    return [(d.code, d.market, where(d), d.message) for d in run(tmp, {"a.aud": text}).diagnostics]


def at(expr: str, needle: str, nth: int = 0) -> tuple[int, int]:
    return pos(aud(f"include {expr}"), needle, nth)


@pytest.mark.parametrize("expr", [
    "performed purchase then purchase within 1 hour in last 30 days",
    'performed purchase where channel = "app" then purchase within 30 minutes then purchase within 1 day',
    "performed purchase then not purchase within 1 day in last 7 days",
    "performed purchase then not purchase within 30 days in last 7 days",  # the absent step looks past it
    "first performed purchase in last 30 days",
    "last performed purchase more than 90 days ago",
    "performed purchase more than 1 year ago",
    "signup more than 2 years ago and last_seen more than 3 months ago",
    "performed purchase on at least 5 distinct days in last 30 days",
    'last(purchase.channel) = "pro" and first(purchase.channel) in last 365 days in ["app", "web"]',
    "first(purchase.revenue) > 10 and last(purchase.paid_at) after 2024-01-01 and last(purchase.gift) = true",
    'last(purchase.channel) starts with "a" ignoring case or last(purchase.channel) is null',
    "min(purchase.paid_at) more than 1 year ago before 2024-01-01",
    "performed purchase then purchase within 7 days between 2024-01-01 and 2024-01-07",
])
def test_valid_forms_check_clean(tmp_path: Path, expr: str) -> None:
    assert diags(tmp_path, expr) == []


def test_count_on_a_sequence_or_first_last(tmp_path: Path) -> None:
    expr = "performed purchase then purchase at least 2 times"
    [(code, market, loc, msg)] = diags(tmp_path / "a", expr)
    assert (code, market, loc) == ("E316", None, at(expr, "at least"))
    assert "sequence" in msg
    expr = "last performed purchase on at least 2 distinct days in last 7 days"
    [(code, _, loc, msg)] = diags(tmp_path / "b", expr)
    assert (code, loc) == ("E316", at(expr, "on at least"))
    assert "'last performed'" in msg


def test_not_on_a_step_that_is_not_the_last(tmp_path: Path) -> None:
    expr = "performed purchase then not purchase within 1 day then purchase"
    [(code, _, loc, msg)] = diags(tmp_path, expr)
    assert (code, loc) == ("E317", at(expr, "then not"))
    assert "last step" in msg


def test_absent_step_without_within(tmp_path: Path) -> None:
    expr = "performed purchase then not purchase in last 7 days"
    [(code, _, loc, msg)] = diags(tmp_path, expr)
    assert (code, loc) == ("E318", at(expr, "then not"))
    assert "needs 'within'" in msg


@pytest.mark.parametrize(("expr", "needle"), [
    ("performed purchase then purchase within 8 days in last 7 days", "within"),
    ("performed purchase then purchase within 1 day then purchase within 2 months in last 1 month", "within", ),
    ("performed purchase then purchase within 169 hours between 2024-01-01 and 2024-01-07", "within"),
    ("performed purchase then purchase within 2 hours between 2024-01-01T00:00:00Z and 2024-01-01T01:00:00Z",
     "within"),
])
def test_within_longer_than_the_window(tmp_path: Path, expr: str, needle: str) -> None:
    found = diags(tmp_path, expr)
    assert [c for c, *_ in found] == ["E319"]
    assert found[0][2] == at(expr, needle, expr.count("within") - 1)


def test_step_whose_event_a_market_lacks_names_the_market(tmp_path: Path) -> None:
    expr = "performed purchase then app_open within 1 day"
    [(code, market, loc, msg)] = diags(tmp_path, expr)
    assert (code, market, loc) == ("E302", "bb", at(expr, "app_open"))
    assert "market 'bb' has no event 'app_open'" in msg
    expr = "performed purchase then not app_open where x = 1 within 1 day"
    assert [(c, m) for c, m, *_ in diags(tmp_path / "b", expr)] == [("E302", "bb"), ("E303", "aa")]
    expr = "last performed app_open in last 3 days"
    assert [(c, m) for c, m, *_ in diags(tmp_path / "c", expr)] == [("E302", "bb")]


def test_step_where_is_checked_against_its_own_event(tmp_path: Path) -> None:
    expr = 'performed purchase where chanel = "x" then purchase where revenue > "5"'
    found = diags(tmp_path, expr)
    assert [(c, loc) for c, _, loc, _ in found] == [("E303", at(expr, "chanel")), ("E310", at(expr, '"5"'))]


@pytest.mark.parametrize(("expr", "code", "needle"), [
    ('first(purchase.channel) > "a"', "E311", "first("),
    ('last(purchase.channel) between "a" and "b"', "E311", "last("),
    ("last(purchase.paid_at) in [2024-01-01]", "E311", "last("),
    ('first(purchase.revenue) contains "1"', "E312", "first("),
    ('last(purchase.channel) = 5', "E310", "5"),
    ("last(purchase.gift) < true", "E311", "last("),
    ("first(purchase.revenue) before 2024-01-01", "E314", "first("),
    ("first(purchase) = 1", "E313", "first("),
])
def test_first_last_tests_must_fit_the_property_type(tmp_path: Path, expr: str, code: str, needle: str) -> None:
    found = diags(tmp_path, expr)
    assert [(c, loc) for c, _, loc, _ in found] == [(code, at(expr, needle))]


def test_more_than_ago_on_a_trait_that_is_not_a_time(tmp_path: Path) -> None:
    expr = "age more than 2 years ago"
    [(code, _, loc, msg)] = diags(tmp_path, expr)
    assert (code, loc) == ("E314", at(expr, "age"))
    assert "'more than ... ago' needs a date or timestamp" in msg


def test_lint_rules_walk_the_new_forms(tmp_path: Path) -> None:
    # duplicates, contradictions and always-true counts see §8 forms like the others
    expr = ("performed purchase then purchase within 1 day and performed purchase then purchase within 1 day"
            " and performed purchase on at least 0 distinct days"
            " and performed purchase on at least 3 distinct days in last 7 days"
            " and performed purchase on at most 1 distinct day in last 7 days"
            " and performed purchase at most 1 time in last 7 days")
    codes = sorted(c for c, *_ in diags(tmp_path, expr))
    assert codes == ["L003", "L004", "L006"]
    # a count of days and a count of occurrences are different quantities: no L004
    expr = "performed purchase on at least 3 distinct days and performed purchase at most 1 time"
    assert diags(tmp_path / "b", expr) == []


def test_window_exceeding_retention_is_reported_for_sequence_steps(tmp_path: Path) -> None:
    expr = "performed purchase then purchase in last 400 days"
    found = diags(tmp_path, expr)
    assert {(c, m) for c, m, *_ in found} == {("L005", "aa")}


@pytest.mark.parametrize("code", ["E316", "E317", "E318", "E319"])
def test_rule_examples_give_their_code(tmp_path: Path, code: str) -> None:
    rule = RULES[code]
    assert rule.severity is Severity.ERROR
    bad = rule.bad.removeprefix("include ").replace("add_to_cart", "purchase").replace("page_view", "purchase")
    good = rule.good.removeprefix("include ").replace("add_to_cart", "purchase").replace("page_view", "purchase")
    assert code in [c for c, *_ in diags(tmp_path / "bad", bad)]
    assert diags(tmp_path / "good", good) == []


SPEC_MARKET = """\
market: shop
profiles:
  table: crm.people
  id: person_id
  traits:
    signup_date: {column: signup_date, type: date}
events:
  view_item:            {table: web.events, user: person_id, time: ts, where: {column: kind, equals: "view"},
                         properties: {category: {column: category, type: string}}}
  add_to_cart:          {table: web.events, user: person_id, time: ts, where: {column: kind, equals: "cart"}}
  purchase:             {table: shop.orders, user: person_id, time: ordered_at,
                         properties: {channel: {column: channel, type: string}}}
  app_open:             {table: app.opens, user: person_id, time: ts}
  subscription_changed: {table: billing.changes, user: person_id, time: changed_at,
                         properties: {plan: {column: plan, type: string}}}
"""


def test_the_spec_examples_check_clean_and_evaluate(tmp_path: Path) -> None:
    import datetime as dt

    from audiencelang.check import check_audience, check_project
    from audiencelang.eval import evaluate
    from audiencelang.project import load_project
    from tests.test_parse_seq import spec_examples

    (tmp_path / "markets").mkdir()
    (tmp_path / "markets" / "shop.yaml").write_text(SPEC_MARKET)
    (tmp_path / "audiencelang.toml").write_text('audiences = ["audiences"]\nmarkets = ["markets"]\n')
    (tmp_path / "audiences").mkdir()
    lines = spec_examples()
    text = "".join(f'audience spec_{i} {{\n  {META_LINES}\n  include {line}\n}}\n' for i, line in enumerate(lines))
    (tmp_path / "audiences" / "spec.aud").write_text(text)
    project = load_project(tmp_path)
    assert check_project(project).diagnostics == ()
    as_of = dt.datetime(2024, 6, 15, tzinfo=dt.UTC)
    t = as_of - dt.timedelta(days=2)
    data = {
        "crm.people": [{"person_id": 1, "signup_date": dt.date(2020, 1, 1)}],
        "web.events": [{"person_id": 1, "kind": "view", "ts": t, "category": "shoes"},
                       {"person_id": 1, "kind": "cart", "ts": t + dt.timedelta(minutes=10)}],
        "shop.orders": [{"person_id": 1, "ordered_at": t + dt.timedelta(minutes=20), "channel": "app"}],
        "app.opens": [{"person_id": 1, "ts": t - dt.timedelta(days=d)} for d in range(5)],
        "billing.changes": [{"person_id": 1, "changed_at": t, "plan": "pro"}],
    }
    got = []
    for i in range(len(lines)):
        checked, diags = check_audience(project, f"spec_{i}", "shop")
        assert checked is not None, diags
        got.append(bool(evaluate(checked, data, as_of=as_of)))
    # sequence, 3-step funnel, abandonment (bought 10 min later), first purchase recent, last not lapsed,
    # no purchase older than a year, signed up 4 years ago, 5 distinct days, plan pro, first channel app
    assert got == [True, True, False, True, False, False, True, True, True, True]


META_LINES = 'owner "t@example.com"\n  description "spec §8"'
