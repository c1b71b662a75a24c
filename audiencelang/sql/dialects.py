"""What differs per target dialect: literal types, string functions, exactness, allow-lists.

Every choice here is a fact about the target warehouse, written down once:

- ``instant_type`` / ``date_type``: the type of time literals, matching the column
  type the project expects (naive UTC timestamps; BigQuery: ``TIMESTAMP``;
  ClickHouse: ``DateTime64(6, 'UTC')``/``Date32``; SQLite: ISO text, no cast).
- ``exact``: how a string comparison is made case- and pad-sensitive whatever the column's
  collation (MySQL: compare as ``BINARY``; T-SQL: a ``_BIN2`` collation; PostgreSQL, DuckDB,
  SQLite: their byte-order collation ``collation``); see audiencelang.sql.literals.
- ``strings``: how a string value is written so that no session setting changes it
  (PostgreSQL: backslashes as ``CHR(92)``; Spark/Databricks: risky values as UTF-8 hex).
- ``functions``: the functions the generated SQL may call on that dialect; a
  generated function outside the list is an E501 diagnostic, never emitted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlglot import exp

__all__ = ["DIALECTS", "DialectProfile", "get_profile"]

from sqlglot.expressions.datatypes import DType as _T


def _dt(kind: _T, *params: exp.Expr) -> exp.DataType:
    return exp.DataType(this=kind, expressions=[exp.DataTypeParam(this=p) for p in params] or None)


@dataclass(frozen=True)
class DialectProfile:
    name: str
    instant_type: exp.DataType | None  # None: plain ISO text literal (SQLite)
    date_type: exp.DataType | None
    now: Literal["at_time_zone", "sqlite", "sysdate", "current_timestamp", "epoch_micros", "cast_at_time_zone",
                 "now64", "utc_timestamp", "sysutcdatetime"]  # the current UTC time: see clock.py
    exact: Literal["none", "binary", "collate", "collation"] = "none"
    collation: str | None = None  # exact == "collation": the byte-order collation's name
    # exact == "collation": cast to TEXT first (PostgreSQL: a citext column compares
    # case-insensitively under any collation; as TEXT, COLLATE "C" applies)
    collation_as_text: bool = False
    strings: Literal["plain", "chr_backslash", "national", "hex"] = "plain"
    matches: Literal["generic", "clickhouse"] = "generic"
    lower: str | None = None  # function name replacing LOWER (ClickHouse: lowerUTF8)
    lower_collation: str | None = None  # collation making LOWER fold all of Unicode (PostgreSQL)
    substr: str | None = None  # function name replacing SUBSTRING
    exact_decimals: bool = False  # fractional literals are floats unless cast (BigQuery, ClickHouse)
    decimal_precision: int | None = None  # cast to DECIMAL(precision, the literal's scale); None: DECIMAL
    round_sums: int | None = None  # decimals are binary floats (SQLite): round sums before comparing
    # booleans written as 1/0: SQLite reads a bare TRUE as a column named "true" when one exists
    integer_booleans: bool = False
    # a decimal `in [...]`, or one with a fractional value, written as `= ... OR ...`: ClickHouse
    # compares decimals in `IN (...)` inexactly and refuses a Decimal in the IN list of an
    # integer column (TYPE_MISMATCH), while `=` compares exactly
    decimal_in_as_equalities: bool = False
    # integer microseconds since the epoch of a timestamp: consent packs (time, state) into one
    # integer per purpose and takes one MAX of it; None: the portable form (three MAX per purpose)
    epoch_us: str | None = None
    # event and consent scans keep only rows of users in the filtered ``profiles`` CTE
    # (``user IN (SELECT member_id FROM profiles)``, a hash semi-join) when top-level trait
    # tests filter it. Reads ``profiles`` twice, so only where CTEs are not inlined (DuckDB)
    semi_join_scans: bool = False
    # one grouped scan per distinct row filter instead of one per event table (see
    # audiencelang.sql.lower.lower): only where scans are cheap column reads (DuckDB)
    split_scans: bool = False
    # conditional aggregates as ``AGG(x) FILTER (WHERE c)`` instead of ``AGG(CASE WHEN c THEN x END)``
    filter_aggregates: bool = False
    # an event scan read only by one top-level ``performed X`` (``count >= 1``) becomes
    # ``member_id IN (SELECT user ...)`` when the top-level trait tests look selective: the
    # engine filters the event rows by the profiles while reading them (DuckDB's join filters)
    semi_join_exists: bool = False
    # the tests of LEFT-joined scans packed into BIGINT bit words gathered by one BIT_OR
    # (one join instead of one per scan): see audiencelang.sql.physical
    packed_facts: bool = False
    # a batch statement's shared event pass is split into passes by its aggregates' window
    # widths (audiencelang.sql.batch_passes), each reading only its widest window's rows:
    # where a grouped pass's cost grows with its FILTER aggregates and scans are cheap (DuckDB)
    window_passes: bool = False
    # every membership test applied after all joins: trait tests stay out of ``profiles`` and
    # ``facts`` ends in ``OFFSET 0``, through which PostgreSQL pushes no filter. Its planner
    # estimates a filtered aggregate or a string test at a row or two, then joins with nested
    # loops that rescan an event aggregate per profile (minutes on 100k profiles); unfiltered,
    # every input of a join is estimated from its GROUP BY and hashed (docs/sql.md). SQLite
    # too: a null-rejecting test (``NOT min IS NULL``) turned its LEFT JOINs back into inner
    # joins, which it then reordered (see ``inner_joins``)
    fence_joins: bool = False
    # a scan a member needs rows of is joined with INNER JOIN (fewer rows to join); False:
    # every join is a LEFT JOIN from ``profiles``, which SQLite's planner keeps as the outer
    # loop, probing each aggregate through an automatic index (with INNER JOINs it chose to
    # loop over one aggregate and scan another for each row: minutes on 100k profiles)
    inner_joins: bool = True
    # time literals as untyped strings with ``+00:00``, which take the compared column's type:
    # exact for TIMESTAMP and TIMESTAMPTZ columns (Spark: TIMESTAMP_NTZ and LTZ TIMESTAMP)
    # in any session time zone (sql/instants.py)
    zoned_literals: bool = False
    # a sequence (spec §8) as ASOF joins, step by step (each occurrence meets the latest
    # strictly earlier completing occurrence of the step before; an absent step the earliest
    # at or after), instead of window passes over the UNION ALL of the steps: DuckDB's
    # sort-merge ASOF join reads each step's rows once (docs/sql.md, "Behaviour over time")
    asof_sequences: bool = False
    # without ``as_of``: the clock and every time compared with it as an integer (or exact
    # numeric) count from the epoch, so a TIMESTAMPTZ/LTZ column meets it as the instant it
    # holds and a naive column as UTC, whatever the session's time zone (see clock.py)
    epoch_clock: Literal["epoch_us", "extract", "spark"] | None = None
    # text put before the statement (after the header comment): MariaDB runs the statement
    # with ``time_zone = '+00:00'`` (``SET STATEMENT ... FOR``, in an executable comment MySQL
    # ignores), so a TIMESTAMP column, which MariaDB converts to the session's zone when read,
    # meets the UTC bounds as the instant it holds in any session (docs/sql.md, "Time columns")
    prelude: str = ""
    functions: frozenset[str] = frozenset()

    def instant_cast(self) -> exp.DataType | None:
        return self.instant_type.copy() if self.instant_type is not None else None

    def date_cast(self) -> exp.DataType | None:
        return self.date_type.copy() if self.date_type is not None else None


_COMMON = frozenset({"COUNT", "SUM", "MIN", "MAX", "COALESCE", "CAST", "CASE", "LOWER", "LENGTH", "SUBSTRING",
                     "EXISTS"})


def _fns(*extra: str) -> frozenset[str]:
    return _COMMON | frozenset(extra)


#: MariaDB (10.1.2+) executes the text of ``/*M! ... */``; MySQL reads it as a comment
MARIADB_UTC_STATEMENT = "/*M! SET STATEMENT time_zone = '+00:00' FOR */\n"

_TS = _dt(_T.TIMESTAMP)
_DATE = _dt(_T.DATE)

DIALECTS: dict[str, DialectProfile] = {
    p.name: p
    for p in (
        DialectProfile("duckdb", _TS, _DATE, "at_time_zone", exact="collation", collation="binary",
                       epoch_us="EPOCH_US", semi_join_scans=True, zoned_literals=True, epoch_clock="epoch_us",
                       split_scans=True, window_passes=True,
                       filter_aggregates=True, semi_join_exists=True, packed_facts=True, asof_sequences=True,
                       functions=_fns("STRPOS", "CURRENT_TIMESTAMP", "EPOCH_US", "BIT_OR", "MD5",
                                      "TIMEZONE", "EXTRACT", "DATE_TRUNC", "MAKE_TIMESTAMP")),
        DialectProfile("postgres", _TS, _DATE, "at_time_zone", strings="chr_backslash",
                       exact="collation", collation="C", collation_as_text=True,
                       lower_collation="und-x-icu", fence_joins=True, zoned_literals=True, epoch_clock="extract",
                       functions=_fns("POSITION", "CHR", "REPLACE", "CURRENT_TIMESTAMP", "MD5", "EXTRACT",
                                      "DATE_TRUNC")),
        DialectProfile("sqlite", None, None, "sqlite", exact="collation", collation="BINARY", substr="SUBSTR", round_sums=9, integer_booleans=True,
                       inner_joins=False, fence_joins=True,
                       functions=_fns("INSTR", "SUBSTR", "DATETIME", "IIF", "ROUND") - {"SUBSTRING", "CAST"}),
        DialectProfile("snowflake", _dt(_T.TIMESTAMPNTZ), _DATE, "sysdate",
                       functions=_fns("CHARINDEX", "IFF", "SYSDATE", "MD5", "CONVERT_TIMEZONE", "DATEADD", "DAYOFWEEKISO",
                                      "DATE_TRUNC")),
        DialectProfile("bigquery", _dt(_T.TIMESTAMPTZ), _DATE, "current_timestamp", exact_decimals=True,
                       functions=_fns("INSTR", "IF", "CURRENT_TIMESTAMP", "TIMESTAMP_SUB", "TO_HEX", "MD5", "MOD",
                                      "DATE", "DATE_SUB", "DATE_TRUNC", "TIMESTAMP")),
        DialectProfile("redshift", _TS, _DATE, "sysdate", functions=_fns("POSITION", "SYSDATE", "MD5", "CONVERT_TIMEZONE",
                                                                 "DATEADD", "DATEDIFF", "DATE_TRUNC")),
        DialectProfile("databricks", _dt(_T.TIMESTAMPNTZ), _DATE, "epoch_micros", strings="hex", epoch_clock="spark",
                       zoned_literals=True,
                       functions=_fns("LOCATE", "IF", "DATE_ADD", "UNIX_MICROS", "CURRENT_TIMESTAMP", "MD5",
                                      "TYPEOF", "TIMESTAMPDIFF", "CONVERT_TIMEZONE", "DATE_SUB", "WEEKDAY",
                                      "TRUNC", "ADD_MONTHS")),
        DialectProfile("spark", _dt(_T.TIMESTAMPNTZ), _DATE, "epoch_micros", strings="hex", epoch_clock="spark",
                       zoned_literals=True,
                       functions=_fns("LOCATE", "IF", "DATE_ADD", "UNIX_MICROS", "CURRENT_TIMESTAMP", "MD5",
                                      "TYPEOF", "TIMESTAMPDIFF", "CONVERT_TIMEZONE", "DATE_SUB", "WEEKDAY",
                                      "TRUNC", "ADD_MONTHS")),
        DialectProfile("trino", _dt(_T.TIMESTAMP, exp.Literal.number(6)), _DATE, "cast_at_time_zone",
                       substr="SUBSTR",
                       functions=_fns("STRPOS", "SUBSTR", "IF", "CURRENT_TIMESTAMP", "AT_TIMEZONE", "MD5", "TO_HEX",
                                      "TO_UTF8", "CONCAT", "WITH_TIMEZONE", "DATE_TRUNC", "DATE_ADD") - {"SUBSTRING"}),
        DialectProfile("clickhouse", _dt(_T.DATETIME64, exp.Literal.number(6), exp.Literal.string("UTC")),
                       _dt(_T.DATE32), "now64", matches="clickhouse", lower="lowerUTF8",
                       exact_decimals=True, decimal_precision=38, decimal_in_as_equalities=True,
                       functions=_fns("POSITION", "startsWith", "endsWith", "lowerUTF8", "now64", "toTimeZone",
                                      "toDate32", "toDateTime64", "subtractDays", "subtractWeeks",
                                      "subtractMonths", "toMonday", "toStartOfMonth")),
        DialectProfile("mysql", _dt(_T.DATETIME, exp.Literal.number(6)), _DATE, "utc_timestamp", exact="binary",
                       prelude=MARIADB_UTC_STATEMENT,
                       functions=_fns("LOCATE", "CHAR_LENGTH", "IF", "UTC_TIMESTAMP", "MD5", "CONCAT")),
        DialectProfile("tsql", _dt(_T.DATETIME2, exp.Literal.number(7)), _DATE, "sysutcdatetime", exact="collate",
                       strings="national", functions=_fns("CHARINDEX", "LEN", "IIF", "SYSUTCDATETIME", "DATEADD",
                                                          "DATEDIFF", "DATEFROMPARTS", "YEAR", "MONTH", "HASHBYTES",
                                                          "CONVERT")),
    )
}


def get_profile(dialect: str) -> DialectProfile | None:
    return DIALECTS.get(dialect)
