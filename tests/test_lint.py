"""Lint rules L000-L008: positions, config ([lint] select/ignore/per-file-ignores/severity),
suppression comments."""

from __future__ import annotations

from pathlib import Path

import pytest

from audiencelang.check.rules import RULES, lint_rules
from audiencelang.diagnostics import Severity
from audiencelang.syntax.formatter import format_str
from tests.test_check_helpers import aud, only, pos, run, where


@pytest.mark.parametrize(("code", "body", "needle"), [
    ("L003", "include performed purchase at least 0 times", "at least"),
    ("L003", "include count(purchase) >= 0", "count"),
    ("L003", "include count(purchase.items) > -1", "count"),
    ("L003", "include age is null or age is not null", "age is not"),
    ("L004", "include age > 50 and age < 30", "age < 30"),
    ("L004", "include ltv = 20 and ltv between 30 and 40", "ltv between"),
    ("L004", "include age >= 10 and age < 10", "age < 10"),
    ("L004", "include count(purchase) < 0", "count"),
    ("L006", "include age > 1 and vip = true and age > 1", "age > 1 and vip"),
    ("L006", 'include performed purchase where channel = "a" or channel = "a"', 'channel = "a" or'),
    ("L007", "include age > 1\n  require consent ads, ads", "ads"),
    ("L007", 'tags ["a", "a"]\n  include age > 1', '"a"'),
    ("L008", "include not not performed purchase", "not not"),
])
def test_rule_positions(tmp_path: Path, code: str, body: str, needle: str) -> None:
    text = aud(body)
    [d] = run(tmp_path, {"a.aud": text}).diagnostics
    if code == "L006":
        expected = pos(text, needle.split()[0], 1)
    elif code == "L007":
        expected = pos(text, needle, 1)
    else:
        expected = pos(text, needle)
    assert (d.code, where(d), d.market) == (code, expected, None)
    assert d.severity is RULES[code].severity and d.hints


@pytest.mark.parametrize("body", [
    "include age > 30 and age < 50", "include age > 50 or age < 30", "include age >= 10 and age <= 10",
    "include performed purchase at least 1 time", "include count(purchase) >= 1",
    "include age > 1 and (age > 1 or vip = true)", "include ltv between 1 and 5 and ltv > 4.5",
])
def test_no_false_positives(tmp_path: Path, body: str) -> None:
    assert run(tmp_path, {"a.aud": aud(body)}).diagnostics == ()


def test_naming_and_metadata(tmp_path: Path) -> None:
    text = "audience Cart { include age > 1 }\n".replace("Cart", "cart__x")
    r = run(tmp_path, {"a.aud": text})
    assert [(d.code, where(d)) for d in r.diagnostics] == [
        ("L001", (1, 10)), ("L002", (1, 10)), ("L002", (1, 10))]
    assert sorted(d.message.rsplit(" ", 1)[1] for d in only(r, "L002")) == ["description", "owner"]


def test_naming_pattern_and_require_from_config(tmp_path: Path) -> None:
    cfg = '[lint]\nnaming = "^aud_[a-z]+$"\nrequire = ["title"]\n'
    r = run(tmp_path, {"a.aud": "audience aud_ok { include age > 1 }\naudience nope { title \"x\" include age > 2 }\n"}, cfg)
    assert [(d.code, d.audience) for d in r.diagnostics] == [("L002", "aud_ok"), ("L001", "nope")]


def test_window_longer_than_retention_is_per_market(tmp_path: Path) -> None:
    text = aud("include performed purchase in last 400 days and sum(purchase.revenue) in last 53 weeks > 1")
    r = run(tmp_path, {"a.aud": text})
    l005 = only(r, "L005")
    assert [(where(d), d.market) for d in l005] == [(pos(text, "last 400"), "aa"), (pos(text, "last 53"), "aa")]
    assert "365 days" in l005[0].message
    assert run(tmp_path / "x", {"a.aud": aud("include performed purchase in last 52 weeks")}).diagnostics == ()


def test_suppression_covers_the_clause_it_belongs_to(tmp_path: Path) -> None:
    """A suppression covers the clause of the code before it (a trailing comment) or of the
    code after it (a comment on its own line) -- never another clause, never by line."""
    text = aud("include count(purchase) >= 0  # audiencelang: ignore[L003]\n"
               "  # audiencelang: ignore[L008]\n"
               "  and performed purchase at least 0 times\n"
               "  and not not vip = true\n"
               "  exclude not not age > 1 and count(purchase) >= 0\n"
               "  # audiencelang: ignore[L006]\n"
               "  activate meta_ads")
    r = run(tmp_path, {"a.aud": text})
    codes = [(d.code, where(d)) for d in r.diagnostics if d.code != "E401"]
    # the include clause: both L003 and the L008 two lines below the comment are silenced;
    # the exclude clause is another clause: its L008 and L003 are reported
    assert ("L008", pos(text, "not not", 1)) in codes and ("L003", pos(text, "count(", 1)) in codes
    assert ("L008", pos(text, "not not")) not in codes
    assert [(d.code, where(d)) for d in only(r, "L000")] == [("L000", pos(text, "# audiencelang: ignore[L006]"))]
    assert "in the 'activate' clause of audience 't'" in only(r, "L000")[0].message
    assert len(only(r, "L003")) == 1 and len(only(r, "L008")) == 1


def test_suppression_before_an_audience_covers_the_audience(tmp_path: Path) -> None:
    text = "# audiencelang: ignore[L006]\n" + aud("include age > 1 and age > 1", "a") + \
        aud("include age > 2 and age > 2", "b")
    r = run(tmp_path, {"a.aud": text})
    assert [(d.code, d.audience) for d in r.diagnostics] == [("L006", "b")]


def test_fmt_keeps_what_a_suppression_covers(tmp_path: Path) -> None:
    """The docs' example: fmt puts `and age < 30` on a line of its own; the stand-alone
    suppression before the term line still covers it (issue 12, item 5)."""
    text = aud("include\n"
               "    count(purchase) >= 0          # audiencelang: ignore[L003]\n"
               "    # audiencelang: ignore[L004]\n"
               "    and age > 50 and age < 30")
    before = run(tmp_path / "1", {"a.aud": text}).diagnostics
    formatted = format_str(text)
    assert "    and age > 50\n    and age < 30\n" in formatted
    after = run(tmp_path / "2", {"a.aud": formatted}).diagnostics
    assert before == after == ()


def test_unused_and_invalid_suppressions(tmp_path: Path) -> None:
    text = aud("include age > 1  # audiencelang: ignore[L006, E301, X9]")
    r = run(tmp_path, {"a.aud": text})
    msgs = [d.message for d in only(r, "L000")]
    assert len(msgs) == 3
    assert any("L006" in m and "unused" in m for m in msgs)
    assert any("E301" in m and "cannot be suppressed" in m for m in msgs)
    assert any("X9" in m for m in msgs)


def test_errors_cannot_be_suppressed(tmp_path: Path) -> None:
    text = aud("include agee > 1  # audiencelang: ignore[E301]")
    r = run(tmp_path, {"a.aud": text})
    assert [d.code for d in r.diagnostics] == ["E301", "L000"]


def test_select_ignore_and_severity(tmp_path: Path) -> None:
    body = "include age > 1 and age > 1 and not not vip = true"
    files = {"a.aud": aud(body)}
    assert {d.code for d in run(tmp_path / "1", files, '[lint]\nignore = ["L006"]\n').diagnostics} == {"L008"}
    assert {d.code for d in run(tmp_path / "2", files, '[lint]\nselect = ["L006"]\n').diagnostics} == {"L006"}
    # a more specific select wins over a broader ignore
    assert {d.code for d in run(tmp_path / "3", files, '[lint]\nignore = ["L"]\nselect = ["L008"]\n').diagnostics} == {"L008"}
    r = run(tmp_path / "4", files, '[lint.severity]\nL006 = "error"\nL0 = "info"\n')
    sev = {d.code: d.severity for d in r.diagnostics}
    assert sev == {"L006": Severity.ERROR, "L008": Severity.INFO}


def test_per_file_ignores(tmp_path: Path) -> None:
    files = {"legacy/old.aud": "audience old { include age > 1 }\n", "new.aud": "audience new { include age > 2 }\n"}
    cfg = '[lint.per-file-ignores]\n"audiences/legacy/**" = ["L002"]\n'
    r = run(tmp_path, files, cfg)
    assert {(d.code, d.span.path) for d in r.diagnostics if d.span} == {("L002", "audiences/new.aud")}


def test_disabled_rule_suppression_is_not_reported_unused(tmp_path: Path) -> None:
    text = aud("include age > 1  # audiencelang: ignore[L006]")
    assert run(tmp_path, {"a.aud": text}, '[lint]\nignore = ["L006"]\n').diagnostics == ()


def test_every_lint_rule_is_documented() -> None:
    doc = (Path(__file__).parent.parent / "docs" / "checks.md").read_text()
    for r in lint_rules():
        assert f"### {r.code}" in doc and r.name in doc
    errors = (Path(__file__).parent.parent / "docs" / "errors.md").read_text()
    for r in RULES.values():
        if not r.is_lint:
            assert f"### {r.code}" in errors


def test_the_suppression_example_in_checks_md_checks_clean(tmp_path: Path) -> None:
    """docs/checks.md's example: every code it names silences a finding (no L000), before and
    after fmt."""
    import re
    import shutil

    from audiencelang.check import check_project
    from audiencelang.project import load_project

    doc = (Path(__file__).parent.parent / "docs" / "checks.md").read_text()
    section = doc[doc.index("## Suppression comments"):]
    example = re.search(r"```\n(audience .*?)```", section, re.S)
    assert example is not None
    root = tmp_path / "p"
    shutil.copytree(Path(__file__).parent.parent / "examples", root)
    target = root / "audiences" / "suppressed.aud"
    for text in (example.group(1), format_str(example.group(1))):
        target.write_text(text)
        report = check_project(load_project(root))
        assert report.diagnostics == (), [d.message for d in report.diagnostics]
