"""The body of ``audiencelang run`` (the click command in ``audiencelang/cli.py`` calls
:func:`run_command`). Prints a table of size and gate status per destination.

Exit codes: 0 ran (a held gate is not an error), 1 check/compile findings or a
database error, 2 usage error (unknown audience, market or destination, bad
``--as-of``, bad ``--output`` extension, no project).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from audiencelang.diagnostics import Diagnostic, Severity, did_you_mean, error

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def _print_diagnostics(diags: Sequence[Diagnostic]) -> None:
    from audiencelang.report import render_text

    shown = [d for d in diags if d.is_error or (d.severity is Severity.WARNING and not d.code.startswith("L"))]
    out: list[str] = []
    for d in sorted(shown, key=lambda d: d.sort_key()):
        if d.span is not None:
            out.append(render_text([d]))
            continue
        # Database and command-line problems have no source position: no "-->" line.
        out.append(f"{d.severity.value}[{d.code}]: {d.message}\n")
        out.extend(f"  = hint: {h}\n" for h in d.hints)
    if out:
        sys.stderr.write("".join(out))
        sys.stderr.flush()


def _usage(code: str, message: str, *hints: str) -> int:
    _print_diagnostics([error(code, message, None, *hints)])
    return EXIT_USAGE


def _emit(*items: Any) -> None:
    """Print rich renderables to stdout: terminal width and colours on a terminal; no
    wrapping, no colours and no trailing spaces when piped (for grep, diff, CI logs)."""
    import io
    import shutil

    from rich.console import Console

    tty = sys.stdout.isatty()
    buf = io.StringIO()
    width = shutil.get_terminal_size().columns if tty else 10_000
    console = Console(file=buf, width=width, force_terminal=tty, no_color=not tty,
                      highlight=False, soft_wrap=False)
    for item in items:
        console.print(item)
    sys.stdout.write("".join(line.rstrip() + "\n" for line in buf.getvalue().splitlines()))
    sys.stdout.flush()


def _n(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _result_json(r: Any) -> dict[str, Any]:
    from audiencelang.check.output import diagnostic_json
    from audiencelang.machine import MACHINE_JSON_VERSION
    from audiencelang.run.execute import format_as_of

    return {  # docs/schemas/run.schema.json (audiencelang.machine.RunDoc)
        "version": MACHINE_JSON_VERSION,
        "audience": r.audience,
        "market": r.market,
        "status": r.status,
        "as_of": format_as_of(r.as_of) if r.as_of else None,
        "seconds": round(r.seconds, 3),
        "size": r.size,
        "min_size": r.min_size,
        "audience_status": r.audience_status,
        "destinations": [
            {"destination": g.destination, "minimum": g.minimum, "size": g.size,
             "members": g.members if g.members is not None else g.size,
             "without_identifier": g.without_identifier, "suppressed": g.suppressed,
             "delivered": g.delivered_count, "status": g.status, "status_text": g.status_text}
            for g in r.gates
        ],
        "output": str(r.output) if r.output else None,
        "output_rows": r.output_rows,
        "diagnostics": [diagnostic_json(d) for d in r.diagnostics if d.is_error or not d.code.startswith("L")],
    }


def _single_table(r: Any) -> Any:
    from rich.table import Table

    table = Table(box=None, show_edge=False, pad_edge=False, header_style="bold")
    table.add_column("destination")
    table.add_column("minimum", justify="right")
    table.add_column("size", justify="right")
    table.add_column("without identifier", justify="right")
    table.add_column("suppressed", justify="right")
    table.add_column("delivered", justify="right")
    table.add_column("status")
    style = "green" if r.audience_status == "ok" else "yellow"
    table.add_row("(audience)", str(r.min_size), _n(r.size), "", "", "", f"[{style}]{r.audience_status}[/]")
    for g in r.gates:
        style = "green" if g.delivered else "yellow"
        table.add_row(g.destination, str(g.minimum), _n(g.members if g.members is not None else g.size),
                      _n(g.without_identifier), _n(g.suppressed), _n(g.delivered_count),
                      f"[{style}]{g.status_text}[/]")
    return table


def _summary_table(results: Sequence[Any]) -> Any:
    from rich.table import Table

    table = Table(box=None, show_edge=False, pad_edge=False, header_style="bold")
    for name, justify in (("audience", "left"), ("market", "left"), ("size", "right"),
                          ("min size", "right"), ("seconds", "right"), ("status", "left")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for r in results:
        if r.ok:
            style = "green" if r.audience_status == "ok" else "yellow"
            dests = f"[{style}]{r.audience_status}[/]"
            if r.gates:
                dests += "; " + ", ".join(f"{g.destination} {g.status_text}" for g in r.gates)
        else:
            codes = sorted({d.code for d in r.diagnostics if d.is_error})
            # not_run because the market's warehouse cannot be opened (E6xx): not a compile problem
            label = ("database error" if r.status == "failed"
                     else "not run" if codes and all(c.startswith("E6") for c in codes) else "does not compile")
            dests = f"[red]{label}[/] ({', '.join(codes)})"
        table.add_row(r.audience, r.market, _n(r.size), str(r.min_size), f"{r.seconds:.2f}", dests)
    return table


def run_command(*, audience: str | None, market: str | None, db: str | None, as_of: str | None,
                output: Path | None, destination: str | None, project_dir: Path | None,
                run_every: bool, fmt: str, batch: bool = True) -> int:
    """Run the command; returns the exit code. Never raises for a user problem."""
    from audiencelang.project import load_project
    from audiencelang.run.execute import format_as_of, parse_as_of, run_all, run_audience
    from audiencelang.run.output import output_format
    from audiencelang.run.warehouse import EngineResult, market_engine, open_engine

    # -- arguments first: nothing is opened or run for a usage error
    if run_every and audience:
        return _usage("E614", "give an AUDIENCE or --all, not both")
    if not run_every and not audience:
        return _usage("E614", "missing AUDIENCE", "audiencelang run AUDIENCE --market M, or --all")
    if run_every and (output or destination):
        return _usage("E614", "--output and --destination need one AUDIENCE, not --all")
    if not run_every and not batch:
        return _usage("E614", "--no-batch goes with --all")
    pinned: dt.datetime | None = None
    if as_of is not None:
        try:
            pinned = parse_as_of(as_of)
        except ValueError as exc:
            return _usage("E903", f"invalid --as-of: {exc}")  # E612 until 0.1: the code `compile` uses
    if output is not None:
        try:
            output_format(output)
        except ValueError as exc:
            return _usage("E613", str(exc))

    project = load_project(project_dir if project_dir is not None else Path.cwd())
    if project.config_path is None:
        _print_diagnostics([d for d in project.diagnostics if d.is_error])
        return EXIT_USAGE
    markets: list[str] | None = None
    if market is not None:
        if market not in project.markets:
            known = list(project.markets)
            return _usage("E910", f"unknown market '{market}'", *did_you_mean(market, known))
        markets = [market]
    elif not run_every:
        if len(project.markets) == 1:
            markets = list(project.markets)
        else:
            names = ", ".join(sorted(project.markets)) or "none"
            return _usage("E910", "which market? give --market M", f"markets of this project: {names}")
    if audience is not None and audience not in project.audiences():
        return _usage("E610", f"unknown audience '{audience}'",
                      *did_you_mean(audience, list(project.audiences())))

    # --db wins; else a single run opens its market's warehouse (docs/markets.md, "warehouse"),
    # and --all gives each market its own (run_all with engine=None); else audiencelang.duckdb
    per_market = db is None and any(project.markets[m].warehouse is not None for m in markets or project.markets)
    if db is None and not run_every and markets:
        opened = market_engine(project.markets[markets[0]], project_root=project.root)
    elif per_market and run_every:
        opened = EngineResult(None)
    else:
        opened = open_engine(db, project_root=project.root)
    if opened.engine is None and not (per_market and run_every):
        _print_diagnostics(opened.diagnostics)
        if fmt == "json":  # the JSON reader gets the same finding, in the run document's shape
            from audiencelang.run.execute import RunResult

            failed = [RunResult(audience=a, market=m, status="not_run", diagnostics=opened.diagnostics)
                      for a in ([audience] if audience else sorted(project.audiences()))
                      for m in (markets or sorted(project.markets))]
            doc: Any = [_result_json(r) for r in failed] if run_every else _result_json(failed[0])
            sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        return EXIT_FINDINGS
    with opened.engine if opened.engine is not None else contextlib.nullcontext():
        engine = opened.engine
        if not run_every:
            assert audience is not None and markets is not None
            result = run_audience(project, audience, markets[0], engine=engine, as_of=pinned,
                                  destinations=[destination] if destination else None,
                                  output=output, output_destination=destination if output else None)
            _print_diagnostics(result.diagnostics)
            if fmt == "json":
                sys.stdout.write(json.dumps(_result_json(result), indent=2, ensure_ascii=False) + "\n")
            elif result.ok:
                assert result.as_of is not None
                _emit(f"[bold]{result.audience}[/] · market {result.market} · as_of "
                      f"{format_as_of(result.as_of)} · {result.seconds:.2f} s", _single_table(result))
                if result.output is not None:
                    what = (f"{destination} members (gated in SQL)" if destination else "members")
                    _stderr_console().print(f"wrote {result.output_rows:,} {what} to {result.output}")
            if result.ok:
                return EXIT_OK
            return EXIT_USAGE if result.usage_error else EXIT_FINDINGS

        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        from audiencelang.run.execute import count_pairs

        err = _stderr_console()
        started = time.perf_counter()
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      console=err, transient=True, disable=not err.is_terminal) as progress:
            task = progress.add_task("running audiences", total=count_pairs(project, markets))

            def advance(r: Any) -> None:
                progress.update(task, advance=1, description=f"{r.audience} [{r.market}]")

            results = run_all(project, engine=engine, markets=markets, as_of=pinned, progress=advance,
                              batch=batch)
        # one finding shared by many runs (a market's warehouse URL not set: E652 for each of
        # its audiences) is printed once; the JSON keeps it on every run
        shown: set[tuple[str, str, str]] = set()
        for r in results:
            fresh = [d for d in r.diagnostics if (d.code, d.message, str(d.span)) not in shown]
            shown.update((d.code, d.message, str(d.span)) for d in r.diagnostics)
            _print_diagnostics(fresh)
        if fmt == "json":
            sys.stdout.write(json.dumps([_result_json(r) for r in results], indent=2,
                                        ensure_ascii=False) + "\n")
        else:
            when = next((r.as_of for r in results if r.as_of is not None), pinned)
            ran = sum(r.ok for r in results)
            _emit(f"[bold]{ran} of {len(results)} runs[/] · as_of {format_as_of(when) if when else '-'}"
                  f" · {time.perf_counter() - started:.2f} s", _summary_table(results))
        return EXIT_OK if all(r.ok for r in results) else EXIT_FINDINGS
