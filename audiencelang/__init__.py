"""audiencelang: compile declarative customer-audience rules into warehouse SQL.

The public API is imported lazily so that ``import audiencelang`` (and the CLI's
``--version``) stay fast; for type checkers every name is its real, typed object::

    import audiencelang
    result = audiencelang.parse(text, path="a.aud")      # -> ParseResult
    text = audiencelang.format_source(text).text         # canonical layout (None: syntax errors)
    project = audiencelang.load_project("examples")      # config, markets, audiences
    project = audiencelang.project_from_sources(markets={...}, audiences={...})  # in memory
    report = audiencelang.check_project(project)         # -> diagnostics
    compiled = audiencelang.compile_sql(project, "cart_abandoners", "de", "duckdb")
    bucket = audiencelang.sample_bucket("q4_holdout", 42)  # 0 … 9999, spec §10

``compile`` is the former name of ``compile_sql`` (kept; ``from audiencelang import
compile`` would shadow the built-in). docs/api.md is the embedding guide.

Every function of ``__all__`` returns its result with diagnostics, never raising for a
caller's problem, except ``sample_bucket`` (a pure value function like ``hashlib``: a
wrong Python type is ``TypeError``). The raising forms kept for compatibility, outside
``__all__``: ``format_str`` (raises ``FormatError``; use ``format_source``) and
``evaluate``/``explain`` (the reference evaluator's oracle; use ``evaluate_members``/
``explain_member``).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from audiencelang.__about__ import __version__

if TYPE_CHECKING:  # the same names, typed, without importing them at run time
    from audiencelang.check import CheckedAudience as CheckedAudience
    from audiencelang.check import CheckReport as CheckReport
    from audiencelang.check import check_audience as check_audience
    from audiencelang.check import check_project as check_project
    from audiencelang.diagnostics import Diagnostic as Diagnostic
    from audiencelang.diagnostics import Severity as Severity
    from audiencelang.diagnostics import Span as Span
    from audiencelang.eval import evaluate as evaluate
    from audiencelang.eval import explain as explain
    from audiencelang.eval.results import Evaluation as Evaluation
    from audiencelang.eval.results import ExplainResult as ExplainResult
    from audiencelang.eval.results import evaluate_members as evaluate_members
    from audiencelang.eval.results import explain_member as explain_member
    from audiencelang.project import Project as Project
    from audiencelang.project import load_project as load_project
    from audiencelang.project import project_from_sources as project_from_sources
    from audiencelang.sample import sample_bucket as sample_bucket
    from audiencelang.sql import CompiledQuery as CompiledQuery
    from audiencelang.sql import CompileResult as CompileResult
    from audiencelang.sql import compile as compile
    from audiencelang.sql import compile_audience as compile_audience
    from audiencelang.sql import compile_sql as compile_sql
    from audiencelang.syntax import ParseResult as ParseResult
    from audiencelang.syntax import parse as parse
    from audiencelang.syntax import parse_file as parse_file
    from audiencelang.syntax.formatter import format_str as format_str
    from audiencelang.syntax.validate import FormatResult as FormatResult
    from audiencelang.syntax.validate import format_source as format_source
    from audiencelang.syntax.validate import format_tree as format_tree
    from audiencelang.syntax.validate import tree_from_json as tree_from_json
    from audiencelang.syntax.validate import tree_to_json as tree_to_json
    from audiencelang.syntax.validate import validate_tree as validate_tree

_LAZY = {
    "parse": "audiencelang.syntax",
    "parse_file": "audiencelang.syntax",
    "ParseResult": "audiencelang.syntax",
    "format_str": "audiencelang.syntax.formatter",
    "format_source": "audiencelang.syntax.validate",
    "format_tree": "audiencelang.syntax.validate",
    "FormatResult": "audiencelang.syntax.validate",
    "validate_tree": "audiencelang.syntax.validate",
    "tree_to_json": "audiencelang.syntax.validate",
    "tree_from_json": "audiencelang.syntax.validate",
    "Diagnostic": "audiencelang.diagnostics",
    "Severity": "audiencelang.diagnostics",
    "Span": "audiencelang.diagnostics",
    "load_project": "audiencelang.project",
    "project_from_sources": "audiencelang.project",
    "Project": "audiencelang.project",
    "check_project": "audiencelang.check",
    "check_audience": "audiencelang.check",
    "CheckedAudience": "audiencelang.check",
    "CheckReport": "audiencelang.check",
    "compile": "audiencelang.sql",
    "compile_sql": "audiencelang.sql",
    "compile_audience": "audiencelang.sql",
    "CompileResult": "audiencelang.sql",
    "CompiledQuery": "audiencelang.sql",
    "evaluate": "audiencelang.eval",
    "explain": "audiencelang.eval",
    "evaluate_members": "audiencelang.eval.results",
    "explain_member": "audiencelang.eval.results",
    "Evaluation": "audiencelang.eval.results",
    "ExplainResult": "audiencelang.eval.results",
    "sample_bucket": "audiencelang.sample",
}

__all__ = [
    "CheckReport",
    "CheckedAudience",
    "CompileResult",
    "CompiledQuery",
    "Diagnostic",
    "Evaluation",
    "ExplainResult",
    "FormatResult",
    "ParseResult",
    "Project",
    "Severity",
    "Span",
    "__version__",
    "check_audience",
    "check_project",
    "compile",
    "compile_audience",
    "compile_sql",
    "evaluate_members",
    "explain_member",
    "format_source",
    "format_tree",
    "load_project",
    "parse",
    "parse_file",
    "project_from_sources",
    "sample_bucket",
    "tree_from_json",
    "tree_to_json",
    "validate_tree",
]


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'audiencelang' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
