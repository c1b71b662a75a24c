"""Running compiled audiences on databases, and the demo data generator.

The public API (imported lazily, so ``audiencelang --version`` stays fast)::

    from audiencelang.run import connect, run_audience, run_all, parse_as_of

See docs/run.md.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

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
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'audiencelang.run' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
