"""audiencelang benchmarks: one command, a table on stdout, numbers in a JSON file.

    .venv/bin/python bench/run.py            # full run (< 15 min on 2 cores), writes bench/results.json
    .venv/bin/python bench/run.py --quick    # smoke run (~1-2 min), writes bench/data/results-quick.json
    .venv/bin/python bench/run.py --only sql # one section (verify, compiler, sql, growth, batch ...) or one SQL case
    .venv/bin/python -m bench ...            # the same

Sections:
  verify    expert SQL == reference evaluator (audiencelang.eval) on 20k profiles
  compiler  parse / check / compile throughput, CLI cold start, input shapes
  sql       generated SQL vs expert SQL vs scan floor on DuckDB (1M profiles, 20M events)
  growth    1..64 event conditions: SQL runtime and compile time (docs/img/cost_growth.png)
  postgres  the benchmark audiences on a throw-away PostgreSQL (100k profiles): plans and times
  batch     run --all's shared statements vs one statement per audience: 10/100/300 generated
            audiences (bench/batchbench.py), DuckDB, 1M profiles

    .venv/bin/python bench/run.py --large    # sql and batch on 10M profiles / 200M events
                                             # (generated on first use, ~10 GB under bench/data)

Parts of audiencelang that have not landed are reported as "not measured yet".
See docs/performance.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python bench/run.py`: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import BENCH, DATA, DOCS_IMG, REPO, NotReady

SECTIONS = ["verify", "compiler", "checkcache", "sql", "growth", "postgres", "lsp", "batch"]
#: the sections ``--large`` runs (10M profiles, 200M events: generated on demand, not committed)
LARGE_SECTIONS = ["sql", "batch"]
LARGE_PROFILES = 10_000_000


# --------------------------------------------------------------------------- machine


def machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    versions = {}
    for pkg in ("audiencelang", "lark", "sqlglot", "pydantic", "duckdb", "ruamel.yaml", "click",
                "matplotlib", "numpy"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                                text=True, check=False).stdout.strip() or None
    except OSError:
        commit = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": mem,
        "os": platform.platform(),
        "python": platform.python_version(),
        "python_impl": platform.python_implementation(),
        "packages": versions,
        "git_commit": commit,
        "load_average_at_start": load,
    }


# --------------------------------------------------------------------------- sections


def run_section(name: str, quick: bool, only_case: str | None, profiles: int | None = None) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        if name == "verify":
            from bench import sqlbench
            from bench.verify import verify_expert

            res = verify_expert(sqlbench.cases(), DATA / "verify_de_20000.duckdb", 20_000)
        elif name == "compiler":
            from bench import compiler

            res = compiler.run(quick)
        elif name == "checkcache":
            from bench import checkcache

            res = checkcache.run(quick)
        elif name == "sql":
            from bench import sqlbench

            res = sqlbench.run(quick, only_case, profiles)
        elif name == "growth":
            from bench import growth, sqlbench

            profiles = 100_000 if quick else 1_000_000
            db, _info = sqlbench.ensure_db(profiles, 20)
            con = sqlbench.connect(db)
            label = f"{profiles:,} profiles, {20 * profiles:,} events"
            plot_path = (DATA / "cost_growth_quick.png") if quick else (DOCS_IMG / "cost_growth.png")
            res = growth.run(quick, con, data_label=label, plot_path=plot_path)
            con.close()
        elif name == "postgres":
            from bench import pgbench, sqlbench

            db, _info = sqlbench.ensure_db(100_000, 20)
            res = pgbench.run(quick, db)
        elif name == "batch":
            from bench import batchbench

            res = batchbench.run(quick, profiles)
        elif name == "lsp":
            from bench import lsp

            res = lsp.run(1000 if quick else 5000, 10 if quick else 30)
        else:
            raise SystemExit(f"unknown section {name!r}; one of {', '.join(SECTIONS)}")
        res = {"status": "measured", **res}
    except NotReady as exc:
        res = {"status": "not measured yet", "reason": str(exc)}
    res["section_seconds"] = time.perf_counter() - started
    return res


# --------------------------------------------------------------------------- table


def _f(x: Any, spec: str = ".3f", none: str = "n/m") -> str:
    if x is None:
        return none
    if isinstance(x, bool):
        return "yes" if x else "NO"
    if isinstance(x, (int, float)):
        return format(x, spec)
    return str(x)


def _spread(s: dict[str, Any] | None, scale: float = 1.0, spec: str = ".3f") -> str:
    if not s or "median" not in s:
        return "n/m"
    return (f"{format(s['median'] * scale, spec)} "
            f"[{format(s['q1'] * scale, spec)}-{format(s['q3'] * scale, spec)}]")


def _note(row: dict[str, Any]) -> str:
    err = row.get("error", "")
    if err:
        code = re.search(r"code='([EWL]\d+)'", err)
        msg = re.search(r"message='([^']*)'", err)
        if code and msg:
            return f"{code.group(1)}: {msg.group(1)}"
        return err[:80]
    return "" if row.get("parse_ok", True) else "parse failed"


def _load(x: Any) -> str:
    return "/".join(f"{v:.1f}" for v in x) if x else "n/a"


def _table(rows: list[list[str]], head: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    line = "  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(out)


def render(results: dict[str, Any]) -> str:
    """The human-readable report (also pasted into docs/performance.md)."""
    m = results["machine"]
    out = [f"machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB; Python {m['python']}; "
           + ", ".join(f"{k} {v}" for k, v in m["packages"].items() if v)
           + f"; commit {m['git_commit']}; mode {results['mode']}; load average at start "
           + f"{_load(m.get('load_average_at_start'))}, at end {_load(m.get('load_average_at_end'))}"]
    sec = results["sections"]

    v = sec.get("verify")
    if v:
        out.append("\n## Expert SQL vs reference evaluator")
        if v.get("status") != "measured":
            out.append(f"not measured yet: {v.get('reason')}")
        else:
            ok = [n for n, c in v["cases"].items() if c["same"]]
            bad = [n for n, c in v["cases"].items() if not c["same"]]
            out.append(f"{len(ok)}/{len(v['cases'])} expert queries return exactly the reference "
                       f"members on {v['profiles']:,} profiles" + (f"; MISMATCH: {bad}" if bad else ""))

    c = sec.get("compiler")
    if c and c.get("status") == "measured":
        out.append("\n## Compiler throughput (one core; median [IQR])")
        rows = []
        projects = [("examples", c["example_project"])] + [
            (f"{n} files", p) for n, p in c.get("generated", {}).items()]
        for label, p in projects:
            pa, ch, co, cli = p["parse"], p["check"], p["compile"], p["cli_check"]
            rows.append([
                label,
                _f(p["files"], "d"),
                _f(pa.get("files_per_s"), ",.0f") if pa["status"] == "measured" else "n/m",
                _spread(ch.get("check")) if ch["status"] == "measured" else "n/m",
                _spread(ch.get("total")) if ch["status"] == "measured" else "n/m",
                (_f(co["duckdb"]["statements_per_s"], ",.0f") + f" (n={co['statements']})")
                if co["status"] == "measured" else "n/m",
                _spread(cli) if cli["status"] == "measured" else "n/m",
            ])
        out.append(_table(rows, ["project", "files", "parse files/s", "check pass s",
                                 "load+parse+check s", "compile duckdb stmt/s", "`audiencelang check` cold s"]))
        t = c["targets"]
        out.append(f"targets: parse >= {t['parse_files_per_s']:.0f} files/s; check 10k x 3 markets <= "
                   f"{t['check_10k_wall_s']} s wall; compile >= {t['compile_statements_per_s']:.0f} stmt/s; "
                   f"single-file check <= {t['single_file_check_wall_s']} s; --version <= "
                   f"{t['version_wall_s'] * 1000:.0f} ms")
        ver, one = c["version"], c["single_file_check"]
        out.append(f"`audiencelang --version`: {_spread(ver, 1000, '.0f')} ms"
                   + (f" (target {t['version_wall_s'] * 1000:.0f} ms: "
                      f"{'met' if ver['median'] <= t['version_wall_s'] else 'MISSED'})"
                      if ver.get("status") == "measured" else f" ({ver.get('reason')})"))
        out.append(f"`audiencelang check one.aud` (examples): {_spread(one, 1000, '.0f')} ms"
                   + (f" (target {t['single_file_check_wall_s'] * 1000:.0f} ms: "
                      f"{'met' if one['median'] <= t['single_file_check_wall_s'] else 'MISSED'})"
                      if one.get("status") == "measured" else f" ({one.get('reason')})"))
        # per-dialect compile
        first = next(iter(c.get("generated", {}).values()), None)
        for label, p in [("examples", c["example_project"])] + ([("generated", first)] if first else []):
            co = p["compile"]
            if co["status"] == "measured":
                ds = [d for d in co if isinstance(co[d], dict) and "statements_per_s" in co[d]]
                out.append(f"compile stmt/s by dialect ({label}, {co['statements']} statements): "
                           + ", ".join(f"{d} {co[d]['statements_per_s']:,.0f}"
                                       + (" (errors!)" if co[d]["errors"] else "") for d in ds))
            else:
                out.append(f"compile ({label}): not measured yet: {co.get('reason')}")
        out.append("\nInput shapes (median s per pass; growth exponent k of t ~ n^k between the two largest sizes):")
        rows = []
        for shape, s in c["shapes"].items():
            for r in s["rows"]:
                rows.append([shape, _f(r["n"], "d"), _f(r.get("parse"), ".4f"),
                             _f(r.get("check"), ".4f"), _f(r.get("compile"), ".4f"),
                             _note(r)])
            e = s["exponents"]
            rows.append([shape, "k =", _f(e.get("parse"), ".2f"), _f(e.get("check"), ".2f"),
                         _f(e.get("compile"), ".2f"), ""])
        out.append(_table(rows, ["shape", "n", "parse", "check", "compile", "note"]))
    elif c:
        out.append(f"\n## Compiler throughput\nnot measured yet: {c.get('reason')}")

    s = sec.get("sql")
    if s and s.get("status") == "measured":
        d = s["data"]
        out.append(f"\n## Generated SQL vs expert vs scan floor (DuckDB {m['packages'].get('duckdb')}, "
                   f"{d['profiles']:,} profiles, {d['events']:,} events, {d['duckdb_threads']} threads, "
                   f"{s['runs_per_query']} interleaved runs; median s [IQR])")
        rows = []
        for name, cs in s["cases"].items():
            t = cs["timings"]
            rows.append([name, _f(cs["members"], ",d"), _spread(t.get("ours")), _spread(t["expert"]),
                         _spread(t["floor"]), _f(cs.get("ours_over_expert"), ".2f"),
                         _f(cs.get("ours_over_expert_cpu"), ".2f"),
                         _f(cs.get("ours_over_floor"), ".2f"), _f(cs.get("expert_over_floor"), ".2f"),
                         _f(cs.get("ours_over_user_floor"), ".2f"),
                         _f(cs.get("expert_over_user_floor"), ".2f"), cs.get("status", "")])
        out.append(_table(rows, ["audience", "members", "ours s", "expert s", "floor s", "ours/expert",
                                 "ours/expert CPU", "ours/floor", "expert/floor", "ours/user-floor", "expert/user-floor",
                                 "status"]))
        out.append("targets: ours/expert <= 1.10 each (wall; CPU beside it: the process's CPU per run, "
                   "less moved by other jobs); ours/floor <= 2.0 (goal)")
        if not d.get("reused", True) or "generate_seconds" in d:
            out.append(f"data generation: {d.get('generate_seconds', 0):.1f} s "
                       f"({'reused from an earlier run' if d.get('reused') else 'this run'})")
    elif s:
        out.append(f"\n## Generated SQL vs expert\nnot measured yet: {s.get('reason')}")

    cc = sec.get("checkcache")
    if cc:
        if cc.get("status") == "measured":
            from bench.checkcache import render as render_checkcache

            out.extend(render_checkcache(cc))
        else:
            out.append(f"\n## Checking a large project\nnot measured yet: {cc.get('reason')}")

    g = sec.get("growth")
    if g and g.get("status") == "measured":
        out.append(f"\n## Cost growth (event conditions on one table) - SQL: {g['sql_status']}")
        rows = []
        for k in g["sizes"]:
            r = g["rows"][str(k)]
            sql_m = (r.get("sql") or {}).get("median")
            fl = (r.get("floor") or {}).get("median")
            ufl = (r.get("user_floor") or {}).get("median")
            read = r.get("rows_read")
            rows.append([str(k), _spread(r.get("sql")), _f(r.get("members"), ",d"),
                         _f(r.get("row_filters"), "d"),
                         _f(read / 1e6 if read else None, ".2f"),
                         _f(r["rows_union"] / 1e6 if r.get("rows_union") else None, ".2f"),
                         _f(sql_m / read * 1e9 if sql_m and read else None, ".0f"),
                         _f(r.get("widest_days"), "d"), _f(fl, ".3f"), _f(ufl, ".3f"),
                         _f(sql_m / fl if sql_m and fl else None, ".1f"),
                         _f(sql_m / ufl if sql_m and ufl else None, ".2f"),
                         _f(r["parse_s"] * 1000, ".2f"), _f(r["check_s"] * 1000, ".2f"),
                         _f(r["compile_s"] * 1000 if r.get("compile_s") is not None else None, ".2f")])
        out.append(_table(rows, ["conditions", "SQL s", "members", "row filters", "rows read M",
                                 "rows union M", "ns/row read", "widest window d", "floor s",
                                 "user floor s", "ours/floor", "ours/user-floor", "parse ms", "check ms",
                                 "compile ms"]))
        ctl = [(k, g["rows"][str(k)].get("same_filter_sql")) for k in g["sizes"]]
        if all(v for _, v in ctl):
            out.append("control series (one row filter, one widest window: the rows read are the same at "
                       "every size), SQL s: " + ", ".join(f"{k}: {_spread(v)}" for k, v in ctl))
        if g.get("plot"):
            out.append(f"plot: {g['plot']}")
    elif g:
        out.append(f"\n## Cost growth\nnot measured yet: {g.get('reason')}")
    b = sec.get("batch")
    if b and b.get("status") == "measured":
        d = b["data"]
        out.append(f"\n## Batch runs (run --all): shared statements vs one statement per audience "
                   f"(DuckDB, {d['profiles']:,} profiles, {d['events']:,} events; median s, interleaved)")
        rows = [[str(r["audiences"]), str(r["statements"]), str(r["aggregates"]), _spread(r["batch"]),
                 _spread(r["singles"]), _f(r["ratio"], ".2f"), _f(r["members_total"], ",d"),
                 "same members" if not r["mismatched"] else f"MISMATCH {r['mismatched'][:3]}"]
                for r in b["rows"]]
        out.append(_table(rows, ["audiences", "statements", "aggregates", "batch s", "singles s (sum)",
                                 "batch/singles", "members (sum)", "check"]))
        out.append(f"target: {b['target']}")
    elif b:
        out.append(f"\n## Batch runs\nnot measured yet: {b.get('reason')}")
    p = sec.get("postgres")
    if p and p.get("status") == "measured":
        out.append(f"\n## PostgreSQL {p['server']} (100,000 profiles, 2M events; s; "
                   f"'> {p['timeout_s']}' = cut off there)")
        rows = []
        for name, cs in p["cases"].items():
            def cut(x: float | None) -> str:
                return f"> {p['timeout_s']}" if x is None else f"{x:.3f}"
            rows.append([name, _f(cs["members"], ",d"), _spread(cs.get("current")),
                         cut(cs["pushed_s"]), cut(cs["pushed_nestloop_off_s"]),
                         "yes" if cs["nested_loop_in_current_plan"] else "no", _f(cs["same_as_duckdb"])])
        out.append(_table(rows, ["audience", "members", "current s", "tests pushed s",
                                 "pushed, nestloop off s", "nested loop now", "same as DuckDB"]))
        out.append(f"data load: {p['load_seconds']:.1f} s")
    elif p:
        out.append(f"\n## PostgreSQL\nnot measured yet: {p.get('reason')}")
    ls = sec.get("lsp")
    if ls and ls.get("status") == "measured":
        from bench import lsp

        out.append("\n## Language server latency (bench/lsp.py)")
        out.append(lsp.render(ls))
    took = {k: round(v.get("section_seconds", 0), 1) for k, v in sec.items()}
    out.append(f"\nsection wall times (s): {took}")
    for k, v in sec.items():
        la = v.get("load_average")
        if la:
            out.append(f"  {k}: finished {v.get('finished_at')}, commit {la.get('git_commit')}, "
                       f"load average {_load(la.get('start'))} -> {_load(la.get('end'))}")
    return "\n".join(out)


# --------------------------------------------------------------------------- docs

DOC = REPO / "docs" / "performance.md"
BEGIN, END = "<!-- bench:results:begin -->", "<!-- bench:results:end -->"


def update_doc(report: str, results: dict[str, Any]) -> bool:
    """Replace the generated block of docs/performance.md with the latest full report."""
    if not DOC.exists():
        return False
    text = DOC.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        return False
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    block = (f"{BEGIN}\n<!-- generated by `python bench/run.py` on {results['finished_at']}; "
             f"do not edit by hand -->\n\n```text\n{report}\n```\n{END}")
    DOC.write_text(head + block + tail, encoding="utf-8")
    return True


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, few repeats (smoke run)")
    ap.add_argument("--only", metavar="NAME",
                    help=f"one section ({', '.join(SECTIONS)}) or one SQL case (e.g. cart_abandoners)")
    ap.add_argument("--out", type=Path, help="results file (default: bench/results.json; "
                                             "bench/data/results-quick.json with --quick)")
    ap.add_argument("--large", action="store_true",
                    help=f"sections {', '.join(LARGE_SECTIONS)} on {LARGE_PROFILES:,} profiles / "
                         f"{20 * LARGE_PROFILES:,} events (generated into bench/data on first use; "
                         "results in bench/data/results-large.json)")
    ap.add_argument("--render", action="store_true",
                    help="only print the table of an existing results file (and refresh docs/performance.md)")
    args = ap.parse_args(argv)
    if args.render:
        path = args.out or BENCH / "results.json"
        results = json.loads(path.read_text())
        report = render(results)
        print(report)
        if results.get("mode") == "full" and update_doc(report, results):
            print(f"updated {DOC.relative_to(REPO)}")
        return 0
    out_path = args.out or (DATA / "results-quick.json" if args.quick
                            else DATA / "results-large.json" if args.large else BENCH / "results.json")

    sections, only_case = (LARGE_SECTIONS if args.large else SECTIONS), None
    if args.only:
        if args.only in SECTIONS:
            sections = [args.only]
        else:
            from bench.sqlbench import cases

            if args.only not in cases():
                ap.error(f"--only: not a section ({', '.join(SECTIONS)}) nor a case ({', '.join(cases())})")
            sections, only_case = ["sql"], args.only

    results: dict[str, Any] = {"sections": {}}
    if args.only and out_path.exists():  # keep the other sections of an earlier run
        try:
            results = json.loads(out_path.read_text())
        except (OSError, ValueError):
            results = {"sections": {}}
    results["machine"] = machine()
    results["mode"] = "quick" if args.quick else "large" if args.large else "full"
    results["command"] = " ".join([Path(sys.argv[0]).as_posix(), *(argv or sys.argv[1:])])
    results["finished_at"] = None
    started = time.perf_counter()
    for name in sections:
        print(f"[bench] {name} ...", file=sys.stderr, flush=True)
        load0 = os.getloadavg() if hasattr(os, "getloadavg") else None
        results["sections"][name] = run_section(name, args.quick, only_case,
                                                LARGE_PROFILES if args.large else None)
        results["sections"][name]["finished_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        results["sections"][name]["load_average"] = {
            "start": load0, "end": os.getloadavg() if hasattr(os, "getloadavg") else None,
            "git_commit": results["machine"]["git_commit"]}
    results["wall_seconds"] = time.perf_counter() - started
    results["machine"]["load_average_at_end"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    results["finished_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(out_path.name + ".tmp")
    tmp.write_text(json.dumps(results, indent=1, default=str, sort_keys=False) + "\n")
    os.replace(tmp, out_path)
    report = render(results)
    print(report)
    if not args.quick and not args.only and args.out is None and update_doc(report, results):
        print(f"updated {DOC.relative_to(REPO)}")
    print(f"\nwrote {out_path.relative_to(REPO) if out_path.is_relative_to(REPO) else out_path} "
          f"({results['wall_seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
