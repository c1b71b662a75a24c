"""The reference evaluator: docs/semantics.md, one profile and one condition at a time.

No SQL, no optimisation beyond grouping rows by user id. Every rule below is a
sentence of docs/semantics.md; the section names are given in comments.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from audiencelang import ast
from audiencelang.eval.over_time import calendar_days, match_sequence
from audiencelang.eval.text import render_expr
from audiencelang.eval.values import (
    DatasetError,
    Value,
    coerce,
    day_end,
    fold_case,
    literal_value,
    minus,
    to_instant,
    unit_delta,
)
from audiencelang.localtime import calendar_bounds
from audiencelang.sample import sample_bucket, sample_threshold
from audiencelang.schema.market import Event, Field, Market
from audiencelang.syntax.formatter import _window as format_window
from audiencelang.syntax.formatter import format_step, quote

if TYPE_CHECKING:
    from audiencelang.check.checked import CheckedAudience

__all__ = [
    "Dataset",
    "EvaluationError",
    "Explanation",
    "ExplanationNode",
    "MemberId",
    "evaluate",
    "explain",
    "members_for_destination",
]

Row = Mapping[str, object]
Dataset = Mapping[str, Sequence[Row]]
"""In-memory tables keyed by the physical table name as written in the market
(``"crm.kunden"``); each row maps column names to Python values. A table that is
missing is empty; a column missing from a row is null."""

MemberId = Hashable
"""A profile id as it appears in the dataset (usually ``int`` or ``str``)."""


class EvaluationError(ValueError):
    """The audience cannot be evaluated as given: an unknown name or a type the checker
    would have rejected (the evaluator expects a :class:`CheckedAudience`)."""


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class ExplanationNode:
    """One node of an explanation: the condition as written, whether it held, why.

    ``detail`` says what was looked at (``"country is null"``, ``"3 occurrences"``).
    ``children`` are the operands of ``and``/``or``/``not`` and, for ``in audience X``,
    the explanation of X."""

    text: str
    holds: bool
    detail: str | None = None
    children: tuple[ExplanationNode, ...] = ()

    def lines(self, indent: int = 0) -> list[str]:
        mark = "✓" if self.holds else "✗"
        head = f"{'  ' * indent}{mark} {self.text}"
        if self.detail:
            head += f"    [{self.detail}]"
        out = [head]
        for c in self.children:
            out.extend(c.lines(indent + 1))
        return out


@dataclass(frozen=True)
class Explanation:
    """Why one profile is in or out of one audience at ``as_of``."""

    audience: str
    profile_id: MemberId
    found: bool
    """False when no profile row has that id (then nothing holds)."""
    member: bool
    include: ExplanationNode
    exclude: ExplanationNode | None
    consents: tuple[ExplanationNode, ...]

    def parts(self) -> tuple[ExplanationNode, ...]:
        """include, ``not`` exclude and each consent as nodes that must all hold."""
        out = [ExplanationNode("include", self.include.holds, None, (self.include,))]
        if self.exclude is not None:
            out.append(ExplanationNode("not exclude", not self.exclude.holds, None, (self.exclude,)))
        out.extend(self.consents)
        return tuple(out)

    def render(self) -> str:
        """A plain-text tree (``✓``/``✗`` per condition) for terminals and logs."""
        verdict = "member" if self.member else "not a member"
        out = [f"profile {self.profile_id!r} is {verdict} of {self.audience}"]
        if not self.found:
            out.append("  (no profile row has this id)")
            return "\n".join(out)
        out.append("include:")
        out.extend(self.include.lines(1))
        if self.exclude is not None:
            out.append("exclude (must not hold):")
            out.extend(self.exclude.lines(1))
        if self.consents:
            out.append("require consent:")
            for c in self.consents:
                out.extend(c.lines(1))
        return "\n".join(out)


# --------------------------------------------------------------------------- evaluator


_Bounds = tuple[dt.datetime | None, bool, dt.datetime | None, bool]
"""(lower, lower inclusive, upper, upper inclusive); ``None`` means unbounded."""


def _in_bounds(t: dt.datetime, b: _Bounds) -> bool:
    lo, lo_inc, hi, hi_inc = b
    if lo is not None and (t < lo if lo_inc else t <= lo):
        return False
    return not (hi is not None and (t > hi if hi_inc else t >= hi))


def _compare(v: Value, op: str, w: Value) -> bool:
    if op == "=":
        return v == w
    if op == "!=":
        return v != w
    if isinstance(v, str | bool) or isinstance(w, str | bool):
        raise EvaluationError(f"'{op}' does not apply to strings or booleans")
    if isinstance(v, Fraction) != isinstance(w, Fraction):
        raise EvaluationError(f"cannot compare a number with a time ({v!r} {op} {w!r})")
    if op == "<":
        return v < w  # type: ignore[operator]
    if op == "<=":
        return v <= w  # type: ignore[operator]
    if op == ">":
        return v > w  # type: ignore[operator]
    if op == ">=":
        return v >= w  # type: ignore[operator]
    raise EvaluationError(f"unknown operator {op!r}")  # pragma: no cover


def _same_kind(v: Value, w: Value) -> bool:
    kinds = (str, bool, Fraction, dt.datetime)
    return any(isinstance(v, k) and isinstance(w, k) for k in kinds)


#: No instant lies before this one: the upper bound of `more than N UNIT ago` reaching before year 1.
_NEVER = dt.datetime.min.replace(tzinfo=dt.UTC)


def _window_bounds(w: ast.Window, as_of: dt.datetime, zone: dt.tzinfo) -> _Bounds:
    """Windows of "Events" / trait `in last` (all also capped at ``as_of`` by the caller)."""
    if isinstance(w, ast.LastWindow):
        return (minus(as_of, unit_delta(w)), True, as_of, True)
    if isinstance(w, ast.AgoWindow):  # t < as_of - N*UNIT, strictly (spec §8)
        return (None, False, minus(as_of, unit_delta(w)) or _NEVER, False)
    if isinstance(w, ast.CalendarWindow):  # the market's local calendar (spec §9)
        try:
            start, end, end_inc = calendar_bounds(w.period, w.amount, w.unit, as_of, zone)
        except OverflowError:  # reaches before year 1: no lower bound
            return (None, False, as_of, True)
        return (start, True, end, end_inc)
    if isinstance(w, ast.BetweenWindow):
        lo = to_instant(w.start.value, zone)
        if isinstance(w.end, ast.DateLit):
            return (lo, True, day_end(w.end.value, zone), False)
        return (lo, True, to_instant(w.end.value), True)
    return (to_instant(w.start.value, zone), True, as_of, True)


class _Evaluator:
    def __init__(self, checked: CheckedAudience, data: Dataset, as_of: dt.datetime, ascii_case: bool) -> None:
        self.market: Market = checked.market
        #: the market's zone (spec §9): dates are its local midnights, `distinct days` its local days
        self.zone: dt.tzinfo = dt.UTC if self.market.timezone == "UTC" else self.market.zone
        self.audiences: dict[str, ast.Audience] = dict(checked.audiences)
        self.audiences.setdefault(checked.name, checked.audience)
        self.data = data
        self.as_of = to_instant(as_of)
        self.ascii_case = ascii_case
        self._events_by_user: dict[str, dict[MemberId, list[Row]]] = {}
        self._consent_by_user: dict[MemberId, list[Row]] | None = None
        # per profile *row* (the SQL's unit too): with a repeated id (docs/semantics.md) each
        # row is evaluated on its own, and the id is a member when any of its rows is
        self._membership: dict[tuple[str, int], bool] = {}

    # ------------------------------------------------------------------ profiles

    def profiles(self) -> list[Row]:
        return list(self.data.get(self.market.profiles.table, ()))

    def profile_id(self, row: Row) -> MemberId:
        return row.get(self.market.profiles.id)

    def field_value(self, table: str, row: Row, f: Field) -> Value | None:
        return coerce(row.get(f.column), f.type, f"{table}.{f.column}", self.zone)

    # ------------------------------------------------------------------ membership

    def is_member(self, name: str, profile: Row) -> bool:
        pid = self.profile_id(profile)
        if pid is None:  # "A profile whose id is null is never a member of anything."
            return False
        key = (name, id(profile))
        if key not in self._membership:
            aud = self._audience(name)
            result = self._truth(aud.include, profile) if aud.include is not None else False
            if result and aud.exclude is not None:
                result = not self._truth(aud.exclude, profile)
            for purpose in aud.required_purposes:
                result = result and self.consent(purpose, pid)
            self._membership[key] = result
        return self._membership[key]

    def _audience(self, name: str) -> ast.Audience:
        try:
            return self.audiences[name]
        except KeyError:
            raise EvaluationError(f"unknown audience '{name}'") from None

    # ------------------------------------------------------------------ expressions

    def _truth(self, e: ast.Expr, profile: Row) -> bool:
        return self.node(e, profile, explain=False).holds

    def node(self, e: ast.Expr, profile: Row, *, explain: bool) -> ExplanationNode:
        """Evaluate ``e`` for ``profile``. With ``explain`` the node carries its text,
        the observed value and its children; without, only ``holds`` matters."""
        text = render_expr(e) if explain else ""
        if isinstance(e, ast.And | ast.Or):
            kids: list[ExplanationNode] = []
            for item in e.items:
                kid = self.node(item, profile, explain=explain)
                kids.append(kid)
                if not explain and kid.holds != isinstance(e, ast.And):
                    break  # the answer is decided; explanations show every operand
            holds = all(k.holds for k in kids) if isinstance(e, ast.And) else any(k.holds for k in kids)
            return ExplanationNode(text, holds, None, tuple(kids))
        if isinstance(e, ast.Not):
            kid = self.node(e.operand, profile, explain=explain)
            return ExplanationNode(text, not kid.holds, None, (kid,))
        if isinstance(e, ast.Performed):
            timed = self._timed(e.event.value, e.where, e.window, self.profile_id(profile))
            count = e.count or ast.Count(op="at_least", n=1)  # no count clause = at least 1 time
            n = len(timed)
            detail = f"{n} occurrence{'' if n == 1 else 's'}"
            if count.distinct_days:  # §8: calendar days holding at least one occurrence
                n = len(calendar_days((t for t, _ in timed), self.zone))
                detail = f"on {n} distinct day{'' if n == 1 else 's'} ({detail})"
            holds = {"at_least": n >= count.n, "at_most": n <= count.n, "exactly": n == count.n}[count.op]
            note = self.window_note(e.window)
            if note:
                detail = f"{detail}; {note}"
            return ExplanationNode(text, holds, detail if explain else None)
        if isinstance(e, ast.Sequence):
            return self.sequence(e, profile, text, explain)
        if isinstance(e, ast.FirstLastPerformed):
            return self.first_last(e, profile, text, explain)
        if isinstance(e, ast.InAudience):
            name = e.audience.value
            holds = self.is_member(name, profile)
            kids_ = self.explain_audience(name, profile).parts() if explain else ()
            return ExplanationNode(text, holds, None, kids_)
        if isinstance(e, ast.HasConsent):
            pid = self.profile_id(profile)
            holds = pid is not None and self.consent(e.purpose.value, pid)
            consent_detail = self.consent_detail(e.purpose.value, pid) if explain and pid is not None else None
            return ExplanationNode(text, holds, consent_detail)
        if isinstance(e, ast.InSample):
            return self.sample(e, profile, text, explain)
        # A field test: a trait of the profile, or an aggregate over its events.
        target = e.target
        if isinstance(target, ast.Aggregate) and target.func in ("first", "last"):
            values, described = self._edge_values(target, self.profile_id(profile))
            kind = self._aggregate_kind(target)
            # §8: at least one occurrence at that time, and the test holds for every one
            holds = bool(values) and all(self.test(e, v, kind) for v in values)
            return ExplanationNode(text, holds, described if explain else None)
        if isinstance(target, ast.Aggregate):
            value, described = self._aggregate(target, self.profile_id(profile))
            kind = self._aggregate_kind(target)
        else:
            f = self._trait(target.value)
            value = self.field_value(self.market.profiles.table, profile, f)
            kind = f.type
            described = f"{target.value} = {_show(value)}" if value is not None else f"{target.value} is null"
        if isinstance(e, ast.InLast):
            note = self.window_note(e.window)
            if note:
                described = f"{described}; {note}"
        holds = self.test(e, value, kind)
        return ExplanationNode(text, holds, described if explain else None)

    def sample(self, e: ast.InSample, profile: Row, text: str, explain: bool) -> ExplanationNode:
        """Spec §10: the id's bucket under the salt is below ``P * 100``; a null id is in no sample."""
        pid = self.profile_id(profile)
        if pid is None:
            return ExplanationNode(text, False, "the profile id is null" if explain else None)
        # ids are integer or text columns; anything else is hashed as its text
        member_id = pid if isinstance(pid, int | str) and not isinstance(pid, bool) else str(pid)
        b = sample_bucket(e.salt.value, member_id)
        below = sample_threshold(e.percent.value)
        detail = f"bucket {b} (salt {quote(e.salt.value)}), {'below' if b < below else 'not below'} {below}"
        return ExplanationNode(text, b < below, detail if explain else None)

    def _trait(self, name: str) -> Field:
        try:
            return self.market.profiles.traits[name]
        except KeyError:
            raise EvaluationError(f"market '{self.market.market}' has no trait '{name}'") from None

    # ------------------------------------------------------------------ field tests

    def test(self, e: ast.Expr, value: Value | None, kind: str) -> bool:
        """A trait/property/aggregate test on an already computed value ("Values and types"
        and "Time"). Only ``is null`` / ``is not null`` are true on null."""
        if isinstance(e, ast.IsNull):
            return (value is None) != e.negated
        if value is None:
            return False
        if isinstance(e, ast.Compare):
            return self._cmp(value, e.op, literal_value(e.value, self.zone))
        if isinstance(e, ast.InList):
            found = any(self._cmp(value, "=", literal_value(v, self.zone)) for v in e.values)
            return not found if e.negated else found
        if isinstance(e, ast.Between):
            if isinstance(value, dt.datetime):
                lo = to_instant(e.low.value, self.zone) if isinstance(e.low, ast.DateLit | ast.TimestampLit) else None
                if lo is None or not isinstance(e.high, ast.DateLit | ast.TimestampLit):
                    raise EvaluationError("a time is between two dates or timestamps")
                if isinstance(e.high, ast.DateLit):  # D1 <= t < D2 + 1 day (whole days)
                    return _in_bounds(value, (lo, True, day_end(e.high.value, self.zone), False))
                return _in_bounds(value, (lo, True, to_instant(e.high.value), True))
            return (self._cmp(value, ">=", literal_value(e.low, self.zone))
                    and self._cmp(value, "<=", literal_value(e.high, self.zone)))
        if isinstance(e, ast.StringMatch):
            if not isinstance(value, str):
                raise EvaluationError(f"'{e.op}' needs a string, not {kind}")
            needle = fold_case(e.value.value) if e.ignore_case else e.value.value
            hay = fold_case(value, ascii_only=self.ascii_case) if e.ignore_case else value
            if e.op == "contains":
                return needle in hay
            if e.op == "starts_with":
                return hay.startswith(needle)
            return hay.endswith(needle)
        if isinstance(e, ast.InLast | ast.MoreThanAgo):
            t = self._instant(value, kind)
            return _in_bounds(t, _window_bounds(e.window, self.as_of, self.zone))
        if isinstance(e, ast.TimeCompare):
            t = self._instant(value, kind)
            bound = to_instant(e.value.value, self.zone)
            if e.op == "before":  # strictly before the start of the day / the instant
                return t < bound
            if isinstance(e.value, ast.DateLit):  # at or after the start of the next day
                nxt = day_end(e.value.value, self.zone)
                return nxt is not None and t >= nxt
            return t > bound
        raise EvaluationError(f"not a field test: {type(e).__name__}")

    def window_note(self, window: ast.Window | None) -> str | None:
        """The local bounds a calendar window used (spec §9), for explanations:
        ``today = 2024-11-29 00:00 Asia/Tokyo (2024-11-28T15:00:00Z) up to as_of``."""
        if not isinstance(window, ast.CalendarWindow):
            return None
        lo, _, hi, hi_inc = _window_bounds(window, self.as_of, self.zone)
        name = self.market.timezone

        def local(t: dt.datetime) -> str:
            return f"{t.astimezone(self.zone):%Y-%m-%d %H:%M} {name} ({_when(t)})"

        start = local(lo) if lo is not None else "the beginning"
        end = "as_of" if hi_inc or hi is None else f"{local(hi)} excluded"
        return f"{format_window(window)} = from {start} up to {end}"

    def _cmp(self, value: Value, op: str, lit: Value) -> bool:
        if not _same_kind(value, lit):
            raise EvaluationError(f"cannot compare {value!r} with {lit!r}")
        return _compare(value, op, lit)

    @staticmethod
    def _instant(value: Value, kind: str) -> dt.datetime:
        if not isinstance(value, dt.datetime):
            raise EvaluationError(f"a time test needs a date or timestamp, not {kind}")
        return value

    # ------------------------------------------------------------------ events

    def _event(self, name: str) -> Event:
        try:
            return self.market.events[name]
        except KeyError:
            raise EvaluationError(f"market '{self.market.market}' has no event '{name}'") from None

    def _rows_of_user(self, name: str, pid: MemberId) -> list[Row]:
        if name not in self._events_by_user:
            ev = self._event(name)
            grouped: dict[MemberId, list[Row]] = {}
            for row in self.data.get(ev.table, ()):
                user = row.get(ev.user)
                if user is not None:
                    grouped.setdefault(user, []).append(row)
            self._events_by_user[name] = grouped
        return self._events_by_user[name].get(pid, [])

    def _occurrences(self, name: str, where: ast.Expr | None, window: ast.Window | None, pid: MemberId) -> list[Row]:
        return [row for _, row in self._timed(name, where, window, pid)]

    def _timed(
        self, name: str, where: ast.Expr | None, window: ast.Window | None, pid: MemberId,
    ) -> list[tuple[dt.datetime, Row]]:
        """"Events": rows of the event's table for this user, restricted by the event's
        ``where: {column, equals}``, with a non-null time ``<= as_of``, passing the
        property filter and the window; each with its time, in time order."""
        if pid is None:
            return []
        ev = self._event(name)
        bounds = _window_bounds(window, self.as_of, self.zone) if window is not None else None
        out: list[tuple[dt.datetime, Row]] = []
        for row in self._rows_of_user(name, pid):
            if ev.where is not None and not _equals(row.get(ev.where.column), ev.where.equals):
                continue
            raw_t = row.get(ev.time)
            if raw_t is None:
                continue
            if not isinstance(raw_t, dt.date):
                raise DatasetError(f"{ev.table}.{ev.time}: {raw_t!r} is not a date or timestamp")
            t = to_instant(raw_t)
            if t > self.as_of:  # rows after as_of never count
                continue
            if bounds is not None and not _in_bounds(t, bounds):
                continue
            if where is not None and not self._filter(where, ev, row):
                continue
            out.append((t, row))
        out.sort(key=lambda x: x[0])
        return out

    # ------------------------------------------------------------------ behaviour over time (§8)

    def sequence(self, e: ast.Sequence, profile: Row, text: str, explain: bool) -> ExplanationNode:
        """"Sequences": e1 < e2 < ... (strictly), each inside the window, gaps within their
        ``within``; an absent last step: nothing in [t(e(k-1)), t(e(k-1)) + Dk], wait passed."""
        if len(e.steps) < 2 or e.count is not None:
            raise EvaluationError("a sequence has two or more steps and no count clause")
        if any(s.absent for s in e.steps[:-1]):
            raise EvaluationError("only the last step of a sequence may be 'not'")
        pid = self.profile_id(profile)
        last = e.steps[-1]
        positive = e.steps[:-1] if last.absent else e.steps
        times = [[t for t, _ in self._timed(s.event.value, s.where, e.window, pid)] for s in positive]
        within = [unit_delta(s.within) if s.within is not None else None for s in positive]
        if any(s.within is not None and d is None for s, d in zip(positive, within, strict=True)):
            raise EvaluationError("a 'within' is too long")  # pragma: no cover - the parser bounds it
        if last.absent:
            if last.within is None:
                raise EvaluationError("an absent step needs 'within'")
            wait = unit_delta(last.within)
            if wait is None:  # pragma: no cover - the parser bounds durations to 100 years
                raise EvaluationError("a 'within' is too long")
            # the absent step looks past the window: every occurrence up to as_of
            absent = [t for t, _ in self._timed(last.event.value, last.where, None, pid)]
            m = match_sequence(times, within, self.as_of, absent, wait)
        else:
            m = match_sequence(times, within, self.as_of)
        if not explain:
            return ExplanationNode(text, m.holds)
        kids: list[ExplanationNode] = []
        for i, s in enumerate(positive):
            step_text = format_step(s, first=i == 0)
            if i < len(m.chain):
                kids.append(ExplanationNode(step_text, True, f"at {_when(m.chain[i])}"))
            else:
                why = "no occurrence" if not times[i] else "no occurrence that follows the step before in time"
                kids.append(ExplanationNode(step_text, False, why))
                break
        if last.absent and len(m.chain) == len(positive):
            start = _when(m.chain[-1])
            if m.cancelled_by is not None:
                why = f"{last.event.value} at {_when(m.cancelled_by)} follows {start}"
            elif m.wait_end is None or m.wait_end > self.as_of:
                end = _when(m.wait_end) if m.wait_end is not None else "never"
                why = f"the wait after {start} ends at {end}, after as_of"
            else:
                why = f"none from {start} to {_when(m.wait_end)}"
            kids.append(ExplanationNode(format_step(last), m.holds, why))
        formed = ", then ".join(f"{s.event.value} at {_when(t)}" for s, t in zip(positive, m.chain, strict=False))
        if not m.holds:
            detail = "not formed"
        elif last.absent and m.wait_end is not None:
            detail = f"{formed}, then no {last.event.value} up to {_when(m.wait_end)}"
        else:
            detail = f"formed by {formed}"
        return ExplanationNode(text, m.holds, detail, tuple(kids))

    def first_last(self, e: ast.FirstLastPerformed, profile: Row, text: str, explain: bool) -> ExplanationNode:
        """"First and last": the earliest (latest) passing occurrence over all history up to
        ``as_of``, then the window; no window means ``performed E [where F]``."""
        if e.count is not None:
            raise EvaluationError(f"'{e.which} performed' takes no count clause")
        timed = self._timed(e.event.value, e.where, None, self.profile_id(profile))
        if not timed:
            return ExplanationNode(text, False, "no occurrence" if explain else None)
        t = timed[0][0] if e.which == "first" else timed[-1][0]
        holds = e.window is None or _in_bounds(t, _window_bounds(e.window, self.as_of, self.zone))
        return ExplanationNode(text, holds, f"{e.which} at {_when(t)}" if explain else None)

    def _edge_values(self, a: ast.Aggregate, pid: MemberId) -> tuple[list[Value | None], str]:
        """``first(E.p)``/``last(E.p)``: the property of every selected occurrence (by ``where``
        and window) at the earliest (latest) time; empty when none is selected."""
        if a.property is None:
            raise EvaluationError(f"{a.func}() needs an event property")
        timed = self._timed(a.event.value, a.where, a.window, pid)
        if not timed:
            return [], f"{a.func}: no occurrence"
        edge = timed[0][0] if a.func == "first" else timed[-1][0]
        ev = self._event(a.event.value)
        f = self._property(ev, a.property.value)
        values = [self.field_value(ev.table, row, f) for t, row in timed if t == edge]
        shown = ", ".join("null" if v is None else _show(v) for v in values)
        return values, f"{a.func} at {_when(edge)}: {a.property.value} = {shown}"

    def _filter(self, e: ast.Expr, ev: Event, row: Row) -> bool:
        """A ``where`` filter on one occurrence: same rules as trait tests, on properties."""
        if isinstance(e, ast.And):
            return all(self._filter(i, ev, row) for i in e.items)
        if isinstance(e, ast.Or):
            return any(self._filter(i, ev, row) for i in e.items)
        if isinstance(e, ast.Not):
            return not self._filter(e.operand, ev, row)
        target = getattr(e, "target", None)
        if not isinstance(target, ast.Name):
            raise EvaluationError(f"a where filter tests event properties, not {type(e).__name__}")
        f = self._property(ev, target.value)
        return self.test(e, self.field_value(ev.table, row, f), f.type)

    def _property(self, ev: Event, name: str) -> Field:
        try:
            return ev.properties[name]
        except KeyError:
            raise EvaluationError(f"event has no property '{name}'") from None

    def _aggregate_kind(self, a: ast.Aggregate) -> str:
        if a.func == "count":
            return "integer"
        if a.func == "avg":
            return "decimal"
        if a.property is None:
            raise EvaluationError(f"{a.func}() needs an event property")
        return self._property(self._event(a.event.value), a.property.value).type

    def _aggregate(self, a: ast.Aggregate, pid: MemberId) -> tuple[Value | None, str]:
        """"Aggregates": count/sum over nothing are 0; avg/min/max over nothing are null."""
        rows = self._occurrences(a.event.value, a.where, a.window, pid)
        if a.property is None:
            if a.func != "count":
                raise EvaluationError(f"{a.func}() needs an event property")
            return Fraction(len(rows)), f"count = {len(rows)}"
        ev = self._event(a.event.value)
        f = self._property(ev, a.property.value)
        values = [v for v in (self.field_value(ev.table, r, f) for r in rows) if v is not None]
        label = f"{a.func} over {len(values)} value{'' if len(values) == 1 else 's'}"
        if a.func == "count":
            return Fraction(len(values)), f"{label} = {len(values)}"
        if a.func in ("sum", "avg"):
            nums = [v for v in values if isinstance(v, Fraction)]
            if len(nums) != len(values):
                raise EvaluationError(f"{a.func}() needs a numeric property")
            total = sum(nums, Fraction(0))
            if a.func == "sum":
                return total, f"{label} = {_show(total)}"
            if not nums:
                return None, f"{label} = null"
            mean = total / len(nums)
            return mean, f"{label} = {_show(mean)}"
        if not values:
            return None, f"{label} = null"
        best = min(values) if a.func == "min" else max(values)
        return best, f"{label} = {_show(best)}"

    # ------------------------------------------------------------------ consent

    def _consent_rows(self, pid: MemberId) -> list[Row]:
        consent = self.market.consent
        if consent is None:
            raise EvaluationError(f"market '{self.market.market}' has no consent table")
        if self._consent_by_user is None:
            grouped: dict[MemberId, list[Row]] = {}
            for row in self.data.get(consent.table, ()):
                user = row.get(consent.user)
                if user is not None:
                    grouped.setdefault(user, []).append(row)
            self._consent_by_user = grouped
        return self._consent_by_user.get(pid, [])

    def consent_state(self, purpose: str, pid: MemberId) -> tuple[str, dt.datetime | None, list[Row]]:
        """Steps 1-2 of "Consent": (``granted``/``refused``/``none``, latest time, rows at it)."""
        consent = self.market.consent
        if consent is None:
            raise EvaluationError(f"market '{self.market.market}' has no consent table")
        try:
            p = consent.purposes[purpose]
        except KeyError:
            raise EvaluationError(f"market '{self.market.market}' has no consent purpose '{purpose}'") from None
        st = consent.statuses
        rows: list[tuple[dt.datetime, Row]] = []
        for row in self._consent_rows(pid):
            if row.get(consent.purpose) != p.value:
                continue
            if row.get(consent.status) not in (st.granted, st.denied, st.revoked):
                continue  # other statuses are ignored
            raw_t = row.get(consent.time)
            if raw_t is None:
                continue
            if not isinstance(raw_t, dt.date):
                raise DatasetError(f"{consent.table}.{consent.time}: {raw_t!r} is not a timestamp")
            t = to_instant(raw_t)
            if t <= self.as_of:
                rows.append((t, row))
        if not rows:
            return "none", None, []
        latest = max(t for t, _ in rows)
        at_latest = [r for t, r in rows if t == latest]
        refused = any(r.get(consent.status) in (st.denied, st.revoked) for r in at_latest)
        return ("refused" if refused else "granted"), latest, at_latest

    def consent(self, purpose: str, pid: MemberId) -> bool:
        """Steps 3-4 of "Consent"."""
        state, latest, at_latest = self.consent_state(purpose, pid)  # raises without consent
        consent = self.market.consent
        assert consent is not None
        p = consent.purposes[purpose]
        if p.mode == "opt_out":
            return state != "refused"
        if state != "granted" or latest is None:
            return False
        if p.max_age_days is not None:
            oldest = minus(self.as_of, dt.timedelta(days=p.max_age_days))
            if oldest is not None and latest < oldest:
                return False
        if p.double_opt_in:
            if consent.confirmed is None:
                raise EvaluationError(f"purpose '{purpose}' needs double opt-in but consent has no 'confirmed' column")
            confirmed = False
            for r in at_latest:
                if r.get(consent.status) != consent.statuses.granted:
                    continue
                c = r.get(consent.confirmed)
                if c is None:
                    continue
                if not isinstance(c, dt.date):
                    raise DatasetError(f"{consent.table}.{consent.confirmed}: {c!r} is not a timestamp")
                if to_instant(c) <= self.as_of:
                    confirmed = True
            if not confirmed:
                return False
        return True

    def consent_detail(self, purpose: str, pid: MemberId) -> str:
        state, latest, _ = self.consent_state(purpose, pid)
        assert self.market.consent is not None
        mode = self.market.consent.purposes[purpose].mode
        if latest is None:
            return f"{mode}: no consent rows up to as_of"
        return f"{mode}: latest state {state} at {latest.isoformat()}"

    # ------------------------------------------------------------------ explanations

    def explain_audience(self, name: str, profile: Row) -> Explanation:
        aud = self._audience(name)
        pid = self.profile_id(profile)
        if aud.include is None:
            raise EvaluationError(f"audience '{name}' has no include clause")
        include = self.node(aud.include, profile, explain=True)
        exclude = self.node(aud.exclude, profile, explain=True) if aud.exclude is not None else None
        consents = tuple(
            ExplanationNode(f"require consent {p}", pid is not None and self.consent(p, pid),
                            self.consent_detail(p, pid) if pid is not None else "profile id is null")
            for p in aud.required_purposes
        )
        return Explanation(name, pid, True, self.is_member(name, profile), include, exclude, consents)


def _equals(value: object, expected: object) -> bool:
    """The event's ``where: {column, equals}``: SQL ``=`` of one value with a YAML scalar
    (a null column never matches; ``True`` is not the number 1)."""
    if value is None:
        return False
    if isinstance(expected, bool) or isinstance(value, bool):
        return isinstance(expected, bool) and isinstance(value, bool) and value == expected
    if isinstance(expected, str) or isinstance(value, str):
        return isinstance(expected, str) and isinstance(value, str) and value == expected
    if isinstance(value, int | Decimal | float) and isinstance(expected, int | Decimal):
        return Fraction(value) == Fraction(expected)
    return False


def _when(t: dt.datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _show(v: Value) -> str:
    if isinstance(v, Fraction):
        if v.denominator == 1:
            return str(v.numerator)
        return f"{float(v):.6g} (exactly {v})"
    if isinstance(v, dt.datetime):
        return v.isoformat()
    return repr(v)


# --------------------------------------------------------------------------- public API


def _check_as_of(as_of: dt.datetime) -> dt.datetime:
    if not isinstance(as_of, dt.datetime):
        raise TypeError("as_of must be a datetime (aware, or naive meaning UTC)")
    return as_of


def evaluate(
    checked: CheckedAudience, data: Dataset, *, as_of: dt.datetime, ascii_case_folding: bool = False
) -> set[MemberId]:
    """The member ids of ``checked`` over ``data`` at ``as_of`` (docs/semantics.md).

    ``as_of`` is an aware datetime or a naive one meaning UTC. With
    ``ascii_case_folding=True`` the profile side of ``ignoring case`` folds ``A`` to ``Z``
    only, like SQLite's ``LOWER()``; by default it folds all of Unicode like the other
    engines. Gates do not apply (see :func:`members_for_destination`).
    """
    ev = _Evaluator(checked, data, _check_as_of(as_of), ascii_case_folding)
    return {ev.profile_id(p) for p in ev.profiles() if ev.is_member(checked.name, p)}


def members_for_destination(
    checked: CheckedAudience, data: Dataset, destination: str, *, as_of: dt.datetime,
    ascii_case_folding: bool = False,
) -> list[tuple[MemberId, object]]:
    """The rows compiled SQL returns for ``destination`` ("Gates"): ``(member_id, identifier)``
    for every member with a (non-null) identifier when their number reaches
    ``max(min size, destination min_size)``, else no rows (spec §11: members without the
    destination's identifier are neither delivered nor counted by the gate; nor are members
    of its suppression audiences, ``checked.suppress``). Sorted by ``repr`` of the id for a
    stable order."""
    try:
        dest = checked.destinations[destination]
    except KeyError:
        raise EvaluationError(f"audience '{checked.name}' does not activate '{destination}'") from None
    ev = _Evaluator(checked, data, _check_as_of(as_of), ascii_case_folding)
    # one row per member id: a repeated id (docs/semantics.md) is one member, delivered with
    # the smallest non-null identifier of its qualifying rows, and the gate counts ids
    idents: dict[MemberId, list[Any]] = {}
    suppress = checked.suppress.get(destination, ())
    suppressed: set[MemberId] = set()
    for p in ev.profiles():
        if ev.is_member(checked.name, p):
            if any(ev.is_member(s, p) for s in suppress):
                # spec §11: held back when a qualifying row of the id is in a suppression audience
                suppressed.add(ev.profile_id(p))
            values = idents.setdefault(ev.profile_id(p), [])
            if dest.identifier is not None:
                value = p.get(ev._trait(dest.identifier).column)
                if value is not None:
                    values.append(value)
    rows = [(pid, min(values) if values else None) for pid, values in idents.items()]
    if dest.identifier is not None:
        # spec §11: only members the destination can match are delivered, and only they
        # count toward its gate
        rows = [r for r in rows if r[1] is not None]
    rows = [r for r in rows if r[0] not in suppressed]
    own = int(checked.audience.min_size.value) if checked.audience.min_size is not None else 0
    if len(rows) < max(own, dest.min_size):
        return []
    return sorted(rows, key=lambda r: repr(r[0]))


def explain(
    checked: CheckedAudience, data: Dataset, profile_id: MemberId, as_of: dt.datetime,
    *, ascii_case_folding: bool = False,
) -> Explanation:
    """Why ``profile_id`` is (or is not) a member of ``checked`` at ``as_of``: every
    condition of include/exclude as a tree of text → held or not, plus each required
    consent. A profile id that no row has gives ``found=False`` and ``member=False``."""
    ev = _Evaluator(checked, data, _check_as_of(as_of), ascii_case_folding)
    for p in ev.profiles():
        if profile_id is not None and ev.profile_id(p) == profile_id:
            return ev.explain_audience(checked.name, p)
    empty = ExplanationNode("(no profile)", False)
    return Explanation(checked.name, profile_id, False, False, empty, None, ())

