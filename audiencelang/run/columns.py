"""The physical column types a compiled audience reads, checked against the market schema.

The compiled SQL trusts the market schema's logical types (``string``, ``integer``,
``decimal``, ``boolean``, ``date``, ``timestamp``). A column stored differently gives a
silent wrong answer, not an error: an integer trait stored as SQLite ``TEXT`` compares
as text (``age >= 18`` picks ``"9"``), a ``VARCHAR`` profile id joined with ``BIGINT``
event users matches ``'2'``, ``'02'`` and ``'2.0'``, a decimal stored as ``DOUBLE`` sums
ten times 0.1 to less than 1, SQLite ``'true'`` is not the boolean 1. So before ``run``
executes anything, :func:`check_columns` reads the physical type of every column the
statement reads and refuses (E616) what does not fit, naming market, table, column,
declared and found type. Conversions that are exact are accepted (an integer column for
a ``decimal``, ``TIMESTAMPTZ`` for a ``timestamp``: the compiled SQL is exact for both,
see :mod:`audiencelang.sql.instants`). The table of decisions is in docs/run.md
("Column types").

Cost: one metadata query per table (DuckDB ``information_schema.columns``, PostgreSQL
``pg_attribute``), cached per engine, so ``run --all`` asks once per table. SQLite
declares types without enforcing them, so on SQLite the same query reads
``pragma_table_info`` and a second one per table reads the values' storage classes
(``typeof``) and text forms: one pass over the table.

::

    from audiencelang.run.columns import check_columns, columns_read
    diagnostics = check_columns(engine, market, columns_read(compiled.plan))
"""

from __future__ import annotations

import dataclasses
import re
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from sqlglot import exp

from audiencelang.diagnostics import Diagnostic, Span, error
from audiencelang.run.engines import Engine, RunError

if TYPE_CHECKING:
    from audiencelang.schema.market import Market
    from audiencelang.sql.plan import Plan

__all__ = ["Column", "check_columns", "columns_read", "physical_kind", "table_types"]

Declared = Literal["string", "integer", "decimal", "boolean", "date", "timestamp", "id"]
"""A logical type of the market schema, or ``id``: a profile id / event or consent user
(integer or text, the same on every table of the market)."""

Kind = Literal["integer", "exact_decimal", "integral_decimal", "float", "string", "boolean", "date",
               "timestamp", "timestamptz", "coarse_timestamp", "other"]


@dataclass(frozen=True)
class Column:
    """One column the statement reads: its table (as the market names it), name, and type."""

    table: tuple[str, ...]
    column: str
    declared: Declared
    role: str
    """What the market uses it for, for messages: ``trait age``, ``user of event visit``, …"""


# --------------------------------------------------------------------------- what is read


def columns_read(plan: Plan, market: Market) -> list[Column]:
    """Every column ``plan``'s statement reads, per table, with the type it expects."""
    from audiencelang.sql import plan as P

    out: list[Column] = []
    pr = plan.profiles
    out.append(Column(pr.table, pr.id, "id", "profile id"))
    out += [Column(pr.table, t.column, t.type, f"trait {t.name}") for t in pr.traits]
    for s in plan.scans:
        steps = s.steps if isinstance(s, P.SequenceScan) else (s,)
        for step in steps:
            out.append(Column(step.table, step.user, "id", "event user"))
            out.append(Column(step.table, step.time, "timestamp", "event time"))
            out += [Column(step.table, f.column, f.type, "event property or filter")
                    for f in _fields(step, P.FieldRef)]
    c = plan.consent
    if c is not None:
        out.append(Column(c.table, c.user, "id", "consent user"))
        out.append(Column(c.table, c.purpose, "string", "consent purpose"))
        out.append(Column(c.table, c.status, "string", "consent status"))
        out.append(Column(c.table, c.time, "timestamp", "consent time"))
        if c.confirmed is not None:
            out.append(Column(c.table, c.confirmed, "timestamp", "consent confirmation time"))
    seen: set[tuple[tuple[str, ...], str, str]] = set()
    unique = []
    for col in out:
        key = (col.table, col.column, col.declared)
        if key not in seen:
            seen.add(key)
            unique.append(col)
    return unique


def _fields(node: object, cls: type[Any]) -> list[Any]:
    """Every ``cls`` instance inside a tree of frozen dataclasses and tuples."""
    found: list[Any] = []
    stack = [node]
    while stack:
        x = stack.pop()
        if isinstance(x, cls):
            found.append(x)
        elif dataclasses.is_dataclass(x) and not isinstance(x, type):
            stack.extend(getattr(x, f.name) for f in dataclasses.fields(x))
        elif isinstance(x, tuple | list):
            stack.extend(x)
    return found


# --------------------------------------------------------------------------- physical kinds

_INTS = {"TINYINT", "SMALLINT", "INTEGER", "INT", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
         "UBIGINT", "UHUGEINT", "INT2", "INT4", "INT8"}


def physical_kind(engine: str, type_name: str) -> Kind:
    """What a physical type is, for the checks: ``duckdb`` (``information_schema``
    ``data_type``), ``postgres`` (``format_type``) or ``sqlite`` (its declared type, read by
    SQLite's affinity rules: the declaration does not bind the values, see
    :func:`_sqlite_value_checks`)."""
    t = type_name.strip().upper()
    if engine == "sqlite":
        if "INT" in t:
            return "integer"
        if any(k in t for k in ("CHAR", "CLOB", "TEXT")):
            return "string"
        if not t or "BLOB" in t:
            return "other"
        if any(k in t for k in ("REAL", "FLOA", "DOUB")):
            return "float"
        return "exact_decimal"  # NUMERIC affinity: integers, and binary floats for fractions
    if engine == "clickhouse":
        return _clickhouse_kind(t)
    if engine == "mysql":
        if re.fullmatch(r"TINYINT\(1\)( UNSIGNED)?", t):
            return "boolean"  # MySQL's BOOLEAN
        t = re.sub(r"\s+(UNSIGNED|ZEROFILL)\b", "", t)
        if re.sub(r"\(.*\)", "", t).strip() in ("TINYTEXT", "MEDIUMTEXT", "LONGTEXT", "CHAR"):
            return "string"
        if t == "DATETIME" or t == "TIMESTAMP":
            return "coarse_timestamp"  # no fractional digits: MySQL's default precision is 0
    if engine == "spark":
        if t == "TIMESTAMP":
            return "timestamptz"  # Spark's TIMESTAMP is an instant (session-local when shown)
        if t == "TIMESTAMP_NTZ":
            return "timestamp"
        if t == "INT":
            return "integer"
    base = re.sub(r"\(.*\)", "", t).strip()
    if base in _INTS:
        return "integer"
    if base in ("DECIMAL", "NUMERIC"):
        m = re.search(r"\(\s*\d+\s*,\s*(\d+)\s*\)", t)
        return "integral_decimal" if m and int(m.group(1)) == 0 else "exact_decimal"
    if base in ("DOUBLE", "FLOAT", "REAL", "DOUBLE PRECISION", "FLOAT4", "FLOAT8"):
        return "float"
    if base in ("VARCHAR", "TEXT", "STRING", "CHARACTER VARYING"):
        return "string"
    if base in ("BOOLEAN", "BOOL"):
        return "boolean"
    if base == "DATE":
        return "date"
    if base in ("TIMESTAMP", "TIMESTAMP WITHOUT TIME ZONE", "TIMESTAMP_US", "TIMESTAMP_NS", "DATETIME"):
        return "coarse_timestamp" if _coarse(t) else "timestamp"
    if base in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"):
        return "coarse_timestamp" if _coarse(t) else "timestamptz"
    if base in ("TIMESTAMP_S", "TIMESTAMP_MS"):
        return "coarse_timestamp"
    return "other"


def _clickhouse_kind(t: str) -> Kind:
    """ClickHouse ``system.columns`` types: ``Nullable(…)`` and ``LowCardinality(…)`` unwrapped."""
    m = re.fullmatch(r"(?:NULLABLE|LOWCARDINALITY)\((.*)\)", t)
    while m:
        t = m.group(1).strip()
        m = re.fullmatch(r"(?:NULLABLE|LOWCARDINALITY)\((.*)\)", t)
    if re.fullmatch(r"U?INT(8|16|32|64|128|256)", t):
        return "integer"
    if t.startswith("DECIMAL"):
        m2 = re.search(r",\s*(\d+)\s*\)", t)
        return "integral_decimal" if m2 and int(m2.group(1)) == 0 else "exact_decimal"
    if t in ("FLOAT32", "FLOAT64", "BFLOAT16"):
        return "float"
    if t == "STRING" or t.startswith("FIXEDSTRING"):
        return "string"
    if t == "BOOL":
        return "boolean"
    if t in ("DATE", "DATE32"):
        return "date"
    if t.startswith("DATETIME64"):
        m2 = re.match(r"DATETIME64\((\d+)", t)
        return "timestamptz" if m2 and int(m2.group(1)) >= 6 else "coarse_timestamp"
    if t.startswith("DATETIME"):
        return "coarse_timestamp"
    return "other"


def _coarse(t: str) -> bool:
    """``timestamp(3)``: fewer than 6 fractional digits (a microsecond bound would be rounded)."""
    m = re.search(r"\((\d+)\)", t)
    return m is not None and int(m.group(1)) < 6


#: declared type -> the physical kinds that hold it exactly
ACCEPTED: dict[str, frozenset[str]] = {
    "string": frozenset({"string"}),
    "integer": frozenset({"integer", "integral_decimal"}),
    "decimal": frozenset({"exact_decimal", "integral_decimal", "integer"}),
    "boolean": frozenset({"boolean"}),
    "date": frozenset({"date"}),
    "timestamp": frozenset({"timestamp", "timestamptz"}),
    "id": frozenset({"integer", "integral_decimal", "string"}),
}
#: SQLite: declared affinities accepted (the values are checked too)
SQLITE_ACCEPTED: dict[str, frozenset[str]] = {
    "string": frozenset({"string"}),
    "integer": frozenset({"integer", "exact_decimal"}),
    "decimal": frozenset({"integer", "exact_decimal", "float"}),
    "boolean": frozenset({"integer", "exact_decimal"}),
    "date": frozenset({"string"}),
    "timestamp": frozenset({"string"}),
    "id": frozenset({"integer", "string"}),
}


def _id_family(kind: str) -> str:
    return "text" if kind == "string" else "integer"


# --------------------------------------------------------------------------- reading types

_CACHE: weakref.WeakKeyDictionary[Engine, dict[tuple[str, ...], dict[str, str] | None]] = weakref.WeakKeyDictionary()


def _types_of(engine: Engine, table: tuple[str, ...]) -> dict[str, str] | None:
    """``{column: physical type}`` of ``table`` (``None``: not found; running reports it)."""
    cache = _CACHE.setdefault(engine, {})
    if table not in cache:
        cache[table] = _read_types(engine, table)
    return cache[table]


def table_types(engine: Engine, table: tuple[str, ...]) -> dict[str, str] | None:
    """``{column: physical type}`` of ``table`` on ``engine`` (cached per engine), ``None``
    when the table does not exist. Raises :class:`RunError` when the metadata cannot be read."""
    return _types_of(engine, table)


def _read_types(engine: Engine, table: tuple[str, ...]) -> dict[str, str] | None:
    name = table[-1]
    schema = table[0] if len(table) == 2 else None
    con = engine.connection
    try:
        if engine.dialect == "duckdb":
            rows = con.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
                [schema or "main", name]).fetchall()
        elif engine.dialect == "sqlite":
            rows = con.execute("SELECT name, type FROM pragma_table_info(?, ?)", (name, schema or "main")).fetchall()
        elif engine.dialect == "postgres":
            qualified = ".".join('"' + p.replace('"', '""') + '"' for p in table)  # an identifier
            with con.cursor() as cur:
                cur.execute("SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
                            "WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped "
                            "ORDER BY a.attnum", (qualified,))
                rows = cur.fetchall()
            con.rollback()
        elif engine.dialect == "mysql":
            _, rows = engine.fetch_all(
                "SELECT column_name, column_type FROM information_schema.columns "
                "WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ? ORDER BY ordinal_position",
                params=(schema, name))
        elif engine.dialect == "clickhouse":
            where = exp.and_(
                exp.EQ(this=exp.column("database"),
                       expression=exp.Literal.string(schema) if schema else exp.Anonymous(this="currentDatabase")),
                exp.EQ(this=exp.column("table"), expression=exp.Literal.string(name)))
            query = exp.select("name", "type").from_(exp.Table(
                this=exp.to_identifier("columns"), db=exp.to_identifier("system"))).where(where).order_by("position")
            _, rows = engine.fetch_all(query.sql("clickhouse"))
        elif engine.dialect == "spark":
            quoted = ".".join("`" + p.replace("`", "``") + "`" for p in table)
            if not con.catalog.tableExists(quoted):
                return None
            rows = [(f.name, f.dataType.simpleString()) for f in con.table(quoted).schema.fields]
        else:
            return None
    except RunError:
        raise
    except Exception as exc:
        engine._after_error()
        raise engine.translate(exc) from None
    return {str(r[0]): str(r[1]) for r in rows} if rows else None


# --------------------------------------------------------------------------- the check


def check_columns(engine: Engine, market: Market, columns: Iterable[Column],
                  where: Mapping[Column, Span] | None = None) -> list[Diagnostic]:
    """E616 for every column of ``columns`` whose physical type on ``engine`` does not hold
    its declared type exactly (and for profile ids and event/consent users that are not all
    integers or all text). A table or column that does not exist is left to the statement
    (E605/E606 name it). Raises :class:`RunError` only when the metadata cannot be read.
    ``where``: the place in the market file each column is declared (the diagnostic's span)."""
    spans = where or {}
    by_table: dict[tuple[str, ...], list[Column]] = {}
    for col in columns:
        by_table.setdefault(col.table, []).append(col)
    diags: list[Diagnostic] = []
    ids: list[tuple[Column, str, str]] = []  # (column, found type, family)
    for table, cols in by_table.items():
        types = _types_of(engine, table)
        if types is None:
            continue
        present = [c for c in cols if c.column in types]
        for col in present:
            found = types[col.column]
            kind = physical_kind(engine.dialect, found)
            accepted = (SQLITE_ACCEPTED if engine.dialect == "sqlite" else ACCEPTED)[col.declared]
            if kind not in accepted:
                diags.append(_refuse(engine, market, col, found, _why(col.declared, kind), spans.get(col)))
            elif col.declared == "id":
                ids.append((col, found, _id_family(kind)))
        if engine.dialect == "sqlite":
            diags += _sqlite_value_checks(engine, market, table,
                                          [c for c in present if physical_kind("sqlite", types[c.column])
                                           in SQLITE_ACCEPTED[c.declared]], spans)
    families = {fam for _, _, fam in ids}
    if len(families) > 1:
        profile = next(((c, f) for c, f, _ in ids if c.role == "profile id"), (ids[0][0], ids[0][1]))
        for col, found, fam in ids:
            if fam != _id_family(physical_kind(engine.dialect, profile[1])):
                diags.append(_refuse(engine, market, col, found,
                                     f"the profile id {_name(profile[0])} is {profile[1]}: ids compared across "
                                     "integer and text types are cast, so '2', '02' and '2.0' all match 2",
                                     spans.get(col)))
    return diags


def _why(declared: str, kind: str) -> str:
    if declared == "decimal" and kind == "float":
        return "a binary floating-point type is not exact (ten times 0.1 sums to less than 1)"
    if kind == "coarse_timestamp":
        return "fewer than 6 fractional digits: a microsecond bound would be rounded"
    if declared in ("integer", "decimal") and kind == "string":
        return "numbers stored as text compare as text ('9' > '18')"
    return f"it does not hold a {declared} exactly"


def _name(col: Column) -> str:
    return ".".join(col.table) + "." + col.column


def _refuse(engine: Engine, market: Market, col: Column, found: str, why: str, span: Span | None = None) -> Diagnostic:
    declared = "integer or text id" if col.declared == "id" else col.declared
    return error(
        "E616",
        f"market {market.market}: column {_name(col)} ({col.role}) is declared {declared} but is "
        f"{found} in {engine.kind} database {engine.target}: {why}",
        span,
        "change the column's type in the database (or the type in the market schema); "
        "docs/run.md, \"Column types\", lists what each declared type accepts",
        market=market.market,
    )


# --------------------------------------------------------------------------- SQLite values

_D = "[0-9]"
_DATE_GLOB = f"{_D * 4}-{_D * 2}-{_D * 2}"
_TS_GLOB = f"{_DATE_GLOB} {_D * 2}:{_D * 2}:{_D * 2}*"

#: declared type -> (what SQLite stores for it, predicate over the column that holds for a good value)
_SQLITE_VALUES: Mapping[str, str] = {
    "string": "text", "integer": "integer", "decimal": "integer or real", "boolean": "integer 0 or 1",
    "date": "text YYYY-MM-DD",
    "timestamp": "text YYYY-MM-DD HH:MM:SS, with .ffffff only when the microseconds are not 0 (no T, "
                 "no Z, no offset: text compares character by character)",
    "id": "integer or text",
}


def _sqlite_ok(declared: str, c: exp.Expr, affinity: str) -> exp.Expr:
    def typeof_in(*names: str) -> exp.Expr:
        return exp.In(this=exp.Anonymous(this="typeof", expressions=[c.copy()]),
                      expressions=[exp.Literal.string(n) for n in names])

    def s(text: str) -> exp.Literal:
        return exp.Literal.string(text)

    def glob(e: exp.Expr, pattern: str) -> exp.Expr:
        return exp.Glob(this=e, expression=s(pattern))

    tail = exp.Anonymous(this="SUBSTR", expressions=[c.copy(), exp.Literal.number(20)])
    if declared == "string":
        return typeof_in("text")
    if declared == "integer":
        return typeof_in("integer")
    if declared == "decimal":
        return typeof_in("integer", "real")
    if declared == "boolean":
        return exp.and_(typeof_in("integer"), exp.In(this=c.copy(), expressions=[exp.Literal.number(0),
                                                                              exp.Literal.number(1)]))
    if declared == "date":
        return exp.and_(typeof_in("text"), glob(c.copy(), _DATE_GLOB),
                        exp.EQ(this=exp.Length(this=c.copy()), expression=exp.Literal.number(10)))
    if declared == "timestamp":
        # the one form the SQL's text literals compare right with (docs/sql.md, "Time columns"):
        # YYYY-MM-DD HH:MM:SS, then .ffffff only when the microseconds are not 0
        length = exp.Length(this=c.copy())
        return exp.and_(
            typeof_in("text"), glob(c.copy(), _TS_GLOB),
            exp.or_(exp.EQ(this=length, expression=exp.Literal.number(19)),
                    exp.and_(exp.EQ(this=length.copy(), expression=exp.Literal.number(26)),
                             glob(tail.copy(), ".[0-9][0-9][0-9][0-9][0-9][0-9]"),
                             exp.NEQ(this=tail.copy(), expression=s(".000000")))),
        )
    return typeof_in("text" if affinity == "string" else "integer")  # id


_VALUES: weakref.WeakKeyDictionary[Engine, dict[tuple[tuple[str, ...], str, str], str | None]] = (
    weakref.WeakKeyDictionary())


def _sqlite_value_checks(engine: Engine, market: Market, table: tuple[str, ...],
                         cols: list[Column], spans: Mapping[Column, Span]) -> list[Diagnostic]:
    """One pass over ``table`` for the columns not checked yet on this connection: per column,
    the storage class of one value that does not hold its declared type (NULL when every
    value does)."""
    known = _VALUES.setdefault(engine, {})
    todo = [c for c in cols if (table, c.column, c.declared) not in known]
    if todo:
        for col, found in zip(todo, _sqlite_scan(engine, market, table, todo), strict=True):
            known[(table, col.column, col.declared)] = found
    types = _types_of(engine, table) or {}
    out = []
    for col in cols:
        found = known.get((table, col.column, col.declared))
        if found is not None:
            out.append(_refuse(engine, market, col, f"{types.get(col.column) or 'untyped'} holding {found} values",
                               f"SQLite keeps what was inserted; a {col.declared if col.declared != 'id' else 'id'} "
                               f"must be stored as {_SQLITE_VALUES[col.declared]}", spans.get(col)))
    return out


def _sqlite_scan(engine: Engine, market: Market, table: tuple[str, ...], cols: list[Column]) -> list[str | None]:
    types = _types_of(engine, table) or {}
    items = []
    for i, col in enumerate(cols):
        c = exp.Column(this=exp.to_identifier(col.column, quoted=True))
        affinity = physical_kind("sqlite", types.get(col.column, ""))
        bad = exp.and_(exp.Not(this=exp.Is(this=c.copy(), expression=exp.Null())),
                       exp.Not(this=exp.Paren(this=_sqlite_ok(col.declared, c, affinity))))
        found = exp.Case(ifs=[exp.If(this=bad, true=exp.Anonymous(this="typeof", expressions=[c.copy()]))])
        items.append(exp.alias_(exp.Min(this=found), f"c{i}"))
    source = exp.Table(this=exp.to_identifier(table[-1], quoted=True),
                       db=exp.to_identifier(table[0], quoted=True) if len(table) == 2 else None)
    sql = exp.Select(expressions=items).from_(source).sql("sqlite")
    try:
        _, rows = engine.fetch_all(sql, market=market.market)
    except RunError:
        return [None] * len(cols)  # the statement itself reports what is wrong with the table
    values = list(rows[0]) if rows else [None] * len(cols)
    return [None if v is None else str(v) for v in values]
