"""The typed AST of audience files.

Frozen pydantic models, one class per construct of spec §1, a :class:`Span` on
every node. Every node has a ``kind`` literal so the tree serialises to JSON and
back (``audiencelang parse FILE --format json``) and unions are discriminated.

Parentheses are not kept: ``And``/``Or`` are n-ary and flat, and the formatter
puts parentheses back where precedence needs them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from audiencelang.diagnostics import Span


class Node(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    span: Span = Field(default_factory=Span)


# --------------------------------------------------------------------------- literals


class StringLit(Node):
    kind: Literal["string"] = "string"
    value: str


class NumberLit(Node):
    """A number as written. ``value`` is exact (``Decimal``); ``is_integer`` tells
    whether it was written without a fraction."""

    kind: Literal["number"] = "number"
    value: Decimal

    @property
    def is_integer(self) -> bool:
        exp = self.value.as_tuple().exponent
        return isinstance(exp, int) and exp >= 0


class BoolLit(Node):
    kind: Literal["boolean"] = "boolean"
    value: bool


class DateLit(Node):
    kind: Literal["date"] = "date"
    value: dt.date


class TimestampLit(Node):
    """A timestamp with an explicit offset. ``value`` is timezone-aware."""

    kind: Literal["timestamp"] = "timestamp"
    value: dt.datetime


Literal_ = Annotated[
    StringLit | NumberLit | BoolLit | DateLit | TimestampLit, Field(discriminator="kind")
]
TimeLit = Annotated[DateLit | TimestampLit, Field(discriminator="kind")]


class Name(Node):
    """A name as written (trait, event, property, audience, purpose, destination)."""

    kind: Literal["name"] = "name"
    value: str


# --------------------------------------------------------------------------- time

#: Exact durations: a month is 30 days, a year 365 days (spec §8).
TimeUnit = Literal["minute", "hour", "day", "week", "month", "year"]
#: The exact length of each unit, in seconds (the one table every layer uses).
UNIT_SECONDS: dict[str, int] = {"minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400,
                                "month": 30 * 86400, "year": 365 * 86400}


class LastWindow(Node):
    """``in last N UNIT``: ``as_of - N*UNIT <= t <= as_of``."""

    kind: Literal["last"] = "last"
    amount: int
    unit: TimeUnit


class BetweenWindow(Node):
    """``between D1 and D2``: both whole days (or exact instants) included."""

    kind: Literal["between"] = "between"
    start: TimeLit
    end: TimeLit


class SinceWindow(Node):
    """``since D``: from the start of D (or the instant) up to ``as_of``."""

    kind: Literal["since"] = "since"
    start: TimeLit


class AgoWindow(Node):
    """``more than N UNIT ago``: ``t < as_of - N*UNIT`` (strictly; spec §8)."""

    kind: Literal["ago"] = "ago"
    amount: int
    unit: TimeUnit


CalendarUnit = Literal["day", "week", "month"]


class CalendarWindow(Node):
    """``today``, ``yesterday``, ``in last N calendar days|weeks|months``: bounds on the
    market's local calendar (spec §9; weeks start on Monday). ``period`` ``"last"`` with
    ``amount`` 1 and ``unit`` ``"day"`` covers the same times as ``today``."""

    kind: Literal["calendar"] = "calendar"
    period: Literal["today", "yesterday", "last"]
    amount: int = 1
    unit: CalendarUnit = "day"


Window = Annotated[LastWindow | BetweenWindow | SinceWindow | AgoWindow | CalendarWindow,
                   Field(discriminator="kind")]


class Duration(Node):
    """``N UNIT`` after ``within`` in a sequence step (an exact duration)."""

    kind: Literal["duration"] = "duration"
    amount: int
    unit: TimeUnit


# --------------------------------------------------------------------------- targets

AggFunc = Literal["count", "sum", "avg", "min", "max", "first", "last"]


class Aggregate(Node):
    """``func(event.property) [where EXPR] [WINDOW]`` — a value computed per profile.

    ``property`` is ``None`` only for ``count(event)`` (elsewhere the checker reports it).
    ``first``/``last`` (spec §8) are the property of the earliest/latest selected
    occurrences: a test on them holds when it holds for every occurrence at that time."""

    kind: Literal["aggregate"] = "aggregate"
    func: AggFunc
    event: Name
    property: Name | None = None
    where: Expr | None = None
    window: Window | None = None


# A field is a trait (top level) or an event property (inside ``where``).
Target = Annotated[Name | Aggregate, Field(discriminator="kind")]


# --------------------------------------------------------------------------- conditions

CompareOp = Literal["=", "!=", "<", "<=", ">", ">="]
MatchOp = Literal["contains", "starts_with", "ends_with"]


class Compare(Node):
    """``target OP value`` with OP one of ``= != < <= > >=``."""

    kind: Literal["compare"] = "compare"
    target: Target
    op: CompareOp
    value: Literal_


class InList(Node):
    """``target in [v, ...]`` or ``target not in [v, ...]``."""

    kind: Literal["in_list"] = "in_list"
    target: Target
    values: tuple[Literal_, ...]
    negated: bool = False


class Between(Node):
    """``target between low and high`` (inclusive on both ends)."""

    kind: Literal["between_values"] = "between_values"
    target: Target
    low: Literal_
    high: Literal_


class StringMatch(Node):
    """``target contains|starts with|ends with "text" [ignoring case]`` (literal match)."""

    kind: Literal["match"] = "match"
    target: Target
    op: MatchOp
    value: StringLit
    ignore_case: bool = False


class IsNull(Node):
    """``target is null`` / ``target is not null``."""

    kind: Literal["is_null"] = "is_null"
    target: Target
    negated: bool = False


class InLast(Node):
    """``target in last N UNIT`` for a date or timestamp target."""

    kind: Literal["in_last"] = "in_last"
    target: Target
    window: LastWindow | CalendarWindow


class MoreThanAgo(Node):
    """``target more than N UNIT ago`` for a date or timestamp target (spec §8)."""

    kind: Literal["more_than_ago"] = "more_than_ago"
    target: Target
    window: AgoWindow


class TimeCompare(Node):
    """``target before D`` (strictly before the start of D) or ``target after D``
    (at or after the start of the next day; for a timestamp literal: strictly after)."""

    kind: Literal["time_compare"] = "time_compare"
    target: Target
    op: Literal["before", "after"]
    value: TimeLit


CountOp = Literal["at_least", "at_most", "exactly"]


class Count(Node):
    """``at least|at most|exactly N time(s)``, or with ``distinct_days``
    ``on at least|at most|exactly N distinct day(s)`` (spec §8: the number of
    different calendar days holding at least one passing occurrence)."""

    kind: Literal["count"] = "count"
    op: CountOp
    n: int
    distinct_days: bool = False


class Performed(Node):
    """``performed EVENT [where EXPR] [COUNT] [WINDOW]``."""

    kind: Literal["performed"] = "performed"
    event: Name
    where: Expr | None = None
    count: Count | None = None
    window: Window | None = None


class Step(Node):
    """One step of a :class:`Sequence`: ``EVENT [where EXPR] [within DURATION]``;
    ``absent`` for ``not EVENT ...`` (the spec allows it only as the last step, with
    ``within``; the checker reports other uses). The first step never has ``within``
    (the grammar has no place for it)."""

    kind: Literal["step"] = "step"
    event: Name
    where: Expr | None = None
    within: Duration | None = None
    absent: bool = False


class Sequence(Node):
    """``performed S1 then S2 [within D2] ... [WINDOW]`` (spec §8), two or more steps.

    ``count`` is only kept so the checker can say that count clauses do not apply
    to sequences; a checked sequence never has one."""

    kind: Literal["sequence"] = "sequence"
    steps: tuple[Step, ...]
    count: Count | None = None
    window: Window | None = None


class FirstLastPerformed(Node):
    """``first performed EVENT [where EXPR] [WINDOW]`` / ``last performed ...`` (spec §8):
    the profile's earliest (latest) passing occurrence up to ``as_of`` lies in WINDOW.

    ``count`` is only kept so the checker can say that count clauses do not apply."""

    kind: Literal["first_last_performed"] = "first_last_performed"
    which: Literal["first", "last"]
    event: Name
    where: Expr | None = None
    count: Count | None = None
    window: Window | None = None


class InAudience(Node):
    """``in audience NAME``."""

    kind: Literal["in_audience"] = "in_audience"
    audience: Name


class HasConsent(Node):
    """``has consent PURPOSE``."""

    kind: Literal["has_consent"] = "has_consent"
    purpose: Name


class InSample(Node):
    """``in sample P% salt "S"`` (spec §10): the profile's bucket (``sample_bucket``) is below
    ``P * 100``. ``percent`` is kept as written; the checker bounds it."""

    kind: Literal["in_sample"] = "in_sample"
    percent: NumberLit
    salt: StringLit


class Not(Node):
    kind: Literal["not"] = "not"
    operand: Expr


class And(Node):
    kind: Literal["and"] = "and"
    items: tuple[Expr, ...]


class Or(Node):
    kind: Literal["or"] = "or"
    items: tuple[Expr, ...]


Condition = (
    Compare | InList | Between | StringMatch | IsNull | InLast | MoreThanAgo | TimeCompare
    | Performed | Sequence | FirstLastPerformed | InAudience | HasConsent | InSample
)
Expr = Annotated[
    Compare | InList | Between | StringMatch | IsNull | InLast | MoreThanAgo | TimeCompare
    | Performed | Sequence | FirstLastPerformed | InAudience | HasConsent | InSample
    | Not | And | Or,
    Field(discriminator="kind"),
]


# --------------------------------------------------------------------------- audiences


class RequireConsent(Node):
    kind: Literal["require_consent"] = "require_consent"
    purposes: tuple[Name, ...]


class Activate(Node):
    kind: Literal["activate"] = "activate"
    destination: Name


class Audience(Node):
    """One ``audience NAME { ... }`` block.

    Clause order in the source is free; the AST keeps the canonical fields.
    ``include`` is ``None`` only in a tree that also carries an E1xx diagnostic."""

    kind: Literal["audience"] = "audience"
    name: Name
    title: StringLit | None = None
    owner: StringLit | None = None
    description: StringLit | None = None
    tags: tuple[StringLit, ...] | None = None
    tags_span: Span | None = None
    include: Expr | None = None
    exclude: Expr | None = None
    require_consent: tuple[RequireConsent, ...] = ()
    min_size: NumberLit | None = None
    activate: tuple[Activate, ...] = ()

    @property
    def required_purposes(self) -> tuple[str, ...]:
        """Every purpose named by a ``require consent`` clause, in order, without repeats."""
        seen: dict[str, None] = {}
        for rc in self.require_consent:
            for p in rc.purposes:
                seen.setdefault(p.value, None)
        return tuple(seen)


class Comment(Node):
    kind: Literal["comment"] = "comment"
    text: str  # including the leading '#'


class File(Node):
    """A parsed ``.aud`` file: its audiences and its comments (for the formatter)."""

    kind: Literal["file"] = "file"
    path: str | None = None
    audiences: tuple[Audience, ...] = ()
    comments: tuple[Comment, ...] = ()




def walk(node: BaseModel) -> list[Node]:
    """Every node below (and including) ``node``, in source order, iteratively."""
    out: list[Node] = []
    stack: list[object] = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, Node):
            out.append(cur)
            children: list[object] = []
            for fname in type(cur).model_fields:
                if fname == "span":
                    continue
                children.append(getattr(cur, fname))
            stack.extend(reversed(children))
        elif isinstance(cur, tuple):
            stack.extend(reversed(cur))
    return out


def strip_spans(data: object) -> object:
    """A JSON-like dump of a node with every span removed (for comparing trees)."""
    if isinstance(data, BaseModel):
        data = data.model_dump(mode="json")
    if isinstance(data, dict):
        return {k: strip_spans(v) for k, v in data.items() if k not in ("span", "tags_span", "path")}
    if isinstance(data, list):
        return [strip_spans(v) for v in data]
    return data
