"""Name resolution, types and activation policy (E3xx, E4xx): every code with its
position and market, on a two-market test project (aa has more than bb)."""

from __future__ import annotations

from pathlib import Path

import pytest

from audiencelang.check import check_audience, check_project
from audiencelang.diagnostics import Severity
from audiencelang.project import load_project
from tests.test_check_helpers import aud, make_project, only, pos, run, where

EXAMPLES = Path(__file__).parent.parent / "examples"


def test_example_project_checks_clean() -> None:
    report = check_project(load_project(EXAMPLES))
    assert report.diagnostics == ()
    assert report.markets == ("de", "fr", "us")
    assert len(report.audiences) >= 10


def test_clean_audience_has_no_findings(tmp_path: Path) -> None:
    text = aud('include age >= 18 and country in ["DE"] and performed purchase in last 30 days\n'
               '  require consent ads\n  activate meta_ads')
    assert run(tmp_path, {"a.aud": text}).diagnostics == ()


# ---------------------------------------------------------------- names (market-specific)


@pytest.mark.parametrize(("code", "expr", "needle", "name"), [
    ("E301", 'region = "x"', "region", "trait 'region'"),
    ("E302", "performed app_open", "app_open", "event 'app_open'"),
    ("E304", "has consent sms", "sms", "consent purpose 'sms'"),
])
def test_name_missing_in_one_market(tmp_path: Path, code: str, expr: str, needle: str, name: str) -> None:
    text = aud(f"include {expr}")
    [d] = run(tmp_path, {"a.aud": text}).diagnostics
    assert d.code == code and d.market == "bb" and d.severity is Severity.ERROR
    assert where(d) == pos(text, needle)
    assert f"market 'bb' has no {name}" in d.message
    assert d.audience == "t"


def test_unknown_trait_everywhere_is_one_market_independent_error_with_hint(tmp_path: Path) -> None:
    text = aud('include contry = "DE"')
    [d] = run(tmp_path, {"a.aud": text}).diagnostics
    assert (d.code, d.market, where(d)) == ("E301", None, pos(text, "contry"))
    assert "did you mean 'country'" in d.hints[0]
    # restricted to one market, the same finding names it
    [d1] = run(tmp_path / "x", {"a.aud": text}, markets=["aa"]).diagnostics
    assert d1.market == "aa" and "market 'aa' has no trait 'contry'" in d1.message


def test_unknown_event_and_property_hints(tmp_path: Path) -> None:
    text = aud('include performed purchse or performed purchase where revenu > 3 in last 3 days\n'
               '  or (performed purchase where country = "DE")')
    r = run(tmp_path, {"a.aud": text})
    [e302] = only(r, "E302")
    assert where(e302) == pos(text, "purchse") and "'purchase'" in e302.hints[0]
    e303 = only(r, "E303")
    assert [where(d) for d in e303] == [pos(text, "revenu "), pos(text, "country")]
    assert all(d.market is None for d in e303)
    assert "'revenue'" in e303[0].hints[0]
    assert any("is a trait" in h for h in e303[1].hints)


def test_aggregate_property_resolution(tmp_path: Path) -> None:
    text = aud("include sum(purchase.amount) > 3 and count(purchase.items) >= 1")
    [d] = run(tmp_path, {"a.aud": text}).diagnostics
    assert (d.code, where(d), d.market) == ("E303", pos(text, "amount"), None)


def test_unknown_audience_duplicate_and_cycle(tmp_path: Path) -> None:
    a = aud("include in audience b or in audience nope", "a")
    b = aud("include in audience c", "b")
    c = aud("include in audience a", "c")
    dup = aud("include age > 1", "b")
    r = run(tmp_path, {"a.aud": a, "b.aud": b + c, "z.aud": dup})
    [e305] = only(r, "E305")
    assert (where(e305), e305.market, e305.span.path) == (pos(a, "nope"), None, "audiences/a.aud")
    [e306] = only(r, "E306")
    assert e306.span.path == "audiences/z.aud" and where(e306) == pos(dup, "b ")
    assert "first defined at audiences/b.aud:1:10" in e306.hints
    e307 = only(r, "E307")
    assert sorted(d.audience for d in e307) == ["a", "b", "c"]
    msg = {d.audience: d.message for d in e307}
    assert msg["a"].endswith("a -> b -> c -> a")
    assert msg["c"].endswith("c -> a -> b -> c")
    d_a = next(d for d in e307 if d.audience == "a")
    assert where(d_a) == pos(a, "b or") and d_a.market is None


def test_self_reference_is_a_cycle(tmp_path: Path) -> None:
    text = aud("include age > 1 and not in audience t")
    [d] = run(tmp_path, {"a.aud": text}).diagnostics
    assert d.code == "E307" and d.message.endswith("t -> t") and where(d) == pos(text, "t\n")


# ---------------------------------------------------------------- types


@pytest.mark.parametrize(("code", "expr", "needle"), [
    ("E310", 'age = "18"', '"18"'),
    ("E310", "country = 3", "3"),
    ("E310", "vip = 1", "1"),
    ("E310", "signup > 5", "5"),
    ("E310", 'ltv in [1, "2"]', '"2"'),
    ("E310", "age between 1 and 2024-01-01", "2024"),
    ("E310", "sum(purchase.revenue) > true", "true"),
    ("E310", "performed purchase where channel = 1 in last 3 days", "1 in"),
    ("E311", 'country < "DE"', "country"),
    ("E311", "vip >= true", "vip"),
    ("E311", "vip in [true]", "vip"),
    ("E311", "signup in [2024-01-01]", "signup"),
    ('E311', 'country between "a" and "b"', "country"),
    ("E312", 'age contains "1"', "age"),
    ("E312", 'performed purchase where items ends with "x"', "items"),
    ("E313", "sum(purchase.channel) > 1", "sum"),
    ("E313", "avg(purchase.gift) > 1", "avg"),
    ("E313", "max(purchase.channel) > 1", "max"),
    ("E313", "sum(purchase) > 1", "sum"),
    ("E314", "age in last 3 days", "age"),
    ("E314", "ltv before 2024-01-01", "ltv"),
    ("E314", "count(purchase) after 2024-01-01", "count"),
])
def test_type_errors(tmp_path: Path, code: str, expr: str, needle: str) -> None:
    text = aud(f"include {expr}")
    [d] = run(tmp_path, {"a.aud": text}).diagnostics
    assert (d.code, where(d), d.market) == (code, pos(text, needle, 0), None)
    assert d.severity is Severity.ERROR and d.hints


@pytest.mark.parametrize("expr", [
    "ltv > 19.99", "age = 19.5", "signup > 2024-01-01T10:00:00Z", "last_seen between 2024-01-01 and 2024-02-01",
    "min(purchase.paid_at) before 2024-01-01", "max(purchase.revenue) >= 1", "avg(purchase.items) > 1.5",
    "count(purchase.channel) > 1", "vip != false", 'country not in ["a", "b"]', "age between 3 and 3",
    "last_seen in last 2 hours", 'performed purchase where gift = true and channel != "x" at least 2 times',
])
def test_well_typed_conditions_pass(tmp_path: Path, expr: str) -> None:
    assert run(tmp_path, {"a.aud": aud(f"include {expr}")}).diagnostics == ()


@pytest.mark.parametrize("expr", ["age between 65 and 18", "signup between 2024-02-01 and 2024-01-31",
                                  "last_seen between 2024-01-01T10:00:00Z and 2024-01-01T10:00:00+01:00"])
def test_between_bounds_out_of_order(tmp_path: Path, expr: str) -> None:
    text = aud(f"include {expr}")
    [d] = run(tmp_path, {"a.aud": text}).diagnostics
    assert (d.code, where(d), d.market) == ("E315", pos(text, expr.split()[0]), None)


# ---------------------------------------------------------------- consent and activation


def test_activation_without_required_consent(tmp_path: Path) -> None:
    text = aud("include age > 1\n  activate meta_ads")
    [d] = run(tmp_path, {"a.aud": text}).diagnostics
    assert (d.code, where(d), d.market) == ("E401", pos(text, "activate"), None)
    assert "'meta_ads'" in d.message and "'ads'" in d.message
    assert "require consent ads" in d.hints[0]


def test_unknown_destination(tmp_path: Path) -> None:
    text = aud("include age > 1\n  activate meta_adds")
    [d] = run(tmp_path, {"a.aud": text}).diagnostics
    assert (d.code, where(d), d.market) == ("E402", pos(text, "meta_adds"), None)
    assert "'meta_ads'" in d.hints[0]


def test_identifier_trait_missing_in_a_market(tmp_path: Path) -> None:
    text = aud("include age > 1\n  require consent sms\n  activate sms_push")
    r = run(tmp_path, {"a.aud": text})
    [e403] = only(r, "E403")
    assert (where(e403), e403.market) == (pos(text, "activate"), "bb")
    assert "'phone'" in e403.message and "'bb'" in e403.message
    [e404] = only(r, "E404")  # bb also lacks the purpose
    assert (where(e404), e404.market) == (pos(text, "sms\n"), "bb")


def test_required_purpose_without_consent_block(tmp_path: Path) -> None:
    project = make_project(tmp_path, {"a.aud": aud("include age > 1\n  require consent ads")})
    bb = tmp_path / "markets" / "bb.yaml"
    bb.write_text(bb.read_text().split("consent:")[0])
    [d] = check_project(load_project(tmp_path)).diagnostics
    assert project is not None
    assert (d.code, d.market) == ("E404", "bb") and "no consent block" in d.message


# ---------------------------------------------------------------- check_audience


def test_check_audience_collects_references_and_destinations(tmp_path: Path) -> None:
    project = make_project(tmp_path, {
        "a.aud": aud("include in audience b\n  require consent ads\n  activate meta_ads", "a"),
        "b.aud": aud("include in audience c", "b") + aud("include age > 1", "c") + aud("include age > 2", "d"),
    })
    checked, diags = check_audience(project, "a", "aa")
    assert diags == [] and checked is not None
    assert sorted(checked.audiences) == ["a", "b", "c"]
    assert list(checked.destinations) == ["meta_ads"]
    assert checked.destinations["meta_ads"].min_size == 100
    assert checked.market_name == "aa" and checked.file == "audiences/a.aud"


def test_check_audience_fails_when_a_reference_fails_in_that_market(tmp_path: Path) -> None:
    project = make_project(tmp_path, {"a.aud": aud("include in audience b", "a") + aud('include region = "x"', "b")})
    ok, _ = check_audience(project, "a", "aa")
    assert ok is not None
    bad, diags = check_audience(project, "a", "bb")
    assert bad is None
    assert [(d.code, d.market, d.audience) for d in diags] == [("E301", "bb", "b")]


def test_check_audience_unknown_names(tmp_path: Path) -> None:
    project = make_project(tmp_path, {"a.aud": aud("include age > 1", "a")})
    none, [d] = check_audience(project, "aa_", "aa")
    assert none is None and d.code == "E610"
    none, [d] = check_audience(project, "a", "cc")
    assert none is None and d.code == "E910"


def test_markets_argument_restricts_and_reports_unknown(tmp_path: Path) -> None:
    r = run(tmp_path, {"a.aud": aud('include region = "x"')}, markets=["aa", "zz"])
    assert r.markets == ("aa",)
    assert [d.code for d in r.diagnostics] == ["E910"]


def test_paths_restrict_reported_files_but_references_resolve(tmp_path: Path) -> None:
    project = make_project(tmp_path, {"a.aud": aud("include in audience b", "a"),
                                      "sub/b.aud": aud("include nope > 1", "b")})
    r = check_project(project, paths=["audiences/a.aud"])
    assert r.diagnostics == () and r.files == ("audiences/a.aud",)
    r2 = check_project(project, paths=[tmp_path / "audiences" / "sub"])
    assert [d.code for d in r2.diagnostics] == ["E301"]


def test_output_is_deterministic(tmp_path: Path) -> None:
    files = {"a.aud": aud('include region = "x" and age = "1" and contry = 1\n  activate nowhere')}
    r1 = run(tmp_path / "1", files)
    r2 = run(tmp_path / "2", files)
    assert r1.diagnostics == r2.diagnostics
    assert list(r1.diagnostics) == sorted(r1.diagnostics, key=lambda d: (*d.sort_key(), d.message))
