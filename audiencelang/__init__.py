"""audiencelang: compile declarative customer-audience rules into warehouse SQL.

The public API is imported lazily so that ``import audiencelang`` (and the CLI's
``--version``) stay fast::

    import audiencelang
    result = audiencelang.parse(text, path="a.aud")      # -> ParseResult
    text = audiencelang.format_str(text)                 # canonical layout
    project = audiencelang.load_project("examples")      # config, markets, audiences
    report = audiencelang.check_project(project)         # -> diagnostics
    compiled = audiencelang.compile(project, "cart_abandoners", "de", "duckdb")
    bucket = audiencelang.sample_bucket("q4_holdout", 42)  # 0 … 9999, spec §10
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from audiencelang.__about__ import __version__

_LAZY = {
    "parse": "audiencelang.syntax",
    "parse_file": "audiencelang.syntax",
    "ParseResult": "audiencelang.syntax",
    "format_str": "audiencelang.syntax.formatter",
    "Diagnostic": "audiencelang.diagnostics",
    "Severity": "audiencelang.diagnostics",
    "Span": "audiencelang.diagnostics",
    "load_project": "audiencelang.project",
    "Project": "audiencelang.project",
    "check_project": "audiencelang.check",
    "check_audience": "audiencelang.check",
    "CheckedAudience": "audiencelang.check",
    "compile": "audiencelang.sql",
    "compile_audience": "audiencelang.sql",
    "evaluate": "audiencelang.eval",
    "explain": "audiencelang.eval",
    "sample_bucket": "audiencelang.sample",
}

__all__ = ["__version__", *sorted(_LAZY)]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'audiencelang' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
