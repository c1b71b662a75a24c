"""`audiencelang check` through the CLI: formats (json, github, sarif validated against
the SARIF 2.1.0 schema subset, junit), -o, --fail-on, --market, exit codes; `rule`."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from audiencelang.check.rules import RULES
from audiencelang.cli import main
from tests.test_check_helpers import FIXTURES, aud, make_project, pos

EXAMPLES = Path(__file__).parent.parent / "examples"
BAD = aud('include region = "x" and age > 1 and age > 1\n  activate meta_ads', "bad")
WARN_ONLY = aud("include age > 1 and age > 1", "warn_only")


def cli(args: list[str], cwd: Path) -> tuple[int, str, str]:
    old = os.getcwd()
    os.chdir(cwd)
    try:
        r = CliRunner().invoke(main, args)
    finally:
        os.chdir(old)
    return r.exit_code, r.stdout, r.stderr


@pytest.fixture
def bad_project(tmp_path: Path) -> Path:
    make_project(tmp_path, {"bad.aud": BAD, "ok.aud": aud("include age > 1", "ok")})
    return tmp_path


def test_examples_exit_0(tmp_path: Path) -> None:
    code, out, _ = cli(["check", "--project", str(EXAMPLES)], tmp_path)
    assert code == 0 and "All checks passed" in out
    code, out, _ = cli(["check"], EXAMPLES / "audiences")
    assert code == 0


def test_full_output_shows_source_caret_and_hint(bad_project: Path) -> None:
    code, out, _ = cli(["check", "--format", "text"], bad_project)
    assert code == 1
    assert "error[E301] [market bb]: market 'bb' has no trait 'region'" in out
    assert "  --> audiences/bad.aud:" in out
    assert '  include region = "x"' in out and "^^^^^^" in out
    assert "= hint: add the line:  require consent ads" in out


def test_paths_are_relative_to_the_current_folder(bad_project: Path) -> None:
    code, _out, _ = cli(["check", "--project", "proj", "--output-format", "concise"], bad_project.parent)
    code2, out2, _ = cli(["check", "--project", bad_project.name, "--output-format", "concise"], bad_project.parent)
    assert code2 == 1 and f"{bad_project.name}/audiences/bad.aud:" in out2
    assert code == 2  # no such folder


def test_json_output(bad_project: Path) -> None:
    code, out, _ = cli(["check", "--output-format", "json"], bad_project)
    doc = json.loads(out)
    assert code == 1 and doc["version"] == 1
    codes = [(d["code"], d["market"], d["line"], d["column"]) for d in doc["diagnostics"]]
    line, col = pos(BAD, "region")
    assert ("E301", "bb", line, col) in codes
    e401 = next(d for d in doc["diagnostics"] if d["code"] == "E401")
    assert e401["rule"] == "activation-without-consent" and e401["market"] is None
    assert e401["url"].endswith("docs/errors.md#e401") and e401["audience"] == "bad"
    assert doc["summary"]["errors"] == 2 and doc["summary"]["warnings"] == 1
    assert doc["summary"]["market_names"] == ["aa", "bb"] and doc["summary"]["audiences"] == 2


def test_github_annotations(bad_project: Path) -> None:
    _code, out, _ = cli(["check", "--format", "github"], bad_project)
    lines = out.splitlines()
    line, col = pos(BAD, "region")
    assert f"::error file=audiences/bad.aud,line={line},col={col},endLine={line},endColumn={col + 6}," \
           f"title=E301 [bb]::market 'bb' has no trait 'region'" in lines[0] or any(
        x.startswith(f"::error file=audiences/bad.aud,line={line},col={col},") and "title=E301 [bb]" in x
        for x in lines)
    assert any(x.startswith("::warning ") and "title=L006" in x for x in lines)
    assert "%0Ahint%3A" not in out and "%0Ahint: " in out  # newline escaped in the message
    assert "error[E301]" in out  # followed by the full report


def test_sarif_validates_and_has_rule_metadata(bad_project: Path) -> None:
    _code, out, _ = cli(["check", "--format", "sarif"], bad_project)
    doc = json.loads(out)
    schema = json.loads((FIXTURES / "sarif-2.1.0-subset.json").read_text())
    jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker()).validate(doc)
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert set(RULES) <= set(ids)
    l006 = rules[ids.index("L006")]
    assert l006["name"] == "duplicate-condition" and l006["helpUri"].endswith("docs/checks.md#l006")
    res = next(r for r in run["results"] if r["ruleId"] == "E301")
    assert res["properties"]["market"] == "bb" and res["level"] == "error"
    assert rules[res["ruleIndex"]]["id"] == "E301"
    assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "audiences/bad.aud"
    assert res["locations"][0]["physicalLocation"]["region"]["startLine"] == pos(BAD, "region")[0]


def test_sarif_schema_subset_rejects_bad_documents() -> None:
    schema = json.loads((FIXTURES / "sarif-2.1.0-subset.json").read_text())
    v = jsonschema.Draft4Validator(schema)
    assert not v.is_valid({"version": "2.0.0", "runs": []})
    assert not v.is_valid({"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]})
    bad_level = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}},
                                               "results": [{"message": {"text": "m"}, "level": "fatal"}]}]}
    assert not v.is_valid(bad_level)


def test_junit_one_testcase_per_audience_and_market(bad_project: Path) -> None:
    out_file = bad_project / "report.xml"
    code, out, _ = cli(["check", "--format", "junit", "-o", str(out_file)], bad_project)
    assert code == 1 and out == ""
    root = ET.fromstring(out_file.read_text())
    cases = {(c.get("classname", "").split(".")[0], c.get("name")): c for c in root.iter("testcase")}
    assert set(cases) == {("aa", "bad"), ("aa", "ok"), ("bb", "bad"), ("bb", "ok"), ("project", "project")}
    assert cases[("bb", "bad")].find("failure") is not None
    assert "E301" in (cases[("bb", "bad")].find("failure").text or "")  # type: ignore[union-attr]
    assert "E301" not in (cases[("aa", "bad")].find("failure").text or "")  # type: ignore[union-attr]
    assert cases[("aa", "ok")].find("failure") is None
    assert root.get("failures") == "2"
    assert not list(bad_project.glob(".report.xml.*"))  # no temporary file left behind


def test_fail_on_and_exit_codes(tmp_path: Path) -> None:
    make_project(tmp_path, {"w.aud": WARN_ONLY})
    assert cli(["check"], tmp_path)[0] == 1
    assert cli(["check", "--fail-on", "error"], tmp_path)[0] == 0
    assert cli(["check", "--fail-on", "fatal"], tmp_path)[0] == 2
    assert cli(["check", "--bogus"], tmp_path)[0] == 2
    assert cli(["check", "audiences/missing.aud"], tmp_path)[0] == 2
    code, _, err = cli(["check", "--market", "cc"], tmp_path)
    assert code == 2 and "E910" in err
    nowhere = tmp_path.parent / (tmp_path.name + "_empty")
    nowhere.mkdir()
    code, _, err = cli(["check"], nowhere)
    assert code == 2 and "E200" in err


def test_market_option_and_paths(bad_project: Path) -> None:
    code, out, _ = cli(["check", "--market", "aa", "--format", "json"], bad_project)
    assert {d["code"] for d in json.loads(out)["diagnostics"]} == {"E401", "L006"}
    code, out, _ = cli(["check", "audiences/ok.aud", "--format", "json"], bad_project)
    assert code == 0 and json.loads(out)["diagnostics"] == []


def test_rule_command() -> None:
    r = CliRunner().invoke(main, ["rule", "L004"])
    assert r.exit_code == 0 and "contradictory-condition" in r.stdout and "Bad:" in r.stdout and "Good:" in r.stdout
    assert "default severity: warning" in r.stdout
    r = CliRunner().invoke(main, ["rule", "always-true-condition"])
    assert r.exit_code == 0 and r.stdout.startswith("L003")
    r = CliRunner().invoke(main, ["rule", "--all"])
    assert r.exit_code == 0 and all(code in r.stdout for code in RULES)
    r = CliRunner().invoke(main, ["rule", "L099"])
    assert r.exit_code == 2


def test_junit_fails_only_what_fails_check(tmp_path: Path) -> None:
    """An info finding (L008) does not fail `check` (exit 0), so it fails no JUnit test case;
    nor does a warning under `--fail-on error`. Both stay visible in <system-out>."""
    make_project(tmp_path, {"i.aud": aud("include not not age > 1", "info_only"), "w.aud": WARN_ONLY})
    for args, failing in (([], {"warn_only"}), (["--fail-on", "error"], set())):
        out_file = tmp_path / "report.xml"
        code, _, _ = cli(["check", "--format", "junit", "-o", str(out_file), *args], tmp_path)
        root = ET.fromstring(out_file.read_text())
        failed = {c.get("name") for c in root.iter("testcase") if c.find("failure") is not None}
        assert failed == failing and code == (1 if failing else 0)
        assert root.get("failures") == str(2 * len(failing))  # two markets
        info = next(c for c in root.iter("testcase") if c.get("name") == "info_only")
        assert "L008" in (info.findtext("system-out") or "")
