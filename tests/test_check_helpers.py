"""Helpers shared by the checker tests (no tests here): build a small project on disk."""

from __future__ import annotations

import shutil
from pathlib import Path

from audiencelang.check import CheckReport, check_project
from audiencelang.diagnostics import Diagnostic
from audiencelang.project import Project, load_project

FIXTURES = Path(__file__).parent / "fixtures" / "check"
META = 'owner "t@example.com"\n  description "test"\n'


def make_project(tmp: Path, files: dict[str, str], extra_config: str = "") -> Project:
    """A project with the two test markets (aa, bb), the test config and ``files`` under audiences/."""
    shutil.copytree(FIXTURES / "markets", tmp / "markets")
    (tmp / "audiencelang.toml").write_text((FIXTURES / "config.toml").read_text() + "\n" + extra_config)
    for name, text in files.items():
        p = tmp / "audiences" / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return load_project(tmp)


def aud(body: str, name: str = "t", meta: bool = True) -> str:
    """An audience block with ``body`` (clauses) and the required metadata."""
    return f"audience {name} {{\n  {META if meta else ''}  {body}\n}}\n"


def run(tmp: Path, files: dict[str, str], extra_config: str = "", **kw: object) -> CheckReport:
    return check_project(make_project(tmp, files, extra_config), **kw)  # type: ignore[arg-type]


def pos(text: str, needle: str, nth: int = 0) -> tuple[int, int]:
    """1-based (line, column) of the nth occurrence of ``needle`` in ``text``."""
    i = -1
    for _ in range(nth + 1):
        i = text.index(needle, i + 1)
    line = text.count("\n", 0, i) + 1
    return line, i - (text.rfind("\n", 0, i) + 1) + 1


def only(report: CheckReport, code: str) -> list[Diagnostic]:
    return [d for d in report.diagnostics if d.code == code]


def where(d: Diagnostic) -> tuple[int, int]:
    assert d.span is not None
    return d.span.line, d.span.column
