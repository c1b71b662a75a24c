"""Meaning in words: what an audience or a change of one says, built from the AST.

Two uses: ``diff`` (what changed between two versions of a condition) and the
catalogue / ``explain`` (what an audience means). Nothing here reads files or
warehouses; every function takes AST nodes and returns plain text.

Unknown node kinds (language forms added after this module was written) never
make these functions fail: they fall back to the node's canonical text from the
formatter (:func:`text`), or to its kind when the formatter does not know it either.
"""

from __future__ import annotations

from collections.abc import Sequence

from audiencelang import ast

__all__ = [
    "audience_meaning",
    "condition_change",
    "describe",
    "subject",
    "text",
    "window_words",
]

_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400,
                 "month": 30 * 86400, "year": 365 * 86400}


def text(node: ast.Node) -> str:
    """The canonical one-line text of a condition, window or literal (the formatter's)."""
    from audiencelang.syntax.formatter import _literal, _window, format_expr

    try:
        kind = getattr(node, "kind", "")
        if kind in ("string", "number", "boolean", "date", "timestamp"):
            return _literal(node)
        if isinstance(node, ast.LastWindow | ast.BetweenWindow | ast.SinceWindow | ast.CalendarWindow):
            return _window(node)
        return format_expr(node)
    except (TypeError, KeyError, AttributeError):
        return f"<{getattr(node, 'kind', type(node).__name__)}>"


def target_text(t: ast.Node) -> str:
    """A trait name or an aggregate as written (``country``, ``sum(purchase.revenue) in last 90 days``)."""
    from audiencelang.syntax.formatter import _target

    try:
        return _target(t)
    except (TypeError, KeyError, AttributeError):
        return f"<{getattr(t, 'kind', type(t).__name__)}>"


def code(node: ast.Node) -> str:
    """:func:`text` in backticks (Markdown code and readable as plain text)."""
    return f"`{text(node)}`"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def window_words(w: ast.Node | None) -> str:
    """``in the last 7 days``, ``between 2024-01-01 and 2024-01-31``, ``ever`` (no window)."""
    if w is None:
        return "ever"
    if isinstance(w, ast.LastWindow):
        return f"in the last {_plural(w.amount, w.unit)}"
    return text(w)


def _seconds(w: ast.Node) -> int | None:
    if isinstance(w, ast.LastWindow):
        unit = _UNIT_SECONDS.get(str(w.unit))
        return None if unit is None else w.amount * unit
    return None


def _duration(w: ast.LastWindow) -> str:
    return _plural(w.amount, w.unit)


# --------------------------------------------------------------------------- subjects


def subject(e: ast.Node) -> tuple[object, ...]:
    """What a condition is about, for pairing an old condition with its new version:
    the trait or aggregate a comparison tests, the event a ``performed`` counts, the
    kind of anything else. Two conditions with the same subject are described as one
    changed condition rather than one removed and one added."""
    if isinstance(e, ast.Not):
        return ("not", *subject(e.operand))
    if isinstance(e, ast.Performed):
        return ("performed", e.event.value)
    if isinstance(e, ast.InAudience | ast.HasConsent):
        return (e.kind,)
    target = getattr(e, "target", None)
    if isinstance(target, ast.Name):
        return ("field", target.value)
    if isinstance(target, ast.Aggregate):
        return ("aggregate", target.func, target.event.value,
                target.property.value if target.property else None)
    return (getattr(e, "kind", type(e).__name__),)


def _same(a: object, b: object) -> bool:
    from audiencelang.review.meaning import plain

    return plain(a) == plain(b)


# --------------------------------------------------------------------------- changes


def _window_change(label: str, old: ast.Node | None, new: ast.Node | None) -> str | None:
    if _same(old, new):
        return None
    if old is None and new is not None:
        return f"window of {label} added: {window_words(new)} (was: all history)"
    if new is None and old is not None:
        return f"window of {label} removed: all history (was: {window_words(old)})"
    assert old is not None and new is not None
    a, b = _seconds(old), _seconds(new)
    if a is not None and b is not None and isinstance(old, ast.LastWindow) and isinstance(new, ast.LastWindow):
        verb = "widened" if b > a else "narrowed" if b < a else "rewritten"
        if old.unit == new.unit:
            return f"window of {label} {verb} from {old.amount} to {_plural(new.amount, new.unit)}"
        return f"window of {label} {verb} from {_duration(old)} to {_duration(new)}"
    return f"window of {label} changed from `{text(old)}` to `{text(new)}`"


def _count_words(c: ast.Count | None) -> str:
    if c is None:
        return "at least 1 time"
    return f"{c.op.replace('_', ' ')} {_plural(c.n, 'time')}"


def _filter_change(label: str, old: ast.Node | None, new: ast.Node | None) -> str | None:
    if _same(old, new):
        return None
    if old is None and new is not None:
        return f"filter of {label} added: where {code(new)}"
    if new is None and old is not None:
        return f"filter of {label} removed (was: where {code(old)})"
    assert old is not None and new is not None
    return f"filter of {label} changed from where {code(old)} to where {code(new)}"


def _performed_changes(old: ast.Performed, new: ast.Performed, negated: bool) -> list[str]:
    label = f"`{'not ' if negated else ''}performed {new.event.value}`"
    out: list[str] = []
    f = _filter_change(label, old.where, new.where)
    if f:
        out.append(f)
    if not _same(old.count, new.count):
        how = "changed"
        a = old.count or ast.Count(op="at_least", n=1)
        b = new.count or ast.Count(op="at_least", n=1)
        if a.op == b.op and a.op != "exactly":
            more = b.n > a.n if a.op == "at_most" else b.n < a.n  # more profiles qualify
            how = "widened" if more else "narrowed"
        out.append(f"count of {label} {how} from {_count_words(old.count)} to {_count_words(new.count)}")
    w = _window_change(label, old.window, new.window)
    if w:
        out.append(w)
    # any field this module does not know (a newer language form): say the condition changed
    known = {"span", "kind", "event", "where", "count", "window"}
    if any(not _same(getattr(old, k, None), getattr(new, k, None))
           for k in set(type(old).model_fields) | set(type(new).model_fields) if k not in known) or not out:
        out.append(f"condition {code(old)} changed to {code(new)}")
    return out


def _lits(values: Sequence[ast.Node]) -> list[str]:
    return [text(v) for v in values]


def _number(lit: ast.Node) -> object:
    return lit.value if isinstance(lit, ast.NumberLit) else None


def condition_change(old: ast.Node, new: ast.Node) -> list[str]:
    """Phrases for one condition whose subject stayed and whose content changed."""
    negated = False
    if isinstance(old, ast.Not) and isinstance(new, ast.Not):
        old, new, negated = old.operand, new.operand, True
    if type(old) is not type(new):
        return [f"condition {code(old)} changed to {code(new)}"]
    if isinstance(old, ast.Performed) and isinstance(new, ast.Performed):
        return _performed_changes(old, new, negated)
    if isinstance(old, ast.InList) and isinstance(new, ast.InList) and old.negated == new.negated \
            and _same(old.target, new.target):
        before, after = _lits(old.values), _lits(new.values)
        added = [v for v in after if v not in before]
        removed = [v for v in before if v not in after]
        parts = []
        if added:
            parts.append("added " + ", ".join(added))
        if removed:
            parts.append("removed " + ", ".join(removed))
        if not parts:
            parts.append("values reordered")
        label = f"`{'not ' if negated else ''}{target_text(new.target)} {'not in' if new.negated else 'in'} [...]`"
        return [f"list of {label}: {'; '.join(parts)}"]
    if isinstance(old, ast.Compare) and isinstance(new, ast.Compare) and old.op == new.op \
            and _same(old.target, new.target):
        a, b = _number(old.value), _number(new.value)
        if a is not None and b is not None and not negated and old.op in ("<", "<=", ">", ">="):
            up = b > a  # type: ignore[operator]
            widened = up if old.op in ("<", "<=") else not up
            return [f"condition {code(old)} {'widened' if widened else 'narrowed'} to {code(new)}"]
    if isinstance(old, ast.InLast) and isinstance(new, ast.InLast) and _same(old.target, new.target):
        w = _window_change(f"`{text(new.target)}`", old.window, new.window)
        if w:
            return [w]
    return [f"condition {code(old if not negated else ast.Not(operand=old))} changed to "
            f"{code(new if not negated else ast.Not(operand=new))}"]


# --------------------------------------------------------------------------- meaning of a whole audience


def describe(e: ast.Node) -> str:
    """One condition or expression in plain words (for the catalogue and ``explain``)."""
    if isinstance(e, ast.And | ast.Or):
        word = " and " if isinstance(e, ast.And) else " or "
        parts = [describe(i) if not isinstance(i, ast.And | ast.Or) else f"({describe(i)})" for i in e.items]
        return word.join(parts)
    if isinstance(e, ast.Not):
        return f"not ({describe(e.operand)})" if isinstance(e.operand, ast.And | ast.Or) else \
            f"not {describe(e.operand)}"
    if isinstance(e, ast.Performed):
        s = f"performed {e.event.value}"
        if e.where is not None:
            s += f" (where {text(e.where)})"
        if e.count is not None:
            s += f" {_count_words(e.count)}"
        return s + f" {window_words(e.window)}"
    if isinstance(e, ast.InAudience):
        return f"is a member of audience {e.audience.value}"
    if isinstance(e, ast.HasConsent):
        return f"has consent {e.purpose.value}"
    return text(e)


def audience_meaning(aud: ast.Audience) -> list[str]:
    """The audience's meaning as short sentences: who is in, who is left out, consent, gates,
    destinations."""
    out: list[str] = []
    if aud.include is not None:
        out.append(f"Includes profiles who {describe(aud.include)}.")
    if aud.exclude is not None:
        out.append(f"Leaves out profiles who {describe(aud.exclude)}.")
    purposes = aud.required_purposes
    if purposes:
        out.append("Members must have consent " + ", ".join(purposes) + ".")
    if aud.min_size is not None:
        out.append(f"Delivered only with at least {text(aud.min_size)} members.")
    dests = [a.destination.value for a in aud.activate]
    if dests:
        out.append("Delivered to " + ", ".join(dict.fromkeys(dests)) + ".")
    return out
