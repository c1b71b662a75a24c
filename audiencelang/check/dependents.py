"""The files a change to some audience files can break: what ``check FILE...`` reports.

A whole-project check reports findings in a file the change did not touch when one of
its audiences refers (directly or through others) to an audience the changed files
define, renamed or deleted, or when it defines a name the changed files define (or
defined) too.
:func:`with_dependents` adds those files to the given ones, so that checking the given
files reports, for every file it reports, exactly what a whole-project check reports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from audiencelang import ast

__all__ = ["with_dependents"]


def with_dependents(targets: Iterable[str], defs: Sequence[tuple[str, ast.Audience, Sequence[ast.Name]]],
                    defined: Mapping[str, object], suspects: Iterable[str] = ()) -> list[str]:
    """``targets`` (file keys) plus every file with an audience that
    (1) has the name of an audience of ``targets`` (a duplicate across files), or
    (2) is one of ``suspects``: names with a cross-file error (a duplicate, a cycle) that
        a change elsewhere (a deleted or renamed audience) may have caused, or
    (3) refers, transitively, to a name of (1) or (2), or to a name no file defines
        (``defined`` holds the names that exist): the given files may have renamed or
        deleted it.

    ``defs``: every audience of the project as (file key, audience, the names it refers to)."""
    keys = set(targets)
    referrers: dict[str, list[tuple[str, str]]] = {}
    by_name: dict[str, list[str]] = {}
    seeds: set[str] = set(suspects)
    for key, aud, refs in defs:
        name = aud.name.value
        by_name.setdefault(name, []).append(key)
        if key in keys:
            seeds.add(name)
        for r in refs:
            referrers.setdefault(r.value, []).append((key, name))
            if r.value not in defined:
                seeds.add(r.value)
    out = set(keys)
    for name in seeds:
        out.update(by_name.get(name, ()))
    seen = set(seeds)
    stack = sorted(seeds)
    while stack:
        name = stack.pop()
        for key, referrer in referrers.get(name, ()):
            out.add(key)
            if referrer not in seen:
                seen.add(referrer)
                stack.append(referrer)
    return sorted(out)
