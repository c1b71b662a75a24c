"""A sequence (spec §8) as window passes over each user's ordered occurrences.

For ``performed S1 then S2 [within D2] ... then Sk [within Dk] [WINDOW]`` the CTE of a
:class:`~audiencelang.sql.plan.SequenceScan` reads, per step, the occurrences of the step
(its event, filters and window; ``UNION ALL``: one row per occurrence and step, so an event
that is two steps is two rows), then one window pass per step::

    occ   member_id, t, step             one SELECT per step, UNION ALL
    lvl2  ..., p2 = MAX(t of step 1) over the rows before          (ORDER BY t, step DESC)
    lvl3  ..., p3 = MAX(t of step 2 rows that completed step 2) over the rows before
    ...
    seq   member_id, COUNT(*) of step-k rows that complete the sequence  GROUP BY member_id

An occurrence x of step i completes the chain up to i when the latest occurrence of step
i-1 that completes the chain up to i-1 and is strictly earlier than x exists and, with
``within Di``, ``t(x) - Di <= p``. The latest such predecessor is enough: any earlier one
has a longer gap, and it already completes everything before it.

**Ties.** The window is ``ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW`` ordered by
``t`` and then ``step`` *descending*: at one instant the rows of step i come before those of
step i-1, so a step-i row's frame holds exactly the step-(i-1) rows strictly earlier, on
every engine, however it orders the remaining ties (rows of the same step at the same
instant contribute nothing to each other). No ``RANGE`` frame with an interval offset
(not portable) is needed.

**An absent last step** ``then not Sk within Dk`` is one more pass in the opposite order
(``ORDER BY t DESC, step DESC``, same frame): for an occurrence y of step k-1, the rows
before it are the later ones and, at its own instant, those of step k, so ``MIN`` gives
the earliest occurrence of Sk at or after ``t(y)`` (the same instant counts, spec §8). y
completes when that is null or ``later - Dk > t(y)``; the wait ``t(y) <= as_of - Dk`` is
already in step k-1's row condition (see the lowering), and Sk's occurrences carry no
window (the wait may reach past it).

Every level keeps only the rows still needed (``step >= i - 1``). Gap arithmetic is
``t - N seconds`` in the dialect's explicit form (:func:`audiencelang.sql.clock.minus_seconds`;
on SQLite the whole seconds are shifted and the microseconds kept from the text: its
``DATETIME`` rounds a fraction to milliseconds, so ``...:59.999999`` would become the next
second).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from audiencelang.sql import plan as P
from audiencelang.sql.clock import minus_seconds
from audiencelang.sql.nodes import alias as _alias
from audiencelang.sql.nodes import col as _col
from audiencelang.sql.nodes import ident as _ident
from audiencelang.sql.nodes import num as _num
from audiencelang.sql.nodes import table_ref

if TYPE_CHECKING:
    from audiencelang.sql.build import Builder

__all__ = ["sequence_cte"]

_SRC = "src"
_LVL = "lvl"
PARAMS = "params"  # the CTE of the warehouse's current time (audiencelang.sql.build.PARAMS)


def _sub(select: exp.Select) -> exp.Subquery:
    return exp.Subquery(this=select, alias=exp.TableAlias(this=_ident(_LVL)))


def _prev(i: int) -> str:
    """The column holding, for a step-i row, the latest completing step-(i-1) time before it."""
    return f"p{i}"


class _Seq:
    def __init__(self, b: Builder, s: P.SequenceScan) -> None:
        self.b = b
        self.s = s

    def minus(self, e: exp.Expr, seconds: int) -> exp.Expr:
        """``e - seconds`` for a time column ``e`` (exact to the microsecond)."""
        d = self.b.d
        if d.instant_type is None:
            # SQLite text: DATETIME rounds a fraction to milliseconds (59.9999 s -> the next
            # second) and drops it; shift the whole seconds, then append the text's own fraction
            whole = self.b.substring(e.copy(), _num(1), 19)
            return exp.DPipe(this=minus_seconds(d, whole, seconds, self.b.f),
                             expression=self.b.substring(e.copy(), _num(20), 7), safe=True)
        return minus_seconds(d, e, seconds, self.b.f)

    def step_of(self) -> exp.Column:
        return _col("step")

    def completes(self, i: int) -> exp.Expr:
        """A row of step ``i`` (>= 2) that completes the chain up to step i (needs ``p<i>``)."""
        st = self.s.steps[i - 1]
        is_step = exp.EQ(this=self.step_of(), expression=_num(i))
        prev = _col(_prev(i))
        if st.within is None:
            ok: exp.Expr = exp.Not(this=exp.Is(this=prev, expression=exp.Null()))
        else:
            ok = exp.LTE(this=self.minus(_col("t"), st.within), expression=prev.copy())
        return exp.And(this=is_step, expression=ok)

    def reached(self, i: int) -> exp.Expr:
        """A row of step ``i`` that completes the chain up to it."""
        if i == 1:
            return exp.EQ(this=self.step_of(), expression=_num(1))
        return self.completes(i)

    def window(self, fn: type[exp.Max] | type[exp.Min], value: exp.Expr, descending: bool) -> exp.Window:
        f = self.b.f
        agg = f(fn, this=f(exp.Case, ifs=[f(exp.If, this=value, true=_col("t"))]))
        return exp.Window(
            this=agg,
            partition_by=[_col("member_id")],
            # neither column is ever null: the null order given is the one sqlglot takes as
            # every dialect's default (nulls small), so no dialect needs it translated
            order=exp.Order(expressions=[exp.Ordered(this=_col("t"), desc=descending, nulls_first=not descending),
                                         exp.Ordered(this=self.step_of(), desc=True, nulls_first=False)]),
            spec=exp.WindowSpec(kind="ROWS", start="UNBOUNDED", start_side="PRECEDING", end="CURRENT ROW"),
        )

    def occurrences(self) -> exp.Expr:
        parts = [self.occurrences_of(i, True) for i in range(1, len(self.s.steps) + 1)]
        out: exp.Expr = parts[0]
        for part in parts[1:]:
            out = exp.Union(this=out, expression=part, distinct=False)
        return out

    def occurrences_of(self, i: int, with_step: bool) -> exp.Select:
        """``member_id, t[, step]`` of step ``i``'s occurrences."""
        b = self.b
        st = self.s.steps[i - 1]
        where = [exp.Not(this=exp.Is(this=_col(st.user, _SRC), expression=exp.Null())),
                 exp.Not(this=exp.Is(this=_col(st.time, _SRC), expression=exp.Null())),
                 b.upto_as_of(st.time, _SRC)]
        if st.condition is not None:
            where.append(b.cond(st.condition, _SRC, PARAMS))
        cond = where[0]
        for w in where[1:]:
            cond = exp.And(this=cond, expression=exp.Paren(this=w) if isinstance(w, exp.Or) else w)
        return exp.Select(
            expressions=[_alias(self.b.key(_col(st.user, _SRC)), "member_id"), _alias(_col(st.time, _SRC), "t"),
                         *([_alias(_num(i), "step")] if with_step else [])],
            where=exp.Where(this=cond),
            **b._from(table_ref(st.table, _SRC), b._params_join()),
        )

    def asof(self) -> exp.Select:
        """The same answer as :meth:`build` with ASOF joins (DuckDB): step by step, each
        occurrence joined with the latest strictly earlier completing occurrence of the step
        before (``o.t > p.t``; the inner ASOF join drops an occurrence without one), kept when
        the gap is within; an absent step: the earliest occurrence at or after
        (``y.t <= z.t``, the same instant counting) by an ASOF LEFT JOIN."""
        steps = self.s.steps
        absent = steps[-1].absent
        last = len(steps) - 1 if absent else len(steps)

        def sub(select: exp.Select, name: str) -> exp.Subquery:
            return exp.Subquery(this=select, alias=exp.TableAlias(this=_ident(name)))

        done: exp.Select = self.occurrences_of(1, False)
        for i in range(2, last + 1):
            within = steps[i - 1].within
            on = exp.And(this=exp.EQ(this=_col("member_id", "o"), expression=_col("member_id", "p")),
                         expression=exp.GT(this=_col("t", "o"), expression=_col("t", "p")))
            args: dict[str, object] = {}
            if within is not None:
                args["where"] = exp.Where(this=exp.LTE(this=self.minus(_col("t", "o"), within),
                                                       expression=_col("t", "p")))
            done = exp.Select(
                expressions=[_alias(_col("member_id", "o"), "member_id"), _alias(_col("t", "o"), "t")],
                **args,
                **self.b._from(sub(self.occurrences_of(i, False), "o"),
                               [exp.Join(this=sub(done, "p"), method="ASOF", on=on)]),
            )
        (agg,) = self.s.aggregates
        count = _alias(self.b.f(exp.Count, this=exp.Star()), agg.name)
        if not absent:
            return exp.Select(expressions=[_col("member_id"), count], group=exp.Group(expressions=[_col("member_id")]),
                              **self.b._from(sub(done, _LVL)))
        wait = steps[-1].within
        assert wait is not None  # the checker requires `within` on an absent step
        on = exp.And(this=exp.EQ(this=_col("member_id", "y"), expression=_col("member_id", "z")),
                     expression=exp.LTE(this=_col("t", "y"), expression=_col("t", "z")))
        later = _col("t", "z")
        return exp.Select(
            expressions=[_alias(_col("member_id", "y"), "member_id"), count],
            where=exp.Where(this=exp.Or(this=exp.Is(this=later, expression=exp.Null()),
                                        expression=exp.GT(this=self.minus(later.copy(), wait),
                                                          expression=_col("t", "y")))),
            group=exp.Group(expressions=[_col("member_id", "y")]),
            **self.b._from(sub(done, "y"),
                           [exp.Join(this=sub(self.occurrences_of(len(steps), False), "z"), method="ASOF",
                                     side="LEFT", on=on)]),
        )

    def build(self) -> exp.Select:
        steps = self.s.steps
        absent = steps[-1].absent
        last = len(steps) - 1 if absent else len(steps)  # the last step that must happen
        columns = ["member_id", "t", "step"]
        source: exp.Expr = exp.Subquery(this=self.occurrences(), alias=exp.TableAlias(this=_ident(_LVL)))
        for i in range(2, last + 1):
            level = exp.Select(
                expressions=[*(_col(c) for c in columns),
                             _alias(self.window(exp.Max, self.reached(i - 1), False), _prev(i))],
                where=exp.Where(this=exp.GTE(this=self.step_of(), expression=_num(i - 1))),
                **self.b._from(source),
            )
            columns.append(_prev(i))
            source = _sub(level)
        done = self.reached(last)
        if absent:
            level = exp.Select(
                expressions=[*(_col(c) for c in columns),
                             _alias(self.window(exp.Min, exp.EQ(this=self.step_of(), expression=_num(len(steps))),
                                                True), "later")],
                where=exp.Where(this=exp.GTE(this=self.step_of(), expression=_num(last))),
                **self.b._from(source),
            )
            source = _sub(level)
            wait = steps[-1].within
            assert wait is not None  # the checker requires `within` on an absent step
            later = _col("later")
            done = exp.And(this=done, expression=exp.Paren(this=exp.Or(
                this=exp.Is(this=later, expression=exp.Null()),
                expression=exp.GT(this=self.minus(later.copy(), wait), expression=_col("t")),
            )))
        (agg,) = self.s.aggregates
        return exp.Select(
            expressions=[_col("member_id"), _alias(self.b.f(exp.Count, this=exp.Star()), agg.name)],
            where=exp.Where(this=done),
            group=exp.Group(expressions=[_col("member_id")]),
            **self.b._from(source),
        )


def sequence_cte(b: Builder, s: P.SequenceScan) -> exp.Select:
    """The CTE of sequence scan ``s``: ``member_id`` and the count of completions
    (see the module docstring), written as the physical plan decided (window passes, or
    ASOF joins on DuckDB)."""
    seq = _Seq(b, s)
    return seq.asof() if b.dec.sequences == "asof joins" else seq.build()
