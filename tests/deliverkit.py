"""A small project and data set for the deliver tests (tests/test_deliver*.py): one market
``m`` (people, orders, consent), an audience ``buyers`` activating ``ads`` (min size 3,
identifier email, consent ads) and a suppression audience ``blocked`` (age > 90), loaded
into DuckDB, SQLite or PostgreSQL; the expected lists come from the reference evaluator."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
import textwrap
from pathlib import Path
from typing import Any

from tests import engines as E

CONFIG = """
suppress = ["blocked"]

[state]
schema = "al_state"

[destinations.ads]
min_size = 3
consent = ["ads"]
identifier = "email"
"""

MARKET = """
market: m
profiles:
  table: people
  id: id
  traits:
    age:   {column: age, type: integer}
    email: {column: email, type: string}
events:
  purchase:
    table: orders
    user: user_id
    time: ts
consent:
  table: consent_log
  user: user_id
  purpose: purpose
  status: status
  time: ts
  statuses: {granted: "granted", denied: "denied", revoked: "revoked"}
  purposes:
    ads: {value: "ads", mode: opt_in}
"""

BUYERS = """
audience buyers {
  owner "t@example.com"
  description "Bought in the last 30 days."
  include performed purchase in last 30 days
  require consent ads
  activate ads
}
"""

BLOCKED = """
audience blocked {
  owner "t@example.com"
  description "Held back from every destination."
  include age > 90
}
"""

COLUMNS = {
    "people": {"id": "integer", "age": "integer", "email": "string"},
    "orders": {"user_id": "integer", "ts": "timestamp"},
    "consent_log": {"user_id": "integer", "purpose": "string", "status": "string", "ts": "timestamp"},
}

BASE = dt.datetime(2026, 10, 1)


def make_project(root: Path) -> Path:
    (root / "markets").mkdir(parents=True)
    (root / "audiences").mkdir()
    (root / "audiencelang.toml").write_text(CONFIG)
    (root / "markets" / "m.yaml").write_text(textwrap.dedent(MARKET))
    (root / "audiences" / "buyers.aud").write_text(textwrap.dedent(BUYERS))
    (root / "audiences" / "blocked.aud").write_text(textwrap.dedent(BLOCKED))
    return root


@dataclasses.dataclass
class Data:
    tables: dict[str, list[dict[str, Any]]] = dataclasses.field(
        default_factory=lambda: {name: [] for name in COLUMNS})

    def person(self, pid: int, *, age: int = 30, email: str | None = "") -> None:
        self.tables["people"].append({"id": pid, "age": age, "email": f"p{pid}@x" if email == "" else email})

    def order(self, pid: int, ts: dt.datetime) -> None:
        self.tables["orders"].append({"user_id": pid, "ts": ts})

    def consent(self, pid: int, status: str, ts: dt.datetime) -> None:
        self.tables["consent_log"].append({"user_id": pid, "purpose": "ads", "status": status, "ts": ts})

    def set(self, pid: int, **values: Any) -> None:
        for row in self.tables["people"]:
            if row["id"] == pid:
                row.update(values)


def load(kind: str, target: str | Path, data: Data) -> None:
    """Replace the data tables of ``target`` (the state schema is left as it is)."""
    if kind == "duckdb":
        import duckdb

        con = duckdb.connect(str(target))
        for name in COLUMNS:
            con.execute(f'DROP TABLE IF EXISTS "{name}"')
            E.duckdb_load(con, name, COLUMNS[name], data.tables[name])
        con.close()
    elif kind == "sqlite":
        scon = sqlite3.connect(str(target))
        for name in COLUMNS:
            scon.execute(f'DROP TABLE IF EXISTS "{name}"')
            E.sqlite_load(scon, name, COLUMNS[name], data.tables[name])
        scon.close()
    else:
        import psycopg

        with psycopg.connect(str(target)) as conn:
            for name in COLUMNS:
                conn.execute(f'DROP TABLE IF EXISTS "{name}"')
                E.postgres_load(conn, name, COLUMNS[name], data.tables[name])


def expected_deliverable(project: Any, data: Data, as_of: dt.datetime) -> dict[str, str]:
    """member id (text) -> identifier of every member ``ads`` would be handed, without
    its gate, by the reference evaluator."""
    from audiencelang.check import check_audience
    from audiencelang.eval import members_for_destination

    checked, _ = check_audience(project, "buyers", "m")
    assert checked is not None
    ungated = dataclasses.replace(checked, destinations={
        "ads": checked.destinations["ads"].model_copy(update={"min_size": 0})})
    rows = members_for_destination(ungated, data.tables, "ads", as_of=as_of)
    return {str(pid): str(ident) for pid, ident in rows}
