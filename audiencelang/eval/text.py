"""Condition text for explanations: an expression printed back as audience syntax.

This is a small, self-contained printer (one line per expression) so that
:func:`audiencelang.eval.explain` can label every node of its tree with text a
user recognises. Its output parses back to the same AST (a test checks this);
the canonical, comment-preserving formatter lives in ``audiencelang.syntax``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from audiencelang import ast

__all__ = ["render_audience", "render_expr", "render_literal"]

_MATCH_WORDS = {"contains": "contains", "starts_with": "starts with", "ends_with": "ends with"}


def render_literal(lit: ast.StringLit | ast.NumberLit | ast.BoolLit | ast.DateLit | ast.TimestampLit) -> str:
    if isinstance(lit, ast.StringLit):
        return _string(lit.value)
    if isinstance(lit, ast.NumberLit):
        return _number(lit.value)
    if isinstance(lit, ast.BoolLit):
        return "true" if lit.value else "false"
    if isinstance(lit, ast.DateLit):
        return lit.value.isoformat()
    return _timestamp(lit.value)


def _string(value: str) -> str:
    out = ['"']
    for ch in value:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F or 0xD800 <= ord(ch) <= 0xDFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _number(value: Decimal) -> str:
    text = format(value, "f")
    return "0" if text in ("-0", "-0.0") else text


def _timestamp(value: dt.datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    off = value.utcoffset() or dt.timedelta(0)
    body = value.replace(tzinfo=None).isoformat(timespec="microseconds" if value.microsecond else "seconds")
    if off == dt.timedelta(0):
        return body + "Z"
    sign = "-" if off < dt.timedelta(0) else "+"
    minutes = abs(off) // dt.timedelta(minutes=1)
    return f"{body}{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _window(w: ast.LastWindow | ast.BetweenWindow | ast.SinceWindow) -> str:
    if isinstance(w, ast.LastWindow):
        return f"in last {w.amount} {w.unit}{'' if w.amount == 1 else 's'}"
    if isinstance(w, ast.BetweenWindow):
        return f"between {render_literal(w.start)} and {render_literal(w.end)}"
    return f"since {render_literal(w.start)}"


def _target(t: ast.Name | ast.Aggregate) -> str:
    if isinstance(t, ast.Name):
        return t.value
    arg = t.event.value + (f".{t.property.value}" if t.property is not None else "")
    out = f"{t.func}({arg})"
    if t.where is not None:
        out += f" where ({render_expr(t.where)})"
    if t.window is not None:
        out += " " + _window(t.window)
    return out


def _is_open(e: ast.Expr) -> bool:
    """A ``performed ... where F`` with nothing after the filter swallows a following
    ``and``/``or``, so it needs parentheses inside a larger expression."""
    return isinstance(e, ast.Performed) and e.where is not None and e.count is None and e.window is None


def render_expr(e: ast.Expr) -> str:
    """``e`` as one line of audience syntax, with the parentheses precedence needs."""
    if isinstance(e, ast.Or):
        return " or ".join(_wrap(i, ast.Or) for i in e.items)
    if isinstance(e, ast.And):
        return " and ".join(_wrap(i, ast.And) for i in e.items)
    if isinstance(e, ast.Not):
        return "not " + _wrap(e.operand, ast.Not)
    if isinstance(e, ast.Compare):
        return f"{_target(e.target)} {e.op} {render_literal(e.value)}"
    if isinstance(e, ast.InList):
        items = ", ".join(render_literal(v) for v in e.values)
        return f"{_target(e.target)} {'not in' if e.negated else 'in'} [{items}]"
    if isinstance(e, ast.Between):
        return f"{_target(e.target)} between {render_literal(e.low)} and {render_literal(e.high)}"
    if isinstance(e, ast.StringMatch):
        tail = " ignoring case" if e.ignore_case else ""
        return f"{_target(e.target)} {_MATCH_WORDS[e.op]} {render_literal(e.value)}{tail}"
    if isinstance(e, ast.IsNull):
        return f"{_target(e.target)} is {'not ' if e.negated else ''}null"
    if isinstance(e, ast.InLast):
        return f"{_target(e.target)} {_window(e.window)}"
    if isinstance(e, ast.TimeCompare):
        return f"{_target(e.target)} {e.op} {render_literal(e.value)}"
    if isinstance(e, ast.Performed):
        out = f"performed {e.event.value}"
        if e.where is not None:
            out += f" where ({render_expr(e.where)})" if (e.count or e.window) else f" where {render_expr(e.where)}"
        if e.count is not None:
            word = {"at_least": "at least", "at_most": "at most", "exactly": "exactly"}[e.count.op]
            out += f" {word} {e.count.n} {'time' if e.count.n == 1 else 'times'}"
        if e.window is not None:
            out += " " + _window(e.window)
        return out
    if isinstance(e, ast.InAudience):
        return f"in audience {e.audience.value}"
    if isinstance(e, ast.HasConsent):
        return f"has consent {e.purpose.value}"
    raise TypeError(f"not an expression: {type(e).__name__}")  # pragma: no cover


def _wrap(e: ast.Expr, parent: type) -> str:
    text = render_expr(e)
    needs = (
        (parent is ast.And and isinstance(e, ast.Or))
        or (parent is ast.Not and isinstance(e, ast.And | ast.Or))
        or _is_open(e)
    )
    return f"({text})" if needs else text


def render_audience(a: ast.Audience) -> str:
    """A whole audience block (metadata, include, exclude, consent, gates, activations)."""
    lines = [f"audience {a.name.value} {{"]
    for key in ("title", "owner", "description"):
        lit = getattr(a, key)
        if lit is not None:
            lines.append(f"  {key} {_string(lit.value)}")
    if a.tags is not None:
        lines.append("  tags [" + ", ".join(_string(t.value) for t in a.tags) + "]")
    if a.include is not None:
        lines.append(f"  include {render_expr(a.include)}")
    if a.exclude is not None:
        lines.append(f"  exclude {render_expr(a.exclude)}")
    for rc in a.require_consent:
        lines.append("  require consent " + ", ".join(p.value for p in rc.purposes))
    if a.min_size is not None:
        lines.append(f"  min size {_number(a.min_size.value)}")
    for act in a.activate:
        lines.append(f"  activate {act.destination.value}")
    lines.append("}")
    return "\n".join(lines) + "\n"
