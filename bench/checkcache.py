"""Checking a large project: `audiencelang check` on the generated 10k-file x 3-market
project, cold, warm, after an edit, and `check one.aud` (docs/performance.md,
"Checking a large project"; docs/cache.md).

    .venv/bin/python -m bench.checkcache [FILES]      # one JSON line per measurement

Each measurement starts a fresh `audiencelang` process (wall time of the whole process,
median of several runs after a warm-up), so start-up, imports and the cache's reading are
in every figure. Targets (issue 20): `check one.aud` <= 0.5 s, whole-project re-check with
a warm cache <= 1.0 s, after editing one file <= 1.5 s, cold <= 7.5 s.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import VENV_BIN, summarize
from bench.genproject import generate_project

TARGETS = {"one_file_warm_s": 0.5, "whole_warm_s": 1.0, "after_edit_s": 1.5, "cold_s": 7.5}
ONE = "audiences/crm/aud_00008.aud"


def _exe() -> str:
    exe = VENV_BIN / "audiencelang"
    return str(exe) if exe.exists() else shutil.which("audiencelang") or "audiencelang"


#: The processes run as an installed tool does: with Python's bytecode cache (kept under the
#: bench's temporary folder, not in the source tree). An environment that sets
#: PYTHONDONTWRITEBYTECODE would otherwise recompile every audiencelang module in every run
#: (0.15-0.25 s of each figure, which no user of an installed package pays).
_ENV: dict[str, str] = {}


def _run(args: list[str], cwd: Path, before: Any = None) -> tuple[float, int]:
    if before is not None:
        before()
    t = time.perf_counter()
    p = subprocess.run([_exe(), *args], cwd=cwd, capture_output=True, text=True, check=False, env=_ENV or None)
    if p.returncode not in (0, 1):
        raise RuntimeError(f"audiencelang {' '.join(args)}: exit {p.returncode}: {p.stderr[-400:]}")
    return time.perf_counter() - t, p.returncode


def _measure(args: list[str], cwd: Path, runs: int, before: Any = None, warmup: int = 1) -> dict[str, Any]:
    for _ in range(warmup):
        _run(args, cwd, before)
    times = [_run(args, cwd, before)[0] for _ in range(runs)]
    return summarize(times)


def run(quick: bool, files: int | None = None) -> dict[str, Any]:
    n = files or (2000 if quick else 10_000)
    runs = 3 if quick else 5
    out: dict[str, Any] = {"files": n, "targets": TARGETS}
    with tempfile.TemporaryDirectory(prefix="audiencelang-checkcache-") as tmp:
        _ENV.clear()
        _ENV.update({k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
                    PYTHONPYCACHEPREFIX=str(Path(tmp) / "pycache"))
        root = Path(tmp) / "project"
        generate_project(root, n, seed=n)
        time.sleep(2.1)  # the generated files are older than the cache's racy window
        edited = root / ONE
        original = edited.read_text(encoding="utf-8")
        counter = [0]

        def clear() -> None:
            shutil.rmtree(root / ".audiencelang_cache", ignore_errors=True)

        def edit() -> None:  # a real edit: one more condition, with another number every run
            counter[0] += 1
            edited.write_text(re.sub(r"(include\s+)", rf"\g<1>age >= {counter[0] % 90} and ", original, count=1),
                              encoding="utf-8")

        out["cold_s"] = _measure(["check"], root, max(1, runs - 2), before=clear, warmup=0)
        out["cold_no_cache_s"] = _measure(["check", "--no-cache"], root, max(1, runs - 2), warmup=0)
        _run(["check"], root)
        out["whole_warm_s"] = _measure(["check"], root, runs)
        out["one_file_warm_s"] = _measure(["check", ONE], root, runs)
        out["after_edit_s"] = _measure(["check"], root, runs, before=edit)
        out["one_file_after_edit_s"] = _measure(["check", ONE], root, runs, before=edit)
        out["one_file_no_cache_s"] = _measure(["check", "--no-cache", ONE], root, max(1, runs - 2))
        out["load_average"] = os.getloadavg()
        for k, target in TARGETS.items():
            out[k]["target_s"] = target
            out[k]["meets_target"] = out[k]["median"] <= target
    return out


def render(res: dict[str, Any]) -> list[str]:
    rows = [("check one.aud, warm cache", "one_file_warm_s"), ("whole project, warm cache", "whole_warm_s"),
            ("whole project after editing one file", "after_edit_s"), ("whole project, cold (empty cache)", "cold_s"),
            ("whole project, --no-cache", "cold_no_cache_s"), ("check one.aud after editing it", "one_file_after_edit_s"),
            ("check one.aud, --no-cache", "one_file_no_cache_s")]
    out = [f"\n## Checking a large project ({res['files']:,} files x 3 markets; `audiencelang check`, whole process, "
           "median s [IQR])"]
    for label, key in rows:
        s = res.get(key)
        if not isinstance(s, dict):
            continue
        t = s.get("target_s")
        verdict = "" if t is None else (f"  target {t} s: {'met' if s['meets_target'] else 'MISSED'}")
        out.append(f"{label:<40} {s['median']:.3f} [{s['q1']:.3f}-{s['q3']:.3f}]{verdict}")
    la = res.get("load_average")
    if isinstance(la, dict):  # bench/run.py replaces it with the section's start and end
        la = la.get("end")
    if la:
        out.append(f"load average at the end: {la[0]:.1f}/{la[1]:.1f}/{la[2]:.1f}")
    return out


if __name__ == "__main__":
    print(json.dumps(run(False, int(sys.argv[1]) if len(sys.argv) > 1 else None), default=str))
