"""`fmt` never changes what `check` reports: check(fmt(x)) == check(x), for the example
project and for generated files with lint findings and suppression comments sprinkled in
(codes, severities, markets, audiences and messages; line numbers may move)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from audiencelang.check import check_project
from audiencelang.project import load_project
from audiencelang.syntax.formatter import format_source
from tests import strategies as S
from tests.test_check_helpers import FIXTURES

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
Finding = tuple[str, str, str | None, str | None, str, str | None]


def findings(root: Path) -> list[Finding]:
    report = check_project(load_project(root))
    out = []
    for d in report.diagnostics:
        message = re.sub(r"\bline \d+|\d+:\d+", "<line>", d.message)
        path = d.span.path if d.span is not None else None
        out.append((d.code, d.severity.value, d.market, d.audience, message, path))
    return sorted(out, key=repr)


def format_tree(root: Path) -> int:
    changed = 0
    for path in sorted(root.rglob("*.aud")):
        text = path.read_text(encoding="utf-8")
        new = format_source(text)
        if new != text:
            path.write_text(new, encoding="utf-8", newline="")
            changed += 1
    return changed


def test_examples_check_the_same_after_fmt(tmp_path: Path) -> None:
    root = tmp_path / "examples"
    shutil.copytree(EXAMPLES, root)
    for path in root.rglob("*.aud"):  # respaced, so that fmt has something to do
        path.write_text(path.read_text().replace("\n  include ", "\n  include\n      "))
    before = findings(root)
    assert format_tree(root) > 0
    assert findings(root) == before


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("fmtcheck")
    shutil.copytree(FIXTURES / "markets", root / "markets")
    (root / "audiencelang.toml").write_text((FIXTURES / "config.toml").read_text())
    (root / "audiences").mkdir()
    yield root


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(S.suppressed_texts())
def test_generated_files_check_the_same_after_fmt(project: Path, text: str) -> None:
    target = project / "audiences" / "a.aud"
    target.write_text(text, encoding="utf-8", newline="")
    before = findings(project)
    target.write_text(format_source(text), encoding="utf-8", newline="")
    assert findings(project) == before, (text, format_source(text))
