"""A database's "no such column" error, said in the market's words.

The compiled SQL reads every market table under the alias ``src``; an engine that
misses a column says ``Table "src" does not have a column named "angemeldet_am"``.
:func:`explain_missing_column` turns that into the market table and the trait (event
property, id, consent column) whose ``column:`` names it, pointing at the market file.
"""

from __future__ import annotations

import re

from audiencelang.diagnostics import Diagnostic, Span
from audiencelang.schema.market import KeyPath, Market

__all__ = ["column_uses", "explain_missing_column"]

# (engine wording) -> the column name; qualified names ("src"."x", `src`.`x`, src.x) lose the alias
_PATTERNS = [
    re.compile(r'does not have a column named "([^"]+)"'),                      # DuckDB
    re.compile(r"no such column: (?:[\w\"`]+\.)?[\"`]?([^\"`\s]+)[\"`]?"),     # SQLite
    re.compile(r'column (?:"?\w+"?\.)?"?([^"\s]+)"? does not exist'),           # PostgreSQL
    re.compile(r"Unknown column '(?:\w+\.)?([^']+)'"),                          # MySQL/MariaDB
    re.compile(r"name `(?:\w+`\.`)?([^`]+)` cannot be resolved"),              # Spark
    re.compile(r"(?:Unknown expression identifier|Missing columns:) [`']?(?:\w+\.)?([^`'\s]+)"),  # ClickHouse
]


def column_uses(market: Market) -> dict[str, list[tuple[str, str, KeyPath]]]:
    """Physical column name -> (table, what uses it, key path in the market file)."""
    uses: dict[str, list[tuple[str, str, KeyPath]]] = {}

    def add(column: str, table: str, what: str, path: KeyPath) -> None:
        uses.setdefault(column, []).append((table, what, path))

    p = market.profiles
    add(p.id, p.table, "the profile id", ("profiles", "id"))
    for name, f in p.traits.items():
        add(f.column, p.table, f"trait {name}", ("profiles", "traits", name, "column"))
    for ename, ev in market.events.items():
        add(ev.user, ev.table, f"event {ename}: user", ("events", ename, "user"))
        add(ev.time, ev.table, f"event {ename}: time", ("events", ename, "time"))
        if ev.where is not None:
            add(ev.where.column, ev.table, f"event {ename}: where", ("events", ename, "where", "column"))
        for pname, f in ev.properties.items():
            add(f.column, ev.table, f"property {ename}.{pname}", ("events", ename, "properties", pname, "column"))
    c = market.consent
    if c is not None:
        for key in ("user", "purpose", "status", "time", "confirmed"):
            col = getattr(c, key)
            if col is not None:
                add(col, c.table, f"consent {key}", ("consent", key))
    return uses


def explain_missing_column(d: Diagnostic, market: Market) -> Diagnostic:
    """``d`` (an E605 from the database) restated with the market table and what names the
    column, when the database says a column is missing; else ``d`` unchanged."""
    if d.code != "E605":
        return d
    column = next((m.group(1) for rx in _PATTERNS if (m := rx.search(d.message))), None)
    uses = column_uses(market).get(column or "")
    if not uses:
        return d
    tables = sorted({t for t, _w, _p in uses})
    whats = ", ".join(w for _t, w, _p in uses)
    where = " or ".join(tables)
    prefix, _, said = d.message.partition(" database reported an error: ")
    lead = prefix.rsplit("the ", 1)[0] if said else ""  # "AUDIENCE (market M): "
    message = (f"{lead or f'market {market.market}: '}table {where} has no column '{column}' ({whats}); "
               f"the database said: {said or d.message}")
    span: Span | None = market.value_span_of(uses[0][2]) if market.source else None
    hint = f"create the column in {where}, or correct the column the market file gives for {uses[0][1]}"
    return d.model_copy(update={"message": message, "span": span or d.span, "hints": (hint,)})
