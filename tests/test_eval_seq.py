"""The reference evaluator on spec §8 (behaviour over time), edge by edge.

Each test builds the smallest data that decides one sentence of §8, usually with one
occurrence exactly on an edge and one a microsecond beyond it. Profiles are numbered so
that the expected member set reads as the answer to the edge.
"""

from __future__ import annotations

import datetime as dt
from itertools import product
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audiencelang.eval import EvaluationError, evaluate, explain
from audiencelang.eval.over_time import calendar_days, match_sequence
from tests.test_eval import AS_OF, US, include, order, person, web

UTC = dt.UTC
H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)


def cart(pid: int, at: dt.datetime, category: str | None = None, price: Any = None) -> dict[str, Any]:
    return web(pid, "warenkorb", at, kategorie=category, preis=price)


def view(pid: int, at: dt.datetime, path: str | None = None) -> dict[str, Any]:
    return web(pid, "seitenaufruf", at, pfad=path)


def buy(pid: int, at: dt.datetime, revenue: Any = None, channel: Any = None) -> dict[str, Any]:
    return order(pid, at, revenue, channel)


def run(expr: str, n: int, web_rows: list[dict[str, Any]] = (), orders: list[dict[str, Any]] = (),  # type: ignore[assignment]
        as_of: dt.datetime = AS_OF, **traits: dict[int, Any]) -> set[int]:
    profiles = [person(i, **{k: v[i] for k, v in traits.items() if i in v}) for i in range(1, n + 1)]
    data = {"crm.kunden": profiles, "web.ereignisse": list(web_rows), "shop.bestellungen": list(orders)}
    return {int(m) for m in evaluate(include(expr), data, as_of=as_of)}  # type: ignore[call-overload]


T0 = AS_OF - 3 * D


# --------------------------------------------------------------------------- sequences


def test_positive_steps_are_strictly_later() -> None:
    rows = [cart(1, T0), cart(2, T0), cart(3, T0)]
    orders = [buy(1, T0 + US), buy(2, T0), buy(3, T0 - US)]
    # equal timestamps do not follow each other; earlier does not either
    assert run("performed add_to_cart then purchase", 3, rows, orders) == {1}


def test_within_is_inclusive() -> None:
    rows = [cart(1, T0), cart(2, T0)]
    orders = [buy(1, T0 + H), buy(2, T0 + H + US)]
    assert run("performed add_to_cart then purchase within 1 hour", 2, rows, orders) == {1}


def test_every_positive_step_lies_in_the_window() -> None:
    start = AS_OF - 7 * D
    rows = [cart(1, start), cart(2, start - US)]
    orders = [buy(1, start + H), buy(2, start + H)]
    assert run("performed add_to_cart then purchase in last 7 days", 2, rows, orders) == {1}


def test_three_steps_with_filters_and_withins_choose_any_valid_chain() -> None:
    # profile 1: the shoes view is followed by a cart 20 min later, but the only purchase is 2 days
    # later; a second cart at +1 day 23h makes the 1-day purchase gap hold (any chain counts)
    rows = [view(1, T0 - D, "shoes"), cart(1, T0 - D + 20 * dt.timedelta(minutes=1)),
            cart(1, T0 + 23 * H)]
    orders = [buy(1, T0 + D)]
    expr = ('performed page_view where path = "shoes" then add_to_cart within 30 minutes '
            "then purchase within 1 day")
    assert run(expr, 1, rows, orders) == set()  # the late cart is not within 30 min of the view
    rows.append(view(1, T0 + 23 * H - 30 * dt.timedelta(minutes=1), "shoes"))  # exactly 30 min before it
    assert run(expr, 1, rows, orders) == {1}
    rows[-1] = view(1, T0 + 23 * H - 30 * dt.timedelta(minutes=1), "socks")  # the filter decides
    assert run(expr, 1, rows, orders) == set()


def test_a_step_may_repeat_the_same_event_and_needs_a_later_occurrence() -> None:
    rows = [view(1, T0), view(1, T0 + US), view(2, T0), view(2, T0)]
    assert run("performed page_view then page_view", 2, rows) == {1}


def test_occurrences_after_as_of_never_form_a_sequence() -> None:
    rows = [cart(1, AS_OF), cart(2, AS_OF)]
    orders = [buy(1, AS_OF + US), buy(2, AS_OF)]
    assert run("performed add_to_cart then purchase", 2, rows, orders) == set()
    assert run("performed purchase then add_to_cart", 2, rows, orders) == set()
    orders = [buy(1, AS_OF - US)]
    assert run("performed purchase then add_to_cart", 2, rows, orders) == {1}


# --------------------------------------------------------------------------- the absent last step

ABANDON = "performed add_to_cart then not purchase within 1 day"


def test_absent_step_same_instant_cancels_and_edges_of_the_wait() -> None:
    rows = [cart(i, T0) for i in range(1, 6)]
    orders = [
        buy(1, T0),            # same instant: cancels (it counts as following here)
        buy(2, T0 + D),        # exactly at the end of the wait: cancels
        buy(3, T0 + D + US),   # just after: does not
        buy(4, T0 - US),       # before the cart: does not
    ]                          # 5: no purchase at all
    assert run(ABANDON, 5, rows, orders) == {3, 4, 5}


def test_the_whole_wait_must_have_passed() -> None:
    rows = [cart(1, AS_OF - D), cart(2, AS_OF - D + US)]
    assert run(ABANDON, 2, rows) == {1}  # t + 1 day <= as_of holds for 1 only


def test_absent_step_looks_past_the_window() -> None:
    # the cart is inside `in last 2 days`; the purchase cancelling it lies in the window too,
    # and one looking past the window's start is irrelevant; a cart just before the window
    # with its purchase inside does not count either way.
    start = AS_OF - 2 * D
    rows = [cart(1, start), cart(2, start), cart(3, start - US)]
    orders = [buy(1, start + H), buy(3, start + H)]
    assert run(ABANDON + " in last 2 days", 3, rows, orders) == {2}
    # the purchase cancelling a cart counts even when `where` and window of the steps would not
    # see it: window `between` ends before the purchase
    day = (AS_OF - 5 * D).date()
    rows = [cart(1, dt.datetime(day.year, day.month, day.day, 23, tzinfo=UTC))]
    orders = [buy(1, dt.datetime(day.year, day.month, day.day, 23, tzinfo=UTC) + H)]
    assert run(ABANDON + f" between {day} and {day}", 1, rows, orders) == set()


def test_a_later_abandoned_cart_counts_though_an_earlier_was_bought() -> None:
    # issue 13's motivating case: bought 6 days ago, abandoned a new cart yesterday
    rows = [cart(1, AS_OF - 6 * D - H), cart(1, AS_OF - 2 * D)]
    orders = [buy(1, AS_OF - 6 * D)]
    assert run(ABANDON + " in last 7 days", 1, rows, orders) == {1}
    assert run("performed add_to_cart in last 7 days", 1, rows, orders) == {1}
    # the old two-window spelling wrongly drops them
    assert run("performed add_to_cart in last 7 days and not performed purchase in last 7 days",
               1, rows, orders) == set()


def test_absent_step_where_filter_selects_what_cancels() -> None:
    rows = [cart(1, T0), cart(2, T0)]
    orders = [buy(1, T0 + H, channel="app"), buy(2, T0 + H, channel="web")]
    expr = 'performed add_to_cart then not purchase where channel = "app" within 1 day'
    assert run(expr, 2, rows, orders) == {2}


def test_absent_after_two_positive_steps() -> None:
    rows = [view(1, T0), cart(1, T0 + H), view(2, T0), cart(2, T0 + 2 * H)]
    expr = "performed page_view then add_to_cart within 1 hour then not purchase within 1 day"
    assert run(expr, 2, rows) == {1}


# --------------------------------------------------------------------------- first and last performed


def test_first_and_last_performed_look_at_all_history_then_the_window() -> None:
    orders = [
        buy(1, AS_OF - 10 * D),                            # first in last 30 days
        buy(2, AS_OF - 40 * D), buy(2, AS_OF - 10 * D),    # first is older than the window
        buy(3, AS_OF - 30 * D),                            # exactly on the window's start
        buy(4, AS_OF - 30 * D - US),
        buy(5, AS_OF + US),                                # after as_of: ignored
    ]
    assert run("first performed purchase in last 30 days", 5, orders=orders) == {1, 3}
    assert run("performed purchase in last 30 days", 5, orders=orders) == {1, 2, 3}
    assert run("last performed purchase in last 30 days", 5, orders=orders) == {1, 2, 3}


def test_last_performed_more_than_ago_is_strict_and_ignores_the_future() -> None:
    orders = [
        buy(1, AS_OF - 90 * D - US),                       # strictly before as_of - 90 days
        buy(2, AS_OF - 90 * D),                            # exactly on the bound: not "more than"
        buy(3, AS_OF - 100 * D), buy(3, AS_OF - D),        # bought again since
        buy(4, AS_OF - 100 * D), buy(4, AS_OF + US),       # the later purchase is after as_of
    ]
    assert run("last performed purchase more than 90 days ago", 4, orders=orders) == {1, 4}
    assert run("performed purchase more than 90 days ago", 4, orders=orders) == {1, 3, 4}


def test_first_last_performed_where_filters_before_choosing() -> None:
    orders = [buy(1, AS_OF - 40 * D, channel="web"), buy(1, AS_OF - 5 * D, channel="app")]
    assert run('first performed purchase where channel = "app" in last 30 days', 1, orders=orders) == {1}
    assert run("first performed purchase in last 30 days", 1, orders=orders) == set()


def test_first_last_without_window_mean_performed() -> None:
    orders = [buy(1, AS_OF - 400 * D)]
    assert run("first performed purchase", 2, orders=orders) == {1}
    assert run("last performed purchase", 2, orders=orders) == {1}


# --------------------------------------------------------------------------- windows and units


def test_more_than_ago_on_traits_is_strict_and_dates_are_midnight_utc() -> None:
    bound = AS_OF - 2 * 365 * D   # 2022-06-16T12:00Z (2 years = 730 days)
    stamps = {1: bound - US, 2: bound, 3: None}
    assert run("last_login_at more than 2 years ago", 3, last_login_at=stamps) == {1}
    days = {1: bound.date(), 2: bound.date() + D}  # 2022-06-16 00:00 < bound; the next day is not
    assert run("signup_date more than 2 years ago", 2, signup_date=days) == {1}
    assert run("not signup_date more than 2 years ago", 3, signup_date=days) == {2, 3}


def test_months_and_years_are_exact_durations() -> None:
    orders = [buy(1, AS_OF - 30 * D), buy(2, AS_OF - 30 * D - US), buy(3, AS_OF - 365 * D)]
    assert run("performed purchase in last 1 month", 3, orders=orders) == {1}
    assert run("performed purchase in last 1 year", 3, orders=orders) == {1, 2, 3}
    assert run("performed purchase more than 1 month ago", 3, orders=orders) == {2, 3}


def test_more_than_ago_on_aggregates_selects_the_occurrences() -> None:
    orders = [buy(1, AS_OF - 91 * D, revenue=10), buy(1, AS_OF - D, revenue=100),
              buy(2, AS_OF - 90 * D, revenue=10)]
    assert run("sum(purchase.revenue) more than 90 days ago = 10", 2, orders=orders) == {1}
    assert run("count(purchase) more than 90 days ago = 0", 2, orders=orders) == {2}


def test_a_window_reaching_before_year_one_selects_nothing_older() -> None:
    orders = [buy(1, dt.datetime(1, 1, 2, tzinfo=UTC))]
    early = dt.datetime(60, 1, 1, tzinfo=UTC)
    assert run("performed purchase more than 100 years ago", 1, orders=orders, as_of=early) == set()


# --------------------------------------------------------------------------- distinct days


def test_distinct_days_are_utc_calendar_days() -> None:
    midnight = dt.datetime(2024, 6, 10, tzinfo=UTC)
    rows = [
        view(1, midnight - US), view(1, midnight),                           # two days
        view(2, midnight), view(2, midnight + D - US),                       # one day
        view(3, midnight + H), view(3, midnight + 2 * H), view(3, midnight + D),  # two days
    ]
    assert run("performed page_view on at least 2 distinct days", 3, rows) == {1, 3}
    assert run("performed page_view on exactly 1 distinct day", 3, rows) == {2}
    assert run("performed page_view at least 2 times", 3, rows) == {1, 2, 3}
    assert run("performed page_view on at most 0 distinct days", 4, rows) == {4}


def test_distinct_days_count_only_passing_occurrences_in_the_window() -> None:
    base = dt.datetime(2024, 6, 10, tzinfo=UTC)
    rows = [view(1, base, "a"), view(1, base + D, "b"), view(1, base + 2 * D, "a")]
    assert run('performed page_view where path = "a" on exactly 2 distinct days', 1, rows) == {1}
    assert run("performed page_view on exactly 2 distinct days in last 5 days", 1, rows) == {1}


def test_calendar_days_takes_a_zone() -> None:
    t = dt.datetime(2024, 6, 10, 23, tzinfo=UTC)
    assert calendar_days([t, t + 2 * H]) == {dt.date(2024, 6, 10), dt.date(2024, 6, 11)}
    tokyo = dt.timezone(dt.timedelta(hours=9))
    assert calendar_days([t, t + 2 * H], tokyo) == {dt.date(2024, 6, 11)}


# --------------------------------------------------------------------------- first() and last()


def test_first_last_values_take_every_occurrence_at_the_edge_time() -> None:
    t = AS_OF - 5 * D
    orders = [
        buy(1, t, channel="app"), buy(1, t + H, channel="web"),
        buy(2, t, channel="app"), buy(2, t, channel="web"),   # a tie: both must pass
        buy(3, t, channel="app"), buy(3, t, channel="app"),
        buy(4, t - H, channel="web"), buy(4, t, channel=None),
    ]
    assert run('first(purchase.channel) = "app"', 5, orders=orders) == {1, 3}
    assert run('last(purchase.channel) = "web"', 5, orders=orders) == {1}
    assert run('last(purchase.channel) in ["app", "web"]', 5, orders=orders) == {1, 2, 3}
    assert run("last(purchase.channel) is null", 5, orders=orders) == {4}  # 5: no occurrence, not null
    assert run('last(purchase.channel) != "app"', 5, orders=orders) == {1}  # null: false
    assert run('not last(purchase.channel) = "app"', 5, orders=orders) == {1, 2, 4, 5}


def test_first_last_values_select_by_where_and_window_first() -> None:
    orders = [buy(1, AS_OF - 400 * D, channel="web", revenue=5), buy(1, AS_OF - 10 * D, channel="app", revenue=50)]
    assert run('first(purchase.channel) in last 365 days = "app"', 1, orders=orders) == {1}
    assert run('first(purchase.channel) = "app"', 1, orders=orders) == set()
    assert run('first(purchase.channel) where revenue > 10 = "app"', 1, orders=orders) == {1}
    assert run("last(purchase.revenue) more than 1 year ago between 1 and 5", 1, orders=orders) == {1}


def test_first_last_string_matches_and_times() -> None:
    orders = [buy(1, AS_OF - D, channel="App Store"), buy(2, AS_OF - D, channel="web")]
    assert run('last(purchase.channel) starts with "app" ignoring case', 2, orders=orders) == {1}
    assert run('last(purchase.channel) contains "Store"', 2, orders=orders) == {1}
    assert run("last(session.started_at) after 2024-01-01", 2,
               [web(2, "sitzung", AS_OF - D)]) == {2}


# --------------------------------------------------------------------------- match_sequence itself


def test_match_sequence_reports_the_chain_and_why_not() -> None:
    t = dt.datetime(2024, 1, 1, tzinfo=UTC)
    m = match_sequence([[t, t + H], [t + 2 * H]], [None, 90 * dt.timedelta(minutes=1)], AS_OF)
    assert m.holds and m.chain == (t + H, t + 2 * H)  # the closest earlier occurrence is shown
    m = match_sequence([[t], [t]], [None, None], AS_OF)
    assert not m.holds and m.chain == (t,)
    m = match_sequence([[t]], [None], t + D, absent=[t + H], wait=D)
    assert not m.holds and m.cancelled_by == t + H and m.wait_end == t + D
    m = match_sequence([[t]], [None], t + D - US, absent=[], wait=D)
    assert not m.holds and m.cancelled_by is None and m.wait_end == t + D
    m = match_sequence([[t]], [None], dt.datetime.max.replace(tzinfo=UTC), absent=[], wait=dt.timedelta(days=3_000_000))
    assert not m.holds  # a wait beyond year 9999 never passes


# --------------------------------------------------------------------------- explain


def test_explain_names_the_occurrences_that_formed_a_sequence() -> None:
    rows = [cart(1, T0)]
    orders = [buy(1, T0 + 20 * dt.timedelta(minutes=1))]
    data = {"crm.kunden": [person(1)], "web.ereignisse": rows, "shop.bestellungen": orders}
    e = explain(include("performed add_to_cart then purchase within 1 hour"), data, 1, AS_OF)
    assert e.member
    seq = e.include
    assert seq.detail == "formed by add_to_cart at 2024-06-12T12:00:00Z, then purchase at 2024-06-12T12:20:00Z"
    assert [(k.text, k.holds, k.detail) for k in seq.children] == [
        ("add_to_cart", True, "at 2024-06-12T12:00:00Z"),
        ("then purchase within 1 hour", True, "at 2024-06-12T12:20:00Z"),
    ]


def test_explain_shows_the_wait_of_an_absent_step() -> None:
    rows = [cart(1, T0)]
    data: dict[str, Any] = {"crm.kunden": [person(1)], "web.ereignisse": rows, "shop.bestellungen": []}
    e = explain(include(ABANDON), data, 1, AS_OF)
    assert e.member
    wait = e.include.children[-1]
    assert (wait.text, wait.holds) == ("then not purchase within 1 day", True)
    assert wait.detail == "none from 2024-06-12T12:00:00Z to 2024-06-13T12:00:00Z"
    assert e.include.detail == ("add_to_cart at 2024-06-12T12:00:00Z, then no purchase "
                                "up to 2024-06-13T12:00:00Z")
    data["shop.bestellungen"] = [buy(1, T0 + H)]
    e = explain(include(ABANDON), data, 1, AS_OF)
    assert not e.member and e.include.detail == "not formed"
    assert e.include.children[-1].detail == "purchase at 2024-06-12T13:00:00Z follows 2024-06-12T12:00:00Z"
    e = explain(include(ABANDON), data, 1, T0 + H - US)  # the wait is not over yet
    assert e.include.children[-1].detail == "the wait after 2024-06-12T12:00:00Z ends at 2024-06-13T12:00:00Z, after as_of"
    rendered = e.render()
    assert "✗ then not purchase within 1 day" in rendered


def test_explain_first_last_and_edge_values() -> None:
    orders = [buy(1, AS_OF - 5 * D, channel="app"), buy(1, AS_OF - 5 * D, channel=None)]
    data = {"crm.kunden": [person(1)], "shop.bestellungen": orders}
    e = explain(include('last(purchase.channel) = "app"'), data, 1, AS_OF)
    assert not e.member and e.include.detail == "last at 2024-06-10T12:00:00Z: channel = 'app', null"
    e = explain(include("first performed purchase in last 30 days"), data, 1, AS_OF)
    assert e.member and e.include.detail == "first at 2024-06-10T12:00:00Z"


# --------------------------------------------------------------------------- what the checker forbids


@pytest.mark.parametrize("expr", [
    "performed add_to_cart then purchase at least 2 times",
    "performed add_to_cart then not purchase then page_view",
    "performed add_to_cart then not purchase",
    "first performed purchase at least 2 times",
])
def test_forms_the_checker_rejects_are_evaluation_errors(expr: str) -> None:
    with pytest.raises(EvaluationError):
        run(expr, 1, [cart(1, T0)])


def test_explain_says_which_step_did_not_follow() -> None:
    data: dict[str, Any] = {"crm.kunden": [person(1)], "web.ereignisse": [cart(1, T0)],
                            "shop.bestellungen": [buy(1, T0 - H)]}
    e = explain(include("performed add_to_cart then purchase"), data, 1, AS_OF)
    assert not e.member and e.include.detail == "not formed"
    assert [(k.holds, k.detail) for k in e.include.children] == [
        (True, "at 2024-06-12T12:00:00Z"), (False, "no occurrence that follows the step before in time")]
    data["shop.bestellungen"] = []
    e = explain(include("performed add_to_cart then purchase"), data, 1, AS_OF)
    assert e.include.children[-1].detail == "no occurrence"


# --------------------------------------------------------------------------- match_sequence against brute force

_MIN = dt.timedelta(minutes=1)
_BASE = dt.datetime(2024, 1, 1, tzinfo=UTC)


def _brute(steps: list[list[dt.datetime]], within: list[dt.timedelta | None], as_of: dt.datetime,
           absent: list[dt.datetime] | None, wait: dt.timedelta | None) -> bool:
    """§8 word for word: some choice of one occurrence per positive step, in strict order, gaps
    within their limits, and (absent step) nothing in [t, t + wait] with the wait over."""
    for chain in product(*steps):
        if any(not chain[i - 1] < chain[i] for i in range(1, len(chain))):
            continue
        if any(within[i] is not None and chain[i] - chain[i - 1] > within[i]  # type: ignore[operator]
               for i in range(1, len(chain))):
            continue
        if absent is None:
            return True
        assert wait is not None
        start = chain[-1]
        if start + wait <= as_of and not any(start <= a <= start + wait for a in absent):
            return True
    return False


_times = st.lists(st.integers(0, 12).map(lambda m: _BASE + m * _MIN), max_size=4)


@settings(max_examples=400, deadline=None)
@given(st.lists(_times, min_size=1, max_size=3), st.lists(st.none() | st.integers(0, 5), min_size=3, max_size=3),
       st.none() | _times, st.integers(0, 5), st.integers(0, 15))
def test_match_sequence_agrees_with_brute_force(steps: list[list[dt.datetime]], limits: list[int | None],
                                                absent: list[dt.datetime] | None, wait: int, as_of: int) -> None:
    within = [None if x is None else x * _MIN for x in limits][: len(steps)]
    at = _BASE + as_of * _MIN
    got = match_sequence(steps, within, at, absent, wait * _MIN if absent is not None else None)
    assert got.holds == _brute(steps, within, at, absent, wait * _MIN if absent is not None else None)
    if got.holds:
        assert len(got.chain) == len(steps)
        assert all(got.chain[i - 1] < got.chain[i] for i in range(1, len(got.chain)))
