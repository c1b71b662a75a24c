"""``in sample P% salt "S"`` in SQL (spec §10): the bucket of :func:`audiencelang.sample_bucket`.

The statement computes ``MD5('S:' || CAST(id AS TEXT))`` as lower-case hex (sqlglot writes
each dialect's form: ``TO_HEX(MD5(…))`` on BigQuery, ``LOWER(TO_HEX(MD5(TO_UTF8(…))))`` on
Trino, ``LOWER(HEX(MD5(…)))`` on ClickHouse) and reads its first 8 hex digits as a number
without any hex-parsing function, the same way on every dialect: digit ``i`` is
``POSITION(SUBSTRING(h, i, 1) IN '0123456789abcdef') - 1``, and since only the value modulo
10000 matters, digit ``i`` is weighted with ``16^(7-i) mod 10000``. The sum stays below
500,000, so no engine's integer type can overflow, and the result is exactly
``int(h[:8], 16) % 10000``.

The id is written as ``CAST(id AS <text type>)``: an integer column becomes plain decimal
text on every supported engine (``-5``, ``0``, ``9223372036854775807``), a text column is
itself. SQLite has no MD5: refused with E520 (docs/semantics.md, "Samples").

T-SQL's ``HASHBYTES`` hashes the bytes of its argument as stored: UTF-16 for ``NVARCHAR``,
the collation's code page for ``VARCHAR``. The statement builds the text as ``NVARCHAR``
(``'S:' + CAST(id AS NVARCHAR(MAX))``: an integer in plain decimal, a string as stored,
converted to Unicode), gives it the UTF-8 collation ``Latin1_General_100_BIN2_UTF8`` and
casts it to ``VARCHAR(MAX)``, whose bytes under that collation are the text's UTF-8 (SQL
Server 2019 and later, Azure SQL); the hex is ``LOWER(CONVERT(VARCHAR(32), <hash>, 2))``.
"""

from __future__ import annotations

from sqlglot import exp

from audiencelang.sample import BUCKETS
from audiencelang.sql import literals
from audiencelang.sql.dialects import DialectProfile
from audiencelang.sql.literals import Fn

__all__ = ["UNSUPPORTED", "bucket", "bucket_below"]

#: Dialects that cannot compute the bucket exactly, and why (E520).
UNSUPPORTED = {
    "sqlite": "SQLite has no MD5 function",
}
#: T-SQL: the collation whose VARCHAR bytes are UTF-8 (SQL Server 2019+).
UTF8_COLLATION = "Latin1_General_100_BIN2_UTF8"

_HEX = "0123456789abcdef"
_WEIGHTS = tuple(16 ** (7 - i) % BUCKETS for i in range(8))


def _error(code: str, message: str) -> Exception:
    from audiencelang.sql.build import BuildError

    return BuildError(code, message)


def bucket(member_id: exp.Expr, salt: str, d: DialectProfile, f: Fn) -> exp.Expr:
    """The bucket (0 … 9999) of ``member_id`` under ``salt``, as an integer expression."""
    reason = UNSUPPORTED.get(d.name)
    if reason is not None:
        raise _error("E520", f"'in sample' cannot be compiled for dialect '{d.name}': {reason}")
    if d.name == "tsql":
        hashed = _tsql_md5_hex(member_id, salt, d, f)
    else:
        text = f(exp.Cast, this=member_id, to=exp.DataType(this=exp.DataType.Type.TEXT))
        hashed = f(exp.MD5, this=exp.DPipe(this=literals.string(salt + ":", d, f), expression=text, safe=True))
    terms: list[exp.Expr] = []
    for i, weight in enumerate(_WEIGHTS):
        digit = f(exp.Substring, this=hashed.copy() if i else hashed,
                  start=exp.Literal.number(i + 1), length=exp.Literal.number(1))
        value = exp.Sub(this=f(exp.StrPosition, this=exp.Literal.string(_HEX), substr=digit),
                        expression=exp.Literal.number(1))
        terms.append(exp.Mul(this=exp.Paren(this=value), expression=exp.Literal.number(weight)))
    total = terms[0]
    for t in terms[1:]:
        total = exp.Add(this=total, expression=t)
    return exp.Mod(this=exp.Paren(this=total), expression=exp.Literal.number(BUCKETS))


def _tsql_md5_hex(member_id: exp.Expr, salt: str, d: DialectProfile, f: Fn) -> exp.Expr:
    """``LOWER(CONVERT(VARCHAR(32), HASHBYTES('MD5', CAST(('S:' + CAST(id AS NVARCHAR(MAX)))
    COLLATE Latin1_General_100_BIN2_UTF8 AS VARCHAR(MAX))), 2))``: the MD5 of the UTF-8 text."""
    text = f(exp.Cast, this=member_id, to=exp.DataType.build("NVARCHAR(MAX)", dialect="tsql"))
    unicode = exp.Paren(this=exp.Add(this=literals.string(salt + ":", d, f), expression=text))
    utf8 = f(exp.Cast, this=exp.Collate(this=unicode, expression=exp.Var(this=UTF8_COLLATION)),
             to=exp.DataType.build("VARCHAR(MAX)", dialect="tsql"))
    digest = f(exp.Anonymous, this="HASHBYTES", expressions=[exp.Literal.string("MD5"), utf8])
    hexed = f(exp.Anonymous, this="CONVERT",
              expressions=[exp.DataType.build("VARCHAR(32)", dialect="tsql"), digest, exp.Literal.number(2)])
    return f(exp.Lower, this=hexed)


def bucket_below(member_id: exp.Expr, salt: str, below: int, d: DialectProfile, f: Fn, *,
                 negated: bool) -> exp.Expr:
    """``bucket < below``; where it stands under an odd number of ``NOT`` s, also
    ``member_id IS NOT NULL``, so that a null id is outside every sample (two-valued logic)."""
    test = exp.LT(this=bucket(member_id.copy(), salt, d, f), expression=exp.Literal.number(below))
    if not negated:
        return test
    return exp.And(this=exp.Not(this=exp.Is(this=member_id, expression=exp.Null())), expression=test)
