"""The dialect-neutral query plan an audience is lowered to before SQL.

A plan is plain frozen dataclasses: hashable (aggregates are de-duplicated by
equality), deterministic (tuples only, never sets or dicts), serialisable with
:meth:`Plan.to_dict` (what ``audiencelang compile --explain`` prints).

Shape of a plan (one statement)::

    params?     one row: as_of and every relative bound (only without a fixed as_of)
    profiles    one scan of the profile table: id + the traits used
    scans[]     one grouped pass per event table: conditional aggregates; a sequence
                (spec §8) is one more input: window passes over its steps' occurrences
    consent?    one grouped pass over the consent table: per purpose, "granted at latest" / "refused"
    facts       profiles joined with every scan and consent (INNER where membership needs rows,
                LEFT otherwise): one row per profile that can still be a member
    audiences[] referenced audiences, in dependency order: one 0/1 column each
    membership  include AND NOT exclude AND required consents, over facts columns
    output      members | size, gate (destination minimum)

Conditions (:data:`Cond`) are two-valued trees over :class:`Test` leaves (a
column compared with typed :class:`Value` s), aggregate tests, consent and
audience flags.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal, Union

ValueKind = Literal["string", "number", "boolean", "date", "instant", "as_of", "clock"]
FieldType = Literal["string", "integer", "decimal", "boolean", "date", "timestamp"]
TestOp = Literal[
    "=", "!=", "<", "<=", ">", ">=", "in", "not_in",
    "contains", "starts_with", "ends_with", "is_null", "is_not_null",
]
CmpOp = Literal["=", "!=", "<", "<=", ">", ">="]


@dataclass(frozen=True)
class Value:
    """A typed literal, in canonical text form.

    ``string``: the text; ``number``: a plain decimal (``-12.50``); ``boolean``:
    ``true``/``false``; ``date``: ``YYYY-MM-DD``; ``instant``: a UTC instant
    ``YYYY-MM-DD HH:MM:SS.ffffff``; ``as_of``: the reference time minus this many
    seconds (``0`` is ``as_of`` itself) — only in plans compiled without ``as_of``;
    ``clock``: a calendar bound computed from the warehouse clock in the market's zone, by
    its name (``cal_day_0``: today's local midnight; audiencelang.sql.calendar) — likewise.
    """

    kind: ValueKind
    text: str


@dataclass(frozen=True)
class FieldRef:
    """A column and its logical type. In a scan it is a physical column of the event
    table; in ``membership``/``audiences`` it is a column of ``facts``."""

    column: str
    type: FieldType


@dataclass(frozen=True)
class Test:
    """``field OP values`` — two-valued: false when the field is null (except ``is_null``)."""

    field: FieldRef
    op: TestOp
    values: tuple[Value, ...] = ()
    ignore_case: bool = False


@dataclass(frozen=True)
class AggTest:
    """A test on a per-profile aggregate column of ``facts``.

    ``func`` ``count``/``sum``: ``column OP value`` (the column is 0 without events).
    ``avg``: ``column`` is the sum, ``count`` the number of non-null values;
    true iff ``count > 0 AND sum OP value * count``. ``min``/``max``: true iff
    ``column IS NOT NULL AND column OP value`` (``count`` is ``None``). ``type`` is the type of the aggregated values.
    ``first``/``last`` (spec §8, ``first(E.p) TEST``): ``column`` is the earliest (latest)
    time of the selected occurrences, ``count`` the earliest (latest) time of a selected
    occurrence whose ``p`` fails TEST; true iff ``column IS NOT NULL AND (count IS NULL OR
    count <> column)``: there is a first (last) instant and no occurrence at it fails.
    ``op``/``value`` are unused (``is_not_null``, ``None``); ``type`` is ``timestamp``.
    """

    func: Literal["count", "sum", "avg", "min", "max", "first", "last"]
    column: str
    op: Literal["=", "!=", "<", "<=", ">", ">=", "is_null", "is_not_null"]
    value: Value | None
    type: FieldType
    count: str | None = None


@dataclass(frozen=True)
class ConsentHolds:
    """``has consent P`` / ``require consent P``: see :class:`ConsentPurpose`."""

    purpose: str


@dataclass(frozen=True)
class InAudience:
    """Membership of a referenced audience (a 0/1 column of ``facts``' chain)."""

    audience: str
    column: str


@dataclass(frozen=True)
class Sample:
    """``in sample P% salt "S"`` (spec §10): the profile id's bucket under ``salt`` is below
    ``below`` (``P * 100``, 1 … 10000); false for a null id."""

    salt: str
    below: int


@dataclass(frozen=True)
class Const:
    value: bool


@dataclass(frozen=True)
class Not:
    operand: Cond


@dataclass(frozen=True)
class And:
    items: tuple[Cond, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Cond, ...]


Cond = Union[Test, AggTest, ConsentHolds, InAudience, Sample, Const, Not, And, Or]  # noqa: UP007 (forward refs)


@dataclass(frozen=True)
class Aggregate:
    """One conditional aggregate of a scan: ``func(CASE WHEN condition THEN column END)``.

    ``column`` ``None`` counts rows. ``condition`` is over the event table's columns.
    ``count_days`` (spec §8 ``on N distinct days``): the number of distinct calendar days
    (UTC) of ``column``, the event's time, among the rows passing ``condition``."""

    name: str
    func: Literal["count", "sum", "min", "max", "count_days"]
    column: FieldRef | None
    condition: Cond


@dataclass(frozen=True)
class Scan:
    """One grouped pass over an event table (``GROUP BY user``).

    Rows count only with a non-null user, a non-null time ``<= as_of`` and ``prune``
    (the widest lower time bound and the union of the events' ``where`` filters).
    ``coalesce`` lists the aggregate columns that read as 0 for profiles without rows."""

    name: str
    table: tuple[str, ...]
    user: str
    time: str
    prune: Cond | None
    aggregates: tuple[Aggregate, ...]


@dataclass(frozen=True)
class SeqStep:
    """One step of a :class:`SequenceScan`: the rows of ``table`` with a non-null user and
    time ``<= as_of`` passing ``condition`` (the event's own filter, the step's ``where``
    and, for a step that must happen, the sequence's window; ``None``: every row) are
    its occurrences. ``within``: seconds, ``t(e_i) - t(e_(i-1)) <= within``."""

    table: tuple[str, ...]
    user: str
    time: str
    condition: Cond | None
    within: int | None
    absent: bool = False


@dataclass(frozen=True)
class SequenceScan:
    """``performed S1 then S2 ... [then not Sk within D]`` (spec §8), per user: the only
    aggregate (a ``count``, 0 without rows) counts the occurrences that complete the
    sequence: of the last step, ending a chain ``t(e1) < t(e2) < ...`` with every gap
    within its step's ``within``; with an absent last step, of the step before it, ending
    such a chain, whose wait has passed (its time is at most ``as_of - D``: part of that
    step's ``condition``) with no occurrence of the absent step
    at or after its time and within ``D``. Written as window passes over the users'
    ordered occurrences (see :mod:`audiencelang.sql.build_seq`)."""

    name: str
    steps: tuple[SeqStep, ...]
    aggregates: tuple[Aggregate, ...]


@dataclass(frozen=True)
class ConsentPurpose:
    name: str
    value: str
    mode: Literal["opt_in", "opt_out"]
    max_age_days: int | None
    double_opt_in: bool
    granted_column: str
    refused_column: str


@dataclass(frozen=True)
class ConsentScan:
    """One pass over the consent table: latest row(s) per user and purpose at ``as_of``."""

    table: tuple[str, ...]
    user: str
    purpose: str
    status: str
    time: str
    confirmed: str | None
    granted: str
    denied: str
    revoked: str
    purposes: tuple[ConsentPurpose, ...]


@dataclass(frozen=True)
class Trait:
    name: str
    column: str  # physical column
    alias: str  # column of ``profiles``/``facts``
    type: FieldType


@dataclass(frozen=True)
class Profiles:
    table: tuple[str, ...]
    id: str
    traits: tuple[Trait, ...]
    unique: bool = False  # the market declares one row per id (``unique_id``): no de-duplication


@dataclass(frozen=True)
class SubAudience:
    """A referenced audience: its membership formula, computed once as column ``column``."""

    name: str
    column: str
    membership: Cond


@dataclass(frozen=True)
class Output:
    mode: Literal["members", "size", "counts", "deliverable"]  # counts: per destination (run's report);
    # deliverable: every member with its identifier and a deliverable flag, no gate (deliver)
    destination: str | None
    identifier: str | None  # facts column of the identifier trait
    min_size: int | None  # effective gate (None: no destination)
    suppress: tuple[Cond, ...] = ()  # per profile row: held back by a suppression audience (§11)


@dataclass(frozen=True)
class Plan:
    audience: str
    market: str
    as_of: str | None  # ISO 8601 UTC (``...Z``) or None: the warehouse's current time
    bounds: tuple[int, ...]  # seconds before as_of used as relative bounds (params CTE)
    profiles: Profiles
    scans: tuple[Scan | SequenceScan, ...]
    consent: ConsentScan | None
    audiences: tuple[SubAudience, ...]
    membership: Cond
    output: Output
    zone: str = "UTC"  # the market's time zone (spec §9)
    calendar: tuple[str, ...] = ()  # calendar bounds (``clock`` values) the params CTE computes

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; every condition node carries ``"node": <class name>``."""
        out = _to_jsonable(self)
        assert isinstance(out, dict)
        return out


def _to_jsonable(obj: object) -> object:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        d: dict[str, Any] = {}
        if isinstance(obj, (Test, AggTest, ConsentHolds, InAudience, Sample, Const, Not, And, Or)):
            d["node"] = type(obj).__name__
        for f in dataclasses.fields(obj):
            d[f.name] = _to_jsonable(getattr(obj, f.name))
        return d
    if isinstance(obj, tuple):
        return [_to_jsonable(x) for x in obj]
    return obj
