"""Physical planning: a logical :class:`~audiencelang.sql.plan.Plan` + a dialect's facts ->
:class:`Decisions`, the strategy the builder writes.

This is the only module that reads the strategy flags of
:class:`~audiencelang.sql.dialects.DialectProfile` (``split_scans``, ``inner_joins``,
``fence_joins``, ``semi_join_exists``, ``semi_join_scans``, ``packed_facts``,
``filter_aggregates``, ``asof_sequences``, ``epoch_us`` as a choice). The builder
(:mod:`audiencelang.sql.build`) only writes nodes from the plan and the decisions; the
plan stays one type whatever the dialect (docs/sql.md, "Scan strategy on DuckDB").

What is decided, exactly (none of it changes an answer, only how it is computed):

- which event scans a member must have a row in (INNER JOIN instead of LEFT JOIN);
- whether the consent scan is INNER-joined (an opt-in purpose is required);
- which top-level trait tests filter ``profiles`` before any join (``pushed``), and what
  of the membership remains to test after the joins (``rest``);
- which scans become a semi-join (``member_id IN (SELECT user ...)``) instead of a join,
  and which an anti-join (``NOT EXISTS (SELECT 1 FROM events WHERE user = member_id ...)``);
- which LEFT-joined scans pack their tests into bit words, and each test's bit;
- which scans keep only the rows of the filtered profiles (``user IN (SELECT ...)``);
- conditional aggregates written with ``FILTER``; every test after the joins (a fence);
  consent's latest state packed with the time into one integer.

One rewrite of the plan comes before the decisions, :func:`fold_absences`: a top-level
absence on an event table that a required scan also reads is counted in that scan.
"""

from __future__ import annotations

import dataclasses
import operator
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from audiencelang.sql import plan as P
from audiencelang.sql.dialects import DialectProfile

__all__ = ["SEMI_JOIN_SELECTIVITY", "Decisions", "batch_bit_or", "batch_groups", "batch_window_passes", "decide",
           "fold_absences", "split_scans"]

#: Use a semi-join for an existence test only when the top-level trait tests are estimated
#: to keep at most this share of the profiles (see :func:`_selectivity`).
SEMI_JOIN_SELECTIVITY = 0.05

WORD_BITS = 62  # bits per BIGINT word (the sign bit stays clear)

#: a packed test: (word index, bit mask, inverted: the bit holds the test's negation)
Atom = tuple[int, int, bool]


@dataclass(frozen=True)
class Decisions:
    """How one plan is written for one dialect (see the module docstring).

    ``split``: one scan per row filter (the lowering's choice); ``inner``: scans joined with INNER JOIN; ``semi``: scans written as a semi-join of
    ``facts``; ``packed``: LEFT-joined scans whose tests are bits of ``words`` BIGINT words
    (``atoms``: test -> bit); ``profile_filtered``: scans that keep only rows of the
    filtered profiles; ``pushed``: trait tests applied inside ``profiles``; ``rest``: the
    membership still to test after the joins; ``filter_clause``: conditional aggregates
    as ``AGG(x) FILTER (WHERE c)``; ``fence``: every test after the joins, ``facts`` ends in
    ``OFFSET 0``; ``consent_packed``: consent's latest (time, state) as one integer;
    ``sequences``: how a sequence's CTE is written (:mod:`audiencelang.sql.build_seq`);
    ``binary_ids``: profile ids are joined, grouped and partitioned as ``CAST(id AS BINARY)``
    (MySQL/MariaDB, whose default collations fold case and pad trailing spaces: two
    profiles ``a1`` and ``A1`` must not merge), the id as stored travels beside it as
    ``member_text`` and is what the statement returns."""

    split: bool
    inner: frozenset[str]
    semi: tuple[str, ...]
    consent_inner: bool
    pushed: tuple[P.Test, ...]
    rest: P.Cond
    packed: tuple[str, ...]
    atoms: tuple[tuple[P.AggTest, Atom], ...]
    words: int
    profile_filtered: frozenset[str]
    filter_clause: bool
    fence: bool
    consent_packed: bool
    sequences: Literal["window passes", "asof joins"] = "window passes"
    binary_ids: bool = False
    having: tuple[tuple[str, tuple[P.AggTest, ...]], ...] = ()
    #: scans read only by one top-level ``not performed`` (``count = 0``): written as
    #: ``NOT EXISTS`` in ``facts`` instead of a grouped scan LEFT-joined and tested
    anti: tuple[str, ...] = ()
    #: opt-in purposes whose top-level ``has consent`` the consent pass applies in its own
    #: ``HAVING`` (packed consent, INNER-joined): only users holding it reach the join
    consent_having: tuple[str, ...] = ()
    #: scans read only by one top-level test that holds without rows (``at most 20 times``):
    #: the scan keeps, in its ``HAVING``, the users failing it, and ``facts`` keeps the
    #: profiles not among them (``member_id NOT IN (SELECT member_id FROM scan)``)
    excluding: tuple[tuple[str, P.AggTest], ...] = ()

    #: aggregate columns that only their own scan's ``HAVING`` reads (see ``having``): the
    #: scan computes them there and neither returns them nor passes them on to ``facts``
    #: (an existence test of an INNER-joined scan reads nothing at all: the join is the
    #: test, and the scan groups its rows by user without an aggregate)
    unread: frozenset[str] = frozenset()

    def having_of(self, scan: str) -> tuple[P.AggTest, ...]:
        """The membership's top-level tests on ``scan``'s aggregates that its ``GROUP BY``
        applies itself (``HAVING``): only the users who pass them reach the join."""
        return dict(self.having).get(scan, ())

    def excluding_test(self, scan: str) -> P.AggTest | None:
        """The top-level test whose failures ``scan`` lists (see ``excluding``), if any."""
        return dict(self.excluding).get(scan)

    def atom_map(self) -> dict[P.AggTest, Atom]:
        return dict(self.atoms)

    def strategy(self, plan: P.Plan) -> dict[str, Any]:
        """How the statement reads and joins the plan's scans (``compile --explain``):
        ``scans`` ``"one per event table"`` or ``"one per row filter"`` (the lowering's
        choice), then per strategy the scan names; ``packed`` with the number of tests and
        bit words; the traits whose top-level tests filter ``profiles`` before any join;
        whether every test waits until after the joins (``fence_joins``)."""
        return {
            "scans": "one per row filter" if self.split else "one per event table",
            "inner_join": [s.name for s in plan.scans if s.name in self.inner],
            "semi_join": [s.name for s in plan.scans if s.name in self.semi],
            "anti_join": [s.name for s in plan.scans if s.name in self.anti or s.name in dict(self.excluding)],
            "left_join": [s.name for s in plan.scans
                          if s.name not in self.inner and s.name not in self.semi
                          and s.name not in self.anti and s.name not in dict(self.excluding)
                          and s.name not in self.packed],
            "packed": {"scans": list(self.packed), "tests": len(self.atoms), "words": self.words},
            "filter_aggregates": self.filter_clause,
            "profiles_filtered_by": sorted({t.field.column.removeprefix("t_") for t in self.pushed}),
            "tests_after_joins": self.fence,
            "sequences": self.sequences if any(isinstance(s, P.SequenceScan) for s in plan.scans) else None,
        }


def split_scans(profile: DialectProfile) -> bool:
    """The lowering's scan strategy for this dialect: one grouped pass per distinct row
    filter (``True``) or one per event table (see :func:`audiencelang.sql.lower.lower`)."""
    return profile.split_scans


def decide(plan: P.Plan, profile: DialectProfile) -> Decisions:
    """The decisions for writing ``plan`` in ``profile``'s dialect.

    From the top-level conjuncts of membership, exactly:

    - ``inner``: event scans a member must have a row in (a conjunct that is false for a
      profile without rows: ``count >= 1``, ``sum > 0``, any ``avg``/``min``/``max`` test);
    - ``consent_inner``: an opt-in purpose is required (false without consent rows);
    - ``pushed``: trait tests applied inside ``profiles`` (so the joins start from the
      profiles that pass them) and removed from the membership test; ``rest`` is what
      remains. Empty with ``fence_joins`` (every test after the joins).

    Conditions under ``not``, inside ``or`` or true without rows (``at most``, ``exactly 0``,
    opt-out consent) keep their LEFT JOIN."""
    d = profile
    conjuncts = conjuncts_of(plan.membership)
    scan_of = {a.name: s.name for s in plan.scans for a in s.aggregates}
    purposes = {p.name: p for p in plan.consent.purposes} if plan.consent else {}
    inner: set[str] = set()
    consent_inner = False
    pushed: list[P.Test] = []
    traits = {t.alias for t in plan.profiles.traits}
    rest: list[P.Cond] = []
    for c in conjuncts:
        if isinstance(c, P.AggTest) and not without_rows(c) and c.column in scan_of:
            if d.inner_joins:
                inner.add(scan_of[c.column])
        elif isinstance(c, P.ConsentHolds) and c.purpose in purposes and purposes[c.purpose].mode == "opt_in":
            consent_inner = d.inner_joins
        elif (not d.fence_joins and isinstance(c, P.Test) and c.field.column in traits
              and all(v.kind not in ("as_of", "clock") for v in c.values)):
            pushed.append(c)
            continue
        rest.append(c)
    semi: list[str] = []
    anti: list[str] = []
    excluding: list[tuple[str, P.AggTest]] = []
    uses = _uses(plan)  # how often each aggregate column is tested, once for every rule below
    if d.semi_join_exists:
        selective = _selectivity(pushed) <= SEMI_JOIN_SELECTIVITY
        scans = {s.name: s for s in plan.scans}
        for c in list(rest):
            if not (isinstance(c, P.AggTest) and c.column in scan_of and _is_exists(c)):
                continue
            s = scans[scan_of[c.column]]
            # a semi-join pays when the profiles it probes are few: the trait tests keep
            # few, or another INNER join (a scan, the consent pass) already keeps only
            # the profiles that have its rows (which one join must still do)
            if not (selective or consent_inner or inner - {s.name}):
                continue
            # only a plain row count of an event scan is a semi-join (not a sequence's count
            # of completions, not a count of distinct days)
            if (isinstance(s, P.Scan) and len(s.aggregates) == 1 and s.aggregates[0].func == "count"
                    and uses.get(c.column, 0) == 1):
                if s.name not in semi:
                    semi.append(s.name)
                inner.discard(s.name)
                rest.remove(c)
        for c in list(rest):
            t = _absence(c)
            if t is None or t.column not in scan_of:
                continue
            s = scans[scan_of[t.column]]
            # the profile has no row: an anti-join, which reads the rows once into a hash
            # table of users instead of counting them per user and joining the counts
            if (isinstance(s, P.Scan) and len(s.aggregates) == 1 and s.aggregates[0].func == "count"
                    and uses.get(t.column, 0) == 1 and s.name not in semi and s.name not in anti):
                anti.append(s.name)
                rest.remove(c)
        for c in list(rest):
            # a test true without rows whose scan nothing else reads: the users failing it
            # are few (``at most 20 times``: the heavy ones), so list them and keep the rest
            if not (isinstance(c, P.AggTest) and c.column in scan_of and c.func in ("count", "sum")
                    and without_rows(c) and (c.value is None or c.value.kind == "number")):
                continue
            s = scans[scan_of[c.column]]
            if (isinstance(s, P.Scan) and s.name not in inner and s.name not in semi and s.name not in anti
                    and {a.name for a in s.aggregates} == {c.column} and uses.get(c.column, 0) == 1
                    and s.name not in dict(excluding)):
                excluding.append((s.name, c))
                rest.remove(c)
    having = _having(plan, d, scan_of, inner, rest)
    unread = _unread(plan, having, uses)
    consent_having = _consent_having(plan, d, consent_inner, purposes, rest)
    if not rest:
        rest.append(P.Const(True))
    packed, atoms, words = _packing(plan, d, scan_of, inner, [*semi, *anti, *(n for n, _ in excluding)])
    profile_filtered = frozenset(
        s.name for s in plan.scans
        if isinstance(s, P.Scan) and d.semi_join_scans and s.name not in inner and _window_on_trait(pushed)
    )
    return Decisions(
        split=split_scans(d),
        inner=frozenset(inner),
        semi=tuple(semi),
        consent_inner=consent_inner,
        pushed=tuple(pushed),
        rest=rest[0] if len(rest) == 1 else P.And(tuple(rest)),
        packed=packed,
        atoms=atoms,
        words=words,
        profile_filtered=profile_filtered,
        filter_clause=d.filter_aggregates,
        fence=d.fence_joins,
        consent_packed=d.epoch_us is not None,
        sequences="asof joins" if d.asof_sequences else "window passes",
        binary_ids=d.exact == "binary",
        having=having,
        anti=tuple(anti),
        consent_having=consent_having,
        excluding=tuple(excluding),
        unread=unread,
    )


def fold_absences(plan: P.Plan, profile: DialectProfile) -> P.Plan:
    """The plan with each top-level absence (``performed E where W2 exactly 0 times``, ``not
    performed E where W2``) folded into a required scan of the same event table (``performed
    E where W1 at least 3 times``): one pass reads the rows of either filter and its ``HAVING``
    tests both counts (``COUNT(*) FILTER (WHERE W1) >= 3 AND COUNT(*) FILTER (WHERE W2) = 0``),
    instead of a grouped pass for W1 and an anti-join that reads the table again.

    Only where scans are split by row filter, joins are INNER and aggregates take ``FILTER``
    (DuckDB). Exact: the required scan's members are those with a row passing W1, and the
    folded pass keeps, of those, the users without a row passing W2, which is what the
    anti-join kept. Not when the required test is a plain existence test (which may become
    a semi-join), nor for a count read by another test, nor for sequences."""
    d = profile
    if not (d.split_scans and d.semi_join_exists and d.inner_joins and d.filter_aggregates and not d.fence_joins):
        return plan
    conjuncts = conjuncts_of(plan.membership)
    scans = {s.name: s for s in plan.scans if isinstance(s, P.Scan)}
    scan_of = {a.name: s.name for s in scans.values() for a in s.aggregates}
    uses = _uses(plan)
    required = [scan_of[c.column] for c in conjuncts
                if isinstance(c, P.AggTest) and c.column in scan_of and not without_rows(c) and not _is_exists(c)
                and (c.count is None or scan_of.get(c.count) == scan_of[c.column])]
    merged: dict[str, P.Scan] = {}
    gone: set[str] = set()
    out: list[P.Cond] = []
    for c in conjuncts:
        t = _absence(c)
        a = scans.get(scan_of.get(t.column, "")) if t is not None else None
        partner = None
        if (t is not None and a is not None and a.name not in gone and uses.get(t.column, 0) == 1
                and len(a.aggregates) == 1 and a.aggregates[0].func == "count" and a.aggregates[0].column is None):
            partner = next((n for n in required if n != a.name and n not in gone
                            and (scans[n].table, scans[n].user, scans[n].time) == (a.table, a.user, a.time)),
                           None)
        if t is None or a is None or partner is None:
            out.append(c)
            continue
        s = merged.get(partner, scans[partner])
        merged[partner] = _fold(s, a)
        gone.add(a.name)
        out.append(P.AggTest("count", t.column, "=", P.Value("number", "0"), t.type))
    if not merged:
        return plan
    new_scans = tuple(merged.get(s.name, s) for s in plan.scans if s.name not in gone)
    membership = out[0] if len(out) == 1 else P.And(tuple(out))
    return dataclasses.replace(plan, scans=new_scans, membership=membership)


def _fold(s: P.Scan, a: P.Scan) -> P.Scan:
    """One pass over the rows of ``s`` or ``a`` (same table): what both prunes say stays
    in the ``WHERE``, the rest of each prune moves into its own aggregates' conditions."""
    ps = conjuncts_of(s.prune) if s.prune is not None else []
    pa = conjuncts_of(a.prune) if a.prune is not None else []
    common = [c for c in ps if c in pa]
    only_s = [c for c in ps if c not in common]
    only_a = [c for c in pa if c not in common]

    def within(only: list[P.Cond], agg: P.Aggregate) -> P.Aggregate:
        # what the WHERE already says (the common part) is not said again
        parts = [*only, *(c for c in conjuncts_of(agg.condition)
                          if c not in only and c not in common and not (isinstance(c, P.Const) and c.value))]
        cond = (parts[0] if len(parts) == 1 else P.And(tuple(parts))) if parts else P.Const(True)
        return dataclasses.replace(agg, condition=cond)

    either: list[P.Cond] = []
    if only_s and only_a:
        sides = [x[0] if len(x) == 1 else P.And(tuple(x)) for x in (only_s, only_a)]
        either = [P.Or(tuple(sides))]
    # a side with nothing beyond the common part reads every row the WHERE keeps
    prune_parts = [*common, *either]
    prune = (prune_parts[0] if len(prune_parts) == 1 else P.And(tuple(prune_parts))) if prune_parts else None
    return P.Scan(s.name, s.table, s.user, s.time, prune,
                  tuple(within(only_s, g) for g in s.aggregates) + tuple(within(only_a, g) for g in a.aggregates))


def _consent_having(plan: P.Plan, d: DialectProfile, consent_inner: bool, purposes: dict[str, P.ConsentPurpose],
                    rest: list[P.Cond]) -> tuple[str, ...]:
    """The opt-in purposes of top-level ``has consent`` tests the INNER-joined consent pass
    applies in its ``HAVING`` (removed from ``rest``; its columns are then not written):
    a user whose latest state is not a grant is no member. Only with packed consent (one
    ``MAX`` per purpose decides it) and for a purpose no other test reads."""
    if not consent_inner or d.epoch_us is None or d.fence_joins or not d.inner_joins:
        return ()
    uses = Counter(c.purpose for c in _all_conds(plan) if isinstance(c, P.ConsentHolds))
    out: list[str] = []
    for c in list(rest):
        if (isinstance(c, P.ConsentHolds) and c.purpose in purposes and purposes[c.purpose].mode == "opt_in"
                and uses[c.purpose] == 1 and c.purpose not in out):
            out.append(c.purpose)
            rest.remove(c)
    return tuple(out)


def _all_conds(plan: P.Plan) -> list[P.Cond]:
    """Every condition node of the statement: membership, referenced audiences, suppressions."""
    out: list[P.Cond] = []
    stack: list[P.Cond] = [plan.membership, *(sub.membership for sub in plan.audiences), *plan.output.suppress]
    while stack:
        c = stack.pop()
        out.append(c)
        if isinstance(c, (P.And, P.Or)):
            stack.extend(c.items)
        elif isinstance(c, P.Not):
            stack.append(c.operand)
    return out


def _having(plan: P.Plan, d: DialectProfile, scan_of: dict[str, str], inner: set[str],
            rest: list[P.Cond]) -> tuple[tuple[str, tuple[P.AggTest, ...]], ...]:
    """The top-level aggregate tests an INNER-joined event scan applies in its own ``GROUP
    BY ... HAVING`` (removed from ``rest``): a user failing one is no member, so dropping
    it before the join is exact, and the join reads fewer rows (``at least 2 times``: the
    users with one row never reach it). Not with ``fence_joins`` (every test after the
    joins), not for tests against the warehouse clock (``params`` is joined later), not
    for sequences (their pass is written differently)."""
    if not d.inner_joins or d.fence_joins:
        return ()
    event_scans = {s.name for s in plan.scans if isinstance(s, P.Scan)}
    out: dict[str, list[P.AggTest]] = {}
    for c in list(rest):
        if not isinstance(c, P.AggTest) or c.column not in scan_of:
            continue
        scan = scan_of[c.column]
        if (scan not in inner or scan not in event_scans or (c.count is not None and scan_of.get(c.count) != scan)
                or (c.value is not None and c.value.kind in ("as_of", "clock"))):
            continue
        out.setdefault(scan, []).append(c)
        rest.remove(c)
    return tuple((s.name, tuple(out[s.name])) for s in plan.scans if s.name in out)


def _unread(plan: P.Plan, having: tuple[tuple[str, tuple[P.AggTest, ...]], ...],
            uses: Counter[str]) -> frozenset[str]:
    """The aggregate columns every test of which is in its own scan's ``HAVING``: read
    nowhere after the scan (not by ``facts``, the membership or a referenced audience).
    ``uses``: :func:`_uses` of the plan."""
    if not having:
        return frozenset()
    tested = dict(having)
    out: set[str] = set()
    for s in plan.scans:
        tests = tested.get(s.name)
        if tests is None:
            continue
        in_having = Counter(n for t in tests for n in (t.column, t.count) if n is not None)
        out.update(a.name for a in s.aggregates if uses.get(a.name, 0) == in_having.get(a.name, 0))
    return frozenset(out)


def _packing(plan: P.Plan, d: DialectProfile, scan_of: dict[str, str], inner: set[str],
             semi: list[str]) -> tuple[tuple[str, ...], tuple[tuple[P.AggTest, Atom], ...], int]:
    """The LEFT-joined scans whose tests are packed into bit words (dialects with
    ``packed_facts``, when two or more scans would be LEFT-joined): each such scan
    evaluates its own aggregate tests per user into bits, one ``UNION ALL`` + ``BIT_OR``
    by user gathers them, and ``facts`` joins that once instead of every scan. A bit
    holds the test (or, for a test that is true for a profile without rows, its
    negation), so a profile missing from a scan reads 0 and each test keeps its value."""
    if not d.packed_facts:
        return (), (), 0
    left = [s for s in plan.scans if s.name not in inner and s.name not in semi]
    if len(left) < 2:
        return (), (), 0
    tests = list(dict.fromkeys(agg_tests(plan)))  # distinct, in order of appearance
    atoms: dict[P.AggTest, Atom] = {}
    word, bit = 0, 0
    for s in left:
        for t in tests:
            if scan_of.get(t.column) != s.name:
                continue
            if bit == WORD_BITS:
                word, bit = word + 1, 0
            atoms[t] = (word, 1 << bit, without_rows(t))
            bit += 1
    return tuple(s.name for s in left), tuple(atoms.items()), word + 1


def _window_on_trait(pushed: Sequence[P.Test]) -> bool:
    """``profiles`` is bounded on both sides of a date/timestamp trait (``signup_date in
    last 60 days``, ``between``): such a window keeps a small share of the profiles, so a
    LEFT-joined scan keeps only their rows (``user IN (SELECT member_id FROM profiles)``);
    a loose filter (``country in [...]``) made the probe cost more than it saved."""
    lower: set[str] = set()
    upper: set[str] = set()
    for t in pushed:
        if t.field.type in ("date", "timestamp"):
            if t.op in (">", ">=", "="):
                lower.add(t.field.column)
            if t.op in ("<", "<=", "="):
                upper.add(t.field.column)
    return bool(lower & upper)


def conjuncts_of(c: P.Cond) -> list[P.Cond]:
    if isinstance(c, P.And):
        return [x for item in c.items for x in conjuncts_of(item)]
    return [c]


def _selectivity(tests: Sequence[P.Test]) -> float:
    """The share of profiles the pushed trait tests keep, estimated without statistics the
    way System R and PostgreSQL's planner do by default: equality and string matches 0.005,
    an open range 1/3, a range bounded on both sides 0.005, negations their complement, a
    boolean equal to a value 1/2; tests multiply (independence)."""
    est = 1.0
    lower: set[str] = set()
    upper: set[str] = set()
    for t in tests:
        if t.field.type == "boolean" and t.op in ("=", "in"):  # two values: never selective
            est *= 0.5
        elif t.op in ("<", "<="):
            upper.add(t.field.column)
        elif t.op in (">", ">="):
            lower.add(t.field.column)
        else:
            est *= _OP_SELECTIVITY.get(t.op, 1.0) if t.op != "in" else min(1.0, 0.005 * len(t.values))
    for column in lower | upper:
        est *= 0.005 if column in lower and column in upper else 1 / 3
    return est


_OP_SELECTIVITY = {
    "=": 0.005, "starts_with": 0.005, "ends_with": 0.005, "contains": 0.005, "is_null": 0.005,
    "!=": 0.995, "not_in": 0.995, "is_not_null": 0.995,
}


def _uses(plan: P.Plan) -> Counter[str]:
    """How many aggregate tests read each aggregate column (as its value or its count)."""
    return Counter(n for t in agg_tests(plan) for n in (t.column, t.count) if n is not None)


def agg_tests(plan: P.Plan) -> list[P.AggTest]:
    """Every aggregate test of the statement, each time it appears: the referenced
    audiences' formulas first (in the order they are computed), then membership."""
    out: list[P.AggTest] = []
    stack: list[P.Cond] = [plan.membership, *reversed([sub.membership for sub in plan.audiences])]
    while stack:
        c = stack.pop()
        if isinstance(c, P.AggTest):
            out.append(c)
        elif isinstance(c, (P.And, P.Or)):
            stack.extend(reversed(c.items))
        elif isinstance(c, P.Not):
            stack.append(c.operand)
    return out


def without_rows(t: P.AggTest) -> bool:
    """The test's value for a profile without rows in its scan (count/sum read 0; avg, min
    and max have no value, so every test of theirs but ``is null`` is false). A test false
    there lets the scan be INNER-joined; one true there is packed negated."""
    if t.func in ("first", "last"):
        return False
    if t.func in ("avg", "min", "max"):
        return t.op == "is_null"
    if t.op in ("is_null", "is_not_null"):
        return t.op == "is_not_null"
    assert t.value is not None and t.value.kind == "number", t
    return _ZERO_CMP[t.op](Decimal(0), Decimal(t.value.text))


def _is_exists(t: P.AggTest) -> bool:
    """``count >= 1`` / ``count > 0``: the profile has a row."""
    if t.func != "count" or t.value is None or t.value.kind != "number":
        return False
    v = Decimal(t.value.text)
    return (t.op == ">=" and v == 1) or (t.op == ">" and v == 0)


def _absence(c: P.Cond) -> P.AggTest | None:
    """The count test of a conjunct saying the profile has no row: ``not (count >= 1)``,
    ``not (count > 0)``, ``count = 0``, ``count <= 0``, ``count < 1``."""
    if isinstance(c, P.Not) and isinstance(c.operand, P.AggTest) and _is_exists(c.operand):
        return c.operand
    if (isinstance(c, P.AggTest) and c.func == "count" and c.value is not None and c.value.kind == "number"
            and c.count is None):
        v = Decimal(c.value.text)
        if (c.op in ("=", "<=") and v == 0) or (c.op == "<" and v == 1):
            return c
    return None


_ZERO_CMP: dict[str, Callable[[Decimal, Decimal], bool]] = {
    "=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}


# ---------------------------------------------------------------------------- batches

#: Per dialect: (audiences, facts columns) at most in one batch statement (audiencelang.sql.batch).
#: PostgreSQL refuses a select list over 1,664 entries; SQLite over 2,000 columns; Spark's code
#: generation gives up on very wide aggregations (64 KB methods) and runs them interpreted.
_BATCH_LIMITS: dict[str, tuple[int, int]] = {
    "duckdb": (250, 2000),
    "postgres": (150, 1200),
    "redshift": (150, 1200),
    "sqlite": (100, 1000),
    "spark": (100, 600),
    "databricks": (100, 600),
}
_BATCH_DEFAULT = (100, 600)


def batch_groups(columns: Sequence[int], profile: DialectProfile) -> list[list[int]]:
    """Which audiences share a batch statement: consecutive runs of the audiences (their
    indices), each at most the dialect's number of audiences and, summing ``columns`` (an
    upper bound of the facts columns each audience adds: its aggregates and references),
    of facts columns. An audience wider than the limit alone gets a statement of its own."""
    most, width = _BATCH_LIMITS.get(profile.name, _BATCH_DEFAULT)
    groups: list[list[int]] = []
    used = 0
    for i, n in enumerate(columns):
        if groups and len(groups[-1]) < most and used + n <= width:
            groups[-1].append(i)
            used += n
        else:
            groups.append([i])
            used = n
    return groups


def batch_bit_or(profile: DialectProfile) -> bool:
    """Whether a batch statement writes each ``facts`` row's audiences as bit words and ORs
    an id's rows with ``BIT_OR`` (one aggregate per 62 audiences; the dialects that pack
    facts, whose allow-list has it), instead of one ``MAX`` per audience: on DuckDB the
    per-audience aggregates over every profile cost more than all the scans."""
    return profile.packed_facts


def batch_window_passes(profile: DialectProfile) -> bool:
    """Whether a batch statement splits each shared event pass by its aggregates' window
    widths (:func:`audiencelang.sql.batch_passes.split_by_window`): where a pass's cost grows
    with its ``FILTER`` aggregates per row read and reading a table again is cheap."""
    return profile.window_passes
