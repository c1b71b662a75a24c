"""Path confinement: files a project's config names must lie inside the project root.

A config entry (``audiences``, ``markets``) that is absolute, climbs out with ``..``,
or reaches a file through a symlink that resolves elsewhere would make ``check``
read — and quote in its diagnostics — any file the user can read (``/proc/self/environ``,
``~/.ssh/...``). Such entries and files are refused with E214 (docs/security.md).
"""

from __future__ import annotations

import os
from pathlib import Path, PurePath

__all__ = ["entry_leaves_root", "is_inside"]


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


def is_inside(path: Path, root: Path) -> bool:
    """True when ``path`` — symlinks resolved — is ``root`` (resolved) or below it."""
    try:
        real = Path(os.path.realpath(path))
        base = Path(os.path.realpath(root))
    except (OSError, ValueError):
        return False
    return real == base or base in real.parents
