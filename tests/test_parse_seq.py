"""Spec §8 (behaviour over time) parses to the AST it means: the spec's own examples, read from
docs/spec/LANGUAGE.md exactly as written, and every form's edges (open/closed `where`, keywords
that are also names, counts and `not` where the checker has to judge them)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from audiencelang import ast
from audiencelang.syntax import build_parser, parse
from audiencelang.syntax.formatter import format_str

SPEC = Path(__file__).resolve().parent.parent / "docs" / "spec" / "LANGUAGE.md"


def spec_examples() -> list[str]:
    """The lines of the first code block of §8."""
    text = SPEC.read_text(encoding="utf-8")
    section = text.split("## 8. Behaviour over time", 1)[1]
    block = re.search(r"```\n(.*?)```", section, re.S)
    assert block is not None
    return [line for line in block.group(1).splitlines() if line.strip()]


def cond(snippet: str) -> Any:
    result = parse(f"audience t {{ include {snippet} }}")
    assert result.diagnostics == [], [d.message for d in result.diagnostics]
    assert result.file is not None
    inc = result.file.audiences[0].include
    assert inc is not None
    return ast.strip_spans(inc)


def name(v: str) -> dict[str, Any]:
    return {"kind": "name", "value": v}


def step(event: str, where: Any = None, within: tuple[int, str] | None = None, absent: bool = False) -> dict[str, Any]:
    return {"kind": "step", "event": name(event), "where": where,
            "within": None if within is None else {"kind": "duration", "amount": within[0], "unit": within[1]},
            "absent": absent}


def last(n: int, unit: str) -> dict[str, Any]:
    return {"kind": "last", "amount": n, "unit": unit}


def ago(n: int, unit: str) -> dict[str, Any]:
    return {"kind": "ago", "amount": n, "unit": unit}


def string(v: str) -> dict[str, Any]:
    return {"kind": "string", "value": v}


def eq(field: str, v: str) -> dict[str, Any]:
    return {"kind": "compare", "target": name(field), "op": "=", "value": string(v)}


def agg(func: str, event: str, prop: str, window: Any = None) -> dict[str, Any]:
    return {"kind": "aggregate", "func": func, "event": name(event), "property": name(prop),
            "where": None, "window": window}


EXPECTED = [
    {"kind": "sequence", "steps": [step("add_to_cart"), step("purchase", within=(1, "hour"))],
     "count": None, "window": last(30, "day")},
    {"kind": "sequence", "steps": [step("view_item", where=eq("category", "shoes")),
                                   step("add_to_cart", within=(30, "minute")),
                                   step("purchase", within=(1, "day"))],
     "count": None, "window": None},
    {"kind": "sequence", "steps": [step("add_to_cart"), step("purchase", within=(1, "day"), absent=True)],
     "count": None, "window": last(7, "day")},
    {"kind": "first_last_performed", "which": "first", "event": name("purchase"), "where": None,
     "count": None, "window": last(30, "day")},
    {"kind": "first_last_performed", "which": "last", "event": name("purchase"), "where": None,
     "count": None, "window": ago(90, "day")},
    {"kind": "performed", "event": name("purchase"), "where": None, "count": None, "window": ago(1, "year")},
    {"kind": "more_than_ago", "target": name("signup_date"), "window": ago(2, "year")},
    {"kind": "performed", "event": name("app_open"), "where": None,
     "count": {"kind": "count", "op": "at_least", "n": 5, "distinct_days": True}, "window": last(30, "day")},
    {"kind": "compare", "target": agg("last", "subscription_changed", "plan"), "op": "=", "value": string("pro")},
    {"kind": "compare", "target": agg("first", "purchase", "channel", last(365, "day")), "op": "=",
     "value": string("app")},
]


def test_the_spec_has_the_ten_examples() -> None:
    assert len(spec_examples()) == 10


@pytest.mark.parametrize("i", range(10))
def test_spec_example_parses_exactly_as_written(i: int) -> None:
    line = spec_examples()[i]
    assert cond(line) == EXPECTED[i]
    # and the canonical form is the spec's own spelling (long lines broken between the parts)
    out = format_str(f"audience t {{ include {line} }}").splitlines()[1:-1]
    assert " ".join(part.strip() for part in out) == f"include {line}"


def test_grammar_stays_conflict_free() -> None:
    build_parser(strict=True)  # raises on any LALR conflict or terminal collision


def test_sequence_step_where_ends_at_then_within_and_window() -> None:
    got = cond('performed a where x = 1 or y = 2 then b where z = "q" within 2 hours then c since 2024-01-01')
    assert [s["event"]["value"] for s in got["steps"]] == ["a", "b", "c"]
    assert got["steps"][0]["where"]["kind"] == "or"
    assert got["steps"][1]["where"] == eq("z", "q")
    assert got["steps"][1]["within"] == {"kind": "duration", "amount": 2, "unit": "hour"}
    assert got["window"]["kind"] == "since"


def test_open_sequence_takes_everything_after_its_last_where() -> None:
    # like `performed E where ...` (spec §1.3): the last step's filter takes the `and`
    got = cond('performed a then b where x = 1 and y = 2')
    assert got["kind"] == "sequence"
    assert got["steps"][1]["where"]["kind"] == "and"
    # closed by `within` or a window, the `and` belongs to the expression
    for tail in ("within 1 day", "in last 7 days", "more than 3 months ago"):
        got = cond(f'performed a then b where x = 1 {tail} and y = 2')
        assert got["kind"] == "and" and got["items"][0]["kind"] == "sequence"


def test_absent_step_and_not_around_a_sequence() -> None:
    got = cond("not performed a then not b within 1 day")
    assert got["kind"] == "not"
    assert got["operand"]["steps"][1] == step("b", within=(1, "day"), absent=True)


def test_forms_the_checker_judges_still_parse() -> None:
    # counts on sequences and first/last, `not` before the last step, no `within` on an absent step
    assert cond("performed a then b at least 2 times")["count"]["n"] == 2
    assert cond("first performed a on exactly 1 distinct day")["count"]["distinct_days"] is True
    assert cond("performed a then not b then c within 1 day")["steps"][1]["absent"] is True
    assert cond("performed a then not b")["steps"][1]["within"] is None


def test_units_months_and_years_everywhere() -> None:
    assert cond("performed a in last 3 months")["window"] == last(3, "month")
    assert cond("performed a in last 1 year")["window"] == last(1, "year")
    assert cond("performed a then b within 2 months")["steps"][1]["within"]["unit"] == "month"
    assert cond("d in last 2 years")["window"] == last(2, "year")


def test_more_than_ago_on_aggregates_and_traits() -> None:
    got = cond("sum(purchase.revenue) more than 90 days ago >= 500")
    assert got["target"]["window"] == ago(90, "day") and got["op"] == ">="
    got = cond('last(purchase.channel) where revenue > 5 more than 1 week ago = "app"')
    assert got["target"]["window"] == ago(1, "week") and got["target"]["where"]["kind"] == "compare"
    assert cond("signup_date more than 1 month ago") == {
        "kind": "more_than_ago", "target": name("signup_date"), "window": ago(1, "month")}


@pytest.mark.parametrize(("test", "kind"), [
    ('in ["pro", "max"]', "in_list"), ('not in ["free"]', "in_list"), ('starts with "pr"', "match"),
    ('contains "r" ignoring case', "match"), ("is null", "is_null"), ("is not null", "is_null"),
    (">= 10", "compare"), ("between 1 and 2", "between_values"), ("before 2024-01-01", "time_compare"),
])
def test_first_last_aggregates_take_every_test(test: str, kind: str) -> None:
    for func in ("first", "last"):
        got = cond(f"{func}(e.p) {test}")
        assert got["kind"] == kind and got["target"]["func"] == func
        got = cond(f"{func}(e.p) between 2024-01-01 and 2024-02-01 {test}")
        assert got["kind"] == kind and got["target"]["window"]["kind"] == "between"


def test_first_and_last_stay_usable_as_names() -> None:
    assert cond("first = 1") == {"kind": "compare", "target": name("first"), "op": "=",
                                 "value": {"kind": "number", "value": "1"}}
    assert cond('last in ["a"]')["target"] == name("last")
    got = cond("performed first where last = 1 then last")
    assert got["steps"][0]["event"] == name("first") and got["steps"][1]["event"] == name("last")
    assert cond("last(first.last) = 1")["target"] == agg("last", "first", "last")


@pytest.mark.parametrize("word", ["thence", "within_x", "moreover", "agora", "online", "distinctive",
                                  "firstly", "last_seen", "then_", "ago"])
def test_new_keywords_are_whole_words(word: str) -> None:
    assert cond(f"{word} = 1")["target"] == name(word)
    assert cond(f"performed {word} where {word} = 1 then {word}")["steps"][1]["event"] == name(word)


def test_distinct_day_singular_and_plural() -> None:
    assert cond("performed a on at most 1 distinct day")["count"] == {
        "kind": "count", "op": "at_most", "n": 1, "distinct_days": True}
    assert format_str("audience t { include performed a on exactly 2 distinct day }").splitlines()[1] == (
        "  include performed a on exactly 2 distinct days")


def test_spans_point_at_each_step() -> None:
    text = "audience t { include performed a where x = 1 then not b within 1 day in last 7 days }"
    result = parse(text)
    assert result.file is not None
    seq = result.file.audiences[0].include
    assert isinstance(seq, ast.Sequence)
    first, second = seq.steps
    assert text[first.span.start:first.span.end] == "a where x = 1"
    assert text[second.span.start:second.span.end] == "then not b within 1 day"
    assert second.within is not None and text[second.within.span.start:second.within.span.end] == "within 1 day"
    assert text[seq.span.start:seq.span.end] == "performed a where x = 1 then not b within 1 day in last 7 days"


def _doc_section_lines(page: str, heading: str) -> list[str]:
    text = (SPEC.parent.parent / page).read_text(encoding="utf-8")
    section = text.split(heading, 1)[1].split("\n## ", 1)[0]
    lines: list[str] = []
    for block in re.findall(r"```\n(.*?)```", section, re.S):
        for line in block.splitlines():
            code = re.sub(r"\s+#.*$", "", line).strip()
            if code and not code.startswith(("#", "✓", "✗", "profile", "include:")):
                lines.append(code)
    return lines


@pytest.mark.parametrize(("page", "heading"), [
    ("semantics.md", "## Behaviour over time"), ("language.md", "## Behaviour over time")])
def test_doc_examples_of_behaviour_over_time_parse_and_are_canonical(page: str, heading: str) -> None:
    lines = _doc_section_lines(page, heading)
    assert len(lines) >= 6
    for line in lines:
        out = format_str(f"audience t {{ include {line} }}").splitlines()[1:-1]
        assert " ".join(part.strip() for part in out) == f"include {line}", line
