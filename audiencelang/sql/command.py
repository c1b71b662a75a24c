"""The ``audiencelang compile`` command (spec §6), as a function returning the exit status.

0: SQL (or the plan) printed / files written; 1: the audience has check or
compile errors; 2: usage (bad ``--as-of``, unknown dialect/audience/market, no
project, bad option combination). Diagnostics go to stderr, SQL to stdout.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import click

from audiencelang.diagnostics import Diagnostic, did_you_mean, error, nearest

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from audiencelang import ast
    from audiencelang.project import Project


__all__ = ["MARKER", "CompileOptions", "compile_command"]
Mode = Literal["members", "size"]

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
# written into every folder `compile --all --out DIR` creates: only such a folder (or an
# empty one) is ever replaced, so a mistyped --out cannot delete a project
MARKER = ".audiencelang-compiled"
_MARKER_TEXT = ("This folder is written by `audiencelang compile --all --out`; the next run replaces it "
                "whole.\nDelete this file to stop audiencelang from ever replacing the folder.\n")
# a check finding about the request itself, not the audience: a usage error
_USAGE_CODES = {"E500", "E502", "E910"}


@dataclass(frozen=True)
class CompileOptions:
    audience: str | None
    market: str | None
    dialect: str | None
    as_of: str | None = None
    destination: str | None = None
    project: Path | None = None
    size: bool = False
    explain: bool = False
    all: bool = False
    out: Path | None = None


def _report(diags: list[Diagnostic] | tuple[Diagnostic, ...]) -> None:
    if diags:
        from audiencelang.report import render_text

        click.echo(render_text(diags), err=True, nl=False)


def _usage(message: str, code: str, *hints: str) -> int:
    _report([error(code, message, None, *hints)])
    return EXIT_USAGE


def compile_command(opts: CompileOptions) -> int:
    from audiencelang.project import load_project
    from audiencelang.sql import DIALECTS, compile, parse_as_of

    if opts.dialect is not None and opts.dialect not in DIALECTS:
        close = nearest(opts.dialect, list(DIALECTS))
        hint = ("did you mean " + ", ".join(f"'{c}'" for c in close) + "?" if close
                else "supported: " + ", ".join(sorted(DIALECTS)))
        return _usage(f"unknown dialect '{opts.dialect}'", "E500", hint)
    as_of = None
    if opts.as_of is not None:
        as_of = parse_as_of(opts.as_of)
        if as_of is None:
            return _usage(f"--as-of '{opts.as_of}' is not a date or a timestamp with a time zone", "E903",
                          "write 2026-11-01T00:00:00Z, 2026-11-01T01:00:00+01:00 or 2026-11-01 (00:00 UTC)")
    if opts.all:
        if opts.out is None:
            return _usage("--all needs --out DIR", "E900")
        if opts.audience or opts.destination or opts.explain:
            return _usage("--all compiles every audience (for every market, or --market M) and destination: "
                          "give no AUDIENCE, --destination or --explain with it", "E900")
    else:
        if not opts.audience:
            return _usage("which audience? give AUDIENCE (or --all --out DIR)", "E900")
        if opts.out is not None:
            return _usage("--out goes with --all", "E900")

    project = load_project(opts.project if opts.project is not None else Path.cwd())
    if project.config_path is None:
        _report(project.diagnostics)
        return EXIT_USAGE
    load_errors = [d for d in project.diagnostics if d.is_error and not (d.span and (d.span.path or "").endswith(".aud"))]
    if load_errors:
        _report(load_errors)
        return EXIT_FINDINGS
    mode: Mode = "size" if opts.size else "members"

    market = opts.market
    if market is not None and market not in project.markets:
        return _usage(f"unknown market '{market}'", "E910", *did_you_mean(market, list(project.markets)))
    if not opts.all:
        assert opts.audience is not None
        if market is None:  # like `run`: optional when the project has exactly one market
            if len(project.markets) != 1:
                names = ", ".join(sorted(project.markets)) or "none"
                return _usage("which market? give --market M", "E910", f"markets of this project: {names}")
            market = next(iter(project.markets))
        if opts.audience not in project.audiences():
            return _usage(f"unknown audience '{opts.audience}'", "E610",
                          *did_you_mean(opts.audience, list(project.audiences())))
        dialects = _dialects(project, [market], opts.dialect)
        if isinstance(dialects, int):
            return dialects
        res = compile(project, opts.audience, market, dialects[market], as_of=as_of,
                      destination=opts.destination, mode=mode)
        _report(res.diagnostics)
        if res.query is None:
            if any(d.code in _USAGE_CODES for d in res.diagnostics):
                return EXIT_USAGE
            return EXIT_FINDINGS
        if opts.explain:
            from audiencelang.machine import MACHINE_JSON_VERSION

            explained = {"version": MACHINE_JSON_VERSION, **res.query.plan.to_dict(), "strategy": res.query.strategy}
            click.echo(json.dumps(explained, indent=2, ensure_ascii=False))
        else:
            click.echo(res.query.sql, nl=False)
        return EXIT_CLEAN
    assert opts.out is not None
    refusal = _refuse_out(project, opts.out)
    if refusal is not None:
        return _usage(*refusal)
    chosen = [market] if market else sorted(project.markets)
    dialects = _dialects(project, chosen, opts.dialect)
    if isinstance(dialects, int):
        return dialects
    return _compile_all(project, dialects, as_of, mode, opts.out, chosen)


def _dialects(project: Project, markets: list[str], given: str | None) -> dict[str, str] | int:
    """Market -> the dialect to compile for: ``--dialect``, else the market's
    ``warehouse.dialect`` (docs/markets.md); a usage error (E500) when neither says."""
    if given is not None:
        return dict.fromkeys(markets, given)
    out: dict[str, str] = {m: wh.dialect for m in markets if (wh := project.markets[m].warehouse) is not None}
    missing = [m for m in markets if m not in out]
    if missing:
        return _usage(f"which dialect? give --dialect D (market{'s' if len(missing) > 1 else ''} "
                      f"{', '.join(missing)} name{'' if len(missing) > 1 else 's'} no warehouse)", "E500",
                      "or say where the market lives: warehouse: {dialect: ..., url_env: ...} in its file "
                      "(docs/markets.md)")
    return out


def _inside(path: Path, folder: Path) -> bool:
    """``path`` is ``folder`` or below it (both absolute, symbolic links resolved)."""
    return path == folder or folder in path.parents


def _refuse_out(project: Project, out: Path) -> tuple[str, str, str] | None:
    """Why ``--out`` must not be replaced, if it must not: it holds (or is) the project
    config or an audience/market source, or it is a non-empty folder that an earlier
    ``compile --all`` did not write (no :data:`MARKER`)."""
    target = out.resolve()
    sources = [project.config_path, *(project.path_of(k) for k in project.files),
               *(project.path_of(k) for k in project.market_files.values())]
    sources += [project.root / e for e in (*project.config.audiences, *project.config.markets)
                if not any(ch in e for ch in "*?[")]
    for src in sources:
        if src is not None and _inside(src.resolve(), target):
            return (f"refusing to replace {out}: it holds the project's own files ({src.resolve()})", "E904",
                    "--all --out replaces the whole folder: give it a folder of its own, e.g. --out build/sql")
    if target.is_dir() and not (target / MARKER).is_file() and any(target.iterdir()):
        return (f"refusing to replace {out}: the folder is not empty and was not written by "
                f"`audiencelang compile --all` (no {MARKER} file in it)", "E904",
                "--all --out replaces the whole folder: give an empty or new folder, e.g. --out build/sql")
    return None


def _folder_mode(out: Path) -> int:
    """The mode of the folder ``--all`` writes: that of the folder it replaces, else what
    ``mkdir`` gives under the process umask."""

    try:
        if out.is_dir():
            return stat.S_IMODE(out.stat().st_mode)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o777 & ~mask


@contextlib.contextmanager
def _frozen_heap(every: int = 500) -> Iterator[Callable[[], None]]:
    """When the process opted in (``gc_pause``, the CLI): move what is alive into the
    collector's permanent generation every ``every`` audiences (after collecting the
    garbage), so that no collection rescans the project and the statements compiled so far:
    ``compile --all`` of n audiences did n/k full collections of a heap growing with n."""
    import gc

    from audiencelang.process import options

    if not options.gc_pause:
        yield lambda: None
        return
    count = [0]

    def step() -> None:
        count[0] += 1
        if count[0] % every == 0:
            gc.collect()
            gc.freeze()

    gc.collect()
    gc.freeze()
    try:
        yield step
    finally:
        gc.unfreeze()


def _compile_one(project: Project, name: str, aud: ast.Audience, markets: list[str], dialects: dict[str, str],
                 as_of: dt.datetime | None, mode: Mode, files: dict[str, str], failed: list[Diagnostic],
                 seen: set[Diagnostic]) -> None:
    from audiencelang.sql import compile

    for market in markets:
        targets: list[str | None] = [None, *sorted({a.destination.value for a in aud.activate})]
        for dest in targets:
            res = compile(project, name, market, dialects[market], as_of=as_of, destination=dest, mode=mode)
            if res.query is None:
                for d in res.diagnostics:
                    if d not in seen:
                        seen.add(d)
                        failed.append(d)
                break
            suffix = f"__{dest}" if dest else ""
            files[f"{name}__{market}{suffix}.sql"] = res.query.sql


def _compile_all(project: Project, dialects: dict[str, str], as_of: dt.datetime | None, mode: Mode, out: Path,
                 markets: list[str]) -> int:
    files: dict[str, str] = {}
    failed: list[Diagnostic] = []
    seen: set[Diagnostic] = set()
    audiences = project.audiences()  # once: it is a copy of the project's table (O(n) a call)
    with _frozen_heap() as step:
        for name in sorted(audiences):
            step()
            _compile_one(project, name, audiences[name][1], markets, dialects, as_of, mode, files, failed, seen)
    if failed:

        _report(failed)
        click.echo(f"nothing written: {len(failed)} problem(s)", err=True)
        return EXIT_FINDINGS
    shown = out
    out = out.absolute()
    if out.is_symlink():  # write into the link's target; the link stays a link
        out = out.resolve()
    parent = out.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        folder_mode = _folder_mode(out)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=parent))
        try:
            os.chmod(tmp, folder_mode)  # mkdtemp makes 0700: the folder should look like any other one
            for fname, text in files.items():
                (tmp / fname).write_text(text, encoding="utf-8")
            (tmp / MARKER).write_text(_MARKER_TEXT, encoding="utf-8")
            if out.exists():
                if not out.is_dir():
                    raise NotADirectoryError(f"{out} exists and is not a folder")
                old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=parent))
                os.replace(out, old / "d")
                try:
                    os.replace(tmp, out)
                except OSError:
                    os.replace(old / "d", out)  # put the previous folder back
                    raise
                finally:
                    if out.exists():
                        shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(tmp, out)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    except OSError as exc:
        return _usage(f"cannot write {shown}: {exc.strerror or exc}", "E902")
    used = sorted(set(dialects.values()))
    said = f"dialect {used[0]}" if len(used) == 1 else "dialects " + ", ".join(
        f"{m}: {d}" for m, d in sorted(dialects.items()))
    click.echo(f"wrote {len(files)} statement(s) for {said} to {shown}", err=True)
    return EXIT_CLEAN
