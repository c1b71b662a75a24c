"""Embedding: trees built in code are validated, and the versioned JSON form (issue 16 item 2)."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings

from audiencelang import ast
from audiencelang.project import Project
from audiencelang.syntax import parse
from audiencelang.syntax.validate import (
    AST_JSON_VERSION,
    format_tree,
    tree_from_json,
    tree_to_json,
    validate_tree,
)
from tests import strategies

REPO = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((REPO / "docs/schemas/ast.schema.json").read_text())


def _aud(include: object, **kw: object) -> ast.Audience:
    return ast.Audience(name=ast.Name(value="a"), include=include, **kw)  # type: ignore[arg-type]


COUNTRY = ast.Compare(target=ast.Name(value="country"), op="=", value=ast.StringLit(value="DE"))
VIP = ast.Compare(target=ast.Name(value="vip"), op="=", value=ast.BoolLit(value=True))

INVALID = {
    "empty and": _aud(ast.And(items=())),
    "one-item or": _aud(ast.Or(items=(COUNTRY,))),
    "name with a space": _aud(ast.Compare(target=ast.Name(value="my trait"), op="=", value=ast.StringLit(value="x"))),
    "audience name not a name": ast.Audience(name=ast.Name(value="9lives"), include=COUNTRY),
    "negative count": _aud(ast.Performed(event=ast.Name(value="buy"), count=ast.Count(op="at_least", n=-1))),
    "negative window": _aud(ast.Performed(event=ast.Name(value="buy"),
                                          window=ast.LastWindow(amount=-3, unit="day"))),
    "and inside and": _aud(ast.And(items=(ast.And(items=(COUNTRY, VIP)), COUNTRY))),
    "no include": ast.Audience(name=ast.Name(value="a")),
    "window too long": _aud(ast.Performed(event=ast.Name(value="buy"),
                                          window=ast.LastWindow(amount=10**9, unit="day"))),
    "number out of range": _aud(ast.Compare(target=ast.Name(value="country"), op="=",
                                            value=ast.NumberLit(value=Decimal("1e30")))),
}


@pytest.mark.parametrize("tree", list(INVALID.values()), ids=list(INVALID))
def test_a_tree_the_grammar_cannot_produce_is_rejected_not_rendered(tree: ast.Audience) -> None:
    result = format_tree(tree)
    assert result.text is None and [d.code for d in result.diagnostics] == ["E190"]
    assert validate_tree(tree) == result.diagnostics
    file = ast.File(audiences=(tree,))
    doc = tree_to_json(file)
    assert tree_from_json(json.dumps(doc))[0] is None  # the JSON door checks the same
    project = Project.from_sources(audiences={"built.aud": file})  # and so does the in-memory project
    assert [(d.code, d.span and d.span.path) for d in project.diagnostics] == [("E190", "built.aud")]


def test_precise_messages_name_the_place() -> None:
    msg = format_tree(INVALID["empty and"]).diagnostics[0].message
    assert "'and' needs at least two operands" in msg and "include" in msg
    assert "'my trait' is not a name" in format_tree(INVALID["name with a space"]).diagnostics[0].message


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(strategies.files())
def test_every_valid_tree_formats_and_parses_back_to_itself(file: ast.File) -> None:
    assert validate_tree(file) == []
    result = format_tree(file)
    assert result.text is not None
    back = parse(result.text)
    assert back.file is not None and ast.strip_spans(back.file) == ast.strip_spans(file)
    doc = tree_to_json(file)
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)
    again, diags = tree_from_json(json.dumps(doc))
    assert diags == [] and again == file


def test_parse_json_output_is_versioned_and_accepted_as_input(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "audiencelang.cli", "parse", str(REPO / "examples/audiences/lifecycle.aud")],
                         capture_output=True, text=True, check=True)
    doc = json.loads(out.stdout)
    assert doc["version"] == AST_JSON_VERSION
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)
    file, diags = tree_from_json(out.stdout)
    assert diags == [] and file is not None
    text = format_tree(file).text
    assert text == (REPO / "examples/audiences/lifecycle.aud").read_text()  # JSON -> text, comments kept


@pytest.mark.parametrize(("doc", "needle"), [
    ("{", "not JSON"),
    ("[]", "JSON object"),
    ('{"kind": "file", "audiences": []}', "version None"),
    ('{"version": 99, "kind": "file"}', "version 99"),
    ('{"version": 1, "kind": "file", "audiences": [{"kind": "audience"}]}', "does not match the schema"),
])
def test_bad_json_is_a_diagnostic(doc: str, needle: str) -> None:
    file, diags = tree_from_json(doc, path="ui.json")
    assert file is None and [d.code for d in diags] == ["E191"] and needle in diags[0].message
    assert diags[0].span is not None and diags[0].span.path == "ui.json"


def test_unknown_json_keys_are_located_e191() -> None:
    """A misspelt or foreign key is an error at the key, not silently dropped (issue 16 item 2)."""
    from audiencelang import parse, tree_from_json, tree_to_json

    doc = tree_to_json(parse('audience a {\n  include age >= 18 and country = "DE"\n}\n').file)
    doc["audiences"][0]["include"]["itemz"] = []
    doc["audiences"][0]["name"]["spelling"] = "x"
    text = json.dumps(doc, indent=2)
    file, diags = tree_from_json(text, path="ui.json")
    assert file is None and [d.code for d in diags] == ["E191", "E191"]
    by_key = {d.message.split("'")[1]: d for d in diags}
    assert set(by_key) == {"itemz", "spelling"}
    d = by_key["itemz"]
    assert "audiences[0].include" in d.message and d.span is not None and d.span.path == "ui.json"
    assert text.splitlines()[d.span.line - 1][d.span.column - 1:].startswith('"itemz"')
    jsonschema.Draft202012Validator(SCHEMA).validate(tree_to_json(parse("audience a {\n  include age >= 1\n}\n").file))
    assert not jsonschema.Draft202012Validator(SCHEMA).is_valid(doc)
    # a decoded document: the key's path, no line
    _, diags = tree_from_json({**doc, "audiences": doc["audiences"]})
    assert {d.code for d in diags} == {"E191"} and all(d.span is not None and d.span.line == 1 for d in diags)
