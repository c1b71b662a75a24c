"""Positions and diagnostics between the library (code-point offsets, 1-based lines and
columns) and the protocol (0-based lines, UTF-16 columns)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from lsprotocol import types

from audiencelang.diagnostics import Diagnostic, Severity, Span

__all__ = ["offset_at", "path_of_uri", "position_at", "range_of", "span_range", "to_lsp", "uri_of"]

_SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
}


def _utf16(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


def position_at(text: str, offset: int) -> types.Position:
    offset = max(0, min(offset, len(text)))
    line = text.count("\n", 0, offset)
    start = text.rfind("\n", 0, offset) + 1
    return types.Position(line=line, character=_utf16(text[start:offset]))


def offset_at(text: str, pos: types.Position) -> int:
    """The code-point offset of a protocol position (clamped to the text)."""
    start = 0
    for _ in range(pos.line):
        nl = text.find("\n", start)
        if nl < 0:
            return len(text)
        start = nl + 1
    end = text.find("\n", start)
    line = text[start:] if end < 0 else text[start:end]
    units = 0
    for i, ch in enumerate(line):
        if units >= pos.character:
            return start + i
        units += 2 if ord(ch) > 0xFFFF else 1
    return start + len(line)


def range_of(text: str, start: int, end: int) -> types.Range:
    return types.Range(start=position_at(text, start), end=position_at(text, end))


def span_range(span: Span | None, text: str | None) -> types.Range:
    """The protocol range of a span; UTF-16 exact when the file's text is known."""
    if span is None:
        return types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0))
    lines = text.split("\n") if text is not None else None

    def pos(line: int, col: int) -> types.Position:
        ln = max(line - 1, 0)
        c = max(col - 1, 0)
        if lines is not None and ln < len(lines):
            c = _utf16(lines[ln][:c])
        return types.Position(line=ln, character=c)

    return types.Range(start=pos(span.line, span.column), end=pos(span.end_line, span.end_column))


def to_lsp(d: Diagnostic, text: str | None) -> types.Diagnostic:
    """One of our diagnostics as the protocol's: same code and message; hints on their own
    lines (and in ``data`` for code actions); the market, when it concerns one, named."""
    message = d.message
    if d.market is not None and f"'{d.market}'" not in message:
        message = f"[market {d.market}] {message}"
    if d.hints:
        message += "".join(f"\nhint: {h}" for h in d.hints)
    return types.Diagnostic(
        range=span_range(d.span, text),
        message=message,
        severity=_SEVERITY[d.severity],
        code=d.code,
        source="audiencelang",
        data={"hints": list(d.hints), "market": d.market, "audience": d.audience},
    )


def uri_of(path: Path) -> str:
    return path.absolute().as_uri()


def path_of_uri(uri: str) -> Path | None:
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    return Path(unquote(parsed.path))
