"""Lowering: a :class:`CheckedAudience` (+ as_of, destination, mode) -> :class:`Plan`.

Everything that can be decided in Python is decided here: time bounds (when
``as_of`` is given), the comparison of date columns with instants, the
lower-casing of ``ignoring case`` literals, the de-duplication of aggregates
and their grouping into one scan per event table.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Literal

from audiencelang import ast
from audiencelang.diagnostics import Diagnostic, Span, error
from audiencelang.localtime import calendar_bounds, local_date, local_midnight
from audiencelang.sample import sample_threshold
from audiencelang.sql import plan as P

if TYPE_CHECKING:
    from audiencelang.check.checked import CheckedAudience
    from audiencelang.schema.market import Event, Market

__all__ = ["LoweringError", "format_instant", "lower"]

UNIT_SECONDS = ast.UNIT_SECONDS
_DAY = dt.timedelta(days=1)
_NUMBER_RE = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
_SLUG_RE = re.compile(r"[^a-z0-9]+")
# (table parts, user column, time column, row filter): the row filter is ``None`` in the
# one-pass-per-table strategy, else the filter the scan's rows share (see ``lower``'s ``split``)
_ScanKey = tuple[tuple[str, ...], str, str, "P.Cond | None"]


class LoweringError(Exception):
    """Carries diagnostics out of the lowering (caught by :func:`compile_audience`)."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def format_instant(value: dt.datetime) -> str:
    """A naive UTC datetime as ``YYYY-MM-DD HH:MM:SS.ffffff`` (always four year digits:
    ``strftime("%Y")`` writes the year 1 as ``1`` on glibc, which no parser reads back)."""
    return value.isoformat(sep=" ", timespec="microseconds")


def to_utc_naive(value: dt.datetime) -> dt.datetime:
    """Aware -> the same instant as naive UTC; naive -> taken as UTC already."""
    if value.tzinfo is None:
        return value
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def format_number(value: Decimal | int) -> str:
    text = format(Decimal(value), "f")
    if not _NUMBER_RE.match(text):
        raise ValueError(f"not a finite number: {value!r}")
    return text


def _slug(text: str, limit: int = 40) -> str:
    s = _SLUG_RE.sub("_", text.lower()).strip("_")
    return (s or "x")[:limit].rstrip("_") or "x"


class _Lowerer:
    def __init__(self, checked: CheckedAudience, as_of: dt.datetime | None, split: bool = False,
                 one_pass: frozenset[tuple[str, ...]] = frozenset()) -> None:
        self.checked = checked
        self.split = split
        self.one_pass = one_pass  # tables read in one pass although ``split``
        self.market: Market = checked.market
        #: the market's zone (spec §9): a date meeting a time is 00:00 of its day here
        self.zone: dt.tzinfo = dt.UTC if self.market.timezone == "UTC" else self.market.zone
        self.as_of = as_of
        self.span: Span | None = checked.audience.span
        self.traits: dict[str, P.Trait] = {}
        self.aggs: dict[tuple[object, ...], str] = {}
        self.scan_order: list[_ScanKey] = []
        self.scan_aggs: dict[_ScanKey, list[P.Aggregate]] = {}
        self.scan_filters: dict[_ScanKey, list[P.Cond | None]] = {}
        self.scan_lower: dict[_ScanKey, list[P.Value | None]] = {}
        self.scan_hint: dict[_ScanKey, str] = {}
        self.bounds: set[int] = set()
        self.calendar_bounds: set[str] = set()  # ``clock`` values (no as_of): audiencelang.sql.calendar
        self.purposes: dict[str, P.ConsentPurpose] = {}
        self.subs: dict[str, P.SubAudience] = {}
        self.sequences: list[P.SequenceScan] = []
        self.visiting: set[str] = set()
        self.counter = 0

    # ------------------------------------------------------------------ errors

    def fail(self, message: str, span: Span | None = None, code: str = "E505", *hints: str) -> LoweringError:
        return LoweringError(
            error(code, message, span or self.span, *hints,
                  market=self.market.market, audience=self.checked.name)
        )

    # ------------------------------------------------------------------ values

    def string(self, lit: ast.StringLit | str, span: Span | None = None) -> P.Value:
        text = lit.value if isinstance(lit, ast.StringLit) else lit
        if "\x00" in text:
            raise self.fail("a string contains the NUL character, which no warehouse stores",
                            span or (lit.span if isinstance(lit, ast.StringLit) else None))
        return P.Value("string", text)

    def number(self, value: Decimal | int, span: Span | None = None) -> P.Value:
        try:
            return P.Value("number", format_number(value))
        except (ValueError, InvalidOperation):
            raise self.fail(f"the number {value!r} cannot be written in SQL", span) from None

    def instant(self, value: dt.datetime, span: Span | None = None) -> P.Value:
        if not (1 <= value.year <= 9999):
            raise self.fail("a time is out of the range SQL can represent", span)
        return P.Value("instant", format_instant(value))

    def relative(self, seconds: int, span: Span | None = None) -> P.Value:
        """``as_of - seconds``: a literal when as_of is known, else a params bound."""
        if self.as_of is None:
            self.bounds.add(seconds)
            return P.Value("as_of", str(seconds))
        try:
            return self.instant(self.as_of - dt.timedelta(seconds=seconds), span)
        except OverflowError:
            raise self.fail("a time window reaches before the year 1", span) from None

    def clock(self, unit: str, k: int) -> P.Value:
        """00:00 local of a calendar window's first day, computed in SQL (no as_of)."""
        name = f"cal_{unit}_{int(k)}"
        self.calendar_bounds.add(name)
        return P.Value("clock", name)

    def literal(self, lit: ast.Literal_) -> P.Value:
        if isinstance(lit, ast.StringLit):
            return self.string(lit)
        if isinstance(lit, ast.NumberLit):
            return self.number(lit.value, lit.span)
        if isinstance(lit, ast.BoolLit):
            return P.Value("boolean", "true" if lit.value else "false")
        if isinstance(lit, ast.DateLit):
            return P.Value("date", lit.value.isoformat())
        return self.instant(to_utc_naive(lit.value), lit.span)

    def midnight(self, d: dt.date, span: Span | None = None) -> dt.datetime:
        """00:00 of day ``d`` in the market's zone, as naive UTC (spec §9)."""
        try:
            return local_midnight(d, self.zone).replace(tzinfo=None)
        except OverflowError:
            raise self.fail("a date is out of the range SQL can represent", span) from None

    @staticmethod
    def day_after(d: dt.date) -> dt.date | None:
        """The next day; ``None`` after 9999-12-31 (no stored date or time is that late)."""
        return None if d == dt.date.max else d + _DAY

    def from_day(self, field: P.FieldRef, d: dt.date | None) -> P.Cond:
        """``field >= d`` (00:00 of ``d``); nothing is at or after a day past 9999-12-31."""
        if d is None:
            return P.Const(False)
        return self.time_cmp(field, ">=", P.Value("date", d.isoformat()))

    def until_day(self, field: P.FieldRef, d: dt.date | None) -> P.Cond:
        """``field < d`` (00:00 of ``d``); every stored value is before a day past 9999-12-31."""
        if d is None:
            return P.Test(field, "is_not_null")
        return self.time_cmp(field, "<", P.Value("date", d.isoformat()))

    # ------------------------------------------------------------------ time tests

    def time_cmp(self, field: P.FieldRef, op: P.CmpOp, value: P.Value) -> P.Cond:
        """``field OP value`` for a date/timestamp field and a date/instant/as_of value,
        with a date standing for 00:00 of its day in the market's zone (UTC by default)."""
        if field.type == "timestamp" and value.kind == "date":
            value = self.instant(self.midnight(dt.date.fromisoformat(value.text)))
        # a date meeting a clock bound (no as_of) is compared as its local midnight, in SQL
        # (Builder.time_operand; dialects that cannot: E509 there)
        if field.type == "date" and value.kind == "instant":
            inst = dt.datetime.fromisoformat(value.text)
            floor = local_date(inst, self.zone)
            exact = inst == self.midnight(floor)

            def d(x: dt.date) -> P.Value:
                return P.Value("date", x.isoformat())

            if op == ">=":
                return P.Test(field, ">=", (d(floor),)) if exact else self.from_day(field, self.day_after(floor))
            if op == ">":
                return P.Test(field, ">", (d(floor),))
            if op == "<=":
                return P.Test(field, "<=", (d(floor),))
            if op == "<":
                return P.Test(field, "<", (d(floor),)) if exact else self.until_day(field, self.day_after(floor))
            if op == "=":
                return P.Test(field, "=", (d(floor),)) if exact else P.Const(False)
            return P.Test(field, "!=", (d(floor),)) if exact else P.Test(field, "is_not_null")
        return P.Test(field, op, (value,))

    def cmp(self, field: P.FieldRef, op: P.CmpOp, lit: ast.Literal_) -> P.Cond:
        value = self.literal(lit)
        if field.type in ("date", "timestamp"):
            return self.time_cmp(field, op, value)
        return P.Test(field, op, (value,))

    def before_after(self, field: P.FieldRef, op: Literal["before", "after"], lit: ast.DateLit | ast.TimestampLit) -> P.Cond:
        if isinstance(lit, ast.DateLit):
            if op == "before":
                return self.time_cmp(field, "<", P.Value("date", lit.value.isoformat()))
            return self.from_day(field, self.day_after(lit.value))
        value = self.literal(lit)
        return self.time_cmp(field, "<" if op == "before" else ">", value)

    def between_time(self, field: P.FieldRef, low: ast.Literal_, high: ast.Literal_) -> P.Cond:
        lo = self.time_cmp(field, ">=", self.literal(low))
        if isinstance(high, ast.DateLit):
            hi = self.until_day(field, self.day_after(high.value))
        else:
            hi = self.time_cmp(field, "<=", self.literal(high))
        return P.And((lo, hi))

    def calendar(self, window: ast.CalendarWindow) -> tuple[P.Value, P.Value | None]:
        """A calendar window's lower bound and, for ``yesterday``, its exclusive upper bound
        (the others end at ``as_of``): local midnights computed here (spec §9)."""
        if self.as_of is None:  # computed in SQL from the warehouse clock (audiencelang.sql.calendar)
            if window.period == "today":
                lo, hi = ("day", 0), None
            elif window.period == "yesterday":
                lo, hi = ("day", 1), ("day", 0)
            else:
                lo, hi = (window.unit, window.amount - 1), None
            return self.clock(*lo), (self.clock(*hi) if hi is not None else None)
        try:
            start, end, end_inc = calendar_bounds(window.period, window.amount, window.unit,
                                                  self.as_of.replace(tzinfo=dt.UTC), self.zone)
        except OverflowError:
            raise self.fail("a time window reaches before the year 1", window.span) from None
        upper = None if end_inc else self.instant(end.replace(tzinfo=None), window.span)
        return self.instant(start.replace(tzinfo=None), window.span), upper

    def calendar_test(self, field: P.FieldRef, window: ast.CalendarWindow) -> P.Cond:
        """``field`` inside the calendar window (and never after ``as_of``)."""
        lo, hi = self.calendar(window)
        upper = self.time_cmp(field, "<", hi) if hi is not None else self.time_cmp(field, "<=", self.relative(0))
        return P.And((self.time_cmp(field, ">=", lo), upper))

    def last(self, field: P.FieldRef, window: ast.LastWindow | ast.CalendarWindow) -> P.Cond:
        if isinstance(window, ast.CalendarWindow):
            return self.calendar_test(field, window)
        seconds = window.amount * UNIT_SECONDS[window.unit]
        return P.And((
            self.time_cmp(field, ">=", self.relative(seconds, window.span)),
            self.time_cmp(field, "<=", self.relative(0, window.span)),
        ))

    def ago(self, field: P.FieldRef, window: ast.AgoWindow) -> P.Cond:
        """``more than N UNIT ago``: ``field < as_of - N UNIT``, strictly (spec §8)."""
        return self.time_cmp(field, "<", self.relative(window.amount * UNIT_SECONDS[window.unit], window.span))

    def window_test(self, field: P.FieldRef, window: ast.Window) -> P.Cond:
        """``field`` (a time that is never after ``as_of``) inside ``window``."""
        if isinstance(window, ast.LastWindow):
            return self.time_cmp(field, ">=", self.relative(window.amount * UNIT_SECONDS[window.unit], window.span))
        if isinstance(window, ast.AgoWindow):
            return self.ago(field, window)
        if isinstance(window, ast.CalendarWindow):
            return self.calendar_test(field, window)
        if isinstance(window, ast.SinceWindow):
            return self.time_cmp(field, ">=", self.literal(window.start))
        return self.between_time(field, window.start, window.end)

    # ------------------------------------------------------------------ field tests

    def field_test(self, node: ast.Node, field: P.FieldRef) -> P.Cond:
        if isinstance(node, ast.Compare):
            return self.cmp(field, node.op, node.value)
        if isinstance(node, ast.InList):
            if field.type in ("date", "timestamp"):
                items = tuple(self.cmp(field, "=", v) for v in node.values)
                anyof: P.Cond = P.Or(items)
                if node.negated:
                    return P.And((P.Test(field, "is_not_null"), P.Not(anyof)))
                return anyof
            values = tuple(self.literal(v) for v in node.values)
            return P.Test(field, "not_in" if node.negated else "in", values)
        if isinstance(node, ast.Between):
            if field.type in ("date", "timestamp"):
                return self.between_time(field, node.low, node.high)
            return P.And((P.Test(field, ">=", (self.literal(node.low),)),
                          P.Test(field, "<=", (self.literal(node.high),))))
        if isinstance(node, ast.StringMatch):
            text = node.value.value
            if text == "":
                raise self.fail("the string to match must not be empty", node.value.span)
            if node.ignore_case:
                text = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
            return P.Test(field, node.op, (self.string(text, node.value.span),), node.ignore_case)
        if isinstance(node, ast.IsNull):
            return P.Test(field, "is_not_null" if node.negated else "is_null")
        if isinstance(node, ast.InLast):
            return self.last(field, node.window)
        if isinstance(node, ast.MoreThanAgo):
            return self.ago(field, node.window)
        if isinstance(node, ast.TimeCompare):
            return self.before_after(field, node.op, node.value)
        raise self.fail(f"unexpected condition {type(node).__name__}", node.span, "E506")

    # ------------------------------------------------------------------ profile side

    def trait(self, name: ast.Name) -> P.FieldRef:
        known = self.traits.get(name.value)
        if known is None:
            f = self.market.profiles.traits.get(name.value)
            if f is None:
                raise self.fail(f"market '{self.market.market}' has no trait '{name.value}'", name.span, "E506")
            known = P.Trait(name.value, f.column, "t_" + name.value, f.type)
            self.traits[name.value] = known
        return P.FieldRef(known.alias, known.type)

    def event(self, name: ast.Name) -> Event:
        ev = self.market.events.get(name.value)
        if ev is None:
            raise self.fail(f"market '{self.market.market}' has no event '{name.value}'", name.span, "E506")
        return ev

    def prop(self, ev: Event, event_name: str, name: ast.Name) -> P.FieldRef:
        f = ev.properties.get(name.value)
        if f is None:
            raise self.fail(f"event '{event_name}' has no property '{name.value}' in market "
                            f"'{self.market.market}'", name.span, "E506")
        return P.FieldRef(f.column, f.type)

    def chain(self, expr: ast.And | ast.Or, type_of: Callable[[ast.Name], str | None],
              field_of: Callable[[ast.Name], P.FieldRef], lower_one: Callable[[ast.Expr], P.Cond]) -> P.Cond:
        """The items of an ``or`` (``and``). Equality (inequality) tests and ``in`` (``not in``)
        lists on one field (not a date or timestamp) become one ``in`` (``not in``) test, at
        the place of the first: ``c = "A" or c = "B" or c in ["C"]`` is ``c in ["A", "B",
        "C"]``, and ``c != "A" and c not in ["B"]`` is ``c not in ["A", "B"]``, the same
        members (each is false on NULL). A list costs each engine one lookup per row (a hash
        or a sorted list) where a chain costs one comparison per term, and more to plan
        (docs/performance.md, "Large audiences")."""
        conj = isinstance(expr, ast.And)
        op, negated = ("!=", True) if conj else ("=", False)
        merged: dict[str, list[ast.Compare | ast.InList]] = {}
        slots: list[ast.Expr | str] = []
        for item in (self.without_implied(expr.items) if conj else expr.items):
            target = getattr(item, "target", None)
            listed = (isinstance(item, ast.Compare) and item.op == op) or (
                isinstance(item, ast.InList) and item.negated == negated)
            if not listed or not isinstance(target, ast.Name) or type_of(target) in (None, "date", "timestamp"):
                slots.append(item)
                continue
            assert isinstance(item, ast.Compare | ast.InList)
            if target.value not in merged:
                merged[target.value] = []
                slots.append(target.value)
            merged[target.value].append(item)
        out: list[P.Cond] = []
        for slot in slots:
            if not isinstance(slot, str):
                out.append(lower_one(slot))
            elif len(merged[slot]) == 1:
                out.append(lower_one(merged[slot][0]))
            else:
                name = merged[slot][0].target
                assert isinstance(name, ast.Name)  # only names were merged, above
                field = field_of(name)
                values: dict[P.Value, None] = {}
                for one in merged[slot]:
                    for lit in (one.value,) if isinstance(one, ast.Compare) else one.values:
                        values.setdefault(self.literal(lit), None)
                out.append(P.Test(field, "not_in" if conj else "in", tuple(values)))
        if len(out) == 1:
            return out[0]
        return P.And(tuple(out)) if conj else P.Or(tuple(out))

    def without_implied(self, items: tuple[ast.Expr, ...]) -> list[ast.Expr]:
        """The items of an ``and`` without each ``in audience R`` that another item implies:
        R is ``performed E [where W] [WINDOW]`` alone (no ``exclude``, no consent), and a
        sibling ``performed E where W ... WINDOW`` that needs at least one occurrence (plain,
        ``at least N``/``exactly N`` with N >= 1, also of distinct days), with the same ``W``
        (or R has none) and the same window (or R has none): every occurrence the sibling
        counts is one of R's, so ``R and X`` is ``X`` — in any context, the same members.
        The statement then neither computes R nor reads the rows only R needs (all history,
        say, where X reads 90 days)."""
        implying = [i for i in items if isinstance(i, ast.Performed) and _needs_one(i.count)]
        if not implying:
            return list(items)
        out: list[ast.Expr] = []
        for item in items:
            target = self.checked.audiences.get(item.audience.value) if isinstance(item, ast.InAudience) else None
            if target is not None and any(_implies(x, target) for x in implying):
                continue
            out.append(item)
        return out

    def event_expr(self, expr: ast.Expr, ev: Event, event_name: str) -> P.Cond:
        """A ``where`` filter over an event's properties."""
        if isinstance(expr, ast.And | ast.Or):
            return self.chain(expr, lambda name: _type(ev.properties.get(name.value)),
                               lambda name: self.prop(ev, event_name, name),
                               lambda e: self.event_expr(e, ev, event_name))
        if isinstance(expr, ast.Not):
            return P.Not(self.event_expr(expr.operand, ev, event_name))
        target = getattr(expr, "target", None)
        if not isinstance(target, ast.Name):
            raise self.fail("only property conditions may appear in an event's 'where'", expr.span, "E506")
        return self.field_test(expr, self.prop(ev, event_name, target))

    # ------------------------------------------------------------------ aggregates

    def occurrence(self, event_name: ast.Name, where: ast.Expr | None,
                   window: ast.Window | None) -> tuple[Event, _Occ, P.Cond | None, P.Value | None]:
        """(event, the row filter and the window, the event's own filter, the window's lower bound)."""
        ev = self.event(event_name)
        time = P.FieldRef(ev.time, "timestamp")
        parts: list[P.Cond] = []
        own: P.Cond | None = None
        if ev.where is not None:
            eq = ev.where.equals
            if isinstance(eq, bool):
                value, ftype = P.Value("boolean", "true" if eq else "false"), "boolean"
            elif isinstance(eq, (int, Decimal)):
                value, ftype = self.number(eq), "decimal"
            else:
                value, ftype = self.string(eq), "string"
            own = P.Test(P.FieldRef(ev.where.column, ftype), "=", (value,))  # type: ignore[arg-type]
            parts.append(own)
        if where is not None:
            parts.append(self.event_expr(where, ev, event_name.value))
        n_row = len(parts)
        lower: P.Value | None = None
        if isinstance(window, ast.LastWindow):
            lower = self.relative(window.amount * UNIT_SECONDS[window.unit], window.span)
            parts.append(P.Test(time, ">=", (lower,)))
        elif isinstance(window, ast.SinceWindow):
            lower = self.literal(window.start)
            if lower.kind == "date":
                lower = self.instant(self.midnight(dt.date.fromisoformat(lower.text)))
            parts.append(P.Test(time, ">=", (lower,)))
        elif isinstance(window, ast.AgoWindow):
            parts.append(self.ago(time, window))
        elif isinstance(window, ast.CalendarWindow):  # events after as_of never count anyway
            lower, upper = self.calendar(window)
            parts.append(P.Test(time, ">=", (lower,)))
            if upper is not None:
                parts.append(P.Test(time, "<", (upper,)))
        elif isinstance(window, ast.BetweenWindow):
            cond = self.between_time(time, window.start, window.end)
            assert isinstance(cond, P.And)
            first = cond.items[0]
            lower = first.values[0] if isinstance(first, P.Test) else None
            parts.extend(cond.items)
        return ev, _Occ(tuple(parts[:n_row]), tuple(parts[n_row:])), own, lower

    def aggregate(self, func: Literal["count", "sum", "min", "max", "count_days"], event_name: ast.Name,
                  column: P.FieldRef | None, occ: _Occ, ev: Event, own: P.Cond | None,
                  lower: P.Value | None, label: str, extra: P.Cond | None = None) -> str:
        """The name of the aggregate ``func(column)`` over the occurrences ``occ`` (and,
        ``extra``, only those also passing it: not a row filter the scan may share)."""
        more = (extra,) if extra is not None else ()
        if self.split and ev.table_parts not in self.one_pass:
            # one scan per (table, row filter): the scan's WHERE holds the filter, each
            # aggregate only its window
            table: _ScanKey = (ev.table_parts, ev.user, ev.time, occ.row)
            condition = _all(occ.window_parts + more) or P.Const(True)
            shared = occ.row
        else:
            table = (ev.table_parts, ev.user, ev.time, None)
            condition = _all(occ.row_parts + occ.window_parts + more) or P.Const(True)
            shared = own
        key = (table, func, column, condition)
        found = self.aggs.get(key)
        if found is not None:
            return found
        if table not in self.scan_aggs:
            self.scan_order.append(table)
            self.scan_aggs[table] = []
            self.scan_filters[table] = []
            self.scan_lower[table] = []
            self.scan_hint[table] = event_name.value
        self.counter += 1
        name = f"{label[:40]}_{self.counter}"
        self.aggs[key] = name
        self.scan_aggs[table].append(P.Aggregate(name, func, column, condition))
        self.scan_filters[table].append(shared)
        self.scan_lower[table].append(lower)
        return name

    def performed(self, node: ast.Performed) -> P.Cond:
        ev, occ, own, lower = self.occurrence(node.event, node.where, node.window)
        count = node.count
        if count is not None and count.distinct_days:  # local days: Builder.day (E509 where it cannot)
            col = self.aggregate("count_days", node.event, P.FieldRef(ev.time, "timestamp"), occ, ev, own, lower,
                                 f"days_{node.event.value}")
        else:
            col = self.aggregate("count", node.event, None, occ, ev, own, lower, f"n_{node.event.value}")
        op: P.CmpOp = ">="
        n = 1
        if count is not None:
            op = {"at_least": ">=", "at_most": "<=", "exactly": "="}[count.op]  # type: ignore[assignment]
            n = count.n
        return P.AggTest("count", col, op, self.number(n), "integer")

    def agg_tests(self, node: ast.Node, agg: ast.Aggregate) -> P.Cond:
        ev, occ, own, lower = self.occurrence(agg.event, agg.where, agg.window)
        e = agg.event.value
        prop = self.prop(ev, e, agg.property) if agg.property is not None else None
        pname = agg.property.value if agg.property is not None else ""
        count_col: str | None = None
        if agg.func in ("first", "last"):
            # spec §8: the occurrences at the earliest (latest) selected time must all pass
            # the test: that time, and the earliest (latest) time of one failing it
            if prop is None:
                raise self.fail(f"{agg.func}() needs a property", agg.span, "E506")
            time = P.FieldRef(ev.time, "timestamp")
            edge: Literal["min", "max"] = "min" if agg.func == "first" else "max"
            at = self.aggregate(edge, agg.event, time, occ, ev, own, lower, f"{agg.func}_{e}")
            failing = self.aggregate(edge, agg.event, time, occ, ev, own, lower, f"{agg.func}_{e}_{pname}_no",
                                     P.Not(self.field_test(node, prop)))
            return P.AggTest(agg.func, at, "is_not_null", None, "timestamp", failing)
        if agg.func == "count":
            label = f"n_{e}" + (f"_{pname}" if prop is not None else "")
            column = self.aggregate("count", agg.event, prop, occ, ev, own, lower, label)
            vtype: P.FieldType = "integer"
        else:
            if prop is None:
                raise self.fail(f"{agg.func}() needs a property", agg.span, "E506")
            if agg.func in ("avg", "sum"):
                column = self.aggregate("sum", agg.event, prop, occ, ev, own, lower, f"sum_{e}_{pname}")
            else:
                mm: Literal["min", "max"] = "min" if agg.func == "min" else "max"
                column = self.aggregate(mm, agg.event, prop, occ, ev, own, lower, f"{mm}_{e}_{pname}")
            if agg.func == "avg":  # min/max: the value itself is null without values
                count_col = self.aggregate("count", agg.event, prop, occ, ev, own, lower,
                                           f"n_{e}_{pname}")
            vtype = "decimal" if agg.func == "avg" else prop.type
        func = agg.func

        def test(op: str, value: P.Value | None) -> P.Cond:
            return P.AggTest(func, column, op, value, vtype, count_col)  # type: ignore[arg-type]

        def tcmp(op: P.CmpOp, value: P.Value) -> P.Cond:
            if vtype in ("date", "timestamp"):
                # convert like a field test, then wrap as an aggregate test
                conv = self.time_cmp(P.FieldRef(column, vtype), op, value)
                return _as_agg(conv, func, column, vtype, count_col)
            return test(op, value)

        if isinstance(node, ast.Compare):
            return tcmp(node.op, self.literal(node.value))
        if isinstance(node, ast.Between):
            if vtype in ("date", "timestamp"):
                return _as_agg(self.between_time(P.FieldRef(column, vtype), node.low, node.high),
                               func, column, vtype, count_col)
            return P.And((tcmp(">=", self.literal(node.low)), tcmp("<=", self.literal(node.high))))
        if isinstance(node, ast.TimeCompare):
            return _as_agg(self.before_after(P.FieldRef(column, vtype), node.op, node.value),
                           func, column, vtype, count_col)
        if isinstance(node, ast.InLast):
            return _as_agg(self.last(P.FieldRef(column, vtype), node.window), func, column, vtype, count_col)
        if isinstance(node, ast.MoreThanAgo):
            return _as_agg(self.ago(P.FieldRef(column, vtype), node.window), func, column, vtype, count_col)
        if isinstance(node, ast.InList):
            anyof = P.Or(tuple(tcmp("=", self.literal(v)) for v in node.values))
            if node.negated:
                return P.And((test("is_not_null", None), P.Not(anyof)))
            return anyof
        if isinstance(node, ast.IsNull):
            return test("is_not_null" if node.negated else "is_null", None)
        raise self.fail(f"this test is not supported on {agg.func}()", node.span, "E506")

    def first_last_performed(self, node: ast.FirstLastPerformed) -> P.Cond:
        """Spec §8: the earliest (latest) passing occurrence over all history up to as_of
        (no window in the aggregate), then its time tested against the window."""
        ev, occ, own, lower = self.occurrence(node.event, node.where, None)
        edge: Literal["min", "max"] = "min" if node.which == "first" else "max"
        column = self.aggregate(edge, node.event, P.FieldRef(ev.time, "timestamp"), occ, ev, own, lower,
                                f"{node.which}_{node.event.value}")
        if node.window is None:
            return P.AggTest(edge, column, "is_not_null", None, "timestamp")
        return _as_agg(self.window_test(P.FieldRef(column, "timestamp"), node.window),
                       edge, column, "timestamp", None)

    def sequence(self, node: ast.Sequence) -> P.Cond:
        """Spec §8 sequences: one :class:`P.SequenceScan` per distinct sequence."""
        steps: list[P.SeqStep] = []
        last = node.steps[-1]
        earliest: P.Value | None = None  # the window's lower bound, if it has one
        for i, st in enumerate(node.steps):
            ev, occ, _own, lower = self.occurrence(st.event, st.where, None if st.absent else node.window)
            parts = list(occ.row_parts + occ.window_parts)
            if st.absent:
                if earliest is not None:  # an instant or a params bound (occurrence's lower)
                    # only an occurrence at or after one of the step before (inside the window)
                    # can cancel it: the rows before the window's lower bound never do
                    parts.append(P.Test(P.FieldRef(ev.time, "timestamp"), ">=", (earliest,)))
            else:
                earliest = lower
            if last.absent and i == len(node.steps) - 2:
                # the wait after the last step that happens must have passed: t + D <= as_of
                assert last.within is not None  # the checker requires it
                wait = last.within.amount * UNIT_SECONDS[last.within.unit]
                parts.append(self.time_cmp(P.FieldRef(ev.time, "timestamp"), "<=",
                                           self.relative(wait, last.within.span)))
            within = st.within.amount * UNIT_SECONDS[st.within.unit] if st.within is not None else None
            steps.append(P.SeqStep(ev.table_parts, ev.user, ev.time, _all(tuple(parts)), within, st.absent))
        key = ("sequence", tuple(steps))
        name = self.aggs.get(key)
        if name is None:
            self.counter += 1
            name = f"n_seq_{_slug(node.steps[0].event.value, 30)}_{self.counter}"
            self.aggs[key] = name
            scan = "seq_" + name.removeprefix("n_seq_")
            self.sequences.append(P.SequenceScan(scan, tuple(steps),
                                                 (P.Aggregate(name, "count", None, P.Const(True)),)))
        return P.AggTest("count", name, ">=", self.number(1), "integer")

    # ------------------------------------------------------------------ expressions

    def consent(self, name: ast.Name) -> P.Cond:
        purpose = name.value
        if purpose not in self.purposes:
            c = self.market.consent
            if c is None or purpose not in c.purposes:
                raise self.fail(f"market '{self.market.market}' has no consent purpose '{purpose}'",
                                name.span, "E506")
            p = c.purposes[purpose]
            self.purposes[purpose] = P.ConsentPurpose(
                purpose, p.value, p.mode, p.max_age_days, p.double_opt_in,
                f"c_{purpose}_granted", f"c_{purpose}_refused",
            )
            if p.mode == "opt_in" and p.max_age_days is not None:
                self.relative(p.max_age_days * 86400)
            self.relative(0)
        return P.ConsentHolds(purpose)

    def expr(self, e: ast.Expr) -> P.Cond:
        if isinstance(e, ast.And | ast.Or):
            return self.chain(e, lambda name: _type(self.market.profiles.traits.get(name.value)),
                               self.trait, self.expr)
        if isinstance(e, ast.Not):
            return P.Not(self.expr(e.operand))
        if isinstance(e, ast.Performed):
            return self.performed(e)
        if isinstance(e, ast.FirstLastPerformed):
            return self.first_last_performed(e)
        if isinstance(e, ast.Sequence):
            return self.sequence(e)
        if isinstance(e, ast.HasConsent):
            return self.consent(e.purpose)
        if isinstance(e, ast.InAudience):
            return self.reference(e.audience)
        if isinstance(e, ast.InSample):
            return P.Sample(e.salt.value, sample_threshold(e.percent.value))
        target = getattr(e, "target", None)
        if isinstance(target, ast.Aggregate):
            return self.agg_tests(e, target)
        if isinstance(target, ast.Name):
            return self.field_test(e, self.trait(target))
        raise self.fail(f"unexpected condition {type(e).__name__}", e.span, "E506")

    def membership(self, aud: ast.Audience) -> P.Cond:
        if aud.include is None:
            raise self.fail(f"audience '{aud.name.value}' has no include clause", aud.span, "E506")
        parts: list[P.Cond] = [self.expr(aud.include)]
        if aud.exclude is not None:
            parts.append(P.Not(self.expr(aud.exclude)))
        for rc in aud.require_consent:
            for p in rc.purposes:
                c = self.consent(p)
                if c not in parts:
                    parts.append(c)
        return parts[0] if len(parts) == 1 else P.And(tuple(parts))

    def reference(self, name: ast.Name) -> P.Cond:
        target = name.value
        column = "in_" + target
        if target in self.subs:
            return P.InAudience(target, column)
        if target in self.visiting:
            raise self.fail(f"audience '{target}' refers to itself", name.span, "E506")
        aud = self.checked.audiences.get(target)
        if aud is None:
            raise self.fail(f"unknown audience '{target}'", name.span, "E506")
        self.visiting.add(target)
        formula = self.membership(aud)
        self.visiting.discard(target)
        self.subs[target] = P.SubAudience(target, column, formula)
        return P.InAudience(target, column)

    # ------------------------------------------------------------------ assembly

    def scans(self) -> tuple[P.Scan | P.SequenceScan, ...]:
        out: list[P.Scan | P.SequenceScan] = []
        used: set[str] = set()
        for key in self.scan_order:
            table, user, time, _ = key
            base = "events_" + _slug("_".join(table)) if not self.split else "ev_" + _slug(self.scan_hint[key])
            name, i = base, 2
            while name in used:
                name, i = f"{base}_{i}", i + 1
            used.add(name)
            out.append(P.Scan(name, table, user, time, self.prune(key, time), tuple(self.scan_aggs[key])))
        return (*out, *self.sequences)

    def prune(self, table: _ScanKey, time: str) -> P.Cond | None:
        """What every row of the scan satisfies: the widest lower time bound (when every
        aggregate has one) and the union of the filters (one-pass: the events' own filters;
        split: the shared row filter)."""
        parts: list[P.Cond] = []
        lowers = self.scan_lower[table]
        if lowers and all(v is not None for v in lowers):
            vals = [v for v in lowers if v is not None]
            kinds = {v.kind for v in vals}
            widest: P.Value | None = None
            if kinds == {"instant"}:
                widest = min(vals, key=lambda v: v.text)
            elif kinds == {"as_of"}:
                widest = max(vals, key=lambda v: int(v.text))
            if widest is not None:
                parts.append(P.Test(P.FieldRef(time, "timestamp"), ">=", (widest,)))
        filters = self.scan_filters[table]
        if filters and all(f is not None for f in filters):
            distinct: list[P.Cond] = []
            for f in filters:
                if f is not None and f not in distinct:
                    distinct.append(f)
            parts.append(distinct[0] if len(distinct) == 1 else P.Or(tuple(distinct)))
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else P.And(tuple(parts))

    def consent_scan(self) -> P.ConsentScan | None:
        if not self.purposes:
            return None
        c = self.market.consent
        assert c is not None
        return P.ConsentScan(
            c.table_parts, c.user, c.purpose, c.status, c.time, c.confirmed,
            c.statuses.granted, c.statuses.denied, c.statuses.revoked,
            tuple(self.purposes[k] for k in self.purposes),
        )


@dataclass(frozen=True)
class _Occ:
    """An occurrence's row filter (own ``where`` of the event + the condition's ``where``)
    and its time window, each ``None`` when absent."""

    row_parts: tuple[P.Cond, ...]
    window_parts: tuple[P.Cond, ...]

    @property
    def row(self) -> P.Cond | None:
        return _all(self.row_parts)

    @property
    def window(self) -> P.Cond | None:
        return _all(self.window_parts)


def _needs_one(count: ast.Count | None) -> bool:
    """Whether ``performed ... COUNT`` is false without a passing occurrence."""
    return count is None or (count.op in ("at_least", "exactly") and count.n >= 1)


def _implies(x: ast.Performed, target: ast.Audience) -> bool:
    """``x`` (which needs an occurrence) implies membership of ``target`` (see
    :meth:`_Lowerer.without_implied`); compared in canonical text, so spans and layout do
    not matter."""
    r = target.include
    if (not isinstance(r, ast.Performed) or target.exclude is not None or target.require_consent
            or not (r.count is None or (r.count.op == "at_least" and r.count.n <= 1))
            or r.event.value != x.event.value):
        return False
    from audiencelang.syntax.formatter import format_expr

    def same(a: ast.Node | None, b: ast.Node | None) -> bool:
        return a is None or (b is not None and format_expr(a) == format_expr(b))

    def window(w: ast.Window | None) -> ast.Node | None:
        return None if w is None else ast.Performed(event=x.event, window=w)

    return same(r.where, x.where) and same(window(r.window), window(x.window))


def _type(field: object) -> str | None:
    """The logical type of a market field, ``None`` for an unknown name (lowered as is, to fail)."""
    return getattr(field, "type", None)


def _all(parts: tuple[P.Cond, ...]) -> P.Cond | None:
    return None if not parts else parts[0] if len(parts) == 1 else P.And(parts)


def _as_agg(cond: P.Cond, func: str, column: str, vtype: P.FieldType, count_col: str | None) -> P.Cond:
    """Turn tests on ``FieldRef(column)`` produced by the time helpers into AggTests."""
    if isinstance(cond, P.Test):
        value = cond.values[0] if cond.values else None
        return P.AggTest(func, column, cond.op, value, vtype, count_col)  # type: ignore[arg-type]
    if isinstance(cond, P.And):
        return P.And(tuple(_as_agg(c, func, column, vtype, count_col) for c in cond.items))
    if isinstance(cond, P.Or):
        return P.Or(tuple(_as_agg(c, func, column, vtype, count_col) for c in cond.items))
    if isinstance(cond, P.Not):
        return P.Not(_as_agg(cond.operand, func, column, vtype, count_col))
    return cond


def _used(checked: CheckedAudience, destination: str | None) -> list[ast.Audience]:
    """The audience, the audiences it references and (for ``destination``) its suppression
    audiences with theirs, transitively: what the statement reads."""
    todo = [checked.name, *(checked.suppress.get(destination, ()) if destination is not None else ())]
    seen: dict[str, ast.Audience] = {}
    while todo:
        name = todo.pop()
        aud = checked.audience if name == checked.name else checked.audiences.get(name)
        if name in seen or aud is None:
            continue
        seen[name] = aud
        todo.extend(n.audience.value for n in ast.walk(aud) if isinstance(n, ast.InAudience))
    return list(seen.values())


def _read_whole(checked: CheckedAudience, destination: str | None) -> frozenset[tuple[str, ...]]:
    """The event tables that one condition reads without a row filter (an event with no
    ``where:`` in the market, a condition with no ``where``) and another with one, in the
    audience and every audience it references (and suppresses for ``destination``): read
    in one pass with ``split``."""
    plain: set[tuple[str, ...]] = set()
    filtered: set[tuple[str, ...]] = set()
    events = checked.market.events
    for aud in _used(checked, destination):
        for node in ast.walk(aud):
            if isinstance(node, (ast.Performed, ast.Aggregate, ast.FirstLastPerformed)) and node.event.value in events:
                ev = events[node.event.value]
                (plain if node.where is None and ev.where is None else filtered).add(ev.table_parts)
    return frozenset(plain & filtered)


def lower(
    checked: CheckedAudience,
    *,
    as_of: dt.datetime | None = None,
    destination: str | None = None,
    mode: Literal["members", "size", "counts", "deliverable"] = "members",
    split: bool = False,
) -> P.Plan:
    """Lower a checked audience to a :class:`Plan`. Raises :class:`LoweringError`.

    ``split``: the scan strategy. ``False``: one grouped pass per event table, every
    condition a conditional aggregate of it (least reading: right for row stores and for
    warehouses billed by bytes read). ``True``: one grouped pass per distinct row filter
    (event + ``where``), the filter in the scan's ``WHERE`` and only the windows as
    conditional aggregates: each pass groups only the rows it counts, which a columnar
    engine that prunes cheaply (DuckDB) runs several times faster, see docs/performance.md."""
    as_of_utc = to_utc_naive(as_of) if as_of is not None else None
    suppressing = destination is not None and destination in checked.destinations
    suppress_names = checked.suppress.get(destination, ()) if suppressing and destination else ()

    def conditions(lw: _Lowerer) -> tuple[P.Cond, tuple[P.Cond, ...]]:
        # spec §11: the destination's suppression audiences are compiled into the statement
        # like `in audience` references, and anti-joined in the members
        m = lw.membership(checked.audience)
        return m, tuple(lw.reference(ast.Name(value=n, span=checked.audience.name.span)) for n in suppress_names)

    lw = _Lowerer(checked, as_of_utc, split, _read_whole(checked, destination) if split else frozenset())
    aud = checked.audience
    membership, suppressed = conditions(lw)
    if split:
        # a table that has a scan without a row filter is read whole anyway: its other
        # filters become conditional aggregates of that one pass (no second scan and join).
        # _read_whole finds such tables from the AST; should it ever miss one, lower again
        whole = frozenset(key[0] for key in lw.scan_order if key[3] is None)
        if any(key[0] in whole and key[3] is not None for key in lw.scan_order):
            lw = _Lowerer(checked, as_of_utc, split, whole | lw.one_pass)
            membership, suppressed = conditions(lw)

    identifier: str | None = None
    min_size: int | None = None
    if destination is not None:
        dest = checked.destinations.get(destination)
        if dest is None or destination not in {a.destination.value for a in aud.activate}:
            activated = sorted(a.destination.value for a in aud.activate)
            raise lw.fail(
                f"audience '{checked.name}' does not activate destination '{destination}'",
                aud.name.span, "E502",
                ("it activates: " + ", ".join(activated)) if activated
                else f"add 'activate {destination}' to the audience",
            )
        if dest.identifier is None:
            raise lw.fail(f"destination '{destination}' has no 'identifier' trait in the project config",
                          aud.name.span, "E503",
                          f"set identifier = \"...\" under [destinations.{destination}]")
        if dest.identifier not in checked.market.profiles.traits:
            raise lw.fail(
                f"the identifier trait '{dest.identifier}' of destination '{destination}' is not a trait "
                f"of market '{checked.market.market}'", aud.name.span, "E503")
        identifier = lw.trait(ast.Name(value=dest.identifier, span=aud.name.span)).column
        own = int(aud.min_size.value) if aud.min_size is not None else 0
        min_size = max(own, dest.min_size)

    if as_of_utc is not None and not (1 <= as_of_utc.year <= 9999):
        raise lw.fail("as_of is out of range")
    as_of_text = None
    if as_of_utc is not None:
        as_of_text = as_of_utc.isoformat(timespec="microseconds" if as_of_utc.microsecond else "seconds") + "Z"
    if as_of_utc is None:
        lw.bounds.add(0)
    return P.Plan(
        audience=checked.name,
        market=checked.market.market,
        as_of=as_of_text,
        bounds=tuple(sorted(lw.bounds)),
        profiles=P.Profiles(checked.market.profiles.table_parts, checked.market.profiles.id,
                            tuple(lw.traits[k] for k in lw.traits), checked.market.profiles.unique_id),
        scans=lw.scans(),
        consent=lw.consent_scan(),
        audiences=tuple(lw.subs[k] for k in lw.subs),
        membership=membership,
        output=P.Output(mode, destination, identifier, min_size, suppressed),
        zone=checked.market.timezone,
        calendar=tuple(sorted(lw.calendar_bounds)),
    )
