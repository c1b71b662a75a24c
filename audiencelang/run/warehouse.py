"""Opening a database without exceptions, and each market's own warehouse (issue 17).

:func:`open_engine` is the non-raising form of :func:`audiencelang.run.engines.connect`:
the engine, or the E6xx diagnostics that say why there is none.

A market file may say where its data lives (docs/markets.md, "warehouse")::

    warehouse: {dialect: postgres, url_env: DE_WAREHOUSE_URL}

:func:`market_engine` opens it: the URL comes from that environment variable (never from
a file, never printed: passwords are shown as ``***``), and the engine must speak the
declared dialect. ``--db`` (``db=``) overrides it; a market without ``warehouse`` uses
the default ``audiencelang.duckdb`` in the project root, as before.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from audiencelang.arguments import returns_diagnostics
from audiencelang.diagnostics import Diagnostic, error
from audiencelang.run.engines import Engine, RunError, connect

if TYPE_CHECKING:
    from audiencelang.schema.market import Market

__all__ = ["EngineResult", "market_engine", "open_engine", "warehouse_url"]


@dataclass(frozen=True)
class EngineResult:
    """An open :class:`Engine` (close it, or use it as a context manager), or ``None`` and why."""

    engine: Engine | None
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def ok(self) -> bool:
        return self.engine is not None


@returns_diagnostics(lambda d, _: EngineResult(None, (d,)))
def open_engine(target: str | Path | None, *, project_root: str | Path | None = None) -> EngineResult:
    """Open the database named by ``target`` (as :func:`connect`, docs/run.md); never raises:
    E601 missing file, E602 cannot connect, E603 unsupported target, E604 unsafe session,
    E615 a ``redshift://`` server that is not Redshift-like."""
    try:
        return EngineResult(connect(target, project_root=project_root))
    except RunError as exc:
        return EngineResult(None, tuple(exc.diagnostics))


def warehouse_url(market: Market, environ: Mapping[str, str] | None = None) -> tuple[str | None, list[Diagnostic]]:
    """The URL of ``market``'s warehouse from its ``url_env`` variable: ``(None, [])`` when the
    market names no warehouse, E652 (at ``url_env:`` in the market file) when the variable is
    not set or empty."""
    wh = market.warehouse
    if wh is None:
        return None, []
    env = os.environ if environ is None else environ
    url = env.get(wh.url_env, "")
    if not url.strip():
        return None, [error(
            "E652", f"market {market.market}: environment variable {wh.url_env} (its warehouse's URL) is not set",
            market.value_span_of(("warehouse", "url_env")) if market.source else None,
            f"export {wh.url_env}=… (e.g. postgresql://USER@HOST/DB; docs/run.md lists the URL forms), "
            "or pass --db to run elsewhere", market=market.market)]
    return url, []


@returns_diagnostics(lambda d, _: EngineResult(None, (d,)))
def market_engine(market: Market, *, db: str | Path | None = None, project_root: str | Path | None = None,
                  environ: Mapping[str, str] | None = None) -> EngineResult:
    """The engine ``run``/``explain`` use for ``market``: ``db`` when given, else the market's
    warehouse (E652 its variable is not set, E653 the database there speaks another dialect
    than the market declares), else the default DuckDB file in ``project_root``. Never raises."""
    if db is not None:
        return open_engine(db, project_root=project_root)
    url, diags = warehouse_url(market, environ)
    if diags:
        return EngineResult(None, tuple(diags))
    opened = open_engine(url, project_root=project_root)
    wh = market.warehouse
    if opened.engine is None or wh is None:
        if opened.engine is None and wh is not None:  # say which market's warehouse could not be opened
            return EngineResult(None, tuple(d.model_copy(update={
                "message": f"market {market.market} (warehouse from {wh.url_env}): {d.message}",
                "market": market.market}) for d in opened.diagnostics))
        return opened
    if opened.engine.dialect != wh.dialect:
        found = opened.engine
        found.close()
        return EngineResult(None, (error(
            "E653", f"market {market.market}: the warehouse in {wh.url_env} is a {found.kind} database "
            f"(dialect {found.dialect}), but the market declares dialect {wh.dialect}",
            market.value_span_of(("warehouse", "dialect")) if market.source else None,
            f"point {wh.url_env} at the market's {wh.dialect} warehouse, or correct warehouse.dialect",
            market=market.market),))
    return opened
