"""Months and years (spec §8) are exact durations in compiled SQL: the same statement as
30 and 365 days."""

from __future__ import annotations

import shutil
from pathlib import Path

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


def test_months_and_years_in_windows_compile_as_exact_days(tmp_path: Path) -> None:
    root = project(tmp_path, "performed purchase in last 2 months and signup_date in last 1 year")
    code, months = compile_cli(root, "seq_t")
    assert code == 0, months
    (root / "audiences" / "seq.aud").write_text(
        'audience seq_t {\n  owner "a@example.com"\n  description "d"\n'
        "  include performed purchase in last 60 days and signup_date in last 365 days\n}\n", encoding="utf-8")
    code, days = compile_cli(root, "seq_t")
    assert code == 0 and days == months
