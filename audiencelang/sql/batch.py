"""Many audiences of one market -> shared statements (``run --all``, issue 20).

    from audiencelang.sql import compile_batch
    batch = compile_batch([checked_a, checked_b, ...], "duckdb", as_of=as_of)
    for statement in batch.statements:
        rows = ...  # run statement.sql
        members = statement.members(rows)   # audience name -> member ids
    batch.left_out                          # audience -> why it runs on its own

Each audience is lowered as for its own statement (one pass per event table), then the
plans are merged (:func:`merge`): one grouped pass per event table holding every
audience's conditional aggregates (an aggregate several audiences use — same table,
function, column and condition — is computed once), one consent pass holding every
purpose, each referenced audience computed once, and every audience's membership over the
shared ``facts``. The statement (:mod:`audiencelang.sql.build_batch`) returns one row per
profile id that is a member of any of them, the audiences it is in as bits of ``w_0``,
``w_1``...; :meth:`BatchStatement.members` turns the rows back into member ids per audience.
Where one statement would be too wide for the dialect
(:func:`audiencelang.sql.physical.batch_groups`), the audiences are split over a few
statements, each still shared by many.

Nothing changes an answer: every membership is the audience's own formula over columns
computed exactly as its own statement computes them (the tests hold each audience's
members in the batch to its own statement's, tests/test_batch.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from sqlglot.errors import ErrorLevel, SqlglotError

from audiencelang.arguments import returns_diagnostics
from audiencelang.diagnostics import Diagnostic, error
from audiencelang.gcpause import paused_gc
from audiencelang.sql import plan as P
from audiencelang.sql.batch_passes import split_by_window
from audiencelang.sql.build import BuildError
from audiencelang.sql.build_batch import build_batch, word_name
from audiencelang.sql.dialects import DIALECTS, DialectProfile
from audiencelang.sql.literals import substitution_free
from audiencelang.sql.lower import to_utc_naive
from audiencelang.sql.physical import (
    WORD_BITS,
    batch_bit_or,
    batch_groups,
    batch_window_passes,
    conjuncts_of,
    decide,
    split_scans,
)

if TYPE_CHECKING:
    from audiencelang.check.checked import CheckedAudience

__all__ = ["BatchResult", "BatchStatement", "compile_batch", "merge"]


@dataclass(frozen=True)
class BatchStatement:
    """One shared statement: its rows are ``member_id, w_0, w_1, ...``; audience ``k`` of
    ``audiences`` is bit ``k % 62`` of ``w_(k // 62)``."""

    sql: str
    audiences: tuple[str, ...]
    plan: P.Plan
    dialect: str
    market: str
    as_of: dt.datetime | None
    columns: tuple[str, ...]

    def members(self, rows: Iterable[Sequence[Any]]) -> dict[str, list[Any]]:
        """Member ids per audience (every audience of the statement, possibly with none), in
        the order of the rows."""
        out: dict[str, list[Any]] = {a: [] for a in self.audiences}
        lists = [out[a] for a in self.audiences]
        # the member lists of each word value, decoded once: ids share few distinct values
        # (one million ids of 100 audiences: the bit loop per row was 1.2 s of Python)
        seen: list[dict[Any, tuple[list[Any], ...]]] = [{} for _ in self.columns[1:]]
        for row in rows:
            member = row[0]
            for w, value in enumerate(row[1:]):
                if not value:
                    continue
                targets = seen[w].get(value)
                if targets is None:
                    bits, base, hit = int(value), w * WORD_BITS, []
                    while bits:
                        low = bits & -bits
                        hit.append(lists[base + low.bit_length() - 1])
                        bits ^= low
                    targets = seen[w][value] = tuple(hit)
                for target in targets:
                    target.append(member)
        return out


@dataclass(frozen=True)
class BatchResult:
    """``statements``: the shared statements; ``left_out``: the audiences no statement
    holds, with the diagnostics saying why (each does not compile on its own either, or the
    shared statement could not be written for the dialect: run them one by one)."""

    statements: tuple[BatchStatement, ...] = ()
    left_out: dict[str, tuple[Diagnostic, ...]] = field(default_factory=dict)
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def audiences(self) -> tuple[str, ...]:
        return tuple(a for s in self.statements for a in s.audiences)


# ---------------------------------------------------------------------------- merging


@dataclass(frozen=True)
class Merged:
    """A shared plan (``plan.membership`` is unused: the ``or`` of every audience's) and each
    audience's membership over its ``facts``, in the order of the merged plans."""

    plan: P.Plan
    audiences: tuple[str, ...]
    memberships: tuple[P.Cond, ...]


class _Merger:
    def __init__(self, split: bool, event_columns: frozenset[tuple[tuple[str, ...], str]]) -> None:
        self.split = split
        self.event_columns = event_columns
        self.scan_keys: dict[tuple[Any, ...], int] = {}
        self.scans: list[P.Scan | P.SequenceScan] = []
        self.aggs: dict[tuple[Any, ...], str] = {}
        self.names: set[str] = set()
        self.scan_names: set[str] = set()
        self.prunes: list[list[P.Cond | None]] = []
        self.lowers: list[list[P.Test | None]] = []
        #: per scan, per merged plan scan: (its key's row filter, the rest of its row filter)
        self.filters: list[list[tuple[tuple[Any, ...], tuple[P.Cond, ...]]]] = []
        self.traits: dict[str, P.Trait] = {}
        self.purposes: dict[str, P.ConsentPurpose] = {}
        self.consent: P.ConsentScan | None = None
        self.bounds: set[int] = set()
        self.subs: dict[str, P.SubAudience] = {}
        self.sub_by_formula: dict[P.Cond, str] = {}

    def fresh(self, base: str, taken: set[str]) -> str:
        name, i = base, 2
        while name in taken:
            name, i = f"{base}_{i}", i + 1
        taken.add(name)
        return name

    def agg_name(self, old: str) -> str:
        head, _, tail = old.rpartition("_")
        return self.fresh((head if tail.isdigit() and head else old)[:40] + f"_b{len(self.names) + 1}", self.names)

    def add_scan(self, s: P.Scan | P.SequenceScan, renames: dict[str, str]) -> None:
        if isinstance(s, P.SequenceScan):
            key: tuple[Any, ...] = ("seq", s.steps)
            (a,) = s.aggregates
            found = self.scan_keys.get(key)
            if found is not None:
                renames[a.name] = self.scans[found].aggregates[0].name
                return
            new = self.agg_name(a.name)
            renames[a.name] = new
            self.scan_keys[key] = len(self.scans)
            self.scans.append(P.SequenceScan(self.fresh(s.name, self.scan_names), s.steps,
                                             (replace(a, name=new),)))
            self.prunes.append([])
            self.lowers.append([])
            self.filters.append([])
            return
        base: tuple[Any, ...] = ("scan", s.table, s.user, s.time)
        if not self.split:  # one pass per table: the plans' own conditions, their prunes or-ed
            self.contribute(base, s, s.aggregates, (), renames)
            return
        # one pass per event: each aggregate goes by what it counts (the scan's row filter
        # and its own condition, flattened, without what the condition implies), not by where
        # its plan put the filter. A table one plan reads whole (lower._read_whole) holds
        # conditional aggregates that another plan filters in a scan of their own: a
        # referenced audience must land on the same aggregates from both (E741 otherwise)
        lower = _lower_bound(s)
        prune = conjuncts_of(s.prune) if s.prune is not None else []
        groups: dict[tuple[Any, ...], list[P.Aggregate]] = {}
        for a in s.aggregates:
            own = conjuncts_of(a.condition)
            full = list(dict.fromkeys(
                c for c in (*(p for p in prune if not _implied(p, own, s.time)), *own)
                if not (isinstance(c, P.Const) and c.value)))
            first = full[0] if full else None
            # the event's own `where` first: that event's pass (else one pass over the table)
            if (isinstance(first, P.Test) and first.op == "="
                    and (s.table, first.field.column) in self.event_columns):
                key, rest = (*base, first), full[1:]
            else:
                key, rest = (*base, None), full
            groups.setdefault(key, []).append(replace(a, condition=_conj(rest)))
        for key, aggs in groups.items():
            self.contribute(key, s, aggs, _common_filter(aggs, s.time), renames, lower)

    def contribute(self, key: tuple[Any, ...], s: P.Scan, aggregates: Sequence[P.Aggregate],
                   extra: tuple[P.Cond, ...], renames: dict[str, str], lower: P.Test | None = None) -> None:
        """Add ``aggregates`` (of the plan scan ``s``) to the shared scan ``key``; ``extra``
        (split): a row filter each of them implies, ``lower``: a lower time bound each implies."""
        i = self.scan_keys.get(key)
        if i is None:
            i = self.scan_keys[key] = len(self.scans)
            self.scans.append(P.Scan(self.fresh(s.name, self.scan_names), s.table, s.user, s.time, None, ()))
            self.prunes.append([])
            self.lowers.append([])
            self.filters.append([])
        self.prunes[i].append(s.prune)
        self.lowers[i].append(lower)
        self.filters[i].append((key[4:], extra))
        current = self.scans[i]
        assert isinstance(current, P.Scan)
        added: list[P.Aggregate] = []
        for a in aggregates:
            akey = (key, a.func, a.column, a.condition)
            name = self.aggs.get(akey)
            if name is None:
                name = self.aggs[akey] = self.agg_name(a.name)
                added.append(replace(a, name=name))
            renames[a.name] = name
        if added:
            self.scans[i] = replace(current, aggregates=(*current.aggregates, *added))

    def add(self, plan: P.Plan) -> tuple[P.Cond, dict[str, str]]:
        renames: dict[str, str] = {}
        for t in plan.profiles.traits:
            self.traits.setdefault(t.alias, t)
        for s in plan.scans:
            self.add_scan(s, renames)
        if plan.consent is not None:
            if self.consent is None:
                self.consent = plan.consent
            for p in plan.consent.purposes:
                self.purposes.setdefault(p.name, p)
        self.bounds.update(plan.bounds)
        columns: dict[str, str] = {}
        for sub in plan.audiences:  # in dependency order: a formula's references come first
            formula = rename(sub.membership, renames, columns)
            existing = self.subs.get(sub.name)
            if existing is not None:
                if existing.membership != formula:  # one market, one as_of: never expected
                    raise _GroupFailed(f"audience '{sub.name}' lowers differently in two plans")
                columns[sub.column] = existing.column
                continue
            self.subs[sub.name] = P.SubAudience(sub.name, sub.column, formula)
            self.sub_by_formula.setdefault(formula, sub.column)
            columns[sub.column] = sub.column
        membership = rename(plan.membership, renames, columns)
        # an audience that another one references: its column is already computed
        shared = self.sub_by_formula.get(membership)
        if shared is not None:
            membership = P.InAudience(plan.audience, shared)
        return membership, renames

    def plan(self, first: P.Plan, memberships: Sequence[P.Cond]) -> P.Plan:
        scans: list[P.Scan | P.SequenceScan] = []
        for s, prunes, lowers, filters in zip(self.scans, self.prunes, self.lowers, self.filters, strict=True):
            if isinstance(s, P.Scan):
                # every aggregate's condition implies its own plan's prune: the union of the
                # prunes keeps every row some aggregate counts (none when one plan reads all)
                # (split: each aggregate holds its whole condition but the event's filter,
                # which the pass's key, and so its prune, holds)
                distinct = list(dict.fromkeys(prunes))
                prune: P.Cond | None = (_widest(lowers, filters) if self.split
                                        else None if any(p is None for p in distinct)
                                        else distinct[0] if len(distinct) == 1
                                        else P.Or(tuple(p for p in distinct if p is not None)))
                s = replace(s, prune=prune)
            scans.append(s)
        consent = None
        if self.consent is not None:
            consent = replace(self.consent, purposes=tuple(self.purposes.values()))
        return P.Plan(
            audience="(batch)",
            market=first.market,
            as_of=first.as_of,
            bounds=tuple(sorted(self.bounds)),
            profiles=P.Profiles(first.profiles.table, first.profiles.id, tuple(self.traits.values()),
                                first.profiles.unique),
            scans=tuple(scans),
            consent=consent,
            audiences=tuple(self.subs.values()),
            # always a disjunction, also of one: the batch statement tests each membership
            # itself over ``facts``, so physical planning must not take a test out of
            # ``facts`` (a semi-joined scan has no column left to test)
            membership=P.Or(tuple(memberships)),
            output=P.Output("members", None, None, None),
        )


def _later_or_same(v: P.Value, than: P.Value) -> bool:
    if v.kind != than.kind:
        return False
    if v.kind == "instant":
        return v.text >= than.text
    return v.kind == "as_of" and int(v.text) <= int(than.text)


def _lower_bound(s: P.Scan) -> P.Test | None:
    """The first conjunct of the scan's prune when it is a lower bound ``time >= v`` that
    every aggregate's own condition implies (a ``time >= v'`` conjunct, ``v'`` at or after
    ``v``): as the lowering writes the widest window of a scan (``_Lowerer.prune``). Dropping
    or widening it then changes no aggregate; anything else in the prune is a row filter."""
    if s.prune is None:
        return None
    first = conjuncts_of(s.prune)[0]
    if not (isinstance(first, P.Test) and first.op == ">=" and first.field.column == s.time
            and len(first.values) == 1):
        return None
    bound = first.values[0]
    for a in s.aggregates:
        if not any(isinstance(c, P.Test) and c.op == ">=" and c.field.column == s.time and len(c.values) == 1
                   and _later_or_same(c.values[0], bound) for c in conjuncts_of(a.condition)):
            return None
    return first


def _implied(c: P.Cond, conjuncts: Sequence[P.Cond], time: str) -> bool:
    """Whether the conjunction of ``conjuncts`` (an aggregate's condition) implies ``c`` (a
    conjunct of its scan's prune), as the lowering writes prunes: ``c`` itself, an ``or``
    with an item among them (the events' own filters of a table read whole), or a lower
    bound ``time >= v`` where they hold ``time >= v'``, ``v'`` at or after ``v``."""
    if c in conjuncts:
        return True
    if isinstance(c, P.Or):
        return any(all(x in conjuncts for x in conjuncts_of(item)) for item in c.items)
    if isinstance(c, P.Test) and c.op == ">=" and c.field.column == time and len(c.values) == 1:
        return any(isinstance(x, P.Test) and x.op == ">=" and x.field.column == time and len(x.values) == 1
                   and _later_or_same(x.values[0], c.values[0]) for x in conjuncts)
    return False


def _common_filter(aggregates: Sequence[P.Aggregate], time: str) -> tuple[P.Cond, ...]:
    """The conjuncts every one of ``aggregates``' conditions holds, but tests of the time
    column (the windows, which the prune's lower bound covers): their shared row filter."""
    first, *others = [conjuncts_of(a.condition) for a in aggregates]
    return tuple(c for c in dict.fromkeys(first)
                 if not (isinstance(c, P.Test) and c.field.column == time)
                 and not isinstance(c, P.Const) and all(c in o for o in others))


def _conj(parts: Sequence[P.Cond]) -> P.Cond:
    parts = [c for c in parts if not (isinstance(c, P.Const) and c.value)]
    return P.Const(True) if not parts else parts[0] if len(parts) == 1 else P.And(tuple(parts))


def _widest(bounds: Sequence[P.Test | None],
            filters: Sequence[tuple[tuple[Any, ...], tuple[P.Cond, ...]]]) -> P.Cond | None:
    """The prune of split scans of one event: the widest of their lower time bounds when
    each has one (each aggregate keeps its own window), the event's filter (the key's), and
    the ``or`` of the rest of their row filters (each aggregate holds its own)."""
    lower: P.Test | None = None
    if bounds and all(b is not None for b in bounds):
        tests = [b for b in bounds if b is not None]
        widest: P.Test | None = tests[0]
        for t in tests[1:]:
            assert widest is not None
            if t.values[0].kind != widest.values[0].kind:
                widest = None
                break
            if _later_or_same(widest.values[0], t.values[0]):
                widest = t
        lower = widest
    (first,) = {f for f, _ in filters}
    parts: list[P.Cond] = [*((lower,) if lower is not None else ()), *(c for c in first if c is not None)]
    extras = list(dict.fromkeys(e for _, e in filters))
    if all(extras):  # every scan had more of a row filter: rows passing none of them never count
        alts = [_conj(e) for e in extras]
        parts.append(alts[0] if len(alts) == 1 else P.Or(tuple(alts)))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else P.And(tuple(parts))


def rename(c: P.Cond, aggs: dict[str, str], audiences: dict[str, str]) -> P.Cond:
    """``c`` with its aggregate and referenced-audience columns renamed."""
    if isinstance(c, P.AggTest):
        return replace(c, column=aggs[c.column], count=aggs[c.count] if c.count is not None else None)
    if isinstance(c, P.InAudience):
        return replace(c, column=audiences[c.column])
    if isinstance(c, P.Not):
        return P.Not(rename(c.operand, aggs, audiences))
    if isinstance(c, P.And):
        return P.And(tuple(rename(x, aggs, audiences) for x in c.items))
    if isinstance(c, P.Or):
        return P.Or(tuple(rename(x, aggs, audiences) for x in c.items))
    return c


def merge(plans: Sequence[P.Plan], split: bool = False,
          event_columns: frozenset[tuple[tuple[str, ...], str]] = frozenset()) -> Merged:
    """One shared plan for ``plans`` (members mode, one market, one ``as_of``, all lowered
    with ``split``): one pass per event table, or with ``split`` one per event (tables and
    columns ``event_columns`` hold the events' own ``where`` tests)."""
    assert plans, "nothing to merge"
    assert len({(p.market, p.as_of, p.profiles.table) for p in plans}) == 1, "one market, one as_of"
    m = _Merger(split, event_columns)
    memberships = [m.add(p)[0] for p in plans]
    return Merged(m.plan(plans[0], memberships), tuple(p.audience for p in plans), tuple(memberships))


def _width(plan: P.Plan) -> int:
    """An upper bound of the ``facts`` columns ``plan`` adds to a shared statement."""
    return (sum(len(s.aggregates) for s in plan.scans) + len(plan.audiences) + len(plan.profiles.traits)
            + 2 * (len(plan.consent.purposes) if plan.consent else 0) + 1)


# ---------------------------------------------------------------------------- compiling


def _batch_failed(d: Diagnostic, args: dict[str, object]) -> BatchResult:
    return BatchResult(diagnostics=(d,))


@returns_diagnostics(_batch_failed)
def compile_batch(
    checked: Sequence[CheckedAudience],
    dialect: str,
    *,
    as_of: dt.datetime | None = None,
) -> BatchResult:
    """Compile the audiences ``checked`` (all of one market) into a few shared statements
    for ``dialect``: see the module docstring. ``as_of`` as for
    :func:`audiencelang.sql.compile_audience`. An audience that does not compile on its own
    (its diagnostics), or whose group's statement cannot be written for the dialect (E741),
    is in ``left_out``; run it with its own statement. Problems are diagnostics, never exceptions."""
    with paused_gc():
        return _compile_batch(list(checked), dialect, as_of)


def _compile_batch(checked: list[CheckedAudience], dialect: str, as_of: dt.datetime | None) -> BatchResult:
    from audiencelang.sql import compile_audience

    profile = DIALECTS.get(dialect)
    if profile is None:
        return BatchResult(diagnostics=(error("E500", f"unknown or unsupported dialect '{dialect}'", None,
                                              "supported dialects: " + ", ".join(sorted(DIALECTS))),))
    markets = sorted({c.market.market for c in checked})
    if len(markets) > 1:
        return BatchResult(diagnostics=(error(
            "E740", "a batch holds the audiences of one market, got " + ", ".join(markets), None,
            "compile one batch per market"),))
    names = [c.name for c in checked]
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        return BatchResult(diagnostics=(error("E740", f"audience '{dup}' is twice in the batch", None),))
    left_out: dict[str, tuple[Diagnostic, ...]] = {}
    plans: list[P.Plan] = []
    for c in checked:
        # its own statement first: an audience that does not compile alone (E520 `in sample`
        # on SQLite, a function the dialect lacks...) stays out instead of failing its group;
        # the plan is the one a shared statement merges (members, the dialect's scan strategy)
        own = compile_audience(c, dialect, as_of=as_of)
        if own.query is None or any(d.is_error for d in own.diagnostics):
            left_out[c.name] = own.diagnostics
            continue
        plans.append(own.query.plan)
    statements: list[BatchStatement] = []
    by_name = {c.name: c for c in checked}
    for group in batch_groups([_width(p) for p in plans], profile):
        part = [plans[i] for i in group]
        try:
            statements.append(_statement(part, profile, as_of, _event_columns(checked[0])))
        except _GroupFailed as exc:
            for p in part:
                c = by_name[p.audience]
                left_out[p.audience] = (error(
                    "E741", f"audience '{p.audience}' cannot share a batch statement on dialect '{dialect}': "
                            f"{exc}", c.audience.span, "it runs with its own statement",
                    market=c.market.market, audience=p.audience),)
    return BatchResult(tuple(statements), left_out)


class _GroupFailed(Exception):
    pass


def _event_columns(checked: CheckedAudience) -> frozenset[tuple[tuple[str, ...], str]]:
    return frozenset((ev.table_parts, ev.where.column) for ev in checked.market.events.values()
                     if ev.where is not None)


def _statement(plans: list[P.Plan], profile: DialectProfile, as_of: dt.datetime | None,
               event_columns: frozenset[tuple[tuple[str, ...], str]]) -> BatchStatement:
    from audiencelang.sql import _unlisted_function, header

    merged = merge(plans, split_scans(profile), event_columns)
    if batch_window_passes(profile):
        merged = replace(merged, plan=split_by_window(merged.plan))
    try:
        decisions = decide(merged.plan, profile)
        tree, functions = build_batch(merged.plan, merged.memberships, profile, decisions,
                                      batch_bit_or(profile))
    except (BuildError, RecursionError) as exc:
        raise _GroupFailed(str(exc) or type(exc).__name__) from exc
    refused = substitution_free(tree, profile, merged.plan.market)
    if refused is not None:
        raise _GroupFailed(refused)
    bad = _unlisted_function(functions, profile)
    if bad is not None:
        raise _GroupFailed(f"the SQL needs the function {bad}()")
    try:
        body = tree.sql(dialect=profile.name, copy=False, pretty=True, unsupported_level=ErrorLevel.RAISE)
    except (SqlglotError, RecursionError) as exc:
        raise _GroupFailed(str(exc)) from exc
    words = (len(plans) + WORD_BITS - 1) // WORD_BITS
    sql = header(merged.plan, profile.name).replace(
        "audience (batch)", f"batch of {len(plans)} audiences", 1) + profile.prelude + body + "\n"
    as_of_aware = to_utc_naive(as_of).replace(tzinfo=dt.UTC) if as_of is not None else None
    return BatchStatement(sql=sql, audiences=merged.audiences, plan=merged.plan, dialect=profile.name,
                          market=merged.plan.market, as_of=as_of_aware,
                          columns=("member_id", *(word_name(i) for i in range(words))))
