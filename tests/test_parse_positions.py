"""The parser's cheaper position propagation (audiencelang.syntax.positions) gives every
tree exactly the positions Lark's own ``PropagatePositions`` gives: spans of every AST
node, and so every diagnostic's location, rest on them."""

from __future__ import annotations

from pathlib import Path

import pytest
from lark import Lark, Tree
from lark import parse_tree_builder as ptb

from audiencelang.syntax import parse
from audiencelang.syntax.parser import _grammar_text, build_parser
from audiencelang.syntax.positions import FastPropagatePositions
from bench.genproject import generate_project

REPO = Path(__file__).resolve().parent.parent
_FIELDS = ("empty", "line", "column", "start_pos", "end_line", "end_column", "end_pos", "container_line",
           "container_column", "container_start_pos", "container_end_line", "container_end_column",
           "container_end_pos")

#: Shapes the corpora may not hold: inlined rules at either end, empty bodies, placeholders,
#: nesting, comments and blank lines around tokens.
_EDGES = [
    "audience a { include (((x = 1))) }",
    "audience a {\n  include\n    not not (a = 1 or b = 2)\n\n}\n",
    "audience a { include performed x then y within 1 day in last 7 days }",
    "audience a { include x in [1, 2, 3] and in audience b exclude has consent p }",
    "audience a { title \"t\" # c\n include first performed x where p = \"q\" in last 2 days }",
    "audience a { include sum(purchase.revenue) in last 30 days >= 2 min size 10 }",
    "audience a {}\naudience b { include y = true }",
    "",
]


def _stock() -> Lark:
    assert ptb.PropagatePositions is not FastPropagatePositions  # only swapped while building
    return Lark(_grammar_text(), parser="lalr", lexer="contextual", propagate_positions=True,
                maybe_placeholders=True)


def _metas(tree: Tree) -> list[tuple[str, dict[str, object]]]:  # type: ignore[type-arg]
    return [(str(t.data), {k: getattr(t.meta, k, None) for k in _FIELDS}) for t in tree.iter_subtrees()]


def _texts(tmp: Path) -> list[str]:
    generate_project(tmp / "gen", 300, seed=7)
    files = sorted((REPO / "examples").rglob("*.aud")) + sorted((tmp / "gen").rglob("*.aud"))
    return [f.read_text(encoding="utf-8") for f in files] + _EDGES


def test_the_parser_uses_the_cheaper_propagation() -> None:
    parser = build_parser()
    builders = parser._parse_tree_builder.rule_builders  # what Lark wraps each rule in
    chains = [w for _rule, chain in builders for w in chain]
    assert FastPropagatePositions in chains
    assert ptb.PropagatePositions not in chains


def test_every_tree_has_the_positions_lark_gives_it(tmp_path: Path) -> None:
    stock, fast = _stock(), build_parser()
    texts = _texts(tmp_path)
    assert len(texts) > 300
    compared = 0
    for text in texts:
        a, b = stock.parse(text), fast.parse(text)
        assert a == b
        ma, mb = _metas(a), _metas(b)
        assert ma == mb, text
        compared += len(ma)
    assert compared > 10_000


@pytest.mark.parametrize("text", _EDGES[:-1])
def test_spans_of_the_ast_are_those_of_lark_positions(text: str) -> None:
    file = parse(text, path="a.aud").file
    assert file is not None
    tree = _stock().parse(text)
    first = next(t for t in tree.iter_subtrees_topdown() if t.data == "audience")
    span = file.audiences[0].span
    assert (span.line, span.column, span.start, span.end) == (
        first.meta.line, first.meta.column, first.meta.start_pos, first.meta.end_pos)
