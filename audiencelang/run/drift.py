"""Schema drift: the market files against the warehouses they describe (issue 17 item 4).

An upstream table that loses a column, or a column whose type changes, makes an
audience silently empty or wrong long before anyone looks. :func:`schema_drift`
introspects each market's warehouse (``audiencelang check --db URL`` or
``check --warehouses``) and reports, at the line of the market file that declares it:

* E654 a mapped table that does not exist (at its ``table:``),
* E655 a mapped column that the table lacks (at its ``column:`` / ``id:`` / ``user:`` ...),
* E616 a column whose physical type does not hold its declared type exactly (the
  same check ``run`` does before it executes a statement, :mod:`audiencelang.run.columns`),
* E735 a profile table declared ``unique_id: true`` that holds an id in more than one row
  (at its ``unique_id:``; one grouped pass over the ids, only when the market declares it).

One metadata query per table (plus, on SQLite, one pass over the table for the
stored values). Nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from audiencelang.arguments import returns_diagnostics
from audiencelang.diagnostics import Diagnostic, Span, error
from audiencelang.run.columns import Column, Declared, check_columns, table_types
from audiencelang.run.engines import Engine, RunError
from audiencelang.run.warehouse import market_engine
from audiencelang.schema.market import KeyPath, Market, split_table

if TYPE_CHECKING:
    from audiencelang.project import Project

__all__ = ["Mapped", "mapped_columns", "schema_drift"]


@dataclass(frozen=True)
class Mapped:
    """A physical column the market file maps: its column (``declared`` ``None``: existence
    only, e.g. an event's ``where`` column) and the key path of its value in the file."""

    column: Column
    table_path: KeyPath
    path: KeyPath
    typed: bool = True


def mapped_columns(market: Market) -> list[Mapped]:
    """Every table column ``market`` maps, in file order."""
    out: list[Mapped] = []

    def add(table: str, tpath: KeyPath, column: str, declared: Declared, role: str, path: KeyPath,
            typed: bool = True) -> None:
        out.append(Mapped(Column(split_table(table), column, declared, role), tpath, path, typed))

    p = market.profiles
    tp: KeyPath = ("profiles", "table")
    add(p.table, tp, p.id, "id", "profile id", ("profiles", "id"))
    for name, f in p.traits.items():
        add(p.table, tp, f.column, f.type, f"trait {name}", ("profiles", "traits", name, "column"))
    for ename, ev in market.events.items():
        te: KeyPath = ("events", ename, "table")
        add(ev.table, te, ev.user, "id", f"user of event {ename}", ("events", ename, "user"))
        add(ev.table, te, ev.time, "timestamp", f"time of event {ename}", ("events", ename, "time"))
        if ev.where is not None:
            add(ev.table, te, ev.where.column, "string", f"filter of event {ename}",
                ("events", ename, "where", "column"), typed=False)
        for pname, f in ev.properties.items():
            add(ev.table, te, f.column, f.type, f"property {ename}.{pname}",
                ("events", ename, "properties", pname, "column"))
    c = market.consent
    if c is not None:
        tc: KeyPath = ("consent", "table")
        add(c.table, tc, c.user, "id", "consent user", ("consent", "user"))
        add(c.table, tc, c.purpose, "string", "consent purpose", ("consent", "purpose"))
        add(c.table, tc, c.status, "string", "consent status", ("consent", "status"))
        add(c.table, tc, c.time, "timestamp", "consent time", ("consent", "time"))
        if c.confirmed is not None:
            add(c.table, tc, c.confirmed, "timestamp", "consent confirmation time", ("consent", "confirmed"))
    return out


def _market_drift(engine: Engine, market: Market) -> list[Diagnostic]:
    m = market.market
    try:
        engine.prepare(market)
    except RunError as exc:
        return list(exc.diagnostics)
    mapped = mapped_columns(market)
    diags: list[Diagnostic] = []
    present: list[Mapped] = []
    missing_tables: set[tuple[str, ...]] = set()
    try:
        for item in mapped:
            table = item.column.table
            if table in missing_tables:
                continue
            types = table_types(engine, table)
            if types is None:
                missing_tables.add(table)
                diags.append(error(
                    "E654", f"market {m}: table {'.'.join(table)} does not exist in {engine.kind} database "
                    f"{engine.target}", market.value_span_of(item.table_path),
                    "create the table, or correct the table the market file names", market=m))
            elif item.column.column not in types:
                near = sorted(types)[:8]
                diags.append(error(
                    "E655", f"market {m}: table {'.'.join(table)} has no column '{item.column.column}' "
                    f"({item.column.role}) in {engine.kind} database {engine.target}",
                    market.value_span_of(item.path),
                    f"its columns: {', '.join(near)}{', ...' if len(types) > len(near) else ''}", market=m))
            elif item.typed:
                present.append(item)
        where: dict[Column, Span] = {}
        for item in present:
            where.setdefault(item.column, market.value_span_of(item.path))
        diags += check_columns(engine, market, [i.column for i in present], where)
        if market.profiles.unique_id and split_table(market.profiles.table) not in missing_tables:
            diags += _unique_ids(engine, market)
    except RunError as exc:
        diags += [d.model_copy(update={"market": m}) for d in exc.diagnostics]
    return diags


def repeated_ids_sql(market: Market, dialect: str) -> str:
    """How many ids of ``market``'s profile table are in more than one row (ids compared
    byte for byte, as the compiled statements compare them)."""
    from sqlglot import exp

    from audiencelang.sql.build import col, table_ref
    from audiencelang.sql.dialects import get_profile

    p = market.profiles
    key: exp.Expr = col(p.id, "src")
    profile = get_profile(dialect)
    if profile is not None and profile.exact == "binary":
        key = exp.Cast(this=key, to=exp.DataType(this=exp.DataType.Type.BINARY))
    repeated = exp.Select(
        expressions=[exp.alias_(key, "k")],
        where=exp.Where(this=exp.Not(this=exp.Is(this=col(p.id, "src"), expression=exp.Null()))),
        group=exp.Group(expressions=[key]),
        having=exp.Having(this=exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1))),
    ).from_(table_ref(split_table(p.table), "src"))
    query = exp.Select(expressions=[exp.Count(this=exp.Star())]).from_(
        exp.Subquery(this=repeated, alias=exp.TableAlias(this=exp.to_identifier("r"))))
    return query.sql(dialect=dialect)


def _unique_ids(engine: Engine, market: Market) -> list[Diagnostic]:
    _, rows = engine.fetch_all(repeated_ids_sql(market, engine.dialect), market=market.market)
    repeated = int(rows[0][0]) if rows and rows[0][0] is not None else 0
    if not repeated:
        return []
    p = market.profiles
    return [error(
        "E735", f"market {market.market}: profiles.unique_id says {p.table} holds one row per "
        f"{p.id}, but {repeated} id{'s are' if repeated != 1 else ' is'} in more than one row in "
        f"{engine.kind} database {engine.target}",
        market.value_span_of(("profiles", "unique_id")),
        "remove `unique_id: true` (every statement then de-duplicates members), or make the ids "
        "unique: with it, a repeated id comes back as two members and counts twice toward a gate",
        market=market.market)]


def _no_drift(d: Diagnostic, _: dict[str, object]) -> list[Diagnostic]:
    return [d]


@returns_diagnostics(_no_drift)
def schema_drift(project: Project, *, db: str | Path | None = None, markets: Sequence[str] | None = None,
                 environ: Mapping[str, str] | None = None) -> list[Diagnostic]:
    """Every difference between the markets' files and their warehouses (E654 missing table,
    E655 missing column, E616 a type that does not hold the declared one), located in the
    market files. ``db``: introspect that database for every market; ``None``: each market's
    own warehouse (``warehouse.url_env``; E652/E653 when it cannot be opened), or
    ``audiencelang.duckdb`` in the project root for a market without one. Never raises."""
    names = sorted(project.markets) if markets is None else list(markets)
    diags: list[Diagnostic] = []
    engines: dict[object, Engine | None] = {}
    try:
        for name in names:
            market = project.markets.get(name)
            if market is None:
                diags.append(error("E910", f"unknown market '{name}'", None, market=name))
                continue
            key = db if db is not None else (market.warehouse.url_env if market.warehouse is not None else None)
            if key not in engines:
                opened = market_engine(market, db=db, project_root=project.root, environ=environ)
                engines[key] = opened.engine
                if opened.engine is None:
                    diags += opened.diagnostics
                    continue
            engine = engines[key]
            if engine is not None:
                diags += _market_drift(engine, market)
    finally:
        for engine in engines.values():
            if engine is not None:
                engine.close()
    return diags
