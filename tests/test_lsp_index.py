"""The language server's incremental re-check gives what a full `check` gives.

After each edit the index re-checks only the files it can affect; the diagnostics
published so far (updated with those re-checks) must equal a fresh
``check_project`` of the project with the same text on disk, file by file:
codes, messages, hints and markets.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from audiencelang.check import check_project
from audiencelang.diagnostics import Diagnostic
from audiencelang.lsp.index import ProjectIndex
from audiencelang.project import load_project

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _full(root: Path) -> dict[str, list[Diagnostic]]:
    report = check_project(load_project(root))
    out: dict[str, list[Diagnostic]] = {k: [] for k in report.files}
    for d in report.diagnostics:
        if d.span is not None and d.span.path in out:
            out[d.span.path].append(d)
    return out


LIFE = "audiences/lifecycle.aud"
CART = "audiences/cart_abandoners.aud"
NEW = "audiences/new.aud"
NEW_TEXT = ('audience extra {\n  title "E"\n  owner "o@example.com"\n  description "D"\n'
            '  include in audience cart_abandoners\n}\n')


def _edits(root: Path) -> list[tuple[str, str]]:
    life = (root / LIFE).read_text()
    cart = (root / CART).read_text()
    renamed = life.replace("audience existing_customers", "audience existing_customerz")
    return [
        (LIFE, renamed),                                   # dependents: E305 with the same hints
        (LIFE, life),                                      # and back
        (NEW, NEW_TEXT),                                   # a new file referring to another
        (CART, cart.replace("in audience existing_customers", "in audience extra")),  # a cycle
        (CART, cart),                                      # broken again
        (NEW, NEW_TEXT.replace("audience extra", "audience cart_abandoners")),  # a duplicate
        (NEW, NEW_TEXT),
        (LIFE, life.replace("include performed purchase\n", "include performed purchase where\n", 1)),
        (LIFE, life),                                      # a syntax error, then fixed
        (CART, cart.replace("country in", "countri in")),  # an edit inside one audience
    ]


@pytest.mark.parametrize("steps", [3, 5, 7, 9, 10])
def test_incremental_rechecks_equal_a_full_check(tmp_path: Path, steps: int) -> None:
    root = tmp_path / "shop"
    shutil.copytree(EXAMPLES, root)
    index = ProjectIndex(root)
    published = index.check_all()
    assert published == _full(root)
    for key, text in _edits(root)[:steps]:
        (root / key).write_text(text)
        published.update(index.check(index.set_text(key, text)))
    full = _full(root)
    assert {k: v for k, v in published.items() if v} == {k: v for k, v in full.items() if v}


def test_an_edit_that_keeps_the_names_rechecks_one_file(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    shutil.copytree(EXAMPLES, root)
    index = ProjectIndex(root)
    text = (root / LIFE).read_text()
    assert index.set_text(LIFE, text.replace("Existing customers", "Customers")) == {LIFE}
    assert index.set_text(LIFE, text.replace("audience existing_customers", "audience known")) == {LIFE, CART}
