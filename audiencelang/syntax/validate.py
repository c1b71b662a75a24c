"""Trees built in code: validated before they are rendered, and their JSON form.

A tree made of :mod:`audiencelang.ast` nodes by hand (or by a UI builder) can be one the
grammar could never produce: an empty ``and``, a name with a space, a ``where`` on an
aggregate that takes none, a negative count. :func:`validate_tree` finds that by the
one definition that covers every node type, present and future: the tree is valid when
its canonical text parses, without errors, back to the same tree (spans aside). A few
common mistakes get a precise message first (driven by the node fields, not per class).

:func:`format_tree` renders only a valid tree. :func:`tree_to_json` / :func:`tree_from_json`
are the versioned JSON form (``audiencelang parse --format json``); its schema is
``docs/schemas/ast.schema.json``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from audiencelang import ast
from audiencelang.arguments import returns_diagnostics
from audiencelang.diagnostics import Diagnostic, Span, error

__all__ = ["AST_JSON_VERSION", "FormatResult", "format_source", "format_tree", "tree_from_json", "tree_to_json", "validate_tree"]

#: The version of the AST's JSON form (the ``version`` key). Raised when a change to
#: the AST is not backwards compatible for readers.
AST_JSON_VERSION = 1

_NAME_RE = re.compile(r"[a-z_][a-z0-9_]*")
_COUNT_FIELDS = frozenset({"amount", "n"})  # integer fields the grammar writes as digits


@dataclass
class FormatResult:
    """The canonical text of a tree (``None`` when the tree is invalid) and why not."""

    text: str | None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.text is not None


def _wrap(node: object) -> tuple[ast.File | None, list[Diagnostic]]:
    if isinstance(node, ast.File):
        return node, []
    if isinstance(node, ast.Audience):
        return ast.File(audiences=(node,)), []
    if isinstance(node, ast.Node) and "kind" in type(node).model_fields:
        try:  # an expression: check it as the include of an audience
            return ast.File(audiences=(ast.Audience(name=ast.Name(value="x"), include=node),)), []
        except ValidationError:
            pass
    return None, [error("E191", f"not an audience tree: {type(node).__name__}", None,
                        "give an audiencelang.ast.File, Audience or expression node")]


def _path_text(path: tuple[object, ...]) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "the tree"


def _precise(node: ast.Node) -> list[Diagnostic]:
    """Common mistakes, named by field: found generically over every node's fields."""
    out: list[Diagnostic] = []
    stack: list[tuple[object, tuple[object, ...]]] = [(node, ())]
    while stack:
        cur, path = stack.pop()
        if isinstance(cur, tuple):
            stack.extend((v, (*path, i)) for i, v in reversed(list(enumerate(cur))))
            continue
        if not isinstance(cur, BaseModel):
            continue
        where = _path_text(path)
        span = getattr(cur, "span", None)
        if isinstance(cur, ast.Name) and (not _NAME_RE.fullmatch(cur.value)):
            out.append(error("E190", f"'{cur.value}' is not a name (at {where})", span,
                             "names are lower-case letters, digits and '_', not starting with a digit"))
        if isinstance(cur, (ast.And, ast.Or)) and len(cur.items) < 2:
            out.append(error("E190", f"an '{cur.kind}' needs at least two operands, this one has "
                             f"{len(cur.items)} (at {where})", span))
        for fname in type(cur).model_fields:
            value = getattr(cur, fname)
            if fname in _COUNT_FIELDS and isinstance(value, int) and value < 0:
                out.append(error("E190", f"{fname} must not be negative, is {value} (at {where}.{fname})", span))
            if fname != "span" and isinstance(value, (BaseModel, tuple)):
                stack.append((value, (*path, fname)))
    return out


def _first_difference(a: object, b: object, path: tuple[object, ...] = ()) -> tuple[object, ...]:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(a.keys() | b.keys()):
            if a.get(k) != b.get(k):
                return _first_difference(a.get(k), b.get(k), (*path, k))
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return _first_difference(x, y, (*path, i))
    return path


def _check(file: ast.File) -> tuple[str | None, list[Diagnostic]]:
    from audiencelang.syntax.formatter import format_file
    from audiencelang.syntax.parser import parse

    found = _precise(file)
    for i, c in enumerate(file.comments):
        if not c.text.startswith("#") or "\n" in c.text or "\r" in c.text:
            found.append(error("E190", f"comment {i} is not one line starting with '#'", c.span))
    if found:
        return None, found
    try:
        text = format_file(file)
    except Exception as exc:  # a shape the formatter has no words for
        return None, [error("E190", f"this tree cannot be written as text: {type(exc).__name__}: {exc}", file.span)]
    back = parse(text)
    errors = [d for d in back.diagnostics if d.is_error]
    if back.file is None or errors:
        why = errors[0].message if errors else "it does not parse"
        return None, [error("E190", f"this tree is not one the grammar produces: its text does not parse back ({why})",
                            file.span, "build the tree the parser would build for the text you mean")]
    want, got = ast.strip_spans(file), ast.strip_spans(back.file)
    if want != got:
        path = _first_difference(want, got)
        return None, [error("E190", f"this tree is not one the grammar produces: at {_path_text(path)} its text "
                            "parses back to a different tree", file.span,
                            "e.g. an 'and' inside an 'and' is flattened, a value is written differently")]
    return text, []


@returns_diagnostics(lambda d, _: [d])
def validate_tree(node: object) -> list[Diagnostic]:
    """E190 diagnostics for a tree (``File``, ``Audience`` or expression) the grammar could
    not produce; ``[]`` when its canonical text parses back to the same tree. Never raises."""
    file, diags = _wrap(node)
    if file is None:
        return diags
    return _check(file)[1]


@returns_diagnostics(lambda d, _: FormatResult(None, [d]))
def format_tree(node: object) -> FormatResult:
    """The canonical text of a ``File`` or ``Audience`` built in code, or E190/E191 when the
    grammar could not produce it (nothing is rendered then). Never raises."""
    if not isinstance(node, (ast.File, ast.Audience)):
        return FormatResult(None, _wrap(None)[1] if not isinstance(node, ast.Node) else [
            error("E191", f"format_tree renders a File or an Audience, not {type(node).__name__}", None)])
    file, _ = _wrap(node)
    assert file is not None
    text, diags = _check(file)
    return FormatResult(text, diags)


def _diagnostics_doc(d: Diagnostic, _: object) -> dict[str, Any]:
    from audiencelang.check.output import diagnostic_json

    return {"version": AST_JSON_VERSION, "diagnostics": [diagnostic_json(d)]}


@returns_diagnostics(_diagnostics_doc)
def tree_to_json(file: ast.File) -> dict[str, Any]:
    """The JSON form of a file's tree: ``{"version": 1, "kind": "file", "audiences": [...], ...}``
    (for anything but a File: ``{"version": 1, "diagnostics": [...]}``, the diagnostic shape of
    every JSON document, docs/schemas/diagnostic.schema.json)."""
    return {"version": AST_JSON_VERSION, **file.model_dump(mode="json")}


def _no_tree(d: Diagnostic, _: object) -> tuple[ast.File | None, list[Diagnostic]]:
    return None, [d]


@returns_diagnostics(_no_tree)
def tree_from_json(data: str | bytes | dict[str, Any], *, path: str | None = None) -> tuple[ast.File | None, list[Diagnostic]]:
    """A tree from its JSON form (text or decoded), validated: E191 when it does not match
    the schema (or has another ``version``), E190 when the grammar could not produce it.
    ``path`` names the JSON document in spans. Never raises."""
    where = Span(path=path)
    doc: object = data
    if isinstance(data, (str, bytes)):
        try:
            doc = json.loads(data)
        except (ValueError, RecursionError) as exc:
            return None, [error("E191", f"not JSON: {exc}", where)]
    if not isinstance(doc, dict):
        return None, [error("E191", f"an AST document is a JSON object, not {type(doc).__name__}", where)]
    version = doc.get("version")
    if version != AST_JSON_VERSION:
        return None, [error("E191", f"AST JSON version {version!r} is not supported; this is version "
                            f"{AST_JSON_VERSION}", where, "produce it with `audiencelang parse --format json`")]
    body = {k: v for k, v in doc.items() if k not in ("version", "diagnostics")}  # as `parse` prints it
    try:
        file = ast.File.model_validate(body, extra="forbid")
    except ValidationError as exc:
        unknown = [e for e in exc.errors() if e["type"] == "extra_forbidden"]
        if unknown:  # a key no node has: a typo, or a field of another version
            text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data if isinstance(data, str) else None
            return None, [_unknown_key(e["loc"], text, path) for e in unknown[:_MAX_UNKNOWN]]
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        return None, [error("E191", f"the AST JSON does not match the schema at {loc or 'the top'}: {first['msg']}",
                            where, f"{exc.error_count()} problem(s); docs/schemas/ast.schema.json")]
    except RecursionError:
        return None, [error("E191", "the AST JSON is nested too deeply", where)]
    found = validate_tree(file)
    return (None, found) if found else (file, [])


_MAX_UNKNOWN = 20


def _unknown_key(loc: tuple[int | str, ...], text: str | None, path: str | None) -> Diagnostic:
    """E191 for a key no AST node has, at the key in the JSON text when it occurs there once."""
    key, where = str(loc[-1]), _path_text(tuple(loc[:-1]))
    span = Span(path=path)
    if text is not None:
        found = list(re.finditer(re.escape(json.dumps(key)) + r"\s*:", text))
        if len(found) == 1:
            start = found[0].start()
            line = text.count("\n", 0, start) + 1
            column = start - (text.rfind("\n", 0, start) + 1) + 1
            end = start + len(json.dumps(key))
            span = Span(path=path, line=line, column=column, end_line=line, end_column=column + end - start,
                        start=start, end=end)
    return error("E191", f"unknown key '{key}' at {where} of the AST JSON", span,
                 "every key is a field of its node (docs/schemas/ast.schema.json); a misspelt field "
                 "would otherwise be dropped silently")


def _closed(node: object) -> None:
    """Every object schema with ``properties`` gets ``additionalProperties: false``."""
    if isinstance(node, dict):
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for value in node.values():
            _closed(value)
    elif isinstance(node, list):
        for value in node:
            _closed(value)


def ast_json_schema() -> dict[str, Any]:
    """The JSON Schema of the AST's JSON form (``docs/schemas/ast.schema.json``)."""
    schema = ast.File.model_json_schema(mode="serialization")
    from audiencelang.machine import DiagnosticDoc

    diagnostic = DiagnosticDoc.model_json_schema(mode="serialization")
    diagnostic["additionalProperties"] = False
    schema.setdefault("$defs", {})["Diagnostic"] = diagnostic
    schema["properties"] = {
        "version": {"const": AST_JSON_VERSION, "type": "integer"}, **schema["properties"],
        "diagnostics": {"type": "array", "items": {"$ref": "#/$defs/Diagnostic"},
                        "description": "`parse --format json`: the file's syntax warnings; with errors the "
                                       "document is only version and diagnostics"}}
    schema["required"] = sorted({*schema.get("required", []), "version"})
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://audiencelang.dev/schemas/ast.schema.json"
    schema["title"] = "audiencelang audience file AST"
    _closed(schema)
    return schema


@returns_diagnostics(lambda d, _: FormatResult(None, [d]))
def format_source(text: str, path: str | None = None) -> FormatResult:
    """The canonical form of ``text``, or its syntax errors (``text`` ``None``): the
    non-raising form of :func:`audiencelang.syntax.formatter.format_str`. Never raises."""
    from audiencelang.syntax.formatter import format_file
    from audiencelang.syntax.parser import parse

    result = parse(text, path)
    errors = [d for d in result.diagnostics if d.is_error]
    if result.file is None or errors:
        return FormatResult(None, errors or list(result.diagnostics))
    try:
        return FormatResult(format_file(result.file, result.comments), list(result.diagnostics))
    except Exception as exc:  # a bug must come back as a diagnostic
        return FormatResult(None, [error("E900", f"internal error while formatting: {type(exc).__name__}: {exc}",
                                         Span(path=path), "this is a bug in audiencelang; please report it")])
