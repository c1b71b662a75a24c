"""Edits: formatting (the layout of `audiencelang fmt`) and quick fixes from the checker's hints."""

from __future__ import annotations

import re

from lsprotocol import types

from audiencelang.syntax.formatter import FormatError, format_str

from .convert import offset_at, position_at

__all__ = ["code_actions", "format_document"]

_DID_YOU_MEAN = re.compile(r"^did you mean (.*)\?$")
_QUOTED = re.compile(r"'([^']+)'")
_ADD_LINE = re.compile(r"^add the line:\s+(.+)$")


def format_document(text: str) -> list[types.TextEdit] | None:
    """One edit replacing the whole text by its canonical form; ``None`` when the text has
    syntax errors (the diagnostics say where), ``[]`` when it is formatted already."""
    try:
        new = format_str(text)
    except FormatError:
        return None
    if new == text:
        return []
    end = position_at(text, len(text))
    return [types.TextEdit(range=types.Range(start=types.Position(line=0, character=0), end=end), new_text=new)]


def code_actions(uri: str, text: str, diagnostics: list[types.Diagnostic]) -> list[types.CodeAction]:
    """Quick fixes for our diagnostics: each did-you-mean name replaces the unknown one; a
    missing `require consent P` (E401) is added above the `activate` that needs it."""
    out: list[types.CodeAction] = []
    for d in diagnostics:
        if d.source != "audiencelang" or not isinstance(d.data, dict):
            continue
        hints = d.data.get("hints") or []
        for hint in hints:
            m = _DID_YOU_MEAN.match(str(hint))
            if m:
                for name in _QUOTED.findall(m.group(1)):
                    edit = types.TextEdit(range=d.range, new_text=name)
                    out.append(_action(f"Replace with '{name}'", uri, [edit], d, preferred=not out))
                continue
            m = _ADD_LINE.match(str(hint))
            if m:
                line_start = offset_at(text, types.Position(line=d.range.start.line, character=0))
                indent = re.match(r"[ \t]*", text[line_start:]).group()  # type: ignore[union-attr]
                at = types.Position(line=d.range.start.line, character=0)
                edit = types.TextEdit(range=types.Range(start=at, end=at), new_text=f"{indent}{m.group(1)}\n")
                out.append(_action(f"Add '{m.group(1)}'", uri, [edit], d, preferred=True))
    return out


def _action(title: str, uri: str, edits: list[types.TextEdit], d: types.Diagnostic, *,
            preferred: bool) -> types.CodeAction:
    return types.CodeAction(title=title, kind=types.CodeActionKind.QuickFix, diagnostics=[d],
                            is_preferred=preferred, edit=types.WorkspaceEdit(changes={uri: edits}))
