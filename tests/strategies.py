"""Hypothesis strategies for audiencelang ASTs (reusable by every test module).

Every strategy produces *valid, normalised* nodes: what the parser itself would
build from some text without diagnostics. Normalised means: no ``And`` directly
inside ``And``, no ``Or`` directly inside ``Or`` (the parser flattens them);
aggregates only carry the tests the grammar allows after them (compare, between,
before/after); windows are in range and ``between`` windows are ordered; match
strings are non-empty; numbers are within the parser's limits.

Public strategies (each factory is cached: call it freely, it builds the strategy once):

* ``names()`` -- names, often sharing a prefix with a keyword (``country``, ``inbox`` ...)
* ``strings()``, ``numbers()``, ``dates()``, ``timestamps()``, ``literals()``, ``time_literals()``
* ``windows()``, ``last_windows()``, ``ago_windows()``, ``durations()``, ``counts()``
* ``property_conditions()``, ``where_exprs()`` -- what may stand after ``where``
* ``trait_conditions()``, ``performed()``, ``sequences()``, ``first_last_performed()``,
  ``aggregate_conditions()``, ``conditions()``
* ``exprs()`` -- any ``include``/``exclude`` expression (``st.recursive`` over every construct)
* ``audiences()``, ``files()``
* ``canonical_texts()`` -- formatted source text of a random file
* ``messy_texts()`` -- the same text re-spaced, with comments sprinkled in (still parses)
* ``suppressed_texts()`` -- texts with lint findings and suppression comments sprinkled in
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from functools import cache
from typing import Any

from hypothesis import strategies as st

from audiencelang import ast
from audiencelang.syntax.parser import MAX_WINDOW

#: Every keyword of the grammar (never generated as a name).
KEYWORDS = frozenset(["audience", "title", "owner", "description", "tags", "include", "exclude", "require", "consent", "min", "size", "activate", "or", "and", "not", "in", "has", "between", "contains", "starts", "ends", "with", "ignoring", "case", "is", "null", "last", "before", "after", "performed", "where", "at", "least", "most", "exactly", "time", "times", "since", "count", "sum", "avg", "max", "true", "false",
                      "then", "within", "more", "than", "ago", "on", "distinct", "first"])

#: Names that share a prefix with a keyword: ordinary names (spec §1).
TRICKY_NAMES = (
    "country", "counter", "minimum", "country_code", "performed_at", "inbox", "notes", "order",
    "andrew", "island", "between_x", "since_when", "has_x", "is_employee", "min_age", "sum_x",
    "where_x", "nothing", "ish", "orders", "timestamp", "lastly", "_",
    "thence", "within_x", "moreover", "agora", "online", "distinctive", "firstly", "last_seen",
)

UTC = dt.UTC
OFFSETS = (UTC, dt.timezone(dt.timedelta(hours=1)), dt.timezone(dt.timedelta(hours=-5, minutes=-30)),
           dt.timezone(dt.timedelta(hours=14)))


@cache
def names() -> st.SearchStrategy[str]:
    plain = st.from_regex(re.compile(r"[a-z_][a-z0-9_]{0,12}"), fullmatch=True).filter(
        lambda s: s not in KEYWORDS)
    return st.one_of(st.sampled_from(TRICKY_NAMES), plain)


@cache
def name_nodes() -> st.SearchStrategy[ast.Name]:
    return names().map(lambda v: ast.Name(value=v))


@cache
def strings(min_size: int = 0) -> st.SearchStrategy[str]:
    """Any text without NUL or surrogates (quotes, backslashes, control characters included)."""
    alphabet = st.one_of(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
        st.sampled_from('"\\\n\t\r\x01\x7f\u2028\ufeff\u200b%_ü'),
    )
    return st.text(alphabet=alphabet, min_size=min_size, max_size=12)


@cache
def numbers() -> st.SearchStrategy[Decimal]:
    """Numbers as a user writes them: up to 18 integer digits, up to 9 decimals, maybe negative."""
    def build(neg: bool, whole: int, frac: str) -> Decimal:
        text = ("-" if neg else "") + str(whole) + (f".{frac}" if frac else "")
        return Decimal(text)

    return st.builds(build, st.booleans(),
                     st.one_of(st.integers(0, 1000), st.integers(0, 10**18 - 1)),
                     st.from_regex(re.compile(r"[0-9]{0,9}"), fullmatch=True))


@cache
def dates() -> st.SearchStrategy[dt.date]:
    return st.dates(min_value=dt.date(1000, 1, 1), max_value=dt.date(9999, 12, 31))


@cache
def timestamps() -> st.SearchStrategy[dt.datetime]:
    naive = st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 1, 1))
    micro = st.one_of(st.just(0), st.integers(0, 999_999))
    return st.builds(lambda d, us, tz: d.replace(microsecond=us, tzinfo=tz),
                     naive, micro, st.sampled_from(OFFSETS))


@cache
def string_lits(min_size: int = 0) -> st.SearchStrategy[ast.StringLit]:
    return strings(min_size).map(lambda v: ast.StringLit(value=v))


@cache
def time_literals() -> st.SearchStrategy[Any]:
    return st.one_of(dates().map(lambda v: ast.DateLit(value=v)),
                     timestamps().map(lambda v: ast.TimestampLit(value=v)))


@cache
def literals() -> st.SearchStrategy[Any]:
    return st.one_of(
        string_lits(),
        numbers().map(lambda v: ast.NumberLit(value=v)),
        st.booleans().map(lambda v: ast.BoolLit(value=v)),
        time_literals(),
    )


# --------------------------------------------------------------------------- time


UNITS = ("minute", "hour", "day", "week", "month", "year")


def _amount_unit(cls: Any) -> st.SearchStrategy[Any]:
    def build(unit: str, data: st.DataObject) -> Any:
        amount = data.draw(st.one_of(st.integers(1, 30), st.integers(1, MAX_WINDOW[unit])))
        return cls(amount=amount, unit=unit)

    return st.builds(build, st.sampled_from(UNITS), st.data())


@cache
def last_windows() -> st.SearchStrategy[ast.LastWindow]:
    return _amount_unit(ast.LastWindow)


@cache
def ago_windows() -> st.SearchStrategy[ast.AgoWindow]:
    """``more than N UNIT ago`` (spec §8)."""
    return _amount_unit(ast.AgoWindow)


@cache
def durations() -> st.SearchStrategy[ast.Duration]:
    """``within N UNIT`` of a sequence step."""
    return _amount_unit(ast.Duration)


def _instant(lit: Any) -> dt.datetime:
    v = lit.value
    return v if isinstance(v, dt.datetime) else dt.datetime(v.year, v.month, v.day, tzinfo=UTC)


def _between(a: Any, b: Any) -> ast.BetweenWindow:
    start, end = (a, b) if _instant(a) <= _instant(b) else (b, a)
    return ast.BetweenWindow(start=start, end=end)


@cache
def windows() -> st.SearchStrategy[Any]:
    return st.one_of(
        last_windows(),
        st.builds(_between, time_literals(), time_literals()),
        time_literals().map(lambda v: ast.SinceWindow(start=v)),
        ago_windows(),
    )


@cache
def counts() -> st.SearchStrategy[ast.Count]:
    return st.builds(lambda op, n, days: ast.Count(op=op, n=n, distinct_days=days),
                     st.sampled_from(("at_least", "at_most", "exactly")),
                     st.one_of(st.integers(0, 5), st.integers(0, 1_000_000_000)), st.booleans())


# --------------------------------------------------------------------------- conditions


@cache
def _field_tests(target: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    ops = st.sampled_from(("=", "!=", "<", "<=", ">", ">="))
    return st.one_of(
        st.builds(lambda t, op, v: ast.Compare(target=t, op=op, value=v), target, ops, literals()),
        st.builds(lambda t, vs, neg: ast.InList(target=t, values=tuple(vs), negated=neg),
                  target, st.lists(literals(), min_size=1, max_size=4), st.booleans()),
        st.builds(lambda t, lo, hi: ast.Between(target=t, low=lo, high=hi), target, literals(), literals()),
        st.builds(lambda t, op, v, ic: ast.StringMatch(target=t, op=op, value=v, ignore_case=ic),
                  target, st.sampled_from(("contains", "starts_with", "ends_with")),
                  string_lits(min_size=1), st.booleans()),
        st.builds(lambda t, neg: ast.IsNull(target=t, negated=neg), target, st.booleans()),
        st.builds(lambda t, w: ast.InLast(target=t, window=w), target, last_windows()),
        st.builds(lambda t, w: ast.MoreThanAgo(target=t, window=w), target, ago_windows()),
        st.builds(lambda t, op, v: ast.TimeCompare(target=t, op=op, value=v),
                  target, st.sampled_from(("before", "after")), time_literals()),
    )


@cache
def property_conditions() -> st.SearchStrategy[Any]:
    """A condition on an event property (what a ``where`` filter is built from)."""
    return _field_tests(name_nodes())


trait_conditions = property_conditions  # same shapes, on the profile's traits


def _and(items: list[Any]) -> ast.And:
    flat: list[Any] = []
    for i in items:
        flat.extend(i.items if isinstance(i, ast.And) else (i,))
    return ast.And(items=tuple(flat))


def _or(items: list[Any]) -> ast.Or:
    flat: list[Any] = []
    for i in items:
        flat.extend(i.items if isinstance(i, ast.Or) else (i,))
    return ast.Or(items=tuple(flat))


@cache
def _boolean(base: st.SearchStrategy[Any], max_leaves: int) -> st.SearchStrategy[Any]:
    return st.recursive(
        base,
        lambda inner: st.one_of(
            inner.map(lambda e: ast.Not(operand=e)),
            st.lists(inner, min_size=2, max_size=4).map(_and),
            st.lists(inner, min_size=2, max_size=4).map(_or),
        ),
        max_leaves=max_leaves,
    )


@cache
def where_exprs() -> st.SearchStrategy[Any]:
    return _boolean(property_conditions(), max_leaves=4)


@cache
def performed() -> st.SearchStrategy[ast.Performed]:
    return st.builds(
        lambda e, w, c, win: ast.Performed(event=e, where=w, count=c, window=win),
        name_nodes(), st.none() | where_exprs(), st.none() | counts(), st.none() | windows(),
    )


@cache
def steps() -> st.SearchStrategy[ast.Step]:
    """A ``then`` step of a sequence: maybe absent, maybe filtered, maybe with ``within``
    (the grammar accepts every combination; the checker judges them)."""
    return st.builds(lambda e, w, d, absent: ast.Step(event=e, where=w, within=d, absent=absent),
                     name_nodes(), st.none() | where_exprs(), st.none() | durations(), st.booleans())


@cache
def sequences() -> st.SearchStrategy[ast.Sequence]:
    """``performed S1 then S2 ... [COUNT] [WINDOW]`` (spec §8), 2-4 steps."""
    first = st.builds(lambda e, w: ast.Step(event=e, where=w), name_nodes(), st.none() | where_exprs())
    return st.builds(
        lambda f, rest, c, win: ast.Sequence(steps=(f, *rest), count=c, window=win),
        first, st.lists(steps(), min_size=1, max_size=3), st.none() | counts(), st.none() | windows(),
    )


@cache
def first_last_performed() -> st.SearchStrategy[ast.FirstLastPerformed]:
    return st.builds(
        lambda which, e, w, c, win: ast.FirstLastPerformed(which=which, event=e, where=w, count=c, window=win),
        st.sampled_from(("first", "last")), name_nodes(), st.none() | where_exprs(),
        st.none() | counts(), st.none() | windows(),
    )


@cache
def aggregates(funcs: tuple[str, ...] = ("count", "sum", "avg", "min", "max")) -> st.SearchStrategy[ast.Aggregate]:
    def build(func: str, event: ast.Name, prop: ast.Name, where: Any, window: Any) -> ast.Aggregate:
        return ast.Aggregate(func=func, event=event, property=None if func == "count" else prop,  # type: ignore[arg-type]
                             where=where, window=window)

    return st.builds(build, st.sampled_from(funcs), name_nodes(),
                     name_nodes(), st.none() | where_exprs(), st.none() | windows())


@cache
def aggregate_conditions() -> st.SearchStrategy[Any]:
    ops = st.sampled_from(("=", "!=", "<", "<=", ">", ">="))
    agg = aggregates()
    edge = aggregates(("first", "last"))
    return st.one_of(
        st.builds(lambda t, op, v: ast.Compare(target=t, op=op, value=v), agg | edge, ops, literals()),
        st.builds(lambda t, lo, hi: ast.Between(target=t, low=lo, high=hi), agg | edge, literals(), literals()),
        st.builds(lambda t, op, v: ast.TimeCompare(target=t, op=op, value=v),
                  agg | edge, st.sampled_from(("before", "after")), time_literals()),
        # first()/last() also take the string tests (spec §8)
        st.builds(lambda t, vs, neg: ast.InList(target=t, values=tuple(vs), negated=neg),
                  edge, st.lists(literals(), min_size=1, max_size=3), st.booleans()),
        st.builds(lambda t, op, v, ic: ast.StringMatch(target=t, op=op, value=v, ignore_case=ic),
                  edge, st.sampled_from(("contains", "starts_with", "ends_with")),
                  string_lits(min_size=1), st.booleans()),
        st.builds(lambda t, neg: ast.IsNull(target=t, negated=neg), edge, st.booleans()),
    )


@cache
def conditions() -> st.SearchStrategy[Any]:
    return st.one_of(
        trait_conditions(),
        performed(),
        sequences(),
        first_last_performed(),
        aggregate_conditions(),
        name_nodes().map(lambda n: ast.InAudience(audience=n)),
        name_nodes().map(lambda n: ast.HasConsent(purpose=n)),
        samples(),
    )


@cache
def sample_percents() -> st.SearchStrategy[Decimal]:
    """Percentages as §10 allows them: 0 < P <= 100, at most two decimals (``10``, ``12.5``, ``0.01``)."""
    return st.builds(lambda hundredths, places: Decimal(hundredths).scaleb(-2).quantize(Decimal(10) ** -places),
                     st.integers(1, 10_000), st.sampled_from((2, 2, 1, 0))).filter(
        lambda p: p > 0 and p == p.quantize(Decimal("0.01")))


@cache
def samples() -> st.SearchStrategy[ast.InSample]:
    """``in sample P% salt "S"`` (spec §10) with any salt text."""
    return st.builds(lambda p, salt: ast.InSample(percent=ast.NumberLit(value=p), salt=salt),
                     sample_percents(), string_lits(min_size=1))


@cache
def exprs(max_leaves: int = 8) -> st.SearchStrategy[Any]:
    """Any include/exclude expression: every construct, normalised (flat and/or)."""
    return _boolean(conditions(), max_leaves=max_leaves)


# --------------------------------------------------------------------------- audiences and files


@cache
def audiences(name: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[ast.Audience]:
    meta = st.none() | string_lits()
    return st.builds(
        lambda n, title, owner, desc, tags, inc, exc, req, size, act: ast.Audience(
            name=ast.Name(value=n), title=title, owner=owner, description=desc,
            tags=None if tags is None else tuple(tags), include=inc, exclude=exc,
            require_consent=tuple(ast.RequireConsent(purposes=tuple(p)) for p in req),
            min_size=None if size is None else ast.NumberLit(value=Decimal(size)),
            activate=tuple(ast.Activate(destination=d) for d in act),
        ),
        name if name is not None else names(), meta, meta, meta,
        st.none() | st.lists(string_lits(), max_size=3),
        exprs(), st.none() | exprs(max_leaves=4),
        st.lists(st.lists(name_nodes(), min_size=1, max_size=3), max_size=2),
        st.none() | st.integers(0, 10**12),
        st.lists(name_nodes(), max_size=2),
    )


@cache
def files() -> st.SearchStrategy[ast.File]:
    return st.lists(audiences(), min_size=1, max_size=3, unique_by=lambda a: a.name.value).map(
        lambda auds: ast.File(audiences=tuple(auds)))


@cache
def canonical_texts() -> st.SearchStrategy[str]:
    from audiencelang.syntax.formatter import format_file

    return files().map(format_file)


_TOKENS = re.compile(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*|[ \t\n]+|[^ \t\n"#]+')
#: A break inside these two-word keywords must stay white space (no comment).
_GLUED = {"starts", "ends", "at"}


def _respace(text: str, rnd: Any, comment: Any) -> str:
    """``text`` re-spaced at random (see :func:`messy_texts`); ``comment(n, rnd, trailing)``
    gives the text of the n-th comment sprinkled in."""
    out: list[str] = []
    prev = ""
    n = 0
    for tok in _TOKENS.findall(text):
        if tok.strip() == "":
            choice = rnd.randrange(10)
            if prev in _GLUED or choice < 5:
                out.append(" " if choice % 2 else tok)
            elif choice < 7:
                out.append("\n" + " " * rnd.randrange(7))
            elif choice < 9:
                n += 1
                out.append(f"  {comment(n, rnd, True)}\n")
            else:
                n += 1
                out.append(f"\n{comment(n, rnd, False)}\n")
        else:
            out.append(tok)
            prev = tok
    result = "".join(out)
    if rnd.random() < 0.3:
        result = result.replace("\n", "\r\n")
    return result


@st.composite
def messy_texts(draw: st.DrawFn) -> str:
    """A canonical text re-spaced at random: extra spaces, line breaks, trailing comments and
    comments on their own lines between tokens; CRLF line ends sometimes. Always parses to the
    same AST as the canonical text."""
    text = draw(canonical_texts())
    rnd = draw(st.randoms(use_true_random=False))  # one draw: fast, still reproducible
    return _respace(text, rnd, lambda n, _rnd, trailing: f"# c{n} and where (" if trailing else f"# own {n}")


#: Audience bodies that draw lint findings (and some errors) in the test markets of
#: tests/fixtures/check (aa, bb): L003-L008, E401.
LINT_SEEDS = (
    "include age > 1 and age > 1",
    "include not not vip = true or age > 3",
    "include count(purchase) >= 0 and country = \"DE\"",
    "include age > 50 and age < 30",
    "include performed purchase in last 400 days\n  exclude age < 18 and age < 18",
    "include performed purchase at least 0 times\n  activate sms_push\n  activate sms_push",
    "include vip = true\n  tags [\"a\", \"a\"]",
)
LINT_CODES = ("L001", "L002", "L003", "L004", "L005", "L006", "L007", "L008")


@st.composite
def suppressed_texts(draw: st.DrawFn) -> str:
    """A file with lint findings (random audiences plus :data:`LINT_SEEDS` under names that
    break or keep the naming rule, with or without metadata), re-spaced like
    :func:`messy_texts` with ``# audiencelang: ignore[...]`` comments sprinkled in."""
    from audiencelang.syntax.formatter import format_file
    from audiencelang.syntax.parser import parse

    seeds = draw(st.lists(st.sampled_from(LINT_SEEDS), min_size=1, max_size=3))
    blocks = []
    for i, body in enumerate(seeds):
        meta = draw(st.booleans())
        name = draw(st.sampled_from(("seed_", "seed__", "_seed_")))  # L001 for the last two
        blocks.append(f"audience {name}{i} {{\n" + ('  owner "t@example.com"\n  description "d"\n' if meta else "")
                      + f"  {body}\n}}\n")
    seeded = parse("\n".join(blocks)).file
    assert seeded is not None
    rest = draw(st.lists(audiences(), max_size=2, unique_by=lambda a: a.name.value))
    rest = [a for a in rest if "seed" not in a.name.value]
    auds = list(seeded.audiences)
    for a in rest:
        auds.insert(draw(st.integers(0, len(auds))), a)
    text = format_file(ast.File(audiences=tuple(auds)))
    rnd = draw(st.randoms(use_true_random=False))

    def comment(n: int, r: Any, _trailing: bool) -> str:
        if r.random() < 0.2:
            return f"# c{n}"
        codes = r.sample(LINT_CODES, r.randrange(1, 3))
        return f"# audiencelang: ignore[{', '.join(codes)}]"

    return _respace(text, rnd, comment)
