"""The checker's output type: what the SQL backend and the evaluator take as input.

A :class:`CheckedAudience` exists only for an audience that checked without
errors against one market: every name resolves in that market, every type fits,
references are acyclic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from audiencelang import ast

if TYPE_CHECKING:
    from audiencelang.diagnostics import Diagnostic
    from audiencelang.schema.config import Destination
    from audiencelang.schema.market import Market


@dataclass(frozen=True)
class CheckedAudience:
    """One audience, checked against one market.

    ``audiences`` maps this audience's name and the name of every audience it
    references (transitively) to its AST, so a backend can inline references
    without going back to the project. ``destinations`` holds the config of each
    destination the audience activates. ``blocked`` holds, per destination, the
    activation errors (E401-E403) that forbid delivering to it in this market: such
    an error blocks that destination only, not the audience (it still compiles for
    analysis and for its other destinations).
    """

    name: str
    audience: ast.Audience
    market: Market
    file: str | None = None
    audiences: Mapping[str, ast.Audience] = field(default_factory=dict)
    destinations: Mapping[str, Destination] = field(default_factory=dict)
    blocked: Mapping[str, tuple[Diagnostic, ...]] = field(default_factory=dict)
    suppress: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Per destination, the audiences whose members it is never handed (spec §11); their
    ASTs are in ``audiences``."""

    @property
    def market_name(self) -> str:
        return self.market.market
