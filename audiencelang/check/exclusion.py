"""L012: an exclusion that can never match inside its include (dead code).

Decidable cases only, on traits (top-level names) tested in both clauses: the
include's top-level ``and`` fixes a trait to a set of values (``t = v``,
``t in [...]``) or a numeric range (``<``, ``<=``, ``>``, ``>=``, ``=``,
``between``); an alternative of the exclude's top-level ``or`` (or one of its
``and``-ed conditions) that cannot hold for any value the include allows —
``country = "FR"`` under ``country in ["DE"]``, ``age < 18`` under ``age >= 18``,
``country is null`` under any comparison of ``country`` — never removes anyone.
Everything else (events, aggregates, string matches, ``not``) is left alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from audiencelang import ast

__all__ = ["dead_exclusions"]

_LIT = (ast.StringLit, ast.NumberLit, ast.BoolLit, ast.DateLit, ast.TimestampLit)


def _key(lit: ast.Node) -> object:
    return (getattr(lit, "kind", None), getattr(lit, "value", None))


@dataclass
class _Allowed:
    """What the include allows for one trait."""

    values: set[object] | None = None  # a finite set of literal keys, or None (not fixed)
    lo: tuple[Decimal, bool] | None = None  # (bound, inclusive)
    hi: tuple[Decimal, bool] | None = None
    why: list[ast.Node] = field(default_factory=list)


def _conjuncts(e: ast.Node | None) -> Iterator[ast.Node]:
    if e is None:
        return
    if isinstance(e, ast.And):
        yield from e.items
    else:
        yield e


def _trait(e: ast.Node) -> str | None:
    t = getattr(e, "target", None)
    return t.value if isinstance(t, ast.Name) else None


def _num(lit: ast.Node) -> Decimal | None:
    return lit.value if isinstance(lit, ast.NumberLit) else None


def _tighten(a: _Allowed, lo: tuple[Decimal, bool] | None, hi: tuple[Decimal, bool] | None) -> None:
    if lo is not None and (a.lo is None or lo[0] > a.lo[0] or (lo[0] == a.lo[0] and not lo[1])):
        a.lo = lo
    if hi is not None and (a.hi is None or hi[0] < a.hi[0] or (hi[0] == a.hi[0] and not hi[1])):
        a.hi = hi


def _range(c: ast.Node) -> tuple[tuple[Decimal, bool] | None, tuple[Decimal, bool] | None] | None:
    if isinstance(c, ast.Compare) and c.op != "!=":
        v = _num(c.value)
        if v is None:
            return None
        return {"=": ((v, True), (v, True)), ">": ((v, False), None), ">=": ((v, True), None),
                "<": (None, (v, False)), "<=": (None, (v, True))}[c.op]
    if isinstance(c, ast.Between):
        lo, hi = _num(c.low), _num(c.high)
        if lo is None or hi is None:
            return None
        return (lo, True), (hi, True)
    return None


def _include_facts(include: ast.Node | None) -> dict[str, _Allowed]:
    out: dict[str, _Allowed] = {}
    for c in _conjuncts(include):
        t = _trait(c)
        if t is None or (isinstance(c, ast.IsNull) and c.negated is False):
            continue
        a = out.setdefault(t, _Allowed())
        if isinstance(c, ast.Compare) and c.op == "=" and isinstance(c.value, _LIT):
            vals = {_key(c.value)}
            a.values = vals if a.values is None else a.values & vals
        elif isinstance(c, ast.InList) and not c.negated:
            vals = {_key(v) for v in c.values}
            a.values = vals if a.values is None else a.values & vals
        r = _range(c)
        if r is not None:
            _tighten(a, *r)
        a.why.append(c)
    return out


def _empty(lo: tuple[Decimal, bool] | None, hi: tuple[Decimal, bool] | None) -> bool:
    if lo is None or hi is None:
        return False
    return lo[0] > hi[0] or (lo[0] == hi[0] and not (lo[1] and hi[1]))


def _never(c: ast.Node, allowed: dict[str, _Allowed]) -> _Allowed | None:
    """The include facts that make condition ``c`` impossible, or ``None``."""
    t = _trait(c)
    a = allowed.get(t) if t is not None else None
    if a is None or not a.why:
        return None
    if isinstance(c, ast.IsNull) and not c.negated:
        return a  # every comparison in the include needs a value
    if a.values is not None:
        if isinstance(c, ast.Compare) and isinstance(c.value, _LIT):
            v = _key(c.value)
            if c.op == "=" and v not in a.values:
                return a
            if c.op == "!=" and a.values == {v}:
                return a
        if isinstance(c, ast.InList):
            vals = {_key(v) for v in c.values}
            if not c.negated and not (vals & a.values):
                return a
            if c.negated and a.values <= vals:
                return a
    r = _range(c)
    if r is not None and (a.lo is not None or a.hi is not None):
        lo, hi = a.lo, a.hi
        lo2, hi2 = r
        probe = _Allowed(lo=lo, hi=hi)
        _tighten(probe, lo2, hi2)
        if _empty(probe.lo, probe.hi):
            return a
    return None


def dead_exclusions(aud: ast.Audience) -> list[tuple[ast.Node, list[ast.Node]]]:
    """Each exclusion alternative that can never match, with the include conditions that rule it out."""
    if aud.include is None or aud.exclude is None:
        return []
    allowed = _include_facts(aud.include)
    if not allowed:
        return []
    alts = list(aud.exclude.items) if isinstance(aud.exclude, ast.Or) else [aud.exclude]
    out: list[tuple[ast.Node, list[ast.Node]]] = []
    for alt in alts:
        for c in _conjuncts(alt):
            a = _never(c, allowed)
            if a is not None:
                out.append((alt, a.why))
                break
    return out
