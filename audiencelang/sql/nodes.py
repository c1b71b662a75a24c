"""The sqlglot nodes every SQL writer of audiencelang builds with: quoted identifiers,
columns, tables, literals, and ``AND``/``OR`` chains that stay shallow however long they are.

Explicit node construction only (no parsing of SQL text), so a user value can only ever
be a literal or a quoted identifier (see :mod:`audiencelang.sql.build`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlglot import exp

__all__ = ["FLAT_CHAIN", "BuildError", "alias", "and_", "col", "const", "cte_ref", "ident", "is_null", "not_",
           "not_null", "num", "or_", "param_name", "table_ref"]


class BuildError(Exception):
    """A plan the dialect cannot express exactly (reported as E501/E505)."""

    def __init__(self, code: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.hint = hint


# ---------------------------------------------------------------------------- small builders


def ident(name: str) -> exp.Identifier:
    return exp.Identifier(this=name, quoted=True)


def col(name: str, table: str | None = None) -> exp.Column:
    if table is None:
        return exp.Column(this=ident(name))
    return exp.Column(this=ident(name), table=ident(table))


def table_ref(parts: Sequence[str], alias: str | None = None) -> exp.Table:
    """A physical table. Every one the builder writes has an alias (:data:`SRC`) and no
    reference to a CTE has one (:func:`cte_ref`): :func:`audiencelang.sql.names.unhidden` tells them apart so."""
    args: dict[str, object] = {"this": ident(parts[-1])}
    if len(parts) >= 2:
        args["db"] = ident(parts[-2])
    if len(parts) == 3:
        args["catalog"] = ident(parts[0])
    if alias is not None:
        args["alias"] = exp.TableAlias(this=ident(alias))
    return exp.Table(**args)


def cte_ref(name: str) -> exp.Table:
    return exp.Table(this=ident(name))


def alias(e: exp.Expr, name: str) -> exp.Alias:
    return exp.Alias(this=e, alias=ident(name))


def num(n: int | str) -> exp.Expr:
    text = str(n)
    if text.startswith("-"):
        return exp.Neg(this=exp.Literal.number(text[1:]))
    return exp.Literal.number(text)


def _wrap(e: exp.Expr) -> exp.Expr:
    return exp.Paren(this=e) if isinstance(e, (exp.And, exp.Or)) else e


FLAT_CHAIN = 64
"""Longest ``AND``/``OR`` chain written flat (``a OR b OR c``). A longer one is written as
a balanced tree of parenthesised halves, so that its depth grows with log2 of its
length: engines parse a flat chain into a tree as deep as it is long, and SQLite
refuses a depth over 1,000 ("Expression tree is too large"); others recurse on it."""


def _balanced(items: Sequence[exp.Expr], join: Callable[[Sequence[exp.Expr]], exp.Expr]) -> exp.Expr:
    if len(items) <= FLAT_CHAIN:
        return join(items)
    half = len(items) // 2
    return join([exp.Paren(this=_balanced(items[:half], join)), exp.Paren(this=_balanced(items[half:], join))])


def _and_flat(items: Sequence[exp.Expr]) -> exp.Expr:
    def w(e: exp.Expr) -> exp.Expr:
        return exp.Paren(this=e) if isinstance(e, exp.Or) else e

    out = w(items[0]) if len(items) > 1 else items[0]
    for it in items[1:]:
        out = exp.And(this=out, expression=w(it))
    return out


def _or_flat(items: Sequence[exp.Expr]) -> exp.Expr:
    out = _wrap(items[0]) if len(items) > 1 else items[0]
    for it in items[1:]:
        out = exp.Or(this=out, expression=_wrap(it))
    return out


def and_(items: Sequence[exp.Expr]) -> exp.Expr:
    return _balanced(items, _and_flat)


def or_(items: Sequence[exp.Expr]) -> exp.Expr:
    return _balanced(items, _or_flat)


def not_(e: exp.Expr) -> exp.Expr:
    return exp.Not(this=exp.Paren(this=e) if isinstance(e, (exp.And, exp.Or, exp.Not)) else e)


def is_null(e: exp.Expr) -> exp.Expr:
    return exp.Is(this=e, expression=exp.Null())


def not_null(e: exp.Expr) -> exp.Expr:
    return exp.Not(this=is_null(e))


def const(value: bool) -> exp.Expr:
    return exp.EQ(this=exp.Literal.number("1"), expression=exp.Literal.number("1" if value else "0"))


def param_name(seconds: int) -> str:
    return "as_of" if seconds == 0 else f"as_of_minus_{seconds}s"
