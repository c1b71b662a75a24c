"""Text -> AST. The only module that knows Lark.

The grammar is built once per process (LALR, contextual lexer). Lark trees are
converted to :mod:`audiencelang.ast` nodes by an iterative post-order walk, so
no input shape (20,000 ``or`` terms, thousands of nested parentheses) can hit
Python's recursion limit. Problems become :class:`Diagnostic` values.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from pydantic import TypeAdapter

from audiencelang import ast
from audiencelang.arguments import returns_diagnostics
from audiencelang.diagnostics import Diagnostic, Span, error, warning
from audiencelang.syntax.prescan import first_excess

#: Largest accepted audience file, in bytes (a diagnostic above it).
MAX_FILE_BYTES = 5 * 1024 * 1024
#: Deepest accepted nesting of expressions (``not``/``and``/``or`` changes, after flattening).
MAX_DEPTH = 100
#: Largest absolute value of a number literal, and most digits after the point.
MAX_NUMBER = Decimal("1e18")
MAX_FRACTION_DIGITS = 9
#: Longest relative window, per unit (100 years).
MAX_WINDOW = {"minute": 100 * 366 * 24 * 60, "hour": 100 * 366 * 24, "day": 100 * 366, "week": 100 * 53,
              "month": 100 * 13, "year": 100}
MAX_COUNT = 1_000_000_000
#: Most conditions (comparisons, `performed`, aggregates, `has consent`, `in audience`) and
#: most `in [...]` list values in one file: every audience under them compiles and runs in
#: bounded time and memory on each engine (measured: docs/performance.md, "Large audiences").
MAX_CONDITIONS = 10_000
MAX_LIST_VALUES = 100_000
_CONDITION_RULES = frozenset({"field_condition", "aggregate_condition", "performed_closed",
                              "performed_open", "in_audience", "has_consent",
                              "in_sample"})

UNITS = {"minute": "minute", "minutes": "minute", "hour": "hour", "hours": "hour",
         "day": "day", "days": "day", "week": "week", "weeks": "week",
         "month": "month", "months": "month", "year": "year", "years": "year"}
_CALENDAR_UNITS: dict[str, ast.CalendarUnit] = {"day": "day", "days": "day", "week": "week", "weeks": "week",
                                                "month": "month", "months": "month"}


def _grammar_text() -> str:
    from audiencelang.grammar_source import grammar_text

    return grammar_text()


def _cache_file() -> str | bool:
    """Where Lark keeps the analysed grammar between runs (a private, per-user folder).

    Building the LALR tables takes 0.2-0.6 s; loading them takes ~25 ms, which is
    most of a single-file ``check``. Lark keys the file by the grammar's hash and
    carries on without it when the folder is not writable."""
    import os
    import sys

    from audiencelang.process import options

    if not options.grammar_cache:  # no file the caller did not ask for (audiencelang.process)
        return False
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(base, "audiencelang")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        if os.stat(folder).st_uid != os.getuid():
            return False  # never load a pickle from a folder someone else owns
    except OSError:
        return False
    from audiencelang.__about__ import __version__

    return os.path.join(folder, f"grammar-{__version__}-py{sys.version_info[0]}{sys.version_info[1]}.lark")


@lru_cache(maxsize=2)
def build_parser(strict: bool = False) -> Lark:
    """The one Lark parser of the process (built lazily, then cached).

    ``strict=True`` (used by a test) also rejects grammar conflicts and regex
    collisions; it always analyses the grammar afresh."""
    from audiencelang.syntax.positions import fast_positions

    cache = False if strict else _cache_file()
    with fast_positions():  # Lark's positions, computed more cheaply (audiencelang.syntax.positions)
        return Lark(
            _grammar_text(),
            parser="lalr",
            lexer="contextual",
            propagate_positions=True,
            maybe_placeholders=True,
            strict=strict,
            cache=cache,
            cache_grammar=bool(cache),
        )


@dataclass
class ParseResult:
    """What parsing one file gives: the AST (``None`` if it did not parse) and diagnostics."""

    file: ast.File | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    comments: list[ast.Comment] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.file is not None and not any(d.is_error for d in self.diagnostics)


# --------------------------------------------------------------------------- entry points


@returns_diagnostics(lambda d, _: ParseResult(None, [d]))
def parse_bytes(data: bytes, path: str | None = None) -> ParseResult:
    """Decode and parse. Non-UTF-8 input, NUL bytes and oversize files are diagnostics."""
    return _parse_bytes(data, path)


# The public entry points check their arguments and turn an escaping exception into a
# diagnostic (returns_diagnostics); they call each other through these unguarded bodies,
# so a file read from disk pays for one check, not three.
def _parse_bytes(data: bytes, path: str | None) -> ParseResult:
    if len(data) > MAX_FILE_BYTES:
        return ParseResult(None, [error(
            "E115", f"file is {len(data):,} bytes; audience files may be at most {MAX_FILE_BYTES:,} bytes",
            Span(path=path), "split it into several files",
        )])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return ParseResult(None, [error(
            "E113", f"file is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            Span(path=path, line=line, column=col, end_line=line, end_column=col + 1,
                 start=exc.start, end=exc.start + 1),
            "save the file as UTF-8",
        )])
    return _parse(text, path)


@returns_diagnostics(lambda d, _: ParseResult(None, [d]))
def parse_file(path: str | Path, display_path: str | None = None) -> ParseResult:
    from audiencelang.files import FileProblem, read_bounded

    shown = display_path if display_path is not None else str(path)
    try:
        data = read_bounded(path, MAX_FILE_BYTES)
    except FileProblem as exc:
        if exc.too_large:
            return ParseResult(None, [error(
                "E115", f"file is larger than {MAX_FILE_BYTES:,} bytes; audience files may be at most "
                f"{MAX_FILE_BYTES:,} bytes", Span(path=shown), "split it into several files")])
        return ParseResult(None, [error("E901", f"cannot read {shown}: {exc.reason}", Span(path=shown))])
    return _parse_bytes(data, shown)


#: Below this many files, parsing in worker processes costs more than it saves.
PARALLEL_MIN_FILES = 200


def parse_files(files: Sequence[tuple[str | Path, str]], *, jobs: int | None = None) -> list[ParseResult]:
    """Parse many files (``(path, display path)`` pairs), in order.

    Large projects are parsed in worker processes (one per core, ``jobs`` to
    override, ``1`` to stay in this process) when ``jobs`` is given or the process opted
    in (``audiencelang.process.opt_in(worker_processes=True)``, as the CLI does); else here. Workers send results back as JSON,
    which pydantic validates in native code about ten times faster than parsing,
    so the hand-over costs little. The results are the same as :func:`parse_file`'s.
    """
    return [r for r, _ in parse_files_with(files, None, jobs=jobs)]


def parse_files_with(files: Sequence[tuple[str | Path, str]], extra: Callable[[ParseResult], _T] | None,
                     *, jobs: int | None = None) -> list[tuple[ParseResult, _T | None]]:
    """:func:`parse_files`, and ``extra`` of each result computed where the file was
    parsed: in a worker process when the files are parsed in workers (``None`` when the
    files are parsed here: the caller computes what it needs when it needs it).

    ``extra`` runs in a forked copy of this process (it is not pickled: it may close over
    anything this process holds, e.g. the loaded markets); its value is pickled back, so
    it should be small (facts, findings: not the tree, which comes back as JSON anyway).
    The results come back batch by batch and are validated here while the workers parse
    the next batches."""
    import os
    import threading

    from audiencelang.process import options

    if jobs is None and not options.worker_processes:  # an embedder's process is its own
        jobs = 1
    n = jobs if jobs is not None else (os.cpu_count() or 1)
    # Forking a process that runs other threads can deadlock the child (a lock held
    # by a thread that does not exist there): embedders with threads parse serially.
    if n <= 1 or len(files) < PARALLEL_MIN_FILES or threading.active_count() > 1:
        return [(parse_file(path, display), None) for path, display in files]
    import multiprocessing

    try:
        ctx = multiprocessing.get_context("fork")
    except ValueError:  # pragma: no cover - platforms without fork
        return [(parse_file(path, display), None) for path, display in files]
    chunk = max(16, len(files) // (n * 16))  # small batches: the last ones keep every core busy
    batches = [list(files[i:i + chunk]) for i in range(0, len(files), chunk)]
    out: list[tuple[ParseResult, _T | None]] = []
    global _EXTRA
    _EXTRA = extra  # inherited by the forked workers (never pickled)
    try:
        with ctx.Pool(n) as pool:
            for batch in pool.imap(_parse_batch_json, batches):  # in order, as each batch is done
                for file_json, diags_json, more in batch:
                    file = ast.File.model_validate_json(file_json) if file_json is not None else None
                    diags = _DIAGNOSTICS.validate_json(diags_json)
                    out.append((ParseResult(file, diags, list(file.comments) if file is not None else []), more))
    except (OSError, RuntimeError):  # no processes to be had: do it here
        return [(parse_file(path, display), None) for path, display in files]
    finally:
        _EXTRA = None
    return out


_T = TypeVar("_T")
#: What a worker computes besides the parse (:func:`parse_files_with`; set while a pool runs).
_EXTRA: Callable[[ParseResult], Any] | None = None


def _parse_batch_json(batch: list[tuple[str | Path, str]]) -> list[tuple[str | None, bytes, Any]]:
    import gc

    gc.disable()  # a short-lived worker building acyclic trees
    out: list[tuple[str | None, bytes, Any]] = []
    extra = _EXTRA
    for path, display in batch:
        r = parse_file(path, display)
        more = None
        if extra is not None:
            try:
                more = extra(r)
            except Exception:  # an extra is an optimisation: the caller computes it then
                more = None
        out.append((r.file.model_dump_json() if r.file is not None else None,
                    _DIAGNOSTICS.dump_json(r.diagnostics), more))
    return out


_DIAGNOSTICS: TypeAdapter[list[Diagnostic]] = TypeAdapter(list[Diagnostic])


@returns_diagnostics(lambda d, _: ParseResult(None, [d]))
def parse(text: str, path: str | None = None) -> ParseResult:
    """Parse the text of one ``.aud`` file into an :class:`ast.File` plus diagnostics."""
    return _parse(text, path)


def _parse(text: str, path: str | None) -> ParseResult:
    if text.startswith("\ufeff"):
        text = text[1:]  # a BOM is not content; columns count from after it
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        return ParseResult(None, [error(
            "E115", f"file is larger than {MAX_FILE_BYTES:,} bytes", Span(path=path),
            "split it into several files")])
    nul = text.find("\0")
    if nul >= 0:
        return ParseResult(None, [error("E114", "NUL character in file", _offset_span(text, nul, path),
                                        "audience files are text; remove the NUL byte")])
    excess = first_excess(text, MAX_CONDITIONS, MAX_LIST_VALUES)
    if excess is not None:  # refused before Lark builds a tree (audiencelang.syntax.prescan)
        return ParseResult(None, [error(
            "E121", f"the file holds {_too_many(excess.what)}",
            _offset_span(text, excess.start, path, excess.end - excess.start), _E121_HINT)])
    comments: list[Token] = []
    parser = build_parser()
    try:
        tree = _parse_collecting(parser, text, comments)
    except UnexpectedInput as exc:
        return ParseResult(None, [_syntax_diagnostic(exc, text, path)])
    except RecursionError:  # pragma: no cover - Lark's LALR is iterative; belt and braces
        return ParseResult(None, [error("E116", "expression nested too deeply", Span(path=path))])

    builder = _Builder(text, path)
    file = builder.build(tree)
    comment_nodes = [ast.Comment(text=str(t), span=_token_span(t, path)) for t in comments]
    diags = builder.diagnostics
    if file is not None:
        file = file.model_copy(update={"comments": tuple(comment_nodes)})
        if not file.audiences and not diags:
            diags.append(warning("W101", "no audience in this file", Span(path=path),
                                 "an audience file holds one or more `audience NAME { ... }` blocks"))
    return ParseResult(file, diags, comment_nodes)


_E121_HINT = ("split the audience into several files and combine them with `in audience`; "
              "a long `a = 1 or a = 2 ...` is shorter as `a in [1, 2, ...]`")


def _too_many(what: str) -> str:
    if what == "list values":
        return f"more than {MAX_LIST_VALUES:,} values in `in [...]` lists"
    return f"more than {MAX_CONDITIONS:,} conditions"


def _parse_collecting(parser: Lark, text: str, comments: list[Token]) -> Tree[Token]:
    # Lark's lexer_callbacks are fixed at construction; collect comments with a
    # cheap regex pass over the lexed stream instead: re-lex is avoided by using
    # the token positions of the parse and scanning the gaps between them.
    tree = parser.parse(text)
    comments.extend(_comments_in(text))
    return tree


_COMMENT_SCAN = re.compile(r'"(?:[^"\\\n\r]|\\[^\n\r])*"|#[^\n]*')


def _comments_in(text: str) -> list[Token]:
    """Every ``#`` comment (not inside a string), as Lark tokens with positions."""
    out: list[Token] = []
    line_starts = _line_starts(text)
    for m in _COMMENT_SCAN.finditer(text):
        s = m.group(0)
        if not s.startswith("#"):
            continue
        start = m.start()
        line = _line_of(line_starts, start)
        col = start - line_starts[line - 1] + 1
        tok = Token("COMMENT", s.rstrip("\r"), start_pos=start, line=line, column=col,
                    end_line=line, end_column=col + len(s.rstrip("\r")), end_pos=start + len(s.rstrip("\r")))
        out.append(tok)
    return out


def _line_starts(text: str) -> list[int]:
    starts = [0]
    i = text.find("\n")
    while i >= 0:
        starts.append(i + 1)
        i = text.find("\n", i + 1)
    return starts


def _line_of(starts: list[int], offset: int) -> int:
    import bisect

    return bisect.bisect_right(starts, offset)


def _offset_span(text: str, offset: int, path: str | None, length: int = 1) -> Span:
    starts = _line_starts(text)
    line = _line_of(starts, offset)
    col = offset - starts[line - 1] + 1
    return Span(path=path, line=line, column=col, end_line=line, end_column=col + length,
                start=offset, end=offset + length)


def _token_span(tok: Token, path: str | None) -> Span:
    return Span(
        path=path, line=tok.line or 1, column=tok.column or 1,
        end_line=tok.end_line or tok.line or 1, end_column=tok.end_column or (tok.column or 1) + 1,
        start=tok.start_pos or 0, end=tok.end_pos or 0,
    )


def _tree_span(tree: Tree[Token], path: str | None) -> Span:
    m = tree.meta
    if getattr(m, "empty", True):
        return Span(path=path)
    return Span(path=path, line=m.line, column=m.column, end_line=m.end_line,
                end_column=m.end_column, start=m.start_pos, end=m.end_pos)


def _join(a: Span, b: Span) -> Span:
    return Span(path=a.path, line=a.line, column=a.column, end_line=b.end_line,
                end_column=b.end_column, start=a.start, end=b.end)


# --------------------------------------------------------------------------- syntax errors

_CONDITION_START = {"NAME", "PERFORMED", "NOT", "LPAR", "IN", "HAS", "COUNT", "SUM", "AVG", "MIN", "MAX",
                    "FIRST", "LAST"}
_VALUE = {"STRING", "NUMBER", "TRUE", "FALSE", "DATE", "TIMESTAMP"}
_CLAUSES = {"TITLE", "OWNER", "DESCRIPTION", "TAGS", "INCLUDE", "EXCLUDE", "REQUIRE", "MIN", "ACTIVATE"}

_WORDS = {
    "NAME": "a name", "STRING": "a string", "NUMBER": "a number", "DATE": "a date (2024-01-31)",
    "TIMESTAMP": "a timestamp (2024-01-31T12:00:00Z)", "TRUE": "true", "FALSE": "false",
    "CMP_OP": "a comparison (=, !=, <, <=, >, >=)",
    "MATCH_OP": "'contains', 'starts with' or 'ends with'",
    "COUNT_OP": "'at least', 'at most' or 'exactly'", "TIMES": "'times'",
    "$END": "end of file", "LPAR": "'('", "RPAR": "')'", "LBRACE": "'{'", "RBRACE": "'}'",
    "LSQB": "'['", "RSQB": "']'", "COMMA": "','", "DOT": "'.'",
}


def _describe_token(tok: Token) -> str:
    if tok.type == "$END":
        return "end of file"
    value = str(tok)
    if len(value) > 30:
        value = value[:27] + "..."
    return f"'{value}'"


def _expected_words(expected: set[str]) -> str:
    exp = set(expected)
    parts: list[str] = []
    if {"PERFORMED", "NAME", "HAS"} <= exp:
        parts.append("a condition")
        exp -= _CONDITION_START
    if {"STRING", "NUMBER", "DATE"} <= exp:
        parts.append("a value")
        exp -= _VALUE
    if {"INCLUDE", "EXCLUDE", "ACTIVATE", "RBRACE"} <= exp:
        parts.append("a clause (include, exclude, require consent, min size, activate, title, owner, description, tags) or '}'")
        exp -= _CLAUSES | {"RBRACE"}
    if {"AND", "OR"} <= exp and parts and parts[-1].startswith("a clause"):
        parts.insert(0, "'and', 'or'")
        exp -= {"AND", "OR"}
    for name in sorted(exp):
        word = _WORDS.get(name)
        if word is None:
            word = f"'{name.lower()}'" if name.isalpha() else name
        parts.append(word)
    if len(parts) > 6:
        parts = [*parts[:6], "..."]
    if len(parts) <= 1:
        return parts[0] if parts else "something else"
    return ", ".join(parts[:-1]) + " or " + parts[-1]


def _syntax_diagnostic(exc: UnexpectedInput, text: str, path: str | None) -> Diagnostic:
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream or 0
        ch = text[pos] if pos < len(text) else ""
        span = _offset_span(text, pos, path)
        if ch == '"':
            rest = text[pos:].split("\n", 1)[0]
            if re.match(r'"(?:[^"\\]|\\.)*"', rest) is None:
                return error("E103", "unterminated string", span,
                             "close the string with '\"' on the same line; write \\n for a line break")
            return error("E104", "invalid character in string", span)
        if ch.isupper() and re.match(r"[A-Za-z_][A-Za-z0-9_]*", text[pos:]):
            word = re.match(r"[A-Za-z_][A-Za-z0-9_]*", text[pos:])
            assert word is not None
            return error("E100", f"'{word.group(0)}': names and keywords are lower case", span,
                         f"write '{word.group(0).lower()}'")
        if ch == "'":
            return error("E100", "strings use double quotes", span, "write \"...\" instead of '...'")
        allowed = getattr(exc, "allowed", None) or set()
        expected = f"; expected {_expected_words(set(allowed))}" if allowed else ""
        shown = repr(ch)[1:-1] if ch else "end of file"
        return error("E100", f"unexpected character '{shown}'{expected}", span)
    if isinstance(exc, UnexpectedEOF):
        span = _offset_span(text, len(text), path, 0)
        return error("E102", f"unexpected end of file; expected {_expected_words(set(exc.expected))}", span)
    if isinstance(exc, UnexpectedToken):
        tok = exc.token
        expected_set: set[str] = set(exc.accepts or exc.expected)
        if tok.type == "$END":
            span = _offset_span(text, len(text), path, 0)
            return error("E102", f"unexpected end of file; expected {_expected_words(expected_set)}", span,
                         *(("is a '}' missing?",) if "RBRACE" in expected_set else ()))
        span = _token_span(tok, path)
        prev = _previous_word(text, tok.start_pos or 0)
        after = f" after '{prev}'" if prev else ""
        words = _expected_words(expected_set)
        hints: tuple[str, ...] = ()
        if str(tok) in {"and", "or"} and "NAME" in expected_set:
            hints = ("a condition is missing before it",)
        if str(tok) == "where" and prev and prev not in {"performed"}:
            hints = ("`where` filters an event: performed EVENT where PROPERTY = VALUE",)
        if tok.type in ("THEN", "WITHIN"):
            hints = ("`then` joins the steps of a sequence, each later step may end in `within D`, the window "
                     "comes last: performed A then B within 1 day in last 7 days (first/last performed take "
                     "one event)",)
        return error("E101", f"expected {words}{after}, found {_describe_token(tok)}", span, *hints)
    span = _offset_span(text, min(getattr(exc, "pos_in_stream", 0) or 0, len(text)), path)
    return error("E101", "syntax error", span)


def _previous_word(text: str, offset: int) -> str | None:
    before = text[:offset]
    # drop comments on previous lines cheaply: take the last non-space run
    m = re.search(r"(\"(?:[^\"\\\n]|\\.)*\"|[^\s]+)\s*$", before)
    if not m:
        return None
    word = m.group(1)
    if "#" in word and not word.startswith('"'):
        return None
    if len(word) > 30:
        word = word[:27] + "..."
    return word


# --------------------------------------------------------------------------- tree -> AST

_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}
_ESCAPE_RE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)", re.S)


class _Builder:
    """Converts a Lark tree to AST nodes, iteratively, collecting diagnostics."""

    def __init__(self, text: str, path: str | None) -> None:
        self.text = text
        self.path = path
        self.diagnostics: list[Diagnostic] = []
        self._depth_reported = False
        self._conditions = 0
        self._list_values = 0

    # -- helpers ---------------------------------------------------------------

    def span(self, item: Tree[Token] | Token) -> Span:
        if isinstance(item, Token):
            return _token_span(item, self.path)
        return _tree_span(item, self.path)

    def err(self, code: str, message: str, span: Span, *hints: str) -> None:
        self.diagnostics.append(error(code, message, span, *hints))

    # -- walk ------------------------------------------------------------------

    def build(self, tree: Tree[Token]) -> ast.File | None:
        results: dict[int, Any] = {}
        depth: dict[int, int] = {}
        stack: list[tuple[Tree[Token], bool]] = [(tree, False)]
        while stack:
            node, visited = stack.pop()
            if not visited:
                stack.append((node, True))
                for child in reversed(node.children):
                    if isinstance(child, Tree):
                        stack.append((child, False))
                continue
            kids: list[Any] = []
            d = 0
            data = str(node.data)
            for child in node.children:
                if isinstance(child, Tree):
                    kid = results.pop(id(child))
                    cd = depth.pop(id(child), 0)
                    if data in ("and_", "or_") and str(child.data) == data:
                        cd -= 1  # flattened into this node: no extra level
                    elif isinstance(kid, _Chain):
                        kid = kid.node()
                    kids.append(kid)
                    d = max(d, cd)
                else:
                    kids.append(child)
            handler: Callable[[Tree[Token], list[Any]], Any] = getattr(self, "r_" + data)
            value = handler(node, kids)
            if data in ("not_", "and_", "or_", "field_condition", "aggregate_condition"):
                d += 1
                if d > MAX_DEPTH and not self._depth_reported:
                    self._depth_reported = True
                    self.err("E116", f"expression nested more than {MAX_DEPTH} levels deep",
                             self.span(node), "split it into audiences and combine them with `in audience`")
            if data in _CONDITION_RULES or data == "list":
                self._count_size(node, data)
            results[id(node)] = value
            depth[id(node)] = d
        if self._depth_reported:
            return None
        result = results[id(tree)]
        assert isinstance(result, ast.File)
        return result

    # -- file and audience -----------------------------------------------------

    def _count_size(self, node: Tree[Token], data: str) -> None:
        """E121 at the first condition or list value over the file's limit (then no AST)."""
        if data == "list":
            self._list_values += sum(c is not None for c in node.children)
            over = self._list_values > MAX_LIST_VALUES
            what = _too_many("list values")
        else:
            self._conditions += 1
            over = self._conditions > MAX_CONDITIONS
            what = _too_many("conditions")
        if over and not self._depth_reported:
            self._depth_reported = True
            self.err("E121", f"the file holds {what}", self.span(node), _E121_HINT)

    def r_start(self, tree: Tree[Token], kids: list[Any]) -> ast.File:
        audiences: list[ast.Audience] = [k for k in kids if isinstance(k, ast.Audience)]
        seen: dict[str, ast.Audience] = {}
        for a in audiences:
            first = seen.get(a.name.value)
            if first is not None:
                self.err("E112", f"audience '{a.name.value}' is defined twice in this file", a.name.span,
                         f"first defined at line {first.name.span.line}")
            else:
                seen[a.name.value] = a
        return ast.File(span=Span(path=self.path, line=1, column=1, start=0, end=len(self.text),
                                  end_line=self.text.count("\n") + 1,
                                  end_column=len(self.text) - (self.text.rfind("\n") + 1) + 1),
                        path=self.path, audiences=tuple(audiences))

    def r_audience(self, tree: Tree[Token], kids: list[Any]) -> ast.Audience:
        name_tok = kids[0]
        name = ast.Name(value=str(name_tok), span=self.span(name_tok))
        fields: dict[str, Any] = {}
        first_span: dict[str, Span] = {}
        require: list[ast.RequireConsent] = []
        activate: list[ast.Activate] = []
        for clause in kids[1:]:
            key, value, span = clause
            if key == "require_consent":
                require.append(value)
                continue
            if key == "activate":
                activate.append(value)
                continue
            if key in fields:
                word = {"min_size": "min size"}.get(key, key)
                self.err("E109", f"'{word}' is given twice in audience '{name.value}'", span,
                         f"first given at line {first_span[key].line}")
                continue
            fields[key] = value
            first_span[key] = span
        tags_span = first_span.get("tags")
        audience = ast.Audience(
            span=self.span(tree), name=name, require_consent=tuple(require), activate=tuple(activate),
            tags_span=tags_span, **fields,
        )
        if audience.include is None:
            self.err("E108", f"audience '{name.value}' has no 'include' clause", name.span,
                     "every audience says who may be a member: include CONDITION")
        return audience

    def _meta_str(self, tree: Tree[Token], key: str, kids: list[Any]) -> tuple[str, Any, Span]:
        return (key, self.string(kids[0]), self.span(tree))

    def r_title(self, tree: Tree[Token], kids: list[Any]) -> tuple[str, Any, Span]:
        return self._meta_str(tree, "title", kids)

    def r_owner(self, tree: Tree[Token], kids: list[Any]) -> tuple[str, Any, Span]:
        return self._meta_str(tree, "owner", kids)

    def r_description(self, tree: Tree[Token], kids: list[Any]) -> tuple[str, Any, Span]:
        return self._meta_str(tree, "description", kids)

    def r_tags(self, tree: Tree[Token], kids: list[Any]) -> tuple[str, Any, Span]:
        return ("tags", tuple(self.string(k) for k in kids if k is not None), self.span(tree))

    def r_include(self, tree: Tree[Token], kids: list[Any]) -> tuple[str, Any, Span]:
        return ("include", kids[0], self.span(tree))

    def r_exclude(self, tree: Tree[Token], kids: list[Any]) -> tuple[str, Any, Span]:
        return ("exclude", kids[0], self.span(tree))

    def r_require(self, tree: Tree[Token], kids: list[Any]) -> tuple[str, Any, Span]:
        purposes = tuple(self.name(k) for k in kids)
        return ("require_consent", ast.RequireConsent(span=self.span(tree), purposes=purposes), self.span(tree))

    def r_min_size(self, tree: Tree[Token], kids: list[Any]) -> tuple[str, Any, Span]:
        num = self.number(kids[0])
        if num.value < 0 or not num.is_integer:
            self.err("E110", f"min size must be a whole number of members, not {kids[0]}", num.span)
        return ("min_size", num, self.span(tree))

    def r_activate(self, tree: Tree[Token], kids: list[Any]) -> tuple[str, Any, Span]:
        return ("activate", ast.Activate(span=self.span(tree), destination=self.name(kids[0])), self.span(tree))

    # -- boolean structure -------------------------------------------------------

    def _flat(self, cls: type[ast.And] | type[ast.Or], tree: Tree[Token], kids: list[Any]) -> _Chain:
        # A chain of n terms arrives as n-1 nested binary trees: extend one list in place
        # (linear) and build the AST node once, when something else consumes the chain.
        items: list[Any] | None = None
        for k in kids:
            if isinstance(k, _Chain) and k.cls is cls:
                if items is None:
                    items = k.items
                else:
                    items.extend(k.items)
            elif isinstance(k, cls):
                items = [*(items or []), *k.items]
            elif items is None:
                items = [k]
            else:
                items.append(k)
        return _Chain(cls, items or [], self.span(tree))

    def r_and_(self, tree: Tree[Token], kids: list[Any]) -> _Chain:
        return self._flat(ast.And, tree, kids)

    def r_or_(self, tree: Tree[Token], kids: list[Any]) -> _Chain:
        return self._flat(ast.Or, tree, kids)

    def r_not_(self, tree: Tree[Token], kids: list[Any]) -> ast.Not:
        return ast.Not(span=self.span(tree), operand=kids[0])

    def r_in_audience(self, tree: Tree[Token], kids: list[Any]) -> ast.InAudience:
        return ast.InAudience(span=self.span(tree), audience=self.name(kids[0]))

    def r_has_consent(self, tree: Tree[Token], kids: list[Any]) -> ast.HasConsent:
        return ast.HasConsent(span=self.span(tree), purpose=self.name(kids[0]))

    def r_in_sample(self, tree: Tree[Token], kids: list[Any]) -> ast.InSample:
        return ast.InSample(span=self.span(tree), percent=self.number(kids[0]), salt=self.string(kids[1]))

    # -- field conditions ---------------------------------------------------------
    # A test is built as a function of its target so that trait/property and
    # aggregate conditions share one implementation.

    def r_field_name(self, tree: Tree[Token], kids: list[Any]) -> Token:
        tok: Token = kids[0]
        return tok

    def r_field_condition(self, tree: Tree[Token], kids: list[Any]) -> ast.Node:
        target = self.name(kids[0])
        make: Callable[[Any, Span], ast.Node] = kids[1]
        return make(target, self.span(tree))

    def r_t_compare(self, tree: Tree[Token], kids: list[Any]) -> Callable[[Any, Span], ast.Node]:
        op, value = str(kids[0]), self.value(kids[1])
        return lambda target, span: ast.Compare(span=span, target=target, op=op, value=value)

    def r_t_in(self, tree: Tree[Token], kids: list[Any]) -> Callable[[Any, Span], ast.Node]:
        values = kids[0]
        return lambda target, span: ast.InList(span=span, target=target, values=values, negated=False)

    def r_t_not_in(self, tree: Tree[Token], kids: list[Any]) -> Callable[[Any, Span], ast.Node]:
        values = kids[0]
        return lambda target, span: ast.InList(span=span, target=target, values=values, negated=True)

    def r_list(self, tree: Tree[Token], kids: list[Any]) -> tuple[Any, ...]:
        values = tuple(self.value(k) for k in kids if k is not None)
        if not values:
            self.err("E117", "an empty list: `in []` is never true and `not in []` always is", self.span(tree),
                     "list at least one value")
        return values

    def r_t_between(self, tree: Tree[Token], kids: list[Any]) -> Callable[[Any, Span], ast.Node]:
        low, high = self.value(kids[0]), self.value(kids[1])
        return lambda target, span: ast.Between(span=span, target=target, low=low, high=high)

    def r_t_match(self, tree: Tree[Token], kids: list[Any]) -> Callable[[Any, Span], ast.Node]:
        op = {"contains": "contains", "starts": "starts_with", "ends": "ends_with"}[str(kids[0]).split()[0]]
        value = self.string(kids[1])
        if value.value == "":
            self.err("E118", f"'{str(kids[0]).split()[0]}' needs a non-empty string: an empty one matches everything",
                     value.span)
        ignore_case = len(kids) > 2 and kids[2] is not None
        return lambda target, span: ast.StringMatch(span=span, target=target, op=op, value=value,
                                                    ignore_case=ignore_case)

    def r_ignoring(self, tree: Tree[Token], kids: list[Any]) -> bool:
        return True

    def r_t_is_null(self, tree: Tree[Token], kids: list[Any]) -> Callable[[Any, Span], ast.Node]:
        return lambda target, span: ast.IsNull(span=span, target=target, negated=False)

    def r_t_is_not_null(self, tree: Tree[Token], kids: list[Any]) -> Callable[[Any, Span], ast.Node]:
        return lambda target, span: ast.IsNull(span=span, target=target, negated=True)

    def r_t_in_last(self, tree: Tree[Token], kids: list[Any]) -> Callable[[Any, Span], ast.Node]:
        window = kids[0]
        return lambda target, span: ast.InLast(span=span, target=target, window=window)

    def r_t_ago(self, tree: Tree[Token], kids: list[Any]) -> Callable[[Any, Span], ast.Node]:
        window = kids[0]
        return lambda target, span: ast.MoreThanAgo(span=span, target=target, window=window)

    def r_t_before(self, tree: Tree[Token], kids: list[Any]) -> Callable[[Any, Span], ast.Node]:
        value = self.time_value(kids[0])
        return lambda target, span: ast.TimeCompare(span=span, target=target, op="before", value=value)

    def r_t_after(self, tree: Tree[Token], kids: list[Any]) -> Callable[[Any, Span], ast.Node]:
        value = self.time_value(kids[0])
        return lambda target, span: ast.TimeCompare(span=span, target=target, op="after", value=value)

    # -- events ----------------------------------------------------------------------

    def _performed(self, tree: Tree[Token], kids: list[Any]) -> ast.Performed | ast.Sequence:
        event = self.name(kids[0])
        fields: dict[str, Any] = {}
        steps: list[ast.Step] = []
        for k in kids[1:]:
            if isinstance(k, _Where):
                fields["where"] = k.expr
            elif isinstance(k, ast.Step):
                steps.append(k)
            elif isinstance(k, ast.Count):
                fields["count"] = k
            elif k is not None:
                fields["window"] = k
        if not steps:
            return ast.Performed(span=self.span(tree), event=event, **fields)
        where = fields.pop("where", None)
        first_span = event.span if where is None else _join(event.span, where.span)
        first = ast.Step(span=first_span, event=event, where=where)
        return ast.Sequence(span=self.span(tree), steps=(first, *steps), **fields)

    def r_performed_closed(self, tree: Tree[Token], kids: list[Any]) -> ast.Performed | ast.Sequence:
        return self._performed(tree, kids)

    def r_performed_open(self, tree: Tree[Token], kids: list[Any]) -> ast.Performed | ast.Sequence:
        return self._performed(tree, kids)

    def _step(self, tree: Tree[Token], kids: list[Any]) -> ast.Step:
        fields: dict[str, Any] = {}
        event: ast.Name | None = None
        for k in kids:
            if isinstance(k, Token):
                event = self.name(k)
            elif isinstance(k, _Where):
                fields["where"] = k.expr
            elif isinstance(k, ast.Duration):
                fields["within"] = k
            elif k is True:
                fields["absent"] = True
        assert event is not None
        return ast.Step(span=self.span(tree), event=event, **fields)

    def r_step_c(self, tree: Tree[Token], kids: list[Any]) -> ast.Step:
        return self._step(tree, kids)

    def r_step_o(self, tree: Tree[Token], kids: list[Any]) -> ast.Step:
        return self._step(tree, kids)

    def r_absent(self, tree: Tree[Token], kids: list[Any]) -> bool:
        return True

    def r_within(self, tree: Tree[Token], kids: list[Any]) -> ast.Duration:
        amount, unit = self._amount_unit(kids[0], kids[1], "a duration")
        return ast.Duration(span=self.span(tree), amount=amount, unit=unit)

    def r_edge(self, tree: Tree[Token], kids: list[Any]) -> Token:
        tok: Token = kids[0]
        return tok

    def _first_last(self, tree: Tree[Token], kids: list[Any]) -> ast.FirstLastPerformed:
        which = str(kids[0])
        event = self.name(kids[1])
        fields: dict[str, Any] = {}
        for k in kids[2:]:
            if isinstance(k, _Where):
                fields["where"] = k.expr
            elif isinstance(k, ast.Count):
                fields["count"] = k
            elif k is not None:
                fields["window"] = k
        return ast.FirstLastPerformed(span=self.span(tree), which=which, event=event, **fields)

    def r_first_last_closed(self, tree: Tree[Token], kids: list[Any]) -> ast.FirstLastPerformed:
        return self._first_last(tree, kids)

    def r_first_last_open(self, tree: Tree[Token], kids: list[Any]) -> ast.FirstLastPerformed:
        return self._first_last(tree, kids)

    def r_where(self, tree: Tree[Token], kids: list[Any]) -> _Where:
        return _Where(kids[0])

    def r_count(self, tree: Tree[Token], kids: list[Any]) -> ast.Count:
        op = "_".join(str(kids[0]).split())
        n = self.whole(kids[1], "a count", minimum=0, maximum=MAX_COUNT)
        return ast.Count(span=self.span(tree), op=op, n=n)

    def r_count_days(self, tree: Tree[Token], kids: list[Any]) -> ast.Count:
        op = "_".join(str(kids[0]).split())
        n = self.whole(kids[1], "a count", minimum=0, maximum=MAX_COUNT)
        if str(kids[2]) not in ("day", "days"):
            self.err("E111", f"'distinct {kids[2]}': only distinct days are counted", self.span(kids[2]),
                     f"write 'on {op.replace('_', ' ')} {kids[1]} distinct days'")
        return ast.Count(span=self.span(tree), op=op, n=n, distinct_days=True)

    def _amount_unit(self, amount_tok: Token, unit_tok: Token, what: str) -> tuple[int, Any]:
        unit = UNITS.get(str(unit_tok))
        if unit is None:
            self.err("E111", f"unknown time unit '{unit_tok}'", self.span(unit_tok),
                     "use minutes, hours, days, weeks, months (30 days) or years (365 days)")
            unit = "day"
        amount = self.whole(amount_tok, what, minimum=1, maximum=MAX_WINDOW[unit], unit=unit)
        return amount, unit

    def r_last(self, tree: Tree[Token], kids: list[Any]) -> ast.LastWindow:
        amount, unit = self._amount_unit(kids[0], kids[1], "a window")
        return ast.LastWindow(span=self.span(tree), amount=amount, unit=unit)

    def r_calendar_window(self, tree: Tree[Token], kids: list[Any]) -> ast.CalendarWindow:
        unit = _CALENDAR_UNITS.get(str(kids[1]))
        if unit is None:
            self.err("E111", f"unknown calendar unit '{kids[1]}'", self.span(kids[1]),
                     "calendar windows count days, weeks or months")
            unit = "day"
        amount = self.whole(kids[0], "a window", minimum=1, maximum=MAX_WINDOW[unit], unit=unit)
        return ast.CalendarWindow(span=self.span(tree), period="last", amount=amount, unit=unit)

    def r_today_window(self, tree: Tree[Token], kids: list[Any]) -> ast.CalendarWindow:
        return ast.CalendarWindow(span=self.span(tree), period="today")

    def r_yesterday_window(self, tree: Tree[Token], kids: list[Any]) -> ast.CalendarWindow:
        return ast.CalendarWindow(span=self.span(tree), period="yesterday")

    def r_ago(self, tree: Tree[Token], kids: list[Any]) -> ast.AgoWindow:
        amount, unit = self._amount_unit(kids[0], kids[1], "a window")
        return ast.AgoWindow(span=self.span(tree), amount=amount, unit=unit)

    def r_between_window(self, tree: Tree[Token], kids: list[Any]) -> ast.BetweenWindow:
        start, end = self.time_value(kids[0]), self.time_value(kids[1])
        self._check_order(start, end, tree)
        return ast.BetweenWindow(span=self.span(tree), start=start, end=end)

    def r_since_window(self, tree: Tree[Token], kids: list[Any]) -> ast.SinceWindow:
        return ast.SinceWindow(span=self.span(tree), start=self.time_value(kids[0]))

    def _check_order(self, start: Any, end: Any, tree: Tree[Token]) -> None:
        a, b = start.value, end.value
        if isinstance(a, dt.datetime) != isinstance(b, dt.datetime):
            a = a if isinstance(a, dt.datetime) else dt.datetime(a.year, a.month, a.day, tzinfo=dt.UTC)
            b = b if isinstance(b, dt.datetime) else dt.datetime(b.year, b.month, b.day, tzinfo=dt.UTC)
        if a > b:
            first = self.text[start.span.start:start.span.end]
            last = self.text[end.span.start:end.span.end]
            self.err("E119", f"window starts after it ends ({first} is later than {last})",
                     self.span(tree), "swap the two bounds")

    # -- aggregates ------------------------------------------------------------------

    def r_agg_func(self, tree: Tree[Token], kids: list[Any]) -> Token:
        tok: Token = kids[0]
        return tok

    def r_aggregate_condition(self, tree: Tree[Token], kids: list[Any]) -> ast.Node:
        func_tok, event_tok, prop_tok, where, rest = kids
        window, make, rest_span = rest
        event = self.name(event_tok)
        prop = self.name(prop_tok) if prop_tok is not None else None
        head_end = rest_span if window is not None else None
        agg_span = self.span(func_tok)
        end_span = (head_end if head_end is not None
                    else (self._expr_span_end(where.expr) if where is not None
                          else self._close_paren_span(prop_tok or event_tok)))
        agg_span = _join(agg_span, end_span)
        agg = ast.Aggregate(span=agg_span, func=str(func_tok), event=event, property=prop,
                            where=where.expr if where is not None else None, window=window)
        return make(agg, self.span(tree))  # type: ignore[no-any-return]

    def _expr_span_end(self, expr: ast.Node) -> Span:
        return expr.span

    def _close_paren_span(self, tok: Token) -> Span:
        end = self.text.find(")", tok.end_pos or 0)
        return _offset_span(self.text, end if end >= 0 else (tok.end_pos or 0), self.path)

    def r_rest_plain(self, tree: Tree[Token], kids: list[Any]) -> tuple[Any, Any, Span]:
        return (None, kids[0], self.span(tree))

    def r_rest_last(self, tree: Tree[Token], kids: list[Any]) -> tuple[Any, Any, Span]:
        return (kids[0], kids[1], kids[0].span)

    def r_rest_ago(self, tree: Tree[Token], kids: list[Any]) -> tuple[Any, Any, Span]:
        return (kids[0], kids[1], kids[0].span)

    def r_rest_since(self, tree: Tree[Token], kids: list[Any]) -> tuple[Any, Any, Span]:
        start = self.time_value(kids[0])
        win_span = _join(self.span(tree), self.span(kids[0]))
        return (ast.SinceWindow(span=win_span, start=start), kids[1], win_span)

    def r_rest_between_window(self, tree: Tree[Token], kids: list[Any]) -> tuple[Any, Any, Span]:
        start, end = self.time_value(kids[0]), self.time_value(kids[1])
        win_span = _join(self.span(tree), self.span(kids[1]))
        self._check_order(start, end, tree)
        return (ast.BetweenWindow(span=win_span, start=start, end=end), kids[2], win_span)

    def r_rest_between_test(self, tree: Tree[Token], kids: list[Any]) -> tuple[Any, Any, Span]:
        return (None, self.r_t_between(tree, kids), self.span(tree))

    # -- literals ----------------------------------------------------------------------

    def name(self, tok: Token) -> ast.Name:
        return ast.Name(value=str(tok), span=self.span(tok))

    def value(self, tok: Token) -> Any:
        kind = tok.type
        if kind == "STRING":
            return self.string(tok)
        if kind == "NUMBER":
            return self.number(tok)
        if kind == "TRUE":
            return ast.BoolLit(value=True, span=self.span(tok))
        if kind == "FALSE":
            return ast.BoolLit(value=False, span=self.span(tok))
        return self.time_value(tok)

    def time_value(self, tok: Token) -> Any:
        span = self.span(tok)
        raw = str(tok)
        if tok.type == "DATE":
            try:
                return ast.DateLit(value=dt.date.fromisoformat(raw), span=span)
            except ValueError:
                self.err("E105", f"{raw} is not a date", span, "dates are written YYYY-MM-DD")
                return ast.DateLit(value=dt.date(1970, 1, 1), span=span)
        if tok.type == "TIMESTAMP":
            if not (raw.endswith("Z") or re.search(r"[+-]\d\d:\d\d$", raw)):
                self.err("E106", f"timestamp {raw} has no time zone", span,
                         f"add Z for UTC ({raw}Z) or an offset such as +01:00")
                return ast.TimestampLit(value=dt.datetime(1970, 1, 1, tzinfo=dt.UTC), span=span)
            try:
                value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
                if value.utcoffset() is None:  # pragma: no cover - guarded above
                    raise ValueError
                value.astimezone(dt.UTC)
            except (ValueError, OverflowError):
                self.err("E106", f"{raw} is not a timestamp", span,
                         "timestamps are written 2024-01-31T12:00:00Z or 2024-01-31T12:00:00+01:00")
                return ast.TimestampLit(value=dt.datetime(1970, 1, 1, tzinfo=dt.UTC), span=span)
            return ast.TimestampLit(value=value, span=span)
        self.err("E120", f"expected a date or timestamp, found {_describe_token(tok)}", span,
                 "write a date such as 2024-01-31")
        return ast.DateLit(value=dt.date(1970, 1, 1), span=span)

    def number(self, tok: Token) -> ast.NumberLit:
        span = self.span(tok)
        raw = str(tok)
        try:
            value = Decimal(raw)
        except InvalidOperation:  # pragma: no cover - the lexer only admits digits
            value = Decimal(0)
        exp = value.as_tuple().exponent
        frac = -exp if isinstance(exp, int) and exp < 0 else 0
        if abs(value) >= MAX_NUMBER or frac > MAX_FRACTION_DIGITS or len(raw) > 40:
            shown = raw if len(raw) <= 20 else raw[:17] + "..."
            self.err("E107", f"number {shown} is out of range", span,
                     f"numbers must be smaller than 10^18 in size with at most {MAX_FRACTION_DIGITS} decimals")
            value = Decimal(0)
        return ast.NumberLit(value=value, span=span)

    def whole(self, tok: Token, what: str, *, minimum: int, maximum: int, unit: str | None = None) -> int:
        span = self.span(tok)
        raw = str(tok)
        if len(raw) > 20 or not re.fullmatch(r"-?[0-9]+", raw):
            if re.fullmatch(r"-?[0-9]+", raw):
                self.err("E107", f"{what} of {raw[:17]}... is out of range", span)
            else:
                self.err("E110", f"{what} must be a whole number, not {raw}", span)
            return max(minimum, 1)
        n = int(raw)
        if n < minimum:
            if n < 0:
                self.err("E110", f"{what} cannot be negative ({raw})", span)
            else:
                self.err("E110", f"{what} must be at least {minimum} ({raw})", span)
            return minimum
        if n > maximum:
            limit = f"{maximum:,} {unit}s (100 years)" if unit else f"{maximum:,}"
            self.err("E107", f"{what} of {n:,} is out of range", span, f"the most is {limit}")
            return maximum
        return n

    def string(self, tok: Token) -> ast.StringLit:
        span = self.span(tok)
        raw = str(tok)[1:-1]
        if "\\" not in raw:
            return ast.StringLit(value=raw, span=span)
        out: list[str] = []
        pos = 0
        for m in _ESCAPE_RE.finditer(raw):
            out.append(raw[pos:m.start()])
            pos = m.end()
            esc = m.group(1)
            if esc in _ESCAPES:
                out.append(_ESCAPES[esc])
                continue
            col_span = Span(path=self.path, line=span.line, column=span.column + 1 + m.start(),
                            end_line=span.line, end_column=span.column + 1 + m.end(),
                            start=span.start + 1 + m.start(), end=span.start + 1 + m.end())
            if esc.startswith("u") and len(esc) == 5:
                cp = int(esc[1:], 16)
                if cp == 0:
                    self.err("E104", "\\u0000 (NUL) is not allowed in strings", col_span,
                             "no warehouse stores NUL in text")
                elif 0xD800 <= cp <= 0xDFFF:
                    self.err("E104", f"\\{esc} is a lone surrogate, not a character", col_span)
                else:
                    out.append(chr(cp))
                continue
            self.err("E104", f"invalid escape '\\{esc}' in string", col_span,
                     'the escapes are \\" \\\\ \\n \\t and \\uXXXX')
        out.append(raw[pos:])
        return ast.StringLit(value="".join(out), span=span)


@dataclass(frozen=True)
class _Where:
    expr: Any


@dataclass
class _Chain:
    """An ``and``/``or`` chain being flattened (see ``_Builder._flat``)."""

    cls: type[ast.And] | type[ast.Or]
    items: list[Any]
    span: Span

    def node(self) -> ast.And | ast.Or:
        return self.cls(span=self.span, items=tuple(self.items))
