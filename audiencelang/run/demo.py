"""Moved to :mod:`audiencelang.demo` (the demo data generator is not about running);
this module keeps ``from audiencelang.run.demo import generate`` and
``python -m audiencelang.run.demo`` working."""

from __future__ import annotations

from audiencelang.demo import (
    DEFAULT_AS_OF,
    DEFAULT_DB,
    DEMO_MARK,
    DemoError,
    DemoStats,
    MarketStats,
    demo_cli,
    generate,
    is_demo_file,
    load_market_specs,
)

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

if __name__ == "__main__":  # pragma: no cover
    demo_cli()
