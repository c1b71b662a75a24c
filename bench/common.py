"""Shared pieces of the benchmark: paths, the reference time, timing statistics."""

from __future__ import annotations

import datetime as dt
import os
import resource
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
DATA = BENCH / "data"
AUDIENCES = BENCH / "audiences"
EXPERT = BENCH / "expert"
EXAMPLES = REPO / "examples"
# The benchmark project reads the example project's market (../examples/markets/de.yaml):
# a config entry outside a project root needs this explicit opt-in (docs/security.md).
os.environ.setdefault("AUDIENCELANG_EXTRA_ROOTS", str(EXAMPLES / "markets"))
VENV_BIN = REPO / ".venv" / "bin"
DOCS_IMG = REPO / "docs" / "img"

#: The demo data's reference time (audiencelang.demo.DEFAULT_AS_OF); the expert SQL
#: files are written for it.
AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
MARKET = "de"


def naive(t: dt.datetime) -> str:
    """An instant as the naive UTC text of a DuckDB ``TIMESTAMP`` literal."""
    return t.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")


def in_window(column: str, days: int | None) -> str:
    """``column`` inside the last ``days`` days up to AS_OF (``None``: all rows up to AS_OF)."""
    cond = f"{column} <= TIMESTAMP '{naive(AS_OF)}'"
    if days is None:
        return cond
    return f"{column} >= TIMESTAMP '{naive(AS_OF - dt.timedelta(days=days))}' AND {cond}"


def summarize(samples: Sequence[float]) -> dict[str, Any]:
    """Median, quartiles, min/max and the IQR of timing samples (seconds)."""
    xs = sorted(samples)
    n = len(xs)
    if n == 0:
        return {"n": 0}
    if n >= 4:
        q1, _, q3 = statistics.quantiles(xs, n=4, method="inclusive")
    else:
        q1, q3 = xs[0], xs[-1]
    return {
        "n": n,
        "median": statistics.median(xs),
        "q1": q1,
        "q3": q3,
        "iqr": q3 - q1,
        "min": xs[0],
        "max": xs[-1],
        "samples": [round(x, 6) for x in samples],
    }


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def repeat(fn: Callable[[], Any], runs: int, warmup: int = 0) -> dict[str, Any]:
    for _ in range(warmup):
        fn()
    return summarize([timed(fn)[0] for _ in range(runs)])


def interleaved(fns: dict[str, Callable[[], Any]], runs: int, warmup: int = 1) -> dict[str, dict[str, Any]]:
    """Run each function ``runs`` times, interleaved: round i runs them in a rotated order
    (ABC, BCA, CAB, ...), so drift in machine load hits every contender alike. Each
    summary also holds ``cpu_median``, the median CPU seconds of this process per call."""
    names = list(fns)
    for _ in range(warmup):
        for name in names:
            fns[name]()
    samples: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    for i in range(runs):
        k = i % len(names)
        for name in names[k:] + names[:k]:
            c0 = _cpu()
            samples[name].append(timed(fns[name])[0])
            cpu[name].append(_cpu() - c0)
    # the CPU of this process (an in-process engine's threads included): what the work
    # costs, less moved by other jobs on the machine than the wall time
    return {name: {**summarize(s), "cpu_median": statistics.median(cpu[name])} for name, s in samples.items()}


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class NotReady(Exception):
    """A part of audiencelang this benchmark needs has not landed yet (message says which)."""
