"""Audiences a market's own warehouse cannot run (issue 17 item 3).

A market file that says ``warehouse: {dialect: sqlite, ...}`` is compiled for that
dialect; an audience using a feature the dialect lacks (``in sample`` on SQLite, E520;
any other E5xx) would only fail when it runs. :func:`warehouse_findings` compiles every
audience that checks in such a market for its dialect and returns those compile errors,
so ``audiencelang check`` reports them with the rest. Markets without ``warehouse`` are
not compiled (no dialect is known for them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from audiencelang.arguments import returns_diagnostics
from audiencelang.diagnostics import Diagnostic

if TYPE_CHECKING:
    from audiencelang.project import Project

__all__ = ["warehouse_findings"]

#: Any fixed time: what a dialect can write does not depend on it (``run`` always pins one).
_AS_OF = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@returns_diagnostics(lambda d, _: [d])
def warehouse_findings(project: Project, markets: Sequence[str] | None = None) -> list[Diagnostic]:
    """The compile errors (E5xx) of every audience in every market (or ``markets``) that
    names a warehouse dialect, each with its market. Audiences that do not check in the
    market are left to the checker's own findings. Never raises."""
    from audiencelang.check import check_audience
    from audiencelang.sql import compile_audience

    out: list[Diagnostic] = []
    names = sorted(project.markets) if markets is None else [m for m in markets if m in project.markets]
    for market in names:
        wh = project.markets[market].warehouse
        if wh is None:
            continue
        for audience in sorted(project.audiences()):
            checked, _ = check_audience(project, audience, market)
            if checked is None:
                continue
            result = compile_audience(checked, wh.dialect, as_of=_AS_OF)
            for d in result.diagnostics:
                if d.is_error and d.code.startswith("E5"):
                    found = d.model_copy(update={
                        "market": market, "audience": d.audience or audience,
                        "hints": (*d.hints, f"market {market} runs on its warehouse's dialect {wh.dialect} "
                                  "(warehouse.dialect in its market file)")})
                    if found not in out:
                        out.append(found)
    return out
