"""The check cache: what a check found in each file, so an unchanged project re-checks in
a fraction of a second (docs/cache.md).

Layout, in ``.audiencelang_cache/`` at the project root (a ``.gitignore`` holding ``*``
keeps it out of git) or in the folder ``AUDIENCELANG_CACHE_DIR`` names::

    .audiencelang_cache/
      .gitignore                 *
      CACHEDIR.TAG               (the cache-directory tag other tools skip)
      v1/index.json              file key -> (mtime ns, size, content hash); the name graph of
                                 the last check (who defines, refers to, means what)
      v1/facts/NN.json           content hash -> a file's facts (256 shards by hash)
      v1/markets/documents.json  market file (path, text) hash -> its YAML read (data and spans)
      v1/diagnostics/NN.json     entry key -> a file's diagnostics (256 shards by key)

An entry's key is a digest of everything its diagnostics depend on (the file's content,
the audiences it refers to, the tool version, the grammar, the config and market files:
:mod:`audiencelang.check.incremental`), so an entry is either right or never looked up.
Every file is written to a temporary file and renamed over the old one (``os.replace``),
so a reader sees a whole old file or a whole new one, also with two checks running at
once; a file that does not decode, or holds entries of another version or key, is
ignored and rewritten. Writing fails silently (a read-only project is checked uncached).

Nothing here runs unless asked: the library never writes a cache on its own; the
``check`` command opts in (``--no-cache`` to opt out). ``audiencelang clean`` removes it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from audiencelang.check.index import FileFacts
from audiencelang.diagnostics import Diagnostic

__all__ = ["CACHE_DIR_ENV", "CACHE_FOLDER", "CheckCache", "cache_folder", "clear_cache"]

CACHE_FOLDER = ".audiencelang_cache"
CACHE_DIR_ENV = "AUDIENCELANG_CACHE_DIR"
FORMAT = "v1"
_TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# audiencelang check cache (docs/cache.md)\n"
_DIAGS: TypeAdapter[list[Diagnostic]] = TypeAdapter(list[Diagnostic])


def cache_folder(root: Path) -> Path:
    """Where the cache of the project at ``root`` lives."""
    env = os.environ.get(CACHE_DIR_ENV)
    if env:
        return Path(env).expanduser().absolute()
    return root / CACHE_FOLDER


def clear_cache(root: Path) -> Path | None:
    """Remove the cache of the project at ``root``; returns the folder removed (``None``: none)."""
    folder = cache_folder(root)
    if not (folder / FORMAT).is_dir() and not (folder / ".gitignore").is_file():
        return None  # not a folder this cache wrote: leave it alone
    shutil.rmtree(folder, ignore_errors=True)
    return folder


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class CheckCache:
    """One project's cache folder, read once and written back by :meth:`save`."""

    def __init__(self, folder: Path, tool: str) -> None:
        self.folder = folder
        self.tool = tool
        self.stats: dict[str, Any] = {}  # file key -> [mtime ns, size, content hash]
        self._facts: dict[str, FileFacts] = {}
        self._fact_shards: dict[str, dict[str, Any]] = {}  # raw JSON, by the digest's first 2 characters
        self._dirty_facts: set[str] = set()
        self.written_at = 0
        self._shards: dict[str, dict[str, Any]] = {}
        self._dirty: set[str] = set()
        self._index_dirty = False
        self._graph: dict[str, Any] | None = None
        self._markets: dict[str, Any] | None = None
        self._markets_dirty = False
        self._load_index()

    # ------------------------------------------------------------------ index

    def _load_index(self) -> None:
        try:
            doc = json.loads((self.folder / FORMAT / "index.json").read_bytes())
            if not isinstance(doc, dict) or doc.get("tool") != self.tool:
                raise ValueError("another version's index")
            stats = doc["files"]
            assert isinstance(stats, dict)
            # each [mtime ns, size, content hash]: checked in bulk (one pass in C), not one by one
            assert all(type(v) is list and len(v) == 3 for v in stats.values())
            assert {type(v[0]) for v in stats.values()} | {type(v[1]) for v in stats.values()} <= {int}
            assert {type(v[2]) for v in stats.values()} <= {str}
            self.stats = stats
            self.written_at = int(doc.get("written_at", 0))
            graph = doc.get("graph")
            self._graph = graph if isinstance(graph, dict) else None
        except (OSError, ValueError, KeyError, TypeError, AssertionError, RecursionError):
            self.stats = {}  # absent, corrupt or foreign: start afresh
            self._index_dirty = True

    def facts(self, digest: str) -> FileFacts | None:
        """The facts stored for a content hash (``None``: none, or they do not read back)."""
        got = self._facts.get(digest)
        if got is None:
            raw = self._fact_shard(digest[:2]).get(digest)
            if raw is None:
                return None
            try:
                got = FileFacts.from_json(raw)
            except (ValueError, KeyError, TypeError, AssertionError, RecursionError):
                return None
            self._facts[digest] = got
        return got

    def _fact_shard(self, name: str) -> dict[str, Any]:
        """One shard of the facts (most runs read few: the index's name graph answers)."""
        got = self._fact_shards.get(name)
        if got is None:
            got = self._fact_shards[name] = self._read_shard("facts", name)
        return got

    def _read_shard(self, folder: str, name: str) -> dict[str, Any]:
        try:
            doc = json.loads((self.folder / FORMAT / folder / f"{name}.json").read_bytes())
            if not isinstance(doc, dict) or doc.get("tool") != self.tool or not isinstance(doc.get("entries"), dict):
                raise ValueError("foreign shard")
            entries: dict[str, Any] = doc["entries"]
            return entries
        except (OSError, ValueError, RecursionError):
            return {}

    def known_hash(self, key: str, mtime_ns: int, size: int) -> str | None:
        """The content hash recorded for ``key`` when its size and modification time are
        unchanged (and it was not modified in the same second the index was written)."""
        got = self.stats.get(key)
        if got is None or got[0] != mtime_ns or got[1] != size:
            return None
        if mtime_ns >= self.written_at - 2_000_000_000:
            return None  # racy: could have changed again within the clock's resolution
        return str(got[2])

    def record(self, key: str, mtime_ns: int, size: int, digest: str) -> None:
        if self.stats.get(key) != [mtime_ns, size, digest]:
            self.stats[key] = [mtime_ns, size, digest]
            self._index_dirty = True

    def previous_hash(self, key: str) -> str | None:
        got = self.stats.get(key)
        return str(got[2]) if got is not None else None

    def put_facts(self, digest: str, facts: FileFacts) -> None:
        old = self.facts(digest)
        if facts.exact and (old is None or not old.exact):
            self._facts[digest] = facts
            self._fact_shard(digest[:2])[digest] = facts.to_json()
            self._dirty_facts.add(digest[:2])

    def graph(self, key: str, files: AbstractSet[str]) -> tuple[dict[str, list[str]], dict[str, set[str]], dict[str, list[str]],
                                       set[str], dict[bool, set[str]]] | None:
        """The name graph stored for ``key`` (a digest of every file's content, the config,
        the markets and the tool): who defines, refers to and means what, the files known
        only by a scan, the suspects found (:class:`audiencelang.check.incremental._Engine`);
        ``None``: none, or it does not read back (every file it names must be in ``files``)."""
        g = self._graph
        if g is None or g.get("key") != key:
            return None
        try:
            definers, referrers, by_mkey = g["definers"], g["referrers"], g["by_mkey"]
            inexact, suspects = g["inexact"], g["suspects"]
            for m in (definers, referrers, by_mkey):  # lists of the project's files (in bulk: sets, in C)
                assert isinstance(m, dict) and all(type(v) is list for v in m.values())
                assert set().union(*m.values()) <= files
            assert isinstance(inexact, list) and set(inexact) <= files
            assert isinstance(suspects, dict) and set(suspects) <= {"history", "no_history"}
            assert all(type(v) is list and {type(x) for x in v} <= {str} for v in suspects.values())
        except (KeyError, AssertionError, TypeError):
            return None
        return (definers, {k: set(v) for k, v in referrers.items()}, by_mkey, set(inexact),
                {k == "history": set(v) for k, v in suspects.items()})

    def put_graph(self, key: str, definers: dict[str, list[str]], referrers: dict[str, set[str]],
                  by_mkey: dict[str, list[str]], inexact: set[str], suspects: dict[bool, set[str]]) -> None:
        self._graph = {"key": key, "definers": definers, "referrers": {k: sorted(v) for k, v in referrers.items()},
                       "by_mkey": by_mkey, "inexact": sorted(inexact),
                       "suspects": {("history" if h else "no_history"): sorted(v) for h, v in suspects.items()}}
        self._index_dirty = True

    # ------------------------------------------------------------------ market files

    def _market_key(self, text: str, path: str | None) -> str:
        import hashlib

        return hashlib.blake2b(f"{path}\0{text}".encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()

    def market_document(self, text: str, path: str | None) -> object | None:
        """A market file's YAML as read before (its data and spans: it is validated as
        always): :class:`audiencelang.schema.loader.MarketDocuments`."""
        if self._markets is None:
            self._markets = self._read_shard("markets", "documents")
        return self._markets.get(self._market_key(text, path))

    def put_market_document(self, text: str, path: str | None, document: object) -> None:
        if self._markets is None:
            self._markets = self._read_shard("markets", "documents")
        self._markets[self._market_key(text, path)] = document
        self._markets_dirty = True

    # ------------------------------------------------------------------ diagnostics

    def _shard(self, key: str) -> dict[str, Any]:
        name = key[:2]
        got = self._shards.get(name)
        if got is None:
            got = self._shards[name] = self._read_shard("diagnostics", name)
        return got

    def get(self, key: str) -> tuple[list[Diagnostic], list[str]] | None:
        """The diagnostics and audience names stored under ``key`` (``None``: not stored,
        or the entry does not read back as one)."""
        entry = self._shard(key).get(key)
        try:
            assert isinstance(entry, dict) and entry.get("key") == key
            names = entry["audiences"]
            assert isinstance(names, list) and all(isinstance(n, str) for n in names)
            return _DIAGS.validate_python(entry["diagnostics"]), names
        except (AssertionError, KeyError, ValueError, TypeError, RecursionError):
            return None

    def put(self, key: str, diagnostics: list[Diagnostic], audiences: list[str]) -> None:
        self._shard(key)[key] = {"key": key, "audiences": audiences,
                                 "diagnostics": _DIAGS.dump_python(diagnostics, mode="json")}
        self._dirty.add(key[:2])

    # ------------------------------------------------------------------ writing

    def save(self, live: set[str] | None = None) -> None:
        """Write what changed (atomically; errors are ignored: a cache is optional).
        ``live``: the file keys of the project (others are dropped from the index)."""
        with contextlib.suppress(OSError):
            self._save(live)

    def _save(self, live: set[str] | None) -> None:
        if not self._dirty and not self._index_dirty and not self._dirty_facts and not self._markets_dirty:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        if not (self.folder / ".gitignore").exists():
            _write(self.folder / ".gitignore", b"# written by audiencelang (docs/cache.md)\n*\n")
            _write(self.folder / "CACHEDIR.TAG", _TAG.encode())
        base = self.folder / FORMAT
        for name in sorted(self._dirty):
            doc = {"tool": self.tool, "entries": self._shards[name]}
            _write(base / "diagnostics" / f"{name}.json", json.dumps(doc, separators=(",", ":")).encode())
        if self._index_dirty:
            import time

            stats = {k: v for k, v in self.stats.items() if live is None or k in live}
            doc2: dict[str, Any] = {"tool": self.tool, "written_at": time.time_ns(), "files": stats}
            if self._graph is not None:
                doc2["graph"] = self._graph
            _write(base / "index.json", json.dumps(doc2, separators=(",", ":")).encode())
        if self._dirty_facts:  # each written shard keeps the facts of the contents the index knows
            used = {v[2] for v in self.stats.values()}
            for name in sorted(self._dirty_facts):
                kept = {h: f for h, f in self._fact_shards[name].items() if h in used}
                _write(base / "facts" / f"{name}.json",
                       json.dumps({"tool": self.tool, "entries": kept}, separators=(",", ":")).encode())
        if self._markets_dirty and self._markets is not None:  # the last 64 market texts read
            kept = dict(list(self._markets.items())[-64:])
            _write(base / "markets" / "documents.json",
                   json.dumps({"tool": self.tool, "entries": kept}, separators=(",", ":")).encode())
        self._dirty.clear()
        self._dirty_facts.clear()
        self._index_dirty = False
        self._markets_dirty = False
