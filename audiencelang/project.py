"""The project: config, market schemas and parsed audience files, loaded once.

This is the embedding API the CLI and tools build on::

    from audiencelang.project import load_project

    project = load_project("path/to/project")      # walks up to audiencelang.toml
    for d in project.diagnostics: ...               # E2xx (files) and E1xx (syntax)
    project.markets["de"]                           # Market
    project.audiences()["cart_abandoners"]          # ("audiences/cart.aud", Audience)

Nothing here prints, exits or reads the working directory on its own: the
caller passes the folder to start from.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path

from audiencelang import ast
from audiencelang.confine import allowed_roots, entry_allowed, is_inside
from audiencelang.diagnostics import Diagnostic, Span, error
from audiencelang.files import FileProblem, read_bounded
from audiencelang.schema.config import ProjectConfig
from audiencelang.schema.loader import load_config, load_market
from audiencelang.schema.market import Market

__all__ = [
    "CONFIG_FILE",
    "PYPROJECT_FILE",
    "Project",
    "find_project_root",
    "load_project",
]

CONFIG_FILE = "audiencelang.toml"
PYPROJECT_FILE = "pyproject.toml"
AUDIENCE_SUFFIXES = (".aud",)
MARKET_SUFFIXES = (".yaml", ".yml")
_TOOL_HEADER_RE = re.compile(r"^\s*\[\s*tool\s*\.\s*audiencelang\s*[\].]", re.MULTILINE)
_GLOB_CHARS = frozenset("*?[")


def _pyproject_has_tool(path: Path) -> bool:
    """True when a pyproject.toml has a ``[tool.audiencelang]`` table (or a sub-table of it)."""
    from audiencelang.schema.loader import MAX_FILE_BYTES

    try:  # bounded: a huge pyproject.toml in a parent folder is not read whole (nor parsed)
        text = read_bounded(path, MAX_FILE_BYTES).decode("utf-8-sig")
    except (FileProblem, UnicodeDecodeError):
        return False
    if _TOOL_HEADER_RE.search(text):
        return True  # also when the file has a syntax error: loading will report it
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return False
    tool = doc.get("tool")
    return isinstance(tool, dict) and "audiencelang" in tool


def _config_in(folder: Path) -> Path | None:
    cfg = folder / CONFIG_FILE
    if cfg.is_file():
        return cfg
    pyp = folder / PYPROJECT_FILE
    if pyp.is_file() and _pyproject_has_tool(pyp):
        return pyp
    return None


def find_project_root(start: Path | str) -> Path | None:
    """Walk up from ``start`` (a folder or a file in it) to the first folder holding
    ``audiencelang.toml``, or a ``pyproject.toml`` with a ``[tool.audiencelang]`` table.

    ``audiencelang.toml`` wins over ``pyproject.toml`` in the same folder. Returns the
    folder (absolute), or ``None`` when no ancestor has a config.
    """
    here = Path(start).absolute()
    if here.is_file():
        here = here.parent
    for folder in (here, *here.parents):
        if _config_in(folder) is not None:
            return folder
    return None


def _key(path: Path, root: Path) -> str:
    """The file key: the path relative to the root, in posix form."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return Path(os.path.relpath(path, root)).as_posix()


def _hidden(path: Path, base: Path) -> bool:
    try:
        parts = path.relative_to(base).parts
    except ValueError:
        parts = path.parts
    return any(p.startswith(".") for p in parts)


def _expand(root: Path, entries: Iterable[str], suffixes: tuple[str, ...],
            outside: list[str] | None = None) -> tuple[list[Path], list[str]]:
    """Files named by config entries (folders searched recursively, files, or globs).

    Returns the files (deduplicated, sorted by key) and the entries that match nothing on
    disk. An existing folder matches even when empty (a new project), and an entry whose
    files another entry already found still matches. Files and folders whose name starts
    with ``.`` below an entry are skipped. Entries that leave the root, and files that
    resolve outside it (symlinks), are left out and their entries added to ``outside``
    (:mod:`audiencelang.confine`)."""
    found: dict[str, Path] = {}
    empty: list[str] = []
    refused = outside if outside is not None else []
    roots = allowed_roots(root)
    for entry in entries:
        if not entry_allowed(entry, root, roots):
            refused.append(entry)
            continue
        before = len(found)
        matched = False
        target = root / entry
        if not any(c in _GLOB_CHARS for c in entry):
            matched = target.is_dir() or target.is_file()
            if target.is_dir():
                for f in target.rglob("*"):
                    if f.suffix in suffixes and f.is_file() and not _hidden(f, target):
                        found.setdefault(_key(f, root), f)
            elif target.is_file():
                found.setdefault(_key(target, root), target)
        else:
            pattern = Path(entry).expanduser()
            base = root
            if pattern.is_absolute():  # only under an extra root (entry_allowed)
                base, rel = Path(pattern.anchor), str(pattern.relative_to(pattern.anchor))
            else:
                rel = entry
            for f in base.glob(rel):
                if f.is_file() and not _hidden(f, base):
                    matched = True
                    found.setdefault(_key(f, root), f)
                elif f.is_dir() and not _hidden(f, base):
                    matched = True
                    for g in f.rglob("*"):
                        if g.suffix in suffixes and g.is_file() and not _hidden(g, f):
                            found.setdefault(_key(g, root), g)
        escaped = [k for k in list(found)[before:] if not is_inside(found[k], roots)]
        for k in escaped:
            del found[k]
        if escaped:
            refused.append(entry)
        elif not matched:
            empty.append(entry)
    return [found[k] for k in sorted(found)], empty


class Project:
    """A loaded project. Markets and audience files are loaded on first use, once.

    Attributes: ``root`` (absolute folder), ``config`` (defaults when the config file
    has errors or no project was found), ``config_path`` (``None`` when no project was
    found). ``markets``, ``files``, ``diagnostics`` are computed lazily and cached.
    """

    def __init__(
        self,
        root: Path,
        config: ProjectConfig,
        config_path: Path | None,
        *,
        config_diagnostics: list[Diagnostic] | None = None,
        paths: list[Path] | None = None,
    ) -> None:
        self.root = root
        self.config = config
        self.config_path = config_path
        self._config_diagnostics = list(config_diagnostics or [])
        self._paths = list(paths) if paths is not None else None

    @property
    def config_failed(self) -> bool:
        """True when the config file has errors and the defaults stand in for it."""
        return any(d.is_error for d in self._config_diagnostics)

    def __repr__(self) -> str:
        return f"Project(root={str(self.root)!r}, config_path={str(self.config_path) if self.config_path else None!r})"

    # ----------------------------------------------------------------- keys and files

    def key_of(self, path: Path | str) -> str:
        """The file key (path relative to the root, posix) of a file of this project."""
        p = Path(path)
        return _key(p if p.is_absolute() else self.root / p, self.root)

    def path_of(self, key: str) -> Path:
        """The filesystem path of a file key."""
        return self.root / key

    def read_text(self, key: str) -> str | None:
        """The current text of a file of the project (``None`` when it cannot be read).

        Editors override this (and :meth:`load_market_file`) to serve unsaved text."""
        try:
            return self.path_of(key).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            return None

    def load_market_file(self, path: Path, key: str) -> tuple[Market | None, list[Diagnostic]]:
        """Load one market file (a hook: the language server loads unsaved text instead)."""
        return load_market(path, display=key)

    @cached_property
    def _market_files(self) -> tuple[list[Path], list[str]]:
        return _expand(self.root, self.config.markets, MARKET_SUFFIXES, self._outside["markets"])

    @cached_property
    def _outside(self) -> dict[str, list[str]]:
        """Config entries refused because they leave the root, per setting."""
        return {"markets": [], "audiences": []}

    def _absolute(self, p: Path) -> Path:
        return p if p.is_absolute() else self.root / p

    @cached_property
    def _explicit(self) -> tuple[dict[str, Path], list[Diagnostic]]:
        """Audience files named by ``paths`` (folders searched recursively), by key."""
        found: dict[str, Path] = {}
        diags: list[Diagnostic] = []
        for p in self._paths or []:
            a = self._absolute(p)
            if a.is_dir():
                for f in a.rglob("*"):
                    if f.suffix in AUDIENCE_SUFFIXES and f.is_file() and not _hidden(f, a):
                        found.setdefault(self.key_of(f), f)
            elif a.exists():  # a file, or a FIFO/device: reading refuses those without blocking (E901)
                found.setdefault(self.key_of(a), a)
            else:
                diags.append(error("E201", f"file not found: {p}", Span(path=str(p))))
        return found, diags

    @cached_property
    def _audience_files(self) -> tuple[list[Path], list[str]]:
        files, empty = _expand(self.root, self.config.audiences, AUDIENCE_SUFFIXES, self._outside["audiences"])
        if self._paths is None:
            return files, empty
        merged = {self.key_of(f): f for f in files}
        for k, f in self._explicit[0].items():
            merged.setdefault(k, f)
        return [merged[k] for k in sorted(merged)], empty

    @cached_property
    def targets(self) -> tuple[str, ...]:
        """Keys of the audience files the caller asked about: those under ``paths`` when
        given to :func:`load_project`, else every configured audience file.

        The other files are still parsed (an audience may refer to one in another file);
        a CLI reports findings for ``targets`` only."""
        if self._paths is None:
            return tuple(self.key_of(f) for f in self._audience_files[0])
        return tuple(sorted(self._explicit[0]))

    # ----------------------------------------------------------------- loading

    @cached_property
    def _loaded_markets(self) -> tuple[dict[str, Market], dict[str, str], list[Diagnostic]]:
        markets: dict[str, Market] = {}
        where: dict[str, str] = {}
        diags: list[Diagnostic] = []
        files, empty = self._market_files
        diags.extend(self._unmatched("markets", empty, ProjectConfig().markets))
        diags.extend(self._escaping("markets"))
        for f in files:
            key = self.key_of(f)
            market, found = self.load_market_file(f, key)
            diags.extend(found)
            if market is None:
                continue
            if market.market in markets:
                diags.append(
                    error(
                        "E210",
                        f"market '{market.market}' is already defined in {where[market.market]}",
                        market.value_span_of(("market",)),
                        "each market file needs its own 'market:' name",
                        market=market.market,
                    )
                )
                continue
            markets[market.market] = market
            where[market.market] = key
        return markets, where, diags

    @cached_property
    def _loaded_files(self) -> tuple[dict[str, ast.File], list[Diagnostic]]:
        from audiencelang.syntax import parse_files

        files: dict[str, ast.File] = {}
        diags: list[Diagnostic] = []
        paths, empty = self._audience_files
        diags.extend(self._unmatched("audiences", empty, ProjectConfig().audiences))
        diags.extend(self._escaping("audiences"))
        diags.extend(self._explicit[1])
        keys = [self.key_of(f) for f in paths]
        results = parse_files(list(zip(paths, keys, strict=True)))
        for key, result in zip(keys, results, strict=True):
            diags.extend(result.diagnostics)
            if result.file is not None:
                files[key] = result.file
        return files, diags

    def _escaping(self, setting: str) -> list[Diagnostic]:
        return [
            error(
                "E214",
                f"{setting} entry '{entry}' leaves the project root; its files are not read",
                self.config.span_of((setting,)) if self.config_path else None,
                f"entries must name files inside {self.root} (no absolute paths, no '..' above "
                "the root, no symlinks resolving outside it): copy or move the files into the project",
            )
            for entry in self._outside[setting]
        ]

    def _unmatched(self, setting: str, empty: list[str], defaults: list[str]) -> list[Diagnostic]:
        out: list[Diagnostic] = []
        for entry in empty:
            if entry in defaults and not self.config.is_set((setting,)):
                continue  # the default folder is absent and the setting is not written: fine
            out.append(
                error(
                    "E213",
                    f"{setting} entry '{entry}' matches no file",
                    self.config.span_of((setting,)) if self.config_path else None,
                    f"entries are folders or globs relative to {self.root}",
                )
            )
        return out

    @property
    def markets(self) -> dict[str, Market]:
        """Markets by their ``market:`` name (the first file wins on a duplicate name)."""
        return self._loaded_markets[0]

    @property
    def market_file_keys(self) -> tuple[str, ...]:
        """Keys of every market file the config names, loaded or not (no file is read)."""
        return tuple(self.key_of(f) for f in self._market_files[0])

    @property
    def market_files(self) -> dict[str, str]:
        """Market name → file key of the file that defines it."""
        return self._loaded_markets[1]

    @property
    def files(self) -> dict[str, ast.File]:
        """Parsed audience files by key (path relative to the root, posix), sorted.
        Files that do not parse are absent (their E1xx diagnostics are in ``diagnostics``)."""
        return self._loaded_files[0]

    @cached_property
    def diagnostics(self) -> list[Diagnostic]:
        """Every problem found while loading: config, market files, audience syntax."""
        return [*self._config_diagnostics, *self._loaded_markets[2], *self._loaded_files[1]]

    @cached_property
    def _audiences(self) -> dict[str, tuple[str, ast.Audience]]:
        out: dict[str, tuple[str, ast.Audience]] = {}
        for key, file in self.files.items():
            for aud in file.audiences:
                out.setdefault(aud.name.value, (key, aud))
        return out

    def audience_names(self) -> set[str]:
        """Every audience name the project defines (the candidates of 'did you mean' hints;
        the language server checks part of a project but knows every name)."""
        return set(self._audiences)

    def audiences(self) -> dict[str, tuple[str, ast.Audience]]:
        """Audience name → (file key, node), in file order. On a duplicate name the first
        one (by file key, then position) is kept; reporting duplicates is the checker's job."""
        return dict(self._audiences)


def load_project(root: Path | str | None = None, *, paths: list[Path] | None = None) -> Project:
    """Find and load a project.

    ``root`` is the folder to start from: the project is the nearest folder at or above
    it with a config (see :func:`find_project_root`). When ``root`` is ``None`` the search
    starts from the first of ``paths``. ``paths`` (files or folders of audience files;
    relative ones are taken relative to the project root) are parsed in addition to the
    configured ``audiences`` and become :attr:`Project.targets`.

    Never raises for a user problem: a missing project is an E200 diagnostic (the
    project then has default config, ``config_path`` ``None`` and ``root`` = the start).
    """
    start: Path | None
    if root is not None:
        start = Path(root)
    elif paths:
        start = Path(paths[0])
    else:
        start = None
    if start is None:
        project = Project(Path("."), ProjectConfig(), None, paths=paths, config_diagnostics=[
            error("E200", "no project folder given", None,
                  f"create {CONFIG_FILE} in the project folder, or pass its path")
        ])
        return project
    start = start.absolute()
    found = find_project_root(start)
    if found is None:
        folder = start.parent if start.is_file() else start
        return Project(folder, ProjectConfig(), None, paths=paths, config_diagnostics=[
            error(
                "E200",
                f"no {CONFIG_FILE} (or {PYPROJECT_FILE} with [tool.audiencelang]) found in {folder} or any parent folder",
                Span(path=str(folder)),
                f"create {CONFIG_FILE} at the project root (an empty file uses every default)",
            )
        ])
    config_path = _config_in(found)
    assert config_path is not None
    config, diags = load_config(config_path, display=_key(config_path, found))
    if config is None:
        config = ProjectConfig()  # the errors are reported; carry on with the defaults
    return Project(found, config, config_path, config_diagnostics=diags, paths=paths)

