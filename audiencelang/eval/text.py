"""Audience text for explanations and reproducers: the formatter's canonical printing.

Kept as its own small module so the evaluator's public names stay stable
(``render_expr``, ``render_audience``, ``render_literal``); the printing itself is
the formatter's, so there is one printer of the language.
"""

from __future__ import annotations

from audiencelang import ast
from audiencelang.syntax.formatter import format_expr, format_file


def render_literal(lit: ast.StringLit | ast.NumberLit | ast.BoolLit | ast.DateLit | ast.TimestampLit) -> str:
    """A literal as it is written in an audience file."""
    return format_expr(ast.Compare(target=ast.Name(value="x"), op="=", value=lit))[len("x = "):]


def render_expr(e: ast.Expr) -> str:
    """One expression on one line, parenthesised where precedence (or the `where` rule) needs it."""
    return format_expr(e)


def render_audience(a: ast.Audience) -> str:
    """A whole audience block in the canonical layout."""
    return format_file(ast.File(audiences=(a,)))
