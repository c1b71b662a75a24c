"""Diagnostics: the one value type every pass reports problems with.

A diagnostic is data (code, severity, message, span, hints), never an exception
that reaches the user. Codes are stable and documented in ``docs/errors.md``:

======  ===============================================
range   pass
======  ===============================================
E1xx    syntax (``audiencelang.syntax``)
W1xx    syntax warnings (empty files, ...)
E2xx    market schema and project config files (``audiencelang.schema``)
E3xx    name resolution and types (``audiencelang.check``)
E4xx    consent and activation policy (``audiencelang.check``)
L0xx    lint rules, configurable (``audiencelang.check.lint``)
E5xx    lowering to SQL (``audiencelang.sql``)
E6xx    running on a database (``audiencelang.run``)
E9xx    usage and internal errors
======  ===============================================
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Span(BaseModel):
    """A region of a source file. Lines and columns are 1-based; ``end_column``
    is exclusive. ``start``/``end`` are 0-based character offsets into the text."""

    model_config = ConfigDict(frozen=True)

    path: str | None = None
    line: int = 1
    column: int = 1
    end_line: int = 1
    end_column: int = 1
    start: int = 0
    end: int = 0

    def with_path(self, path: str | None) -> Span:
        return self.model_copy(update={"path": path})


class Diagnostic(BaseModel):
    """One finding. ``market`` is set when the finding concerns one market only."""

    model_config = ConfigDict(frozen=True)

    code: str
    severity: Severity = Severity.ERROR
    message: str
    span: Span | None = None
    hints: tuple[str, ...] = ()
    market: str | None = None
    audience: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def sort_key(self) -> tuple[str, int, int, str, str]:
        s = self.span
        return (
            (s.path or "") if s else "",
            s.line if s else 0,
            s.column if s else 0,
            self.market or "",
            self.code,
        )


def error(code: str, message: str, span: Span | None = None, *hints: str, **kw: str | None) -> Diagnostic:
    return Diagnostic(code=code, severity=Severity.ERROR, message=message, span=span, hints=tuple(hints), **kw)


def warning(code: str, message: str, span: Span | None = None, *hints: str, **kw: str | None) -> Diagnostic:
    return Diagnostic(code=code, severity=Severity.WARNING, message=message, span=span, hints=tuple(hints), **kw)


def nearest(name: str, known: list[str] | tuple[str, ...] | set[str], n: int = 3) -> list[str]:
    """The known names closest to ``name`` (for 'did you mean' hints)."""
    import difflib

    return difflib.get_close_matches(name, sorted(known), n=n, cutoff=0.6)


def did_you_mean(name: str, known: list[str] | tuple[str, ...] | set[str]) -> tuple[str, ...]:
    close = nearest(name, known)
    if close:
        return ("did you mean " + ", ".join(f"'{c}'" for c in close) + "?",)
    if known:
        shown = sorted(known)[:8]
        more = "" if len(known) <= 8 else f", ... ({len(known)} in all)"
        return ("known names: " + ", ".join(shown) + more,)
    return ()


class AudienceLangError(Exception):
    """Raised inside the library to carry diagnostics up to an API boundary.

    Public functions catch it and return the diagnostics; it never escapes the CLI.
    """

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__("; ".join(d.message for d in diagnostics))
        self.diagnostics = diagnostics
