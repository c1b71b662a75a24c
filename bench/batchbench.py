"""Batch runs (issue 20): N realistic audiences of market ``de`` in shared statements
(``audiencelang.sql.compile_batch``, what ``run --all`` runs) against the N single
statements, on DuckDB, timed interleaved.

    .venv/bin/python -m bench.batchbench [--profiles 1000000] [--sizes 10,100,300] [--runs 3]

The audiences are generated (seeded, :func:`audiences`) the way a CDP's audience list
looks: each combines two to four conditions drawn from pools a team reuses — recency
and frequency of page views, cart adds, sessions and purchases (windows 7 to 365 days),
spend sums and maxima, ``at most`` caps and ``not performed`` (``exactly 0``), trait
tests (country, city, age, loyalty tier, signup date, employees excluded), consent
(``has consent`` / ``require consent``) and references to a few base audiences. So
conditions repeat across audiences as they do in practice (the batch computes each
once), and every audience is different.

Per size: the batch (every statement, fetched into Python and split per audience) and
the sum of the single statements (each fetched) are timed in alternating order; both
are checked to return the same members per audience first. Prints one JSON line per size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import AS_OF, BENCH, EXAMPLES, MARKET, summarize

_BASES = {
    "base_buyers": "performed purchase",
    "base_recent_buyers": "performed purchase in last 30 days",
    "base_engaged": "performed session at least 3 times in last 30 days",
    "base_cart_users": "performed add_to_cart in last 90 days",
}

_WINDOWS = [7, 14, 30, 60, 90, 180, 365]
_PATHS = ["/sale", "/sale/shoes", "/products/", "/checkout", "/account"]
_CATS = ["shoes", "bags", "electronics", "home", "beauty"]


def _condition(r: random.Random) -> str:
    w = r.choice(_WINDOWS)
    kind = r.choice(["view", "cart", "session", "purchase", "purchase", "spend", "max", "cap", "none",
                     "trait", "trait", "consent", "ref"])
    if kind == "view":
        n = r.choice([1, 2, 3, 5])
        where = f' where path starts with "{r.choice(_PATHS)}"' if r.random() < 0.6 else ""
        return f"performed page_view{where} at least {n} times in last {w} days"
    if kind == "cart":
        where = f' where category = "{r.choice(_CATS)}"' if r.random() < 0.5 else ""
        return f"performed add_to_cart{where} in last {w} days"
    if kind == "session":
        dev = f' where device = "{r.choice(["mobile", "desktop", "tablet"])}"' if r.random() < 0.4 else ""
        return f"performed session{dev} at least {r.choice([2, 3, 5])} times in last {w} days"
    if kind == "purchase":
        return f"performed purchase at least {r.choice([1, 2, 3])} times in last {w} days"
    if kind == "spend":
        return f"sum(purchase.revenue) in last {w} days >= {r.choice([100, 250, 500, 1000])}"
    if kind == "max":
        return f"max(purchase.revenue) in last {w} days > {r.choice([200, 400, 800])}"
    if kind == "cap":
        return f"performed add_to_cart at most {r.choice([1, 2, 3])} times in last {r.choice([7, 14, 30])} days"
    if kind == "none":
        return f"not performed purchase in last {r.choice([30, 60, 90, 180])} days"
    if kind == "trait":
        return r.choice([
            f'country = "{r.choice(["DE", "AT", "CH"])}"',
            f'city = "{r.choice(["Berlin", "Hamburg", "Köln", "Wien"])}"',
            f"age between {r.choice([18, 25, 35])} and {r.choice([45, 55, 65])}",
            f'loyalty_tier in ["{r.choice(["gold", "silver"])}", "platinum"]',
            f"signup_date in last {r.choice([90, 180, 365])} days",
            "email is not null",
            f"lifetime_value > {r.choice([200, 500, 1000])}",
        ])
    if kind == "consent":
        return f"has consent {r.choice(['ads_personalization', 'email_marketing'])}"
    return f"in audience {r.choice(sorted(_BASES))}"


def audiences(n: int, seed: int = 20) -> dict[str, str]:
    """``n`` audience texts (file name -> text), plus the base audiences they reference."""
    r = random.Random(seed)
    out = {f"{name}.aud": (f'audience {name} {{\n  owner "bench@example.com"\n  description "base"\n\n'
                           f"  include {cond}\n}}\n") for name, cond in _BASES.items()}
    for i in range(n):
        conds = list(dict.fromkeys(_condition(r) for _ in range(r.choice([2, 3, 3, 4]))))
        body = "\n    and ".join(conds)
        extra = ""
        if r.random() < 0.3:
            extra += "\n  exclude is_employee = true\n"
        if r.random() < 0.25:
            extra += f"\n  require consent {r.choice(['ads_personalization', 'email_marketing'])}\n"
        out[f"gen_{i:03d}.aud"] = (f'audience gen_{i:03d} {{\n  owner "bench@example.com"\n'
                                   f'  description "generated"\n\n  include\n    {body}\n{extra}}}\n')
    return out


def project(n: int, seed: int = 20) -> Any:
    from audiencelang.project import project_from_sources

    config = (EXAMPLES / "audiencelang.toml").read_text()
    config = config.replace('["audiences"]', "[]").replace('["markets"]', "[]")
    return project_from_sources(config=config, markets={"de.yaml": (EXAMPLES / "markets" / "de.yaml").read_text()},
                                audiences=audiences(n, seed))


def _checked(proj: Any, n: int) -> list[Any]:
    from audiencelang.check import check_audience

    out = []
    for i in range(n):
        c, diags = check_audience(proj, f"gen_{i:03d}", MARKET)
        errors = [d for d in diags if d.is_error]
        assert c is not None and not errors, errors
        out.append(c)
    return out


def measure(con: Any, n: int, runs: int) -> dict[str, Any]:
    from audiencelang.sql import compile_audience, compile_batch

    proj = project(n)
    checked = _checked(proj, n)
    t0 = time.perf_counter()
    batch = compile_batch(checked, "duckdb", as_of=AS_OF)
    compile_batch_s = time.perf_counter() - t0
    assert not batch.left_out and not batch.diagnostics, (batch.left_out, batch.diagnostics)
    t0 = time.perf_counter()
    singles = {c.name: compile_audience(c, "duckdb", as_of=AS_OF).query.sql for c in checked}  # type: ignore[union-attr]
    compile_singles_s = time.perf_counter() - t0

    def run_batch() -> dict[str, list[Any]]:
        got: dict[str, list[Any]] = {}
        for st in batch.statements:
            got.update(st.members(con.execute(st.sql).fetchall()))
        return got

    def run_singles() -> dict[str, list[Any]]:
        return {name: [r[0] for r in con.execute(sql).fetchall()] for name, sql in singles.items()}

    shared, alone = run_batch(), run_singles()
    mismatched = [a for a in alone if sorted(alone[a]) != sorted(shared[a])]
    samples: dict[str, list[float]] = {"batch": [], "singles": []}
    for i in range(runs):
        order = ["batch", "singles"] if i % 2 == 0 else ["singles", "batch"]
        for name in order:
            t0 = time.perf_counter()
            (run_batch if name == "batch" else run_singles)()
            samples[name].append(time.perf_counter() - t0)
    b, s = summarize(samples["batch"]), summarize(samples["singles"])
    return {
        "audiences": n, "statements": len(batch.statements), "runs": runs,
        "batch": b, "singles": s, "ratio": b["median"] / s["median"],
        "members_total": sum(len(v) for v in alone.values()),
        "mismatched": mismatched,
        "aggregates": sum(len(getattr(x, "aggregates", ())) for st in batch.statements for x in st.plan.scans),
        "compile_batch_s": compile_batch_s, "compile_singles_s": compile_singles_s,
    }


def run(quick: bool, profiles: int | None = None) -> dict[str, Any]:
    """The ``batch`` section of bench/run.py: 10, 100 and 300 audiences (quick: 10 and 100
    on 100k profiles), 3 interleaved runs (300: one, the singles alone take minutes)."""
    from bench.sqlbench import connect, ensure_db

    profiles = profiles or (100_000 if quick else 1_000_000)
    db, info = ensure_db(profiles, 20)
    con = connect(db)
    rows = []
    try:
        for n in (10, 100) if quick else (10, 100, 300):
            rows.append(measure(con, n, 3 if n <= 100 else 1))
    finally:
        con.close()
    return {"data": {"profiles": info.get("profiles"), "events": info.get("events")}, "rows": rows,
            "target": "batch <= 0.3 x the sum of the single statements at 100 audiences"}


def main(argv: list[str] | None = None) -> int:
    from bench.sqlbench import connect, ensure_db

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--profiles", type=int, default=1_000_000)
    ap.add_argument("--events-per-profile", type=int, default=20)
    ap.add_argument("--sizes", default="10,100,300")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", type=Path, default=BENCH / "data" / "batch.json")
    args = ap.parse_args(argv)
    db, info = ensure_db(args.profiles, args.events_per_profile)
    con = connect(db)
    results = []
    for n in (int(x) for x in args.sizes.split(",")):
        res = measure(con, n, args.runs)
        res["profiles"], res["events"] = info.get("profiles"), info.get("events")
        res["at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        print(json.dumps({k: (v["median"] if isinstance(v, dict) and "median" in v else v)
                          for k, v in res.items()}), flush=True)
        results.append(res)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1))
    con.close()
    return 0 if not any(r["mismatched"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
