"""The ``audiencelang compile`` command (spec §6), as a function returning the exit status.

0: SQL (or the plan) printed / files written; 1: the audience has check or
compile errors; 2: usage (bad ``--as-of``, unknown dialect/audience/market, no
project, bad option combination). Diagnostics go to stderr, SQL to stdout.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import click

from audiencelang.diagnostics import Diagnostic, did_you_mean, error

if TYPE_CHECKING:
    from audiencelang.project import Project

__all__ = ["CompileOptions", "compile_command"]
Mode = Literal["members", "size"]

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
# a check finding about the request itself, not the audience: a usage error
_USAGE_CODES = {"E500", "E502", "E910"}


@dataclass(frozen=True)
class CompileOptions:
    audience: str | None
    market: str | None
    dialect: str
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

    if opts.dialect not in DIALECTS:
        hints = did_you_mean(opts.dialect, list(DIALECTS))
        return _usage(f"unknown dialect '{opts.dialect}'", "E500", *hints,
                      "supported: " + ", ".join(sorted(DIALECTS)))
    as_of = None
    if opts.as_of is not None:
        as_of = parse_as_of(opts.as_of)
        if as_of is None:
            return _usage(f"--as-of '{opts.as_of}' is not a date or a timestamp with a time zone", "E903",
                          "write 2026-11-01T00:00:00Z, 2026-11-01T01:00:00+01:00 or 2026-11-01 (00:00 UTC)")
    if opts.all:
        if opts.out is None:
            return _usage("--all needs --out DIR", "E900")
        if opts.audience or opts.market or opts.destination or opts.explain:
            return _usage("--all compiles every audience for every market and destination: "
                          "give no AUDIENCE, --market, --destination or --explain with it", "E900")
    else:
        if not opts.audience:
            return _usage("which audience? give AUDIENCE (or --all --out DIR)", "E900")
        if not opts.market:
            return _usage("which market? give --market M", "E900")
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

    if not opts.all:
        assert opts.audience is not None and opts.market is not None
        if opts.market not in project.markets:
            return _usage(f"unknown market '{opts.market}'", "E910",
                          *did_you_mean(opts.market, list(project.markets)))
        if opts.audience not in project.audiences():
            return _usage(f"unknown audience '{opts.audience}'", "E305",
                          *did_you_mean(opts.audience, list(project.audiences())))
        res = compile(project, opts.audience, opts.market, opts.dialect, as_of=as_of,
                      destination=opts.destination, mode=mode)
        _report(res.diagnostics)
        if res.query is None:
            if any(d.code in _USAGE_CODES for d in res.diagnostics):
                return EXIT_USAGE
            return EXIT_FINDINGS
        if opts.explain:
            click.echo(json.dumps(res.query.plan.to_dict(), indent=2, ensure_ascii=False))
        else:
            click.echo(res.query.sql, nl=False)
        return EXIT_CLEAN
    assert opts.out is not None
    return _compile_all(project, opts.dialect, as_of, mode, opts.out)


def _compile_all(project: Project, dialect: str, as_of: dt.datetime | None, mode: Mode, out: Path) -> int:
    from audiencelang.sql import compile

    files: dict[str, str] = {}
    failed: list[Diagnostic] = []
    for name in sorted(project.audiences()):
        _key, aud = project.audiences()[name]
        for market in sorted(project.markets):
            targets: list[str | None] = [None, *sorted({a.destination.value for a in aud.activate})]
            for dest in targets:
                res = compile(project, name, market, dialect, as_of=as_of, destination=dest, mode=mode)
                if res.query is None:
                    failed.extend(d for d in res.diagnostics if d not in failed)
                    break
                suffix = f"__{dest}" if dest else ""
                files[f"{name}__{market}{suffix}.sql"] = res.query.sql
    if failed:
        _report(failed)
        click.echo(f"nothing written: {len(failed)} problem(s)", err=True)
        return EXIT_FINDINGS
    out = out.absolute()
    parent = out.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=parent))
        try:
            for fname, text in files.items():
                (tmp / fname).write_text(text, encoding="utf-8")
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
        return _usage(f"cannot write {out}: {exc.strerror or exc}", "E902")
    click.echo(f"wrote {len(files)} statement(s) for dialect {dialect} to {out}", err=True)
    return EXIT_CLEAN
