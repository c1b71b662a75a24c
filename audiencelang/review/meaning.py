"""The meaning of an audience as a comparable value: who is a member, modulo spans,
names, metadata, the order of ``and``/``or`` items and of consent purposes.

Used to detect renames (``diff``: same meaning, new name) and audiences that mean the
same (lint L010). Works on any node kind, known or not: unknown nodes compare by
their fields with spans removed.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from audiencelang import ast

__all__ = ["expr_key", "membership_key", "plain"]


def expr_key(e: ast.Node | None) -> str:
    """A canonical text key of an expression: equal keys mean equal conditions up to
    spans, ``and``/``or`` item order and double negation."""
    return json.dumps(_norm(e), sort_keys=True, separators=(",", ":"), default=str)


#: Values that are their own normal form (most leaves of a tree: looked up before any isinstance).
_PLAIN = frozenset({str, int, float, bool, type(None), Decimal, dt.date, dt.datetime})


def _norm(e: object) -> object:
    # iterative enough: expressions are bounded by the parser's depth limit
    if type(e) in _PLAIN:
        return e
    if isinstance(e, ast.Not) and isinstance(e.operand, ast.Not):
        return _norm(e.operand.operand)
    if isinstance(e, ast.And | ast.Or):
        items: list[object] = []
        for i in e.items:
            n = _norm(i)
            # (a and b) and c is a and b and c
            if isinstance(n, dict) and n.get("kind") == e.kind:
                items.extend(n["items"])
            else:
                items.append(n)
        uniq = sorted({json.dumps(i, sort_keys=True, default=str): i for i in items}.items())
        if len(uniq) == 1:
            return uniq[0][1]
        return {"kind": e.kind, "items": [v for _, v in uniq]}
    if isinstance(e, ast.Node):
        return {name: _norm(getattr(e, name)) for name in _fields(type(e))}
    if isinstance(e, tuple | list):
        return [_norm(x) for x in e]
    return ast.strip_spans(e) if hasattr(e, "model_dump") else e


_FIELDS: dict[type, tuple[str, ...]] = {}


def _fields(cls: type[ast.Node]) -> tuple[str, ...]:
    """A node class's fields without spans, in declaration order (looked up once per class:
    pydantic's ``model_fields`` is a property that builds its answer on every access)."""
    got = _FIELDS.get(cls)
    if got is None:
        got = _FIELDS[cls] = tuple(n for n in cls.model_fields if n not in ("span", "tags_span", "path"))
    return got


def plain(e: object) -> object:
    """A node as nested dicts and lists without spans, field by field (no pydantic
    serialisation, so node kinds the AST unions do not list yet work too)."""
    if isinstance(e, ast.Node):
        return {k: plain(getattr(e, k)) for k in _fields(type(e))}
    if isinstance(e, tuple | list):
        return [plain(x) for x in e]
    return e


def membership_key(aud: ast.Audience) -> str:
    """Equal for two audiences with the same members in every market: the same include,
    exclude and required consent purposes (as a set). Metadata, gates and destinations
    are not part of it."""
    return json.dumps([_norm(aud.include), _norm(aud.exclude), sorted(set(aud.required_purposes))],
                      sort_keys=True, separators=(",", ":"), default=str)
