"""Hover: what a name stands for, per market (traits, events, properties, purposes), or in
the project (audiences, destinations)."""

from __future__ import annotations

from lsprotocol import types

from . import catalog
from .context import Role, classify, token_at, tokenize
from .convert import range_of
from .index import ProjectIndex

__all__ = ["hover"]


def _entry_doc(kind: str, entry: catalog.Entry | None, name: str, place: str, typ: str) -> str:
    if entry is None:
        return f"**{kind} `{name}`** — not defined in any market"
    return f"**{kind} `{name}`** — {entry.detail()}\n\n{entry.table(place, typ)}"


def describe(index: ProjectIndex, role: Role, name: str, event: str | None) -> str | None:
    """Markdown describing a name in its role (``None`` for keywords and literals)."""
    if role is Role.TRAIT:
        return _entry_doc("trait", catalog.traits(index.markets).get(name), name, "column", "type")
    if role is Role.EVENT:
        return _entry_doc("event", catalog.events(index.markets).get(name), name, "table", "")
    if role is Role.PROPERTY and event is not None:
        entry = catalog.properties(index.markets, event).get(name)
        return _entry_doc(f"property of {event}", entry, name, "column", "type")
    if role is Role.PURPOSE:
        return _entry_doc("consent purpose", catalog.purposes(index.markets).get(name), name, "value", "mode")
    if role is Role.DESTINATION:
        return catalog.destination_doc(index.config, name) or f"**destination `{name}`** — not in the project config"
    if role in (Role.AUDIENCE_REF, Role.AUDIENCE_DEF):
        found = index.audience(name)
        if found is None:
            return f"**audience `{name}`** — not defined in the project"
        key, node, span = found
        lines = [f"**audience `{name}`** — {key}:{span.line}"]
        if node is not None:
            if node.title is not None:
                lines.append(f"\n{node.title.value}")
            if node.owner is not None:
                lines.append(f"\nowner: {node.owner.value}")
            if node.description is not None:
                lines.append(f"\n{node.description.value}")
        return "\n".join(lines)
    return None


def hover(index: ProjectIndex, text: str, offset: int) -> types.Hover | None:
    toks = classify(tokenize(text))
    tok = token_at(toks, offset)
    if tok is None or tok.kind != "word":
        return None
    doc = describe(index, tok.role, tok.text, tok.event)
    if doc is None:
        return None
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=doc),
                       range=range_of(text, tok.start, tok.end))
