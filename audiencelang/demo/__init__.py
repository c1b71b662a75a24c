"""Synthetic demo data: one DuckDB file holding every market's physical tables.

``generate(db_path, project)`` reads the market schemas of a project (for the
example project: ``examples/markets/*.yaml``), creates each market's tables with
that market's own schema, table and column names and types, and fills them with
seeded synthetic profiles, events and consent histories. Everything is produced
by DuckDB SQL over ``range()`` with a keyed hash as the random source, so
100,000 profiles and 2,000,000 events take seconds, and the same seed gives the
same data on every machine.

Values from the YAML files (table and column names, ``where`` values, consent
statuses and purpose values) reach DuckDB only as quoted identifiers or bound
parameters, never pasted into SQL text.

Run it with ``audiencelang demo generate`` or ``python -m audiencelang.demo``.
See docs/demo.md for what the data looks like.
"""

from __future__ import annotations

from audiencelang.demo.cli import demo_cli
from audiencelang.demo.data import (
    DEFAULT_AS_OF,
    DEFAULT_DB,
    DEMO_MARK,
    DemoStats,
    MarketStats,
    generate,
    is_demo_file,
)
from audiencelang.demo.specs import DemoError, load_market_specs

__all__ = [
    "DEFAULT_AS_OF",
    "DEFAULT_DB",
    "DEMO_MARK",
    "DemoError",
    "DemoStats",
    "MarketStats",
    "demo_cli",
    "generate",
    "is_demo_file",
    "load_market_specs",
]
