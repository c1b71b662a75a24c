"""Lint rules L009-L014 (issue 19): each firing and not firing; project-level rules give
the same findings in ``check`` and ``check FILE``."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from audiencelang.check import check_project
from audiencelang.cli import main
from tests.test_check_helpers import aud, make_project, only, pos, run, where

ALL = '[lint]\nselect = ["L"]\n'


def codes(report: object, code: str) -> list[tuple[str | None, tuple[int, int]]]:
    return [(d.audience, where(d)) for d in only(report, code)]  # type: ignore[arg-type]


# --------------------------------------------------------------------------- L009


def test_l009_unused_audience_fires_only_when_selected(tmp_path: Path) -> None:
    files = {"a.aud": aud("include age > 1", "used") + aud("include in audience used", "lonely"),
             "b.aud": aud("include age > 3\n  require consent ads\n  activate meta_ads", "shipped")}
    r = run(tmp_path / "on", files, ALL)
    [d] = only(r, "L009")
    assert d.audience == "lonely" and d.severity.value == "info"
    assert where(d) == pos(files["a.aud"], "lonely")
    assert "neither activated nor referenced" in d.message
    assert only(run(tmp_path / "off", files), "L009") == []  # not in the default rule set


def test_l009_can_be_suppressed_for_an_analysis_audience(tmp_path: Path) -> None:
    text = "# audiencelang: ignore[L009]\n" + aud("include age > 1", "sizing_only")
    r = run(tmp_path, {"a.aud": text}, ALL)
    assert only(r, "L009") == [] and only(r, "L000") == []


# --------------------------------------------------------------------------- L010


def test_l010_same_members_up_to_order_and_metadata(tmp_path: Path) -> None:
    a = aud('include age > 60 and country = "DE"\n  exclude vip = true or ltv > 5', "seniors")
    b = ('audience seniors_de {\n  owner "x@example.com"\n  description "other words"\n'
         '  include country = "DE" and age > 60\n  exclude ltv > 5 or vip = true\n}\n')
    r = run(tmp_path, {"a.aud": a, "b.aud": b})
    [d] = only(r, "L010")
    assert d.audience == "seniors_de" and d.span is not None and d.span.path == "audiences/b.aud"
    assert d.message == "audience 'seniors_de' has the same members as 'seniors'"
    assert "audiences/a.aud:1:10" in d.hints[0]


@pytest.mark.parametrize("other", [
    'include age > 60 and country = "AT"\n  exclude vip = true or ltv > 5',  # another value
    'include age > 60 and country = "DE"\n  exclude vip = true',  # another exclude
    'include age > 60 and country = "DE"\n  exclude vip = true or ltv > 5\n  require consent ads',  # consent
])
def test_l010_does_not_fire_for_different_members(tmp_path: Path, other: str) -> None:
    a = aud('include age > 60 and country = "DE"\n  exclude vip = true or ltv > 5', "seniors")
    assert only(run(tmp_path, {"a.aud": a, "b.aud": aud(other, "other")}), "L010") == []


# --------------------------------------------------------------------------- L011


def test_l011_negated_at_least(tmp_path: Path) -> None:
    text = aud("include not performed purchase at least 3 times in last 90 days")
    [d] = only(run(tmp_path, {"a.aud": text}), "L011")
    assert d.severity.value == "info" and where(d) == pos(text, "not performed")
    assert d.message == ("'not performed purchase at least 3 times' is "
                         "'performed purchase at most 2 times'")
    assert "same profiles" in d.hints[0]
    text2 = aud("include not performed purchase at least 2 times")
    [d2] = only(run(tmp_path / "two", {"a.aud": text2}), "L011")
    assert "'performed purchase at most 1 time'" in d2.message


@pytest.mark.parametrize("body", [
    "include not performed purchase",  # no count: the idiom
    "include not performed purchase at least 1 time",  # at most 0 is not clearer
    "include performed purchase at least 3 times",  # not negated
    "include not performed purchase at most 3 times",
])
def test_l011_does_not_fire(tmp_path: Path, body: str) -> None:
    assert only(run(tmp_path, {"a.aud": aud(body)}), "L011") == []


# --------------------------------------------------------------------------- L012


@pytest.mark.parametrize(("body", "needle"), [
    ('include country in ["DE", "AT"]\n  exclude country = "FR"', 'country = "FR"'),
    ('include country = "DE"\n  exclude performed purchase or country != "DE"', 'country != "DE"'),
    ('include country in ["DE"]\n  exclude country not in ["DE", "AT"]', "country not in"),
    ("include age >= 18 and ltv > 1\n  exclude age < 18", "age < 18"),
    ("include age between 18 and 30\n  exclude age > 40 and vip = true", "age > 40"),
    ("include vip = false\n  exclude vip = true", "vip = true"),
    ('include country = "DE"\n  exclude country is null', "country is null"),
])
def test_l012_dead_exclusion(tmp_path: Path, body: str, needle: str) -> None:
    text = aud(body)
    [d] = only(run(tmp_path, {"a.aud": text}), "L012")
    assert where(d) == pos(text, needle) and d.severity.value == "warning"
    assert d.message.startswith("this exclusion can never match: the include requires ")


@pytest.mark.parametrize("body", [
    'include country in ["DE", "AT"]\n  exclude country = "AT"',
    'include country in ["DE", "AT"]\n  exclude country != "DE"',  # AT profiles are excluded
    "include age >= 18\n  exclude age < 21",
    'include country = "DE" or age > 1\n  exclude country = "FR"',  # the include is an 'or'
    'include not country = "DE"\n  exclude country = "DE"',  # not decided through 'not'
    'include performed purchase where channel = "a"\n  exclude channel = "b"',  # where: properties
    'include country = "DE"\n  exclude region = "FR"',
])
def test_l012_does_not_fire(tmp_path: Path, body: str) -> None:
    assert only(run(tmp_path, {"a.aud": aud(body)}), "L012") == []


# --------------------------------------------------------------------------- L013


def test_l013_unused_destination_at_the_config_line(tmp_path: Path) -> None:
    files = {"a.aud": aud("include age > 1\n  require consent ads\n  activate meta_ads", "shipped")}
    r = run(tmp_path, files, ALL)
    [d] = only(r, "L013")
    assert d.message == "destination 'sms_push' is defined but no audience activates it"
    assert d.span is not None and d.span.path == "audiencelang.toml"
    cfg = (tmp_path / "audiencelang.toml").read_text()
    assert d.span.line == cfg.splitlines().index("[destinations.sms_push]") + 1
    assert only(run(tmp_path / "off", files), "L013") == []  # not in the default rule set
    both = {"a.aud": files["a.aud"] + aud("include age > 2\n  require consent sms\n  activate sms_push", "texted")}
    assert only(run(tmp_path / "used", both, ALL), "L013") == []


# --------------------------------------------------------------------------- L014


def test_l014_owner_list_and_pattern(tmp_path: Path) -> None:
    text = aud("include age > 1")  # owner "t@example.com"
    r = run(tmp_path / "list", {"a.aud": text}, '[lint]\nowners = ["t@example.org", "crm@example.com"]\n')
    [d] = only(r, "L014")
    assert d.message == 'owner "t@example.com" is not one of the owners listed in [lint] owners'
    assert where(d) == pos(text, '"t@example.com"') and d.hints == ("did you mean 'crm@example.com', 't@example.org'?",)
    assert only(run(tmp_path / "ok", {"a.aud": text}, '[lint]\nowners = ["t@example.com"]\n'), "L014") == []
    r = run(tmp_path / "pat", {"a.aud": text}, '[lint]\nowner-pattern = ".+@corp\\\\.com"\n')
    [d] = only(r, "L014")
    assert d.message == 'owner "t@example.com" does not match [lint] owner-pattern .+@corp\\.com'
    good = run(tmp_path / "patok", {"a.aud": text}, '[lint]\nowner-pattern = "[a-z]+@example\\\\.com"\n')
    assert only(good, "L014") == []
    assert only(run(tmp_path / "none", {"a.aud": text}), "L014") == []  # no setting: any owner


def test_l014_bad_pattern_is_e211(tmp_path: Path) -> None:
    r = run(tmp_path, {"a.aud": aud("include age > 1")}, '[lint]\nowner-pattern = "(unclosed"\n')
    assert [d.code for d in r.diagnostics if d.code == "E211"] == ["E211"]


# --------------------------------------------------------------------------- check FILE


def test_project_rules_are_the_same_in_check_and_check_file(tmp_path: Path) -> None:
    files = {"a.aud": aud('include age > 60 and country = "DE"', "first") + aud("include age > 1", "unused"),
             "b.aud": aud('include country = "DE" and age > 60', "second")}
    project = make_project(tmp_path, files, ALL)
    whole = check_project(project)
    one = check_project(project, paths=["audiences/b.aud"])
    proj_codes = ("L009", "L010")
    in_b = sorted((d.code, d.audience) for d in whole.diagnostics
                  if d.code in proj_codes and d.span is not None and d.span.path == "audiences/b.aud")
    assert in_b == [("L009", "second"), ("L010", "second")]
    assert sorted((d.code, d.audience) for d in one.diagnostics
                  if d.code in proj_codes and d.span is not None and d.span.path == "audiences/b.aud") == in_b
    # a.aud holds findings of these rules a change to b.aud could have caused: reported too, as whole
    assert "audiences/a.aud" in one.files
    assert sorted((d.code, d.audience) for d in one.diagnostics if d.code in proj_codes) == \
        sorted((d.code, d.audience) for d in whole.diagnostics if d.code in proj_codes)
    # the config's L013 only when the whole project is reported on
    assert [d.code for d in whole.diagnostics if d.code == "L013"] == ["L013", "L013"]
    quiet = tmp_path / "quiet"
    quiet.mkdir()
    only_l013 = make_project(quiet, {"a.aud": aud("include age > 60", "first"), "b.aud": aud("include age > 7", "second"),
                                     "c.aud": aud("include age > 9", "third")},
                             '[lint]\nselect = ["L013"]\n')
    assert [d.code for d in check_project(only_l013).diagnostics if d.code == "L013"] == ["L013", "L013"]
    part = check_project(only_l013, paths=["audiences/b.aud"])
    assert set(part.files) != set(check_project(only_l013).files)
    assert [d.code for d in part.diagnostics if d.code == "L013"] == []
    cli = CliRunner().invoke(main, ["check", "--project", str(tmp_path), "--format", "concise",
                                    str(tmp_path / "audiencelang.toml")])
    assert cli.output.count("L013") == 2


def test_examples_stay_clean_with_the_default_rules() -> None:
    from audiencelang.project import load_project

    examples = Path(__file__).resolve().parent.parent / "examples"
    report = check_project(load_project(examples))
    assert report.diagnostics == ()
