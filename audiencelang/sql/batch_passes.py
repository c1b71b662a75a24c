"""Window passes: a shared event pass split by the widths of its aggregates' windows.

A merged batch plan (:func:`audiencelang.sql.batch.merge`) holds one grouped pass per event
with every audience's conditional aggregate of it, e.g. 17 page-view counts in windows from
7 to 365 days. Every row of the widest window then pays for every aggregate's filter,
while a 7-day count only needs the last 7 days' rows. :func:`split_by_window` cuts such a
pass into a few passes of the same event, each over the rows of its own widest window::

    ev_page_view        (365 d, 17 aggregates)
    -> ev_page_view_w1  ( 30 d,  7 aggregates: rows of the last 30 days only)
       ev_page_view_w2  ( 90 d,  7 aggregates)
       ev_page_view_w3  (365 d,  3 aggregates)

Nothing changes an answer: each aggregate keeps its whole condition (its own window test
included) and its name; a pass's row filter (``prune``) is its source pass's, with the
lower time bound replaced by the widest lower bound of the aggregates it holds — one of
their own tests, so every row any of them counts passes it (no instant is recomputed:
exact to the microsecond). Aggregates without a lower bound this module can compare stay in
a pass with the source's prune.

Where to cut is a small cost model (rows read ~ window width, per-row cost ~ a fixed part
plus one unit per aggregate; each pass also reads the table once), minimised by dynamic
programming over the sorted widths: deterministic, so the same input gives the same SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace

from audiencelang.sql import plan as P
from audiencelang.sql.physical import conjuncts_of

__all__ = ["split_by_window"]

#: per row of a pass: the fixed cost (grouping, packing the pass's tests) in units of one
#: aggregate's filter and update, and the cost of reading a row of the table at all
#: (measured on DuckDB: a page-view pass over 10M rows costs ~0.5 s plus ~0.11 s per
#: aggregate, reading the table ~0.25 s)
_FIXED = 8.0
_READ = 3.0
#: the width of an aggregate without a lower bound, relative to the widest bounded one
_UNBOUNDED = 2.0


def _bound(a: P.Aggregate, time: str) -> P.Test | None:
    """The latest ``time >= v`` conjunct of ``a``'s condition (``None``: none)."""
    best: P.Test | None = None
    for c in conjuncts_of(a.condition):
        if (isinstance(c, P.Test) and c.op == ">=" and c.field.column == time and len(c.values) == 1
                and not c.ignore_case and (best is None or _seconds_after(c.values[0], best.values[0]))):
            best = c
    return best


def _seconds_after(v: P.Value, than: P.Value) -> bool:
    """Whether ``v`` is strictly later than ``than`` (same kind, comparable)."""
    if v.kind != than.kind:
        return False
    if v.kind == "instant":
        return v.text > than.text
    if v.kind == "as_of":
        return int(v.text) < int(than.text)
    return False


def _width(t: P.Test, as_of: dt.datetime | None) -> float | None:
    """Seconds from the bound ``t`` to ``as_of`` (``None``: not comparable)."""
    v = t.values[0]
    if as_of is None:
        if v.kind != "as_of":
            return None
        try:
            return float(int(v.text))
        except ValueError:
            return None
    if v.kind != "instant":
        return None
    try:
        at = dt.datetime.fromisoformat(v.text).replace(tzinfo=dt.UTC)
    except ValueError:
        return None
    seconds = (as_of - at).total_seconds()
    return seconds if seconds > 0 else None


def _as_of(plan: P.Plan) -> dt.datetime | None:
    if plan.as_of is None:
        return None
    return dt.datetime.fromisoformat(plan.as_of.replace("Z", "+00:00")).astimezone(dt.UTC)


def _cuts(widths: Sequence[float], counts: Sequence[int], table: float) -> list[int]:
    """Where to cut the ascending ``widths`` (with ``counts`` aggregates each) into passes:
    the end index of each pass, minimising sum(table * READ + width * (FIXED + n))."""
    k = len(widths)
    best = [0.0] + [float("inf")] * k
    prev = [0] * (k + 1)
    for j in range(1, k + 1):
        n = 0
        for i in range(j - 1, -1, -1):  # the pass holds items i..j-1; its width is widths[j-1]
            n += counts[i]
            cost = best[i] + table * _READ + widths[j - 1] * (_FIXED + n)
            if cost < best[j]:
                best[j], prev[j] = cost, i
    ends: list[int] = []
    j = k
    while j > 0:
        ends.append(j)
        j = prev[j]
    return sorted(ends)


def _split(s: P.Scan, as_of: dt.datetime | None, taken: set[str]) -> list[P.Scan]:
    bounds = [_bound(a, s.time) for a in s.aggregates]
    widths = [_width(b, as_of) if b is not None else None for b in bounds]
    known = sorted({w for w in widths if w is not None})
    if not known:
        return [s]
    widest = known[-1]
    unbounded = widest * _UNBOUNDED
    keys = sorted({w if w is not None else unbounded for w in widths})
    counts = [sum(1 for w in widths if (w if w is not None else unbounded) == key) for key in keys]
    table = unbounded if any(w is None for w in widths) else widest
    ends = _cuts(keys, counts, table)
    if len(ends) == 1:
        return [s]
    out: list[P.Scan] = []
    start = 0
    for n, end in enumerate(ends, 1):
        members = set(keys[start:end])
        start = end
        aggs = [(a, b, w) for a, b, w in zip(s.aggregates, bounds, widths, strict=True)
                if (w if w is not None else unbounded) in members]
        prune = s.prune
        if all(b is not None and w is not None for _, b, w in aggs):
            # the widest of their own lower bounds: each of them implies it
            lower = max(((b, w) for _, b, w in aggs if b is not None and w is not None),
                        key=lambda bw: bw[1])[0]
            prune = _with_lower(s.prune, lower, s.time)
        name, i = f"{s.name}_w{n}", 2
        while name in taken:
            name, i = f"{s.name}_w{n}_{i}", i + 1
        taken.add(name)
        out.append(replace(s, name=name, prune=prune, aggregates=tuple(a for a, _, _ in aggs)))
    return out


def _with_lower(prune: P.Cond | None, lower: P.Test, time: str) -> P.Cond:
    """``prune`` with its lower time bounds that ``lower`` implies replaced by ``lower``
    (first: where the lowering writes a scan's widest window)."""
    rest = []
    for c in conjuncts_of(prune) if prune is not None else []:
        if (isinstance(c, P.Test) and c.op == ">=" and c.field.column == time and len(c.values) == 1
                and not c.ignore_case and (c == lower or _seconds_after(lower.values[0], c.values[0]))):
            continue
        rest.append(c)
    parts = [lower, *rest]
    return parts[0] if len(parts) == 1 else P.And(tuple(parts))


def split_by_window(plan: P.Plan) -> P.Plan:
    """``plan`` (a merged batch plan) with each grouped event pass split by its aggregates'
    windows where the cost model says it pays; sequence scans and everything else as is."""
    as_of = _as_of(plan)
    taken = {s.name for s in plan.scans}
    scans: list[P.Scan | P.SequenceScan] = []
    for s in plan.scans:
        if isinstance(s, P.Scan) and len(s.aggregates) > 1:
            scans.extend(_split(s, as_of, taken))
        else:
            scans.append(s)
    return replace(plan, scans=tuple(scans))
