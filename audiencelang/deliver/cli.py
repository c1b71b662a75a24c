"""The body of ``audiencelang deliver`` (the click command in ``audiencelang/cli.py`` calls
:func:`deliver_command`): parses nothing itself, calls :mod:`audiencelang.deliver`, prints.

Exit codes: 0 delivered or held (a held gate is not an error), 1 a delivery failed (database,
files, lock) or the audience does not check, 2 usage error.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from audiencelang.run.cli import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_USAGE,
    _emit,
    _n,
    _print_diagnostics,
    _usage,
)

HISTORY_JSON_VERSION = 1


def _result_table(results: Sequence[Any]) -> Any:
    from rich.table import Table

    table = Table(box=None, show_edge=False, pad_edge=False, header_style="bold")
    for name, justify in (("audience", "left"), ("market", "left"), ("destination", "left"), ("#", "right"),
                          ("status", "left"), ("members", "right"), ("deliverable", "right"),
                          ("entered", "right"), ("exited", "right"), ("listed", "right"), ("folder", "left")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for r in results:
        g = r.gate
        if r.ok:
            style = "green" if r.status == "delivered" else "yellow"
            status = f"[{style}]{r.status if r.status == 'delivered' else g.status_text}[/]"
        else:
            codes = sorted({d.code for d in r.diagnostics if d.is_error})
            status = f"[red]{r.status.replace('_', ' ')}[/] ({', '.join(codes)})"
        table.add_row(r.audience, r.market, r.destination or "-", _n(r.seq), status,
                      _n(g.members if g else None), _n(g.size if g else None),
                      _n(r.entered) if r.ok else "-", _n(r.exited) if r.ok else "-",
                      _n(r.listed) if r.ok else "-",
                      str(r.folder) if r.folder else ("(dry run)" if r.dry_run else "-"))
    return table


def _history_table(rows: Sequence[Any]) -> Any:
    from rich.table import Table

    from audiencelang.run.execute import format_as_of

    table = Table(box=None, show_edge=False, pad_edge=False, header_style="bold")
    for name, justify in (("when", "left"), ("audience", "left"), ("market", "left"), ("destination", "left"),
                          ("#", "right"), ("as_of", "left"), ("status", "left"), ("members", "right"),
                          ("deliverable", "right"), ("listed", "right"), ("entered", "right"),
                          ("exited", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for r in rows:
        table.add_row(format_as_of(r.created_at.replace(microsecond=0)), r.audience, r.market, r.destination,
                      str(r.seq), format_as_of(r.as_of), r.status, _n(r.members), _n(r.deliverable),
                      _n(r.listed), _n(r.entered), _n(r.exited))
    return table


def deliver_command(*, audience: str | None, market: str | None, destination: str | None, db: str | None,
                    as_of: str | None, output: Path | None, project_dir: Path | None, every: bool,
                    dry_run: bool, full: bool, fmt: str, report: str, show_history: bool) -> int:
    """Run the command; returns the exit code. Never raises for a user problem."""
    from audiencelang.deliver import connect, deliver, deliver_all, history
    from audiencelang.project import load_project
    from audiencelang.run.engines import RunError
    from audiencelang.run.execute import format_as_of, parse_as_of

    if show_history:
        if every or dry_run or full or output is not None:
            return _usage("E614", "--history lists past deliveries: it takes no --all, --output, "
                          "--dry-run or --full")
        if fmt not in ("text", "json"):
            return _usage("E614", f"--history prints text or json, not {fmt}")
    else:
        if fmt not in ("csv", "parquet"):
            return _usage("E614", f"deliver writes csv or parquet files, not {fmt}",
                          "--format text|json is for --history; use --report json for a JSON report")
        if every and (audience or destination):
            return _usage("E614", "give an AUDIENCE (with --destination) or --all, not both")
        if not every and not (audience and destination):
            return _usage("E614", "missing AUDIENCE or --destination",
                          "audiencelang deliver AUDIENCE --market M --destination D --output DIR, or --all")
        if output is None and not dry_run:
            return _usage("E707", "deliver needs --output DIR (or --dry-run)")
    pinned: dt.datetime | None = None
    if as_of is not None:
        try:
            pinned = parse_as_of(as_of)
        except ValueError as exc:
            return _usage("E903", f"invalid --as-of: {exc}")

    project = load_project(project_dir if project_dir is not None else Path.cwd())
    if project.config_path is None:
        _print_diagnostics([d for d in project.diagnostics if d.is_error])
        return EXIT_USAGE
    if market is not None and market not in project.markets:
        from audiencelang.diagnostics import did_you_mean

        return _usage("E910", f"unknown market '{market}'", *did_you_mean(market, list(project.markets)))
    if not every and not show_history and market is None:
        if len(project.markets) != 1:
            names = ", ".join(sorted(project.markets)) or "none"
            return _usage("E910", "which market? give --market M", f"markets of this project: {names}")
        market = next(iter(project.markets))
    try:
        engine = connect(db, project_root=project.root)
    except RunError as exc:
        _print_diagnostics(exc.diagnostics)
        return EXIT_FINDINGS
    with engine:
        if show_history:
            try:
                rows = history(project, engine=engine, audience=audience, market=market, destination=destination)
            except RunError as exc:
                _print_diagnostics(exc.diagnostics)
                return EXIT_FINDINGS
            if fmt == "json":
                sys.stdout.write(json.dumps({"version": HISTORY_JSON_VERSION,
                                             "deliveries": [r.to_json() for r in rows]},
                                            indent=2, ensure_ascii=False) + "\n")
            else:
                _emit(f"[bold]{len(rows)} deliveries[/]" + (f" of {audience}" if audience else ""),
                      _history_table(rows))
            return EXIT_OK
        file_format: Literal["csv", "parquet"] = "parquet" if fmt == "parquet" else "csv"
        if every:
            results = deliver_all(project, engine=engine, as_of=pinned, output=output, dry_run=dry_run,
                                  full=full, fmt=file_format, markets=[market] if market else None)
        else:
            assert audience is not None and market is not None and destination is not None
            results = [deliver(project, audience, market, destination, engine=engine, as_of=pinned,
                               output=output, dry_run=dry_run, full=full, fmt=file_format)]
    for r in results:
        _print_diagnostics(r.diagnostics)
    if report == "json":
        sys.stdout.write(json.dumps({"version": HISTORY_JSON_VERSION, "deliveries": [r.to_json() for r in results]},
                                    indent=2, ensure_ascii=False) + "\n")
    else:
        when = next((r.as_of for r in results if r.as_of is not None), pinned)
        done = sum(r.ok for r in results)
        _emit(f"[bold]{done} of {len(results)} deliveries[/]{' (dry run: nothing written)' if dry_run else ''}"
              f" · as_of {format_as_of(when) if when else '-'}", _result_table(results))
    if all(r.ok for r in results):
        return EXIT_OK
    if every:
        # an audience that does not check in some market is reported, not a failure of --all
        failed = [r for r in results if not r.ok and r.destination]
        return EXIT_FINDINGS if failed else EXIT_OK
    return EXIT_USAGE if results[0].usage_error else EXIT_FINDINGS
