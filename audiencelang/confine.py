"""Path confinement: files a project's config names must lie inside the project root.

A config entry (``audiences``, ``markets``) that is absolute, climbs out with ``..``,
or reaches a file through a symlink that resolves elsewhere would make ``check``
read — and quote in its diagnostics — any file the user can read (``/proc/self/environ``,
``~/.ssh/...``). Such entries and files are refused with E214 (docs/security.md).
"""

from __future__ import annotations

import os
from pathlib import Path, PurePath

__all__ = ["EXTRA_ROOTS_ENV", "allowed_roots", "entry_allowed", "entry_leaves_root", "is_inside"]

EXTRA_ROOTS_ENV = "AUDIENCELANG_EXTRA_ROOTS"
"""The explicit opt-in: folders (separated by ``os.pathsep``; relative ones are relative
to the project root) whose files config entries may name besides the root's, e.g. a
monorepo's shared ``../markets``. An environment variable, not a config key: a config
from a pull request must not be able to widen what it may read."""


def allowed_roots(root: Path, environ: dict[str, str] | None = None) -> list[Path]:
    """The project root and the folders of :data:`EXTRA_ROOTS_ENV`."""
    env = os.environ if environ is None else environ
    extra = [Path(p) for p in env.get(EXTRA_ROOTS_ENV, "").split(os.pathsep) if p.strip()]
    return [root, *(p if p.is_absolute() else root / p for p in extra)]


def entry_allowed(entry: str, root: Path, roots: list[Path]) -> bool:
    """True when an entry stays in the root, or (opt-in) names a place under one of ``roots``."""
    if not entry_leaves_root(entry):
        return True
    if len(roots) == 1:
        return False
    target = Path(os.path.normpath(root / Path(entry).expanduser()))
    return any(target == Path(os.path.normpath(r)) or Path(os.path.normpath(r)) in target.parents
               for r in roots[1:])


def entry_leaves_root(entry: str) -> bool:
    """True when a config entry, read as a path relative to the root, is absolute or
    climbs above the root with ``..`` (checked on the text, before touching the disk)."""
    p = PurePath(entry)
    if p.is_absolute() or p.drive or entry.startswith("~"):
        return True
    depth = 0
    for part in p.parts:
        if part == "..":
            depth -= 1
            if depth < 0:
                return True
        elif part not in (".", ""):
            depth += 1
    return False


def is_inside(path: Path, root: Path | list[Path]) -> bool:
    """True when ``path`` — symlinks resolved — is a root (resolved) or below one."""
    try:
        real = Path(os.path.realpath(path))
        bases = [Path(os.path.realpath(r)) for r in (root if isinstance(root, list) else [root])]
    except (OSError, ValueError):
        return False
    return any(real == base or base in real.parents for base in bases)
