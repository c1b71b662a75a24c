"""Refusing a file far over the size limits (E121) before Lark builds a tree
(audiencelang.syntax.prescan; docs/performance.md, "Large audiences").

    .venv/bin/python -m bench.prescan

Prints one JSON line per shape: file size, seconds to the E121 diagnostic (best of 3),
and the peak RSS of this process. Before the prescan, the 4.5 MB `or_eq` file took
~109 s and 2.3 GB to reach the same diagnostic.
"""

from __future__ import annotations

import json
import resource
import time

from audiencelang.syntax import parse
from audiencelang.syntax.parser import MAX_CONDITIONS, MAX_LIST_VALUES
from audiencelang.syntax.prescan import first_excess

SHAPES = {
    "or_eq:200000": lambda: " or ".join(f'country = "C{i}"' for i in range(200_000)),
    "or_gt:100000": lambda: " or ".join(f"age > {i}" for i in range(100_000)),
    "or_performed:100000": lambda: " or ".join(f"performed visit{i}" for i in range(100_000)),
    "in_list:400000": lambda: "country in [" + ", ".join(f'"C{i}"' for i in range(400_000)) + "]",
}


def main() -> None:
    for name, make in SHAPES.items():
        text = f"audience big {{\n  include {make()}\n}}\n"
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            res = parse(text, "big.aud")
            best = min(best, time.perf_counter() - t0)
        codes = [d.code for d in res.diagnostics]
        print(json.dumps({"shape": name, "bytes": len(text.encode()), "seconds": round(best, 3),
                          "codes": codes,
                          "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))
    # the scan's cost on files it accepts (Lark then parses them as before): at the limits
    for name, body in (("in_list:100000 (accepted)", "country in [" + ", ".join(f'"C{i}"' for i in range(100_000)) + "]"),
                       ("or_gt:10000 (accepted)", " or ".join(f"age > {i}" for i in range(10_000)))):
        text = f"audience big {{\n  include {body}\n}}\n"
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            assert first_excess(text, MAX_CONDITIONS, MAX_LIST_VALUES) is None
            best = min(best, time.perf_counter() - t0)
        print(json.dumps({"shape": name, "bytes": len(text.encode()), "scan_seconds": round(best, 3)}))


if __name__ == "__main__":
    main()
