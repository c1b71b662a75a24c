"""Per-market name resolution, types and activation policy (E3xx, E4xx, and lint L005).

One :class:`MarketIndex` per market turns the schema into plain dicts once; then
:func:`check_in_market` walks one audience once for that market. Findings that
depend on the market carry two messages: one naming the market, and one for
when every checked market reports the same thing (the caller merges those into a
single market-independent diagnostic).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from audiencelang import ast
from audiencelang.diagnostics import Severity, Span, did_you_mean
from audiencelang.schema.market import Market

__all__ = ["Finding", "MarketIndex", "check_in_market"]

NUMERIC = frozenset({"integer", "decimal"})
TIME = frozenset({"date", "timestamp"})
_COMPAT: dict[str, frozenset[str]] = {
    "string": frozenset({"string"}),
    "number": NUMERIC,
    "boolean": frozenset({"boolean"}),
    "date": TIME,
    "timestamp": TIME,
}
_LIT_PHRASE = {
    "string": "a string", "number": "a number", "boolean": "a boolean",
    "date": "a date", "timestamp": "a timestamp",
}
_WANTED = {
    "string": "a string literal (\"...\")",
    "integer": "a number", "decimal": "a number",
    "boolean": "true or false",
    "date": "a date (2024-01-31) or timestamp", "timestamp": "a date or timestamp (2024-01-31T12:00:00Z)",
}
_ORDER_OPS = frozenset({"<", "<=", ">", ">="})
_UNIT_SECONDS = ast.UNIT_SECONDS


@dataclass(frozen=True)
class Finding:
    """A market-specific finding before it becomes a :class:`Diagnostic`.

    ``message`` names the market; ``every`` is the message used when every checked
    market reports the same finding at the same place."""

    code: str
    span: Span | None
    message: str
    every: str
    hints: tuple[str, ...] = ()
    severity: Severity = Severity.ERROR


@dataclass
class MarketIndex:
    """A market's names resolved into dicts, built once per market."""

    name: str
    market: Market
    traits: dict[str, str] = field(default_factory=dict)
    events: dict[str, dict[str, str]] = field(default_factory=dict)
    retention: dict[str, int | None] = field(default_factory=dict)
    purposes: frozenset[str] | None = None

    @classmethod
    def of(cls, market: Market) -> MarketIndex:
        return cls(
            name=market.market,
            market=market,
            traits={k: f.type for k, f in market.profiles.traits.items()},
            events={k: {p: f.type for p, f in e.properties.items()} for k, e in market.events.items()},
            retention={k: e.retention_days for k, e in market.events.items()},
            purposes=frozenset(market.consent.purposes) if market.consent is not None else None,
        )


def _as_instant(lit: ast.DateLit | ast.TimestampLit) -> dt.datetime:
    if isinstance(lit, ast.DateLit):
        return dt.datetime(lit.value.year, lit.value.month, lit.value.day, tzinfo=dt.UTC)
    return lit.value


def _agg_text(a: ast.Aggregate) -> str:
    inner = a.event.value if a.property is None else f"{a.event.value}.{a.property.value}"
    return f"{a.func}({inner})"


class _Walk:
    """One walk of one audience in one market."""

    def __init__(self, idx: MarketIndex, out: list[Finding]) -> None:
        self.idx = idx
        self.m = idx.name
        self.out = out

    # ------------------------------------------------------------------ reporting

    def add(self, code: str, span: Span | None, per_market: str, every: str, *hints: str,
            severity: Severity = Severity.ERROR) -> None:
        self.out.append(Finding(code, span, per_market, every, tuple(hints), severity))

    def typed(self, code: str, span: Span | None, body: str, *hints: str) -> None:
        self.add(code, span, f"{body} (market '{self.m}')", body, *hints)

    # ------------------------------------------------------------------ expressions

    def expr(self, e: ast.Expr, event: str | None) -> None:
        """Check ``e``; ``event`` is the event whose properties are in scope (inside ``where``)."""
        if isinstance(e, (ast.And, ast.Or)):
            for item in e.items:
                self.expr(item, event)
        elif isinstance(e, ast.Not):
            self.expr(e.operand, event)
        elif isinstance(e, ast.Performed | ast.FirstLastPerformed):
            self.performed(e)
        elif isinstance(e, ast.Sequence):
            for step in e.steps:
                if self.event(step.event) is None:
                    continue
                if step.where is not None:
                    self.expr(step.where, step.event.value)
                if not step.absent:  # an absent step looks past the window
                    self.window(e.window, step.event.value)
        elif isinstance(e, ast.InAudience):
            pass  # resolved across the project, not per market
        elif isinstance(e, ast.HasConsent):
            self.purpose(e.purpose, "E304", "has consent")
        elif isinstance(e, ast.InSample):
            self.sample(e)
        else:
            self.condition(e, event)

    def sample(self, e: ast.InSample) -> None:
        """Spec §10: 0 < P ≤ 100 with at most two decimals, and a salt that is not empty."""
        p = e.percent.value
        shown = format(p, "f")
        if not Decimal(0) < p <= Decimal(100):
            body = f"sample percentage {shown}% is out of range"
            self.add("E330", e.percent.span, body, body, "a sample is more than 0% and at most 100%")
        else:
            exp = p.as_tuple().exponent
            if isinstance(exp, int) and exp < -2:
                body = f"sample percentage {shown}% has more than two decimals"
                self.add("E331", e.percent.span, body, body,
                         "buckets are hundredths of a percent: write at most two decimals, "
                         f"e.g. {format(p.quantize(Decimal('0.01')), 'f')}%")
        if not e.salt.value:
            body = "the salt of a sample is empty"
            self.add("E332", e.salt.span, body, body,
                     "name the sample, e.g. salt \"q4_holdout\": audiences that share a salt share buckets")

    def purpose(self, p: ast.Name, code: str, what: str) -> None:
        purposes = self.idx.purposes
        if purposes is None:
            self.add(code, p.span, f"market '{self.m}' has no consent block, so '{what} {p.value}' cannot be checked",
                     f"no market defines consent purpose '{p.value}' (no consent block)",
                     f"add a 'consent:' block with purpose '{p.value}' to the market schema")
        elif p.value not in purposes:
            self.add(code, p.span, f"market '{self.m}' has no consent purpose '{p.value}'",
                     f"unknown consent purpose '{p.value}' (no market defines it)",
                     *did_you_mean(p.value, set(purposes)))

    def event(self, name: ast.Name) -> dict[str, str] | None:
        props = self.idx.events.get(name.value)
        if props is None:
            hints = list(did_you_mean(name.value, self.idx.events.keys() | set()))
            if name.value in self.idx.traits:
                hints.append(f"'{name.value}' is a trait; test it directly, e.g. '{name.value} is not null'")
            self.add("E302", name.span, f"market '{self.m}' has no event '{name.value}'",
                     f"unknown event '{name.value}' (no market defines it)", *hints)
        return props

    def window(self, w: ast.Window | None, event: str) -> None:
        if not isinstance(w, ast.LastWindow):
            return
        days = self.idx.retention.get(event)
        if days is None:
            return
        if w.amount * _UNIT_SECONDS[w.unit] > days * 86400:
            unit = w.unit + ("s" if w.amount != 1 else "")
            body = f"window 'in last {w.amount} {unit}' is longer than the {days} days of '{event}' history"
            self.add("L005", w.span, f"{body} kept in market '{self.m}'", f"{body} kept in every market",
                     f"events older than {days} days are gone: the window only sees the last {days} days",
                     severity=Severity.WARNING)

    def performed(self, p: ast.Performed | ast.FirstLastPerformed) -> None:
        props = self.event(p.event)
        if props is None:
            return
        if p.where is not None:
            self.expr(p.where, p.event.value)
        self.window(p.window, p.event.value)

    def aggregate(self, a: ast.Aggregate) -> tuple[str | None, str]:
        text = _agg_text(a)
        props = self.event(a.event)
        if props is None:
            return None, text
        if a.where is not None:
            self.expr(a.where, a.event.value)
        self.window(a.window, a.event.value)
        if a.property is None:
            if a.func != "count":
                self.add("E313", a.span, f"{a.func}({a.event.value}) needs a property, e.g. {a.func}({a.event.value}.amount)",
                         f"{a.func}({a.event.value}) needs a property",
                         *(f"properties of '{a.event.value}': {', '.join(sorted(props))}" for _ in (0,) if props))
                return None, text
            return "integer", text
        pt = props.get(a.property.value)
        if pt is None:
            self.unknown_property(a.property, a.event.value, props)
            return None, text
        if a.func == "count":
            return "integer", text
        if a.func in ("sum", "avg") and pt not in NUMERIC:
            self.typed("E313", a.span, f"{a.func}() needs a numeric property; '{a.event.value}.{a.property.value}' is {pt}",
                       "sum and avg take integer or decimal properties; count() counts any property")
            return None, text
        if a.func in ("first", "last"):
            return pt, text  # any type: the test is checked against it (spec §8)
        if a.func in ("min", "max") and pt not in NUMERIC | TIME:
            self.typed("E313", a.span, f"{a.func}() needs a number, date or timestamp; '{a.event.value}.{a.property.value}' is {pt}",
                       "strings and booleans have no order; use count() or a where filter")
            return None, text
        if a.func == "avg":
            return "decimal", f"{text}"
        return pt, text

    def unknown_property(self, n: ast.Name, event: str, props: dict[str, str]) -> None:
        hints = list(did_you_mean(n.value, props.keys() | set()))
        if n.value in self.idx.traits:
            hints.append(f"'{n.value}' is a trait, not a property of '{event}': close the 'where' with a window "
                         f"or parentheses, e.g. '(performed {event} where ...) and {n.value} ...'")
        self.add("E303", n.span, f"event '{event}' has no property '{n.value}' in market '{self.m}'",
                 f"event '{event}' has no property '{n.value}' (in no market)", *hints)

    def target(self, t: ast.Target, event: str | None) -> tuple[str | None, str]:
        """The type of a target (``None`` when it did not resolve: already reported)."""
        if isinstance(t, ast.Aggregate):
            ty, text = self.aggregate(t)
            return ty, f"{ty} aggregate {text}" if ty else text
        if event is not None:
            props = self.idx.events.get(event, {})
            pt = props.get(t.value)
            if pt is None:
                self.unknown_property(t, event, props)
                return None, t.value
            return pt, f"{pt} property '{t.value}' of '{event}'"
        tt = self.idx.traits.get(t.value)
        if tt is None:
            hints = list(did_you_mean(t.value, self.idx.traits.keys() | set()))
            if t.value in self.idx.events:
                hints.append(f"'{t.value}' is an event: use 'performed {t.value}' or an aggregate like count({t.value})")
            self.add("E301", t.span, f"market '{self.m}' has no trait '{t.value}'",
                     f"unknown trait '{t.value}' (no market defines it)", *hints)
            return None, t.value
        return tt, f"{tt} trait '{t.value}'"

    def literal(self, ty: str, desc: str, lit: ast.StringLit | ast.NumberLit | ast.BoolLit | ast.DateLit | ast.TimestampLit) -> bool:
        if ty in _COMPAT[lit.kind]:
            return True
        self.typed("E310", lit.span, f"cannot compare {desc} with {_LIT_PHRASE[lit.kind]}",
                   f"{desc.split(' ', 1)[1]} is {ty}: compare it with {_WANTED[ty]}")
        return False

    def condition(self, c: ast.Expr, event: str | None) -> None:
        if not isinstance(c, (ast.Compare, ast.InList, ast.Between, ast.StringMatch, ast.IsNull,
                              ast.InLast, ast.MoreThanAgo, ast.TimeCompare)):
            return
        ty, desc = self.target(c.target, event)
        if ty is None or isinstance(c, ast.IsNull):
            return
        if isinstance(c, ast.Compare):
            if ty in ("string", "boolean") and c.op in _ORDER_OPS:
                hint = ("strings are not ordered (the order depends on the warehouse collation): "
                        "use =, !=, in, or a string match" if ty == "string"
                        else "booleans compare with = and != only")
                self.typed("E311", c.span, f"'{c.op}' does not apply to {desc}", hint)
                return
            self.literal(ty, desc, c.value)
        elif isinstance(c, ast.InList):
            if ty not in NUMERIC | {"string"}:
                hint = ("use = true / = false" if ty == "boolean"
                        else "use between, before, after or in last for dates and timestamps")
                self.typed("E311", c.span, f"'{'not in' if c.negated else 'in'} [...]' does not apply to {desc}", hint)
                return
            for v in c.values:
                self.literal(ty, desc, v)
        elif isinstance(c, ast.Between):
            if ty not in NUMERIC | TIME:
                self.typed("E311", c.span, f"'between' does not apply to {desc}",
                           "between takes numbers, dates and timestamps")
                return
            self.literal(ty, desc, c.low)
            self.literal(ty, desc, c.high)
        elif isinstance(c, ast.StringMatch):
            if ty != "string":
                op = c.op.replace("_", " ")
                self.typed("E312", c.span, f"'{op}' needs a string; {desc} is not one",
                           f"string matches apply to string traits and properties; compare {ty} values with = or a range")
        elif isinstance(c, ast.InLast | ast.MoreThanAgo):
            if ty not in TIME:
                word = "in last" if isinstance(c, ast.InLast) else "more than ... ago"
                form = "in last N days" if isinstance(c, ast.InLast) else "more than N days ago"
                self.typed("E314", c.span, f"'{word}' needs a date or timestamp; {desc} is not one",
                           f"for events use 'performed EVENT {form}' or a windowed aggregate")
        elif isinstance(c, ast.TimeCompare) and ty not in TIME:
            self.typed("E314", c.span, f"'{c.op}' needs a date or timestamp; {desc} is not one",
                       "compare numbers with < and >")


def check_in_market(aud: ast.Audience, idx: MarketIndex, destinations: dict[str, list[str | None]]) -> list[Finding]:
    """Every market-specific finding for one audience in one market.

    ``destinations`` maps each known destination name to ``[identifier]`` (or ``[None]``)."""
    out: list[Finding] = []
    w = _Walk(idx, out)
    if aud.include is not None:
        w.expr(aud.include, None)
    if aud.exclude is not None:
        w.expr(aud.exclude, None)
    for rc in aud.require_consent:
        for p in rc.purposes:
            w.purpose(p, "E404", "require consent")
    for act in aud.activate:
        ident = destinations.get(act.destination.value, [None])[0]
        if ident is not None and ident not in idx.traits:
            w.add("E403", act.span,
                  f"destination '{act.destination.value}' delivers trait '{ident}', which market '{idx.name}' does not define",
                  f"destination '{act.destination.value}' delivers trait '{ident}', which no market defines",
                  f"add '{ident}' to the profile traits of market '{idx.name}', or change the destination's identifier")
    return out
