"""Spark local with 4 and 8 shuffle partitions on the benchmark data (docs/scaling.md, "On a cluster").

::

    python -m bench.spark_partitions                                  # 1M profiles, 20 events each (~20M rows)
    python -m bench.spark_partitions --profiles 250000 --runs 1       # quicker
    python -m bench.spark_partitions --audiences big_spenders funnel_3step --partitions 4 8 16

With ``--bucketed N`` the tables are first rewritten bucketed by their user column (what
docs/scaling.md recommends), to compare the plans' shuffles.

For each audience and each ``spark.sql.shuffle.partitions`` value: the statement compiled
for dialect ``spark`` (``--as-of`` the demo's reference time), the shuffle stages of its
physical plan (``Exchange`` nodes of ``EXPLAIN``: hash/single-partition shuffles and
broadcasts counted apart; adaptive execution, Spark's default, may coalesce the
partitions after a shuffle but does not remove one), and the wall time of executing it
with Spark's ``noop`` writer (every row computed, none collected). The data is the demo
DuckDB of bench/sqlbench.py, exported once to Parquet folders in Spark's warehouse layout
(``bench/data/spark_<profiles>_<events>/crm.db/kunden`` ...). Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import AS_OF, BENCH, DATA, MARKET
from bench.sqlbench import ensure_db

DEFAULT_AUDIENCES = ["cart_abandoners", "big_spenders", "winback", "funnel_3step"]
TABLES = ["crm.kunden", "web.ereignisse", "shop.bestellungen", "legal.einwilligungen"]
#: the column each table joins on (examples/markets/de.yaml): the bucketing key of ``--bucketed``
USER = {"crm.kunden": "kunden_id", "web.ereignisse": "kunden_id", "shop.bestellungen": "kunde",
        "legal.einwilligungen": "kunden_id"}


def export(db: Path, profiles: int, events: int) -> Path:
    """The demo tables as Parquet folders ``WAREHOUSE/db.db/table`` (written once)."""
    import duckdb

    warehouse = DATA / f"spark_{profiles}_{events}"
    done = warehouse / "_exported"
    if done.exists():
        return warehouse
    con = duckdb.connect(str(db), read_only=True)
    for table in TABLES:
        schema, name = table.split(".")
        folder = warehouse / f"{schema}.db" / name
        folder.mkdir(parents=True, exist_ok=True)
        con.execute(f"COPY (SELECT * FROM {table}) TO '{folder}' (FORMAT parquet, PER_THREAD_OUTPUT true, "
                    "OVERWRITE_OR_IGNORE true)")
    con.close()
    done.write_text("ok\n")
    return warehouse


def session(cores: int, memory: str) -> Any:
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = (SparkSession.builder.master(f"local[{cores}]").appName("audiencelang-bench")
             .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
             .config("spark.driver.memory", memory)
             .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
             .config("spark.sql.session.timeZone", "UTC").config("spark.sql.ansi.enabled", "true")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def register(spark: Any, warehouse: Path) -> None:
    for table in TABLES:
        schema, name = table.split(".")
        spark.sql(f"CREATE DATABASE IF NOT EXISTS `{schema}`")
        if not spark.catalog.tableExists(f"`{schema}`.`{name}`"):
            spark.catalog.createTable(f"`{schema}`.`{name}`", path=str(warehouse / f"{schema}.db" / name),
                                      source="parquet")


def register_bucketed(spark: Any, warehouse: Path, buckets: int) -> None:
    """Each table rewritten as a Spark table bucketed (and sorted) by its user column into
    ``buckets`` buckets (``CLUSTERED BY (user) INTO n BUCKETS``). Spark's in-memory
    catalog forgets bucketing with the session, so this is redone per run."""
    for table in TABLES:
        schema, name = table.split(".")
        spark.sql(f"CREATE DATABASE IF NOT EXISTS `{schema}`")
        where = warehouse.parent / f"{warehouse.name}_bucketed_{buckets}" / f"{schema}.db" / name
        (spark.read.parquet(str(warehouse / f"{schema}.db" / name))
         .write.bucketBy(buckets, USER[table]).sortBy(USER[table]).mode("overwrite")
         .option("path", str(where)).saveAsTable(f"`{schema}`.`{name}`"))


def compiled(audience: str) -> str:
    from audiencelang.project import load_project
    from audiencelang.sql import compile

    result = compile(load_project(BENCH), audience, MARKET, "spark", as_of=AS_OF)
    assert result.query is not None, [d.message for d in result.diagnostics]
    return str(result.query.sql)


def exchanges(plan: str) -> dict[str, Any]:
    """Shuffle stages in ``EXPLAIN FORMATTED``'s tree: ``Exchange`` nodes (a shuffle; how
    each partitions, from the node's details: ``hashpartitioning(key, n)``,
    ``SinglePartition``, ...), ``BroadcastExchange`` (a small side sent to every task) and
    ``ReusedExchange`` (a shuffle read twice, run once)."""
    tree, _, details = plan.partition("\n\n\n(1)")
    ids = re.findall(r"(?<![A-Za-z])Exchange \((\d+)\)", tree)
    kinds = []
    for i in ids:
        found = re.search(rf"\n\({i}\) Exchange\n(?:.*\n)*?Arguments: (\w+)", details)
        kinds.append(found.group(1) if found else "?")
    return {
        "shuffles": len(ids),
        "by": sorted(kinds),
        "broadcasts": len(re.findall(r"BroadcastExchange \(\d+\)", tree)),
        "reused": len(re.findall(r"ReusedExchange", tree)),
    }


def measure(spark: Any, sql: str, partitions: int, runs: int, warmup: int) -> dict[str, Any]:
    """``warmup`` untimed runs (the JVM's JIT, Parquet footers, file listings), then ``runs``."""
    spark.conf.set("spark.sql.shuffle.partitions", str(partitions))
    plan = spark.sql("EXPLAIN FORMATTED " + sql).collect()[0][0]
    seconds = []
    for _ in range(warmup):
        spark.sql(sql).write.format("noop").mode("overwrite").save()
    for _ in range(runs):
        started = time.perf_counter()
        spark.sql(sql).write.format("noop").mode("overwrite").save()
        seconds.append(round(time.perf_counter() - started, 2))
    return {"partitions": partitions, "exchanges": exchanges(plan), "seconds": seconds,
            "best": min(seconds), "median": sorted(seconds)[len(seconds) // 2]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profiles", type=int, default=1_000_000)
    ap.add_argument("--events-per-profile", type=int, default=20)
    ap.add_argument("--partitions", type=int, nargs="+", default=[4, 8])
    ap.add_argument("--audiences", nargs="+", default=DEFAULT_AUDIENCES)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1, help="untimed runs before each measurement")
    ap.add_argument("--bucketed", type=int, metavar="N",
                    help="tables bucketed by their user column into N buckets (see register_bucketed)")
    ap.add_argument("--cores", type=int, default=2, help="local[N] (default 2)")
    ap.add_argument("--memory", default="4g", help="spark.driver.memory")
    ap.add_argument("--plans", type=Path, help="write each audience's EXPLAIN FORMATTED here")
    args = ap.parse_args(argv)

    db, info = ensure_db(args.profiles, args.events_per_profile)
    started = time.perf_counter()
    warehouse = export(db, args.profiles, args.events_per_profile)
    exported = round(time.perf_counter() - started, 1)
    spark = session(args.cores, args.memory)
    started = time.perf_counter()
    if args.bucketed:
        register_bucketed(spark, warehouse, args.bucketed)
    else:
        register(spark, warehouse)
    prepared = round(time.perf_counter() - started, 1)
    out: dict[str, Any] = {"data": {"tables": info.get("tables"), "events": info.get("events"),
                                    "export_seconds": exported, "register_seconds": prepared,
                                    "bucketed": args.bucketed},
                           "spark": spark.version, "cores": args.cores,
                           "adaptive": spark.conf.get("spark.sql.adaptive.enabled"), "cases": {}}
    try:
        for audience in args.audiences:
            sql = compiled(audience)
            if args.plans is not None:
                args.plans.mkdir(parents=True, exist_ok=True)
                plan = spark.sql("EXPLAIN FORMATTED " + sql).collect()[0][0]
                (args.plans / f"{audience}.txt").write_text(plan)
            out["cases"][audience] = [measure(spark, sql, p, args.runs, args.warmup)
                                      for p in args.partitions]
            print(json.dumps({audience: out["cases"][audience]}), file=sys.stderr, flush=True)
    finally:
        spark.stop()
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
