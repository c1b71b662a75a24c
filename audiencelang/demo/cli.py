"""``audiencelang demo generate``: the command over :func:`audiencelang.demo.data.generate`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:  # duckdb and ruamel are imported where used: `audiencelang --version` stays fast
    pass
from audiencelang.demo.data import generate
from audiencelang.demo.specs import DemoError

# --------------------------------------------------------------------------- CLI


def _parse_as_of(ctx: click.Context, param: click.Parameter, value: str) -> dt.datetime:
    del ctx, param
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"not a timestamp: {value!r} (e.g. 2026-11-01T00:00:00Z)") from None
    if parsed.tzinfo is None:
        raise click.BadParameter("give an offset, e.g. 2026-11-01T00:00:00Z")
    return parsed


@click.group(name="demo")
def demo_cli() -> None:
    """Synthetic demo data for trying audiences on a real database."""


@demo_cli.command(name="generate")
@click.option("--db", "db", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="DuckDB file to create (replaced only if demo generate wrote it) [default: audiencelang.duckdb in the "
                   "project root, where `audiencelang run` looks for it].")
@click.option("--project", type=click.Path(exists=True, path_type=Path), default=None,
              help="Project folder (or one market YAML file) [default: found by walking up from the "
                   "current folder].")
@click.option("--profiles", type=click.IntRange(min=1), default=100_000, show_default=True,
              help="Profiles in total, split evenly over the markets.")
@click.option("--events-per-profile", type=click.IntRange(min=0), default=20, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--market", "markets", multiple=True, help="Only this market (repeatable).")
@click.option("--as-of", "as_of", default="2026-11-01T00:00:00Z", show_default=True,
              callback=_parse_as_of, help="Reference time the data is generated around.")
def generate_command(
    db: Path | None,
    project: Path | None,
    profiles: int,
    events_per_profile: int,
    seed: int,
    markets: tuple[str, ...],
    as_of: dt.datetime,
) -> None:
    """Create a DuckDB file with every market's tables, filled with synthetic data."""
    import duckdb

    from audiencelang.project import find_project_root

    if project is None:
        project = find_project_root(Path.cwd())
        if project is None:
            click.echo("error[E200]: no audiencelang project here (no audiencelang.toml, and no "
                       "[tool.audiencelang] in pyproject.toml, in this folder or above)", err=True)
            click.echo("  = hint: run it inside a project, or pass --project DIR (e.g. --project examples)",
                       err=True)
            raise SystemExit(2)
    if db is None:
        db = (project if project.is_dir() else Path.cwd()) / "audiencelang.duckdb"
    try:
        stats = generate(db, project, profiles=profiles, events_per_profile=events_per_profile,
                         seed=seed, markets=markets or None, as_of=as_of)
    except (DemoError, duckdb.Error, OSError) as exc:
        click.echo(f"error[E900]: demo generate: {exc}", err=True)
        raise SystemExit(2) from None
    for m in stats.markets:
        tables = ", ".join(f"{name} {rows:,}" for name, rows in m.tables.items())
        click.echo(f"market {m.market}: {tables}")
    click.echo(
        f"wrote {stats.db_path}: {stats.profiles:,} profiles, {stats.events:,} events, "
        f"as_of {stats.as_of.isoformat().replace('+00:00', 'Z')}, seed {stats.seed} "
        f"({stats.seconds:.1f}s)"
    )
