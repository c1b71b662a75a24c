"""Rendering diagnostics for people (the ``full`` and ``concise`` text formats).

Machine formats (json, github, sarif, junit) live beside this in
``audiencelang.check.output``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from audiencelang.diagnostics import Diagnostic
from audiencelang.files import FileProblem, read_bounded

#: Largest file whose lines are quoted under a diagnostic (the largest loadable project file).
_MAX_SOURCE_BYTES = 8 * 1024 * 1024


def _source_line(path: str | None, line: int, sources: Mapping[str, str] | None,
                 cache: dict[str, list[str] | None]) -> str | None:
    if path is None:
        return None
    if path not in cache:
        text: str | None = None
        if sources is not None and path in sources:
            text = sources[path]
        else:
            try:  # a source line is a courtesy: never from a device, a FIFO or a huge file
                text = read_bounded(path, _MAX_SOURCE_BYTES).decode("utf-8-sig")
            except (FileProblem, UnicodeDecodeError, ValueError):
                text = None
        cache[path] = text.splitlines() if text is not None else None
    lines = cache[path]
    if lines is None or not 1 <= line <= len(lines):
        return None
    return lines[line - 1]


def location(d: Diagnostic) -> str:
    s = d.span
    if s is None:
        return "<project>"
    if s.path is None:
        return f"<input>:{s.line}:{s.column}"
    return f"{s.path}:{s.line}:{s.column}"


def render_concise(diagnostics: Iterable[Diagnostic]) -> str:
    """One line per diagnostic: ``path:line:col: CODE [market] message``."""
    out = []
    for d in diagnostics:
        market = f" [{d.market}]" if d.market else ""
        out.append(f"{location(d)}: {d.code}{market} {d.message}\n")
    return "".join(out)


def render_text(diagnostics: Iterable[Diagnostic], sources: Mapping[str, str] | None = None) -> str:
    """Each diagnostic with its source line, a caret under the span, and its hints."""
    cache: dict[str, list[str] | None] = {}
    out: list[str] = []
    for d in diagnostics:
        market = f" [market {d.market}]" if d.market else ""
        out.append(f"{d.severity.value}[{d.code}]{market}: {d.message}\n")
        s = d.span
        if s is not None:  # usage and project-wide findings have no place to point at
            out.append(f"  --> {location(d)}\n")
        if s is not None:
            src = _source_line(s.path, s.line, sources, cache)
            if src is not None:
                src = src.replace("\t", " ")
                if len(src) > 200:
                    start = max(0, s.column - 80)
                    src_shown = src[start:start + 160]
                    col = s.column - start
                else:
                    src_shown, col = src, s.column
                width = (s.end_column - s.column) if s.end_line == s.line else len(src) - s.column + 1
                width = max(1, min(width, len(src_shown) - col + 2))
                gutter = str(s.line)
                out.append(f"{' ' * len(gutter)} |\n")
                out.append(f"{gutter} | {src_shown}\n")
                out.append(f"{' ' * len(gutter)} | {' ' * (col - 1)}{'^' * width}\n")
        for h in d.hints:
            out.append(f"  = hint: {h}\n")
        out.append("\n")
    return "".join(out)
