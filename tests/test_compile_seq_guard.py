"""Until the SQL for spec §8 lands, `compile` of a §8 form ends in E507 at the form's position,
never in a traceback (the guard is `_refuse_not_yet_compiled` in audiencelang/sql/lower.py; this
file goes with it). Months and years in the existing windows already compile."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from audiencelang.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def project(tmp: Path, expr: str) -> Path:
    shutil.copytree(EXAMPLES, tmp / "p")
    (tmp / "p" / "audiences" / "seq.aud").write_text(
        f'audience seq_t {{\n  owner "a@example.com"\n  description "d"\n  include {expr}\n}}\n'
        "audience seq_ref {\n  include in audience seq_t\n}\n", encoding="utf-8")
    return tmp / "p"


def compile_cli(root: Path, name: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["compile", name, "--market", "de", "--dialect", "duckdb",
                                       "--as-of", "2024-06-15T00:00:00Z", "--project", str(root)])
    return result.exit_code, result.output


@pytest.mark.parametrize(("expr", "form", "column"), [
    ("age > 1 and performed add_to_cart then not purchase within 1 day in last 7 days", "a sequence", 23),
    ("first performed purchase in last 30 days", "'first performed'", 11),
    ("performed purchase more than 1 year ago", "the window 'more than N UNIT ago'", 30),
    ("signup_date more than 2 years ago", "the window 'more than N UNIT ago'", 23),
    ("performed page_view on at least 5 distinct days", "a count of distinct days", 31),
    ('last(purchase.channel) = "app"', "the aggregate last()", 11),
])
def test_seq_forms_end_in_e507_at_their_position(tmp_path: Path, expr: str, form: str, column: int) -> None:
    root = project(tmp_path, expr)
    for name in ("seq_t", "seq_ref"):  # also through a reference
        code, out = compile_cli(root, name)
        assert code == 1, out
        assert "Traceback" not in out and "internal error" not in out
        assert f"error[E507] [market de]: {form}" in out and "cannot be compiled to SQL yet" in out
        assert f"audiences/seq.aud:4:{column}" in out


def test_months_and_years_in_windows_compile_as_exact_days(tmp_path: Path) -> None:
    root = project(tmp_path, "performed purchase in last 2 months and signup_date in last 1 year")
    code, months = compile_cli(root, "seq_t")
    assert code == 0, months
    (root / "audiences" / "seq.aud").write_text(
        'audience seq_t {\n  owner "a@example.com"\n  description "d"\n'
        "  include performed purchase in last 60 days and signup_date in last 365 days\n}\n", encoding="utf-8")
    code, days = compile_cli(root, "seq_t")
    assert code == 0 and days == months
