"""Plan -> sqlglot expression tree, by explicit node construction only.

User values enter the tree only as ``exp.Literal.string``, ``exp.Literal.number``
of a validated decimal, ``exp.Boolean`` and quoted ``exp.Identifier`` s. No
string-parsing helper (``exp.condition``, ``.where(str)``, ``parse_one``...) is
used anywhere in this module.

Two-valued logic: every leaf test is made null-free where it is built
(``col IS NOT NULL AND col OP literal``; counts and sums are coalesced, an average
is guarded by its count, a minimum or maximum by its own null, packed tests are
bits), so ``NOT``/``AND``/``OR`` over leaves never see NULL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlglot import exp

from audiencelang.sql import (
    build_consent,
    build_scans,
    calendar,
    calendar_typed,
    literals,
    names,
    sample,
)
from audiencelang.sql import plan as P
from audiencelang.sql.clock import epoch_minus_seconds, epoch_now, epoch_of, minus_seconds, now_expr
from audiencelang.sql.dialects import DialectProfile
from audiencelang.sql.instants import zoned_text
from audiencelang.sql.lower import format_instant
from audiencelang.sql.nodes import (
    FLAT_CHAIN,
    BuildError,
    alias,
    and_,
    col,
    const,
    cte_ref,
    ident,
    is_null,
    not_,
    not_null,
    num,
    or_,
    param_name,
    table_ref,
)
from audiencelang.sql.physical import Decisions, decide

__all__ = ["FLAT_CHAIN", "BuildError", "Builder", "alias", "and_", "build_explained", "build_statement",
           "build_with_functions", "col", "const", "cte_ref", "ident", "is_null", "not_", "not_null", "num", "or_",
           "param_name", "table_ref"]

_F = TypeVar("_F", bound=exp.Func)

SRC = "src"
PARAMS = "params"


_CMP: dict[str, type[exp.Binary]] = {
    "=": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE,
}


def _parse_instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


# ---------------------------------------------------------------------------- the builder


class Builder:
    def __init__(self, plan: P.Plan, profile: DialectProfile, decisions: Decisions | None = None) -> None:
        self.plan = plan
        self.d = profile
        # (node class, Anonymous name) -> first node made: the functions the statement calls
        self.functions: dict[tuple[str, str], exp.Func] = {}
        # the strategy, decided by audiencelang.sql.physical (the builder only writes it)
        self.dec = decide(plan, profile) if decisions is None else decisions
        self.required_scans = self.dec.inner
        self.consent_required = self.dec.consent_inner
        self.pushed = self.dec.pushed
        self.semi_scans = frozenset(self.dec.semi)
        self.anti_scans = frozenset(self.dec.anti)
        self.rest = self.dec.rest
        self.packed = [s for s in plan.scans if s.name in self.dec.packed]
        self.atoms = self.dec.atom_map()
        self.words = self.dec.words
        self.as_of_value = (
            P.Value("as_of", "0")
            if plan.as_of is None
            else P.Value("instant", _parse_instant_iso(plan.as_of))
        )

    def strategy(self) -> dict[str, Any]:
        """How the statement reads and joins the plan's scans: :meth:`Decisions.strategy`."""
        return self.dec.strategy(self.plan)

    @staticmethod
    def _join_kind(inner: bool) -> dict[str, str]:
        return {"kind": "INNER"} if inner else {"side": "LEFT"}

    # ------------------------------------------------------------------ functions

    def f(self, cls: type[_F], **args: Any) -> _F:
        """A function node, recorded for the dialect's allow-list check (every function
        node of the statement is made here, so the finished tree need not be walked)."""
        node = cls(**args)
        key = (cls.__name__, node.name if isinstance(node, exp.Anonymous) else "")
        if key not in self.functions:
            self.functions[key] = node
        return node

    def case01(self, cond: exp.Expr) -> exp.Expr:
        return self.f(exp.Case, ifs=[self.f(exp.If, this=cond, true=exp.Literal.number("1"))],
                      default=exp.Literal.number("0"))

    # ------------------------------------------------------------------ literals

    def string(self, text: str) -> exp.Expr:
        return literals.string(text, self.d, self.f)

    def instant(self, text: str) -> exp.Expr:
        value = _parse_instant(text)
        if self.d.name == "clickhouse" and not (1900 <= value.year <= 2299):
            raise BuildError("E505", f"the time {text} is outside ClickHouse's DateTime64 range (1900-2299)")
        to = self.d.instant_cast()
        if to is None:  # SQLite: canonical ISO text, as Python's str(datetime) writes it
            return exp.Literal.string(str(value))
        if self.d.zoned_literals:  # takes the column's type: exact for TIMESTAMP and TIMESTAMPTZ
            return exp.Literal.string(zoned_text(value))
        return self.f(exp.Cast, this=exp.Literal.string(text), to=to)

    def date(self, text: str) -> exp.Expr:
        if self.d.name == "clickhouse" and not ("1900" <= text[:4] <= "2299"):
            raise BuildError("E505", f"the date {text} is outside ClickHouse's Date32 range (1900-2299)")
        to = self.d.date_cast()
        if to is None:
            return exp.Literal.string(text)
        return self.f(exp.Cast, this=exp.Literal.string(text), to=to)

    def value(self, v: P.Value, scope: str | None) -> exp.Expr:
        if v.kind == "string":
            return self.string(v.text)
        if v.kind == "number":
            # BigQuery and ClickHouse read 19.99 as a float; a decimal keeps the comparison exact
            exact_decimal = literals.decimal(v.text, self.d, self.f)
            return exact_decimal if exact_decimal is not None else num(v.text)
        if v.kind == "boolean":
            if self.d.integer_booleans:
                return num("1" if v.text == "true" else "0")
            return exp.Boolean(this=v.text == "true")
        if v.kind == "date":
            return self.date(v.text)
        if v.kind == "instant":
            return self.instant(v.text)
        if v.kind == "clock":
            return col(v.text, scope)
        return col(param_name(int(v.text)), scope)

    # ------------------------------------------------------------------ strings

    def exact(self, e: exp.Expr, *, searched: bool = False) -> exp.Expr:
        return literals.exact(e, self.d, self.f, searched=searched)

    def lower(self, e: exp.Expr) -> exp.Expr:
        if self.d.lower is not None:
            return self.f(exp.Anonymous, this=self.d.lower, expressions=[e])
        if self.d.lower_collation is not None:
            # LOWER folds per the collation's ctype; a C/POSIX database would fold ASCII only
            e = exp.Collate(this=e, expression=ident(self.d.lower_collation))
        return self.f(exp.Lower, this=e)

    def substring(self, e: exp.Expr, start: exp.Expr, length: int) -> exp.Expr:
        if self.d.substr is not None:
            return self.f(exp.Anonymous, this=self.d.substr, expressions=[e, start, num(length)])
        return self.f(exp.Substring, this=e, start=start, length=num(length))

    def match(self, field: Callable[[], exp.Expr], op: str, needle: str, ignore_case: bool) -> exp.Expr:
        def subject() -> exp.Expr:
            return self.lower(field()) if ignore_case else field()

        if self.d.matches == "clickhouse":
            fn = {"contains": None, "starts_with": "startsWith", "ends_with": "endsWith"}[op]
            if fn is None:
                return exp.GT(this=self.f(exp.StrPosition, this=subject(), substr=self.string(needle)),
                              expression=num(0))
            return self.f(exp.Anonymous, this=fn, expressions=[subject(), self.string(needle)])
        n = len(needle)
        if op == "contains":
            return exp.GT(this=self.f(exp.StrPosition, this=self.exact(subject(), searched=True),
                                      substr=self.string(needle)),
                          expression=num(0))
        if op == "starts_with":
            return exp.EQ(this=self.exact(self.substring(subject(), num(1), n)), expression=self.string(needle))
        length = self.f(exp.Length, this=subject())
        start: exp.Expr = self.f(exp.Length, this=subject())
        if n > 1:
            start = exp.Sub(this=start, expression=num(n - 1))
        return and_([
            exp.GTE(this=length, expression=num(n)),
            exp.EQ(this=self.exact(self.substring(subject(), start, n)), expression=self.string(needle)),
        ])

    # ------------------------------------------------------------------ conditions

    def field(self, f: P.FieldRef, scope: str | None) -> exp.Expr:
        return col(f.column, scope)

    def time_operand(self, f: P.FieldRef, scope: str | None, values: Sequence[P.Value]) -> exp.Expr:
        """The field as compared with ``values``: a date field meets a params bound as
        its 00:00 instant (only in plans without a fixed as_of)."""
        e = self.field(f, scope)
        if not any(v.kind in ("as_of", "clock") for v in values):
            return e
        if f.type == "date" and self.plan.zone != "UTC":  # the date's local midnight (spec §9)
            self.refuse_local_clock("a date column compared with a time relative to now")
            return calendar.midnight(self.d, e, self.plan.zone, self.f)
        if f.type == "date":
            if self.d.instant_type is None:  # SQLite text
                return exp.DPipe(this=e, expression=exp.Literal.string(" 00:00:00"), safe=True)
            e = self.f(exp.Cast, this=e, to=self.d.instant_cast())
        return self.clocked(e)

    def refuse_local_clock(self, what: str) -> None:
        """E509 where the dialect cannot compute local midnights from its clock."""
        why = calendar.unsupported(self.d, self.plan.zone)
        if why is not None:
            raise BuildError(
                "E509", f"{what} in time zone {self.plan.zone} needs local midnights computed from the "
                f"warehouse clock, which dialect '{self.d.name}' cannot do here: {why}",
                "compile with --as-of (the bounds are then computed exactly, in Python), or use a dialect "
                "that computes them (docs/sql.md, \"Calendars from the warehouse clock\")")

    def clocked(self, e: exp.Expr) -> exp.Expr:
        """Time ``e`` as compared with a ``params`` bound: counted from the epoch on dialects
        with an ``epoch_clock`` (exact for naive and zoned columns in any session time zone,
        see :mod:`audiencelang.sql.clock`), else ``e`` itself."""
        if self.plan.as_of is not None or self.d.epoch_clock is None:
            return e
        return epoch_of(self.d, e, self.f)

    def test(self, t: P.Test, scope: str | None, param_scope: str | None, negated: bool) -> exp.Expr:
        """One leaf. Where it counts an odd number of NOTs deep, a null field must make it
        false *before* negation, so it is guarded with ``IS NOT NULL``; elsewhere a NULL
        already acts as false (WHERE, CASE WHEN, AND/OR without NOT)."""
        f = t.field

        def guarded(e: exp.Expr) -> exp.Expr:
            return and_([not_null(fe()), e]) if negated else e

        def fe() -> exp.Expr:
            return self.field(f, scope)

        if t.op == "is_null":
            return is_null(fe())
        if t.op == "is_not_null":
            return not_null(fe())
        if t.op in ("contains", "starts_with", "ends_with"):
            return guarded(self.match(fe, t.op, t.values[0].text, t.ignore_case))
        is_string = f.type == "string"
        if t.op in ("in", "not_in"):
            fractional = any(v.kind == "number" and "." in v.text for v in t.values)
            # ClickHouse: IN refuses a Decimal literal for an integer column (TYPE_MISMATCH)
            if self.d.decimal_in_as_equalities and (f.type == "decimal" or fractional):
                eqs: list[exp.Expr] = [exp.EQ(this=fe(), expression=self.value(v, param_scope)) for v in t.values]
                inn: exp.Expr = exp.Paren(this=or_(eqs))  # balanced when long
            else:
                left = self.exact(fe()) if is_string else fe()
                inn = exp.In(this=left, expressions=[self.value(v, param_scope) for v in t.values])
            return guarded(inn if t.op == "in" else exp.Not(this=inn))
        left = self.time_operand(f, scope, t.values)
        if is_string:
            left = self.exact(left)
        cmp = _CMP[t.op](this=left, expression=self.value(t.values[0], param_scope))
        return guarded(cmp)

    def agg_test(self, t: P.AggTest) -> exp.Expr:
        c = col(t.column)
        if t.func in ("first", "last"):
            # an earliest (latest) selected time, and no failing occurrence at it (plan.AggTest)
            assert t.count is not None
            return and_([not_null(c), or_([is_null(col(t.count)), exp.NEQ(this=col(t.count), expression=col(t.column))])])
        if t.func in ("count", "sum"):
            if t.op == "is_null":
                return const(False)
            if t.op == "is_not_null":
                return const(True)
            assert t.value is not None
            return _CMP[t.op](this=c, expression=self.value(t.value, None))
        if t.count is None:  # min/max: null exactly when there is no value
            has: exp.Expr = not_null(col(t.column))
            if t.op == "is_null":
                return is_null(col(t.column))
        else:
            has = exp.GT(this=col(t.count), expression=num(0))
            if t.op == "is_null":
                return exp.EQ(this=col(t.count), expression=num(0))
        if t.op == "is_not_null":
            return has
        assert t.value is not None
        if t.func == "avg":
            assert t.count is not None
            rhs: exp.Expr = exp.Mul(this=self.value(t.value, None), expression=col(t.count))
            if self.d.round_sums is not None:
                rhs = self.f(exp.Round, this=rhs, decimals=num(self.d.round_sums))
            return and_([has, _CMP[t.op](this=c, expression=rhs)])
        left = self.time_operand(P.FieldRef(t.column, t.type), None, (t.value,))
        return and_([has, _CMP[t.op](this=left, expression=self.value(t.value, None))])

    def consent_holds(self, purpose: str) -> exp.Expr:
        assert self.plan.consent is not None
        p = next(x for x in self.plan.consent.purposes if x.name == purpose)
        refused_ok = exp.EQ(this=col(p.refused_column), expression=num(0))
        if p.mode == "opt_out":
            return refused_ok
        return and_([exp.EQ(this=col(p.granted_column), expression=num(1)), refused_ok])

    def cond(self, c: P.Cond, scope: str | None, param_scope: str | None,
             negated: bool = False) -> exp.Expr:
        """A condition, used where only TRUE selects (WHERE, CASE WHEN): see :meth:`test`."""
        if isinstance(c, P.Test):
            return self.test(c, scope, param_scope, negated)
        if isinstance(c, P.AggTest):
            atom = self.atoms.get(c)
            if atom is not None:
                word, mask, inverted = atom
                return (exp.EQ if inverted else exp.NEQ)(this=_bits(word, mask), expression=num(0))
            return self.agg_test(c)
        if isinstance(c, P.ConsentHolds):
            return self.consent_holds(c.purpose)
        if isinstance(c, P.InAudience):
            return exp.EQ(this=col(c.column), expression=num(1))
        if isinstance(c, P.Sample):
            return sample.bucket_below(col(self.id_text, scope), c.salt, c.below, self.d, self.f, negated=negated)
        if isinstance(c, P.Const):
            return const(c.value)
        if isinstance(c, P.Not):
            return not_(self.cond(c.operand, scope, param_scope, not negated))
        if isinstance(c, P.And):
            return and_(self.items(c.items, True, scope, param_scope, negated))
        return or_(self.items(c.items, False, scope, param_scope, negated))

    def items(self, items: tuple[P.Cond, ...], conj: bool, scope: str | None, param_scope: str | None,
              negated: bool) -> list[exp.Expr]:
        """The operands of an ``and`` (``conj``) / ``or``; packed tests of one word and
        polarity become one mask test: ``(w & M) = M`` (all set), ``(w & M) <> 0`` (any set),
        ``(w & M) = 0`` (all clear), ``(w & M) <> M`` (any clear)."""
        groups: dict[tuple[int, bool], int] = {}
        for x in items:
            atom = self.atoms.get(x) if isinstance(x, P.AggTest) else None
            if atom is not None:
                groups[(atom[0], atom[2])] = groups.get((atom[0], atom[2]), 0) | atom[1]
        out: list[exp.Expr] = []
        done: set[tuple[int, bool]] = set()
        for x in items:
            atom = self.atoms.get(x) if isinstance(x, P.AggTest) else None
            if atom is None:
                out.append(self.cond(x, scope, param_scope, negated))
                continue
            key = (atom[0], atom[2])
            if key in done:
                continue
            done.add(key)
            mask = groups[key]
            if mask == atom[1]:
                out.append(self.cond(x, scope, param_scope, negated))
                continue
            bits = _bits(atom[0], mask)
            inverted = atom[2]
            # all hold: every bit set (or clear, inverted); any holds: some bit set (clear)
            if conj:
                out.append(exp.EQ(this=bits, expression=num(0 if inverted else mask)))
            else:
                out.append(exp.NEQ(this=bits, expression=num(mask if inverted else 0)))
        return out

    # ------------------------------------------------------------------ CTEs

    def params_cte(self) -> exp.Expr:
        """One row: the warehouse's current UTC time and each bound derived from it
        (see :mod:`audiencelang.sql.clock` for the expression per dialect)."""
        items: list[exp.Expr] = [alias(col("as_of", "now"), "as_of")]
        for s in self.plan.bounds:
            if s == 0:
                continue
            bound = (minus_seconds(self.d, col("as_of", "now"), s, self.f) if self.d.epoch_clock is None
                     else epoch_minus_seconds(self.d, col("as_of", "now"), s))
            items.append(alias(bound, param_name(s)))
        now = now_expr(self.d, self.f) if self.d.epoch_clock is None else epoch_now(self.d, self.f)
        inner_items = [alias(now, "as_of")]
        if self.plan.calendar:
            self.refuse_local_clock("a calendar window (today, yesterday, in last N calendar ...)")
            typed = calendar.typed(self.d)
            if not typed:
                inner_items.append(alias(calendar.local_today(self.d, self.plan.zone, self.f), "today"))
            for name in self.plan.calendar:
                unit, k = calendar.parse_name(name)
                # typed dialects: today read from the one clock reading, as_of (ClickHouse
                # evaluates each now64() call on its own)
                today = (calendar_typed.local_today(self.d, col("as_of", "now"), self.plan.zone, self.f) if typed
                         else col("today", "now"))
                first = calendar.start_date(self.d, today, unit, k, self.f)
                items.append(alias(calendar.midnight(self.d, first, self.plan.zone, self.f), name))
        inner = exp.Select(expressions=inner_items)
        return exp.Select(
            expressions=items,
            **{"from_": exp.From(this=exp.Subquery(this=inner, alias=exp.TableAlias(this=ident("now"))))},
        )

    def param_names(self) -> list[str]:
        """The columns of ``params`` (no as_of): the clock's bounds, then the calendar's."""
        return [param_name(b) for b in self.plan.bounds] + list(self.plan.calendar)

    def _from(self, source: exp.Expr, joins: list[exp.Join] | None = None) -> dict[str, object]:
        args: dict[str, object] = {"from_": exp.From(this=source)}
        if joins:
            args["joins"] = joins
        return args

    def _params_join(self) -> list[exp.Join]:
        if self.plan.as_of is not None:
            return []
        return [exp.Join(this=cte_ref(PARAMS), kind="CROSS")]

    @property
    def id_text(self) -> str:
        """The column holding the profile id as stored (see :meth:`key`)."""
        return "member_text" if self.dec.binary_ids else "member_id"

    def key(self, e: exp.Expr) -> exp.Expr:
        """Profile id ``e`` as the key the statement joins, groups and partitions by: the id
        itself, or its bytes where the dialect's collations would merge distinct ids
        (``Decisions.binary_ids``)."""
        if not self.dec.binary_ids:
            return e
        return self.f(exp.Cast, this=e, to=exp.DataType(this=exp.DataType.Type.BINARY))

    def profiles_cte(self) -> exp.Select:
        pr = self.plan.profiles
        items: list[exp.Expr] = [alias(self.key(col(pr.id, SRC)), "member_id")]
        if self.dec.binary_ids:
            items.append(alias(col(pr.id, SRC), "member_text"))
        items += [alias(col(t.column, SRC), t.alias) for t in pr.traits]
        physical = {t.alias: t.column for t in pr.traits}
        where = [not_null(col(pr.id, SRC))]
        for t in self.pushed:
            where.append(self.test(P.Test(P.FieldRef(physical[t.field.column], t.field.type), t.op, t.values,
                                          t.ignore_case), SRC, None, False))
        return exp.Select(expressions=items, where=exp.Where(this=and_(where)),
                          **self._from(table_ref(pr.table, SRC)))

    def upto_as_of(self, column: str, scope: str) -> exp.Expr:
        pscope = None if self.plan.as_of is not None else PARAMS
        return exp.LTE(this=self.clocked(col(column, scope)), expression=self.value(self.as_of_value, pscope))

    def scan_where(self, s: P.Scan, shared: list[P.Cond]) -> list[exp.Expr]:
        where = [not_null(col(s.user, SRC)), not_null(col(s.time, SRC)), self.upto_as_of(s.time, SRC)]
        return where + [self.cond(c, SRC, PARAMS) for c in shared]

    # ------------------------------------------------------------------ the CTEs (sql/build_scans.py, build_consent.py)

    def scan_cte(self, s: P.Scan | P.SequenceScan) -> exp.Select:
        return build_scans.scan_cte(self, s)

    def semi_join(self, s: P.Scan | P.SequenceScan) -> exp.Expr:
        return build_scans.semi_join(self, s)

    def anti_join(self, s: P.Scan | P.SequenceScan) -> exp.Expr:
        return build_scans.anti_join(self, s)

    def consent_ctes(self, c: P.ConsentScan) -> list[tuple[str, exp.Expr]]:
        return build_consent.consent_ctes(self, c)

    def scan_facts(self, s: P.Scan | P.SequenceScan, only: set[str] | None = None) -> list[exp.Expr]:
        """The scan's aggregate columns as ``facts`` reads them (count/sum 0 without rows);
        ``only``: just these columns."""
        items: list[exp.Expr] = []
        unread = self.dec.unread
        for a in s.aggregates:
            if (only is not None and a.name not in only) or a.name in unread:
                continue
            if a.func in ("count", "sum", "count_days"):
                value: exp.Expr = self.f(exp.Coalesce, this=col(a.name, s.name), expressions=[num(0)])
                if a.func == "sum" and self.d.round_sums is not None:
                    value = self.f(exp.Round, this=value, decimals=num(self.d.round_sums))
                items.append(alias(value, a.name))
            else:
                items.append(alias(col(a.name, s.name), a.name))
        return items

    def packed_cte(self) -> exp.Select:
        """``SELECT member_id, BIT_OR(w0) ... FROM (one SELECT per packed scan UNION ALL ...)
        GROUP BY member_id``: every packed test as one bit (see :meth:`_plan_packing`)."""
        parts: list[exp.Select] = []
        read = {n for t in self.atoms for n in (t.column, t.count) if n is not None}
        for s in self.packed:
            inner_items = [alias(col("member_id", s.name), "member_id"), *self.scan_facts(s, read)]
            if self.plan.as_of is None:
                inner_items += [alias(col(name, PARAMS), name) for name in self.param_names()]
            inner = exp.Select(expressions=inner_items, **self._from(cte_ref(s.name), self._params_join()))
            # a word is a sum of CASEs of distinct powers of two (bits are assigned in increasing
            # order, so the bits below 2^31 alone fit an INTEGER; larger literals are BIGINT)
            words: list[exp.Expr] = [num(0)] * self.words
            for t, (word, mask, inverted) in self.atoms.items():
                if not any(a.name == t.column for a in s.aggregates):
                    continue
                hit, miss = (num(0), num(mask)) if inverted else (num(mask), num(0))
                case = self.f(exp.Case, ifs=[self.f(exp.If, this=self.agg_test(t), true=hit)], default=miss)
                words[word] = case if words[word] == num(0) else exp.Add(this=words[word], expression=case)
            parts.append(exp.Select(
                expressions=[col("member_id"), *(alias(w, _word(i)) for i, w in enumerate(words))],
                **self._from(exp.Subquery(this=inner, alias=exp.TableAlias(this=ident("scan")))),
            ))
        union: exp.Expr = parts[0]
        for part in parts[1:]:
            union = exp.Union(this=union, expression=part, distinct=False)
        return exp.Select(
            expressions=[col("member_id"),
                         *(alias(self.f(exp.BitwiseOrAgg, this=col(_word(i))), _word(i)) for i in range(self.words))],
            group=exp.Group(expressions=[col("member_id")]),
            **self._from(exp.Subquery(this=union, alias=exp.TableAlias(this=ident("bits")))),
        )

    def facts_cte(self) -> exp.Select:
        pr = "profiles"
        # every column aliased: ClickHouse names an unaliased "t"."c" of a join "t.c"
        items: list[exp.Expr] = [alias(col("member_id", pr), "member_id")]
        if self.dec.binary_ids:
            items.append(alias(col("member_text", pr), "member_text"))
        items += [alias(col(t.alias, pr), t.alias) for t in self.plan.profiles.traits]
        joins: list[exp.Join] = []
        semi: list[exp.Expr] = []
        for s in self.plan.scans:
            if s.name in self.semi_scans:
                semi.append(self.semi_join(s))
                continue
            if s.name in self.anti_scans:
                semi.append(self.anti_join(s))
                continue
            if self.dec.excluding_test(s.name) is not None:
                listed = exp.Select(expressions=[col("member_id")], **self._from(cte_ref(s.name)))
                semi.append(exp.Not(this=exp.In(this=col("member_id", pr), query=exp.Subquery(this=listed))))
                continue
            if s in self.packed:
                continue
            items += self.scan_facts(s)
            joins.append(exp.Join(
                this=cte_ref(s.name), **self._join_kind(s.name in self.required_scans),
                on=exp.EQ(this=col("member_id", s.name), expression=col("member_id", pr)),
            ))
        if self.packed:
            items += [alias(self.f(exp.Coalesce, this=col(_word(i), PACKED), expressions=[num(0)]), _word(i))
                      for i in range(self.words)]
            joins.append(exp.Join(
                this=cte_ref(PACKED), side="LEFT",
                on=exp.EQ(this=col("member_id", PACKED), expression=col("member_id", pr)),
            ))
        if self.plan.consent is not None:
            for p in self.plan.consent.purposes:
                if p.name in self.dec.consent_having:
                    continue  # tested in the consent pass's HAVING
                for name in (p.granted_column, p.refused_column):
                    items.append(alias(self.f(exp.Coalesce, this=col(name, "consent"), expressions=[num(0)]), name))
            joins.append(exp.Join(
                this=cte_ref("consent"), **self._join_kind(self.consent_required),
                on=exp.EQ(this=col("member_id", "consent"), expression=col("member_id", pr)),
            ))
        if self.plan.as_of is None:
            items += [alias(col(name, PARAMS), name) for name in self.param_names()]
            joins += self._params_join()
        where = {"where": exp.Where(this=and_(semi))} if semi else {}
        fence = {"offset": exp.Offset(expression=num(0))} if self.dec.fence else {}
        return exp.Select(expressions=items, **where, **self._from(cte_ref(pr), joins), **fence)

    def fact_ctes(self) -> tuple[list[tuple[str, exp.Expr]], str]:
        """The CTEs up to one row per profile row with every fact and referenced audience
        (``params``, ``profiles``, the scans, ``packed``, ``consent``, ``facts``, ``aud_*``),
        and the name of the last: what a single statement and a batch share."""
        ctes: list[tuple[str, exp.Expr]] = []
        if self.plan.as_of is None:
            ctes.append((PARAMS, self.params_cte()))
        ctes.append(("profiles", self.profiles_cte()))
        for s in self.plan.scans:
            if s.name not in self.semi_scans and s.name not in self.anti_scans:
                ctes.append((s.name, self.scan_cte(s)))
        if self.packed:
            ctes.append((PACKED, self.packed_cte()))
        if self.plan.consent is not None:
            ctes.extend(self.consent_ctes(self.plan.consent))
        ctes.append(("facts", self.facts_cte()))
        prev = "facts"
        for sub in self.plan.audiences:
            name = "aud_" + sub.name
            ctes.append((name, exp.Select(
                expressions=[exp.Column(this=exp.Star(), table=ident(prev)),
                             alias(self.case01(self.cond(sub.membership, None, None)), sub.column)],
                **self._from(cte_ref(prev)),
            )))
            prev = name
        return ctes, prev

    def per_member(self, source: str) -> tuple[exp.Expr, exp.Group]:
        """The id column and the GROUP BY of one row per member of ``source``'s rows: the id
        as stored, grouped by the key (see :meth:`key`)."""
        if self.dec.binary_ids:
            return (alias(self.f(exp.Min, this=col("member_text")), "member_id"),
                    exp.Group(expressions=[col("member_id", source)]))
        return col("member_id"), exp.Group(expressions=[col("member_id")])

    def build(self) -> exp.Select:
        ctes, prev = self.fact_ctes()
        out = self.plan.output
        # One row per member id, also when profile ids repeat (docs/semantics.md): an id is a
        # member when any of its rows qualifies, with the smallest identifier of those rows; so
        # the gate's COUNT(*) counts people, not rows
        # ... unless the market declares one row per id (``unique_id``): then every row is
        # one member already, and the statement saves a hash aggregate over all members
        unique = self.plan.profiles.unique
        if unique:
            member_id: exp.Expr = alias(col("member_text"), "member_id") if self.dec.binary_ids else col("member_id")
            group = None
        else:
            member_id, group = self.per_member(prev)

        def per_id(agg: type[exp.Func], e: exp.Expr) -> exp.Expr:
            return e if unique else self.f(agg, this=e)

        member_items: list[exp.Expr] = [member_id]
        if out.identifier is not None:
            member_items.append(alias(per_id(exp.Min, col(out.identifier)), "identifier"))
        if out.suppress:
            # spec §11: 1 when a qualifying row of the id is in a suppression audience
            member_items.append(alias(per_id(exp.Max, self.case01(or_(
                [self.cond(c, None, None) for c in out.suppress]))), "suppressed"))
        everyone = isinstance(self.rest, P.Const) and self.rest.value  # all said in joins and profiles
        ctes.append(("members", exp.Select(
            expressions=member_items,
            **({} if everyone else {"where": exp.Where(this=self.cond(self.rest, None, None))}),
            **({} if unique else {"group": group}),
            **self._from(cte_ref(prev)),
        )))
        final_cols = ["member_id"] + (["identifier"] if out.identifier is not None else [])
        source = "members"
        if out.identifier is not None:
            # spec §11: a destination delivers only the members it can match (identifier not
            # null), and only they count toward its gate
            ctes.append(("matchable", exp.Select(
                expressions=[col(c) for c in [*final_cols, *(["suppressed"] if out.suppress else [])]],
                where=exp.Where(this=not_null(col("identifier"))),
                **self._from(cte_ref("members")),
            )))
            source = "matchable"
            if out.suppress:
                ctes.append(("deliverable", exp.Select(
                    expressions=[col(c) for c in final_cols],
                    where=exp.Where(this=exp.EQ(this=col("suppressed"), expression=num(0))),
                    **self._from(cte_ref("matchable")),
                )))
                source = "deliverable"
        if out.mode == "deliverable":
            # deliver (spec §11): every member once, with the identifier and whether the
            # destination would be handed it (identifier not null, not suppressed); no gate
            handed: exp.Expr = not_null(col("identifier"))
            if out.suppress:
                handed = exp.and_(handed, exp.EQ(this=col("suppressed"), expression=num(0)))
            final = exp.Select(expressions=[col("member_id"), col("identifier"),
                                            alias(self.case01(handed), "deliverable")],
                               **self._from(cte_ref("members")))
        elif out.mode == "size":
            final = exp.Select(expressions=[alias(self.f(exp.Count, this=exp.Star()), "size")],
                               **self._from(cte_ref("members")))
        elif out.mode == "counts":
            # one row for run's report: members (as analysed), those the destination cannot
            # match, and those it would be handed (what its gate counts)
            final = exp.Select(expressions=[
                alias(exp.Subquery(this=exp.Select(
                    expressions=[self.f(exp.Count, this=exp.Star())], **self._from(cte_ref(name)))), label)
                for name, label in (("members", "members"), ("matchable", "matchable"), (source, "delivered"))
            ])
        elif out.min_size:
            ctes.append(("gated", exp.Select(
                expressions=[*(col(c) for c in final_cols),
                             alias(exp.Window(this=self.f(exp.Count, this=exp.Star())), "member_count")],
                **self._from(cte_ref(source)),
            )))
            final = exp.Select(
                expressions=[col(c) for c in final_cols],
                where=exp.Where(this=exp.GTE(this=col("member_count"), expression=num(out.min_size))),
                **self._from(cte_ref("gated")),
            )
        else:
            final = exp.Select(expressions=[col(c) for c in final_cols], **self._from(cte_ref(source)))
        return self.with_ctes(final, ctes)

    def with_ctes(self, final: exp.Select, ctes: list[tuple[str, exp.Expr]]) -> exp.Select:
        """``WITH ctes final``, the CTEs renamed where one would hide a table the statement
        reads (:func:`audiencelang.sql.names.free_names`)."""
        final.set("with_", exp.With(expressions=[
            exp.CTE(this=body, alias=exp.TableAlias(this=ident(name))) for name, body in ctes
        ]))
        return names.unhidden(final, [name for name, _ in ctes], self.plan)


PACKED = "packed"
def _word(i: int) -> str:
    return f"packed_{i}"


def _bits(word: int, mask: int) -> exp.Expr:
    """``(packed_<word> & mask)``."""
    return exp.Paren(this=exp.BitwiseAnd(this=col(_word(word)), expression=num(mask)))


def _parse_instant_iso(text: str) -> str:
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(dt.UTC).replace(tzinfo=None)
    return format_instant(value)


def build_statement(plan: P.Plan, profile: DialectProfile, decisions: Decisions | None = None) -> exp.Select:
    """The whole statement for ``plan`` on ``profile``'s dialect, written as ``decisions``
    say (default: :func:`audiencelang.sql.physical.decide`). Raises :class:`BuildError`."""
    return Builder(plan, profile, decisions).build()


def build_explained(plan: P.Plan, profile: DialectProfile,
                    decisions: Decisions | None = None) -> tuple[exp.Select, list[exp.Func], dict[str, Any]]:
    """:func:`build_with_functions` plus the strategy (:meth:`Decisions.strategy`)."""
    b = Builder(plan, profile, decisions)
    tree = b.build()
    return tree, list(b.functions.values()), b.strategy()


def build_with_functions(plan: P.Plan, profile: DialectProfile,
                         decisions: Decisions | None = None) -> tuple[exp.Select, list[exp.Func]]:
    """The statement and one node of every distinct function it calls, in the order first
    made (for the allow-list check). Raises :class:`BuildError`."""
    b = Builder(plan, profile, decisions)
    tree = b.build()
    return tree, list(b.functions.values())
