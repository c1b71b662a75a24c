"""The server's in-memory project: files, unsaved text, audience names and references.

The index loads the project once (:func:`audiencelang.project.load_project`) and
then keeps, per audience file, its current text, AST, syntax diagnostics and the
audiences it defines and references; by name, the files that define it and the
files that refer to it. An edit re-parses one file and re-checks only what it
can change: the file itself, the files that refer to (or also define) its
audiences, and the audiences on a reference cycle with them. The check itself
is the library's :func:`audiencelang.check.check_project`, run on a *view* of
the project that holds just those files and the ones they refer to.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from audiencelang import ast
from audiencelang.check import check_project
from audiencelang.diagnostics import Diagnostic, Span
from audiencelang.project import AUDIENCE_SUFFIXES, MARKET_SUFFIXES, Project, load_project
from audiencelang.schema.config import ProjectConfig
from audiencelang.schema.loader import load_market_text
from audiencelang.schema.market import Market
from audiencelang.syntax import parse

from .context import Role, classify, tokenize

__all__ = ["FileState", "ProjectIndex"]


@dataclass
class FileState:
    """One audience file as the editor sees it (unsaved text wins over the disk)."""

    key: str
    text: str | None
    file: ast.File | None
    syntax: list[Diagnostic]
    defs: list[tuple[str, Span]] = field(default_factory=list)
    refs: list[tuple[str, Span]] = field(default_factory=list)


def _names(key: str, text: str | None, file: ast.File | None) -> tuple[list[tuple[str, Span]], list[tuple[str, Span]]]:
    """Audiences defined and referenced in a file: from the AST, or from its tokens when the
    file does not parse (so navigation keeps working while a file is half written)."""
    defs: list[tuple[str, Span]] = []
    refs: list[tuple[str, Span]] = []
    if file is not None:
        for aud in file.audiences:
            defs.append((aud.name.value, aud.name.span))
            for node in ast.walk(aud):
                if isinstance(node, ast.InAudience):
                    refs.append((node.audience.value, node.audience.span))
        return defs, refs
    if text is None:
        return defs, refs
    for t in classify(tokenize(text)):
        if t.role in (Role.AUDIENCE_DEF, Role.AUDIENCE_REF):
            (defs if t.role is Role.AUDIENCE_DEF else refs).append((t.text, span_of(key, text, t.start, t.end)))
    return defs, refs


def span_of(path: str, text: str, start: int, end: int) -> Span:
    line = text.count("\n", 0, start) + 1
    col = start - (text.rfind("\n", 0, start) + 1) + 1
    return Span(path=path, line=line, column=col, end_line=line, end_column=col + (end - start),
                start=start, end=end)


class _EditorProject(Project):
    """The project, with unsaved market text served instead of the disk's."""

    def __init__(self, base: Project, market_texts: dict[str, str]) -> None:
        super().__init__(base.root, base.config, base.config_path,
                         config_diagnostics=list(base._config_diagnostics))
        self._market_texts = market_texts

    def load_market_file(self, path: Path, key: str) -> tuple[Market | None, list[Diagnostic]]:
        text = self._market_texts.get(key)
        if text is None:
            return super().load_market_file(path, key)
        return load_market_text(text, path=key)


class _View(Project):
    """A project made of parts the index holds: the markets and config loaded once, and
    the audience files a re-check needs (no disk reads)."""

    def __init__(self, index: ProjectIndex, keys: Iterable[str], targets: Iterable[str]) -> None:
        base = index.project
        super().__init__(base.root, base.config, base.config_path,
                         config_diagnostics=list(index.config_diagnostics))
        self._index = index
        states = [index.files[k] for k in sorted(set(keys)) if k in index.files]
        files = {s.key: s.file for s in states if s.file is not None}
        syntax = [d for s in states for d in s.syntax]
        self.__dict__["_markets_loaded"] = (index.markets, index.market_files, [])
        self.__dict__["_files_loaded"] = (files, syntax)
        self.__dict__["targets"] = tuple(sorted(set(targets)))

    def audience_names(self) -> set[str]:
        return set(self._index.defined_in)

    def read_text(self, key: str) -> str | None:
        state = self._index.files.get(key)
        return state.text if state is not None else super().read_text(key)


class ProjectIndex:
    """Everything the server knows about one project. Thread-safe through one lock."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.lock = threading.RLock()
        self.market_texts: dict[str, str] = {}
        self.files: dict[str, FileState] = {}
        self.defined_in: dict[str, set[str]] = {}  # audience name -> file keys
        self.referenced_from: dict[str, set[str]] = {}  # audience name -> file keys
        self.load()

    # ------------------------------------------------------------------ loading

    def load(self) -> None:
        """(Re)load everything from disk, keeping unsaved market text."""
        with self.lock:
            disk = load_project(self.root)
            self.project: Project = _EditorProject(disk, self.market_texts)
            self.config: ProjectConfig = self.project.config
            self.config_diagnostics = list(disk._config_diagnostics)
            self._load_markets()
            old = {k: s.text for k, s in self.files.items()}
            self.files = {}
            self.defined_in, self.referenced_from = {}, {}
            parsed = disk.files
            syntax: dict[str, list[Diagnostic]] = {}
            for d in disk.diagnostics:
                p = d.span.path if d.span is not None else None
                if p is not None and p.endswith(AUDIENCE_SUFFIXES):
                    syntax.setdefault(p, []).append(d)
            for key in disk.targets:
                self._store(FileState(key, None, parsed.get(key), syntax.get(key, [])))
            self.file_problems = [d for d in disk._loaded_files[1]
                                  if not (d.span is not None and (d.span.path or "").endswith(AUDIENCE_SUFFIXES))]
            for key, text in old.items():  # unsaved text survives a reload
                if text is not None:
                    self.set_text(key, text)

    def _load_markets(self) -> None:
        p = self.project
        for cached in ("_markets_loaded", "_market_inputs"):
            p.__dict__.pop(cached, None)
        self.markets: dict[str, Market] = dict(p.markets)
        self.market_files: dict[str, str] = dict(p.market_files)
        self.market_problems: list[Diagnostic] = list(p._loaded_markets[2])

    def problems(self) -> list[Diagnostic]:
        """Problems of loading the project: config, market files, configured folders."""
        return [*self.config_diagnostics, *self.market_problems, *self.file_problems]

    def market_keys(self) -> list[str]:
        """File keys of every market file of the project."""
        return [self.project.key_of(f) for f in self.project._market_files[0]]

    # ------------------------------------------------------------------ keys

    def key_of(self, path: Path) -> str:
        return self.project.key_of(path)

    def is_audience_file(self, key: str) -> bool:
        return key.endswith(AUDIENCE_SUFFIXES) and not key.startswith("../")

    def is_market_file(self, key: str) -> bool:
        return key.endswith(MARKET_SUFFIXES) and key in set(self.market_keys())

    def text_of(self, key: str) -> str | None:
        state = self.files.get(key)
        if state is not None and state.text is not None:
            return state.text
        return self.project.read_text(key)

    # ------------------------------------------------------------------ names

    def _store(self, state: FileState) -> None:
        text = state.text
        if text is None and state.file is None:
            text = self.project.read_text(state.key)  # does not parse: find names in its tokens
        state.defs, state.refs = _names(state.key, text, state.file)
        self.files[state.key] = state
        for name, _ in state.defs:
            self.defined_in.setdefault(name, set()).add(state.key)
        for name, _ in state.refs:
            self.referenced_from.setdefault(name, set()).add(state.key)

    def _forget(self, key: str) -> FileState | None:
        state = self.files.pop(key, None)
        if state is None:
            return None
        for name, _ in state.defs:
            self._discard(self.defined_in, name, key)
        for name, _ in state.refs:
            self._discard(self.referenced_from, name, key)
        return state

    @staticmethod
    def _discard(table: dict[str, set[str]], name: str, key: str) -> None:
        got = table.get(name)
        if got is not None:
            got.discard(key)
            if not got:
                del table[name]

    def audience(self, name: str) -> tuple[str, ast.Audience | None, Span] | None:
        """Where an audience is defined: (file key, node when the file parses, name span)."""
        keys = sorted(self.defined_in.get(name, ()))
        if not keys:
            return None
        state = self.files[keys[0]]
        span = next(s for n, s in state.defs if n == name)
        node = None
        if state.file is not None:
            node = next((a for a in state.file.audiences if a.name.value == name), None)
        return state.key, node, span

    def audience_names(self) -> list[str]:
        return sorted(self.defined_in)

    # ------------------------------------------------------------------ edits

    def set_text(self, key: str, text: str) -> set[str]:
        """Take new (unsaved) text for an audience file. Returns the file keys to re-check."""
        with self.lock:
            before = self._forget(key)
            result = parse(text, path=key)
            self._store(FileState(key, text, result.file, list(result.diagnostics)))
            return self.affected(key, before)

    def close(self, key: str) -> set[str]:
        """The editor closed a file: its disk text counts again."""
        with self.lock:
            state = self.files.get(key)
            if state is None or state.text is None:
                return set()
            text = self.project.read_text(key)
            if text is None:
                before = self._forget(key)
                return self.affected(key, before) - {key}
            return self.set_text(key, text)

    def disk_changed(self, key: str) -> set[str]:
        """An audience file changed on disk (created, changed, deleted: a `git pull`). Open
        files keep their editor text. Returns the file keys to re-check."""
        with self.lock:
            state = self.files.get(key)
            if state is not None and state.text is not None:
                return set()
            before = self._forget(key)
            text = self.project.read_text(key)
            if text is None:
                return self.affected(key, before) - {key}
            result = parse(text, path=key)
            self._store(FileState(key, None, result.file, list(result.diagnostics)))
            return self.affected(key, before)

    def set_market_text(self, key: str, text: str | None) -> None:
        """Take new (unsaved) text for a market file (``None``: back to the disk's)."""
        with self.lock:
            if text is None:
                self.market_texts.pop(key, None)
            else:
                self.market_texts[key] = text
            self._load_markets()

    def affected(self, key: str, before: FileState | None) -> set[str]:
        """Files whose diagnostics an edit of ``key`` can change.

        Another file's findings depend on this one only through names: which audiences
        exist (E305 in files referring to them), where a duplicate is first defined (E306)
        and reference cycles (E307). So an edit that keeps the file's audience names and
        references re-checks the file alone; otherwise the files referring to an added or
        removed name, the other definers of its names, and the files on cycles through it."""
        state = self.files.get(key)
        new_defs = {n for n, _ in state.defs} if state is not None else set()
        old_defs = {n for n, _ in before.defs} if before is not None else set()
        new_refs = {n for n, _ in state.refs} if state is not None else set()
        old_refs = {n for n, _ in before.refs} if before is not None else set()
        out = {key} if state is not None else set()
        changed = new_defs ^ old_defs
        if (state is None or state.file is None) != (before is None or before.file is None):
            changed = new_defs | old_defs  # a file that stops (or starts) parsing defines nothing (again)
        for n in changed:
            out |= self.referenced_from.get(n, set())
            out |= self.defined_in.get(n, set())
        for n in new_defs | old_defs:
            if len(self.defined_in.get(n, ())) > 1:  # E306 names where the first one is
                out |= self.defined_in[n]
        if changed or new_refs != old_refs:
            out |= self._cycle_files(new_defs | old_defs, before)
        return out

    def _refs_of(self, name: str) -> set[str]:
        out: set[str] = set()
        for k in self.defined_in.get(name, ()):
            out |= {n for n, _ in self.files[k].refs}
        return out

    def _cycle_files(self, names: set[str], before: FileState | None) -> set[str]:
        """Files of audiences on a reference cycle through ``names`` (now, or before the edit:
        a broken cycle must lose its errors). A cycle member is reachable from the references
        of ``names`` (old or new) and reaches ``names``."""
        if not names:
            return set()
        start: set[str] = set()
        for n in names:
            start |= self._refs_of(n)
        if before is not None:
            start |= {n for n, _ in before.refs}
        fwd = set(start)
        todo = list(start)
        while todo:
            for r in self._refs_of(todo.pop()):
                if r not in fwd:
                    fwd.add(r)
                    todo.append(r)
        back: set[str] = set()
        todo = list(names)
        while todo:
            n = todo.pop()
            for k in self.referenced_from.get(n, ()):
                for d, _ in self.files[k].defs:
                    if d not in back:
                        back.add(d)
                        todo.append(d)
        on_cycle = fwd & back
        if on_cycle:
            on_cycle |= names & fwd
        return {k for n in on_cycle for k in self.defined_in.get(n, ())}

    # ------------------------------------------------------------------ checking

    def check(self, keys: Iterable[str]) -> dict[str, list[Diagnostic]]:
        """Diagnostics of the audience files ``keys`` (every market), by file key.

        Runs :func:`check_project` on a view holding the files, the files defining the
        audiences they refer to or define, and the files on cycles through them."""
        with self.lock:
            targets = {k for k in keys if k in self.files}
            need = set(targets)
            names: set[str] = set()
            for k in targets:
                st = self.files[k]
                names |= {n for n, _ in st.refs} | {n for n, _ in st.defs}
            for n in names:
                need |= self.defined_in.get(n, set())
            need |= self._cycle_files({n for k in targets for n, _ in self.files[k].defs}, None)
            # files on cycles need their own references resolved too
            for k in list(need - targets):
                for n, _ in self.files[k].refs:
                    need |= self.defined_in.get(n, set())
            view = _View(self, need, targets)
            report = check_project(view)  # the view's targets: the files to report on
            out: dict[str, list[Diagnostic]] = {k: [] for k in targets}
            for d in report.diagnostics:
                p = d.span.path if d.span is not None else None
                if p in out:
                    out[p].append(d)
            return out

    def check_all(self) -> dict[str, list[Diagnostic]]:
        return self.check(list(self.files))
