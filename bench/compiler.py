"""Compiler throughput: parse, check and compile passes, the CLI cold start, and
input shapes that must not be super-linear.

All in-process measurements run on one thread in this process (so "per second" is
per core). CLI measurements start a fresh ``audiencelang`` subprocess each time
(cold: interpreter start, imports, grammar build).
"""

from __future__ import annotations

import contextlib
import math
import random
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import api
from bench.common import AS_OF, EXAMPLES, VENV_BIN, NotReady, repeat, summarize, timed
from bench.genproject import CONFIG, generate_project, shape_text

TARGETS = {
    "parse_files_per_s": 1500.0,
    "check_10k_wall_s": 10.0,
    "compile_statements_per_s": 300.0,
    "single_file_check_wall_s": 0.5,
    "version_wall_s": 0.150,
}


def _status(fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run one measurement; a missing part of the compiler becomes "not measured yet"."""
    try:
        return {"status": "measured", **fn()}
    except NotReady as exc:
        return {"status": "not measured yet", "reason": str(exc)}


def _cli(args: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    exe = VENV_BIN / "audiencelang"
    return timed(lambda: subprocess.run([str(exe), *args], cwd=cwd, capture_output=True,
                                        text=True, check=False))


def _cli_repeat(args: list[str], cwd: Path, runs: int) -> dict[str, Any]:
    times: list[float] = []
    last: subprocess.CompletedProcess[str] | None = None
    for _ in range(runs):
        t, last = _cli(args, cwd)
        if last.returncode == 2 and "No such command" in last.stderr:
            raise NotReady(f"`audiencelang {args[0]}` does not exist yet")
        times.append(t)
    assert last is not None
    if last.returncode not in (0, 1):
        raise RuntimeError(f"audiencelang {' '.join(args)} exited {last.returncode}: {last.stderr[-500:]}")
    return {**summarize(times), "exit_code": last.returncode,
            "output_lines": last.stdout.count("\n") + last.stderr.count("\n")}


def _texts(root: Path) -> list[tuple[str, str]]:
    return [(str(p.relative_to(root)), p.read_text(encoding="utf-8"))
            for p in sorted((root / "audiences").rglob("*.aud"))]


def _parse_all(texts: list[tuple[str, str]]) -> int:
    bad = 0
    for path, text in texts:
        if not api.parse(text, path).ok:
            bad += 1
    return bad


def _pairs(project: Any, limit: int, seed: int) -> list[tuple[str, str]]:
    names = sorted(project.audiences())
    markets = sorted(project.markets)
    pairs = [(n, m) for n in names for m in markets]
    if len(pairs) > limit:
        pairs = random.Random(seed).sample(pairs, limit)
    return pairs


def measure_project(root: Path, *, runs: int, compile_sample: int, dialects: list[str],
                    cli_runs: int) -> dict[str, Any]:
    """Every pass over one project folder."""
    out: dict[str, Any] = {}
    texts = _texts(root)
    nbytes = sum(len(t.encode()) for _, t in texts)
    out["files"] = len(texts)
    out["bytes"] = nbytes

    def parse_pass() -> dict[str, Any]:
        bad = _parse_all(texts[:50])  # warm-up (grammar build) outside the timing
        s = repeat(lambda: _parse_all(texts), runs)
        return {**s, "files_per_s": len(texts) / s["median"], "parse_failures": bad,
                "target_files_per_s": TARGETS["parse_files_per_s"],
                "meets_target": len(texts) / s["median"] >= TARGETS["parse_files_per_s"]}

    out["parse"] = _status(parse_pass)

    def check_pass() -> dict[str, Any]:
        load_times, check_times = [], []
        report: Any = None
        for _ in range(runs):
            t_load, project = timed(lambda: api.load_project(root))
            t_files, _ = timed(lambda p=project: (p.markets, p.files))
            t_check, report = timed(lambda p=project: api.check_project(p))
            load_times.append(t_load + t_files)
            check_times.append(t_check)
        total = [a + b for a, b in zip(load_times, check_times, strict=True)]
        summary = report.summary() if hasattr(report, "summary") else {}
        n_aud = summary.get("audiences", 0)
        n_mkt = summary.get("markets", 0)
        return {
            "load_and_parse": summarize(load_times),
            "check": summarize(check_times),
            "total": summarize(total),
            "audience_market_pairs_per_s": n_aud * n_mkt / summarize(check_times)["median"],
            "summary": summary,
        }

    out["check"] = _status(check_pass)

    def compile_pass() -> dict[str, Any]:
        api.compiler()  # NotReady before anything is timed
        project = api.load_project(root)
        pairs = _pairs(project, compile_sample, seed=len(texts))
        checked: list[Any] = []
        failed = 0
        t_check, _ = timed(lambda: [checked.append(c) for c in _checked_list(project, pairs)])
        failed = len(pairs) - len(checked)
        per: dict[str, Any] = {"statements": len(checked), "not_checked": failed,
                               "check_audience_per_s": len(pairs) / t_check if t_check else None}
        for dialect in dialects:
            errors: list[str] = []

            def one_pass(dialect: str = dialect, errors: list[str] = errors) -> None:
                for c in checked:
                    try:
                        api.compile_sql(c, dialect, AS_OF)
                    except Exception as exc:
                        if len(errors) < 3:
                            errors.append(f"{c.name}: {type(exc).__name__}: {exc}")

            warm = checked[:20]
            for c in warm:  # warm-up (dialect set-up) outside the timing
                with contextlib.suppress(Exception):
                    api.compile_sql(c, dialect, AS_OF)
            s = repeat(one_pass, max(1, runs))
            per[dialect] = {**s, "statements_per_s": len(checked) / s["median"],
                            "meets_target": len(checked) / s["median"] >= TARGETS["compile_statements_per_s"],
                            "errors": errors}
        return per

    out["compile"] = _status(compile_pass)

    def cli_check() -> dict[str, Any]:
        s = _cli_repeat(["check"], root, cli_runs)
        return {**s, "files_per_s": len(texts) / s["median"]}

    out["cli_check"] = _status(cli_check)
    return out


def _checked_list(project: Any, pairs: list[tuple[str, str]]) -> list[Any]:
    out = []
    for name, market in pairs:
        with contextlib.suppress(ValueError):
            out.append(api.check_audience(project, name, market))
    return out


# --------------------------------------------------------------------------- shapes


def _shape_project(folder: Path, text: str) -> Path:
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "audiences").mkdir(parents=True)
    (folder / "markets").mkdir()
    shutil.copyfile(EXAMPLES / "markets" / "de.yaml", folder / "markets" / "de.yaml")
    (folder / "audiencelang.toml").write_text(CONFIG.split("[lint]")[0], encoding="utf-8")
    (folder / "audiences" / "shape.aud").write_text(text, encoding="utf-8")
    return folder


def _top_audience(shape: str, n: int) -> str:
    return {"or_chain": "or_chain", "nesting": "nesting", "references": "many_refs",
            "ref_chain": f"chain_{n - 1}"}[shape]


def max_nesting() -> int:
    """The largest nesting level of the ``nesting`` shape that still parses (depth limit)."""
    lo, hi = 1, 2
    while api.parse(shape_text("nesting", hi)).ok and hi < 10_000:
        lo, hi = hi, hi * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if api.parse(shape_text("nesting", mid)).ok:
            lo = mid
        else:
            hi = mid
    return lo


def measure_shape(shape: str, sizes: list[int], tmp: Path, runs: int) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    for n in sizes:
        text = shape_text(shape, n)
        row: dict[str, Any] = {"n": n, "bytes": len(text.encode())}
        parsed = api.parse(text)
        row["parse_ok"] = bool(parsed.ok)
        row["parse"] = repeat(lambda text=text: api.parse(text), runs)["median"]
        folder = _shape_project(tmp / f"{shape}_{n}", text)
        top = _top_audience(shape, n)
        try:
            samples_check, samples_compile = [], []
            for _ in range(runs):
                project = api.load_project(folder)
                _ = project.files
                t, report = timed(lambda project=project: api.check_project(project))
                samples_check.append(t)
                t_ca, checked = timed(lambda project=project, top=top: api.check_audience(project, top, "de"))
                samples_check[-1] += t_ca
                try:
                    t_c, _sql = timed(lambda checked=checked: api.compile_sql(checked, "duckdb", AS_OF))
                    samples_compile.append(t_c)
                except NotReady as exc:
                    row["compile"] = None
                    row["compile_status"] = f"not measured yet: {exc}"
            row["check"] = summarize(samples_check)["median"]
            row["check_errors"] = report.errors if hasattr(report, "errors") else None
            if samples_compile:
                row["compile"] = summarize(samples_compile)["median"]
        except NotReady as exc:
            row["check"] = None
            row["check_status"] = f"not measured yet: {exc}"
        except (ValueError, RecursionError) as exc:
            row["error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
        rows.append(row)
    return {"sizes": sizes, "rows": rows, "exponents": _exponents(rows)}


def _exponents(rows: list[dict[str, Any]]) -> dict[str, float | None]:
    """Growth exponent k of time ~ n^k between the two largest sizes (1 = linear).

    The two largest sizes are used because fixed costs dominate small inputs."""
    out: dict[str, float | None] = {}
    for key in ("parse", "check", "compile"):
        pts = [(r["n"], r.get(key)) for r in rows if isinstance(r.get(key), float) and r[key] > 0]
        if len(pts) < 2:
            out[key] = None
            continue
        (n1, t1), (n2, t2) = pts[-2], pts[-1]
        out[key] = math.log(t2 / t1) / math.log(n2 / n1)
    return out


# --------------------------------------------------------------------------- entry


def run(quick: bool) -> dict[str, Any]:
    sizes = [200, 1000] if quick else [1000, 5000, 10000]
    results: dict[str, Any] = {"targets": TARGETS}

    # the example project: every pass, every dialect
    ex = measure_project(EXAMPLES, runs=3 if quick else 7, compile_sample=10_000,
                         dialects=api.DIALECTS, cli_runs=3 if quick else 7)
    results["example_project"] = ex

    # CLI cold start
    results["version"] = _status(lambda: {**_cli_repeat(["--version"], EXAMPLES, 5 if quick else 11),
                                          "target_s": TARGETS["version_wall_s"]})
    results["single_file_check"] = _status(lambda: {
        **_cli_repeat(["check", "audiences/cart_abandoners.aud"], EXAMPLES, 5 if quick else 11),
        "target_s": TARGETS["single_file_check_wall_s"]})

    # generated projects
    gen: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="audiencelang-bench-") as tmpname:
        tmp = Path(tmpname)
        for n in sizes:
            root = tmp / f"project_{n}"
            t_gen, stats = timed(lambda root=root, n=n: generate_project(root, n, seed=n))
            # every dialect on the smallest project (a 60-statement sample), duckdb on all
            all_dialects = n == sizes[0]
            t_m, m = timed(lambda root=root, n=n, all_dialects=all_dialects: measure_project(
                root, runs=1 if quick else (3 if n < 5000 else 2),
                compile_sample=(40 if quick else 60) if all_dialects else (100 if quick else 300),
                dialects=api.DIALECTS if all_dialects else ["duckdb"],
                cli_runs=1 if quick else (3 if n < 5000 else 2)))
            m["measure_seconds"] = t_m
            m["generated"] = {**stats, "seconds": t_gen}
            gen[str(n)] = m
            shutil.rmtree(root)
        results["generated"] = gen

        shapes: dict[str, Any] = {}
        depth = max_nesting()
        shape_sizes = {
            "or_chain": [250, 500] if quick else [1000, 2000, 4000, 8000],
            "nesting": [max(1, depth // 4), depth] if quick else
                       sorted({max(1, depth // 8), max(1, depth // 4), max(1, depth // 2), depth}),
            "references": [50, 100] if quick else [200, 400, 800, 1600],
            "ref_chain": [25, 50] if quick else [50, 100, 200, 400],
        }
        for shape, ss in shape_sizes.items():
            shapes[shape] = measure_shape(shape, ss, tmp, 1 if quick else 5)
        shapes["nesting"]["max_levels_accepted"] = depth
        results["shapes"] = shapes
    return results
