"""Pausing Python's cyclic garbage collector around one large pass (only when the process
opted in: ``audiencelang.process.opt_in(gc_pause=True)``, as the CLI does).

Checking a project or compiling a large audience allocates many small objects that stay
alive until the pass ends. With the collector on, each generational collection rescans
all of them, so a pass over twice the input did more than twice the work (a 1,600-reference
audience compiled in 0.24 s instead of 0.07 s). Cycles made during the pass (sqlglot's
parent links) are collected later, after the pass, as usual.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["paused_gc"]


@contextmanager
def paused_gc() -> Iterator[None]:
    """With ``audiencelang.process.options.gc_pause`` on (else a no-op): disable the cyclic collector for the ``with`` block; enable it again after, unless it
    was already disabled when the block began (a caller's own choice stays as it was).

    The switch is process-wide: other threads run without the collector meanwhile, and the
    first block to begin switches it back on when it ends (it is never left off by these
    blocks alone; it can be if another thread's code calls ``gc.disable()`` on its way out)."""
    from audiencelang.process import options

    if not options.gc_pause:  # a library leaves the collector alone (audiencelang.process)
        yield
        return
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
