"""The project's audiences, the audiences they reference and the destinations they feed.

Entry point: :func:`build_graph` (a loaded project -> :class:`Graph`); :func:`render_graph`
writes it as Mermaid, Graphviz DOT or JSON (``"version": 1``). References across files
are resolved by name; an edge inside a reference cycle is marked (red in Mermaid and
DOT, ``"cycle": true`` in JSON) and the cycles are listed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from audiencelang.project import Project

__all__ = ["Graph", "build_graph", "render_graph"]

GRAPH_JSON_VERSION = 1


@dataclass
class Graph:
    audiences: dict[str, str] = field(default_factory=dict)
    """Audience name -> file key."""
    references: list[tuple[str, str]] = field(default_factory=list)
    """(audience, referenced audience), in source order per audience."""
    activations: list[tuple[str, str]] = field(default_factory=list)
    """(audience, destination)."""
    destinations: list[str] = field(default_factory=list)
    """Destinations defined in the config."""
    cycles: list[list[str]] = field(default_factory=list)
    """Each cycle as a path ``a -> b -> a``."""

    @property
    def cycle_edges(self) -> set[tuple[str, str]]:
        return {(c[i], c[i + 1]) for c in self.cycles for i in range(len(c) - 1)}


def build_graph(project: Project) -> Graph:
    from audiencelang import ast
    from audiencelang.check import _cycle_from, _sccs

    g = Graph(destinations=sorted(project.config.destinations))
    auds = project.audiences()
    for name, (key, aud) in sorted(auds.items()):
        g.audiences[name] = key
        seen: set[str] = set()
        for e in (aud.include, aud.exclude):
            if e is None:
                continue
            for n in ast.walk(e):
                if isinstance(n, ast.InAudience) and n.audience.value not in seen:
                    seen.add(n.audience.value)
                    g.references.append((name, n.audience.value))
        for d in dict.fromkeys(a.destination.value for a in aud.activate):
            g.activations.append((name, d))
    adj: dict[str, list[str]] = {n: [] for n in g.audiences}
    for a, b in g.references:
        if b in adj:
            adj[a].append(b)
    for scc in _sccs(adj):
        if len(scc) == 1 and scc[0] not in adj[scc[0]]:
            continue
        g.cycles.append(_cycle_from(scc[0], adj, set(scc)))
    return g


def _mermaid(g: Graph) -> str:
    lines = ["flowchart LR"]
    for name in g.audiences:
        lines.append(f'  a_{name}["{name}"]')
    missing = sorted({b for _, b in g.references if b not in g.audiences})
    for name in missing:
        lines.append(f'  a_{name}["{name} (unknown)"]:::missing')
    dests = sorted(set(g.destinations) | {d for _, d in g.activations})
    for d in dests:
        cls = "" if d in g.destinations else ":::missing"
        lines.append(f'  d_{d}[/"{d}"/]{cls}')
    red: list[int] = []
    i = 0
    cyc = g.cycle_edges
    for a, b in g.references:
        lines.append(f"  a_{a} -->|{'cycle' if (a, b) in cyc else 'in audience'}| a_{b}")
        if (a, b) in cyc:
            red.append(i)
        i += 1
    for a, d in g.activations:
        lines.append(f"  a_{a} -.->|activate| d_{d}")
        i += 1
    if red:
        lines.append(f"  linkStyle {','.join(map(str, red))} stroke:#d00,stroke-width:3px")
    if missing or any(d not in g.destinations for d in dests):
        lines.append("  classDef missing stroke:#d00,stroke-dasharray:4")
    return "\n".join(lines) + "\n"


def _dot(g: Graph) -> str:
    lines = ["digraph audiences {", "  rankdir=LR;", '  node [fontname="Helvetica"];']
    for name, key in g.audiences.items():
        lines.append(f'  "a:{name}" [label="{name}", shape=box, tooltip="{key}"];')
    for name in sorted({b for _, b in g.references if b not in g.audiences}):
        lines.append(f'  "a:{name}" [label="{name} (unknown)", shape=box, style=dashed, color=red];')
    for d in sorted(set(g.destinations) | {d for _, d in g.activations}):
        extra = "" if d in g.destinations else ", style=dashed, color=red"
        lines.append(f'  "d:{d}" [label="{d}", shape=cds{extra}];')
    cyc = g.cycle_edges
    for a, b in g.references:
        attrs = ' [color=red, penwidth=2, label="cycle"]' if (a, b) in cyc else ""
        lines.append(f'  "a:{a}" -> "a:{b}"{attrs};')
    for a, d in g.activations:
        lines.append(f'  "a:{a}" -> "d:{d}" [style=dashed];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def as_json(g: Graph) -> dict[str, Any]:
    cyc = g.cycle_edges
    return {
        "version": GRAPH_JSON_VERSION,
        "audiences": [
            {"name": n, "file": k,
             "references": [b for a, b in g.references if a == n],
             "referenced_by": [a for a, b in g.references if b == n],
             "activates": [d for a, d in g.activations if a == n]}
            for n, k in g.audiences.items()
        ],
        "destinations": [
            {"name": d, "defined": d in g.destinations, "audiences": [a for a, x in g.activations if x == d]}
            for d in sorted(set(g.destinations) | {d for _, d in g.activations})
        ],
        "edges": [{"from": a, "to": b, "kind": "reference", "cycle": (a, b) in cyc} for a, b in g.references]
        + [{"from": a, "to": d, "kind": "activation", "cycle": False} for a, d in g.activations],
        "cycles": g.cycles,
    }


def render_graph(g: Graph, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(as_json(g), indent=2) + "\n"
    if fmt == "dot":
        return _dot(g)
    return _mermaid(g)
