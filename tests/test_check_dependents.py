"""`check FILE...` reports what a change to FILE breaks in other files (audiences that refer
to it, transitively; references to names no file defines; duplicate names), and for every
file it reports, exactly what a whole-project check reports."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audiencelang.check import check_project
from audiencelang.cli import main
from audiencelang.diagnostics import Diagnostic
from audiencelang.project import load_project
from tests.test_check_helpers import FIXTURES, aud, make_project


def test_renamed_audience_breaks_the_file_that_refers_to_it(tmp_path: Path) -> None:
    make_project(tmp_path, {
        "base.aud": aud("include age > 17", "adults"),
        "mid.aud": aud("include in audience adults and age < 65", "working_age"),
        "top.aud": aud("include in audience working_age", "top"),
        "other.aud": aud("include age > 1", "other"),
    })
    runner = CliRunner()
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert runner.invoke(main, ["check", "audiences/base.aud"]).exit_code == 0
        (tmp_path / "audiences" / "base.aud").write_text(aud("include age > 17", "grown_ups"))
        r = runner.invoke(main, ["check", "--format", "concise", "audiences/base.aud"])
        whole = runner.invoke(main, ["check", "--format", "concise"])
    finally:
        os.chdir(old)
    assert r.exit_code == 1
    assert "audiences/mid.aud:" in r.stdout and "E305 unknown audience 'adults'" in r.stdout
    assert r.stdout.splitlines()[:-1] == whole.stdout.splitlines()[:-1]  # the summary counts files
    assert "other.aud" not in r.stdout


# --------------------------------------------------------------------------- generated projects

NAMES = ("a", "b", "c", "d", "e")


@st.composite
def file_texts(draw: st.DrawFn) -> str:
    blocks = []
    for name in draw(st.lists(st.sampled_from(NAMES), min_size=0, max_size=2, unique=True)):
        refs = draw(st.lists(st.sampled_from((*NAMES, "gone")), max_size=2))
        body = " and ".join(["age > 1", *(f"in audience {r}" for r in refs)])
        blocks.append(aud(f"include {body}", name))
    return "\n".join(blocks)


def per_file(diags: tuple[Diagnostic, ...]) -> dict[str | None, list[Diagnostic]]:
    out: dict[str | None, list[Diagnostic]] = {}
    for d in diags:
        out.setdefault(d.span.path if d.span is not None else None, []).append(d)
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(file_texts(), min_size=2, max_size=4), st.data())
def test_check_files_reports_what_the_change_breaks(files: list[str], data: st.DataObject) -> None:
    """Change some files of a generated project: every other file that gains a finding in a
    whole-project check is reported by `check CHANGED...`, with exactly the whole project's
    findings (so is every file it reports)."""
    changed = data.draw(st.sets(st.integers(0, len(files) - 1), min_size=1))
    new = {i: data.draw(file_texts()) for i in changed}
    root = Path(tempfile.mkdtemp(prefix="deps-"))
    try:
        shutil.copytree(FIXTURES / "markets", root / "markets")
        (root / "audiencelang.toml").write_text((FIXTURES / "config.toml").read_text())
        (root / "audiences").mkdir()
        for i, text in enumerate(files):
            (root / "audiences" / f"f{i}.aud").write_text(text)
        before = per_file(check_project(load_project(root)).diagnostics)
        for i, text in new.items():
            (root / "audiences" / f"f{i}.aud").write_text(text)
        whole = check_project(load_project(root))
        after = per_file(whole.diagnostics)
        given_keys = [f"audiences/f{i}.aud" for i in sorted(changed)]
        report = check_project(load_project(root, paths=[root / k for k in given_keys]))
        broken = {k for k, found in after.items()  # a finding the change brought (fixes need no report)
                  if k not in given_keys and k is not None and any(d not in before.get(k, []) for d in found)}
        assert broken <= set(report.files), (broken, report.files)
        assert set(given_keys) <= set(report.files)
        got = per_file(report.diagnostics)
        for k in report.files:
            assert got.get(k) == after.get(k), k
        assert set(got) - {None} <= set(report.files)
    finally:
        shutil.rmtree(root, ignore_errors=True)
