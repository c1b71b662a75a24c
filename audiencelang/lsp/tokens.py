"""Semantic tokens: every word coloured by its role (trait, event, property, audience, ...)."""

from __future__ import annotations

from lsprotocol import types

from .context import Role, classify, tokenize

__all__ = ["LEGEND", "semantic_tokens"]

_TYPES = ["keyword", "string", "number", "comment", "operator", "variable", "event", "property",
          "namespace", "enumMember", "type", "macro"]
_MODIFIERS = ["declaration"]
LEGEND = types.SemanticTokensLegend(token_types=_TYPES, token_modifiers=_MODIFIERS)

_OF_ROLE = {
    Role.KEYWORD: "keyword",
    Role.STRING: "string",
    Role.NUMBER: "number",
    Role.COMMENT: "comment",
    Role.OPERATOR: "operator",
    Role.TRAIT: "variable",
    Role.EVENT: "event",
    Role.PROPERTY: "property",
    Role.AUDIENCE_DEF: "namespace",
    Role.AUDIENCE_REF: "namespace",
    Role.PURPOSE: "enumMember",
    Role.DESTINATION: "type",
    Role.UNIT: "keyword",
}


def _utf16(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


def semantic_tokens(text: str) -> types.SemanticTokens:
    """The protocol's relative encoding: (line delta, start delta, length, type, modifiers)."""
    data: list[int] = []
    prev_line = prev_col = 0
    line = 0
    line_start = 0
    scanned = 0
    for tok in classify(tokenize(text)):
        kind = _OF_ROLE.get(tok.role)
        if kind is None:
            continue
        line += text.count("\n", scanned, tok.start)
        scanned = tok.start
        if line != prev_line or not data:
            line_start = text.rfind("\n", 0, tok.start) + 1
        col = _utf16(text[line_start:tok.start])
        delta_line = line - prev_line
        delta_col = col - prev_col if delta_line == 0 else col
        mods = 1 if tok.role is Role.AUDIENCE_DEF else 0
        data += [delta_line, delta_col, _utf16(tok.text), _TYPES.index(kind), mods]
        prev_line, prev_col = line, col
    return types.SemanticTokens(data=data)
