"""Generated SQL against hand-written expert SQL, and against the scan floor, on DuckDB.

For every audience in bench/audiences with an expert query in bench/expert:

1. compile it (market ``de``, dialect ``duckdb``, ``as_of`` = the demo's reference time);
2. run ours and the expert's once and check both return the same member ids (a
   mismatch is reported and the case is not timed as a win);
3. time ours, the expert's and the *scan floor* interleaved (rotated order each round):
   the floor is one statement counting the rows of every event table the audience reads,
   inside the widest window it uses on that table (no window: all rows up to as_of).

Timings include fetching the result (one BIGINT column, as numpy) into Python.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import api
from bench.common import (
    AS_OF,
    BENCH,
    DATA,
    EXAMPLES,
    EXPERT,
    MARKET,
    NotReady,
    in_window,
    interleaved,
    timed,
)

#: (table, time column, widest window in days or None for all history) per case.
FLOORS: dict[str, list[tuple[str, str, int | None]]] = {
    "cart_abandoners": [("web.ereignisse", "zeitpunkt", 7), ("shop.bestellungen", "bestellt_am", 7)],
    "lapsed_high_value": [("shop.bestellungen", "bestellt_am", 365)],
    "consent_retargeting": [("web.ereignisse", "zeitpunkt", 14), ("shop.bestellungen", "bestellt_am", 14)],
    "frequency_capped": [("web.ereignisse", "zeitpunkt", 30), ("shop.bestellungen", "bestellt_am", 30)],
    "winback": [("shop.bestellungen", "bestellt_am", None)],
    "big_spenders": [("shop.bestellungen", "bestellt_am", None)],
    "munich_gmail": [("web.ereignisse", "zeitpunkt", 30)],
    "coupon_hunters": [("shop.bestellungen", "bestellt_am", 365)],
    "new_signups": [("shop.bestellungen", "bestellt_am", None)],
    "mobile_shoe_shoppers": [("web.ereignisse", "zeitpunkt", None)],
    "funnel_3step": [("web.ereignisse", "zeitpunkt", 30), ("shop.bestellungen", "bestellt_am", 30)],
    "cart_abandonment_seq": [("web.ereignisse", "zeitpunkt", 7), ("shop.bestellungen", "bestellt_am", 7)],
    "lapsed_buyers": [("shop.bestellungen", "bestellt_am", None)],
    "freq_spend_cap": [("web.ereignisse", "zeitpunkt", 30), ("shop.bestellungen", "bestellt_am", 90)],
    "cart_no_buy_ads": [("web.ereignisse", "zeitpunkt", 14), ("shop.bestellungen", "bestellt_am", 14)],
    "three_table_engaged": [("web.ereignisse", "zeitpunkt", 30), ("shop.bestellungen", "bestellt_am", 180)],
    "ref_mid_spenders": [("shop.bestellungen", "bestellt_am", None)],
    "shoe_sale_no_order": [("web.ereignisse", "zeitpunkt", 30), ("shop.bestellungen", "bestellt_am", 30)],
    "gold_low_spend": [("web.ereignisse", "zeitpunkt", 7), ("shop.bestellungen", "bestellt_am", 180)],
    "mobile_only": [("web.ereignisse", "zeitpunkt", 30)],
    "no_coupon_repeat": [("web.ereignisse", "zeitpunkt", 30), ("shop.bestellungen", "bestellt_am", 365)],
    "browse_heavy_low_buy": [("web.ereignisse", "zeitpunkt", 30), ("shop.bestellungen", "bestellt_am", 365)],
    "avg_basket_light_browse": [("web.ereignisse", "zeitpunkt", 30), ("shop.bestellungen", "bestellt_am", 365)],
    "app_buyers_ref": [("web.ereignisse", "zeitpunkt", 7), ("shop.bestellungen", "bestellt_am", None)],
}

WHAT = {
    "cart_abandoners": "cart abandoners (event + anti-join + trait + opt-in consent with max age)",
    "lapsed_high_value": "lapsed high-value buyers (count in 365 d, none in 90 d, trait, consent)",
    "consent_retargeting": "consent-gated retargeting (filtered count, 2 consents incl. double opt-in)",
    "frequency_capped": "multi-event frequency caps (at least / at most, 3 event types)",
    "winback": "referenced audiences (2 references + consent test)",
    "big_spenders": "aggregates (sum in window, max, avg with filter, count between)",
    "munich_gmail": "string matches (starts/ends with ignoring case, contains, filtered event)",
    "coupon_hunters": "event string filter (contains ignoring case or =), date trait, not in",
    "new_signups": "date window on a trait + never performed",
    "mobile_shoe_shoppers": "filtered event + filtered count aggregate + min(timestamp)",
    "funnel_3step": "3-step sequence with withins (spec §8)",
    "cart_abandonment_seq": "sequence with an absent last step (spec §8)",
    "lapsed_buyers": "last performed ... more than 90 days ago (spec §8)",
    "freq_spend_cap": "count on one table + sum and at most on another, one conjunction",
    "cart_no_buy_ads": "count + not performed on another table + opt-in consent with max age",
    "three_table_engaged": "count + existence on another table + double opt-in consent (three tables)",
    "ref_mid_spenders": "two references + sum between, all on one table",
    "shoe_sale_no_order": "two filtered counts on one table + exactly 0 on another",
    "gold_low_spend": "trait in list + sum < (true without rows) + existence on another table",
    "mobile_only": "filtered count + exactly 0 of another filter on the same event + consent",
    "no_coupon_repeat": "filtered count (is null) + at most on another table",
    "browse_heavy_low_buy": "two counts + at most on another table + two consents (three tables)",
    "avg_basket_light_browse": "avg + count on one table + at most on another",
    "app_buyers_ref": "reference + filtered count + not performed on another table + trait range",
}


_USER = {"web.ereignisse": "kunden_id", "shop.bestellungen": "kunde"}


def floor_sql(name: str, per_user: bool = False) -> str:
    """The scan floor of audience ``name``: see :func:`floor_sql_of`."""
    return floor_sql_of(FLOORS[name], per_user)


def floor_sql_of(reads: Sequence[tuple[str, str, int | None]], per_user: bool = False) -> str:
    """The scan floor: ``count(*)`` of the rows inside the widest window of every event
    table read (``(table, time column, days or None)``). With ``per_user``: the number of
    distinct users there (the least work any per-profile answer needs: one hash aggregate
    per table)."""
    what = {table: f"count(DISTINCT {_USER[table]})" if per_user else "count(*)" for table, _, _ in reads}
    parts = [f"(SELECT {what[table]} FROM {table} WHERE {in_window(col, days)})" for table, col, days in reads]
    return "SELECT " + " + ".join(parts) + " AS n"


def ensure_db(profiles: int, events_per_profile: int) -> tuple[Path, dict[str, Any]]:
    """The demo DuckDB for market de at this size under bench/data (generated once, reused
    while its parameters match)."""
    from audiencelang.demo import generate

    DATA.mkdir(parents=True, exist_ok=True)
    db = DATA / f"demo_de_{profiles}_{events_per_profile}.duckdb"
    meta = db.with_suffix(".json")
    want = {"profiles": profiles, "events_per_profile": events_per_profile, "seed": 0,
            "markets": [MARKET], "as_of": AS_OF.isoformat()}
    if db.exists() and meta.exists():
        info = json.loads(meta.read_text())
        if info.get("params") == want:
            return db, {**info, "reused": True}
    stats = generate(db, EXAMPLES, profiles=profiles, events_per_profile=events_per_profile,
                     seed=0, markets=[MARKET], as_of=AS_OF)
    m = stats.markets[0]
    info = {"params": want, "generate_seconds": stats.seconds, "tables": m.tables,
            "events": sum(m.events.values()), "profiles": m.profiles}
    meta.write_text(json.dumps(info, indent=1))
    return db, {**info, "reused": False}


def connect(db: Path) -> Any:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    con.execute("SET enable_progress_bar = false")
    return con


def cases() -> list[str]:
    return sorted(p.stem for p in EXPERT.glob("*.sql"))


def run(quick: bool, only: str | None = None, profiles: int | None = None) -> dict[str, Any]:
    """``profiles``: the data size (default 1M, 100k with ``quick``; ``--large``: 10M)."""
    profiles = profiles or (100_000 if quick else 1_000_000)
    runs = 3 if quick else 15  # 0.03-0.4 s statements: 7 runs left ratios +-10 %
    db, info = ensure_db(profiles, 20)
    con = connect(db)
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    out: dict[str, Any] = {"data": {**info, "db": str(db.relative_to(BENCH.parent)),
                                    "duckdb_threads": int(threads)},
                           "runs_per_query": runs, "cases": {}}
    project = api.load_project(BENCH)
    try:
        api.compiler()
        compiler_ready: str | None = None
    except NotReady as exc:
        compiler_ready = str(exc)
    for name in cases():
        if only and only not in name:
            continue
        expert = (EXPERT / f"{name}.sql").read_text(encoding="utf-8")
        floor = floor_sql(name)
        case: dict[str, Any] = {"what": WHAT.get(name, ""), "floor_sql": floor}

        def q(sql: str) -> Any:
            return con.execute(sql).fetchnumpy()

        expert_ids = q(expert)["member_id"]
        case["members"] = len(expert_ids)
        user_floor = floor_sql(name, per_user=True)
        fns = {"expert": lambda expert=expert: q(expert), "floor": lambda floor=floor: q(floor),
               "user_floor": lambda uf=user_floor: q(uf)}
        if compiler_ready is None:
            checked = api.check_audience(project, name, MARKET)
            t_compile, ours = timed(lambda checked=checked: api.compile_sql(checked, "duckdb", AS_OF))
            case["compile_seconds"] = t_compile
            case["ours_sql"] = ours
            try:
                ours_res = q(ours)
            except Exception as exc:
                case["status"] = "our SQL failed"
                case["error"] = f"{type(exc).__name__}: {str(exc)[:500]}"
            else:
                cols = list(ours_res)
                ours_ids = ours_res[cols[0]]
                same = sorted(ours_ids.tolist()) == sorted(expert_ids.tolist())
                case["first_column"] = cols[0]
                case["same_members"] = same
                case["ours_members"] = len(ours_ids)
                if same:
                    fns["ours"] = lambda ours=ours: q(ours)
                else:
                    case["status"] = "members differ"
                    a, b = set(ours_ids.tolist()), set(expert_ids.tolist())
                    case["only_ours"] = sorted(a - b)[:5]
                    case["only_expert"] = sorted(b - a)[:5]
        else:
            case["status"] = "not measured yet"
            case["reason"] = compiler_ready
        timings = interleaved(fns, runs, warmup=1)
        case["timings"] = timings
        e, f = timings["expert"]["median"], timings["floor"]["median"]
        case["expert_over_floor"] = e / f
        case["expert_over_user_floor"] = e / timings["user_floor"]["median"]
        if "ours" in timings:
            o = timings["ours"]["median"]
            case["status"] = "measured"
            case["ours_over_expert"] = o / e
            ce = timings["expert"].get("cpu_median") or 0.0
            if ce > 0:
                case["ours_over_expert_cpu"] = timings["ours"]["cpu_median"] / ce
            case["ours_over_floor"] = o / f
            case["ours_over_user_floor"] = o / timings["user_floor"]["median"]
            case["meets_expert_target"] = o / e <= 1.10
            case["meets_floor_goal"] = o / f <= 2.0
        out["cases"][name] = case
    con.close()
    return out
