"""Cost growth: audiences with 1, 2, 4, ..., 64 event conditions on one event table
(web.ereignisse: page_view, add_to_cart, session with property filters, counts and
windows). Good SQL reads the table about once whatever the number of conditions
(runtime near flat); the compiler's time should grow linearly."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from bench import api
from bench.common import AS_OF, EXAMPLES, MARKET, REPO, NotReady, in_window, summarize, timed
from bench.sqlbench import floor_sql_of

_PATHS = ["/sale", "/products/", "/checkout", "/account", "/"]
_CATS = ["shoes", "electronics", "home", "bags", "beauty"]
_DEVICES = ["mobile", "desktop", "tablet"]


def _at_least(times: int) -> str:
    return f" at least {times} {'time' if times == 1 else 'times'}"


def condition(i: int) -> str:
    kind = i % 3
    days = 7 * (1 + i % 8)
    count = _at_least(1 + (i // 3) % 3)
    if kind == 0:
        return f'performed page_view where path starts with "{_PATHS[i % 5]}"{count} in last {days} days'
    if kind == 1:
        return f'performed add_to_cart where category = "{_CATS[i % 5]}"{count} in last {days} days'
    return f'performed session where device = "{_DEVICES[i % 3]}"{count} in last {days} days'


def same_filter_condition(j: int) -> str:
    """Condition ``j`` of the control series: one row filter (sale-page views) and one widest
    window (56 days, condition 0) at every size, so the rows read stay the same; windows and
    counts vary (at most 8 distinct windows)."""
    return f'performed page_view where path starts with "/sale"{_at_least(1 + j % 3)} in last {7 * (8 - j % 8)} days'


def _filter_sql(i: int) -> str:
    """Condition ``i``'s row filter on the physical table (market de), for counting rows."""
    kind = i % 3
    if kind == 0:
        return f"ereignis = 'seitenaufruf' AND starts_with(pfad, '{_PATHS[i % 5]}')"
    if kind == 1:
        return f"ereignis = 'warenkorb' AND kategorie = '{_CATS[i % 5]}'"
    return f"ereignis = 'sitzung' AND geraet = '{_DEVICES[i % 3]}'"


def rows_read_sql(k: int) -> str:
    """Rows the conditions read: per distinct row filter, the rows inside its widest window,
    summed (a row matching two filters counts twice), and the rows of their union."""
    widest: dict[str, int] = {}
    for i in range(k):
        f = _filter_sql(i)
        widest[f] = max(widest.get(f, 0), 7 * (1 + i % 8))

    def rows(f: str, days: int) -> str:
        return f"({in_window('zeitpunkt', days)} AND {f})"

    summed = " + ".join(f"count(*) FILTER (WHERE {rows(f, d)})" for f, d in widest.items())
    union = " OR ".join(rows(f, d) for f, d in widest.items())
    return f"SELECT {summed}, count(*) FILTER (WHERE {union}), {len(widest)} FROM web.ereignisse"


def widest_days(k: int) -> int:
    return max(7 * (1 + i % 8) for i in range(k))


def floor_sql(k: int, per_user: bool) -> str:
    """The scan floor of ``k`` conditions, as in the sql section: ``web.ereignisse`` inside
    the widest window."""
    return floor_sql_of([("web.ereignisse", "zeitpunkt", widest_days(k))], per_user)


def audience(k: int, same_filter: bool = False) -> str:
    """k conditions: pairs joined with ``and``, the pairs joined with ``or``."""
    conds = [same_filter_condition(i) if same_filter else condition(i) for i in range(k)]
    if k == 1:
        expr = conds[0]
    else:
        expr = "\n  or ".join(f"({conds[i]}\n      and {conds[i + 1]})" for i in range(0, k, 2))
    name = f"same_filter_{k}" if same_filter else f"growth_{k}"
    return f"audience {name} {{\n  include\n  {expr}\n}}\n"


def _project(folder: Path, k: int) -> None:
    """A one-audience project (so checking it checks only that audience)."""
    (folder / "audiences").mkdir(parents=True)
    (folder / "markets").mkdir()
    shutil.copyfile(EXAMPLES / "markets" / "de.yaml", folder / "markets" / "de.yaml")
    (folder / "audiencelang.toml").write_text('audiences = ["audiences"]\nmarkets = ["markets"]\n')
    (folder / "audiences" / f"growth_{k}.aud").write_text(audience(k) + "\n" + audience(k, True),
                                                           encoding="utf-8")


def run(quick: bool, con: Any | None, *, data_label: str, plot_path: Path) -> dict[str, Any]:
    sizes = [1, 2, 4, 8, 16, 32, 64]
    runs = 3
    out: dict[str, Any] = {"sizes": sizes, "runs": runs, "example": audience(4), "rows": {}}
    with tempfile.TemporaryDirectory(prefix="audiencelang-growth-") as tmpname:
        folders = {k: Path(tmpname) / f"growth_{k}" for k in sizes}
        for k, folder in folders.items():
            _project(folder, k)
        texts = {k: audience(k) for k in sizes}
        # compiler side: parse, check, compile per size (fresh project per round)
        parse_t: dict[int, list[float]] = {k: [] for k in sizes}
        check_t: dict[int, list[float]] = {k: [] for k in sizes}
        comp_t: dict[int, list[float]] = {k: [] for k in sizes}
        sql: dict[int, str] = {}
        compile_status: str | None = None
        for _ in range(runs + 1):  # the first round is a warm-up
            for k in sizes:
                project = api.load_project(folders[k])
                _ = project.files, project.markets
                parse_t[k].append(timed(lambda k=k: api.parse(texts[k]))[0])
                t, checked = timed(lambda k=k, project=project: api.check_audience(project, f"growth_{k}", MARKET))
                check_t[k].append(t)
                try:
                    t, sql[k] = timed(lambda checked=checked: api.compile_sql(checked, "duckdb", AS_OF))
                    comp_t[k].append(t)
                except NotReady as exc:
                    compile_status = str(exc)
        for k in sizes:
            out["rows"][str(k)] = {
                "parse_s": summarize(parse_t[k][1:])["median"],
                "check_s": summarize(check_t[k][1:])["median"],
                "compile_s": summarize(comp_t[k][1:])["median"] if comp_t[k] else None,
            }
        out["compile_status"] = "measured" if compile_status is None else f"not measured yet: {compile_status}"
        # the control series: same rows read at every size (one row filter, one widest window)
        same_sql: dict[int, str] = {}
        if compile_status is None:
            for k in sizes:
                checked = api.check_audience(api.load_project(folders[k]), f"same_filter_{k}", MARKET)
                same_sql[k] = api.compile_sql(checked, "duckdb", AS_OF)
        # SQL side: interleaved over sizes (round-robin), one warm-up round
        if sql and con is not None:
            samples: dict[int, list[float]] = {k: [] for k in sizes}
            same: dict[int, list[float]] = {k: [] for k in sizes}
            floors: dict[tuple[int, bool], list[float]] = {(k, u): [] for k in sizes for u in (False, True)}
            members: dict[int, int] = {}
            for r in range(runs + 1):
                order = sizes if r % 2 == 0 else list(reversed(sizes))
                for k in order:
                    t, res = timed(lambda k=k: con.execute(sql[k]).fetchnumpy())
                    members[k] = len(next(iter(res.values())))
                    if r:
                        samples[k].append(t)
                    for u in (False, True):
                        t, _ = timed(lambda k=k, u=u: con.execute(floor_sql(k, u)).fetchall())
                        if r:
                            floors[(k, u)].append(t)
                    t, _ = timed(lambda k=k: con.execute(same_sql[k]).fetchall())
                    if r:
                        same[k].append(t)
            for k in sizes:
                summed, union, filters = con.execute(rows_read_sql(k)).fetchone()
                out["rows"][str(k)].update(rows_read=int(summed), rows_union=int(union), row_filters=int(filters))
                out["rows"][str(k)]["floor"] = summarize(floors[(k, False)])
                out["rows"][str(k)]["user_floor"] = summarize(floors[(k, True)])
                out["rows"][str(k)]["widest_days"] = widest_days(k)
                out["rows"][str(k)]["sql"] = summarize(samples[k])
                out["rows"][str(k)]["members"] = members[k]
                out["rows"][str(k)]["sql_chars"] = len(sql[k])
                out["rows"][str(k)]["same_filter_sql"] = summarize(same[k])
            out["sql_status"] = "measured"
        else:
            out["sql_status"] = "not measured yet: " + (compile_status or "no database")
    out["plot"] = plot(out, data_label, plot_path)
    return out


def plot(result: dict[str, Any], data_label: str, path: Path) -> str | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    sizes = result["sizes"]
    rows = [result["rows"][str(k)] for k in sizes]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    sql = [r.get("sql", {}).get("median") for r in rows]
    if all(v is not None for v in sql):
        lo = [r["sql"]["min"] for r in rows]
        hi = [r["sql"]["max"] for r in rows]
        ax1.plot(sizes, sql, "o-", label="generated SQL (median)")
        ax1.fill_between(sizes, lo, hi, alpha=0.2, label="min-max")
        ys = [r.get("same_filter_sql", {}).get("median") for r in rows]
        if all(v is not None for v in ys):
            ax1.plot(sizes, ys, "d-.", label="control: one row filter, rows read constant")
        for key, label, style in (("user_floor", "user floor (count distinct user)", "s--"),
                                  ("floor", "scan floor (count(*))", "^:")):
            ys = [r.get(key, {}).get("median") for r in rows]
            if all(v is not None for v in ys):
                ax1.plot(sizes, ys, style, label=label)
        ax1.set_ylim(bottom=0)
        ax1.legend()
    else:
        ax1.text(0.5, 0.5, "not measured yet\n(SQL backend missing)", ha="center", va="center",
                 transform=ax1.transAxes)
    ax1.set_xlabel("event conditions in the audience")
    ax1.set_ylabel("DuckDB runtime (s)")
    ax1.set_title(f"SQL runtime ({data_label})")
    for key, label in (("parse_s", "parse"), ("check_s", "check"), ("compile_s", "compile to SQL")):
        ys = [r.get(key) for r in rows]
        if all(v is not None for v in ys):
            ax2.plot(sizes, [y * 1000 for y in ys], "o-", label=label)
    ax2.set_xlabel("event conditions in the audience")
    ax2.set_ylabel("time (ms)")
    ax2.set_title("compiler time per audience")
    ax2.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)
    return str(path.relative_to(REPO))
