"""Small CLI behaviours: `rule` for every code family, `parse --format text`."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from audiencelang.cli import main

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "audiences" / "cart_abandoners.aud"


def test_rule_explains_codes_of_every_pass() -> None:
    runner = CliRunner()
    for code, word in [("E101", "syntax"), ("e601", "database"), ("E212", "market schema"), ("E904", "usage")]:
        r = runner.invoke(main, ["rule", code])
        assert r.exit_code == 0, r.output
        assert word in r.output and f"errors.md#{code.lower()}" in r.output
    lint = runner.invoke(main, ["rule", "L003"])
    assert lint.exit_code == 0 and "Bad:" in lint.output
    unknown = runner.invoke(main, ["rule", "X1"])
    assert unknown.exit_code == 2


def test_parse_text_is_an_outline_not_json() -> None:
    r = CliRunner().invoke(main, ["parse", str(EXAMPLE), "--format", "text"])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0].startswith("file ")
    assert any(line.strip().startswith("name: name value=cart_abandoners") for line in lines)
    assert any("window: last amount=7 unit=day" in line for line in lines)
    assert not r.output.lstrip().startswith("{")


def test_check_without_audience_files_warns_on_stderr(tmp_path: Path) -> None:
    (tmp_path / "audiencelang.toml").write_text("")
    (tmp_path / "empty").mkdir()
    r = CliRunner().invoke(main, ["check", str(tmp_path / "empty")])
    assert r.exit_code == 0
    assert "warning: no .aud files found under" in r.stderr and "empty" in r.stderr
    assert "warning" not in r.stdout  # the report itself stays clean (and parseable with --format json)
    j = CliRunner().invoke(main, ["check", str(tmp_path / "empty"), "--format", "json"])
    assert j.exit_code == 0 and j.stdout.lstrip().startswith("{")
