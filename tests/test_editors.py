"""The TextMate grammar of editors/vscode, tokenized by VS Code's own engine (vscode-textmate
with vscode-oniguruma, under node): every keyword of grammar/audience.lark is highlighted as a
keyword, so the two cannot drift apart.

Needs node and `npm ci` in editors/ (bash .ci/run does both); skipped without them unless
AUDIENCELANG_REQUIRE_ENGINES is set.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from audiencelang.lsp.context import grammar_keywords

REPO = Path(__file__).resolve().parent.parent
EDITORS = REPO / "editors"
SCRIPT = EDITORS / "test" / "tokenize.mjs"
GRAMMAR = EDITORS / "vscode" / "syntaxes" / "audience.tmLanguage.json"

#: Keywords of spec §8, being added to the grammar on other branches: highlighted already.
SECTION_8 = ["then", "within", "first", "last", "more", "than", "ago", "distinct", "day", "month", "year"]


def _node() -> str:
    node = shutil.which("node")
    missing = None
    if node is None:
        missing = "node is not installed"
    elif not (EDITORS / "node_modules" / "vscode-textmate").is_dir():
        missing = "editors/node_modules is missing: run `npm ci` in editors/"
    if missing is not None:
        if os.environ.get("AUDIENCELANG_REQUIRE_ENGINES"):
            pytest.fail(missing)
        pytest.skip(missing)
    assert node is not None
    return node


def tokenize(text: str) -> list[list[tuple[str, list[str]]]]:
    out = subprocess.run([_node(), str(SCRIPT)], input=text, capture_output=True, text=True, timeout=60,
                         check=False)
    assert out.returncode == 0, out.stderr
    return [[(t, s) for t, s in json.loads(line)] for line in out.stdout.splitlines()]


def _scope_of(line: list[tuple[str, list[str]]], word: str) -> str:
    hits = [s[-1] for t, s in line if t == word]
    assert hits, (word, line)
    return hits[0]


def test_every_keyword_of_the_grammar_is_highlighted() -> None:
    words = sorted(grammar_keywords() | set(SECTION_8))
    assert {"include", "performed", "where", "consent", "activate", "starts", "least", "times"} <= set(words)
    lines = tokenize("\n".join(f"  x {w} y" for w in words))
    wrong = {w: _scope_of(line, w) for w, line in zip(words, lines, strict=False)
             if not _scope_of(line, w).startswith(("keyword.", "constant.language."))}
    assert wrong == {}


def test_names_strings_comments_and_literals() -> None:
    text = ('audience cart {\n'
            '  include country = "D\\"E" and counted > 2 # count me\n'
            '  exclude performed purchase since 2026-01-01 or in audience existing_customers\n'
            '  require consent ads_personalization\n'
            '  activate meta_ads\n'
            '}\n')
    lines = tokenize(text)
    assert _scope_of(lines[0], "cart").startswith("entity.name.type.audience.definition")
    assert _scope_of(lines[1], "country") == "variable.other.audience"  # `count` is a keyword, `country` is not
    assert _scope_of(lines[1], "counted") == "variable.other.audience"
    assert _scope_of(lines[1], "# count me") == "comment.line.number-sign.audience"
    assert _scope_of(lines[1], '\\"') == "constant.character.escape.audience"
    assert _scope_of(lines[2], "purchase") == "entity.name.function.event.audience"
    assert _scope_of(lines[2], "2026-01-01") == "constant.numeric.date.audience"
    assert _scope_of(lines[2], "existing_customers").startswith("entity.name.type.audience.reference")
    assert _scope_of(lines[3], "ads_personalization") == "constant.other.purpose.audience"
    assert _scope_of(lines[4], "meta_ads") == "support.constant.destination.audience"


def test_the_extension_starts_the_server_and_uses_the_grammar() -> None:
    pkg = json.loads((EDITORS / "vscode" / "package.json").read_text())
    (lang,) = pkg["contributes"]["languages"]
    assert lang["extensions"] == [".aud"]
    (grammar,) = pkg["contributes"]["grammars"]
    assert (EDITORS / "vscode" / grammar["path"]).resolve() == GRAMMAR
    assert json.loads(GRAMMAR.read_text())["scopeName"] == grammar["scopeName"]
    command = pkg["contributes"]["configuration"]["properties"]["audiencelang.command"]["default"]
    assert command == ["audiencelang", "lsp"]
