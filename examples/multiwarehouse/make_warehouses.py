"""Fill the three warehouses of this example with seeded demo data.

    python examples/multiwarehouse/make_warehouses.py [--out DIR] [--profiles N] [--seed N]

- de: a DuckDB file ``DIR/de.duckdb`` (written by ``audiencelang demo generate``);
- us: a SQLite file ``DIR/us.sqlite`` (the demo data of market us, copied);
- fr: the PostgreSQL database in ``$FR_WAREHOUSE_URL`` (the demo data of market fr,
  copied; its tables ``crm.clients``, ``suivi.evenements`` and ``rgpd.consentements``
  are replaced). Skipped, with a note, when the variable is not set.

``DIR`` defaults to ``warehouses/`` next to this script. Each market's tables are the
ones its market file names, with the types `audiencelang run` checks (docs/run.md,
"Column types"). The data is ``audiencelang.demo.generate(..., markets=[m])``: the same
seed gives the same rows in every warehouse (docs/demo.md). Needs ``psycopg`` for fr
(``pip install 'audiencelang[engines]'``).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
from pathlib import Path
from typing import Any

import duckdb

from audiencelang.demo import generate

HERE = Path(__file__).resolve().parent

SQLITE_TYPES = {"BIGINT": "INTEGER", "VARCHAR": "TEXT", "DATE": "TEXT", "BOOLEAN": "INTEGER",
                "TIMESTAMP": "TEXT"}
POSTGRES_TYPES = {"BIGINT": "bigint", "VARCHAR": "text", "DATE": "date", "BOOLEAN": "boolean",
                  "TIMESTAMP": "timestamp"}


def tables(source: Path) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(schema, table, [(column, DuckDB type)]) of every table of a demo file."""
    con = duckdb.connect(str(source), read_only=True)
    try:
        rows = con.execute("SELECT table_schema, table_name, column_name, data_type "
                           "FROM information_schema.columns "
                           "ORDER BY table_schema, table_name, ordinal_position").fetchall()
    finally:
        con.close()
    out: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for schema, table, column, dtype in rows:
        out.setdefault((schema, table), []).append((column, dtype))
    return [(s, t, cols) for (s, t), cols in out.items()]


def read_rows(source: Path, schema: str, table: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(source), read_only=True)
    try:
        return con.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall()
    finally:
        con.close()


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sqlite_value(value: Any, dtype: str) -> Any:
    """SQLite has no date, time, boolean or exact decimal types: dates as ``YYYY-MM-DD``,
    timestamps as ``YYYY-MM-DD HH:MM:SS[.ffffff]`` (UTC), booleans as 0/1, decimals as
    their text (NUMERIC affinity stores the number) -- what `run` expects (docs/run.md)."""
    if value is None:
        return None
    if dtype in ("DATE", "TIMESTAMP"):
        return str(value)
    if dtype == "BOOLEAN":
        return int(value)
    if dtype.startswith("DECIMAL"):
        return str(value)
    return value


def write_sqlite(source: Path, target: Path) -> None:
    """The demo tables of ``source`` as one SQLite file (SQLite has no schemas: `run` reads
    ``analytics.users`` as table ``users`` of the file); replaces ``target``."""
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    con = sqlite3.connect(partial)
    try:
        for schema, table, cols in tables(source):
            ddl = ", ".join(f"{quoted(c)} {SQLITE_TYPES.get(t, 'NUMERIC')}" for c, t in cols)
            con.execute(f"CREATE TABLE {quoted(table)} ({ddl})")
            marks = ", ".join("?" for _ in cols)
            con.executemany(f"INSERT INTO {quoted(table)} VALUES ({marks})",
                            [[sqlite_value(v, t) for v, (_, t) in zip(row, cols, strict=True)]
                             for row in read_rows(source, schema, table)])
        con.commit()
    finally:
        con.close()
    partial.replace(target)


def write_postgres(source: Path, url: str) -> None:
    """The demo tables of ``source`` in the PostgreSQL database at ``url`` (replaced)."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(url) as conn, conn.cursor() as cur:
        for schema, table, cols in tables(source):
            name = sql.Identifier(schema, table)
            cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
            cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(name))
            ddl = sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(POSTGRES_TYPES.get(t, "numeric(18, 2)")))
                for c, t in cols)
            cur.execute(sql.SQL("CREATE TABLE {} ({})").format(name, ddl))
            with cur.copy(sql.SQL("COPY {} FROM STDIN").format(name)) as copy:
                for row in read_rows(source, schema, table):
                    copy.write_row(row)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE / "warehouses",
                        help="folder for de.duckdb and us.sqlite (default: warehouses/ here)")
    parser.add_argument("--profiles", type=int, default=2000, help="profiles per market (default 2000)")
    parser.add_argument("--events-per-profile", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    def demo(market: str, path: Path) -> Path:
        generate(path, HERE, profiles=args.profiles, events_per_profile=args.events_per_profile,
                 seed=args.seed, markets=[market])
        return path

    demo("de", args.out / "de.duckdb")
    print(f"export DE_WAREHOUSE_URL={args.out / 'de.duckdb'}")
    with tempfile.TemporaryDirectory() as tmp:
        write_sqlite(demo("us", Path(tmp) / "us.duckdb"), args.out / "us.sqlite")
        print(f"export US_WAREHOUSE_URL={args.out / 'us.sqlite'}")
        url = os.environ.get("FR_WAREHOUSE_URL")
        if url:
            write_postgres(demo("fr", Path(tmp) / "fr.duckdb"), url)
            print("# fr: written to the database in $FR_WAREHOUSE_URL")
        else:
            print("# fr: FR_WAREHOUSE_URL is not set (a PostgreSQL database you can write to): "
                  "market fr has no data", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
