"""The canonical formatter: AST (+ comments) -> text. One layout, no options.

Layout (documented for users in ``docs/formatting.md``):

* two-space indent; ``audience NAME {`` ... ``}``; one blank line between audiences;
* clauses in a fixed order, in four groups separated by one blank line:
  ``title owner description tags`` | ``include exclude`` |
  ``require consent`` (each, in source order) ``min size`` | ``activate`` (each, in source order);
* ``include``/``exclude`` on one line when the line fits in 88 columns; otherwise the
  keyword stands alone and every top-level ``and``/``or`` term gets its own line, indented
  four spaces, the operator leading;
* parentheses only where precedence (``not`` > ``and`` > ``or``) or the ``where`` rule
  needs them;
* strings, numbers, units and keywords spelled canonically.

Comments are kept (see :func:`format_file` for the attachment rule). The formatter
never changes meaning: ``parse(format_file(f))`` gives ``f`` again, spans aside.
"""

from __future__ import annotations

import bisect
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from audiencelang import ast
from audiencelang.diagnostics import AudienceLangError, Diagnostic, Span

#: Longest line (in characters) an ``include``/``exclude`` clause may take before it is broken.
LINE_WIDTH = 88
INDENT = "  "
CONTINUATION = "    "

__all__ = ["LINE_WIDTH", "CommentScope", "FormatError", "comment_scopes", "format_expr", "format_file", "format_source",
           "format_step", "format_str", "line_ending", "quote"]


class FormatError(AudienceLangError):
    """The text did not parse (or parsed with errors); ``diagnostics`` says why.

    A file with syntax errors is never formatted: the parser's recovery values
    (e.g. ``0`` for an out-of-range number) would silently change its meaning."""


# --------------------------------------------------------------------------- literals

def quote(value: str) -> str:
    """A string literal in canonical form: ``\\"`` ``\\\\`` ``\\n`` ``\\t``; other control and
    invisible format characters (Unicode Cc, Cf, Zl, Zp in the BMP) as ``\\uXXXX``."""
    out = ['"']
    for ch in value:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x10000 and unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _number(value: object) -> str:
    return format(value, "f")


def _timestamp(value: object) -> str:
    import datetime as dt

    assert isinstance(value, dt.datetime)
    offset = value.utcoffset()
    text = value.replace(tzinfo=None).isoformat(timespec="seconds" if value.microsecond == 0 else "microseconds")
    if offset is None or offset == dt.timedelta(0):
        return text + "Z"
    total = int(offset.total_seconds())
    sign = "+" if total >= 0 else "-"
    total = abs(total)
    return f"{text}{sign}{total // 3600:02d}:{total % 3600 // 60:02d}"


def _literal(lit: ast.Node) -> str:
    if isinstance(lit, ast.StringLit):
        return quote(lit.value)
    if isinstance(lit, ast.NumberLit):
        return _number(lit.value)
    if isinstance(lit, ast.BoolLit):
        return "true" if lit.value else "false"
    if isinstance(lit, ast.DateLit):
        return lit.value.isoformat()
    if isinstance(lit, ast.TimestampLit):
        return _timestamp(lit.value)
    raise TypeError(f"not a literal: {type(lit).__name__}")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _window(w: ast.Node) -> str:
    if isinstance(w, ast.LastWindow):
        return f"in last {_plural(w.amount, w.unit)}"
    if isinstance(w, ast.BetweenWindow):
        return f"between {_literal(w.start)} and {_literal(w.end)}"
    if isinstance(w, ast.SinceWindow):
        return f"since {_literal(w.start)}"
    if isinstance(w, ast.AgoWindow):
        return f"more than {_plural(w.amount, w.unit)} ago"
    if isinstance(w, ast.CalendarWindow):
        return w.period if w.period != "last" else f"in last {w.amount} calendar {w.unit}{'s' if w.amount != 1 else ''}"
    raise TypeError(f"not a window: {type(w).__name__}")


def _count(c: ast.Count) -> str:
    op = c.op.replace("_", " ")
    if c.distinct_days:
        return f"on {op} {c.n} distinct {'day' if c.n == 1 else 'days'}"
    return f"{op} {_plural(c.n, 'time')}"


def format_step(step: ast.Step, *, first: bool = False) -> str:
    """One step of a sequence as written: ``then [not] E [where F] [within D]``; the
    first step without ``then`` (``E [where F]``)."""
    words = [] if first else ["then", *(["not"] if step.absent else [])]
    words.append(step.event.value)
    if step.where is not None:
        words.append("where " + _expr(step.where, last=True))
    if step.within is not None:
        words.append(f"within {_plural(step.within.amount, step.within.unit)}")
    return " ".join(words)


def _event_parts(e: ast.Node) -> list[str] | None:
    """An event condition (``performed``, a sequence, ``first``/``last performed``) in the
    pieces a long line may be broken between: head, ``where``, steps, count, window."""
    if isinstance(e, ast.Performed | ast.FirstLastPerformed):
        head = f"performed {e.event.value}"
        if isinstance(e, ast.FirstLastPerformed):
            head = f"{e.which} {head}"
        parts = [head]
        if e.where is not None:
            parts.append("where " + _expr(e.where, last=True))
    elif isinstance(e, ast.Sequence):
        first = e.steps[0]
        parts = [f"performed {first.event.value}"]
        if first.where is not None:
            parts.append("where " + _expr(first.where, last=True))
        parts.extend(format_step(step) for step in e.steps[1:])
    else:
        return None
    if e.count is not None:
        parts.append(_count(e.count))
    if e.window is not None:
        parts.append(_window(e.window))
    return parts


# --------------------------------------------------------------------------- expressions


def _prec(e: ast.Node) -> int:
    if isinstance(e, ast.Or):
        return 1
    if isinstance(e, ast.And):
        return 2
    if isinstance(e, ast.Not):
        return 3
    return 4


def _target(t: ast.Node) -> str:
    if isinstance(t, ast.Name):
        return t.value
    if isinstance(t, ast.Aggregate):
        inner = t.event.value if t.property is None else f"{t.event.value}.{t.property.value}"
        parts = [f"{t.func}({inner})"]
        if t.where is not None:
            parts.append("where " + _expr(t.where, last=True))
        if t.window is not None:
            parts.append(_window(t.window))
        return " ".join(parts)
    raise TypeError(f"not a target: {type(t).__name__}")


_MATCH_WORDS = {"contains": "contains", "starts_with": "starts with", "ends_with": "ends with"}


def _condition(e: ast.Node, last: bool) -> str:
    if isinstance(e, ast.Compare):
        return f"{_target(e.target)} {e.op} {_literal(e.value)}"
    if isinstance(e, ast.InList):
        values = ", ".join(_literal(v) for v in e.values)
        return f"{_target(e.target)} {'not in' if e.negated else 'in'} [{values}]"
    if isinstance(e, ast.Between):
        return f"{_target(e.target)} between {_literal(e.low)} and {_literal(e.high)}"
    if isinstance(e, ast.StringMatch):
        text = f"{_target(e.target)} {_MATCH_WORDS[e.op]} {quote(e.value.value)}"
        return text + " ignoring case" if e.ignore_case else text
    if isinstance(e, ast.IsNull):
        return f"{_target(e.target)} is {'not null' if e.negated else 'null'}"
    if isinstance(e, ast.InLast | ast.MoreThanAgo):
        return f"{_target(e.target)} {_window(e.window)}"
    if isinstance(e, ast.TimeCompare):
        return f"{_target(e.target)} {e.op} {_literal(e.value)}"
    parts = _event_parts(e)
    if parts is not None:
        text = " ".join(parts)
        # The where rule (spec §1.3): an open `where` takes everything after it.
        if _is_open(e) and not last:
            return f"({text})"
        return text
    if isinstance(e, ast.InAudience):
        return f"in audience {e.audience.value}"
    if isinstance(e, ast.HasConsent):
        return f"has consent {e.purpose.value}"
    if isinstance(e, ast.InSample):
        return f"in sample {_number(e.percent.value)}% salt {quote(e.salt.value)}"
    raise TypeError(f"not a condition: {type(e).__name__}")


def _is_open(e: ast.Node) -> bool:
    """An event condition ending in ``where ...`` (no ``within``, count or window after
    it): nothing may follow it."""
    if not isinstance(e, ast.Performed | ast.FirstLastPerformed | ast.Sequence):
        return False
    if e.count is not None or e.window is not None:
        return False
    if isinstance(e, ast.Sequence):
        last = e.steps[-1]
        return last.where is not None and last.within is None
    return e.where is not None


def _expr(e: ast.Node, last: bool) -> str:
    """One expression on one line. ``last``: nothing follows it inside its parentheses/clause."""
    if isinstance(e, ast.And | ast.Or):
        word = " and " if isinstance(e, ast.And) else " or "
        return word.join(_item(e, i, last) for i in range(len(e.items)))
    if isinstance(e, ast.Not):
        operand = e.operand
        if _prec(operand) <= 2:
            return f"not ({_expr(operand, last=True)})"
        return "not " + _expr(operand, last)
    return _condition(e, last)


def _item(parent: ast.And | ast.Or, i: int, last: bool) -> str:
    item = parent.items[i]
    if _prec(item) <= _prec(parent):
        return f"({_expr(item, last=True)})"
    return _expr(item, last and i == len(parent.items) - 1)


def format_expr(expr: ast.Node) -> str:
    """An expression in canonical form, on one line (e.g. for messages and docs)."""
    return _expr(expr, last=True)


# --------------------------------------------------------------------------- comments


@dataclass
class _Slot:
    """The comments attached to one output line (in source order)."""

    comments: list[tuple[ast.Comment, bool]] = field(default_factory=list)  # (comment, has code before)

    def resolve(self) -> tuple[list[str], str | None]:
        """(comments printed on their own lines before the line, the trailing comment)."""
        texts = [(_text(c), trailing) for c, trailing in self.comments]
        if texts and texts[-1][1]:
            return [t for t, _ in texts[:-1]], texts[-1][0]
        return [t for t, _ in texts], None


def _text(c: ast.Comment) -> str:
    return c.text.rstrip()


@dataclass(frozen=True)
class CommentScope:
    """What one comment belongs to (:func:`comment_scopes`): ``clause`` (its keyword, e.g.
    ``include``) of ``audience``, or the whole audience (``clause`` is ``None``), or nothing
    (``audience`` is ``None``: after the last audience). ``start``/``end``: the source offsets
    it covers."""

    comment: ast.Comment
    audience: str | None
    clause: str | None
    start: int
    end: int

    def covers(self, offset: int) -> bool:
        return self.start <= offset < self.end


@dataclass
class _Region:
    start: int
    end: int
    slot: _Slot
    clause: _Clause | None = None  # None: the audience's header or closing brace


class _CodeLines:
    """For each source line: the first column where code starts and the earliest column where
    code ends, so that "is there code before this comment on its line?" is O(1)."""

    def __init__(self, file: ast.File) -> None:
        self.first_start: dict[int, int] = {}
        self.first_end: dict[int, int] = {}
        spans: list[Span] = []
        for node in ast.walk(file):
            if isinstance(node, ast.File | ast.Comment):
                continue
            spans.append(node.span)
            if isinstance(node, ast.Audience) and node.tags_span is not None:
                spans.append(node.tags_span)
        for s in spans:
            if s.end <= s.start:
                continue
            if s.column < self.first_start.get(s.line, 1 << 30):
                self.first_start[s.line] = s.column
            if s.end_column < self.first_end.get(s.end_line, 1 << 30):
                self.first_end[s.end_line] = s.end_column

    def code_before(self, c: ast.Comment) -> bool:
        line, col = c.span.line, c.span.column
        return self.first_start.get(line, 1 << 30) < col or self.first_end.get(line, 1 << 30) <= col


# --------------------------------------------------------------------------- audiences


@dataclass
class _Clause:
    """One clause of the output: its text per line and the comment slots per line."""

    group: int
    order: int
    keyword: str  # e.g. "include"
    lines: list[str]  # single-line: one entry; include/exclude: one entry per top-level term
    ops: str = ""  # "and"/"or" for a breakable include/exclude
    slots: list[_Slot] = field(default_factory=list)
    terms: list[ast.Node] = field(default_factory=list)  # include/exclude: the top-level terms


def _span_region(span: Span | None) -> tuple[int, int]:
    if span is None:
        return (0, 0)
    return (span.start, span.end)


class _AudiencePrinter:
    def __init__(self, a: ast.Audience) -> None:
        self.a = a
        self.header = _Slot()
        self.brace = _Slot()
        self.leading: list[tuple[ast.Comment, bool]] = []  # file-level comments before the audience
        self.clauses: list[_Clause] = []
        self.regions: list[_Region] = []
        self._build()

    def _add(self, clause: _Clause, spans: list[tuple[int, int]]) -> None:
        clause.slots = [_Slot() for _ in clause.lines]
        self.clauses.append(clause)
        for slot, (s, e) in zip(clause.slots, spans, strict=True):
            self.regions.append(_Region(s, e, slot, clause))

    def _build(self) -> None:
        a = self.a
        self.regions.append(_Region(a.span.start, max(a.name.span.end, a.span.start), self.header))
        for order, key in enumerate(("title", "owner", "description")):
            lit = getattr(a, key)
            if lit is not None:
                self._add(_Clause(0, order, key, [f"{key} {quote(lit.value)}"]), [_span_region(lit.span)])
        if a.tags is not None:
            tags = ", ".join(quote(t.value) for t in a.tags)
            self._add(_Clause(0, 3, "tags", [f"tags [{tags}]"]), [_span_region(a.tags_span)])
        for order, key in ((4, "include"), (5, "exclude")):
            expr = getattr(a, key)
            if expr is None:
                continue
            if isinstance(expr, ast.And | ast.Or) and len(expr.items) >= 2:
                n = len(expr.items)
                texts = [_item(expr, i, True) for i in range(n)]
                op = "and" if isinstance(expr, ast.And) else "or"
                self._add(_Clause(1, order, key, texts, ops=op, terms=list(expr.items)),
                          [_span_region(item.span) for item in expr.items])
            else:
                self._add(_Clause(1, order, key, [_expr(expr, last=True)], ops=" ", terms=[expr]),
                          [_span_region(expr.span)])
        for i, rc in enumerate(a.require_consent):
            purposes = ", ".join(p.value for p in rc.purposes)
            self._add(_Clause(2, i, "require", [f"require consent {purposes}"]), [_span_region(rc.span)])
        if a.min_size is not None:
            self._add(_Clause(2, 1 << 20, "min", [f"min size {_number(a.min_size.value)}"]),
                      [_span_region(a.min_size.span)])
        for i, act in enumerate(a.activate):
            self._add(_Clause(3, i, "activate", [f"activate {act.destination.value}"]),
                      [_span_region(act.span)])
        self.regions.append(_Region(max(a.span.end - 1, a.span.start), a.span.end, self.brace))
        self.regions.sort(key=lambda r: (r.start, r.end))
        self._starts = [r.start for r in self.regions]
        self.clauses.sort(key=lambda c: (c.group, c.order))

    def scopes(self) -> list[CommentScope]:
        """Where each comment attached to this audience belongs: its clause (the source from
        the end of the code before the clause's first region, so its keyword too, to the end
        of its last region) or, for the header, the closing brace and the comments before
        the audience, the whole audience."""
        a = self.a
        extent: dict[int, tuple[int, int]] = {}
        prev_end = a.span.start
        for r in self.regions:
            if r.clause is not None:
                lo, hi = extent.get(id(r.clause), (prev_end, r.end))
                extent[id(r.clause)] = (lo, max(hi, r.end))
            prev_end = max(prev_end, r.end)
        whole = (a.span.start, a.span.end)
        out = [CommentScope(c, a.name.value, None, *whole) for c, _ in self.leading]
        for r in self.regions:
            for c, _ in r.slot.comments:
                if r.clause is None:
                    out.append(CommentScope(c, a.name.value, None, *whole))
                else:
                    out.append(CommentScope(c, a.name.value, r.clause.keyword, *extent[id(r.clause)]))
        return out

    def attach(self, c: ast.Comment, code_before: bool) -> None:
        """Attach a comment that lies inside this audience's span."""
        o = c.span.start
        i = bisect.bisect_right(self._starts, o) - 1
        if i >= 0 and o < self.regions[i].end:
            self.regions[i].slot.comments.append((c, code_before))  # inside a line's code
        elif code_before and i >= 0:
            self.regions[i].slot.comments.append((c, True))  # after code on the same line
        else:
            nxt = self.regions[min(i + 1, len(self.regions) - 1)]
            nxt.slot.comments.append((c, False))  # on its own line: belongs to what follows

    def lines(self) -> list[str]:
        out: list[str] = []
        before, trailing = self.header.resolve()
        out.extend(before)
        out.append(_with_comment(f"audience {self.a.name.value} {{", trailing))
        group = -1
        multi_line = False
        for clause in self.clauses:
            if group != -1 and (clause.group != group or multi_line):
                out.append("")  # between groups, and after a clause printed over several lines
            group = clause.group
            lines = self._clause_lines(clause)
            multi_line = sum(1 for line in lines if not line.lstrip().startswith("#")) > 1
            out.extend(lines)
        dangling, trailing = self.brace.resolve()
        out.extend(INDENT + t for t in dangling)
        out.append(_with_comment("}", trailing))
        return out

    def _clause_lines(self, clause: _Clause) -> list[str]:
        out: list[str] = []
        if not clause.ops:
            before, trailing = clause.slots[0].resolve()
            out.extend(INDENT + t for t in before)
            out.append(_with_comment(INDENT + clause.lines[0], trailing))
            return out
        joined = f"{INDENT}{clause.keyword} " + f" {clause.ops} ".join(clause.lines)
        if clause.ops == " ":  # one condition: keyword and condition, or broken inside it
            before, trailing = clause.slots[0].resolve()
            out.extend(INDENT + t for t in before)
            if len(joined) <= LINE_WIDTH or _parts(clause.terms[0], clause.lines[0]) is None:
                out.append(_with_comment(joined, trailing))
            else:
                out.append(INDENT + clause.keyword)
                block = _term_block(clause.terms[0], clause.lines[0], CONTINUATION)
                block[-1] = _with_comment(block[-1], trailing)
                out.extend(block)
            return out
        resolved = [s.resolve() for s in clause.slots]
        must_break = len(joined) > LINE_WIDTH or any(
            (i > 0 and before) or (i < len(resolved) - 1 and trailing)
            for i, (before, trailing) in enumerate(resolved)
        )
        if not must_break:
            merged = _Slot([c for s in clause.slots for c in s.comments])
            before, trailing = merged.resolve()
            out.extend(INDENT + t for t in before)
            out.append(_with_comment(joined, trailing))
            return out
        for i, (line, (before, trailing)) in enumerate(zip(clause.lines, resolved, strict=True)):
            if i == 0:
                out.extend(INDENT + t for t in before)
                out.append(INDENT + clause.keyword)
                block = _term_block(clause.terms[i], line, CONTINUATION)
            else:
                out.extend(CONTINUATION + t for t in before)
                block = _term_block(clause.terms[i], line, f"{CONTINUATION}{clause.ops} ")
            block[-1] = _with_comment(block[-1], trailing)
            out.extend(block)
        return out


def _parts(term: ast.Node, text: str) -> list[str] | None:
    """A ``[not ...] performed EVENT`` term split before ``where``, its count and its window
    (``text`` is the term as printed on one line), or ``None`` if it cannot be split."""
    nots = 0
    node = term
    while isinstance(node, ast.Not):
        nots += 1
        node = node.operand
    pieces = _event_parts(node)
    if pieces is None or len(pieces) < 2:
        return None
    first, tail = pieces[0], pieces[1:]
    head = "not " * nots + first
    if text.startswith(f"{'not ' * nots}(") or text.startswith("("):
        # parenthesised by the where rule (or as an and/or item): keep the parentheses
        lead = text[: len(text) - len(text.lstrip("(not "))]
        head = lead + first
        tail[-1] += ")" * (len(text) - len(text.rstrip(")")) - _closing_in(tail[-1]))
    parts = [head, *tail]
    if " ".join(parts) != text:  # never split in a way that changes the text
        return None
    return parts


def _closing_in(part: str) -> int:
    return len(part) - len(part.rstrip(")"))


def _term_block(term: ast.Node, text: str, prefix: str) -> list[str]:
    """The output lines of one top-level term: one line, or split when it is too long."""
    if len(prefix) + len(text) <= LINE_WIDTH:
        return [prefix + text]
    parts = _parts(term, text)
    if parts is None:
        return [prefix + text]
    sub = CONTINUATION + "  "
    return [prefix + parts[0], *(sub + p for p in parts[1:])]


def _with_comment(line: str, comment: str | None) -> str:
    return f"{line}  {comment}" if comment else line


# --------------------------------------------------------------------------- files


def _attach(file: ast.File, comments: Sequence[ast.Comment] | None
            ) -> tuple[list[_AudiencePrinter], list[tuple[ast.Comment, bool]]]:
    """The audiences' printers with every comment attached (see :func:`format_file`), and the
    file-level comments after the last audience."""
    comments = list(file.comments if comments is None else comments)
    printers = [_AudiencePrinter(a) for a in file.audiences]
    tail: list[tuple[ast.Comment, bool]] = []  # file-level comments after the last audience
    if comments:
        code = _CodeLines(file)
        starts = [a.span.start for a in file.audiences]
        for c in sorted(comments, key=lambda c: c.span.start):
            before = code.code_before(c)
            i = bisect.bisect_right(starts, c.span.start) - 1
            if i >= 0 and c.span.start < file.audiences[i].span.end:
                printers[i].attach(c, before)
            elif i >= 0 and before and c.span.line == file.audiences[i].span.end_line:
                printers[i].brace.comments.append((c, True))
            elif i + 1 < len(printers):
                printers[i + 1].leading.append((c, before))
            else:
                tail.append((c, before))
    return printers, tail


def comment_scopes(file: ast.File, comments: Sequence[ast.Comment] | None = None) -> list[CommentScope]:
    """What each comment belongs to, by the formatter's own attachment rule (see
    :func:`format_file`): a clause of an audience, a whole audience, or nothing (after the
    last audience). The formatter keeps every comment with what it belongs to, so the
    scopes of a formatted file are those of its source: suppression comments use them."""
    printers, tail = _attach(file, comments)
    out = [s for p in printers for s in p.scopes()]
    out.extend(CommentScope(c, None, None, 0, 0) for c, _ in tail)
    return sorted(out, key=lambda s: s.comment.span.start)


def format_file(file: ast.File, comments: Sequence[ast.Comment] | None = None) -> str:
    """The canonical text of a parsed file. ``comments`` defaults to ``file.comments``.

    Comment rule: a comment on its own line belongs to what follows it (the next audience,
    clause, or -- in a broken ``include``/``exclude`` -- the next term line) and is printed on its
    own line just before it. A comment after code on the same line stays at the end of the output
    line that holds that code. If one output line collects several comments (because source lines
    were joined), the last one stays at its end only when it was itself a trailing comment; the
    others are printed on their own lines before it, in source order. Comments after the last
    clause of an audience stay before its ``}``; comments after the last audience end the file.
    An ``include``/``exclude`` whose comments only fit the broken layout is printed broken.
    """
    printers, tail = _attach(file, comments)
    out: list[str] = []
    prev_line: int | None = None  # source line of the last thing printed at file level
    for n, p in enumerate(printers):
        if n > 0:
            out.append("")
        out.extend(_file_comments(p.leading, prev_line, blank_first=False))
        if p.leading and p.a.span.line - p.leading[-1][0].span.line > 1:
            out.append("")
        out.extend(p.lines())
        prev_line = p.a.span.end_line
    out.extend(_file_comments(tail, prev_line, blank_first=True))
    if not out:
        return ""
    return "\n".join(out) + "\n"


def _file_comments(items: list[tuple[ast.Comment, bool]], prev_line: int | None,
                   blank_first: bool) -> list[str]:
    """File-level comments; one blank line is kept wherever the source had at least one."""
    out: list[str] = []
    for c, _ in items:
        line = c.span.line
        if prev_line is not None and line - prev_line > 1 and (out or blank_first):
            out.append("")
        out.append(_text(c))
        prev_line = c.span.end_line
    return out


def format_str(text: str, path: str | None = None) -> str:
    """Parse ``text`` and return its canonical form. Raises :class:`FormatError` (carrying the
    diagnostics) when the text has syntax errors; warnings (e.g. an empty file) do not stop it."""
    from audiencelang.syntax.parser import parse

    result = parse(text, path=path)
    errors: list[Diagnostic] = [d for d in result.diagnostics if d.is_error]
    if result.file is None or errors:
        raise FormatError(errors or result.diagnostics)
    return format_file(result.file, result.comments)


def line_ending(text: str) -> str:
    """The line ending of ``text``: that of its first line (``\r\n`` or ``\n``), ``\n`` when
    it has a single line (like ruff's ``line-ending = "auto"``)."""
    i = text.find("\n")
    return "\r\n" if i > 0 and text[i - 1] == "\r" else "\n"


def format_source(text: str, path: str | None = None) -> str:
    """:func:`format_str`, keeping what the canonical layout does not decide: the file's line
    ending (:func:`line_ending`) and its byte-order mark. What ``audiencelang fmt`` writes."""
    formatted = format_str(text, path=path)
    if line_ending(text) == "\r\n":
        formatted = formatted.replace("\n", "\r\n")
    return "\ufeff" + formatted if text.startswith("\ufeff") else formatted
