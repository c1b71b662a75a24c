"""The ``audiencelang`` command line: a thin layer over the library.

Exit codes: 0 clean, 1 findings (or ``--check`` would change files), 2 usage or
internal error. Heavy modules are imported inside the commands so that
``audiencelang --version`` stays fast.

Each command lives in its own section below; keep sections independent.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from audiencelang.__about__ import __version__

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class _Group(click.Group):
    """Turns any escaping exception into a one-line internal error (exit 2), never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except Exception as exc:  # noqa: BLE001 - the last line of defence
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
              help="json: the typed AST with spans (for tools that embed audiencelang).")
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
    if result.file is None or any(d.is_error for d in result.diagnostics):
        sys.exit(EXIT_FINDINGS)
    if fmt == "json":
        click.echo(json.dumps(result.file.model_dump(mode="json"), indent=2, ensure_ascii=False))
    else:
        click.echo(result.file.model_dump_json(indent=2))


# --------------------------------------------------------------------------- fmt (owner: formatter)

# --------------------------------------------------------------------------- check, rule (owner: checker)

# --------------------------------------------------------------------------- schema (owner: schema)


@main.command("schema")
@click.argument("which", type=click.Choice(["market", "config"]))
def schema_cmd(which: str) -> None:
    """Print the JSON Schema of a market file or of the project config (for editors and CI)."""
    from audiencelang.schema.jsonschema import config_json_schema, dumps, market_json_schema

    click.echo(dumps(market_json_schema() if which == "market" else config_json_schema()), nl=False)


# --------------------------------------------------------------------------- compile (owner: sql)

# --------------------------------------------------------------------------- run (owner: run)

# --------------------------------------------------------------------------- demo (owner: demo)

from audiencelang.run.demo import demo_cli  # noqa: E402  (imports duckdb only when run)

main.add_command(demo_cli)


if __name__ == "__main__":  # pragma: no cover
    main()
