"""Hypothesis strategies: a market, rows for it, and valid audiences over every construct.

One :class:`Scenario` is a market schema with hostile physical names (reserved
words, mixed case, spaces, quotes), typed rows full of edge values (nulls,
empty strings, quotes, backslashes, ``%``/``_``, non-ASCII, timestamps on window
edges and one microsecond off, events after ``as_of``, consent ties,
revocations, expiries, missing confirmations), and a list of audiences built
directly as ASTs, type-correct for that market, so the checker would accept
them. The differential tests compile each audience, run it on real engines
over the same rows, and compare with :func:`audiencelang.eval.evaluate`.

``scenarios(identifiers=...)`` picks how hostile physical names are: ``"hostile"``
(every engine that quotes identifiers properly) or ``"tame"`` (reserved words
and mixed case only, for engines whose storage layer cannot name a column
``my col``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from audiencelang import ast
from audiencelang.check.checked import CheckedAudience
from audiencelang.eval import render_audience
from audiencelang.schema.market import Market
from audiencelang.sql.sample import UNSUPPORTED as SAMPLE_UNSUPPORTED

UTC = dt.UTC
US = dt.timedelta(microseconds=1)
DAY = dt.timedelta(days=1)

# --------------------------------------------------------------------------- identifier pools

HOSTILE_NAMES = [
    "order", "select", "user", "Abc", "my col", 'we"ird', "it's", "group", "from", "Mixed Case",
    "ünï", "table", "where", "limit", "end", "desc", "a`b", "semi;colon", "dash-name", "[br]",
    "NULL", "true", "1st",
]
TAME_NAMES = ["order", "select", "user", "Abc", "group", "from", "table", "where", "limit", "desc",
              "MixedCase", "end"]
#: Table names equal (ignoring case) to a CTE name of the compiled statement (docs/sql.md, "The
#: statement's own names"): drawn now and then, so every engine keeps reading such markets.
CTE_NAMES = ["consent", "profiles", "params", "facts", "members", "Profiles", "PACKED", "matchable",
             "deliverable", "gated", "aud_ref_0", "events_order", "events_user", "al_facts"]

# --------------------------------------------------------------------------- value pools

STRINGS = [
    "", "DE", "de", "De", "AT", "x' OR 1=1 --", "x\\' OR 1=1 --", "a\\", "\\", "50%_off", "50x_off",
    "%", "_", "Müller", "MÜLLER", "straße", "中文", "😀", "it's", 'say "hi"', "ÄÖÜ", "äöü",
    "*/", "$$", "tab\there", "line\nbreak", "\u2018curly\u2019", "\u202eevil", " ", "DE ",
]
NEEDLES = [s for s in STRINGS if s] + ["e", "E", "ü", "Ü", "'", "\"", "--", "x'"]
INTEGERS = [-1, 0, 1, 2, 3, 18, 100, 10**12]
DECIMALS = [Decimal(x) for x in ("-1.00", "0.00", "0.01", "1.50", "19.99", "20.00", "100.50", "99999999.99")]
NUMBER_LITERALS = [Decimal(x) for x in ("0", "1", "-1", "2", "3", "18", "19.99", "20", "2.5", "0.005",
                                         "1.333333333", "100.5", "1000000000000")]
AS_OFS = [
    dt.datetime(2024, 6, 15, 12, 0, tzinfo=UTC),
    dt.datetime(2024, 3, 1, 0, 0, tzinfo=UTC),        # midnight, day after a leap day
    dt.datetime(2023, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
]
LAST_WINDOWS = [(7, "day"), (1, "week"), (30, "day"), (1, "hour"), (90, "minute"), (400, "day")]
OFFSETS = [dt.timedelta(0), dt.timedelta(hours=1), dt.timedelta(hours=-5, minutes=-30), dt.timedelta(hours=14)]


def time_points(as_of: dt.datetime, zone: str = "UTC") -> list[dt.datetime]:
    """Instants on and one microsecond around every edge the audiences can test (in a
    market with a time zone also the local midnights of the dates they use, spec §9)."""
    midnight = as_of.replace(hour=0, minute=0, second=0, microsecond=0)
    pts = [as_of, as_of - US, as_of + US, as_of + DAY, midnight, midnight - US, midnight + DAY,
           dt.datetime(2024, 1, 1, tzinfo=UTC), dt.datetime(2024, 1, 1, tzinfo=UTC) - US,
           dt.datetime(2024, 1, 31, 23, 59, 59, 999999, tzinfo=UTC), dt.datetime(2024, 2, 1, tzinfo=UTC)]
    for n, unit in LAST_WINDOWS:
        delta = dt.timedelta(**{unit + "s": n})
        pts += [as_of - delta, as_of - delta - US, as_of - delta + US]
    if zone != "UTC":
        for d in date_points(as_of):
            start = dt.datetime(d.year, d.month, d.day, tzinfo=ZoneInfo(zone)).astimezone(UTC)
            pts += [start - US, start, start + US]
    return sorted(set(pts))


def date_points(as_of: dt.datetime) -> list[dt.date]:
    d = as_of.date()
    return sorted({d + dt.timedelta(days=k) for k in (-400, -31, -30, -8, -7, -1, 0, 1)}
                  | {dt.date(2024, 1, 1), dt.date(2023, 12, 31), dt.date(2024, 1, 31), dt.date(2024, 2, 29)})


# --------------------------------------------------------------------------- the scenario


@dataclass
class Scenario:
    market: Market
    columns: dict[str, dict[str, str]]
    """Physical table → column → logical type (what the engine loaders create)."""
    data: dict[str, list[dict[str, Any]]]
    as_of: dt.datetime
    audiences: list[ast.Audience] = field(default_factory=list)
    refs: dict[str, ast.Audience] = field(default_factory=dict)
    samples: bool = True
    """Whether generated audiences may hold ``in sample`` (spec §10)."""

    def checked(self, aud: ast.Audience) -> CheckedAudience:
        return CheckedAudience(aud.name.value, aud, self.market, None, {**self.refs, aud.name.value: aud}, {})

    def load(self, engine: Any) -> None:
        for table, cols in self.columns.items():
            engine.load(table, cols, self.data.get(table, []))

    def reproducer(self, aud: ast.Audience, sql: str, engine: str, got: object, expected: object,
                   seed: object = None) -> str:
        refs = "".join(render_audience(a) for name, a in self.refs.items() if name != aud.name.value)
        return "\n".join([
            f"engine {engine}: member sets differ (hypothesis seed: {seed})",
            f"as_of: {self.as_of.isoformat()}",
            "--- audience", render_audience(aud) + refs,
            "--- market", json.dumps(self.market.model_dump(mode="json"), indent=1, ensure_ascii=False),
            "--- data", _show_data(self.data),
            "--- SQL", sql,
            f"--- engine returned  {sorted(map(repr, got))}",  # type: ignore[call-overload]
            f"--- evaluator says   {sorted(map(repr, expected))}",  # type: ignore[call-overload]
        ])


def _show_data(data: dict[str, list[dict[str, Any]]]) -> str:
    out = []
    for table, rows in data.items():
        out.append(f"{table}:")
        out.extend(f"  {r!r}" for r in rows)
    return "\n".join(out)


# --------------------------------------------------------------------------- market


def _distinct_names(draw: st.DrawFn, pool: Sequence[str], n: int, taken: set[str]) -> list[str]:
    out: list[str] = []
    for _ in range(n):
        choices = [p for p in pool if p.lower() not in taken]
        name = draw(st.sampled_from(choices)) if choices else f"c{len(taken)}"
        taken.add(name.lower())
        out.append(name)
    return out


TRAIT_TYPES = ["string", "integer", "decimal", "boolean", "date", "timestamp"]


@st.composite
def markets(draw: st.DrawFn, identifiers: str = "hostile", zones: Sequence[str] = ("UTC",),
            tables: Sequence[str] | None = None) -> tuple[Market, dict[str, dict[str, str]]]:
    """``tables``: the 5 table names (profiles, events, events, -, consent); default drawn,
    one market in four also from :data:`CTE_NAMES`."""
    pool = HOSTILE_NAMES if identifiers == "hostile" else TAME_NAMES
    if tables is not None:
        table_names = list(tables)
        qualify = False
    else:
        collide = draw(st.integers(0, 3)) == 0
        table_names = _distinct_names(draw, [*pool, *CTE_NAMES] if collide else pool, 5, set())
        qualify = draw(st.booleans())

    def table(i: int) -> str:
        return f"s_{table_names[0]}.{table_names[i]}" if qualify and i % 2 else table_names[i]

    columns: dict[str, dict[str, str]] = {}
    # profiles: one trait per type (plus one more string), hostile column names
    taken: set[str] = set()
    pcols = _distinct_names(draw, pool, 8, taken)
    id_type = draw(st.sampled_from(["integer", "integer", "string"]))
    traits = {f"t_{t}": {"column": c, "type": t} for t, c in zip(TRAIT_TYPES, pcols[1:7], strict=True)}
    traits["t_string2"] = {"column": pcols[7], "type": "string"}
    ptable = table(0)
    columns[ptable] = {pcols[0]: id_type, **{v["column"]: v["type"] for v in traits.values()}}

    # events: 1-2 tables, 1-3 events; events of a shared table differ by `where`
    n_tables = draw(st.integers(1, 2))
    n_events = draw(st.integers(n_tables, 3))
    per_table = [1] * n_tables
    for _ in range(n_events - n_tables):
        per_table[draw(st.integers(0, n_tables - 1))] += 1
    events: dict[str, Any] = {}
    k = 0
    for ti in range(n_tables):
        etable = table(1 + ti)
        taken = set()
        ucol, tcol, kcol, scol, ncol, icol, dcol, bcol = _distinct_names(draw, pool, 8, taken)
        shared = per_table[ti] > 1 or draw(st.booleans())
        kind_type = draw(st.sampled_from(["string", "string", "integer"]))
        cols = {ucol: id_type, tcol: "timestamp", scol: "string", ncol: "decimal", icol: "integer",
                dcol: "date", bcol: "boolean"}
        if shared:
            cols[kcol] = kind_type
        columns[etable] = cols
        kinds: list[Any] = ["kind'1", "k\\2", "K 3"] if kind_type == "string" else [1, 2, 3]
        for j in range(per_table[ti]):
            props: dict[str, Any] = {"p_str": {"column": scol, "type": "string"},
                                     "p_num": {"column": ncol, "type": "decimal"}}
            for extra, (c, t) in {"p_int": (icol, "integer"), "p_date": (dcol, "date"),
                                  "p_bool": (bcol, "boolean"), "p_at": (tcol, "timestamp")}.items():
                if draw(st.booleans()):
                    props[extra] = {"column": c, "type": t}
            ev: dict[str, Any] = {"table": etable, "user": ucol, "time": tcol, "properties": props}
            if shared:
                ev["where"] = {"column": kcol, "equals": kinds[j]}
            events[f"e_{k}"] = ev
            k += 1

    # consent: hostile status and purpose values
    ctable = table(4)
    taken = set()
    cu, cp, cs, ct, cc = _distinct_names(draw, pool, 5, taken)
    columns[ctable] = {cu: id_type, cp: "string", cs: "string", ct: "timestamp", cc: "timestamp"}
    consent = {
        "table": ctable, "user": cu, "purpose": cp, "status": cs, "time": ct, "confirmed": cc,
        "statuses": {"granted": "yes'", "denied": "no\\", "revoked": "rev%_"},
        "purposes": {
            "p_ads": {"value": "ads", "mode": "opt_in", "max_age_days": draw(st.sampled_from([1, 7, 365]))},
            "p_mail": {"value": "mail'x", "mode": "opt_in", "double_opt_in": True},
            "p_track": {"value": "tr\\ack", "mode": "opt_out"},
            "p_plain": {"value": "plain", "mode": "opt_in"},
        },
    }
    # half the markets declare one row per id (their generated ids are unique): the statements
    # then skip de-duplicating members, held to the evaluator like the rest
    doc = {"market": "m", "profiles": {"table": ptable, "id": pcols[0], "unique_id": draw(st.booleans()),
                                       "traits": traits},
           "events": events, "consent": consent}
    zone = draw(st.sampled_from(list(zones)))
    if zone != "UTC":
        doc["timezone"] = zone
    return Market.model_validate(doc, strict=False), columns


# --------------------------------------------------------------------------- data


def _value(draw: st.DrawFn, kind: str, as_of: dt.datetime, null_weight: int = 1, zone: str = "UTC") -> Any:
    if draw(st.integers(0, 5)) > 5 - null_weight:
        return None
    if kind == "string":
        return draw(st.sampled_from(STRINGS))
    if kind == "integer":
        return draw(st.sampled_from(INTEGERS))
    if kind == "decimal":
        return draw(st.sampled_from(DECIMALS))
    if kind == "boolean":
        return draw(st.booleans())
    if kind == "date":
        return draw(st.sampled_from(date_points(as_of)))
    return draw(st.sampled_from(time_points(as_of, zone)))


def string_ids(n: int) -> list[str]:
    """``n`` distinct string profile ids, some differing from another only in letter case or a
    trailing space (``u'1``, ``U'1``, ``u'1 ``): ids are compared byte for byte (spec §2), so a
    warehouse collation that folds case or pads spaces must not merge two profiles."""
    out = []
    for i in range(n):
        base = f"u'{i // 3 + 1}"
        out.append((base, base.upper(), base + " ")[i % 3])
    return out


@st.composite
def scenarios(draw: st.DrawFn, identifiers: str = "hostile", n_audiences: int = 8,
              max_profiles: int = 12, samples: bool = True, zones: Sequence[str] = ("UTC",),
              tables: Sequence[str] | None = None) -> Scenario:
    """``samples``: whether audiences may hold ``in sample`` (spec §10; not for engines whose
    dialect refuses it with E520, such as SQLite). ``tables``: see :func:`markets`."""
    market, columns = draw(markets(identifiers, zones, tables))
    zone = market.timezone
    as_of = draw(st.sampled_from(AS_OFS))
    prof = market.profiles
    id_kind = columns[prof.table][prof.id]
    n = draw(st.integers(3, max_profiles))
    ids: list[Any] = list(range(1, n + 1)) if id_kind == "integer" else string_ids(n)
    data: dict[str, list[dict[str, Any]]] = {}

    rows = []
    for pid in ids:
        row = {prof.id: pid}
        for f in prof.traits.values():
            row[f.column] = _value(draw, f.type, as_of, zone=zone)
        rows.append(row)
    if draw(st.booleans()):
        rows.append({prof.id: None, **{f.column: _value(draw, f.type, as_of, zone=zone)
                                       for f in prof.traits.values()}})
    data[prof.table] = rows

    # events: rows per table, user drawn from ids (sometimes null / unknown)
    by_table: dict[str, list[Any]] = {}
    for ev in market.events.values():
        by_table.setdefault(ev.table, []).append(ev)
    for table, evs in by_table.items():
        cols = columns[table]
        ev0 = evs[0]
        kind_col = ev0.where.column if ev0.where is not None else None
        kinds = [e.where.equals for e in evs if e.where is not None]
        erows = []
        for _ in range(draw(st.integers(0, 4 * n))):
            row: dict[str, Any] = {}
            for c, t in cols.items():
                if c == ev0.user:
                    row[c] = draw(st.sampled_from([*ids, *ids, None]))
                elif c == ev0.time:
                    row[c] = draw(st.one_of(st.sampled_from(time_points(as_of, zone)), st.just(None)))
                elif c == kind_col:
                    row[c] = draw(st.sampled_from([*kinds, *kinds, None, "other"
                                                   if isinstance(kinds[0], str) else 99]))
                else:
                    row[c] = _value(draw, t, as_of, zone=zone)
            erows.append(row)
        data[table] = erows

    consent = market.consent
    assert consent is not None
    statuses = [consent.statuses.granted, consent.statuses.denied, consent.statuses.revoked]
    purposes = [p.value for p in consent.purposes.values()]
    crows = []
    pts = time_points(as_of, zone) + [as_of - dt.timedelta(days=d) for d in (1, 7, 365)]
    pts += [p - US for p in pts[-3:]]
    for _ in range(draw(st.integers(0, 4 * n))):
        t = draw(st.one_of(st.sampled_from(pts), st.just(None)))
        crows.append({
            consent.user: draw(st.sampled_from([*ids, None])),
            consent.purpose: draw(st.sampled_from([*purposes, "other"])),
            consent.status: draw(st.sampled_from([*statuses, *statuses, "maybe", None])),
            consent.time: t,
            consent.confirmed: draw(st.one_of(st.just(None), st.just(t), st.sampled_from(pts))),
        })
        if t is not None and draw(st.integers(0, 3)) == 0:  # a tie at the same instant
            crows.append({**crows[-1], consent.status: draw(st.sampled_from(statuses))})
    data[consent.table] = crows

    scn = Scenario(market, columns, data, as_of, samples=samples)
    scn.refs["ref_0"] = draw(audiences(scn, "ref_0", allow_refs=False))
    scn.audiences = [_informative(draw, scn, f"a_{i}") for i in range(n_audiences)]
    return scn


def _informative(draw: st.DrawFn, scn: Scenario, name: str, tries: int = 4, audiences: Any = None) -> ast.Audience:
    """An audience that selects some but not all profiles when one of ``tries`` draws does
    (an empty or full member set compares little: most wrong SQL returns the same).
    ``audiences``: the strategy of audiences (default: :func:`audiences`)."""
    from audiencelang.eval import evaluate

    make = audiences if audiences is not None else _audiences
    profiles = {r.get(scn.market.profiles.id) for r in scn.data[scn.market.profiles.table]} - {None}
    for attempt in range(tries):
        aud = draw(make(scn, name))
        got = evaluate(scn.checked(aud), scn.data, as_of=scn.as_of)
        if attempt == tries - 1 or 0 < len(got) < len(profiles):
            return aud
    raise AssertionError("unreachable")


# --------------------------------------------------------------------------- audiences


def _time_lit(draw: st.DrawFn, as_of: dt.datetime) -> ast.DateLit | ast.TimestampLit:
    if draw(st.booleans()):
        return ast.DateLit(value=draw(st.sampled_from(date_points(as_of))))
    t = draw(st.sampled_from(time_points(as_of)))
    off = draw(st.sampled_from(OFFSETS))
    return ast.TimestampLit(value=t.astimezone(dt.timezone(off)))


def _lit(draw: st.DrawFn, kind: str, as_of: dt.datetime) -> Any:
    if kind == "string":
        return ast.StringLit(value=draw(st.sampled_from(STRINGS)))
    if kind in ("integer", "decimal"):
        return ast.NumberLit(value=draw(st.sampled_from(NUMBER_LITERALS)))
    if kind == "boolean":
        return ast.BoolLit(value=draw(st.booleans()))
    return _time_lit(draw, as_of)


def _last(draw: st.DrawFn) -> ast.LastWindow:
    n, unit = draw(st.sampled_from(LAST_WINDOWS))
    return ast.LastWindow(amount=n, unit=unit)  # type: ignore[arg-type]


def _field_test(draw: st.DrawFn, target: ast.Name, kind: str, as_of: dt.datetime) -> ast.Expr:
    forms = {"string": ["cmp", "in", "match", "null"], "integer": ["cmp", "in", "between", "null"],
             "decimal": ["cmp", "in", "between", "null"], "boolean": ["cmp", "null"],
             "date": ["cmp", "between", "last", "time", "null"],
             "timestamp": ["cmp", "between", "last", "time", "null"]}[kind]
    form = draw(st.sampled_from(forms))
    if form == "null":
        return ast.IsNull(target=target, negated=draw(st.booleans()))
    if form == "cmp":
        ops = ["=", "!="] if kind in ("string", "boolean") else ["=", "!=", "<", "<=", ">", ">="]
        return ast.Compare(target=target, op=draw(st.sampled_from(ops)), value=_lit(draw, kind, as_of))
    if form == "in":
        vals = tuple(_lit(draw, kind, as_of) for _ in range(draw(st.integers(1, 3))))
        return ast.InList(target=target, values=vals, negated=draw(st.booleans()))
    if form == "between":
        lo, hi = _lit(draw, kind, as_of), _lit(draw, kind, as_of)
        return ast.Between(target=target, low=lo, high=hi)
    if form == "match":
        return ast.StringMatch(target=target, op=draw(st.sampled_from(["contains", "starts_with", "ends_with"])),
                               value=ast.StringLit(value=draw(st.sampled_from(NEEDLES))),
                               ignore_case=draw(st.booleans()))
    if form == "last":
        return ast.InLast(target=target, window=_last(draw))
    return ast.TimeCompare(target=target, op=draw(st.sampled_from(["before", "after"])),
                           value=_time_lit(draw, as_of))


def _bool_tree(draw: st.DrawFn, leaf: Any, depth: int) -> ast.Expr:
    # leaf 50 %, not 15 %, and 10 %, or 25 %: enough variety, yet not mostly-empty audiences
    shape = draw(st.integers(0, 19)) if depth > 0 else 0
    if shape < 10:
        return leaf()  # type: ignore[no-any-return]
    if shape < 13:
        return ast.Not(operand=_bool_tree(draw, leaf, depth - 1))
    items = tuple(_bool_tree(draw, leaf, depth - 1) for _ in range(draw(st.integers(2, 3))))
    return ast.And(items=items) if shape < 15 else ast.Or(items=items)


def _window(draw: st.DrawFn, as_of: dt.datetime) -> Any:
    kind = draw(st.sampled_from(["last", "between", "since"]))
    if kind == "last":
        return _last(draw)
    a, b = _time_lit(draw, as_of), _time_lit(draw, as_of)
    if kind == "since":
        return ast.SinceWindow(start=a)
    if _instant(a) > _instant(b):
        a, b = b, a
    return ast.BetweenWindow(start=a, end=b)


def _instant(lit: ast.DateLit | ast.TimestampLit) -> dt.datetime:
    v = lit.value
    if isinstance(v, dt.datetime):
        return v.astimezone(UTC)
    return dt.datetime(v.year, v.month, v.day, tzinfo=UTC)


def _event_filter(draw: st.DrawFn, scn: Scenario, event: str) -> ast.Expr:
    props = scn.market.events[event].properties

    def leaf() -> ast.Expr:
        name = draw(st.sampled_from(sorted(props)))
        return _field_test(draw, ast.Name(value=name), props[name].type, scn.as_of)

    return _bool_tree(draw, leaf, 1)


def _condition(draw: st.DrawFn, scn: Scenario, allow_refs: bool) -> ast.Expr:
    m = scn.market
    kinds = (["trait", "trait", "performed", "aggregate", "consent"] + (["sample"] if scn.samples else [])
             + (["ref"] if allow_refs else []))
    kind = draw(st.sampled_from(kinds))
    if kind == "sample":  # spec §10; the salt from a small set, so that audiences share some
        percent = draw(st.sampled_from(["0.01", "12.5", "33.33", "50", "90", "100"]))
        salt = draw(st.sampled_from(["q4_holdout", "ü:", "x'y"]))
        return ast.InSample(percent=ast.NumberLit(value=Decimal(percent)), salt=ast.StringLit(value=salt))
    if kind == "trait":
        name = draw(st.sampled_from(sorted(m.profiles.traits)))
        return _field_test(draw, ast.Name(value=name), m.profiles.traits[name].type, scn.as_of)
    if kind == "consent":
        assert m.consent is not None
        return ast.HasConsent(purpose=ast.Name(value=draw(st.sampled_from(sorted(m.consent.purposes)))))
    if kind == "ref":
        return ast.InAudience(audience=ast.Name(value="ref_0"))
    event = draw(st.sampled_from(sorted(m.events)))
    where = _event_filter(draw, scn, event) if draw(st.booleans()) else None
    window = _window(draw, scn.as_of) if draw(st.booleans()) else None
    if kind == "performed":
        count = None
        if draw(st.booleans()):
            count = ast.Count(op=draw(st.sampled_from(["at_least", "at_most", "exactly"])), n=draw(st.integers(0, 3)))
        return ast.Performed(event=ast.Name(value=event), where=where, count=count, window=window)
    props = m.events[event].properties
    numeric = sorted(p for p, f in props.items() if f.type in ("integer", "decimal"))
    timed = sorted(p for p, f in props.items() if f.type in ("date", "timestamp"))
    func = draw(st.sampled_from(["count", "count", "sum", "avg", "min", "max"]))
    prop: str | None
    if func == "count":
        prop = draw(st.sampled_from([None, *sorted(props)]))
        kind_ = "integer"
    elif func in ("sum", "avg"):
        prop = draw(st.sampled_from(numeric))
        kind_ = "decimal"
    else:
        prop = draw(st.sampled_from(numeric + timed))
        kind_ = props[prop].type
    agg = ast.Aggregate(func=func, event=ast.Name(value=event),  # type: ignore[arg-type]
                        property=ast.Name(value=prop) if prop else None, where=where, window=window)
    if kind_ in ("date", "timestamp"):
        form = draw(st.sampled_from(["cmp", "between", "time"]))
    else:
        form = draw(st.sampled_from(["cmp", "cmp", "between"]))
    lit_kind = "decimal" if kind_ in ("integer", "decimal") else kind_
    if form == "cmp":
        op = draw(st.sampled_from(["=", "!=", "<", "<=", ">", ">="]))
        return ast.Compare(target=agg, op=op, value=_lit(draw, lit_kind, scn.as_of))
    if form == "between":
        return ast.Between(target=agg, low=_lit(draw, lit_kind, scn.as_of), high=_lit(draw, lit_kind, scn.as_of))
    return ast.TimeCompare(target=agg, op=draw(st.sampled_from(["before", "after"])), value=_time_lit(draw, scn.as_of))


@st.composite
def audiences(draw: st.DrawFn, scn: Scenario, name: str, allow_refs: bool = True) -> ast.Audience:
    def leaf() -> ast.Expr:
        return _condition(draw, scn, allow_refs)

    include = _bool_tree(draw, leaf, 2)
    exclude = _bool_tree(draw, leaf, 1) if draw(st.booleans()) else None
    require: tuple[ast.RequireConsent, ...] = ()
    assert scn.market.consent is not None
    if draw(st.integers(0, 3)) == 3:  # hypothesis favours small draws: make the rare case large
        ps = draw(st.lists(st.sampled_from(sorted(scn.market.consent.purposes)), min_size=1, max_size=2, unique=True))
        require = (ast.RequireConsent(purposes=tuple(ast.Name(value=p) for p in ps)),)
    return ast.Audience(name=ast.Name(value=name), include=include, exclude=exclude, require_consent=require)


_audiences = audiences


# --------------------------------------------------------------------------- running a scenario on an engine


def compile_sql(checked: CheckedAudience, dialect: str, as_of: dt.datetime | None,
                destination: str | None = None) -> str:
    """The SQL of ``checked`` for ``dialect``; a diagnostic here is a failure of a valid audience."""
    from audiencelang.sql import compile_audience

    res = compile_audience(checked, dialect, as_of=as_of, destination=destination)
    errors = [d for d in res.diagnostics if d.is_error]
    assert not errors and res.query is not None, (
        f"valid audience did not compile for {dialect}: {errors}\n{render_audience(checked.audience)}")
    sql: str = res.query.sql
    return sql


def member_ids(rows: list[tuple[Any, ...]]) -> set[Any]:
    return {r[0] for r in rows}


#: How often each plan shape DuckDB gets (docs/sql.md, "scan strategy") was compared, so a
#: differential test can show it exercised them (counted per process).
SHAPE_MARKERS = {"packed": re.compile(r'"(al\d*_)?packed" AS \('),
                 "semi_join": re.compile(r'"(al\d*_)?profiles"\."member_id" IN \('),
                 "filter_aggregate": re.compile(r"FILTER\(WHERE"), "packed_inverted": re.compile("THEN 0 ELSE"),
                 "anti_join": re.compile(r"NOT EXISTS\("),
                 "excluding": re.compile(r'NOT "(al\d*_)?profiles"\."member_id" IN \('),
                 "consent_having": re.compile(r'"(al\d*_)?consent" AS \((?:(?!\), ")[\s\S])*HAVING')}
SHAPES: Counter[str] = Counter()


#: Audiences of another dialect held to the evaluator on an engine of a sibling dialect by
#: ``check_scenario(also=...)``: ``(dialect, "same SQL")`` when its SQL equals the engine
#: dialect's but for the header line (so the one run covers both), ``(dialect, "ran")`` when it
#: differs and was run itself (counted per process).
ALSO: Counter[tuple[str, str]] = Counter()


def _body(sql: str) -> str:
    """``sql`` without its first line (the header comment naming the dialect)."""
    return sql.split("\n", 1)[1]


def check_scenario(scn: Scenario, engine: Any, *, seed: object = None, ascii_case: bool = False,
                   session_sql: Sequence[str] = (), also: Sequence[str] = ()) -> int:
    """Load ``scn`` into ``engine`` and compare every audience's SQL result with the
    evaluator. Raises ``AssertionError`` with a full reproducer on the first mismatch.
    Returns the number of audiences compared. ``also``: sibling dialects whose SQL the
    engine runs too (``databricks`` on Spark); see ``ALSO``."""
    from audiencelang.eval import evaluate

    scn.load(engine)
    for stmt in session_sql:
        engine.query(stmt)
    compared = 0
    for aud in scn.audiences:
        checked = scn.checked(aud)
        if engine.dialect in SAMPLE_UNSUPPORTED and _sample_refused(checked, engine.dialect, scn.as_of):
            continue  # E520: nothing to run
        compared += 1
        expected = evaluate(checked, scn.data, as_of=scn.as_of, ascii_case_folding=ascii_case)
        sql = compile_sql(checked, engine.dialect, scn.as_of)
        SHAPES.update(name for name, marker in SHAPE_MARKERS.items() if marker.search(sql))
        runs = [(engine.name, sql)]
        for dialect in also:
            other = compile_sql(checked, dialect, scn.as_of)
            if _body(other) == _body(sql):
                ALSO[(dialect, "same SQL")] += 1
            else:
                ALSO[(dialect, "ran")] += 1
                runs.append((f"{engine.name} (dialect {dialect})", other))
        for name, text in runs:
            try:
                got = member_ids(engine.query(text))
            except Exception as exc:  # the engine rejected our SQL: also a reproducible failure
                raise AssertionError(scn.reproducer(aud, text, name, {f"ERROR {exc}"}, expected, seed)) from exc
            if got != expected:
                raise AssertionError(scn.reproducer(aud, text, name, got, expected, seed))
    return compared


def _uses_sample(checked: CheckedAudience) -> bool:
    return any(isinstance(n, ast.InSample) for a in checked.audiences.values()
               for e in (a.include, a.exclude) if e is not None for n in ast.walk(e))


def _sample_refused(checked: CheckedAudience, dialect: str, as_of: dt.datetime) -> bool:
    """Whether ``dialect`` refuses ``checked`` with E520 (spec §10 samples need MD5); only an
    audience that uses a sample (itself or through a reference) may be refused."""
    from audiencelang.sql import compile_audience

    res = compile_audience(checked, dialect, as_of=as_of)
    if res.query is not None:
        return False
    assert [d.code for d in res.diagnostics] == ["E520"] and _uses_sample(checked), res.diagnostics
    return True


# --------------------------------------------------------------------------- long `or` chains


def _any_of(draw: st.DrawFn, fields: dict[str, Any], as_of: dt.datetime) -> ast.Or | ast.And:
    """An ``or`` of 2..150 items, most of them ``=`` / ``in`` on one field (which the
    lowering turns into one ``in`` list), some other tests on any field in between; or
    an ``and`` of ``!=`` / ``not in`` (one ``not in`` list)."""
    conj = draw(st.booleans())
    listable = sorted(n for n, f in fields.items() if f.type in ("string", "integer", "decimal", "boolean"))
    name = draw(st.sampled_from(listable))
    kind = fields[name].type
    target = ast.Name(value=name)
    items: list[ast.Expr] = []
    for _ in range(draw(st.sampled_from([2, 3, 5, 70, 150]))):
        form = draw(st.integers(0, 9))
        if form < 6:
            items.append(ast.Compare(target=target, op="!=" if conj else "=", value=_lit(draw, kind, as_of)))
        elif form < 8:
            vals = tuple(_lit(draw, kind, as_of) for _ in range(draw(st.integers(1, 3))))
            items.append(ast.InList(target=target, values=vals, negated=conj != (form == 7 and draw(st.booleans()))))
        else:
            other = draw(st.sampled_from(sorted(fields)))
            items.append(_field_test(draw, ast.Name(value=other), fields[other].type, as_of))
    return ast.And(items=tuple(items)) if conj else ast.Or(items=tuple(items))


@st.composite
def any_of_scenarios(draw: st.DrawFn, n_audiences: int = 6) -> Scenario:
    """Scenarios whose audiences are long ``or`` chains over one trait, or over one
    property in a ``performed ... where`` (possibly negated)."""
    scn = draw(scenarios(n_audiences=0))
    m = scn.market
    auds = []
    for i in range(n_audiences):
        if draw(st.booleans()):
            cond: ast.Expr = _any_of(draw, dict(m.profiles.traits), scn.as_of)
        else:
            event = draw(st.sampled_from(sorted(m.events)))
            props = dict(m.events[event].properties)
            if not any(f.type in ("string", "integer", "decimal", "boolean") for f in props.values()):
                cond = _any_of(draw, dict(m.profiles.traits), scn.as_of)
            else:
                cond = ast.Performed(event=ast.Name(value=event), where=_any_of(draw, props, scn.as_of))
        if draw(st.integers(0, 3)) == 0:
            cond = ast.Not(operand=cond)
        auds.append(ast.Audience(name=ast.Name(value=f"a_{i}"), include=cond))
    scn.audiences = auds
    return scn
