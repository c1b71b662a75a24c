"""`check FILE` follows suppression lists (spec §11): checking the file that defines a
suppression audience reports the config's findings about it (E406, E407), which only a
check of the whole project reported before."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from audiencelang.cli import main
from tests.test_suppression import DO_NOT_CONTACT, SPEC_BLOCK, project_with

BROKEN = DO_NOT_CONTACT.replace('include city = "Berlin"', 'include city = "Berlin" and nosuch = 1')


def check(root: Path, *paths: str) -> tuple[int, str]:
    r = CliRunner().invoke(main, ["check", *(str(root / p) for p in paths), "--project", str(root)])
    return r.exit_code, r.output


def test_checking_the_suppression_file_reports_the_config_finding(tmp_path: Path) -> None:
    root = project_with(tmp_path, SPEC_BLOCK, {"dnc.aud": BROKEN, "emp.aud": DO_NOT_CONTACT.replace(
        "do_not_contact", "employees")})
    code, out = check(root, "audiences/dnc.aud")
    assert code == 1
    assert "E407" in out and "suppression audience 'do_not_contact'" in out
    assert "employees" not in out  # another suppression audience, fine and not selected
    code, out = check(root, "audiences/emp.aud")  # clean: nothing about do_not_contact
    assert code == 0 and "E407" not in out, out


def test_checking_a_suppression_file_that_activates_reports_e406(tmp_path: Path) -> None:
    root = project_with(tmp_path, SPEC_BLOCK, {"dnc.aud": DO_NOT_CONTACT, "emp.aud": DO_NOT_CONTACT.replace(
        "do_not_contact", "employees").replace('include city = "Berlin"',
                                               'include city = "Berlin"\n  activate newsletter')})
    code, out = check(root, "audiences/emp.aud")
    assert code == 1 and "E406" in out, out
