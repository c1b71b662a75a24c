"""Time literals that are exact whatever type the warehouse stores a time column in
(docs/sql.md, "Time columns").

**Zoned literals** (DuckDB, PostgreSQL, Spark, Databricks: :attr:`DialectProfile.zoned_literals`). A bound
is written as an *untyped* string with an explicit UTC offset,
``'2026-11-01 00:00:00.000000+00:00'``. The engine gives an untyped literal the type of
the column it meets: against a ``TIMESTAMP`` column it is that naive UTC time
(PostgreSQL ignores the offset, DuckDB applies ``+00:00``: the same thing), against a
``TIMESTAMPTZ``/``timestamptz`` column the exact instant. Either way no session time
zone enters the comparison (a typed ``TIMESTAMP`` literal against a ``TIMESTAMPTZ``
column was converted through the session's zone: 8 of 26 audiences differed at UTC+14
and UTC-12). The literal is folded into the column's type when the statement is bound,
so the filter still reaches the scan (DuckDB's zone maps) exactly as before.

Spark and Databricks (since issue 11, item 5) too. Spark's ``TIMESTAMP`` is LTZ (an instant)
and a typed ``TIMESTAMP_NTZ`` literal compared with it was converted through
``spark.sql.session.timeZone`` (at UTC+14 a visit up to 14 hours after ``as_of`` counted).
Spark casts the untyped string to the column's own type: against ``TIMESTAMP`` (LTZ) the
instant the offset names, against ``TIMESTAMP_NTZ`` the wall clock (the offset is ignored),
with ANSI mode on or off; the cast literal is folded into the scan's filter (Parquet
pushdown). One legacy setting breaks this with ANSI off:
``spark.sql.legacy.typeCoercion.datetimeToString.enabled = true`` compares the column as
text; with ANSI on (which ``run`` pins) it has no effect (docs/sql.md, "Session settings").

SQLite stores times as text, which compares character by character: the SQL assumes
the one form it writes its literals in (``YYYY-MM-DD HH:MM:SS`` plus ``.ffffff`` when
the microseconds are not 0, Python's ``str(datetime)`` and SQLite's ``datetime()``),
and ``run`` refuses other forms (``audiencelang.run.columns``, E616). Normalising the
column in SQL instead was measured 4.7x slower on the example audiences.
"""

from __future__ import annotations

import datetime as dt

__all__ = ["zoned_text"]


def zoned_text(value: dt.datetime) -> str:
    """``YYYY-MM-DD HH:MM:SS.ffffff+00:00`` for a naive UTC ``value``: an untyped literal
    exact for both ``TIMESTAMP`` (UTC) and ``TIMESTAMPTZ`` columns. Always four year
    digits: ``strftime("%Y")`` writes the year 1 as ``1`` on glibc, which PostgreSQL reads
    as a two-digit year (2001)."""
    return value.isoformat(sep=" ", timespec="microseconds") + "+00:00"
