"""Language server latency on a big project (issue 18 targets).

    python bench/lsp.py [--files 5000] [--repeat 30]

Generates a project with ``bench/genproject.py`` (N files x 3 markets), loads it
into the server's index once (:class:`audiencelang.lsp.index.ProjectIndex`, what
``audiencelang lsp`` holds), then measures, in process, the work the server does:

* **diagnostics after a change**: a keystroke's worth of edit to one file, then
  ``set_text`` (re-parse, update the name index) + ``check`` of the affected files
  + conversion to protocol diagnostics. Measured on ordinary files and on the file
  with the most dependents (every file that refers to it is re-checked too).
  The server adds its debounce (50 ms by default) before this work starts.
* **completion**: names after ``include`` (traits), after ``in audience`` (every
  audience of the project) and keywords at a clause start, in a generated file.

Targets: diagnostics <= 100 ms, completion <= 50 ms (median and p95 reported).
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

TARGET_DIAGNOSTICS_MS = 100.0
TARGET_COMPLETION_MS = 50.0


def _stats(samples: list[float]) -> dict[str, float]:
    s = sorted(samples)
    p95 = s[min(len(s) - 1, round(0.95 * (len(s) - 1)))]
    return {"median_ms": statistics.median(s) * 1000, "p95_ms": p95 * 1000, "max_ms": s[-1] * 1000,
            "n": len(s)}


def run(files: int = 5000, repeat: int = 30, project: Path | None = None) -> dict[str, Any]:
    from audiencelang.lsp import completion
    from audiencelang.lsp.convert import to_lsp
    from audiencelang.lsp.index import ProjectIndex
    from bench.genproject import generate_project

    tmp = None
    if project is None:
        tmp = tempfile.TemporaryDirectory(prefix="lsp-bench-")
        project = Path(tmp.name) / "project"
        generate_project(project, files, seed=0)
    gc.set_threshold(100_000, 50, 100)  # as `audiencelang lsp` does (server.serve)
    t0 = time.perf_counter()
    index = ProjectIndex(project)
    load_s = time.perf_counter() - t0
    gc.collect()
    gc.freeze()  # as the server does after loading a project
    keys = sorted(index.files)
    rng = random.Random(0)

    def edit_and_check(key: str, i: int) -> tuple[float, int]:
        text = index.text_of(key) or ""
        new = text.replace("\n}", f"\n  # edit {i}\n}}", 1)  # a keystroke's worth of change
        start = time.perf_counter()
        affected = index.set_text(key, new)
        found = index.check(affected)
        for k, diags in found.items():
            [to_lsp(d, index.text_of(k)) for d in diags]
        return time.perf_counter() - start, len(affected)

    ordinary = [edit_and_check(rng.choice(keys), i) for i in range(repeat)]
    hub_name = max(index.referenced_from, key=lambda n: len(index.referenced_from[n]))
    hub_key = sorted(index.defined_in[hub_name])[0]
    hub = [edit_and_check(hub_key, i) for i in range(max(5, repeat // 3))]

    sample = index.text_of(keys[0]) or ""
    include_at = sample.index("include") + len("include ")
    probe = sample[:include_at] + "in audience " + sample[include_at:]
    cases = {
        "traits after include": (sample, include_at),
        "audiences after in audience": (probe, include_at + len("in audience ")),
        "audiences after in audience ret": (probe.replace("in audience ", "in audience ret", 1),
                                            include_at + len("in audience ret")),
        "keywords at a clause start": (sample.replace("\n}", "\n  \n}", 1), sample.index("\n}") + 3),
    }
    comp: dict[str, Any] = {}
    for label, (text, offset) in cases.items():
        samples = []
        for _ in range(repeat):
            start = time.perf_counter()
            items = completion.complete(index, text, offset)
            samples.append(time.perf_counter() - start)
        comp[label] = {**_stats(samples), "items": len(items)}
    if tmp is not None:
        tmp.cleanup()
    return {
        "files": len(keys), "audiences": len(index.defined_in), "load_seconds": load_s,
        "diagnostics_after_change": {**_stats([s for s, _ in ordinary]),
                                     "files_rechecked_max": max(n for _, n in ordinary)},
        "diagnostics_after_change_hub": {**_stats([s for s, _ in hub]), "audience": hub_name,
                                         "files_rechecked": max(n for _, n in hub)},
        "completion": comp,
        "targets_ms": {"diagnostics": TARGET_DIAGNOSTICS_MS, "completion": TARGET_COMPLETION_MS},
    }


def render(res: dict[str, Any]) -> str:
    rows = ["| measurement | median | p95 | max | target |", "|---|---|---|---|---|"]

    def row(label: str, s: dict[str, float], target: float) -> None:
        ok = "met" if s["p95_ms"] <= target else "**missed**"
        rows.append(f"| {label} | {s['median_ms']:.1f} ms | {s['p95_ms']:.1f} ms | {s['max_ms']:.1f} ms "
                    f"| ≤ {target:.0f} ms ({ok}) |")

    d = res["diagnostics_after_change"]
    row(f"diagnostics after a change (random file; ≤ {d['files_rechecked_max']} files re-checked)", d,
        TARGET_DIAGNOSTICS_MS)
    h = res["diagnostics_after_change_hub"]
    row(f"diagnostics after a change to `{h['audience']}` ({h['files_rechecked']} dependent files re-checked)",
        h, TARGET_DIAGNOSTICS_MS)
    for label, s in res["completion"].items():
        row(f"completion: {label} ({s['items']} items)", s, TARGET_COMPLETION_MS)
    head = (f"{res['files']:,} files, {res['audiences']:,} audiences, 3 markets; "
            f"initial load {res['load_seconds']:.1f} s (load_avg {os.getloadavg()[0]:.1f})")
    return head + "\n\n" + "\n".join(rows) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--project", type=Path, help="an existing generated project (skips generating one)")
    args = ap.parse_args()
    print(render(run(args.files, args.repeat, args.project)))


if __name__ == "__main__":
    main()
