"""Audiences across files: go to definition, find references, rename."""

from __future__ import annotations

import re

from lsprotocol import types

from audiencelang.diagnostics import Span

from .context import Role, classify, grammar_keywords, token_at, tokenize
from .convert import span_range, uri_of
from .index import ProjectIndex

__all__ = ["RenameError", "audience_at", "definition", "references", "rename"]

_NAME_RE = re.compile(r"[a-z_][a-z0-9_]*")


class RenameError(ValueError):
    """A rename the project cannot take (the message says why)."""


def audience_at(text: str, offset: int) -> tuple[str, int, int] | None:
    """The audience name under the cursor (a definition or an `in audience` reference)."""
    tok = token_at(classify(tokenize(text)), offset)
    if tok is None or tok.role not in (Role.AUDIENCE_DEF, Role.AUDIENCE_REF):
        return None
    return tok.text, tok.start, tok.end


def _location(index: ProjectIndex, key: str, span: Span) -> types.Location:
    return types.Location(uri=uri_of(index.project.path_of(key)), range=span_range(span, index.text_of(key)))


def definition(index: ProjectIndex, text: str, offset: int) -> list[types.Location]:
    at = audience_at(text, offset)
    if at is None:
        return []
    out: list[types.Location] = []
    for key in sorted(index.defined_in.get(at[0], ())):
        out += [_location(index, key, s) for n, s in index.files[key].defs if n == at[0]]
    return out


def _occurrences(index: ProjectIndex, name: str, declaration: bool) -> list[tuple[str, Span]]:
    out: list[tuple[str, Span]] = []
    if declaration:
        for key in sorted(index.defined_in.get(name, ())):
            out += [(key, s) for n, s in index.files[key].defs if n == name]
    for key in sorted(index.referenced_from.get(name, ())):
        out += [(key, s) for n, s in index.files[key].refs if n == name]
    return out


def references(index: ProjectIndex, text: str, offset: int, include_declaration: bool) -> list[types.Location]:
    at = audience_at(text, offset)
    if at is None:
        return []
    return [_location(index, k, s) for k, s in _occurrences(index, at[0], include_declaration)]


def rename(index: ProjectIndex, text: str, offset: int, new_name: str) -> types.WorkspaceEdit | None:
    """Rename the audience under the cursor in every file that defines or refers to it."""
    at = audience_at(text, offset)
    if at is None:
        return None
    old = at[0]
    if not _NAME_RE.fullmatch(new_name) or new_name in grammar_keywords():
        raise RenameError(f"'{new_name}' is not an audience name: lower-case letters, digits and _, "
                          "starting with a letter or _, and not a keyword")
    if new_name != old and new_name in index.defined_in:
        raise RenameError(f"audience '{new_name}' already exists")
    changes: dict[str, list[types.TextEdit]] = {}
    for key, span in _occurrences(index, old, True):
        uri = uri_of(index.project.path_of(key))
        changes.setdefault(uri, []).append(
            types.TextEdit(range=span_range(span, index.text_of(key)), new_text=new_name))
    return types.WorkspaceEdit(changes=changes)
