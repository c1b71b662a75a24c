"""What `check PATHS` does with each path (docs/checks.md, "Which files PATHS may name").

``git diff --name-only | xargs audiencelang check`` passes every changed file. An
audience file (``.aud``) or a folder is checked as before; a market file of the project
is checked, and every audience against its market; the project's config is checked with
every audience (it decides destinations and lint for all of them); any other file is
skipped with a note. Nothing here reads a file: market files are known by the
project's ``markets`` entries, the config by the project found.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from audiencelang.project import Project

__all__ = ["RoutedPaths", "is_audience_path", "route_paths"]


def is_audience_path(path: Path) -> bool:
    """A folder (of audience files) or a file named ``*.aud``."""
    from audiencelang.project import AUDIENCE_SUFFIXES

    return path.suffix in AUDIENCE_SUFFIXES or path.is_dir()


@dataclass
class RoutedPaths:
    """The PATHS that are not audience files, sorted out against a project."""

    market_files: list[str] = field(default_factory=list)
    """Keys of the project's market files among them."""
    config: bool = False
    """True when the project's config file is among them."""
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    """Other files, each with the reason it is not checked."""

    @property
    def whole_project(self) -> bool:
        """A market file or the config changed: every audience may be affected."""
        return bool(self.market_files) or self.config

    def markets(self, project: Project) -> list[str]:
        """The market names the given market files define (those that loaded)."""
        by_key = {key: name for name, key in project.market_files.items()}
        return sorted({by_key[k] for k in self.market_files if k in by_key})


def route_paths(project: Project, paths: list[Path]) -> RoutedPaths:
    """Sort ``paths`` (as given, none of them audience paths) into market files, the config
    file and files that are skipped."""
    from audiencelang.project import MARKET_SUFFIXES

    out = RoutedPaths()
    market_keys = set(project.market_file_keys)
    config = project.config_path.resolve() if project.config_path is not None else None
    for p in paths:
        key = project.key_of(p.absolute())
        if p.suffix in MARKET_SUFFIXES:
            if key in market_keys:
                out.market_files.append(key)
            else:
                out.skipped.append((p, "not one of the project's market files (see `markets` in the config)"))
        elif config is not None and p.resolve() == config:
            out.config = True
        elif p.suffix == ".toml":
            out.skipped.append((p, "not the project's config file"))
        else:
            out.skipped.append((p, "not an audience (.aud), market or config file"))
    return out
