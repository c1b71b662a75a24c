"""Market-independent checks of one audience, in one walk: lint rules L001-L004,
L006-L008, L011, L012 (audiencelang.check.exclusion), L014, the ``between`` order (E315),
the shape of spec §8 forms (E316-E319), and the ``in audience`` references.

The walk computes a structural key for every node bottom-up (the node without its
spans), so duplicate and contradiction detection never re-walks a subtree.

Also here: the lint configuration (``[lint] select/ignore/per-file-ignores/severity``)
and the ``# audiencelang: ignore[CODE]`` suppression comments (L000).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from audiencelang import ast
from audiencelang.check.exclusion import dead_exclusions
from audiencelang.diagnostics import Diagnostic, Severity, Span, did_you_mean
from audiencelang.safematch import Pattern
from audiencelang.schema.config import LintConfig

if TYPE_CHECKING:
    from audiencelang.syntax.formatter import CommentScope

__all__ = ["AudienceFacts", "LintFilter", "Suppression", "audience_facts", "parse_suppressions"]

Key = tuple[object, ...]
Lit = ast.StringLit | ast.NumberLit | ast.BoolLit | ast.DateLit | ast.TimestampLit


@dataclass
class AudienceFacts:
    """What the market-independent walk found in one audience."""

    refs: list[ast.Name] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def _lit_key(lit: Lit) -> Key:
    return (lit.kind, lit.value)


def _lit_text(lit: Lit) -> str:
    if isinstance(lit, ast.TimestampLit):
        return lit.value.isoformat()
    if isinstance(lit, ast.BoolLit):
        return "true" if lit.value else "false"
    if isinstance(lit, ast.StringLit):
        return '"' + lit.value + '"'
    return str(lit.value)


def _instant(lit: ast.DateLit | ast.TimestampLit) -> dt.datetime:
    if isinstance(lit, ast.DateLit):
        return dt.datetime(lit.value.year, lit.value.month, lit.value.day, tzinfo=dt.UTC)
    return lit.value


def _window_key(w: ast.Window | None) -> Key:
    if w is None:
        return ()
    if isinstance(w, ast.LastWindow):
        return ("last", w.amount, w.unit)
    if isinstance(w, ast.BetweenWindow):
        return ("between", _lit_key(w.start), _lit_key(w.end))
    if isinstance(w, ast.AgoWindow):
        return ("ago", w.amount, w.unit)
    if isinstance(w, ast.CalendarWindow):
        return ("calendar", w.period, w.amount, w.unit)
    return ("since", _lit_key(w.start))


def _count_key(c: ast.Count | None) -> Key:
    return (c.op, c.n, c.distinct_days) if c is not None else ("at_least", 1, False)


@dataclass
class _Range:
    """A numeric interval collected from one condition of a conjunction."""

    lo: Decimal | None
    lo_incl: bool
    hi: Decimal | None
    hi_incl: bool
    node: ast.Node
    text: str


class _Walker:
    def __init__(self, aud: ast.Audience, facts: AudienceFacts) -> None:
        self.aud = aud
        self.facts = facts

    def emit(self, code: str, severity: Severity, message: str, span: Span | None, *hints: str) -> None:
        self.facts.diagnostics.append(Diagnostic(code=code, severity=severity, message=message, span=span,
                                                 hints=hints, audience=self.aud.name.value))

    # ------------------------------------------------------------------ keys

    def target_key(self, t: ast.Target) -> Key:
        if isinstance(t, ast.Name):
            return ("f", t.value)
        where = self.expr(t.where) if t.where is not None else ()
        return ("agg", t.func, t.event.value, t.property.value if t.property else None, where, _window_key(t.window))

    def expr(self, e: ast.Expr) -> Key:
        """Check ``e`` and return its structural key."""
        if isinstance(e, (ast.And, ast.Or)):
            keys = [self.expr(i) for i in e.items]
            self.duplicates(e, keys)
            if isinstance(e, ast.And):
                self.ranges(e, keys)
            else:
                self.null_or_not_null(e, keys)
            return (e.kind, tuple(keys))
        if isinstance(e, ast.Not):
            if isinstance(e.operand, ast.Not):
                self.emit("L008", Severity.INFO, "double negation: 'not not' cancels out", e.span,
                          "write the condition without both 'not's")
            op = e.operand
            if isinstance(op, ast.Performed) and op.count is not None and op.count.op == "at_least" \
                    and op.count.n >= 2 and type(op) is ast.Performed:
                n = op.count.n
                self.emit("L011", Severity.INFO,
                          f"'not performed {op.event.value} at least {n} times' is "
                          f"'performed {op.event.value} at most {n - 1} time{'s' * (n - 1 != 1)}'",
                          e.span, f"the same profiles (fewer than {n}, none included); "
                          "the positive form is easier to read")
            return ("not", self.expr(e.operand))
        if isinstance(e, ast.Performed):
            where = self.expr(e.where) if e.where is not None else ()
            if e.count is not None and e.count.op == "at_least" and e.count.n <= 0:
                if e.count.distinct_days:
                    self.emit("L003", Severity.WARNING,
                              f"'performed {e.event.value} on at least {e.count.n} distinct days' is always true",
                              e.count.span, "every profile performed it on at least 0 days; "
                              "did you mean 'on at least 1 distinct day'?")
                else:
                    self.emit("L003", Severity.WARNING,
                              f"'performed {e.event.value} at least {e.count.n} times' is always true",
                              e.count.span, "every profile performed it at least 0 times; did you mean 'at least 1 time'?")
            return ("performed", e.event.value, where, _count_key(e.count), _window_key(e.window))
        if isinstance(e, ast.Sequence):
            self.sequence_shape(e)
            steps = tuple(
                (s.event.value, self.expr(s.where) if s.where is not None else (),
                 (s.within.amount, s.within.unit) if s.within is not None else (), s.absent)
                for s in e.steps)
            return ("sequence", steps, _count_key(e.count) if e.count is not None else (), _window_key(e.window))
        if isinstance(e, ast.FirstLastPerformed):
            if e.count is not None:
                self.emit("E316", Severity.ERROR, f"a count clause does not apply to '{e.which} performed'",
                          e.count.span, f"'{e.which} performed {e.event.value}' is about one occurrence, the "
                          f"{e.which} one; to count, write 'performed {e.event.value} {_count_text(e.count)}'")
            where = self.expr(e.where) if e.where is not None else ()
            return ("first_last", e.which, e.event.value, where,
                    _count_key(e.count) if e.count is not None else (), _window_key(e.window))
        if isinstance(e, ast.InAudience):
            self.facts.refs.append(e.audience)
            return ("in_audience", e.audience.value)
        if isinstance(e, ast.HasConsent):
            return ("has_consent", e.purpose.value)
        if isinstance(e, ast.InSample):
            return ("in_sample", e.percent.value, e.salt.value)
        tk = self.target_key(e.target)
        if isinstance(e, ast.Compare):
            self.count_compare(e)
            return ("compare", tk, e.op, _lit_key(e.value))
        if isinstance(e, ast.InList):
            return ("in_list", tk, e.negated, tuple(_lit_key(v) for v in e.values))
        if isinstance(e, ast.Between):
            self.between_order(e)
            return ("between", tk, _lit_key(e.low), _lit_key(e.high))
        if isinstance(e, ast.StringMatch):
            return ("match", tk, e.op, e.value.value, e.ignore_case)
        if isinstance(e, ast.IsNull):
            return ("is_null", tk, e.negated)
        if isinstance(e, ast.InLast):
            return ("in_last", tk, _window_key(e.window))
        if isinstance(e, ast.MoreThanAgo):
            return ("more_than_ago", tk, _window_key(e.window))
        return ("time", tk, e.op, _lit_key(e.value))

    # ------------------------------------------------------------------ rules

    def sequence_shape(self, e: ast.Sequence) -> None:
        """What spec §8 forbids or leaves meaningless in a sequence (E316-E319)."""
        if e.count is not None:
            self.emit("E316", Severity.ERROR, "a count clause does not apply to a sequence", e.count.span,
                      "a sequence holds once its steps happened in order; to count one event, "
                      f"write 'performed {e.steps[0].event.value} {_count_text(e.count)}' as its own condition")
        for step in e.steps[1:-1]:
            if step.absent:
                self.emit("E317", Severity.ERROR,
                          f"'then not {step.event.value}' can only be the last step of a sequence", step.span,
                          "an absent step ends the sequence: move it last, or test its absence as a "
                          "separate condition")
        last = e.steps[-1]
        if last.absent and last.within is None:
            self.emit("E318", Severity.ERROR,
                      f"'then not {last.event.value}' needs 'within': how long must it stay absent?", last.span,
                      f"write e.g. 'then not {last.event.value} within 1 day'")
        length = _window_length(e.window)
        if length is None:
            return
        for step in e.steps[1:]:
            if step.absent or step.within is None:
                continue  # an absent step looks past the window (spec §8)
            within = dt.timedelta(seconds=step.within.amount * ast.UNIT_SECONDS[step.within.unit])
            if within > length:
                w = f"within {step.within.amount} {step.within.unit}{'s' * (step.within.amount != 1)}"
                self.emit("E319", Severity.ERROR,
                          f"'{w}' is longer than the sequence's window: every step lies in the window, "
                          "so the limit means nothing", step.within.span,
                          "shorten the 'within', widen the window, or drop one of them")

    def duplicates(self, e: ast.And | ast.Or, keys: list[Key]) -> None:
        seen: dict[Key, ast.Node] = {}
        for item, k in zip(e.items, keys, strict=True):
            first = seen.get(k)
            if first is None:
                seen[k] = item
                continue
            word = "and" if isinstance(e, ast.And) else "or"
            self.emit("L006", Severity.WARNING, f"this condition repeats one earlier in the same '{word}'",
                      item.span, f"first written at line {first.span.line}, column {first.span.column}; "
                      "remove one, or change the value that was meant")

    def null_or_not_null(self, e: ast.Or, keys: list[Key]) -> None:
        nulls: dict[Key, set[bool]] = {}
        for item in e.items:
            if isinstance(item, ast.IsNull):
                tk = self.target_key(item.target) if isinstance(item.target, ast.Name) else ("agg", id(item.target))
                got = nulls.setdefault(tk, set())
                got.add(item.negated)
                if got == {True, False}:
                    self.emit("L003", Severity.WARNING,
                              "'X is null or X is not null' is always true", item.span,
                              "remove both conditions")

    def count_compare(self, c: ast.Compare) -> None:
        t = c.target
        if not (isinstance(t, ast.Aggregate) and t.func == "count" and isinstance(c.value, ast.NumberLit)):
            return
        v = c.value.value
        text = f"{t.func}({t.event.value}{'.' + t.property.value if t.property else ''}) {c.op} {v}"
        always = (c.op == ">=" and v <= 0) or (c.op == ">" and v < 0) or (c.op in ("!=",) and v < 0) \
            or (c.op == "<=" and False)
        never = (c.op == "<" and v <= 0) or (c.op == "<=" and v < 0) or (c.op == "=" and v < 0)
        if always:
            self.emit("L003", Severity.WARNING, f"'{text}' is always true: a count is never negative", c.span,
                      "did you mean '>= 1' (at least once)?")
        elif never:
            self.emit("L004", Severity.WARNING, f"'{text}' is never true: a count is never negative", c.span,
                      "to select profiles without such events use '= 0' or 'not performed ...'")

    def between_order(self, c: ast.Between) -> None:
        lo, hi = c.low, c.high
        bad = False
        if isinstance(lo, ast.NumberLit) and isinstance(hi, ast.NumberLit):
            bad = lo.value > hi.value
        elif isinstance(lo, (ast.DateLit, ast.TimestampLit)) and isinstance(hi, (ast.DateLit, ast.TimestampLit)):
            bad = _instant(lo) > _instant(hi)
        if bad:
            self.emit("E315", Severity.ERROR,
                      f"'between' bounds are reversed: {_lit_text(lo)} is greater than {_lit_text(hi)}", c.span,
                      f"write 'between {_lit_text(hi)} and {_lit_text(lo)}' (both ends are included)")

    def ranges(self, e: ast.And, keys: list[Key]) -> None:
        groups: dict[object, list[_Range]] = {}
        for item, k in zip(e.items, keys, strict=True):
            r = _range_of(item)
            if r is not None:
                # a comparison groups by its target; `performed` by event, filter, window and
                # what it counts (occurrences or distinct days)
                group = (("performed", k[1], k[2], k[4], _count_key(item.count)[2])
                         if isinstance(item, ast.Performed) else k[1])
                groups.setdefault(group, []).append(r)
        for rs in groups.values():
            if len(rs) < 2:
                continue
            lo: _Range | None = None
            hi: _Range | None = None
            for r in rs:
                if r.lo is not None and (lo is None or lo.lo is None or r.lo > lo.lo
                                         or (r.lo == lo.lo and not r.lo_incl)):
                    lo = r
                if r.hi is not None and (hi is None or hi.hi is None or r.hi < hi.hi
                                         or (r.hi == hi.hi and not r.hi_incl)):
                    hi = r
                if lo is not None and hi is not None and lo is not hi:
                    assert lo.lo is not None and hi.hi is not None
                    empty = lo.lo > hi.hi or (lo.lo == hi.hi and not (lo.lo_incl and hi.hi_incl))
                    if empty:
                        later = lo if lo.node.span.start >= hi.node.span.start else hi
                        other = hi if later is lo else lo
                        self.emit("L004", Severity.WARNING,
                                  f"'{other.text}' and '{later.text}' cannot both hold: this 'and' is never true",
                                  later.node.span, "check the numbers; to match either range use 'or'")
                        return


def _count_text(c: ast.Count) -> str:
    op = c.op.replace("_", " ")
    if c.distinct_days:
        return f"on {op} {c.n} distinct day{'s' * (c.n != 1)}"
    return f"{op} {c.n} time{'s' * (c.n != 1)}"


def _window_length(w: ast.Window | None) -> dt.timedelta | None:
    """How long a window with fixed bounds is (``None``: unbounded or moving with ``as_of``)."""
    if isinstance(w, ast.LastWindow):
        return dt.timedelta(seconds=w.amount * ast.UNIT_SECONDS[w.unit])
    if isinstance(w, ast.BetweenWindow):
        length = _instant(w.end) - _instant(w.start)
        return length + dt.timedelta(days=1) if isinstance(w.end, ast.DateLit) else length
    return None


def _range_of(c: ast.Expr) -> _Range | None:
    if isinstance(c, ast.Performed):  # the number of matching events, n >= 0
        op, n = (c.count.op, Decimal(c.count.n)) if c.count is not None else ("at_least", Decimal(1))
        if c.count is not None and c.count.distinct_days:
            what = f"on {op.replace('_', ' ')} {n} distinct day{'s' * (n != 1)}"
        elif c.count is not None:
            what = f"{op.replace('_', ' ')} {n} time{'s' * (n != 1)}"
        else:
            what = "(at least 1 time)"
        text = f"performed {c.event.value} {what}"
        if op == "at_least":
            return _Range(n, True, None, False, c, text)
        if op == "at_most":
            return _Range(None, False, n, True, c, text)
        return _Range(n, True, n, True, c, text)
    if isinstance(c, ast.Compare) and isinstance(c.value, ast.NumberLit) and c.op != "!=":
        v = c.value.value
        name = _target_text(c.target)
        text = f"{name} {c.op} {v}"
        if c.op == "=":
            return _Range(v, True, v, True, c, text)
        if c.op in (">", ">="):
            return _Range(v, c.op == ">=", None, False, c, text)
        return _Range(None, False, v, c.op == "<=", c, text)
    if (isinstance(c, ast.Between) and isinstance(c.low, ast.NumberLit) and isinstance(c.high, ast.NumberLit)
            and c.low.value <= c.high.value):  # reversed bounds are E315
        text = f"{_target_text(c.target)} between {c.low.value} and {c.high.value}"
        return _Range(c.low.value, True, c.high.value, True, c, text)
    return None


def _target_text(t: ast.Target) -> str:
    if isinstance(t, ast.Name):
        return t.value
    inner = t.event.value if t.property is None else f"{t.event.value}.{t.property.value}"
    return f"{t.func}({inner})"


def audience_facts(aud: ast.Audience, config: LintConfig, naming: Pattern | None,
                   owner_re: Pattern | None = None) -> AudienceFacts:
    """One walk over ``aud``: references and every market-independent finding (before config)."""
    facts = AudienceFacts()
    w = _Walker(aud, facts)
    name = aud.name.value
    if naming is not None and not naming.fullmatch(name):
        w.emit("L001", Severity.WARNING, f"audience name '{name}' does not match the naming pattern {naming.pattern}",
               aud.name.span, "rename the audience (and its references), or change [lint] naming")
    for meta in config.require:
        present = aud.tags is not None if meta == "tags" else getattr(aud, meta) is not None
        if not present:
            w.emit("L002", Severity.WARNING, f"audience '{name}' has no {meta}", aud.name.span,
                   _META_HINT[meta])
    owner = aud.owner.value if aud.owner is not None else None
    if owner is not None and config.owners is not None and owner not in config.owners:
        w.emit("L014", Severity.WARNING, f"owner \"{owner}\" is not one of the owners listed in [lint] owners",
               aud.owner.span if aud.owner is not None else aud.name.span,
               *(did_you_mean(owner, config.owners) or ("known owners: " + ", ".join(config.owners[:5]),)))
    elif owner is not None and config.owner_pattern is not None and owner_re is not None \
            and not owner_re.fullmatch(owner):
        w.emit("L014", Severity.WARNING,
               f"owner \"{owner}\" does not match [lint] owner-pattern {config.owner_pattern}",
               aud.owner.span if aud.owner is not None else aud.name.span,
               "use an owner of the agreed form, or change [lint] owner-pattern")
    if aud.include is not None:
        w.expr(aud.include)
    for alt, why in dead_exclusions(aud):
        from audiencelang.syntax.formatter import format_expr

        w.emit("L012", Severity.WARNING,
               f"this exclusion can never match: the include requires {' and '.join(format_expr(c) for c in why)}",
               alt.span, "remove it, or fix the value that was meant; it excludes nobody")
    if aud.exclude is not None:
        w.expr(aud.exclude)
    seen: set[str] = set()
    for act in aud.activate:
        d = act.destination.value
        if d in seen:
            w.emit("L007", Severity.WARNING, f"destination '{d}' is activated twice", act.span, "remove one 'activate'")
        seen.add(d)
    seen = set()
    for rc in aud.require_consent:
        for p in rc.purposes:
            if p.value in seen:
                w.emit("L007", Severity.WARNING, f"consent purpose '{p.value}' is required twice", p.span,
                       "remove the repeated purpose")
            seen.add(p.value)
    seen = set()
    for tag in aud.tags or ():
        if tag.value in seen:
            w.emit("L007", Severity.WARNING, f"tag \"{tag.value}\" is listed twice", tag.span, "remove the repeated tag")
        seen.add(tag.value)
    return facts


_META_HINT = {
    "owner": 'add a line like: owner "team@example.com"',
    "description": 'add a line like: description "Who is in this audience, and why."',
    "title": 'add a line like: title "A human-readable name"',
    "tags": 'add a line like: tags ["retargeting"]',
}


# ---------------------------------------------------------------------- configuration


def _rank(selector: str, code: str) -> int:
    """How specifically ``selector`` matches ``code`` (-1: no match; ALL is 0)."""
    if selector == "ALL":
        return 0
    return len(selector) if code.startswith(selector) else -1


@dataclass
class LintFilter:
    """Rule selection and severities for one file (``[lint]`` plus ``per-file-ignores``).

    Only lint rules (L-codes) are configurable: errors always count."""

    select: tuple[str, ...]
    ignore: tuple[str, ...]
    config: LintConfig

    @classmethod
    def for_file(cls, config: LintConfig, file_key: str) -> LintFilter:
        return cls(tuple(config.select) if config.select is not None else ("L",),
                   tuple(config.ignored_for(file_key)), config)

    def enabled(self, code: str) -> bool:
        if not code.startswith("L"):
            return True
        if self.config.select is None:
            from audiencelang.check.rules import RULES

            rule = RULES.get(code)
            if rule is not None and not rule.default_enabled:
                return False
        sel = max((_rank(s, code) for s in self.select), default=-1)
        if sel < 0:
            return False
        ign = max((_rank(s, code) for s in self.ignore), default=-1)
        return sel > ign

    def severity(self, code: str, default: Severity) -> Severity:
        if not code.startswith("L"):
            return default
        got = self.config.severity_for(code)
        return Severity(got) if got is not None else default


# ---------------------------------------------------------------------- suppression comments

_SUPPRESS_RE = re.compile(r"#\s*audiencelang\s*:\s*ignore\s*\[([^\]]*)\]")


@dataclass
class Suppression:
    """One ``# audiencelang: ignore[...]`` comment and what it covers: the clause or the
    audience it belongs to (``scope``, by the formatter's attachment rule)."""

    comment: ast.Comment
    codes: tuple[str, ...]
    scope: CommentScope
    used: set[str] = field(default_factory=set)

    def covers(self, d: Diagnostic) -> bool:
        return d.span is not None and d.code in self.codes and self.scope.covers(d.span.start)

    @property
    def where(self) -> str:
        """The scope in words, for L000."""
        s = self.scope
        if s.audience is None:
            return "after the last audience (a suppression there covers nothing)"
        if s.clause is None:
            return f"audience '{s.audience}'"
        return f"the '{s.clause}' clause of audience '{s.audience}'"


def parse_suppressions(file: ast.File) -> list[Suppression]:
    """The suppression comments of ``file``. Each covers the clause it belongs to (a comment
    after code: the clause of that code; a comment on its own line: the clause that follows
    it) or, for the audience's first line, its closing brace, or the comments before the
    audience, the whole audience -- exactly what :func:`audiencelang.syntax.formatter.format_file`
    keeps the comment with, so formatting never changes what a suppression covers."""
    if not any(_SUPPRESS_RE.search(c.text) for c in file.comments):
        return []
    from audiencelang.syntax.formatter import comment_scopes

    out: list[Suppression] = []
    for scope in comment_scopes(file):
        m = _SUPPRESS_RE.search(scope.comment.text)
        if m is None:
            continue
        codes = tuple(x.strip().upper() for x in m.group(1).split(",") if x.strip())
        out.append(Suppression(scope.comment, codes, scope))
    return out
