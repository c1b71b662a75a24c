"""What the markets and the project config define, by name, with the facts per market.

Completion and hover both describe a name the same way: its type (or table) in
each market that has it, and which markets lack it.
"""

from __future__ import annotations

from dataclasses import dataclass

from audiencelang.schema.config import ProjectConfig
from audiencelang.schema.market import Market

__all__ = ["Entry", "events", "properties", "purposes", "traits"]


@dataclass(frozen=True)
class Entry:
    """One name: ``per_market`` maps each market that defines it to (physical place, type)."""

    name: str
    per_market: dict[str, tuple[str, str]]
    missing: tuple[str, ...]

    def detail(self) -> str:
        """``integer · de, fr · missing in us`` (types grouped when markets disagree)."""
        by_type: dict[str, list[str]] = {}
        for m, (_, typ) in sorted(self.per_market.items()):
            by_type.setdefault(typ, []).append(m)
        kinds = "; ".join(f"{t} ({', '.join(ms)})" for t, ms in by_type.items())
        if len(by_type) == 1:
            kinds = f"{next(iter(by_type))} · {', '.join(next(iter(by_type.values())))}"
        if self.missing:
            kinds += f" · missing in {', '.join(self.missing)}"
        return kinds

    def table(self, place: str, typ: str) -> str:
        """A markdown table: one row per market."""
        rows = [f"| market | {place} | {typ} |", "|---|---|---|"]
        rows += [f"| {m} | `{p}` | {t} |" for m, (p, t) in sorted(self.per_market.items())]
        rows += [f"| {m} | — (not defined) | |" for m in self.missing]
        return "\n".join(rows)


def _entries(markets: dict[str, Market], found: dict[str, dict[str, tuple[str, str]]]) -> dict[str, Entry]:
    all_markets = sorted(markets)
    return {
        name: Entry(name, per, tuple(m for m in all_markets if m not in per))
        for name, per in sorted(found.items())
    }


def traits(markets: dict[str, Market]) -> dict[str, Entry]:
    found: dict[str, dict[str, tuple[str, str]]] = {}
    for m, market in markets.items():
        for name, f in market.profiles.traits.items():
            found.setdefault(name, {})[m] = (f"{market.profiles.table}.{f.column}", f.type)
    return _entries(markets, found)


def events(markets: dict[str, Market]) -> dict[str, Entry]:
    found: dict[str, dict[str, tuple[str, str]]] = {}
    for m, market in markets.items():
        for name, e in market.events.items():
            where = f" where {e.where.column} = {e.where.equals!r}" if e.where is not None else ""
            found.setdefault(name, {})[m] = (f"{e.table}{where}", "event")
    return _entries(markets, found)


def properties(markets: dict[str, Market], event: str) -> dict[str, Entry]:
    found: dict[str, dict[str, tuple[str, str]]] = {}
    have = {m: market for m, market in markets.items() if event in market.events}
    for m, market in have.items():
        e = market.events[event]
        for name, f in e.properties.items():
            found.setdefault(name, {})[m] = (f"{e.table}.{f.column}", f.type)
    return _entries(have or markets, found)


def purposes(markets: dict[str, Market]) -> dict[str, Entry]:
    found: dict[str, dict[str, tuple[str, str]]] = {}
    for m, market in markets.items():
        if market.consent is None:
            continue
        for name, p in market.consent.purposes.items():
            extra = f", at most {p.max_age_days} days old" if p.max_age_days else ""
            found.setdefault(name, {})[m] = (f"{market.consent.table} = {p.value!r}", f"{p.mode}{extra}")
    return _entries(markets, found)


def destination_doc(config: ProjectConfig, name: str) -> str | None:
    dest = config.destinations.get(name)
    if dest is None:
        return None
    consent = ", ".join(dest.consent) or "none"
    ident = dest.identifier or "none (every member is delivered)"
    return (f"**destination `{name}`**\n\n- minimum size: {dest.min_size:,}\n"
            f"- consent required: {consent}\n- identifier: {ident}")
