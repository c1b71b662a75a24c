"""Literals and string comparisons whose meaning does not depend on the warehouse session or
on a column's collation (docs/sql.md, "What the SQL assumes of the session").

- :func:`string` writes a string value as SQL the dialect reads back byte for byte under
  every session setting it has: PostgreSQL spells a backslash ``CHR(92)`` (whatever
  ``standard_conforming_strings``); Spark and Databricks get a value holding anything but
  printable characters other than ``'``, ``\\``, ``$`` and ``{`` as ``CAST(X'<UTF-8 hex>' AS STRING)``,
  so neither variable substitution (``${env:X}``, on by default) nor
  ``spark.sql.parser.escapedStringLiterals`` can change it; T-SQL non-ASCII text is ``N'...'``.
- :func:`exact` makes a string comparison exact (case-, accent- and pad-sensitive) whatever
  the column's collation: MySQL compares as ``BINARY``; T-SQL, PostgreSQL, DuckDB and SQLite
  name their byte-order collation (a ``COLLATE NOCASE`` column or a nondeterministic ICU
  collation would otherwise make ``country = 'DE'`` match ``de``); PostgreSQL casts to
  ``TEXT`` first, since a ``citext`` column ignores case under every collation.
- :func:`decimal` writes a fractional number as an exact decimal where a bare ``19.99`` would
  be a binary float (BigQuery ``NUMERIC``; ClickHouse ``Decimal(38, scale)``).
- :func:`substitution_free` refuses, for Spark and Databricks, a physical name holding ``${``.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from sqlglot import exp

from audiencelang.sql.dialects import DialectProfile

__all__ = ["decimal", "exact", "string", "substitution_free"]

_F = TypeVar("_F", bound=exp.Func)


class Fn(Protocol):
    """``Builder.f``: builds a function node and records it for the dialect's allow-list."""

    def __call__(self, cls: type[_F], **args: Any) -> _F: ...


# PostgreSQL: a placeholder for the backslash, one absent from the text
_PLACEHOLDERS = "¤§¶¦" + "".join(chr(c) for c in range(0xE000, 0xF900))
# Spark: characters a plain '...' literal may hold. `'` and `\` are read differently with
# spark.sql.parser.escapedStringLiterals; `$` could start a `${...}` substitution, `{` a
# Databricks SQL editor parameter (`'{{ name }}'` is replaced inside literals too); sqlglot
# writes control characters as backslash escapes (str.isprintable() is False for them)
_SPARK_UNSAFE = frozenset("'\\${")
_MAX_DECIMAL_SCALE = 38


def _error(code: str, message: str) -> Exception:
    from audiencelang.sql.build import BuildError

    return BuildError(code, message)


def string(text: str, d: DialectProfile, f: Fn) -> exp.Expr:
    """The string ``text`` as a literal expression of dialect ``d``."""
    if d.strings == "hex":
        if text.isprintable() and not any(c in _SPARK_UNSAFE for c in text):
            return exp.Literal.string(text)
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:
            raise _error("E505", "a string holds a lone surrogate code point, which is not Unicode text") from None
        return f(exp.Cast, this=exp.HexString(this=data.hex().upper()), to=exp.DataType(this=exp.DataType.Type.TEXT))
    if d.strings == "chr_backslash" and "\\" in text:
        # PostgreSQL: a backslash's meaning depends on standard_conforming_strings. Write it
        # as a placeholder character absent from the text, replaced by CHR(92): one flat call
        # however many backslashes (a chain of || overflows PostgreSQL's stack).
        ph = next(c for c in _PLACEHOLDERS if c not in text)
        return f(exp.Replace, this=exp.Literal.string(text.replace("\\", ph)),
                 expression=exp.Literal.string(ph),
                 replacement=f(exp.Anonymous, this="CHR", expressions=[exp.Literal.number("92")]))
    if d.strings == "national" and not text.isascii():
        return exp.National(this=text)
    return exp.Literal.string(text)


def exact(e: exp.Expr, d: DialectProfile, f: Fn, *, searched: bool = False) -> exp.Expr:
    """The string expression ``e`` compared byte for byte, whatever its collation.
    ``searched``: ``e`` is the string a position function searches in."""
    if d.exact == "binary":
        return f(exp.Cast, this=e, to=exp.DataType(this=exp.DataType.Type.BINARY))
    if d.exact == "collate":
        return exp.Collate(this=e, expression=exp.Var(this="Latin1_General_100_BIN2"))
    if d.exact == "collation":
        assert d.collation is not None
        if d.collation_as_text:
            e = f(exp.Cast, this=e, to=exp.DataType(this=exp.DataType.Type.TEXT))
        collated = exp.Collate(this=e, expression=exp.Identifier(this=d.collation, quoted=True))
        # PostgreSQL's POSITION(x IN y COLLATE "C") is a syntax error: parenthesise there
        return exp.Paren(this=collated) if searched else collated
    return e


def decimal(text: str, d: DialectProfile, f: Fn) -> exp.Expr | None:
    """A fractional number ``text`` as an exact decimal, or ``None`` where the dialect reads
    a bare number literal exactly."""
    if not d.exact_decimals or "." not in text:
        return None
    if d.decimal_precision is None:  # BigQuery: NUMERIC (scale 9) holds every value the checker allows
        return f(exp.Cast, this=exp.Literal.string(text), to=exp.DataType(this=exp.DataType.Type.DECIMAL))
    scale = len(text.split(".", 1)[1])
    if scale > _MAX_DECIMAL_SCALE:
        raise _error("E505", f"the number {text} has more than {_MAX_DECIMAL_SCALE} digits after the point")
    to = exp.DataType(this=exp.DataType.Type.DECIMAL, expressions=[
        exp.DataTypeParam(this=exp.Literal.number(d.decimal_precision)),
        exp.DataTypeParam(this=exp.Literal.number(scale))])
    return f(exp.Cast, this=exp.Literal.string(text), to=to)


def substitution_free(tree: exp.Expr, d: DialectProfile, market: str) -> str | None:
    """For a dialect whose engine rewrites ``${...}`` in the SQL text before parsing (Spark,
    Databricks): the message refusing the first identifier holding ``${``, else ``None``.
    String values never hold a ``$`` there (see :func:`string`); identifiers are physical
    names from the market file, which the engine reads as written."""
    if d.strings != "hex":
        return None
    for node in tree.find_all(exp.Identifier):
        name = str(node.this)
        if "${" in name:
            kind = "table" if isinstance(node.parent, exp.Table) else "column"
            return (f"market '{market}' names the {kind} `{name}`, which holds '${{': dialect '{d.name}' "
                    "would replace the ${...} in it before reading the statement (variable substitution)")
    return None
