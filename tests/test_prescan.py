"""The size limits (E121) are enforced before Lark builds a tree (audiencelang.syntax.prescan).

A multi-megabyte file far over the limits is refused with the builder's own located
diagnostic (the time it takes is measured in bench/bench_prescan.py, not here), and the
cheap count is a lower bound of the builder's: no file the builder accepts is refused.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from audiencelang.syntax import parse
from audiencelang.syntax.parser import (
    MAX_CONDITIONS,
    MAX_LIST_VALUES,
    _Builder,
    _parse_collecting,
    build_parser,
)
from audiencelang.syntax.prescan import first_excess

REPO = Path(__file__).resolve().parents[1]


def big_or(n: int) -> str:
    """A valid audience of ``n`` ``or`` terms (about 23 bytes each: 200,000 terms are 4.6 MB)."""
    terms = " or ".join(f"age = {i}" if i % 3 else f"performed visit where page = \"p{i}\"" for i in range(n))
    return f"audience big {{\n  include {terms}\n}}\n"


def test_a_multi_megabyte_file_is_refused_with_the_located_diagnostic() -> None:
    text = big_or(200_000)
    assert len(text.encode()) > 4_000_000
    res = parse(text, "big.aud")
    assert res.file is None
    (d,) = res.diagnostics
    assert d.code == "E121" and "more than 10,000 conditions" in d.message
    assert d.span is not None and d.span.line == 2 and d.span.path == "big.aud"
    assert "split the audience" in d.hints[0]


def test_a_multi_megabyte_list_is_refused_at_the_value_over_the_limit() -> None:
    values = [f'"v{i}"' for i in range(400_000)]
    text = "audience big {\n  include country in [" + ", ".join(values) + "]\n}\n"
    res = parse(text, "big.aud")
    (d,) = res.diagnostics
    assert d.code == "E121" and "values in `in [...]` lists" in d.message
    assert d.span is not None and d.span.line == 2
    # located at the comma before the 100,001st value
    prefix = "  include country in [" + ", ".join(values[:MAX_LIST_VALUES])
    assert d.span.column == len(prefix) + 1


def _builder_counts(text: str) -> tuple[int, int]:
    tree = _parse_collecting(build_parser(), text, [])
    b = _Builder(text, None)
    b.build(tree)
    return b._conditions, b._list_values


def _samples() -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in sorted((REPO / "examples" / "audiences").glob("*.aud"))]
    texts += [
        'audience a {\n include (age >= 18 and not country in ["DE", "AT",]) or count(buy) in last 7 days >= 2\n'
        ' exclude performed a then not b within 1 day in last 7 days or first performed buy where total > 3\n'
        ' exclude has consent ads or in audience b or email contains "=<>,[]" # a comment = < > , [ ]\n}\n',
        'audience a {\n tags ["x", "y", "z"]\n include performed visit where (p = 1 or p in [1, 2, 3]) '
        'on at least 2 distinct days in last 30 days\n}\n',
    ]
    return texts


@pytest.mark.parametrize("text", _samples())
def test_the_cheap_count_never_exceeds_the_builders(text: str) -> None:
    conditions, values = _builder_counts(text)
    assert first_excess(text, conditions, values) is None
    assert first_excess(text, MAX_CONDITIONS, MAX_LIST_VALUES) is None


def test_the_limits_themselves_still_parse() -> None:
    terms = " or ".join(f"age = {i}" for i in range(MAX_CONDITIONS))
    assert parse(f"audience big {{\n  include {terms}\n}}\n").ok


@pytest.mark.parametrize("text", ["=" * 50, "in [" + "1," * 24 + "1", "(performed " * 5])
def test_a_text_no_longer_than_the_limits_is_never_over_them(text: str) -> None:
    """Every item counted sits at its own character, so a text of at most as many characters
    as the limits is passed without a scan; one item fewer allowed, the densest texts are over."""
    assert first_excess(text, len(text), len(text)) is None
    counted = text.count("=") + text.count(",") + text.count("[") + text.count("performed")
    if counted:
        assert first_excess(text, counted - 1, counted - 1) is not None
