"""Market and config files a user gets wrong, through `check` (issue 12, items 2-4):
YAML tags, over-long numbers, files too large or with too many nodes, devices and FIFOs,
files that are not UTF-8. Every one is a located finding in the report, never an
internal error, a hang or a missing report."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from audiencelang.cli import main
from audiencelang.project import find_project_root
from audiencelang.schema.loader import MAX_FILE_BYTES

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"

def _example_audiences() -> int:
    from audiencelang.project import load_project

    return len(load_project(Path(__file__).resolve().parent.parent / "examples").audiences())


#: audiences of the example project (examples/audiences)
EXAMPLE_AUDIENCES = _example_audiences()


def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    shutil.copytree(EXAMPLES, root)
    return root


def check(root: Path, *args: str) -> tuple[int, str, str]:
    old = Path.cwd()
    os.chdir(root)
    try:
        r = CliRunner().invoke(main, ["check", *args], catch_exceptions=False)
    finally:
        os.chdir(old)
    return r.exit_code, r.stdout, r.stderr


def findings(out: str) -> list[tuple[str, str | None, int | None, int | None, str]]:
    doc = json.loads(out)
    return [(d["code"], d["path"], d["line"], d["column"], d["message"]) for d in doc["diagnostics"]]


@pytest.mark.parametrize("value, tag", [
    ("!!python/tuple [a, b]", "!!python/tuple"),
    ("!!omap [{a: 1}]", "!!omap"),
    ("!!set {a, b}", "!!set"),
    ("!!str kunden_id", "!!str"),
    ("!custom kunden_id", "!custom"),
])
def test_yaml_tags_are_a_located_e207_in_plain_words(tmp_path: Path, value: str, tag: str) -> None:
    root = project(tmp_path)
    de = root / "markets" / "de.yaml"
    de.write_text(de.read_text().replace("  id: kunden_id\n", f"  id: {value}\n", 1))
    code, out, err = check(root, "--format", "json")
    assert code == 1 and "E900" not in err, err
    found = [f for f in findings(out) if f[1] == "markets/de.yaml"]
    assert found == [("E207", "markets/de.yaml", 6, 7, f"YAML tags such as '{tag}' are not supported in a market file")]
    assert "Tagged" not in out and "Commented" not in out


def test_a_5000_digit_number_is_a_located_e207(tmp_path: Path) -> None:
    root = project(tmp_path)
    de = root / "markets" / "de.yaml"
    de.write_text(de.read_text() + "extra: " + "9" * 5000 + "\n")
    cfg = root / "audiencelang.toml"
    cfg.write_text(cfg.read_text().replace("min_size = 1000", "min_size = " + "7" * 5000, 1))
    code, out, err = check(root, "--format", "json")
    assert code == 1 and "E900" not in err, err
    got = {f[1]: f[:4] for f in findings(out) if f[1] in ("markets/de.yaml", "audiencelang.toml")}
    lines = de.read_text().splitlines()
    assert got["markets/de.yaml"] == ("E207", "markets/de.yaml", len(lines), 8)
    assert got["audiencelang.toml"] == ("E207", "audiencelang.toml", 9, 12)


def test_many_small_nodes_are_refused_before_the_file_is_built(tmp_path: Path) -> None:
    """Under the 8 MiB cap, 3 million one-character list items took 45-66 s and ~1 GB."""
    root = project(tmp_path)
    (root / "markets" / "big.yaml").write_text("market: big\nx: [" + ",".join(["1"] * 3_000_000) + "]\n")
    t0 = time.monotonic()
    code, out, err = check(root, "--format", "json")
    took = time.monotonic() - t0
    assert code == 1, err
    big = [f for f in findings(out) if f[1] == "markets/big.yaml"]
    assert [(f[0], f[4]) for f in big] == [("E202", "the market file has more than 50,000 YAML nodes")]
    assert took < 20, took


def test_a_config_with_too_many_values_is_refused_before_parsing(tmp_path: Path) -> None:
    root = project(tmp_path)
    cfg = root / "audiencelang.toml"
    cfg.write_text(cfg.read_text() + "\n" + "".join(f"[destinations.d{i}]\nmin_size = 1\n" for i in range(200_000)))
    assert cfg.stat().st_size < MAX_FILE_BYTES
    t0 = time.monotonic()
    code, out, _err = check(root, "--format", "json")
    assert time.monotonic() - t0 < 10
    assert code == 1 and ("E202", "audiencelang.toml", 1, 1) in [f[:4] for f in findings(out)]


def test_a_huge_pyproject_in_a_parent_folder_is_not_read_whole(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n" + "".join(f"k{i} = 1\n" for i in range(1_500_000)))
    (tmp_path / "sub").mkdir()
    t0 = time.monotonic()
    assert find_project_root(tmp_path / "sub") is None
    assert time.monotonic() - t0 < 5


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "audiencelang.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)


def test_devices_and_fifos_are_refused_without_reading_or_blocking(tmp_path: Path) -> None:
    """/dev/zero was read until memory ran out; a FIFO blocked forever."""
    root = project(tmp_path)
    fifo = root / "audiences" / "pipe.aud"
    os.mkfifo(fifo)
    r = _cli("parse", "/dev/zero", cwd=root)
    assert r.returncode == 1 and "error[E901]: cannot read /dev/zero: it is a character device" in r.stderr
    r = _cli("fmt", "--check", "/dev/zero", cwd=root)
    assert r.returncode == 1 and "error[E901]: cannot read /dev/zero: it is a character device" in r.stderr
    r = _cli("check", "audiences/pipe.aud", "--format", "concise", cwd=root)
    assert r.returncode == 1, r.stderr
    assert "audiences/pipe.aud" in r.stdout and "named pipe (FIFO), not a regular file" in r.stdout
    os.unlink(fifo)
    os.mkfifo(root / "markets" / "fifo.yaml")
    (root / "audiencelang.toml").write_text(
        (root / "audiencelang.toml").read_text().replace('markets = ["markets"]', 'markets = ["markets/*.yaml"]'))
    r = _cli("check", "--format", "concise", cwd=root)  # a glob matching a FIFO: skipped, not opened
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("where, data, message", [
    ("markets/fr.yaml", b"market: fr\nprofiles: \xff\n", "markets/fr.yaml is not valid UTF-8 (byte 0xff at offset 21)"),
    ("markets/fr.yaml", b"#" * (MAX_FILE_BYTES + 1), "cannot read markets/fr.yaml: it is larger than 8,388,608 bytes"),
    ("audiencelang.toml", b"[lint]\nnaming = '\xe9'\n", "audiencelang.toml is not valid UTF-8 (byte 0xe9 at offset 17)"),
])
def test_an_unreadable_market_or_config_is_a_finding_and_the_report_is_written(
        tmp_path: Path, where: str, data: bytes, message: str) -> None:
    """It stopped `check` with exit 2 and no report (the SARIF step of docs/ci.md broke)."""
    root = project(tmp_path)
    (root / where).write_bytes(data)
    code, out, err = check(root, "--format", "json")
    assert code == 1, err
    doc = json.loads(out)
    assert [(d["code"], d["path"], d["message"]) for d in doc["diagnostics"] if d["code"] == "E201"] == [
        ("E201", where, message)]
    markets = ["de", "us"] if where.startswith("markets") else ["de", "fr", "us"]
    assert doc["summary"]["market_names"] == markets and doc["summary"]["audiences"] == EXAMPLE_AUDIENCES
    code, out, err = check(root, "--format", "sarif", "-o", "report.sarif")
    assert code == 1 and out == "", err
    sarif = json.loads((root / "report.sarif").read_text())
    results = sarif["runs"][0]["results"]
    assert any(r["ruleId"] == "E201" and r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == where
               for r in results)


@pytest.mark.parametrize("setting", ['select = ["L999"]', 'select = ["X9"]', 'ignore = ["E3"]',
                                     'severity = {L9 = "error"}'])
def test_an_unknown_rule_selector_is_e207_not_every_rule_switched_off(tmp_path: Path, setting: str) -> None:
    """Issue 12.7: `select = ["L999"]` was accepted and silently switched every lint rule off."""
    root = project(tmp_path)
    cfg = root / "audiencelang.toml"
    cfg.write_text(cfg.read_text().replace("[lint]\n", f"[lint]\n{setting}\n", 1))
    (root / "audiences" / "Bad.aud").write_text('audience BadName { include age > 3 }\n')
    code, out, err = check(root, "--format", "json")
    assert code == 1, err
    found = findings(out)
    lint_line = cfg.read_text().splitlines().index("[lint]") + 2
    bad = [f for f in found if f[1] == "audiencelang.toml"]
    assert [f[:3] for f in bad] == [("E207", "audiencelang.toml", lint_line)]
    assert "no lint rule code starts with it" in bad[0][4]


def test_the_default_naming_pattern_takes_digits_after_the_first_letter(tmp_path: Path) -> None:
    """Issue 12.14: b2b_leads, q4_promo and top100_customers were L001 under the default pattern."""
    (tmp_path / "audiencelang.toml").write_text("")
    (tmp_path / "markets").mkdir()
    shutil.copy(EXAMPLES / "markets" / "de.yaml", tmp_path / "markets" / "de.yaml")
    (tmp_path / "audiences").mkdir()
    names = ["b2b_leads", "q4_promo", "top100_customers", "last_30_days", "_vip", "vip__eu", "vip_"]
    (tmp_path / "audiences" / "names.aud").write_text("".join(
        f'audience {n} {{\n  owner "a@b.c"\n  description "d"\n  include age > 3\n}}\n' for n in names))
    code, out, err = check(tmp_path, "--format", "json")
    assert code == 1  # the three names that still break the pattern
    flagged = sorted(d["audience"] for d in json.loads(out)["diagnostics"] if d["code"] == "L001")
    assert flagged == sorted(["_vip", "vip__eu", "vip_"]), out + err


def test_an_entry_covered_by_another_and_an_empty_audiences_folder_are_not_e213(tmp_path: Path) -> None:
    """Issue 12.12: E213 'matches no file' for an entry whose file another entry had found, and
    for the empty audiences/ folder of a new project (exit 1)."""
    (tmp_path / "audiencelang.toml").write_text('audiences = ["audiences"]\n')
    (tmp_path / "audiences").mkdir()
    code, out, err = check(tmp_path)
    assert code == 0, out + err
    assert "warning: no .aud files found under the project's audience folders" in err and "E213" not in out
    (tmp_path / "audiences" / "a.aud").write_text('audience a {\n  owner "o"\n  description "d"\n  include age > 3\n}\n')
    (tmp_path / "markets").mkdir()
    shutil.copy(EXAMPLES / "markets" / "de.yaml", tmp_path / "markets" / "de.yaml")
    (tmp_path / "audiencelang.toml").write_text(
        'audiences = ["audiences", "audiences/a.aud", "audiences/*.aud", "nowhere"]\n'
        'markets = ["markets", "markets/de.yaml"]\n')
    code, out, err = check(tmp_path, "--format", "json")
    assert code == 1
    assert [(f[0], f[4]) for f in findings(out)] == [("E213", "audiences entry 'nowhere' matches no file")]


def test_check_routes_market_and_config_paths_and_skips_other_files(tmp_path: Path) -> None:
    """Issue 12.11: `git diff --name-only | xargs audiencelang check` passed market files and the
    config to the audience parser (nonsense E101s)."""
    root = project(tmp_path)
    (root / "README.md").write_text("# notes\n")
    (root / ".github").mkdir()
    (root / ".github" / "ci.yml").write_text("on: push\n")
    code, out, err = check(root, "--format", "json", "markets/de.yaml")
    doc = json.loads(out)
    assert code == 0 and doc["diagnostics"] == [], out + err
    assert doc["summary"]["market_names"] == ["de"] and doc["summary"]["audiences"] == EXAMPLE_AUDIENCES
    code, out, err = check(root, "--format", "json", "audiencelang.toml")
    doc = json.loads(out)
    assert code == 0 and doc["diagnostics"] == [] and doc["summary"]["audiences"] == EXAMPLE_AUDIENCES, out + err
    assert doc["summary"]["market_names"] == ["de", "fr", "us"]
    code, out, err = check(root, "--format", "json", "README.md", ".github/ci.yml", "audiences/cart_abandoners.aud")
    assert code == 0 and json.loads(out)["summary"]["files"] == 1, out + err
    assert "note: skipping README.md: not an audience (.aud), market or config file" in err
    assert "note: skipping .github/ci.yml: not one of the project's market files" in err
    # a broken market file given: its own finding, at its place
    de = root / "markets" / "de.yaml"
    de.write_text(de.read_text().replace("  id: kunden_id\n", "  id: kunden_id\n  idd: x\n", 1))
    code, out, err = check(root, "--format", "json", "markets/de.yaml")
    assert code == 1 and [f[:3] for f in findings(out)] == [("E205", "markets/de.yaml", 7)], out + err
    assert "E101" not in out


def test_a_folder_path_leaves_out_a_nested_project(tmp_path: Path) -> None:
    """`check FOLDER` reports the audience files under FOLDER, but a subfolder holding its own
    audiencelang.toml is another project (examples/multiwarehouse in examples/): its files
    belong to it, and checking them against this project's markets would report its
    audiences as duplicates (E306)."""
    root = project(tmp_path)
    nested = root / "team_b"
    shutil.copytree(root / "markets", nested / "markets")
    (nested / "audiences").mkdir()
    shutil.copy(root / "audiences" / "big_spenders.aud", nested / "audiences")  # same name, own project
    (nested / "audiencelang.toml").write_text('audiences = ["audiences"]\nmarkets = ["markets"]\n'
                                             '[destinations.meta_ads]\nconsent = ["ads_personalization"]\n')
    code, out, err = check(root, "--format", "json", ".")
    doc = json.loads(out)
    assert code == 0 and doc["diagnostics"] == [], out + err
    assert doc["summary"]["audiences"] == EXAMPLE_AUDIENCES
    code, out, err = check(nested, "--format", "json", ".")
    assert code == 0 and json.loads(out)["summary"]["audiences"] == 1, out + err
    # named as a file, it is checked in its own project (found walking up from the file)
    code, out, err = check(root, "--format", "json", "team_b/audiences/big_spenders.aud")
    assert code == 0 and json.loads(out)["summary"]["files"] == 1, out + err
    # only folders below a given one are left out: `--project . team_b` asks for team_b's
    # files in this project, where its audience is a duplicate
    code, out, err = check(root, "--format", "json", "--project", ".", "team_b")
    assert code == 1 and "E306" in out, out + err
