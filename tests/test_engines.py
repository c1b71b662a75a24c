"""Each engine fixture starts and round-trips typed rows through tests/engines.py."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests import engines

COLUMNS = {
    "id": "integer",
    "name": "string",
    "amount": "decimal",
    "flag": "boolean",
    "day": "date",
    "seen_at": "timestamp",
}

ROWS = [
    {"id": 1, "name": "O'Brien \"the\" 50%_off", "amount": Decimal("19.99"), "flag": True,
     "day": dt.date(2024, 1, 31), "seen_at": dt.datetime(2024, 1, 31, 12, 0, tzinfo=dt.UTC)},
    {"id": 2, "name": "C:\\temp\\n \\' x", "amount": Decimal("-0.01"), "flag": False,
     "day": dt.date(1999, 12, 31),
     # 00:30 at +01:00 is the previous day in UTC
     "seen_at": dt.datetime(2024, 3, 1, 0, 30, 15, 123456,
                       tzinfo=dt.timezone(dt.timedelta(hours=1)))},
    {"id": 3, "name": "Zürich ✓ 𝄞 İstanbul", "amount": Decimal("123456789.50"), "flag": None,
     "day": None, "seen_at": None},
    {"id": 4},  # every other column NULL
]


def expected() -> list[tuple[object, ...]]:
    out = []
    for row in ROWS:
        values = []
        for column, kind in COLUMNS.items():
            value = row.get(column)
            if kind == "timestamp" and value is not None:
                value = engines.utc_aware(value)
            values.append(value)
        out.append(tuple(values))
    return out


def test_round_trip_typed_rows(engine: engines.Engine) -> None:
    engine.load("crm.people", COLUMNS, ROWS)
    cols = ", ".join(f'"{c}"' if engine.name not in ("spark", "clickhouse", "mysql")
                     else f"`{c}`" for c in COLUMNS)
    got = engine.query(f"SELECT {cols} FROM crm.people ORDER BY 1")
    assert engines.normalise_rows(got, list(COLUMNS.values())) == expected()


def test_stored_timestamp_is_utc(engine: engines.Engine) -> None:
    """The +01:00 instant is stored as 23:30:15 UTC of the previous day."""
    engine.load("events", {"id": "integer", "seen_at": "timestamp"},
                [{"id": r["id"], "seen_at": r["seen_at"]} for r in ROWS[:2]])
    got = engine.query("SELECT id FROM events WHERE seen_at < '2024-03-01' ORDER BY id"
                       if engine.name != "clickhouse" else
                       "SELECT id FROM events WHERE seen_at < toDateTime64('2024-03-01 00:00:00', 6, "
                       "'UTC') ORDER BY id")
    assert [r[0] for r in got] == [1, 2]


def test_strings_are_bound_not_rendered(engine: engines.Engine) -> None:
    """Quotes, backslashes and LIKE wildcards arrive verbatim (length proves no escaping)."""
    engine.load("t", {"id": "integer", "name": "string"},
                [{"id": r["id"], "name": r["name"]} for r in ROWS[:2]])
    length = "char_length" if engine.name in {"postgres", "duckdb", "mysql"} else "length"
    if engine.name == "clickhouse":
        length = "lengthUTF8"
    got = engine.query(f"SELECT id, {length}(name) FROM t ORDER BY id")
    assert got == [(1, len(ROWS[0]["name"])), (2, len(ROWS[1]["name"]))]


@pytest.mark.postgres
def test_postgres_standard_conforming_strings(postgres_engine: engines.Engine) -> None:
    assert postgres_engine.query("SHOW standard_conforming_strings") == [("on",)]
    # With the setting on, a backslash in a '...' literal is an ordinary character.
    assert postgres_engine.query("SELECT length('a\\b')") == [(3,)]


@pytest.mark.spark
def test_spark_session_is_utc(spark_engine: engines.Engine) -> None:
    assert spark_engine.query("SELECT current_timezone()") == [("UTC",)]


def test_load_rejects_unknown_columns_and_types(duckdb_engine: engines.Engine) -> None:
    with pytest.raises(ValueError, match="unknown logical type"):
        duckdb_engine.load("t", {"a": "float"}, [])
    with pytest.raises(ValueError, match="not in the table"):
        duckdb_engine.load("u", {"a": "integer"}, [{"b": 1}])
