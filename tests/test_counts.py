"""Count clauses: either order with the window, and contradictory counts (L004)."""

from __future__ import annotations

import shutil
from pathlib import Path

from audiencelang import ast
from audiencelang.check import check_project
from audiencelang.project import load_project
from audiencelang.syntax import parse
from audiencelang.syntax.formatter import format_str

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _performed(text: str) -> ast.Performed:
    r = parse(f"audience a {{ include {text} }}")
    assert r.ok, r.diagnostics
    assert r.file is not None
    node = r.file.audiences[0].include
    assert isinstance(node, ast.Performed)
    return node


def test_window_before_count_means_the_same() -> None:
    a = _performed("performed purchase in last 7 days at most 2 times")
    b = _performed("performed purchase at most 2 times in last 7 days")
    assert ast.strip_spans(a) == ast.strip_spans(b)
    assert a.count is not None and a.count.op == "at_most" and a.count.n == 2
    # the formatter writes the canonical order
    out = format_str("audience a { include performed purchase in last 7 days at most 2 times }")
    assert "performed purchase at most 2 times in last 7 days" in out


def _findings(tmp_path: Path, include: str) -> list[tuple[str, int, int]]:
    root = tmp_path / "p"
    shutil.copytree(EXAMPLES, root)
    f = root / "audiences" / "zz.aud"
    f.write_text(f'audience zz {{\n  owner "a@example.com"\n  description "x"\n  include {include}\n}}\n',
                 encoding="utf-8")
    report = check_project(load_project(root, paths=[f]))
    return [(d.code, d.span.line, d.span.column) for d in report.diagnostics if d.span is not None]


def test_contradictory_counts_on_one_event_are_l004(tmp_path: Path) -> None:
    found = _findings(tmp_path, "performed purchase at most 0 times and performed purchase")
    assert found == [("L004", 4, 50)]


def test_counts_with_different_windows_are_not_contradictory(tmp_path: Path) -> None:
    found = _findings(tmp_path, "performed purchase at least 2 times and performed purchase in last 7 days "
                                "at most 0 times")
    assert found == []
