"""The ``audiencelang`` command line: a thin layer over the library.

Exit codes: 0 clean, 1 findings (or ``--check`` would change files), 2 usage or
internal error. Heavy modules are imported inside the commands so that
``audiencelang --version`` stays fast.

Each command lives in its own section below; keep sections independent.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from audiencelang.__about__ import __version__

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
EXIT_CLOSED_PIPE = 141
"""The reader of the output went away (``audiencelang rule --all | head -1``): 128 + SIGPIPE,
what the shell reports for ``cat`` or ``grep`` in the same place; nothing is printed."""


def _closed_pipe() -> NoReturn:
    """Exit quietly with :data:`EXIT_CLOSED_PIPE`; stdout is pointed at the null device first,
    so the interpreter's last flush of what is still buffered has nowhere to fail."""
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(EXIT_CLOSED_PIPE)


#: Commands imported when first asked for (their modules cost every other command's start-up).
_LAZY_COMMANDS = {"demo": ("audiencelang.demo.cli", "demo_cli")}


class _Group(click.Group):
    """Turns any escaping exception into a one-line internal error (exit 2), never a traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        got = super().get_command(ctx, cmd_name)
        if got is None and cmd_name in _LAZY_COMMANDS:
            import importlib

            module, attr = _LAZY_COMMANDS[cmd_name]
            got = getattr(importlib.import_module(module), attr)
            assert isinstance(got, click.Command)
            self.add_command(got, cmd_name)
        return got

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
            raise
        except BrokenPipeError:  # the reader of stdout is gone: not an error of ours
            _closed_pipe()
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except Exception as exc:  # the last line of defence
            if os.environ.get("AUDIENCELANG_DEBUG"):
                raise
            click.echo(f"error[E900]: internal error: {type(exc).__name__}: {exc}", err=True)
            click.echo("  = hint: this is a bug in audiencelang; rerun with AUDIENCELANG_DEBUG=1 "
                       "for a traceback and report it", err=True)
            sys.exit(EXIT_USAGE)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="audiencelang")
def main() -> None:
    """Compile declarative customer-audience rules into warehouse SQL."""
    # A CLI run builds many small, acyclic AST nodes: the default collector thresholds
    # make it re-scan them constantly (about 35% of a large `check`). Collect rarely.
    import gc

    gc.set_threshold(100_000, 50, 100)
    # The command line owns its process: it opts in to what a library must not do unasked.
    from audiencelang.process import opt_in

    opt_in(gc_pause=True, worker_processes=True, grammar_cache=True)


#: Set by commands whose only effects are printed output and files they have
#: already closed: :func:`entry` then ends the process without the interpreter's
#: teardown, which frees every AST node one by one (~3 s after checking 5,000 files).
_FAST_EXIT = False


def _fast_exit() -> None:
    global _FAST_EXIT
    _FAST_EXIT = True


#: Set by :func:`entry` (the console script), whose process ends with the command; not
#: when :func:`main` is called by a test runner or an embedder, whose process goes on.
_OWN_PROCESS = False


def _no_collection() -> None:
    """For a command that is one bounded pass over the project, all of whose data lives
    until the process ends (it ends by :func:`_fast_exit`): the cyclic collector stays off
    to the end. Re-enabled after the pass, it would scan every tree built (about 1 s after
    a cold check of 10,000 files) only to exit. Only in the console script's own process."""
    if not _OWN_PROCESS:
        return
    import gc

    gc.disable()


def entry() -> None:
    """The console script: :func:`main`, then a quick exit where it is safe."""
    global _OWN_PROCESS
    _OWN_PROCESS = True
    try:
        main()
        code: object = 0
    except SystemExit as exc:
        code = exc.code
        if type(sys.stdout).__name__.lstrip("_") == "PacifyFlushWrapper":  # click's own --help met a closed pipe
            code = EXIT_CLOSED_PIPE
    except BrokenPipeError:  # written outside a command
        code = EXIT_CLOSED_PIPE
        with contextlib.suppress(SystemExit):
            _closed_pipe()
    try:
        sys.stdout.flush()  # what is still buffered: the reader may be gone by now
    except BrokenPipeError:
        with contextlib.suppress(SystemExit):
            _closed_pipe()
        code = EXIT_CLOSED_PIPE
    except (OSError, ValueError):
        code = code or 1
    if not _FAST_EXIT:
        sys.exit(code)  # type: ignore[arg-type]
    if isinstance(code, str):
        print(code, file=sys.stderr)
        code = 1
    status = code if isinstance(code, int) else (0 if code is None else 1)
    try:
        sys.stderr.flush()
    except (OSError, ValueError):
        status = status or 1
    os._exit(status)


def fail(message: str, code: str = "E900", hint: str | None = None) -> NoReturn:
    """Print a usage/internal error and exit 2."""
    click.echo(f"error[{code}]: {message}", err=True)
    if hint:
        click.echo(f"  = hint: {hint}", err=True)
    sys.exit(EXIT_USAGE)


# --------------------------------------------------------------------------- parse


@main.command("parse")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="json", show_default=True,
              help="json: the typed AST with spans (for tools that embed audiencelang); "
                   "text: an indented outline for people.")
def parse_cmd(file: Path, fmt: str) -> None:
    """Parse FILE and print its AST (or its syntax diagnostics)."""
    import json

    from audiencelang.report import render_text
    from audiencelang.syntax import parse_file

    if not file.exists():
        fail(f"{file}: no such file", "E901")
    result = parse_file(file)
    if result.diagnostics:
        click.echo(render_text(result.diagnostics), err=True, nl=False)
    failed = result.file is None or any(d.is_error for d in result.diagnostics)
    if fmt == "json":  # docs/schemas/ast.schema.json; with errors: version and diagnostics only
        from audiencelang.check.output import diagnostic_json
        from audiencelang.syntax.validate import AST_JSON_VERSION, tree_to_json

        doc: dict[str, Any] = {"version": AST_JSON_VERSION} if failed or result.file is None else tree_to_json(result.file)
        doc["diagnostics"] = [diagnostic_json(d) for d in result.diagnostics]
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
        if failed:
            sys.exit(EXIT_FINDINGS)
    elif failed or result.file is None:
        sys.exit(EXIT_FINDINGS)
    else:
        click.echo(_outline(result.file), nl=False)


def _outline(file: Any) -> str:
    """An indented outline of the AST: one node per line with its kind, key values and place."""
    from pydantic import BaseModel

    from audiencelang import ast

    lines: list[str] = []
    stack: list[tuple[str, object, int]] = [("", file, 0)]
    while stack:
        label, node, depth = stack.pop()
        pad = "  " * depth
        if isinstance(node, tuple):
            for i, item in reversed(list(enumerate(node))):
                stack.append((f"{label}[{i}]", item, depth))
            continue
        if not isinstance(node, ast.Node):
            continue
        scalars = []
        children: list[tuple[str, object, int]] = []
        for name in type(node).model_fields:
            if name in ("span", "kind", "tags_span", "comments"):
                continue
            value = getattr(node, name)
            if isinstance(value, BaseModel | tuple):
                if value != ():
                    children.append((name, value, depth + 1))
            elif value is not None and value is not False:
                scalars.append(f"{name}={value}" if isinstance(value, str | int | float) else f"{name}={value!s}")
        where = f"{node.span.line}:{node.span.column}"
        head = f"{label}: " if label else ""
        kind = getattr(node, "kind", type(node).__name__)
        lines.append(f"{pad}{head}{kind} {' '.join(scalars)}".rstrip() + f"  @{where}")
        stack.extend(reversed(children))
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- fmt (owner: formatter)


def _fmt_targets(paths: tuple[str, ...]) -> list[str]:
    """Files to format: explicit files as given, folders expanded to every ``*.aud`` below them
    (sorted; folders whose name starts with '.' are skipped), ``-`` for stdin."""
    out: list[str] = []
    seen: set[str] = set()
    for raw in paths or (".",):
        if raw == "-":
            out.append(raw)
            continue
        p = Path(raw)
        if not p.exists():
            fail(f"{raw}: no such file or folder", "E901", "pass audience files or folders that hold them")
        if p.is_dir():
            found = sorted(
                f for f in p.rglob("*.aud")
                if f.is_file() and not any(part.startswith(".") for part in f.relative_to(p).parts[:-1])
            )
            files = [str(f) for f in found]
        else:
            files = [raw]
        for f in files:
            if f not in seen:
                seen.add(f)
                out.append(f)
    return out


def _write_atomically(path: Path, data: bytes) -> None:
    import stat
    import tempfile

    path = Path(os.path.realpath(path))  # through a symbolic link: the link stays, its target changes
    mode = stat.S_IMODE(path.stat().st_mode)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@main.command("fmt")
@click.argument("paths", nargs=-1, type=str)
@click.option("--check", is_flag=True, help="Write nothing; exit 1 and list the files that would change.")
@click.option("--diff", "show_diff", is_flag=True,
              help="Write nothing; print a unified diff per file that would change (exit 1 if any).")
def fmt_cmd(paths: tuple[str, ...], check: bool, show_diff: bool) -> None:
    """Rewrite audience files in the canonical layout (default: every *.aud below '.').

    '-' reads stdin and writes the result to stdout. A file that does not parse is
    never rewritten: its diagnostics are printed and the exit code is 1.
    """
    _fast_exit()
    import difflib

    from audiencelang.report import render_text
    from audiencelang.syntax.formatter import FormatError, format_source
    from audiencelang.syntax.parser import MAX_FILE_BYTES

    targets = _fmt_targets(paths)
    changed: list[str] = []
    failed = 0
    unchanged = 0
    for target in targets:
        shown = "<stdin>" if target == "-" else target
        if target == "-":
            data = sys.stdin.buffer.read()
        else:
            from audiencelang.files import FileProblem, read_bounded

            try:
                data = read_bounded(target, MAX_FILE_BYTES)
            except FileProblem as exc:
                if exc.too_large:
                    data = b"\0" * (MAX_FILE_BYTES + 1)  # parse_bytes reports E115 without decoding
                else:
                    click.echo(f"error[E901]: cannot read {shown}: {exc.reason}", err=True)
                    failed += 1
                    continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        try:
            if text is None or "\0" in text or len(data) > MAX_FILE_BYTES:
                from audiencelang.syntax.parser import parse_bytes

                raise FormatError([d for d in parse_bytes(data, shown).diagnostics if d.is_error])
            formatted = format_source(text, path=shown)
        except FormatError as exc:
            sources = {shown: text} if text is not None else None
            click.echo(render_text(exc.diagnostics, sources=sources), err=True, nl=False)
            failed += 1
            if target == "-" and not (check or show_diff):
                sys.stdout.buffer.write(data)  # a filter never loses its input
            continue
        new = formatted.encode("utf-8")
        if new == data:
            unchanged += 1
            if target == "-" and not (check or show_diff):
                sys.stdout.buffer.write(new)
            continue
        changed.append(shown)
        if show_diff:
            old_lines = text.splitlines(keepends=True)
            new_lines = formatted.splitlines(keepends=True)
            rel = not Path(shown).is_absolute() and target != "-"
            diff = difflib.unified_diff(old_lines, new_lines, f"a/{shown}" if rel else shown,
                                        f"b/{shown}" if rel else shown)
            click.echo("".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                               for line in diff), nl=False)
        elif check:
            click.echo(f"would reformat {shown}")
        elif target == "-":
            sys.stdout.buffer.write(new)
        else:
            _write_atomically(Path(target), new)
            click.echo(f"reformatted {shown}", err=True)

    def files(n: int) -> str:
        return f"{n} file{'' if n == 1 else 's'}"

    if targets != ["-"]:
        verb = "would be reformatted" if (check or show_diff) else "reformatted"
        summary = [f"{files(len(changed))} {verb}", f"{files(unchanged)} left unchanged"]
        if failed:
            summary.append(f"{files(failed)} could not be formatted")
        click.echo(", ".join(summary), err=True)
    if failed or ((check or show_diff) and changed):
        sys.exit(EXIT_FINDINGS)


# --------------------------------------------------------------------------- check, rule (owner: checker)

_CHECK_FORMATS = ["full", "concise", "json", "github", "sarif", "junit", "text"]
#: Codes that stop `check` before any report (exit 2). An unreadable market or config file
#: (E201) is a finding at that file instead: the report is still written (issue 12.4).
_USAGE_CODES = frozenset({"E200", "E910"})


def _write_atomic(path: Path, text: str) -> None:
    import tempfile

    path = path.absolute()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@main.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--project", "project_dir", type=click.Path(path_type=Path),
              help="Project folder (default: walk up from the first PATH, or the current folder).")
@click.option("--output-format", "--format", "fmt", type=click.Choice(_CHECK_FORMATS), default="full",
              show_default=True, help="full/text: source lines and hints; concise: one line each; json; "
                                      "github: workflow annotations + full; sarif 2.1.0; junit XML.")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to FILE (atomically) instead of standard output.")
@click.option("--fail-on", type=click.Choice(["error", "warning"]), default="warning", show_default=True,
              help="Exit 1 when a finding of at least this severity is reported.")
@click.option("--market", "-m", "markets", multiple=True, help="Check only this market (repeatable).")
@click.option("--db", "db", metavar="PATH_OR_URL",
              help="Also compare every market file with this database: missing tables (E654) and columns "
                   "(E655), column types that do not hold the declared type (E616).")
@click.option("--warehouses", is_flag=True,
              help="Like --db, with each market's own warehouse (its warehouse.url_env; docs/markets.md).")
@click.option("--no-cache", is_flag=True, envvar="AUDIENCELANG_NO_CACHE",
              help="Neither read nor write the cache (.audiencelang_cache/ in the project; docs/cache.md).")
def check_cmd(paths: tuple[Path, ...], project_dir: Path | None, fmt: str, output: Path | None,
              fail_on: str, markets: tuple[str, ...], db: str | None, warehouses: bool, no_cache: bool) -> None:
    """Parse, type-check every audience against every market, and lint.

    With --db or --warehouses, also report schema drift: every table and column a market
    file maps that the warehouse lacks or stores with another type, at its line.

    PATHS restrict which audience files are reported, with the files a change to them
    can break (audiences that refer to theirs, duplicates of their names or meaning);
    only the files those need are parsed, found through an index of audience names.
    Results are cached per file (--no-cache: not). A market file among PATHS is checked
    with every audience against its market, the config with every audience; other files
    are skipped with a note. Exit 0 clean, 1 findings, 2 usage error."""
    _fast_exit()
    _no_collection()
    from audiencelang.check import CheckReport
    from audiencelang.check.incremental import check_incremental
    from audiencelang.check.output import render
    from audiencelang.check.paths import is_audience_path, route_paths
    from audiencelang.project import load_project
    from audiencelang.report import render_text

    cwd = Path.cwd()
    missing = [p for p in paths if not p.exists()]
    if missing:
        fail(f"{missing[0]}: no such file or folder", "E201")
    if project_dir is not None and not project_dir.is_dir():
        fail(f"--project {project_dir}: no such folder", "E201")
    start = project_dir if project_dir is not None else (paths[0] if paths else cwd)
    audience_paths = [p.absolute() for p in paths if is_audience_path(p)]
    project = load_project(start.absolute(), paths=audience_paths or None)
    cache = None
    if not no_cache and project.config_path is not None:
        from audiencelang.check.cache import CheckCache, cache_folder
        from audiencelang.check.incremental import tool_digest

        cache = CheckCache(cache_folder(project.root), tool_digest())
        project.market_documents = cache  # the market files' YAML as read before (validated as always)
    routed = route_paths(project, [p for p in paths if not is_audience_path(p)])
    for skipped, why in routed.skipped:
        click.echo(f"note: skipping {skipped}: {why}", err=True)
    select: list[str] | None = None  # the project's targets: the audience PATHS, or every file
    if routed.whole_project:
        select = ["."]
    elif paths and not audience_paths:
        select = []  # every PATH was skipped
    chosen = list(markets) or (routed.markets(project) if routed.market_files and not audience_paths
                               and not routed.config else [])
    if db is not None and warehouses:
        fail("give --db or --warehouses, not both", "E900")
    report = check_incremental(project, paths=select, markets=chosen or None, cache=cache)
    if any(project.markets[m].warehouse is not None for m in report.markets if m in project.markets):
        from audiencelang.sql.warehouses import (
            warehouse_findings,  # a feature the market's dialect lacks
        )

        found = warehouse_findings(project, [m for m in report.markets if m in project.markets])
        reported = {name for _key, name in report.audiences}  # only the audiences reported on (PATHS)
        found = [d for d in found if d.audience in reported]
        report = CheckReport(tuple(sorted([*report.diagnostics, *found], key=lambda d: d.sort_key())),
                             report.files, report.audiences, report.markets)
    if db is not None or warehouses:
        from audiencelang.run.drift import schema_drift

        drift = schema_drift(project, db=db, markets=[m for m in (chosen or report.markets) if m in project.markets])
        report = CheckReport(tuple(sorted([*report.diagnostics, *drift], key=lambda d: d.sort_key())), report.files,
                             report.audiences, report.markets)

    def shown(path: str) -> str:
        p = Path(path)
        full = p if p.is_absolute() else project.root / p
        try:
            return os.path.relpath(full, cwd).replace(os.sep, "/")
        except ValueError:
            return full.as_posix()

    diags = tuple(
        d.model_copy(update={"span": d.span.with_path(shown(d.span.path))})
        if d.span is not None and d.span.path else d
        for d in report.diagnostics
    )
    usage = [d for d in diags if d.code in _USAGE_CODES]
    if usage:
        click.echo(render_text(usage), err=True, nl=False)
        sys.exit(EXIT_USAGE)
    report = CheckReport(diags, report.files, report.audiences, report.markets)
    if not report.files and (audience_paths or not paths):  # like ruff: say so (stderr), not a finding
        where = ", ".join(str(p) for p in paths) if paths else f"the project's audience folders ({project.root})"
        click.echo(f"warning: no .aud files found under {where}", err=True)
    text = render(report, fmt, fail_on)
    if output is not None:
        try:
            _write_atomic(output, text)
        except OSError as exc:
            fail(f"cannot write {output}: {exc.strerror or exc}", "E902")
    else:
        click.echo(text, nl=False)
    sys.exit(EXIT_FINDINGS if report.fails(fail_on) else EXIT_CLEAN)


@main.command("clean")
@click.option("--project", "project_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Project folder (default: found by walking up from the current folder).")
def clean_cmd(project_dir: Path | None) -> None:
    """Remove the check cache of the project (.audiencelang_cache/, or $AUDIENCELANG_CACHE_DIR).

    Like `ruff clean`: the cache is rebuilt by the next `check`. Exit 0, 2 no project."""
    from audiencelang.check.cache import cache_folder, clear_cache
    from audiencelang.project import find_project_root

    start = (project_dir or Path.cwd()).absolute()
    root = find_project_root(start)
    if root is None:
        fail(f"no audiencelang.toml (or pyproject.toml with [tool.audiencelang]) found in {start} or any parent folder",
             "E200")
    removed = clear_cache(root)
    if removed is None:
        click.echo(f"no cache to remove ({cache_folder(root)})", err=True)
    else:
        click.echo(f"removed {removed}", err=True)


@main.command("lsp")
@click.option("--stdio", is_flag=True, help="Talk over stdin/stdout (the default; editors may pass it).")
def lsp_cmd(stdio: bool) -> None:
    """Run the language server for editors (over stdio): diagnostics as you type,
    completion, hover, go to definition, references, rename, formatting, quick fixes.
    Needs the 'lsp' extra. Setup per editor: docs/editors.md."""
    try:
        from audiencelang.lsp.server import serve
    except ImportError as exc:
        if (exc.name or "").split(".")[0] not in ("pygls", "lsprotocol", "cattrs", "attrs"):
            raise
        fail(f"the language server needs the 'lsp' extra ({exc.name} is not installed)", "E922",
             "pip install 'audiencelang[lsp]'")
    serve()


@main.command("rule")
@click.argument("code", required=False)
@click.option("--all", "show_all", is_flag=True, help="List every rule and error code.")
@click.option("--output-format", "--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
def rule_cmd(code: str | None, show_all: bool, fmt: str) -> None:
    """Explain one rule (L003, E301, or its name), or list them all with --all."""
    import json

    from audiencelang.check.rules import RULES, get_rule
    from audiencelang.diagnostics import did_you_mean

    def as_json(r: Any) -> dict[str, object]:  # docs/schemas/rule.schema.json (audiencelang.machine.RuleDoc)
        return {"version": 1, "code": r.code, "name": r.name, "severity": r.severity.value, "summary": r.summary,
                "explanation": r.explanation, "bad": r.bad, "good": r.good, "url": r.help_uri}

    if show_all or code is None:
        if code is not None:
            fail("give a rule code or --all, not both", "E900")
        if not show_all:
            fail("which rule? give a code (e.g. L003) or --all", "E900", "audiencelang rule --all")
        if fmt == "json":
            click.echo(json.dumps([as_json(r) for r in RULES.values()], indent=2))
            return
        for r in RULES.values():
            click.echo(f"{r.code}  {r.name:<28} {r.severity.value:<8} {r.summary}")
        return
    rule = get_rule(code)
    if rule is None:
        family = _code_family(code)
        if family is not None:  # a diagnostic of another pass: say where it comes from and where it is explained
            from audiencelang.check.rules import docs_url

            click.echo(f"{code.upper()}: {family}. Not a configurable rule; explained with an example at\n"
                       f"{docs_url(code.upper())}  (docs/errors.md in the source tree)")
            return
        fail(f"unknown rule '{code}'", "E900",
             (did_you_mean(code.upper(), list(RULES)) or ("run 'audiencelang rule --all'",))[0])
    if fmt == "json":
        click.echo(json.dumps(as_json(rule), indent=2))
        return
    indent = "    "
    click.echo(f"{rule.code} {rule.name} (default severity: {rule.severity.value})\n")
    click.echo(f"{rule.summary[0].upper()}{rule.summary[1:]}.\n")
    click.echo(f"{rule.explanation}\n")
    click.echo("Bad:\n" + "".join(f"{indent}{line}\n" for line in rule.bad.splitlines()))
    click.echo("Good:\n" + "".join(f"{indent}{line}\n" for line in rule.good.splitlines()))
    click.echo(f"Docs: {rule.help_uri}")


_FAMILIES = {
    "E1": "a syntax error in an audience file (audiencelang.syntax)",
    "W1": "a syntax warning in an audience file (audiencelang.syntax)",
    "E2": "a problem in a market schema or the project config (audiencelang.schema)",
    "E5": "a problem writing the audience as SQL (audiencelang.sql)",
    "E6": "a problem running on a database (audiencelang.run)",
    "E7": "a problem delivering an audience (audiencelang.deliver)",
    "E9": "a usage or internal error",
}


def _code_family(code: str) -> str | None:
    import re

    c = code.upper()
    if not re.fullmatch(r"[EW]\d{3}", c):
        return None
    return _FAMILIES.get(c[:2])


# --------------------------------------------------------------------------- schema (owner: schema)


@main.command("schema")
@click.argument("which", type=click.Choice(["market", "config", "ast", "check", "run", "compile-explain", "explain",
                                           "diagnostic", "deliver", "deliveries", "rule", "diff", "graph"]))
def schema_cmd(which: str) -> None:
    """Print a JSON Schema: a market file, the project config, or a JSON document audiencelang
    prints (`parse --format json`: ast; `check`/`run --format json`; `compile --explain`: compile-explain;
    `explain --format json`; `deliver --report json`: deliver; `deliver --history --format json`:
    deliveries; one diagnostic)."""
    from audiencelang.machine import machine_json_schemas
    from audiencelang.review.explain import explain_json_schema
    from audiencelang.schema.jsonschema import (
        ast_json_schema,
        config_json_schema,
        dumps,
        market_json_schema,
    )

    fixed = {"market": market_json_schema, "config": config_json_schema, "ast": ast_json_schema,
             "explain": explain_json_schema}
    click.echo(dumps(fixed[which]() if which in fixed else machine_json_schemas()[which]), nl=False)


# --------------------------------------------------------------------------- compile (owner: sql)


@main.command("compile")
@click.argument("audience", required=False)
@click.option("--market", "-m", metavar="M",
              help="Market to compile for (optional when the project has one market; with --all: only M).")
@click.option("--dialect", "-d", metavar="D",
              help="Target dialect: duckdb, postgres, sqlite, snowflake, bigquery, redshift, databricks, "
                   "spark, trino, clickhouse, mysql, tsql [default: the market's warehouse.dialect].")
@click.option("--as-of", "as_of", metavar="TS",
              help="Reference time: 2026-11-01T00:00:00Z, an offset like +01:00, or a date (00:00 UTC). "
                   "Default: the warehouse's current UTC time.")
@click.option("--destination", metavar="X", help="Deliver to X: adds the identifier column and X's gate.")
@click.option("--project", "project_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Project folder (default: found by walking up from the current folder).")
@click.option("--size", is_flag=True, help="Return one row with the member count (column 'size').")
@click.option("--explain", is_flag=True, help="Print the query plan (JSON) instead of the SQL.")
@click.option("--all", "all_", is_flag=True, help="Compile every audience x market (x destination) into --out.")
@click.option("--out", type=click.Path(path_type=Path), help="Folder written by --all (replaced atomically; only a new or empty folder, or "
                   "one an earlier --all wrote).")
def compile_cmd(audience: str | None, market: str | None, dialect: str | None, as_of: str | None,
                destination: str | None, project_dir: Path | None, size: bool, explain: bool,
                all_: bool, out: Path | None) -> None:
    """Print one SQL statement for AUDIENCE in market M and dialect D (spec §6)."""
    _fast_exit()
    from audiencelang.sql.command import CompileOptions, compile_command

    sys.exit(compile_command(CompileOptions(
        audience=audience, market=market, dialect=dialect, as_of=as_of, destination=destination,
        project=project_dir, size=size, explain=explain, all=all_, out=out,
    )))


# --------------------------------------------------------------------------- run (owner: run)


@main.command("run")
@click.argument("audience", required=False)
@click.option("--market", "-m", "market", metavar="M",
              help="Market to run in (optional when the project has one market; with --all, "
                   "limits the runs to M).")
@click.option("--db", "db", metavar="PATH_OR_URL", envvar="AUDIENCELANG_DB",
              help="DuckDB/SQLite file, duckdb:///PATH, sqlite:///PATH or postgresql://URL "
                   "[default: audiencelang.duckdb in the project root; env AUDIENCELANG_DB].")
@click.option("--as-of", "as_of", metavar="TS",
              help="Reference time: 2026-11-01T00:00:00Z, an offset, or a date (00:00 UTC) "
                   "[default: the database's current time, read once].")
@click.option("--output", "-o", "output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write members to FILE.csv or FILE.parquet (atomically).")
@click.option("--destination", "-d", "destination", metavar="X",
              help="Report destination X only; with --output, write X's gated member file "
                   "(member_id, identifier).")
@click.option("--project", "project_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Project folder [default: found by walking up from the current folder].")
@click.option("--all", "run_every", is_flag=True, help="Run every audience in every market (or in --market).")
@click.option("--no-batch", "no_batch", is_flag=True,
              help="With --all: one statement per audience, instead of statements shared by the "
                   "audiences of a market (docs/run.md, \"Batch runs\").")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def run_cmd(audience: str | None, market: str | None, db: str | None, as_of: str | None,
            output: Path | None, destination: str | None, project_dir: Path | None,
            run_every: bool, no_batch: bool, fmt: str) -> None:
    """Run AUDIENCE on a database: size and gate status per destination; write members.

    Exit codes: 0 ran (a held gate is not an error), 1 the audience does not check or
    compile, or the database reported an error, 2 usage error."""
    from audiencelang.run.cli import run_command

    sys.exit(run_command(audience=audience, market=market, db=db, as_of=as_of, output=output,
                         destination=destination, project_dir=project_dir, run_every=run_every,
                         fmt=fmt, batch=not no_batch))


# --------------------------------------------------------------------------- deliver (owner: deliver)


@main.command("deliver")
@click.argument("audience", required=False)
@click.option("--market", "-m", "market", metavar="M", help="Market (optional when the project has one).")
@click.option("--destination", "-d", "destination", metavar="D", help="Destination the audience activates.")
@click.option("--db", "db", metavar="PATH_OR_URL", envvar="AUDIENCELANG_DB",
              help="DuckDB/SQLite file or postgresql://URL [default: audiencelang.duckdb in the project "
                   "root; env AUDIENCELANG_DB].")
@click.option("--as-of", "as_of", metavar="TS",
              help="Reference time [default: the database's current time, read once].")
@click.option("--output", "-o", "output", type=click.Path(file_okay=False, path_type=Path),
              help="Folder receiving one sub-folder per delivery (entered, exited files).")
@click.option("--project", "project_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Project folder [default: found by walking up from the current folder].")
@click.option("--all", "every", is_flag=True, help="Every audience x market x destination it activates.")
@click.option("--dry-run", is_flag=True, help="Compute the gate and the change; write no file and no state.")
@click.option("--full", is_flag=True, help="Also write the whole list (members.csv).")
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet", "text", "json"]), default=None,
              help="Files: csv (default) or parquet; with --history: text (default) or json.")
@click.option("--report", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="What a delivery prints.")
@click.option("--history", "show_history", is_flag=True,
              help="List past deliveries (of AUDIENCE, --market, --destination) instead of delivering.")
def deliver_cmd(audience: str | None, market: str | None, destination: str | None, db: str | None,
                as_of: str | None, output: Path | None, project_dir: Path | None, every: bool, dry_run: bool,
                full: bool, fmt: str | None, report: str, show_history: bool) -> None:
    """Deliver AUDIENCE to destination D: the members who entered and exited since the last
    delivery, written to --output and recorded in the warehouse (spec §11, docs/deliver.md).

    Exit codes: 0 delivered or held, 1 a delivery failed or the audience does not check,
    2 usage error."""
    from audiencelang.deliver.cli import deliver_command

    sys.exit(deliver_command(audience=audience, market=market, destination=destination, db=db, as_of=as_of,
                             output=output, project_dir=project_dir, every=every, dry_run=dry_run, full=full,
                             fmt=fmt or ("text" if show_history else "csv"), report=report,
                             show_history=show_history))


# --------------------------------------------------------------------------- diff, graph (owner: review)


@main.command("diff")
@click.argument("base", required=False)
@click.argument("head", required=False)
@click.option("--project", "project_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Project folder [default: found by walking up from the current folder].")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True, help="markdown: a pull-request comment; json: stable, with a version field.")
@click.option("--db", "db", metavar="PATH_OR_URL",
              help="Count members before and after on this database (as `run --db`).")
@click.option("--as-of", "as_of", metavar="TS", help="Reference time of the member counts (with --db).")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to FILE (atomically) instead of standard output.")
def diff_cmd(base: str | None, head: str | None, project_dir: Path | None, fmt: str, db: str | None,
             as_of: str | None, output: Path | None) -> None:
    """What changed between git revisions BASE and HEAD, audience by audience, in words.

    Default: BASE is HEAD, HEAD the working tree. Exit 0 reported, 1 a member count
    failed (--db), 2 usage error."""
    from audiencelang.review.command import diff_command

    sys.exit(diff_command(base, head, project_dir=project_dir, fmt=fmt, db=db, as_of=as_of, output=output))


@main.command("graph")
@click.option("--project", "project_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Project folder [default: found by walking up from the current folder].")
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot", "json"]), default="mermaid",
              show_default=True)
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the graph to FILE (atomically) instead of standard output.")
def graph_cmd(project_dir: Path | None, fmt: str, output: Path | None) -> None:
    """Audiences, the audiences they reference and the destinations they feed.

    Exit 0, 1 when references form a cycle (E307; the graph is still printed, the
    cycle marked), 2 usage error."""
    from audiencelang.review.command import graph_command

    sys.exit(graph_command(project_dir=project_dir, fmt=fmt, output=output))


@main.command("explain")
@click.argument("audience")
@click.option("--market", "-m", "market", metavar="M",
              help="Market (optional when the project has one market).")
@click.option("--profile", "-p", "profile", metavar="ID", required=True,
              help="The profile id, as the warehouse prints it (compared as text with the id column).")
@click.option("--db", "db", metavar="PATH_OR_URL", envvar="AUDIENCELANG_DB",
              help="DuckDB/SQLite file or postgresql://URL, as `run --db` "
                   "[default: audiencelang.duckdb in the project root; env AUDIENCELANG_DB].")
@click.option("--as-of", "as_of", metavar="TS",
              help="Reference time [default: the database's current time].")
@click.option("--project", "project_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Project folder [default: found by walking up from the current folder].")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="json: stable, with a version field (docs/schemas/explain.schema.json).")
def explain_cmd(audience: str, market: str | None, profile: str, db: str | None, as_of: str | None,
                project_dir: Path | None, fmt: str) -> None:
    """Why profile ID is in or out of AUDIENCE: every condition with its value, read from the warehouse.

    Reads only that profile's rows (bound parameters, one statement per table). Exit 0
    explained (member or not), 1 no such profile (E640), the audience does not check, or
    a database error, 2 usage error."""
    from audiencelang.review.command import explain_command

    sys.exit(explain_command(audience, market=market, profile=profile, db=db, as_of=as_of,
                             project_dir=project_dir, fmt=fmt))


@main.command("docs")
@click.option("--out", "out", type=click.Path(path_type=Path), required=True,
              help="Folder to write (replaced whole; only a new or empty folder, or one an earlier `docs` wrote).")
@click.option("--project", "project_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Project folder [default: found by walking up from the current folder].")
@click.option("--db", "db", default=None, metavar="PATH_OR_URL",
              help="Show the deliveries recorded in this database's state tables (read-only).")
def docs_cmd(out: Path, project_dir: Path | None, db: str | None) -> None:
    """Write a static, searchable HTML catalogue of the project's audiences to DIR.

    Open DIR/index.html in a browser (file://, no server). With --db, each audience page
    shows its recorded deliveries (`deliver`). Exit 0 written, 1 the database could not be
    read, 2 usage error (E904 a folder it must not replace, E902 cannot write)."""
    from audiencelang.review.command import docs_command

    sys.exit(docs_command(project_dir=project_dir, out=out, db=db))


# --------------------------------------------------------------------------- demo (owner: demo)
# `audiencelang demo ...`: audiencelang.demo.cli.demo_cli, imported when asked for (_LAZY_COMMANDS)


if __name__ == "__main__":  # pragma: no cover
    entry()
