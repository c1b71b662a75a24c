"""What the epoch clock (SQL compiled without --as-of, audiencelang/sql/clock.py) costs on DuckDB:
a 20M-row time filter with a GROUP BY, one thread, best of 3 (docs/sql.md, "Without --as-of").

    .venv/bin/python -m bench.epoch_clock
"""

from __future__ import annotations

import json
import time

import duckdb


def main() -> None:
    con = duckdb.connect()
    con.execute("SET threads = 1")
    con.execute("CREATE TABLE e AS SELECT (TIMESTAMP '2024-01-01' + INTERVAL (i) SECOND) AS ts, i % 1000 AS u "
                "FROM range(20000000) t(i)")

    def best(sql: str) -> float:
        b = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            con.execute(sql).fetchall()
            b = min(b, time.perf_counter() - t0)
        return round(b, 3)

    print(json.dumps({
        "literal (--as-of)": best("SELECT u, COUNT(*) FROM e WHERE ts >= '2024-08-01 00:00:00+00:00' GROUP BY u"),
        "typed clock (before)": best("SELECT u, COUNT(*) FROM e WHERE ts >= (SELECT TIMESTAMP '2024-08-01') GROUP BY u"),
        "epoch clock (now)": best("SELECT u, COUNT(*) FROM e WHERE EPOCH_US(ts) >= "
                                  "(SELECT EPOCH_US(TIMESTAMP '2024-08-01')) GROUP BY u"),
    }))


if __name__ == "__main__":
    main()
