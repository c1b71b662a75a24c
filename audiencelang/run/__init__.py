"""Running compiled audiences on databases, and the demo data generator.

The public API (imported lazily, so ``audiencelang --version`` stays fast)::

    from audiencelang.run import open_engine, run_audience, run_all, parse_as_of

``open_engine`` returns the engine or its diagnostics; ``connect`` is its raising form
(one exception type, :class:`RunError`, carrying the E6xx diagnostic).

See docs/run.md.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the same names, typed, without importing them at run time
    from audiencelang.run.engines import DEFAULT_DB_NAME as DEFAULT_DB_NAME
    from audiencelang.run.engines import Engine as Engine
    from audiencelang.run.engines import RunError as RunError
    from audiencelang.run.engines import connect as connect
    from audiencelang.run.execute import Gate as Gate
    from audiencelang.run.execute import RunResult as RunResult
    from audiencelang.run.execute import format_as_of as format_as_of
    from audiencelang.run.execute import parse_as_of as parse_as_of
    from audiencelang.run.execute import run_all as run_all
    from audiencelang.run.execute import run_audience as run_audience
    from audiencelang.run.output import open_writer as open_writer
    from audiencelang.run.output import output_format as output_format
    from audiencelang.run.warehouse import EngineResult as EngineResult
    from audiencelang.run.warehouse import market_engine as market_engine
    from audiencelang.run.warehouse import open_engine as open_engine

_LAZY = {
    "connect": "audiencelang.run.engines",
    "Engine": "audiencelang.run.engines",
    "RunError": "audiencelang.run.engines",
    "DEFAULT_DB_NAME": "audiencelang.run.engines",
    "run_audience": "audiencelang.run.execute",
    "run_all": "audiencelang.run.execute",
    "RunResult": "audiencelang.run.execute",
    "Gate": "audiencelang.run.execute",
    "parse_as_of": "audiencelang.run.execute",
    "format_as_of": "audiencelang.run.execute",
    "open_writer": "audiencelang.run.output",
    "output_format": "audiencelang.run.output",
    "open_engine": "audiencelang.run.warehouse",
    "market_engine": "audiencelang.run.warehouse",
    "EngineResult": "audiencelang.run.warehouse",
}

__all__ = [
    "DEFAULT_DB_NAME",
    "Engine",
    "EngineResult",
    "Gate",
    "RunError",
    "RunResult",
    "connect",
    "format_as_of",
    "market_engine",
    "open_engine",
    "open_writer",
    "output_format",
    "parse_as_of",
    "run_all",
    "run_audience",
]


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'audiencelang.run' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
