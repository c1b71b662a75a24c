"""``check`` doing only the work the files need (docs/cache.md).

:func:`check_incremental` gives the report of :func:`audiencelang.check.check_project`
— the same diagnostics, for the same files — while parsing only:

* the given files, and the files a change to them can break (*dependents*): files that
  define a name they define, that refer (transitively) to one of their audiences or to a
  name no file defines, and files with an audience of the same meaning (lint L010);
* for each of those, what its findings depend on: the files defining the audiences it
  refers to (transitively), the files defining its names, the files referring to it
  (L009) and the files that may hold an audience of the same meaning (L010).

The files are found through an index of audience names (:mod:`audiencelang.check.index`):
parsed facts where the cache has them, else a scan of the text. With a cache
(:class:`audiencelang.check.cache.CheckCache`) a file whose entry key — a digest of
everything its findings depend on — is stored is not checked again.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterable, Sequence
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING

from audiencelang import ast
from audiencelang.check.index import (
    FileFacts,
    could_mean_the_same,
    facts_of_file,
    scan_text,
    tokens_of,
)
from audiencelang.diagnostics import Diagnostic, did_you_mean, nearest
from audiencelang.project import Project

if TYPE_CHECKING:
    from audiencelang.check import Alone, CheckContext, CheckReport
    from audiencelang.check.cache import CheckCache
    from audiencelang.syntax.parser import ParseResult

__all__ = ["check_incremental", "tool_digest"]


def _h(*parts: object) -> str:
    b = hashlib.blake2b(digest_size=16)
    for p in parts:
        b.update(p if isinstance(p, bytes) else str(p).encode("utf-8", "surrogatepass"))
        b.update(b"\0")
    return b.hexdigest()


def tool_digest() -> str:
    """The version, the grammar and the checker's own code: entries of another build
    are never used."""
    from audiencelang.__about__ import __version__
    from audiencelang.grammar_source import grammar_text

    pkg = Path(__file__).resolve().parent.parent
    stamp = []
    for sub in ("check", "syntax", "schema", "."):
        folder = pkg / sub
        for f in sorted(folder.glob("*.py")):
            try:
                st = f.stat()
            except OSError:
                continue
            stamp.append((f.name, st.st_size, st.st_mtime_ns))
    return _h("audiencelang-check", __version__, grammar_text(), stamp)


class _Partial(Project):
    """The project with only some audience files parsed (the others exist: the index
    answers for them)."""

    def __init__(self, base: Project, only: set[str], engine: _Engine) -> None:
        super().__init__(base.root, base.config, base.config_path,
                         config_diagnostics=base._config_diagnostics, paths=base._paths)
        self.__dict__["_markets_loaded"] = base._loaded_markets
        self.__dict__["_outside"] = base._outside
        self.__dict__["_explicit"] = base._explicit
        keyed, empty = base._audience_keyed
        self.__dict__["_audience_files"] = ([f for k, f in keyed.items() if k in only], empty)
        self._engine = engine

    def _load_files(self) -> tuple[dict[str, ast.File], list[Diagnostic]]:
        files: dict[str, ast.File] = {}
        diags: list[Diagnostic] = list(self._engine.other_diagnostics)
        keys = [self.key_of(f) for f in self._audience_files[0]]
        self._engine.parse(keys)
        for key in keys:
            result = self._engine.parsed[key]
            diags.extend(result.diagnostics)
            if result.file is not None:
                files[key] = result.file
        return files, diags

    def audience_hints(self, name: str) -> tuple[str, ...]:
        return self._engine.hints(name)

    def membership_keys(self) -> dict[int, str] | None:
        return self._engine.mkeys

    def check_context(self) -> CheckContext | None:
        return self._engine.context

    def checked_alone(self) -> dict[int, Alone] | None:
        return self._engine.alone


class _Engine:
    def __init__(self, project: Project, cache: CheckCache | None, markets_key: str) -> None:
        from audiencelang.files import FileProblem, read_bounded

        self.project = project
        self.cache = cache
        self.parsed: dict[str, ParseResult] = {}
        self.digest: dict[str, str] = {}
        self.texts: dict[str, str | None] = {}
        self.facts: dict[str, FileFacts] = _LazyFacts(self)
        self._suspects: dict[bool, set[str]] = {}
        self._graph_stored = False  # the name graph is the cache's (nothing to write back)
        self._indexed = False
        self._lazy = False  # load_facts(scan=False): the index is built after the parse
        self.definers: dict[str, list[str]] = {}
        self.referrers: dict[str, set[str]] = {}
        self.by_mkey: dict[str, list[str]] = {}
        self.inexact: list[str] = []
        self._merkle: dict[str, str] = {}
        self._tokens: dict[str, frozenset[str]] = {}
        self.mkeys: dict[int, str] = {}  # id(audience node) -> digest of its meaning
        #: the markets checked; with ``check_alone`` on, the parse workers also check each
        #: audience on its own (:func:`audiencelang.check.check_alone`) in those markets
        self.chosen: list[str] = []
        self.check_alone = False
        self.context: CheckContext | None = None
        self.alone: dict[int, Alone] = {}  # id(audience node) -> checked on its own
        self.previous: dict[str, str | None] = {}  # the content hash the cache knew before
        self.known_before: set[str] = set()  # files the cache had seen
        keyed, empty = project._audience_keyed
        self.paths = keyed
        stats = cache.stats if cache is not None else {}
        fresh = cache.written_at - 2_000_000_000 if cache is not None else 0
        stat = os.stat
        # the files under the root by string (a Path formats its string on first use: 2 us a file)
        under = str(project.root) + os.sep if os.sep == "/" else None
        for key, f in keyed.items():
            digest = None
            st = None
            with contextlib.suppress(OSError):
                st = stat(under + key if under is not None and not key.startswith("../") else f)
            known = stats.get(key)
            if known is not None:
                self.known_before.add(key)
                # unchanged size and modification time, not within the clock's resolution of
                # the index's last write (CheckCache.known_hash)
                if st is not None and known[0] == st.st_mtime_ns and known[1] == st.st_size and known[0] < fresh:
                    digest = str(known[2])
            if digest is None:
                try:
                    # (only to read a file: importing the parser costs every warm check)
                    from audiencelang.syntax.parser import MAX_FILE_BYTES

                    data = read_bounded(f, MAX_FILE_BYTES)
                except FileProblem:
                    data = None
                if data is None:
                    digest = _h("unreadable", os.urandom(8).hex())  # never a hit: read again next time
                    self.texts[key] = None
                else:
                    digest = _h(data)
                    try:
                        self.texts[key] = data.decode("utf-8-sig")
                    except UnicodeDecodeError:
                        self.texts[key] = None
                    if cache is not None and st is not None:
                        self.previous[key] = cache.previous_hash(key)
                        cache.record(key, st.st_mtime_ns, st.st_size, digest)
            self.digest[key] = digest
        self.keys = list(self.paths)  # in key order (Project._audience_keyed)
        self.other_diagnostics: list[Diagnostic] = [
            *project._unmatched("audiences", empty, _default_audiences()),
            *project._escaping("audiences"), *project._explicit[1]]
        self.base = _h(tool_digest(), project.key_of(project.config_path) if project.config_path else "",
                       _read(project.config_path) if project.config_path else b"", markets_key,
                       *[(k, _read(project.path_of(k))) for k in sorted(project.market_file_keys)])

    def read_facts(self, key: str) -> FileFacts:
        """``key``'s facts: stored for its content, else read from its text."""
        known = self.cache.facts(self.digest[key]) if self.cache is not None else None
        if known is None:
            text = self.text(key)
            known = scan_text(text) if text is not None else FileFacts(False, ())
        return known

    def load_facts(self, *, scan: bool = True) -> None:
        """The index of every file's facts (each file's own facts are read when asked for):
        the name graph the cache stored for exactly these file contents, config, markets
        and tool, else built from every file's facts. ``scan=False`` (every file is about
        to be parsed): no file's text is scanned; the index is built once they are parsed
        (:meth:`known_exact`, :meth:`index`)."""
        got = self.cache.graph(self.graph_key, self.paths.keys()) if self.cache is not None else None
        if got is not None:
            self.definers, self.referrers, self.by_mkey, inexact, suspects = got
            self.inexact = [k for k in self.keys if k in inexact]
            self._suspects = suspects
            self._merkle = {}
            self._graph_stored = self._indexed = True
            return
        if not scan:
            self._lazy = True
            return
        self.read_all()
        self._reindex()

    def known_exact(self, key: str) -> bool:
        """Whether ``key``'s exact facts are known (parsed, or stored for its content),
        without scanning its text when they are not (after ``load_facts(scan=False)``)."""
        if not self._lazy:
            return self.facts[key].exact
        got = self.facts.get(key)  # (dict.get: no scan)
        if got is None and self.cache is not None:
            got = self.cache.facts(self.digest[key])
            if got is not None:
                self.facts[key] = got
        return got is not None and got.exact

    def index(self) -> None:
        """Build the index if ``load_facts(scan=False)`` left it for later."""
        if not self._indexed:
            self.read_all()
            self._reindex()

    def read_all(self) -> None:
        for key in self.keys:
            if key not in self.facts:
                self.facts[key] = self.read_facts(key)

    @property
    def graph_key(self) -> str:
        return _h(self.base, self.all_digest, "graph")

    def store_graph(self) -> None:
        """Give the name graph to the cache (when it is not the one it gave)."""
        if self.cache is not None and not self._graph_stored and self._indexed:
            self.cache.put_graph(self.graph_key, self.definers, self.referrers, self.by_mkey,
                                 set(self.inexact), self._suspects)
            self._graph_stored = True

    # ------------------------------------------------------------------ the index

    def text(self, key: str) -> str | None:
        if key not in self.texts:
            self.texts[key] = self.project.text_of(key)
        return self.texts[key]

    def tokens(self, key: str, text: str) -> frozenset[str]:
        got = self._tokens.get(key)
        if got is None:
            got = self._tokens[key] = tokens_of(text)
        return got

    def _reindex(self) -> None:
        self.definers = {}
        self.referrers = {}
        self.by_mkey = {}
        for key in self.keys:
            facts = self.facts[key]
            for a in facts.audiences:
                if a.name:
                    self.definers.setdefault(a.name, []).append(key)
                for r in a.refs:
                    self.referrers.setdefault(r, set()).add(key)
                if a.mkey is not None:
                    self.by_mkey.setdefault(a.mkey, []).append(key)
        self.inexact = [k for k in self.keys if not self.facts[k].exact]
        self._merkle = {}
        self._suspects = {}
        self._graph_stored = False
        self._indexed = True
        self._lazy = False

    def parse(self, keys: Iterable[str]) -> None:
        """Parse these files (those not parsed yet), and learn their exact facts."""
        from audiencelang.syntax.parser import parse_files_with

        todo = [k for k in keys if k not in self.parsed]
        if not todo:
            return
        extra: Callable[[ParseResult], _Extra] = facts_of_result
        if self.check_alone:
            from audiencelang.check import CheckContext, check_alone

            if self.context is None:
                self.context = CheckContext(self.project)
            ctx, chosen = self.context, self.chosen

            def extra(r: ParseResult) -> _Extra:  # in a parse worker (a forked copy of this process)
                return (facts_of_file(r.file),
                        [check_alone(a, ctx, chosen) for a in r.file.audiences] if r.file is not None else None)

        results = parse_files_with([(self.paths[k], k) for k in todo], extra)
        changed = False
        for key, (result, more) in zip(todo, results, strict=True):
            self.parsed[key] = result
            facts, alone = more if more is not None else (facts_of_file(result.file), None)
            if result.file is not None:
                for a, f in zip(result.file.audiences, facts.audiences, strict=True):
                    if f.mkey is not None:
                        self.mkeys[id(a)] = f.mkey
                if alone is not None:
                    for a, x in zip(result.file.audiences, alone, strict=True):
                        self.alone[id(a)] = x
            old = self.facts.get(key) if self._lazy else self.facts[key]  # (lazy: not scanned for nothing)
            changed = changed or old is None or facts != old
            self.facts[key] = facts
            if self.cache is not None:
                self.cache.put_facts(self.digest[key], facts)
        if changed or any(not self.facts[k].exact for k in todo):
            self.read_all()
            self._reindex()
        else:
            self.inexact = [k for k in self.inexact if not self.facts[k].exact]
            self._graph_stored = False

    @cached_property
    def all_digest(self) -> str:
        digest = self.digest
        return _h("\n".join([f"{k}\0{digest[k]}" for k in self.keys]))

    def refs_of(self, key: str) -> list[str]:
        out: set[str] = set()
        for r in self.facts[key].refs:
            out.update(self.definers.get(r, ()))
        return sorted(out)

    def merkle_of(self, key: str) -> str:
        """A digest of ``key``'s file and of every file its references reach."""
        got = self._merkle.get(key)
        if got is None:
            self._merkle.update(self._merkle_from([key]))
            got = self._merkle[key]
        return got

    def prime(self, keys: list[str]) -> None:
        """Compute the reference digests of ``keys`` in one pass."""
        todo = [k for k in keys if k not in self._merkle]
        if todo:
            self._merkle.update(self._merkle_from(todo))

    def _merkle_from(self, starts: list[str]) -> dict[str, str]:
        from audiencelang.check import _sccs

        graph: dict[str, list[str]] = {}
        stack = list(starts)
        while stack:  # only the files the references reach
            k = stack.pop()
            if k in graph:
                continue
            graph[k] = self.refs_of(k)
            stack.extend(d for d in graph[k] if d not in graph)
        comp_of: dict[str, int] = {}
        comp_digest: list[str] = []
        for i, comp in enumerate(_sccs(graph)):  # successors come first
            for k in comp:
                comp_of[k] = i
            out = sorted({comp_digest[comp_of[s]] for k in comp for s in graph[k] if comp_of.get(s, i) != i})
            comp_digest.append(_h(*[(k, self.digest[k]) for k in comp], *out))
        return {k: comp_digest[comp_of[k]] for k in graph}

    def mates(self, key: str, facts: FileFacts | None = None) -> set[str]:
        """Files that have (or, not parsed, may have) an audience meaning the same as one of
        ``key``'s (``facts``: of another version of the file)."""
        facts = facts or self.facts[key]
        out: set[str] = set()
        for a in facts.audiences:
            if a.mkey is None or a.atoms is None:
                continue
            out.update(self.by_mkey.get(a.mkey, ()))
            for other in self.inexact:
                text = self.text(other)
                if text is not None and could_mean_the_same(a.atoms, text, partial(self.tokens, other, text)):
                    out.add(other)
        out.discard(key)
        return out

    def direct(self, key: str) -> tuple[set[str], bool]:
        """Files (other than the references) ``key``'s findings depend on, and whether they
        depend on every file (an unknown audience: the hints name the nearest of all)."""
        facts = self.facts[key]
        out: set[str] = set()
        for name in facts.names:
            out.update(self.definers.get(name, ()))
            out.update(self.referrers.get(name, ()))
        out |= self.mates(key)
        uncertain = False
        for r in facts.refs:
            ds = self.definers.get(r, ())
            if not ds or not all(self.facts[d].exact for d in ds):
                uncertain = True
        out.discard(key)
        return out, uncertain

    def entry_key(self, key: str) -> str:
        deps, uncertain = self.direct(key)
        return _h(self.base, key, self.digest[key], self.merkle_of(key), *sorted((d, self.digest[d]) for d in deps),
                  self.all_digest if uncertain else "")

    def closure(self, keys: Iterable[str]) -> set[str]:
        """``keys``, the files their findings depend on, and the files those refer to."""
        out = set(keys)
        for k in list(out):
            out |= self.direct(k)[0]
        stack = list(out)
        while stack:
            k = stack.pop()
            for d in self.refs_of(k):
                if d not in out:
                    out.add(d)
                    stack.append(d)
        return out

    def hints(self, name: str) -> tuple[str, ...]:
        """'did you mean' among every audience of the project, verified: the files defining
        the names a hint would show are parsed first."""
        while True:
            pool = {n for n, ds in self.definers.items() if ds}
            close = nearest(name, pool)
            unsure = ({d for c in close for d in self.definers[c] if not self.facts[d].exact} if close
                      else set(self.inexact))
            if not unsure:
                return did_you_mean(name, pool)
            self.parse(sorted(unsure))

    def suspects(self, *, history: bool) -> set[str]:
        """Names with a cross-file error a change elsewhere may have caused (a name defined
        twice, a cycle, too deep a chain: E306-E308), as far as the index tells; and, when
        lint L009 is on and the changed files' earlier contents are unknown, audiences
        nobody refers to or activates."""
        got = self._suspects.get(history)
        if got is None:
            got = self._suspects[history] = self._find_suspects(history)
            self._graph_stored = False
        return set(got)

    def _find_suspects(self, history: bool) -> set[str]:
        from audiencelang.check import MAX_REFERENCE_DEPTH, _sccs
        from audiencelang.check.lint import LintFilter

        graph: dict[str, list[str]] = {}
        for name, ds in self.definers.items():
            refs: set[str] = set()
            for d in ds:
                for a in self.facts[d].audiences:
                    if a.name == name:
                        refs.update(r for r in a.refs if r in self.definers)
            graph[name] = sorted(refs)
        out = {n for n, ds in self.definers.items() if len(ds) > 1}
        depth: dict[str, int] = {}
        for comp in _sccs(graph):  # successors first
            if len(comp) > 1 or comp[0] in graph[comp[0]]:
                out.update(comp)
            inner = set(comp)
            level = 1 + max((depth[r] for n in comp for r in graph[n] if r not in inner), default=-1)
            for n in comp:
                depth[n] = level
        out |= {n for n, level in depth.items() if level > MAX_REFERENCE_DEPTH - 1}
        if not history:
            lint = self.project.config.lint
            for name, ds in self.definers.items():
                if any(a.name != name and name in a.refs
                       for f in self.referrers.get(name, ()) for a in self.facts[f].audiences):
                    continue
                if any(LintFilter.for_file(lint, d).enabled("L009") for d in ds) and not any(
                        a.activates for d in ds for a in self.facts[d].audiences if a.name == name):
                    out.add(name)
        return out

    def dependents(self, targets: Sequence[str]) -> set[str]:
        """``targets`` and the files a change to them can break (module docstring)."""
        seeds: set[str] = set()
        out = set(targets)
        old_facts = []
        history = self.cache is not None
        for k in targets:
            seeds.update(self.facts[k].names)
            out |= self.mates(k)
            prev = self.previous.get(k)
            if prev is not None and prev != self.digest[k] and self.cache is not None:
                old = self.cache.facts(prev)
                if old is not None:
                    old_facts.append((k, old))
                else:
                    history = False
            history = history and k in self.known_before
        for k, old in old_facts:  # what the file defined, referred to and meant before this change
            seeds.update(old.names)
            for r in old.refs:
                out.update(self.definers.get(r, ()))
            out |= self.mates(k, old)
        seeds |= {r for r in self.referrers if not self.definers.get(r)}
        seeds |= self.suspects(history=history)
        for name in seeds:
            out.update(self.definers.get(name, ()))
        seen = set(seeds)
        stack = sorted(seeds)
        while stack:
            name = stack.pop()
            for k in self.referrers.get(name, ()):
                out.add(k)
                for n in self.facts[k].names:
                    if n not in seen:
                        seen.add(n)
                        stack.append(n)
        return {k for k in out if k in self.paths}


#: What a parse worker computes besides the tree: the file's facts and, when asked, each
#: audience checked on its own.
_Extra = tuple[FileFacts, "list[Alone] | None"]


def facts_of_result(r: ParseResult) -> _Extra:
    return facts_of_file(r.file), None


class _LazyFacts(dict[str, FileFacts]):
    """Each file's facts, read when first asked for (:meth:`_Engine.read_facts`)."""

    def __init__(self, engine: _Engine) -> None:
        super().__init__()
        self.engine = engine

    def __missing__(self, key: str) -> FileFacts:
        got = self[key] = self.engine.read_facts(key)
        return got


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        return f"unreadable: {exc}".encode()


def _default_audiences() -> list[str]:
    from audiencelang.schema.config import ProjectConfig

    return ProjectConfig().audiences


def _select(keys: list[str], project: Project, paths: Iterable[str | Path] | None) -> list[str]:
    if paths is None:
        return sorted(project.targets)
    out: set[str] = set()
    for p in paths:
        key = project.key_of(Path(p))
        if key in (".", ""):
            return list(keys)
        prefix = key.rstrip("/") + "/"
        out |= {k for k in keys if k == key or k.startswith(prefix)}
    return sorted(out)


def check_incremental(project: Project, *, paths: Iterable[str | Path] | None = None,
                      markets: Iterable[str] | None = None, cache: CheckCache | None = None) -> CheckReport:
    """:func:`audiencelang.check.check_project` for a project on disk, parsing only what the
    selected files need (module docstring); with ``cache``, reusing what an earlier check
    of unchanged inputs found (and storing what this one finds: ``cache.save()``)."""
    from audiencelang.check import CheckReport, _check_project, _sort_key, _unknown_market
    from audiencelang.gcpause import paused_gc

    if project.in_memory:
        from audiencelang.check import check_project

        return check_project(project, paths=paths, markets=markets)
    with paused_gc():
        diags: list[Diagnostic] = []
        known = sorted(project.markets)
        if markets is None:
            chosen = known
        else:
            chosen = []
            for m in markets:
                if m in known:
                    if m not in chosen:
                        chosen.append(m)
                else:
                    diags.append(_unknown_market(m, known))
            chosen.sort()
        eng = _Engine(project, cache, _h(*chosen, len(chosen) == len(known)))
        targets = _select(eng.keys, project, paths)
        whole = set(targets) >= set(eng.keys)
        eng.chosen = chosen
        eng.check_alone = whole  # every file parsed is checked (those of `check FILE` only may not be)
        base_diags = [*project._config_diagnostics, *project._loaded_markets[2], *eng.other_diagnostics]
        whole_key = _h(eng.base, eng.all_digest, "whole") if whole else None
        if whole_key is not None and cache is not None:  # nothing changed since the last whole check
            got = cache.get(whole_key)
            if got is not None:
                pairs = [tuple(x.split("\0", 1)) for x in got[1]]
                if all(len(x) == 2 for x in pairs):
                    diags.extend(base_diags)
                    diags.extend(got[0])
                    diags.sort(key=_sort_key)
                    cache.save(set(eng.keys))
                    return CheckReport(tuple(diags), tuple(eng.keys), tuple((a, b) for a, b in pairs),
                                       tuple(chosen))
        eng.load_facts(scan=not whole)  # (the whole project: every file is parsed, none scanned)
        reported = list(eng.keys) if whole else sorted(eng.dependents(targets))
        while True:  # parsed, a file is known exactly: the dependents may shrink (or grow)
            todo = [k for k in reported if not eng.known_exact(k)]
            if not todo:
                break
            eng.parse(todo)
            if not whole:
                reported = sorted(eng.dependents(targets))
        eng.index()
        if not whole:  # every file with an audience reported: the project's findings come too (as check_project)
            wanted = set(reported)
            while True:
                named = {k for ds in eng.definers.values() for k in ds}
                rest = [k for k in eng.keys if k not in wanted and k in named]
                inexact = set(eng.inexact)
                unsure = [k for k in rest if k in inexact]
                if len(rest) > len(unsure) or not unsure:
                    whole = not rest
                    break
                eng.parse(unsure[:1])
        entries: dict[str, tuple[list[Diagnostic], list[str]]] = {}
        eng.prime(list(reported))
        keys = {k: eng.entry_key(k) for k in reported}
        if cache is not None:
            for k in reported:
                got = cache.get(keys[k])
                if got is not None:
                    entries[k] = got
        missing = [k for k in reported if k not in entries]
        extras_key = _h(eng.base, eng.all_digest, "project") if whole else None
        extras: list[Diagnostic] | None = None
        if extras_key is not None and cache is not None:
            got = cache.get(extras_key)
            if got is not None:
                extras = got[0]
        if missing or (whole and extras is None):
            need = eng.closure(missing)
            sup: list[str] = []
            if whole and extras is None:
                for name in project.config.suppress + [n for d in project.config.destinations.values()
                                                       for n in d.suppress]:
                    sup.extend(eng.definers.get(name, ()))
                need |= eng.closure(sup)
                if not project.config_failed:
                    eng.parse(eng.inexact)  # L013 reads every activation
            partial = _Partial(project, need, eng)
            report = _check_project(partial, None, chosen, reported=missing, whole=False)
            mine: dict[str, list[Diagnostic]] = {k: [] for k in missing}
            for d in report.diagnostics:
                p = d.span.path if d.span is not None else None
                if p in mine:
                    mine[p].append(d)
            names: dict[str, list[str]] = {k: [] for k in missing}
            for k, n in report.audiences:
                names[k].append(n)
            for k in missing:
                entries[k] = (mine[k], names[k])
                if cache is not None:
                    cache.put(keys[k], mine[k], names[k])
            if whole and extras is None:
                extras = _project_findings(partial, eng, chosen, len(chosen) == len(known))
                if cache is not None and extras_key is not None:
                    cache.put(extras_key, extras, [])
        wanted = set(reported)
        for d in base_diags:
            p = d.span.path if d.span is not None else None
            if p is not None and p.endswith(".aud") and p not in wanted:
                continue
            diags.append(d)
        checked: list[tuple[str, str]] = []
        for k in reported:
            found, names_k = entries[k]
            diags.extend(found)
            checked.extend((k, n) for n in names_k)
        diags.extend(extras or ())
        if not whole:
            diags.extend(_suppression_of_files(project, eng, targets, chosen))
        if whole_key is not None and cache is not None:
            own = [d for k in reported for d in entries[k][0]] + list(extras or ())
            cache.put(whole_key, own, [f"{k}\0{n}" for k, n in checked])
        diags.sort(key=_sort_key)
        if cache is not None:
            eng.store_graph()
            cache.save(set(eng.keys))
        return CheckReport(tuple(diags), tuple(reported), tuple(checked), tuple(chosen))


def _project_findings(partial: _Partial, eng: _Engine, chosen: list[str], all_markets: bool) -> list[Diagnostic]:
    """L013 (destinations no audience activates) and the suppression lists' findings: what
    a whole-project check adds at the config."""
    from audiencelang.check import _checker, _suppression_findings
    from audiencelang.check.project_rules import unused_destinations

    project = partial
    if project.config_path is None or project.config_failed:
        return []
    ch = _checker(partial)
    config_key = project.key_of(project.config_path)
    used = {d for k in eng.keys for a in eng.facts[k].audiences for d in a.activates}
    unused = unused_destinations(project.config, (), used=used)
    out = ch.finish(config_key, unused, unused=False, all_markets=all_markets)
    out.extend(_suppression_findings(ch, chosen))
    return out


def _suppression_of_files(project: Project, eng: _Engine, targets: list[str], chosen: list[str]) -> list[Diagnostic]:
    """`check FILE`: the config's findings (E405-E407, at the config key) about the suppression
    audiences defined in the files, or referring to an audience they define: a change there is
    what breaks them (a whole-project check reports them all)."""
    from audiencelang.check import _checker, _suppression_findings

    if project.config_path is None or project.config_failed:
        return []
    names = set(project.config.suppress) | {n for d in project.config.destinations.values() for n in d.suppress}
    given = set(targets)
    affected: set[str] = set()
    need: set[str] = set()
    for name in sorted(names):
        closure = eng.closure(eng.definers.get(name, ()))
        if closure & given:
            affected.add(name)
            need |= closure
    if not affected:
        return []
    ch = _checker(_Partial(project, need, eng))
    ch.analyse()
    return _suppression_findings(ch, chosen, only=affected)
