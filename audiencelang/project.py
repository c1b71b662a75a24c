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
import threading
import tomllib
from collections.abc import Iterable, Mapping
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from audiencelang import ast
from audiencelang.arguments import returns_diagnostics
from audiencelang.confine import allowed_roots, entry_allowed, is_inside
from audiencelang.diagnostics import Diagnostic, Span, error
from audiencelang.files import FileProblem, read_bounded
from audiencelang.schema.config import ProjectConfig
from audiencelang.schema.loader import (
    decode_text,
    load_config,
    load_config_text,
    load_market_text,
    read_text,
)
from audiencelang.schema.market import Market

if TYPE_CHECKING:
    from audiencelang.check import Alone, CheckContext
    from audiencelang.schema.loader import MarketDocuments
    from audiencelang.syntax.parser import ParseResult

__all__ = [
    "CONFIG_FILE",
    "PYPROJECT_FILE",
    "AudienceSource",
    "ConfigSource",
    "MarketSource",
    "Project",
    "find_project_root",
    "load_project",
    "project_from_sources",
]

#: What :meth:`Project.from_sources` takes for a config: its TOML text (or bytes), a loaded
#: :class:`ProjectConfig`, or ``None`` (every default, like an empty ``audiencelang.toml``).
ConfigSource = str | bytes | ProjectConfig | None
#: A market file: its YAML text (or bytes), or an already loaded :class:`Market`.
MarketSource = str | bytes | Market
#: An audience file: its text (or bytes), or an already built :class:`audiencelang.ast.File`.
AudienceSource = str | bytes | ast.File
# A market file once read: its text, a loaded Market, or why it could not be read.
_MarketInput = str | Path | Market | list[Diagnostic]

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
    s, r = str(path), str(root)
    if s.startswith(r) and s[len(r):len(r) + 1] == os.sep and path.is_absolute():  # the common case, fast
        return s[len(r) + 1:].replace(os.sep, "/")
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return Path(os.path.relpath(path, root)).as_posix()


def _hidden(path: Path, base: Path) -> bool:
    s, b = str(path), str(base)
    if s.startswith(b) and s[len(b):len(b) + 1] == os.sep:  # the common case, fast
        return any(p.startswith(".") for p in s[len(b) + 1:].split(os.sep))
    try:
        parts = path.relative_to(base).parts
    except ValueError:
        parts = path.parts
    return any(p.startswith(".") for p in parts)


def _expand(root: Path, entries: Iterable[str], suffixes: tuple[str, ...],
            outside: list[str] | None = None) -> tuple[list[Path], list[str]]:
    """:func:`_expand_keyed`, the files only."""
    keyed, empty = _expand_keyed(root, entries, suffixes, outside)
    return list(keyed.values()), empty


def _expand_keyed(root: Path, entries: Iterable[str], suffixes: tuple[str, ...],
                  outside: list[str] | None = None) -> tuple[dict[str, Path], list[str]]:
    """Files named by config entries (folders searched recursively, files, or globs).

    Returns the files by key (deduplicated, in key order) and the entries that match nothing on
    disk. An existing folder matches even when empty (a new project), and an entry whose
    files another entry already found still matches. Files and folders whose name starts
    with ``.`` below an entry are skipped. Entries that leave the root, and files that
    resolve outside it (symlinks), are left out and their entries added to ``outside``
    (:mod:`audiencelang.confine`)."""
    found: dict[str, Path] = {}
    empty: list[str] = []
    refused = outside if outside is not None else []
    roots = allowed_roots(root)
    real_dirs: dict[str, bool] = {}
    walked: dict[str, tuple[str, bool]] = {}  # key -> (path, whether a symbolic link), as the walk saw it
    root_s = str(root) + os.sep

    def add_below(folder: Path) -> None:
        for s, f, link in _files_below(folder, suffixes):
            k = s[len(root_s):].replace(os.sep, "/") if s.startswith(root_s) else _key(f, root)
            if k not in found:
                found[k] = f
                walked[k] = (s, link)

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
                add_below(target)
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
                    add_below(f)
        escaped = [k for k in list(found)[before:] if not _inside(found[k], roots, real_dirs, walked.get(k))]
        for k in escaped:
            del found[k]
        if escaped:
            refused.append(entry)
        elif not matched:
            empty.append(entry)
    return {k: found[k] for k in sorted(found)}, empty


def _suffix(name: str) -> str:
    """``Path(name).suffix``."""
    i = name.rfind(".")
    return name[i:] if 0 < i < len(name) - 1 else ""


def _files_below(folder: Path, suffixes: tuple[str, ...]) -> list[tuple[str, Path, bool]]:
    """The files with one of ``suffixes`` below ``folder`` (symbolic links to files
    included, links to folders not followed), skipping names that start with ``.`` and
    what is below them: ``folder.rglob("*")`` filtered by suffix, ``is_file`` and
    :func:`_hidden`, in one ``scandir`` per folder (no ``stat`` of a plain file: 10,000
    files in a few milliseconds). Each as (path, ``Path``, whether a symbolic link)."""
    out: list[tuple[str, Path, bool]] = []
    stack = [folder]
    while stack:
        here = stack.pop()
        try:
            with os.scandir(here) as it:
                entries = list(it)
        except OSError:  # as rglob: a folder that cannot be listed has no files
            continue
        child = getattr(here, "_make_child_relpath", here.joinpath)  # (no parse of the path: 3.11, 3.12)
        for e in entries:
            name = e.name
            if name.startswith("."):
                continue
            try:
                link = e.is_symlink()
                if e.is_dir(follow_symlinks=False):
                    stack.append(child(name))
                    continue
                if _suffix(name) not in suffixes or not (e.is_file() if link else e.is_file(follow_symlinks=False)):
                    continue
            except OSError:
                continue
            out.append((e.path, child(name), link))
    return out


def _inside(path: Path, roots: list[Path], real_dirs: dict[str, bool], walked: tuple[str, bool] | None = None) -> bool:
    """:func:`is_inside`, resolving each folder once: a file that is not a symbolic link
    is inside when its folder (resolved) is. ``walked``: the path as a string and whether
    it is a symbolic link, when the walk saw them."""
    s, link = walked if walked is not None else (str(path), os.path.islink(path))
    if link:
        return is_inside(path, roots)
    folder = s[:s.rfind(os.sep)] if walked is not None else os.path.dirname(s)
    got = real_dirs.get(folder)
    if got is None:
        got = real_dirs[folder] = is_inside(Path(folder), roots)
    return got


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
        # In-memory projects (from_sources): the files as given, by key; None when on disk.
        self._lock = threading.RLock()  # loading happens once, also with threads sharing the project
        self._memory_markets: list[tuple[str, _MarketInput]] | None = None
        self._memory_audiences: list[tuple[str, AudienceSource | list[Diagnostic]]] | None = None
        #: where market files read before are kept (``check`` sets its cache; ``None``: read each)
        self.market_documents: MarketDocuments | None = None

    @classmethod
    def from_sources(
        cls,
        *,
        config: ConfigSource = None,
        markets: Mapping[str, MarketSource] | Iterable[tuple[str, MarketSource]] = (),
        audiences: Mapping[str, AudienceSource] | Iterable[tuple[str, AudienceSource]] = (),
        config_name: str = CONFIG_FILE,
        root: Path | str = ".",
    ) -> Project:
        """A project built from texts or loaded models instead of files on disk.

        ``config``: the TOML text (``str`` or ``bytes``), a loaded :class:`ProjectConfig`,
        or ``None`` for every default. ``markets`` and ``audiences``: ``name -> source``
        (a mapping or pairs); a market source is YAML text or a loaded :class:`Market`, an
        audience source is ``.aud`` text or an :class:`audiencelang.ast.File`. Names are the
        file keys: they appear in spans, in :attr:`files` and in reports, like the paths
        relative to the root of a project on disk. ``config_name`` is the config's name in
        spans (``pyproject.toml`` reads its ``[tool.audiencelang]`` table).

        Every given file belongs to the project (the config's ``markets``/``audiences``
        entries name folders on disk and are not consulted). Diagnostics are the file
        loader's, for the same texts under the same names: the loader reads each file and
        hands its text to the same code. Nothing is read from or written to disk; ``root``
        only anchors :meth:`key_of`. Never raises: a source of the wrong type is an E900
        diagnostic."""
        return project_from_sources(config=config, markets=markets, audiences=audiences, config_name=config_name,
                                    root=root)

    @property
    def in_memory(self) -> bool:
        """True for a project built by :meth:`from_sources` (no file behind it)."""
        return self._memory_markets is not None

    def text_of(self, key: str) -> str | None:
        """The text of the audience file ``key`` (read from disk, or as given in memory),
        ``None`` when it cannot be had."""
        if self._memory_audiences is not None:
            for k, src in self._memory_audiences:
                if k == key:
                    if isinstance(src, bytes):
                        try:
                            return src.decode("utf-8-sig")
                        except UnicodeDecodeError:
                            return None
                    return src if isinstance(src, str) else None
            return None
        from audiencelang.syntax.parser import MAX_FILE_BYTES

        try:
            return read_bounded(self.path_of(key), MAX_FILE_BYTES).decode("utf-8-sig")
        except (FileProblem, UnicodeDecodeError):
            return None

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
        text, problems = read_text(path, key)
        if text is None:
            return None, problems
        if self.market_documents is not None:
            return load_market_text(text, path=key, documents=self.market_documents)
        return _load_market(text, key)

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
        nested: dict[Path, bool] = {}
        for p in self._paths or []:
            a = self._absolute(p)
            if a.is_dir():
                for f in a.rglob("*"):
                    if (f.suffix in AUDIENCE_SUFFIXES and f.is_file() and not _hidden(f, a)
                            and not self._in_nested_project(f, a, nested)):
                        found.setdefault(self.key_of(f), f)
            elif a.exists():  # a file, or a FIFO/device: reading refuses those without blocking (E901)
                found.setdefault(self.key_of(a), a)
            else:
                diags.append(error("E201", f"file not found: {p}", Span(path=str(p))))
        return found, diags

    def _in_nested_project(self, path: Path, base: Path, seen: dict[Path, bool]) -> bool:
        """Whether ``path``, found in folder ``base``, lies in a folder below ``base`` that is
        another project (holds its own config; not this project's root): its files belong to
        that project (``check examples`` leaves out ``examples/multiwarehouse/``, a project of
        its own). ``seen`` remembers each folder's answer."""
        folder = base
        for part in path.parent.relative_to(base).parts:
            folder = folder / part
            if folder not in seen:
                seen[folder] = _config_in(folder) is not None and folder.absolute() != self.root.absolute()
            if seen[folder]:
                return True
        return False

    @cached_property
    def _audience_files(self) -> tuple[list[Path], list[str]]:
        keyed, empty = self._audience_keyed
        return list(keyed.values()), empty

    @cached_property
    def _audience_keyed(self) -> tuple[dict[str, Path], list[str]]:
        """:attr:`_audience_files` by key."""
        keyed, empty = _expand_keyed(self.root, self.config.audiences, AUDIENCE_SUFFIXES,
                                     self._outside["audiences"])
        if self._paths is None:
            return keyed, empty
        merged = dict(keyed)
        for k, f in self._explicit[0].items():
            merged.setdefault(k, f)
        return {k: merged[k] for k in sorted(merged)}, empty

    @cached_property
    def targets(self) -> tuple[str, ...]:
        """Keys of the audience files the caller asked about: those under ``paths`` when
        given to :func:`load_project`, else every configured audience file.

        The other files are still parsed (an audience may refer to one in another file);
        a CLI reports findings for ``targets`` only."""
        if self._memory_audiences is not None:
            return tuple(sorted({k for k, _ in self._memory_audiences}))
        if self._paths is None:
            return tuple(_key(f, self.root) if f.is_absolute() else self.key_of(f) for f in self._audience_files[0])
        return tuple(sorted(self._explicit[0]))

    # ----------------------------------------------------------------- loading

    @cached_property
    def _market_inputs(self) -> tuple[list[tuple[str, _MarketInput]], list[Diagnostic]]:
        """The market files as texts (or why one could not be read), by key, and the
        diagnostics of config entries that match nothing."""
        if self._memory_markets is not None:
            return self._memory_markets, []
        files, empty = self._market_files
        inputs: list[tuple[str, _MarketInput]] = []
        for f in files:
            key = self.key_of(f)
            inputs.append((key, f))  # read by load_market_file (a hook editors override)
        return inputs, [*self._unmatched("markets", empty, ProjectConfig().markets), *self._escaping("markets")]

    @property
    def _loaded_markets(self) -> tuple[dict[str, Market], dict[str, str], list[Diagnostic]]:
        got = self.__dict__.get("_markets_loaded")
        if got is None:
            with self._lock:
                got = self.__dict__.get("_markets_loaded")
                if got is None:
                    got = self.__dict__["_markets_loaded"] = self._load_markets()
        return got

    @property
    def _loaded_files(self) -> tuple[dict[str, ast.File], list[Diagnostic]]:
        got = self.__dict__.get("_files_loaded")
        if got is None:
            with self._lock:
                got = self.__dict__.get("_files_loaded")
                if got is None:
                    got = self.__dict__["_files_loaded"] = self._load_files()
        return got

    def _load_markets(self) -> tuple[dict[str, Market], dict[str, str], list[Diagnostic]]:
        markets: dict[str, Market] = {}
        where: dict[str, str] = {}
        inputs, diags = self._market_inputs
        diags = list(diags)
        for key, source in inputs:
            if isinstance(source, list):
                diags.extend(source)
                continue
            if isinstance(source, Path):
                market, found = self.load_market_file(source, key)
            elif isinstance(source, Market):
                market, found = source, []
            else:
                market, found = _load_market(source, key)
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

    def _load_files(self) -> tuple[dict[str, ast.File], list[Diagnostic]]:
        from audiencelang.syntax import parse_files

        files: dict[str, ast.File] = {}
        diags: list[Diagnostic] = []
        results: list[tuple[str, ParseResult]]
        if self._memory_audiences is not None:
            results = [(key, _parse_source(key, src)) for key, src in self._memory_audiences]
        else:
            paths, empty = self._audience_files
            diags.extend(self._unmatched("audiences", empty, ProjectConfig().audiences))
            diags.extend(self._escaping("audiences"))
            diags.extend(self._explicit[1])
            keys = [self.key_of(f) for f in paths]
            # parse_file reads the bytes, then parses them as _parse_source does
            results = list(zip(keys, parse_files(list(zip(paths, keys, strict=True))), strict=True))
        for key, result in results:
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
        if self._memory_markets is not None:
            return tuple(k for k, _ in self._memory_markets)
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

    def membership_keys(self) -> dict[int, str] | None:
        """Digests of the audiences' meanings (lint L010) known from elsewhere, by ``id`` of
        the audience node (the incremental check computed them while indexing); ``None``."""
        return None

    def check_context(self) -> CheckContext | None:
        """The checker's view of the config and markets when built already (the incremental
        check builds it before parsing); ``None``: the checker builds it."""
        return None

    def checked_alone(self) -> dict[int, Alone] | None:
        """Audiences already checked on their own (by the parse workers, with
        :meth:`check_context`), by ``id`` of the audience node; ``None``: none."""
        return None

    def audience_hints(self, name: str) -> tuple[str, ...]:
        """The hints of an unknown audience ``name`` ('did you mean ...?' among
        :meth:`audience_names`); the incremental check answers it from its index."""
        from audiencelang.diagnostics import did_you_mean

        return did_you_mean(name, self.audience_names())

    def audiences(self) -> dict[str, tuple[str, ast.Audience]]:
        """Audience name → (file key, node), in file order. On a duplicate name the first
        one (by file key, then position) is kept; reporting duplicates is the checker's job."""
        return dict(self._audiences)


@returns_diagnostics(lambda d, _: Project(Path("."), ProjectConfig(), None, config_diagnostics=[d]))
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



@returns_diagnostics(lambda d, _: Project(Path("."), ProjectConfig(), None, config_diagnostics=[d]))
def project_from_sources(
    *,
    config: ConfigSource = None,
    markets: Mapping[str, MarketSource] | Iterable[tuple[str, MarketSource]] = (),
    audiences: Mapping[str, AudienceSource] | Iterable[tuple[str, AudienceSource]] = (),
    config_name: str = CONFIG_FILE,
    root: Path | str = ".",
) -> Project:
    """An in-memory project: :meth:`Project.from_sources` (see there)."""
    loaded, diags = _config_from_source(config, config_name)
    project = Project(Path(root), loaded or ProjectConfig(), None, config_diagnostics=diags)
    project._memory_markets = [
        (key, _market_input(key, src)) for key, src in _pairs(markets, "markets", project._config_diagnostics)
    ]
    project._memory_audiences = [
        (key, _audience_input(key, src)) for key, src in _pairs(audiences, "audiences", project._config_diagnostics)
    ]
    return project


#: Market texts up to this size are remembered (text -> Market, per process; see _load_market).
CACHED_MARKET_BYTES = 256 * 1024


@lru_cache(maxsize=64)
def _load_market_cached(text: str, key: str) -> tuple[Market | None, tuple[Diagnostic, ...]]:
    market, diags = load_market_text(text, path=key)
    return market, tuple(diags)


def _load_market(text: str, key: str) -> tuple[Market | None, list[Diagnostic]]:
    """A market from its text. Loading YAML costs ~5-15 ms a market file, most of an in-memory
    request (docs/api.md): the same text under the same name gives the same (frozen) Market,
    so the last 64 small ones are remembered."""
    if len(text) > CACHED_MARKET_BYTES:
        return load_market_text(text, path=key)
    market, diags = _load_market_cached(text, key)
    return market, list(diags)


def _bad_source(key: str, what: str, source: object) -> list[Diagnostic]:
    return [error("E900", f"{what} '{key}' is {type(source).__name__}, not text",
                  Span(path=key), f"give the {what}'s text (str or bytes) or a loaded model")]


def _pairs(sources: object, what: str, problems: list[Diagnostic]) -> list[tuple[str, object]]:
    """``name -> source`` pairs, sorted by name, from a mapping or pairs (duplicates: first wins)."""
    items: Iterable[object]
    if isinstance(sources, Mapping):
        items = sources.items()
    elif isinstance(sources, (str, bytes)) or not isinstance(sources, Iterable):
        problems.append(error("E900", f"{what} must be a mapping of names to sources, not {type(sources).__name__}",
                              None))
        return []
    else:
        items = sources
    out: dict[str, object] = {}
    for item in items:
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str) and item[0]):
            problems.append(error("E900", f"each of {what} needs a name (a non-empty str) and a source, "
                                          f"not {type(item).__name__}", None))
            continue
        out.setdefault(item[0], item[1])
    return [(k, out[k]) for k in sorted(out)]


def _config_from_source(source: object, name: str) -> tuple[ProjectConfig | None, list[Diagnostic]]:
    if source is None:
        return ProjectConfig(), []
    if isinstance(source, ProjectConfig):
        return source, []
    if isinstance(source, bytes):
        text, diags = decode_text(source, name)
        if text is None:
            return None, diags
        source = text
    if not isinstance(source, str):
        return None, _bad_source(name, "config", source)
    return load_config_text(source, path=name, pyproject=Path(name).name == PYPROJECT_FILE)


def _market_input(key: str, source: object) -> _MarketInput:
    if isinstance(source, Market):
        return source
    if isinstance(source, bytes):
        text, diags = decode_text(source, key)
        return text if text is not None else diags
    if isinstance(source, str):
        return source[1:] if source.startswith("\ufeff") else source
    return _bad_source(key, "market file", source)


def _audience_input(key: str, source: object) -> AudienceSource | list[Diagnostic]:
    if isinstance(source, (str, bytes, ast.File)):
        return source
    return _bad_source(key, "audience file", source)


def _parse_source(key: str, source: AudienceSource | list[Diagnostic]) -> ParseResult:
    from audiencelang.syntax.parser import ParseResult, parse, parse_bytes

    if isinstance(source, list):
        return ParseResult(None, source)
    if isinstance(source, bytes):
        return parse_bytes(source, key)
    if isinstance(source, str):
        return parse(source, key)
    from audiencelang.syntax.validate import validate_tree

    problems = validate_tree(source)  # a tree built in code: one the grammar could produce?
    if problems:
        return ParseResult(None, [d.model_copy(update={"span": Span(path=key)}) if d.span is None
                                  or d.span.path is None else d for d in problems])
    return ParseResult(source, [], list(source.comments))
