"""Lint rules that need the whole project: L009 (an audience nobody activates or
references), L010 (two audiences with the same members), L013 (a destination defined
but never activated).

They are computed from every audience of the project, whichever files a ``check``
reports on: an audience's L009/L010 finding is the same in ``check`` and in
``check FILE``; L013 belongs to the config and is reported when the whole project is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from audiencelang import ast
from audiencelang.diagnostics import Diagnostic, Severity

if TYPE_CHECKING:
    from audiencelang.schema.config import ProjectConfig

__all__ = ["audience_findings", "unused_destinations"]


def audience_findings(audiences: Sequence[tuple[str, ast.Audience, Iterable[str]]],
                      keys: Mapping[int, str] | None = None) -> dict[int, list[Diagnostic]]:
    """L009 and L010 per audience (keyed by ``id`` of the audience node).

    ``audiences``: (file key, audience, names it references), every audience of the project;
    ``keys``: the membership keys (or digests of them) already known, by ``id`` of the node."""
    from audiencelang.review.meaning import membership_key

    referenced: set[str] = set()
    for _, aud, refs in audiences:
        referenced |= {r for r in refs if r != aud.name.value}
    out: dict[int, list[Diagnostic]] = {}
    for _, aud, _ in audiences:
        name = aud.name.value
        if not aud.activate and name not in referenced and aud.include is not None:
            out.setdefault(id(aud), []).append(Diagnostic(
                code="L009", severity=Severity.INFO,
                message=f"audience '{name}' is neither activated nor referenced by another audience",
                span=aud.name.span, audience=name,
                hints=("add 'activate DESTINATION', refer to it with 'in audience', or delete it; "
                       "an audience kept for sizing only can say so with '# audiencelang: ignore[L009]'",)))
    first: dict[str, tuple[str, ast.Audience]] = {}
    for key, aud, _ in sorted(audiences, key=lambda x: (x[0], x[1].span.start)):
        if aud.include is None:
            continue
        k = keys.get(id(aud)) if keys is not None else None
        if k is None:
            k = membership_key(aud)
        got = first.get(k)
        if got is None:
            first[k] = (key, aud)
            continue
        fkey, faud = got
        if faud.name.value == aud.name.value:
            continue  # a duplicate name is E306/E112
        out.setdefault(id(aud), []).append(Diagnostic(
            code="L010", severity=Severity.WARNING,
            message=f"audience '{aud.name.value}' has the same members as '{faud.name.value}'",
            span=aud.name.span, audience=aud.name.value,
            hints=(f"'{faud.name.value}' is defined at {fkey}:{faud.name.span.line}:{faud.name.span.column}; "
                   "keep one and activate every destination from it (or refer to it with 'in audience')",)))
    return out


def unused_destinations(config: ProjectConfig, audiences: Iterable[ast.Audience], *,
                        used: set[str] | None = None) -> list[Diagnostic]:
    """L013 at each ``[destinations.NAME]`` that no audience activates (``used``: the
    destinations activated, when known without the audiences)."""
    used = set(used or ()) | {a.destination.value for aud in audiences for a in aud.activate}
    out = []
    for name in sorted(config.destinations):
        if name in used:
            continue
        out.append(Diagnostic(
            code="L013", severity=Severity.WARNING,
            message=f"destination '{name}' is defined but no audience activates it",
            span=config.span_of(("destinations", name)),
            hints=(f"activate it from an audience ('activate {name}') or remove [destinations.{name}]",)))
    return out
