"""The event scans of a statement: one grouped pass per scan of the plan (``scan_cte``),
or, where :mod:`audiencelang.sql.physical` decided so, no pass at all but a semi-join
(``member_id IN (SELECT user ...)``) or an anti-join (``NOT EXISTS (...)``) in ``facts``.

Functions of a :class:`~audiencelang.sql.build.Builder` (its expression primitives and the
decisions); the builder calls them for each scan."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from audiencelang.sql import calendar
from audiencelang.sql import plan as P
from audiencelang.sql.build_seq import sequence_cte
from audiencelang.sql.nodes import (
    BuildError,
    alias,
    and_,
    col,
    cte_ref,
    not_,
    not_null,
    num,
    table_ref,
)
from audiencelang.sql.physical import conjuncts_of

if TYPE_CHECKING:
    from audiencelang.sql.build import Builder

__all__ = ["anti_join", "day", "of_profiles", "rows_of", "scan_cte", "semi_join"]

SRC = "src"
PARAMS = "params"


def of_profiles(b: Builder, s: P.Scan) -> list[exp.Expr]:
    """``user IN (SELECT member_id FROM profiles)``: a hash semi-join that keeps only the
    rows of profiles passing the top-level trait tests, before grouping, for the scans
    :func:`audiencelang.sql.physical.decide` chose (``profile_filtered``). Exact: a
    scan's rows only ever reach the statement through the join with ``profiles`` on
    that id."""
    if s.name not in b.dec.profile_filtered:
        return []
    sub = exp.Select(expressions=[col("member_id")], **b._from(cte_ref("profiles")))
    return [exp.In(this=b.key(col(s.user, SRC)), query=exp.Subquery(this=sub))]


def rows_of(b: Builder, s: P.Scan | P.SequenceScan) -> list[exp.Expr]:
    """The conditions of the rows a scan read by one plain row count counts."""
    assert isinstance(s, P.Scan)  # physical.decide makes semi- and anti-joins of event scans only
    (a,) = s.aggregates
    assert a.func == "count"  # _is_exists / _absence admit count tests only
    shared = list(dict.fromkeys(conjuncts_of(a.condition) + (conjuncts_of(s.prune) if s.prune else [])))
    shared = [c for c in shared if not (isinstance(c, P.Const) and c.value)]
    where = b.scan_where(s, shared)
    if a.column is not None:  # count(E.p) counts the rows whose p is not null
        where.append(not_null(col(a.column.column, SRC)))
    return where


def semi_join(b: Builder, s: P.Scan | P.SequenceScan) -> exp.Expr:
    """``profiles.member_id IN (SELECT user FROM events WHERE ...)`` for a scan read by one
    top-level ``count >= 1``: no grouping, and the engine can filter the event rows by the
    (selective) profiles while it reads them."""
    assert isinstance(s, P.Scan)
    sub = exp.Select(expressions=[b.key(col(s.user, SRC))], where=exp.Where(this=and_(rows_of(b, s))),
                     **b._from(table_ref(s.table, SRC), b._params_join()))
    return exp.In(this=col("member_id", "profiles"), query=exp.Subquery(this=sub))


def anti_join(b: Builder, s: P.Scan | P.SequenceScan) -> exp.Expr:
    """``NOT EXISTS (SELECT 1 FROM events WHERE user = profiles.member_id AND ...)`` for a
    scan read by one top-level ``not performed`` (``count = 0``): the engine's anti-join
    keeps the profiles without such a row, with no count per user and no join of counts."""
    assert isinstance(s, P.Scan)
    where = [exp.EQ(this=b.key(col(s.user, SRC)), expression=col("member_id", "profiles")),
             *rows_of(b, s)]
    sub = exp.Select(expressions=[num(1)], where=exp.Where(this=and_(where)),
                     **b._from(table_ref(s.table, SRC), b._params_join()))
    return exp.Not(this=b.f(exp.Exists, this=sub))


def day(b: Builder, e: exp.Expr) -> exp.Expr:
    """The calendar day of time ``e`` in the market's zone, as a value only compared with
    other days (``distinct days``). Dialects with an epoch clock: exact for naive and zoned
    columns in any session time zone (:func:`audiencelang.sql.calendar.local_day`). Else,
    in a UTC market only: SQLite's text timestamps, the date part (``YYYY-MM-DD``);
    elsewhere a cast to the date type (a naive UTC column's UTC day)."""
    if b.d.epoch_clock is not None:
        return calendar.local_day(b.d, e, b.plan.zone, b.f)
    if b.plan.zone != "UTC":
        why = calendar.unsupported(b.d, b.plan.zone)
        if why is None:
            return calendar.local_day(b.d, e, b.plan.zone, b.f)
        raise BuildError(
            "E509", f"'distinct days' counts the local days of time zone {b.plan.zone}, which dialect "
            f"'{b.d.name}' cannot compute here: {why}",
            "count them on a dialect that computes them (docs/sql.md, \"Calendars from the warehouse "
            "clock\"); the reference evaluator counts them too")
    to = b.d.date_cast()
    if to is None:
        return b.substring(e, num(1), 10)
    return b.f(exp.Cast, this=e, to=to)


def scan_cte(b: Builder, s: P.Scan | P.SequenceScan) -> exp.Select:
    if isinstance(s, P.SequenceScan):
        return sequence_cte(b, s)
    pscope = PARAMS
    items: list[exp.Expr] = [alias(b.key(col(s.user, SRC)), "member_id")]
    conditions = {a.condition for a in s.aggregates}
    # one condition shared by every aggregate: filter the rows by it (WHERE) instead of a
    # CASE per aggregate, so only the rows that count are grouped. Exact: a profile left
    # without rows reads 0 for count/sum (COALESCE) and no value for avg (guarded by a
    # count of the same rows, also 0) or min/max (NULL)
    only = next(iter(conditions)) if len(conditions) == 1 else None
    if isinstance(only, P.Const):
        only = None
    # what every row satisfies: the shared condition, then what of prune it does not
    # already say (one pass per table: nothing, prune is the union of what the aggregates
    # read; split scans: the row filter, the aggregates hold only windows)
    shared = conjuncts_of(only) if only is not None else []
    shared += [c for c in (conjuncts_of(s.prune) if s.prune is not None else []) if c not in shared]

    def always(a: P.Aggregate) -> bool:
        # an aggregate whose condition every row satisfies needs no CASE (split scans: the
        # widest window is the scan's lower bound)
        return (only is not None or (isinstance(a.condition, P.Const) and bool(a.condition.value))
                or all(c in shared for c in conjuncts_of(a.condition)))

    by_name = {a.name: a for a in s.aggregates}

    def trivial(t: P.AggTest) -> bool:  # COUNT(*) >= 1 holds for every group
        a = by_name.get(t.column)
        return (t.func == "count" and t.op == ">=" and t.value is not None and t.value.text == "1"
                and a is not None and a.func == "count" and a.column is None and always(a))

    excluding = b.dec.excluding_test(s.name)
    having_tests = [t for t in b.dec.having_of(s.name) if not trivial(t)]
    # what the HAVING reads: an aggregate nothing else reads is not even computed without it
    in_having = {n for t in [*having_tests, *([excluding] if excluding is not None else [])]
                 for n in (t.column, t.count) if n is not None}
    for a in s.aggregates:
        if a.name in b.dec.unread and a.name not in in_having:
            continue
        cond = None if always(a) else b.cond(a.condition, SRC, pscope)
        fn = {"count": exp.Count, "sum": exp.Sum, "min": exp.Min, "max": exp.Max,
              "count_days": exp.Count}[a.func]
        if a.func == "count_days":  # COUNT(DISTINCT day [FILTER | CASE]) of the time column
            assert a.column is not None
            when = day(b, col(a.column.column, SRC))
            if cond is not None and not b.dec.filter_clause:
                when = b.f(exp.Case, ifs=[b.f(exp.If, this=cond, true=when)])
            agg: exp.Expr = b.f(exp.Count, this=exp.Distinct(expressions=[when]))
            if cond is not None and b.dec.filter_clause:
                agg = exp.Filter(this=agg, expression=exp.Where(this=cond))
            items.append(alias(agg, a.name))
            continue
        if cond is not None and b.dec.filter_clause:
            # AGG(column) FILTER (WHERE cond): the engine sees the column itself (DuckDB
            # keeps its statistics: an overflow-free SUM) and evaluates a filter shared by
            # several aggregates once
            target: exp.Expr = exp.Star() if a.column is None else col(a.column.column, SRC)
            items.append(alias(exp.Filter(this=b.f(fn, this=target),
                                          expression=exp.Where(this=cond)), a.name))
            continue
        if a.column is None:
            arg: exp.Expr = exp.Star() if cond is None else b.f(exp.Case,
                ifs=[b.f(exp.If, this=cond, true=num(1))])
        else:
            value = col(a.column.column, SRC)
            arg = value if cond is None else b.f(exp.Case, ifs=[b.f(exp.If, this=cond, true=value)])
        items.append(alias(b.f(fn, this=arg), a.name))
    where = b.scan_where(s, shared)
    where += of_profiles(b, s)
    having = {}
    if having_tests or excluding is not None:
        # the membership's tests on this scan, over the aggregates themselves
        # (physical._having): only users passing them are joined
        aggs: dict[str, exp.Expr] = {i.alias: i.this for i in items if isinstance(i, exp.Alias)}

        zero = {a.name for a in s.aggregates if a.func in ("count", "sum")}

        def over_aggs(node: exp.Expr) -> exp.Expr:
            # the facts' value: a SUM over no selected row is 0 there (COALESCE), not NULL
            if isinstance(node, exp.Column) and not node.table and node.name in aggs:
                agg = aggs[node.name].copy()
                return b.f(exp.Coalesce, this=agg, expressions=[num(0)]) if node.name in zero else agg
            return node

        tests = [b.agg_test(t).transform(over_aggs) for t in having_tests]
        if excluding is not None:  # the users failing it: facts keeps the profiles not listed
            tests.append(not_(b.agg_test(excluding).transform(over_aggs)))
        if tests:
            having = {"having": exp.Having(this=and_(tests))}
    unread = b.dec.unread
    if unread:  # computed for the HAVING above, read by nothing after it (physical._unread)
        items = [i for i in items if not (isinstance(i, exp.Alias) and i.alias in unread)]
    return exp.Select(
        expressions=items,
        where=exp.Where(this=and_(where)),
        group=exp.Group(expressions=[b.key(col(s.user, SRC))]),
        **having,
        **b._from(table_ref(s.table, SRC), b._params_join()),
    )
