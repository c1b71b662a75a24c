"""Hypothesis strategies for spec §8 ("Behaviour over time") scenarios.

Same markets (hostile physical names) and :class:`~tests.datagen.Scenario` as
tests/datagen.py, but rows whose times sit on every edge a §8 condition can test:

- each profile's occurrences cluster around two anchors, at offsets 0, ±1 µs and every
  ``within`` duration the audiences use, and that +1 µs: gaps exactly equal to a
  ``within`` and one microsecond over, and equal timestamps, are common;
- rows are duplicated at the same instant (another event of the table, other property
  values, nulls): ties at the first/last instant, a step and the next at one instant;
- the wait edge ``as_of - D`` (±1 µs) of absent steps, window bounds (±1 µs) of every
  window the audiences use (``in last``, ``more than ... ago``), midnight (±1 µs) for
  distinct days, and occurrences after ``as_of``.

Audiences mix sequences of 2-4 steps (a step's ``where``, ``within``, an absent last
step, every window form), ``first``/``last performed`` with every window form,
``first()``/``last()`` aggregates, distinct-day counts, ``more than N UNIT ago`` on
events, aggregates and traits, and a few §1 conditions, under ``not``/``and``/``or``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from audiencelang import ast
from tests.datagen import (
    AS_OFS,
    US,
    Scenario,
    _bool_tree,
    _condition,
    _event_filter,
    _field_test,
    _informative,
    _time_lit,
    _value,
    markets,
    string_ids,
)

UTC = dt.UTC
DAY = dt.timedelta(days=1)
#: ``within`` durations (the data sits on each of them and one microsecond beyond)
WITHINS: list[tuple[int, str]] = [(30, "minute"), (1, "hour"), (1, "day"), (1, "month")]
#: windows ``in last N UNIT`` / ``more than N UNIT ago``
LASTS: list[tuple[int, str]] = [(7, "day"), (30, "day"), (1, "month"), (1, "year"), (3, "hour")]
AGOS: list[tuple[int, str]] = [(1, "day"), (7, "day"), (1, "month"), (90, "day"), (1, "year")]
SECONDS = ast.UNIT_SECONDS


def _delta(n: int, unit: str) -> dt.timedelta:
    return dt.timedelta(seconds=n * SECONDS[unit])


def anchors(as_of: dt.datetime) -> list[dt.datetime]:
    """Where a profile's occurrences cluster (some clusters run past ``as_of``)."""
    midnight = as_of.replace(hour=0, minute=0, second=0, microsecond=0)
    return [as_of - dt.timedelta(hours=1), as_of - DAY, as_of - 3 * DAY, as_of - 8 * DAY, as_of - 31 * DAY,
            as_of - 95 * DAY, as_of - 366 * DAY, midnight - US, midnight]


def offsets() -> list[dt.timedelta]:
    out = [dt.timedelta(0), US, -US, dt.timedelta(minutes=10)]
    for n, unit in WITHINS:
        d = _delta(n, unit)
        out += [d, d, d + US, d - US]
    return out


def edge_points(as_of: dt.datetime) -> list[dt.datetime]:
    """Window bounds and wait edges, each ±1 µs, ``as_of`` and just after it."""
    pts = [as_of, as_of + US, as_of - US]
    for n, unit in [*LASTS, *AGOS, *WITHINS]:
        b = as_of - _delta(n, unit)
        pts += [b, b - US, b + US]
    return pts


def _window(draw: st.DrawFn, as_of: dt.datetime, shortest: dt.timedelta | None = None) -> Any:
    """Any window form; an ``in last`` window at least ``shortest`` long (the checker refuses
    a ``within`` longer than the window)."""
    kind = draw(st.sampled_from(["last", "last", "ago", "ago", "between", "since"]))
    if kind == "last":
        choices = [w for w in LASTS if shortest is None or _delta(*w) >= shortest] or [(1, "year")]
        n, unit = draw(st.sampled_from(choices))
        return ast.LastWindow(amount=n, unit=unit)  # type: ignore[arg-type]
    if kind == "ago":
        n, unit = draw(st.sampled_from(AGOS))
        return ast.AgoWindow(amount=n, unit=unit)  # type: ignore[arg-type]
    a = ast.TimestampLit(value=draw(st.sampled_from(edge_points(as_of) + anchors(as_of))))
    if kind == "since":
        return ast.SinceWindow(start=a if draw(st.booleans()) else _time_lit(draw, as_of))
    b = ast.TimestampLit(value=draw(st.sampled_from(edge_points(as_of) + anchors(as_of))))
    if a.value > b.value:
        a, b = b, a
    if shortest is not None and b.value - a.value < shortest:
        b = ast.TimestampLit(value=a.value + shortest)
    return ast.BetweenWindow(start=a, end=b)


@st.composite
def seq_scenarios(draw: st.DrawFn, identifiers: str = "hostile", n_audiences: int = 8,
                  max_profiles: int = 8, samples: bool = True) -> Scenario:
    market, columns = draw(markets(identifiers))
    as_of = draw(st.sampled_from(AS_OFS))
    prof = market.profiles
    id_kind = columns[prof.table][prof.id]
    n = draw(st.integers(3, max_profiles))
    ids: list[Any] = list(range(1, n + 1)) if id_kind == "integer" else string_ids(n)
    data: dict[str, list[dict[str, Any]]] = {}
    pts = anchors(as_of)
    trait_points = edge_points(as_of) + pts
    rows = []
    for pid in ids:
        row = {prof.id: pid}
        for f in prof.traits.values():
            if f.type == "timestamp" and draw(st.booleans()):
                row[f.column] = draw(st.sampled_from(trait_points))
            elif f.type == "date" and draw(st.booleans()):
                row[f.column] = draw(st.sampled_from(trait_points)).date()
            else:
                row[f.column] = _value(draw, f.type, as_of)
        rows.append(row)
    data[prof.table] = rows
    home = {pid: draw(st.lists(st.sampled_from(pts), min_size=2, max_size=2)) for pid in ids}
    offs = offsets()
    edges = edge_points(as_of)
    walk: dict[Any, dt.datetime] = {}

    by_table: dict[str, list[Any]] = {}
    for ev in market.events.values():
        by_table.setdefault(ev.table, []).append(ev)
    for table, evs in by_table.items():
        cols = columns[table]
        ev0 = evs[0]
        kind_col = ev0.where.column if ev0.where is not None else None
        kinds = [e.where.equals for e in evs if e.where is not None]
        erows: list[dict[str, Any]] = []
        for _ in range(draw(st.integers(3 * n, 8 * n))):
            user = draw(st.sampled_from([*ids, *ids, *ids, None]))
            if erows and draw(st.integers(0, 3)) == 0:  # a tie: same user, same instant
                prev = erows[-1]
                user, t = prev[ev0.user], prev[ev0.time]
            elif draw(st.integers(0, 5)) == 0:
                t = draw(st.sampled_from([*edges, None]))
            elif user is not None and user in walk and draw(st.integers(0, 2)) > 0:
                # the user's previous occurrence (any table) plus a gap: exactly a `within`,
                # one microsecond over or under, or none (a walk makes chains of steps)
                t = walk[user] + draw(st.sampled_from(offs))
            else:
                base = draw(st.sampled_from(home[user])) if user is not None else draw(st.sampled_from(pts))
                t = base + draw(st.sampled_from(offs))
            if user is not None and t is not None:
                walk[user] = t
            row: dict[str, Any] = {}
            for c, ty in cols.items():
                if c == ev0.user:
                    row[c] = user
                elif c == ev0.time:
                    row[c] = t
                elif c == kind_col:
                    row[c] = draw(st.sampled_from([*kinds, *kinds, *kinds, None]))
                else:
                    row[c] = _value(draw, ty, as_of, null_weight=2)
            erows.append(row)
        data[table] = erows

    consent = market.consent
    assert consent is not None
    data[consent.table] = []
    scn = Scenario(market, columns, data, as_of, samples=samples)
    scn.refs["ref_0"] = draw(seq_audiences(scn, "ref_0"))
    scn.audiences = [_informative(draw, scn, f"a_{i}", audiences=seq_audiences) for i in range(n_audiences)]
    return scn


def _duration(n: int, unit: str) -> ast.Duration:
    return ast.Duration(amount=n, unit=unit)  # type: ignore[arg-type]


def _sequence(draw: st.DrawFn, scn: Scenario) -> ast.Expr:
    events = sorted(scn.market.events)
    k = draw(st.integers(2, 4))
    absent = draw(st.integers(0, 2)) == 0
    steps: list[ast.Step] = []
    longest = dt.timedelta(0)
    for i in range(k):
        event = draw(st.sampled_from(events))
        where = _event_filter(draw, scn, event) if draw(st.integers(0, 2)) == 0 else None
        within = None
        is_absent = absent and i == k - 1
        if i > 0 and (is_absent or draw(st.booleans())):
            n, unit = draw(st.sampled_from(WITHINS))
            within = _duration(n, unit)
            longest = max(longest, _delta(n, unit))
        steps.append(ast.Step(event=ast.Name(value=event), where=where, within=within, absent=is_absent))
    window = _window(draw, scn.as_of, longest or None) if draw(st.integers(0, 3)) > 0 else None
    return ast.Sequence(steps=tuple(steps), window=window)


def _first_last_performed(draw: st.DrawFn, scn: Scenario) -> ast.Expr:
    event = draw(st.sampled_from(sorted(scn.market.events)))
    where = _event_filter(draw, scn, event) if draw(st.booleans()) else None
    window = _window(draw, scn.as_of) if draw(st.integers(0, 4)) > 0 else None
    return ast.FirstLastPerformed(which=draw(st.sampled_from(["first", "last"])), event=ast.Name(value=event),
                                  where=where, window=window)


def _first_last_value(draw: st.DrawFn, scn: Scenario) -> ast.Expr:
    event = draw(st.sampled_from(sorted(scn.market.events)))
    props = scn.market.events[event].properties
    name = draw(st.sampled_from(sorted(p for p, f in props.items() if f.type != "boolean")))
    where = _event_filter(draw, scn, event) if draw(st.integers(0, 2)) == 0 else None
    window = _window(draw, scn.as_of) if draw(st.booleans()) else None
    agg = ast.Aggregate(func=draw(st.sampled_from(["first", "last"])), event=ast.Name(value=event),
                        property=ast.Name(value=name), where=where, window=window)
    kind = props[name].type
    if kind in ("date", "timestamp") and draw(st.integers(0, 3)) == 0:
        n, unit = draw(st.sampled_from(AGOS))
        return ast.MoreThanAgo(target=agg, window=ast.AgoWindow(amount=n, unit=unit))  # type: ignore[arg-type]
    return _field_test(draw, agg, kind, scn.as_of)  # type: ignore[arg-type]


def _distinct_days(draw: st.DrawFn, scn: Scenario) -> ast.Expr:
    event = draw(st.sampled_from(sorted(scn.market.events)))
    where = _event_filter(draw, scn, event) if draw(st.integers(0, 2)) == 0 else None
    window = _window(draw, scn.as_of) if draw(st.booleans()) else None
    count = ast.Count(op=draw(st.sampled_from(["at_least", "at_most", "exactly"])), n=draw(st.integers(0, 3)),
                      distinct_days=True)
    return ast.Performed(event=ast.Name(value=event), where=where, count=count, window=window)


def _ago(draw: st.DrawFn, scn: Scenario) -> ast.Expr:
    n, unit = draw(st.sampled_from(AGOS))
    window = ast.AgoWindow(amount=n, unit=unit)  # type: ignore[arg-type]
    m = scn.market
    timed = sorted(t for t, f in m.profiles.traits.items() if f.type in ("date", "timestamp"))
    kind = draw(st.sampled_from(["trait", "performed", "aggregate"]))
    event = draw(st.sampled_from(sorted(m.events)))
    if kind == "trait" and timed:
        return ast.MoreThanAgo(target=ast.Name(value=draw(st.sampled_from(timed))), window=window)
    if kind == "aggregate":
        props = m.events[event].properties
        numeric = sorted(p for p, f in props.items() if f.type in ("integer", "decimal"))
        agg = ast.Aggregate(func=draw(st.sampled_from(["count", "sum", "max"])), event=ast.Name(value=event),
                            property=ast.Name(value=draw(st.sampled_from(numeric))), window=window)
        if agg.func == "count" and draw(st.booleans()):
            agg = agg.model_copy(update={"property": None})
        return ast.Compare(target=agg, op=draw(st.sampled_from([">=", "<", "="])),
                           value=ast.NumberLit(value=draw(st.sampled_from([0, 1, 2]))))  # type: ignore[arg-type]
    count = None
    if draw(st.booleans()):
        count = ast.Count(op=draw(st.sampled_from(["at_least", "at_most", "exactly"])), n=draw(st.integers(0, 2)))
    return ast.Performed(event=ast.Name(value=event), count=count, window=window)


def _seq_condition(draw: st.DrawFn, scn: Scenario) -> ast.Expr:
    kind = draw(st.sampled_from(["sequence", "sequence", "sequence", "first_last", "first_last", "value",
                                 "value", "days", "ago", "plain"]))
    if kind == "sequence":
        return _sequence(draw, scn)
    if kind == "first_last":
        return _first_last_performed(draw, scn)
    if kind == "value":
        return _first_last_value(draw, scn)
    if kind == "days":
        return _distinct_days(draw, scn)
    if kind == "ago":
        return _ago(draw, scn)
    return _condition(draw, scn, allow_refs=False)


@st.composite
def seq_audiences(draw: st.DrawFn, scn: Scenario, name: str) -> ast.Audience:
    def leaf() -> ast.Expr:
        return _seq_condition(draw, scn)

    include = _bool_tree(draw, leaf, 1)
    exclude = _bool_tree(draw, leaf, 1) if draw(st.integers(0, 3)) == 0 else None
    return ast.Audience(name=ast.Name(value=name), include=include, exclude=exclude)


def is_over_time(node: ast.Node) -> bool:
    """A §8 construct (what the differential counts as a §8 audience)."""
    return (isinstance(node, ast.Sequence | ast.FirstLastPerformed | ast.AgoWindow | ast.MoreThanAgo)
            or (isinstance(node, ast.Count) and node.distinct_days)
            or (isinstance(node, ast.Aggregate) and node.func in ("first", "last")))
