"""The examples in docs/language.md, docs/formatting.md and the E1xx section of docs/errors.md work."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from audiencelang.syntax import parse
from audiencelang.syntax.formatter import format_str

DOCS = Path(__file__).resolve().parent.parent / "docs"


def fenced(text: str) -> list[str]:
    """The bodies of the un-labelled ``` blocks of a markdown text (indentation removed)."""
    out: list[str] = []
    body: list[str] | None = None
    label = ""
    indent = 0
    for line in text.splitlines():
        stripped = line.lstrip()
        if stripped.startswith("```"):
            if body is None:
                body, label, indent = [], stripped[3:].strip(), len(line) - len(stripped)
            else:
                if not label:
                    out.append("".join(b[indent:] + "\n" for b in body))
                body = None
        elif body is not None:
            body.append(line)
    return out


def blocks(name: str) -> list[str]:
    return fenced((DOCS / name).read_text(encoding="utf-8"))


def snippets(block: str) -> list[str]:
    out = []
    for line in block.splitlines():
        code = re.sub(r"\s+#.*$", "", line).strip()
        if code and not code.startswith("#"):
            out.append(code)
    return out


def test_language_examples_parse() -> None:
    seen = 0
    for block in blocks("language.md"):
        if "CLAUSES" in block:
            continue  # the template
        if re.search(r"^audience ", block, re.M):
            result = parse(block)
            assert result.ok, (block, result.diagnostics)
            seen += 1
            continue
        for snippet in snippets(block):
            result = parse(f"audience t {{ include {snippet} }}")
            assert result.ok, (snippet, [d.message for d in result.diagnostics])
            seen += 1
    assert seen > 30


def test_formatting_layout_example_is_already_formatted() -> None:
    (layout,) = [b for b in blocks("formatting.md") if b.startswith("# file comment")]
    assert format_str(layout) == layout


def test_errors_examples_give_their_code() -> None:
    text = (DOCS / "errors.md").read_text(encoding="utf-8")
    section = text.split("## E1xx", 1)[1].split("\n## ", 1)[0]
    checked = 0
    for code, body in re.findall(r"^### ([EW]1\d\d)\n(.*?)(?=^### |\Z)", section, re.S | re.M):
        for block in fenced(body):
            for snippet in ([block] if block.startswith("audience") else snippets(block)):
                if "…" in snippet:
                    continue
                text = snippet if snippet.startswith("audience") else (
                    f"audience t {{\n  include x = 1\n  {snippet}\n}}" if not snippet.startswith("include")
                    else f"audience t {{\n  {snippet}\n}}")
                codes = [d.code for d in parse(text).diagnostics]
                assert code in codes, (code, snippet, codes)
                checked += 1
    assert checked >= 18


@pytest.mark.parametrize("code", [f"E1{n:02d}" for n in range(21)] + ["W101"])
def test_every_syntax_code_has_an_anchor(code: str) -> None:
    assert f"\n### {code}\n" in (DOCS / "errors.md").read_text(encoding="utf-8")
