"""Spec §11 suppression: ``suppress = [...]`` (top level) and ``[destinations.D] suppress``.

Members of those audiences are never delivered; sizes for analysis still count them; gates
do not. The checker reports a suppression audience that does not exist (E405), that itself
activates destinations (E406) or that does not compile in a market (E407, naming it).
The member lists against the evaluator on three engines: tests/test_differential_activation.py.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from audiencelang.check import check_audience, check_project
from audiencelang.cli import main
from audiencelang.eval import evaluate, members_for_destination
from audiencelang.project import load_project
from audiencelang.run.demo import DEFAULT_AS_OF, generate
from tests.test_run import dataset

EXAMPLES = Path(__file__).parent.parent / "examples"
AS_OF = "2026-11-01T00:00:00Z"

SPEC_BLOCK = '''
suppress = ["do_not_contact"]          # members of these audiences are never delivered anywhere

[destinations.meta_ads]
min_size = 1000
consent = ["ads_personalization"]
identifier = "email_sha256"
suppress = ["employees"]               # and these never to this destination
'''

DO_NOT_CONTACT = '''audience do_not_contact {
  owner "crm@example.com"
  description "Profiles in Berlin."
  include city = "Berlin"
}
'''

EMPLOYEES = '''audience employees {
  owner "crm@example.com"
  description "Gold tier."
  include loyalty_tier = "gold"
}
'''


WIDE = '''audience wide_reach {
  owner "crm@example.com"
  description "Adults who allow ads."
  include age >= 18
  require consent ads_personalization
  activate meta_ads
}
'''


def project_with(tmp_path: Path, config_tail: str, files: dict[str, str]) -> Path:
    root = tmp_path / "p"
    shutil.copytree(EXAMPLES, root)
    config = (root / "audiencelang.toml").read_text()
    # the spec block replaces the example's [destinations.meta_ads]
    start = config.index("[destinations.meta_ads]")
    end = config.index("[destinations.tiktok_ads]")
    head = config[:start]
    head = head.replace('markets = ["markets"]', 'markets = ["markets"]\n' + config_tail.split("\n[", 1)[0].strip())
    (root / "audiencelang.toml").write_text(head + "[" + config_tail.split("\n[", 1)[1] + "\n" + config[end:])
    for name, text in files.items():
        (root / "audiences" / name).write_text(text)
    return root


def test_the_spec_block_loads_as_written(tmp_path: Path) -> None:
    root = project_with(tmp_path, SPEC_BLOCK, {"dnc.aud": DO_NOT_CONTACT, "emp.aud": EMPLOYEES})
    assert SPEC_BLOCK.split("\n[", 1)[1].strip() in (root / "audiencelang.toml").read_text()
    project = load_project(root)
    assert not [d for d in project.diagnostics if d.is_error]
    assert project.config.suppress == ["do_not_contact"]
    assert project.config.destinations["meta_ads"].suppress == ["employees"]
    assert project.config.suppression_of("meta_ads") == ["do_not_contact", "employees"]
    assert project.config.suppression_of("newsletter") == ["do_not_contact"]
    report = check_project(project)
    assert not [d for d in report.diagnostics if d.is_error], report.diagnostics


@pytest.mark.parametrize(("files", "code", "text"), [
    ({"emp.aud": EMPLOYEES}, "E405", "suppression audience 'do_not_contact' (top-level suppress) does not exist"),
    ({"dnc.aud": DO_NOT_CONTACT.replace("}", "  require consent ads_personalization\n  activate meta_ads\n}"),
      "emp.aud": EMPLOYEES},
     "E406", "suppression audience 'do_not_contact' (top-level suppress) activates destinations itself"),
])
def test_check_reports_unusable_suppression_audiences(tmp_path: Path, files: dict[str, str], code: str,
                                                      text: str) -> None:
    root = project_with(tmp_path, SPEC_BLOCK, files)
    result = CliRunner().invoke(main, ["check", "--project", str(root), "--format", "json"])
    assert result.exit_code == 1, result.output
    found = [d for d in json.loads(result.stdout)["diagnostics"] if d["code"] == code]
    assert [d["message"] for d in found] == [text]  # once, at the top-level key
    assert found[0]["path"].endswith("audiencelang.toml") and found[0]["line"] == 4
    # the audience still compiles for analysis, and delivery to meta_ads is refused
    project = load_project(root)
    checked, _ = check_audience(project, "cart_abandoners", "de")
    assert checked is not None and "meta_ads" in checked.blocked
    assert checked.blocked["meta_ads"][0].code == code
    out = CliRunner().invoke(main, ["compile", "cart_abandoners", "-m", "de", "--dialect", "duckdb",
                                    "--destination", "meta_ads", "--project", str(root)])
    assert out.exit_code != 0 and code in out.output


def test_check_names_the_market_where_a_suppression_audience_does_not_compile(tmp_path: Path) -> None:
    root = project_with(tmp_path, SPEC_BLOCK, {"dnc.aud": DO_NOT_CONTACT,
                                               "emp.aud": EMPLOYEES.replace("loyalty_tier", "staff_flag")})
    de = root / "markets" / "de.yaml"
    de.write_text(de.read_text().replace("    city:", "    staff_flag:     {column: ort, type: string}\n    city:", 1))
    report = check_project(load_project(root))
    e407 = sorted(d.message for d in report.diagnostics if d.code == "E407")
    assert e407 == [f"suppression audience 'employees' of destination 'meta_ads' does not compile in market '{m}'"
                    for m in ("fr", "us")]
    project = load_project(root)
    assert "meta_ads" not in check_audience(project, "cart_abandoners", "de")[0].blocked  # type: ignore[union-attr]
    assert "meta_ads" in check_audience(project, "cart_abandoners", "fr")[0].blocked  # type: ignore[union-attr]


def test_run_holds_suppressed_members_back(tmp_path: Path) -> None:
    """Suppressed members count for the size, not for the gate, and are never delivered."""
    root = project_with(tmp_path, SPEC_BLOCK.replace("min_size = 1000", "min_size = 0"),
                        {"dnc.aud": DO_NOT_CONTACT.replace('city = "Berlin"', "age >= 50"), "emp.aud": EMPLOYEES,
                         "wide.aud": WIDE})
    db = tmp_path / "demo.duckdb"
    generate(db, root, profiles=900, events_per_profile=12, seed=3)
    project = load_project(root)
    data = dataset(db)
    checked, _ = check_audience(project, "wide_reach", "de")
    assert checked is not None and checked.suppress["meta_ads"] == ("do_not_contact", "employees")
    as_of = DEFAULT_AS_OF
    members = evaluate(checked, data, as_of=as_of)
    delivered = members_for_destination(checked, data, "meta_ads", as_of=as_of)
    r = CliRunner().invoke(main, ["run", "wide_reach", "-m", "de", "--db", str(db), "--as-of", AS_OF,
                                  "--project", str(root), "--format", "json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    meta = next(d for d in doc["destinations"] if d["destination"] == "meta_ads")
    assert doc["size"] == len(members) == meta["members"]
    assert meta["suppressed"] > 0
    assert meta["size"] == len(delivered) == meta["members"] - meta["without_identifier"] - meta["suppressed"]
    out = tmp_path / "meta.csv"
    r = CliRunner().invoke(main, ["run", "wide_reach", "-m", "de", "--db", str(db), "--as-of", AS_OF,
                                  "--project", str(root), "-d", "meta_ads", "-o", str(out)])
    assert r.exit_code == 0, r.output
    con = duckdb.connect()
    got = sorted(con.read_csv(str(out)).fetchall(), key=repr)
    con.close()
    assert got == sorted(((m, i) for m, i in delivered), key=repr)
