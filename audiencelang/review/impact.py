"""Member impact of a diff, computed in the warehouse (``diff --db``).

Entry point: :func:`add_impact`. For each changed audience and each market where it
compiles on at least one side, one statement: both compiled member queries as CTEs
(``before``, ``after``; a side that does not exist or does not compile is an empty
set), and one row of counts — members before and after, how many enter (in ``after``,
not in ``before``) and how many leave. Member lists never leave the warehouse. The
gate status per destination follows from the counts and the gates of each side
(``max(min size, destination min_size)``, as ``run`` reports it).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from typing import Any

from sqlglot import exp

from audiencelang.project import Project
from audiencelang.review.diff import AudienceDiff, Impact, ProjectDiff, affected_markets
from audiencelang.run.engines import Engine, RunError

__all__ = ["add_impact", "impact_statement"]


def _tree(project: Project | None, name: str, market: str, dialect: str,
          as_of: dt.datetime) -> tuple[exp.Expression | None, Any, str | None, set[str]]:
    """The members statement of ``name`` in ``market`` as a sqlglot tree, the checked
    audience, why there is none (``None`` when absent on this side) and the tables it reads."""
    if project is None or market not in project.markets or name not in project.audiences():
        return None, None, None, set()
    from audiencelang.check import check_audience
    from audiencelang.sql import compile_audience
    from audiencelang.sql.build import BuildError, build_explained
    from audiencelang.sql.dialects import DIALECTS
    from audiencelang.sql.names import plan_tables

    checked, _ = check_audience(project, name, market)
    if checked is None:
        return None, None, None, set()
    result = compile_audience(checked, dialect, as_of=as_of)
    if result.query is None:
        err = next((d for d in result.diagnostics if d.is_error), None)
        return None, checked, err.message if err else "does not compile", set()
    tables = plan_tables(result.query.plan)
    try:
        tree, _, _ = build_explained(result.query.plan, DIALECTS[dialect])
    except BuildError as exc:
        return None, checked, str(exc), tables
    return tree, checked, None, tables


def impact_statement(before: exp.Expression | None, after: exp.Expression | None,
                     tables: Iterable[str] = ()) -> exp.Select:
    """``WITH before AS (...), after AS (...) SELECT before_size, after_size, entered, left``.

    A missing side is an empty set of the other side's shape (``WHERE FALSE``). ``tables``:
    the tables the two statements read; a ``before`` or ``after`` among them (ignoring case)
    makes the two CTEs ``al_before``, ``al_after`` (:func:`audiencelang.sql.names.free_names`)."""
    from audiencelang.sql.names import free_names

    names = free_names(["before", "after"], tables)
    assert before is not None or after is not None
    shape = before if before is not None else after
    assert shape is not None

    def empty() -> exp.Expression:
        return exp.select(exp.column("member_id", "s", quoted=True)).from_(
            exp.Subquery(this=shape.copy(), alias=exp.TableAlias(this=exp.to_identifier("s", quoted=True)))
        ).where(exp.false())

    b = before if before is not None else empty()
    a = after if after is not None else empty()

    def ident(n: str) -> exp.Identifier:
        return exp.to_identifier(n, quoted=True)

    def count_of(table: str) -> exp.Subquery:
        return exp.Subquery(this=exp.select(exp.Count(this=exp.Star())).from_(exp.Table(this=ident(table))))

    def only_in(x: str, y: str) -> exp.Subquery:
        inner = exp.select(exp.Literal.number(1)).from_(exp.Table(this=ident(y))).where(
            exp.EQ(this=exp.Column(this=ident("member_id"), table=ident(y)),
                   expression=exp.Column(this=ident("member_id"), table=ident(x))))
        q = exp.select(exp.Count(this=exp.Star())).from_(exp.Table(this=ident(x))).where(
            exp.Not(this=exp.Exists(this=inner)))
        return exp.Subquery(this=q)

    sel = exp.Select(expressions=[
        exp.Alias(this=count_of(names["before"]), alias=ident("before_size")),
        exp.Alias(this=count_of(names["after"]), alias=ident("after_size")),
        exp.Alias(this=only_in(names["after"], names["before"]), alias=ident("entered")),
        exp.Alias(this=only_in(names["before"], names["after"]), alias=ident("left_count")),
    ])
    with_ = exp.With(expressions=[
        exp.CTE(this=b, alias=exp.TableAlias(this=ident(names["before"]))),
        exp.CTE(this=a, alias=exp.TableAlias(this=ident(names["after"]))),
    ])
    sel.set("with_", with_) if "with_" in exp.Select.arg_types else sel.set("with", with_)
    return sel


def _gate(checked: Any, dest: str, size: int, engine: Engine, as_of: dt.datetime) -> tuple[int, str] | None:
    """The gate of ``dest`` for ``size`` members, as ``run`` reports it: with an identifier,
    only the members that have it count (spec §11), counted in the warehouse."""
    from audiencelang.run.execute import Gate, _destination_counts

    if checked is None or dest not in checked.destinations:
        return None
    if checked.destinations[dest].identifier is not None and dest not in checked.blocked:
        counted, _ = _destination_counts(engine, checked, as_of, dest, checked.name, checked.market.market)
        if counted is not None:
            size = counted[2]
    lit = checked.audience.min_size
    minimum = max(math.ceil(lit.value) if lit is not None else 0, int(checked.destinations[dest].min_size))
    return minimum, Gate(destination=dest, minimum=minimum, size=size).status_text


def _one(engine: Engine, old: Project | None, new: Project | None, d: AudienceDiff, market: str,
         as_of: dt.datetime) -> Impact:
    old_name = d.old_name or d.name
    tb, cb, eb, read_b = _tree(old, old_name, market, engine.dialect, as_of)
    ta, ca, ea, read_a = _tree(new, d.name, market, engine.dialect, as_of)
    if eb or ea:
        return Impact(market, None, None, 0, 0, error=eb or ea)
    if tb is None and ta is None:
        return Impact(market, None, None, 0, 0, error="does not compile on either side")
    stmt = impact_statement(tb, ta, read_b | read_a)
    sql = stmt.sql(dialect=engine.dialect, pretty=False)
    try:
        market_model = (new or old).markets.get(market) if (new or old) is not None else None  # type: ignore[union-attr]
        if market_model is not None:
            engine.prepare(market_model)
        _, rows = engine.fetch_all(sql, audience=d.name, market=market)
    except RunError as exc:
        return Impact(market, None, None, 0, 0, error=exc.diagnostic.message)
    before_size, after_size, entered, left = (int(x) for x in rows[0])
    gates = []
    dests = sorted({*(cb.destinations if cb else {}), *(ca.destinations if ca else {})})
    for dest in dests:
        gb = _gate(cb, dest, before_size, engine, as_of) if tb is not None else None
        ga = _gate(ca, dest, after_size, engine, as_of) if ta is not None else None
        gates.append({"destination": dest, "before": gb[1] if gb else None, "after": ga[1] if ga else None,
                      "min_before": gb[0] if gb else None, "min_after": ga[0] if ga else None})
    return Impact(market, before_size if tb is not None else None, after_size if ta is not None else None,
                  entered, left, gates)


def add_impact(diff: ProjectDiff, old: Project | None, new: Project | None, engine: Engine,
               as_of: dt.datetime) -> None:
    """Fill ``impact`` of every audience whose members may have changed, one statement per
    audience and market, at the fixed reference time ``as_of``."""
    diff.as_of = as_of.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    for d in diff.audiences:
        if d.status == "formatting":
            continue
        for m in affected_markets(d):
            d.impact.append(_one(engine, old, new, d, m, as_of))
