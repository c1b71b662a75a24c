"""The language server: ``audiencelang lsp`` runs :func:`serve` over stdio.

Wiring only: each protocol request is answered by one module of this package
(:mod:`.completion`, :mod:`.hover`, :mod:`.navigation`, :mod:`.tokens`,
:mod:`.actions`), over the project held by :mod:`.index`. A project is found
by walking up from the opened file (as the CLI does) and loaded once. Edits of
audience files are re-checked after a short pause (``debounce_ms``, 50 by
default, an ``initializationOptions`` key); edits of market files take effect
as they are typed; the project config is reloaded when it is saved; files
changed on disk by other programs are read again when the client reports them
(``workspace/didChangeWatchedFiles``, registered when the client allows).
"""

from __future__ import annotations

import asyncio
import gc
import logging
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer

from audiencelang.__about__ import __version__
from audiencelang.diagnostics import Diagnostic
from audiencelang.project import CONFIG_FILE, PYPROJECT_FILE, find_project_root

from . import actions, completion, hover, navigation, tokens
from .convert import offset_at, path_of_uri, to_lsp, uri_of
from .index import ProjectIndex

__all__ = ["AudienceServer", "serve"]

log = logging.getLogger(__name__)


class AudienceServer(LanguageServer):
    """The server's state: one :class:`ProjectIndex` per project root, and what is pending."""

    def __init__(self) -> None:
        super().__init__("audiencelang", __version__)
        self.indexes: dict[Path, ProjectIndex | None] = {}
        self.debounce = 0.05
        self.pending: dict[ProjectIndex, set[str]] = {}
        self.recheck_published: set[ProjectIndex] = set()
        self.published: dict[str, bool] = {}  # uri -> has findings
        self.problem_uris: dict[ProjectIndex, set[str]] = {}
        self.timer: asyncio.TimerHandle | None = None
        self.shown: set[tuple[ProjectIndex, Diagnostic]] = set()

    # ------------------------------------------------------------------ projects

    def index_for(self, path: Path | None) -> ProjectIndex | None:
        """The project of a file (found by walking up from it), loaded on first use."""
        if path is None:
            return None
        root = find_project_root(path)
        if root is None:
            ws = self.workspace.root_path
            root = Path(ws) if ws else path.parent
        if root in self.indexes:
            return self.indexes[root]
        index: ProjectIndex | None
        try:
            index = ProjectIndex(root)
        except Exception as exc:  # a project we cannot load must not stop the server
            log.exception("loading %s", root)
            self.window_show_message(types.ShowMessageParams(
                type=types.MessageType.Error,
                message=f"audiencelang: cannot load the project at {root}: {type(exc).__name__}: {exc}"))
            index = None
        self.indexes[root] = index
        # The project's trees live as long as the server: keep the cyclic collector from
        # rescanning them (a full collection over 5,000 files' trees takes seconds).
        gc.collect()
        gc.freeze()
        if index is not None:
            self.publish_problems(index)
        return index

    def publish_problems(self, index: ProjectIndex) -> None:
        """Config and market file findings on their files; those without a file as a message."""
        by_uri: dict[str, list[Diagnostic]] = {}
        for d in index.problems():
            path = d.span.path if d.span is not None else None
            target = index.project.path_of(path) if path else None
            if target is None or not target.is_file():
                if (index, d) in self.shown:
                    continue  # said once; market edits republish the problems on every keystroke
                self.shown.add((index, d))
                self.window_show_message(types.ShowMessageParams(
                    type=types.MessageType.Warning if not d.is_error else types.MessageType.Error,
                    message=f"audiencelang: {d.code} {d.message}" + "".join(f" ({h})" for h in d.hints)))
                continue
            by_uri.setdefault(uri_of(target), []).append(d)
        before = self.problem_uris.get(index, set())
        for uri in before - set(by_uri):
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
        for uri, found in by_uri.items():
            file = path_of_uri(uri)
            text = file.read_text(encoding="utf-8", errors="replace") if file is not None else None
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
                uri=uri, diagnostics=[to_lsp(d, text) for d in found]))
        self.problem_uris[index] = set(by_uri)

    # ------------------------------------------------------------------ diagnostics

    def schedule(self, index: ProjectIndex, keys: set[str], delay: float | None = None) -> None:
        self.pending.setdefault(index, set()).update(keys)
        if self.timer is not None:
            self.timer.cancel()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        self.timer = loop.call_later(self.debounce if delay is None else delay, self.flush)

    def flush(self) -> None:
        self.timer = None
        pending, self.pending = self.pending, {}
        for index, keys in pending.items():
            if index in self.recheck_published:
                self.recheck_published.discard(index)
                keys = keys | {index.key_of(p) for u, has in self.published.items()
                               if has and (p := path_of_uri(u)) is not None and self._belongs(index, p)}
                keys |= self.open_keys(index)
            try:
                found = index.check(keys)
            except Exception as exc:
                log.exception("checking")
                self.window_show_message(types.ShowMessageParams(
                    type=types.MessageType.Error, message=f"audiencelang: check failed: {type(exc).__name__}: {exc}"))
                continue
            for key, diags in sorted(found.items()):
                uri = uri_of(index.project.path_of(key))
                text = index.text_of(key)
                self.published[uri] = bool(diags)
                self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
                    uri=uri, diagnostics=[to_lsp(d, text) for d in diags]))

    def _belongs(self, index: ProjectIndex, path: Path) -> bool:
        return path.is_relative_to(index.root)

    def open_keys(self, index: ProjectIndex) -> set[str]:
        out: set[str] = set()
        for uri in list(self.workspace.text_documents):
            path = path_of_uri(uri)
            if path is not None and self._belongs(index, path):
                key = index.key_of(path)
                if index.is_audience_file(key):
                    out.add(key)
        return out

    # ------------------------------------------------------------------ documents

    def located(self, uri: str) -> tuple[ProjectIndex, str] | None:
        path = path_of_uri(uri)
        index = self.index_for(path)
        if index is None or path is None:
            return None
        return index, index.key_of(path)

    def text(self, uri: str) -> str:
        return self.workspace.get_text_document(uri).source

    def changed(self, uri: str, *, opened: bool = False) -> None:
        where = self.located(uri)
        if where is None:
            return
        index, key = where
        text = self.text(uri)
        if index.is_market_file(key):
            if not opened:
                index.set_market_text(key, text)
                self.publish_problems(index)
                self.recheck_published.add(index)
                self.schedule(index, set())
            return
        if not index.is_audience_file(key):
            return
        keys = index.set_text(key, text)
        self.schedule(index, keys, 0.0 if opened else None)


server = AudienceServer()


@server.feature(types.INITIALIZE)
def _initialize(ls: AudienceServer, params: types.InitializeParams) -> None:
    opts = params.initialization_options
    if isinstance(opts, dict) and isinstance(opts.get("debounce_ms"), int | float):
        ls.debounce = max(0.0, float(opts["debounce_ms"]) / 1000)


@server.feature(types.INITIALIZED)
def _initialized(ls: AudienceServer, params: types.InitializedParams) -> None:
    root = ls.workspace.root_path
    if root:  # load the workspace's project now, not on the first keystroke
        ls.index_for(Path(root))
    watched = ls.client_capabilities.workspace and ls.client_capabilities.workspace.did_change_watched_files
    if watched and watched.dynamic_registration:
        ls.client_register_capability(types.RegistrationParams(registrations=[types.Registration(
            id="audiencelang-files", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=[
                types.FileSystemWatcher(glob_pattern=g)
                for g in ("**/*.aud", "**/*.yaml", "**/*.yml", f"**/{CONFIG_FILE}", f"**/{PYPROJECT_FILE}")]))]))


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def _watched(ls: AudienceServer, params: types.DidChangeWatchedFilesParams) -> None:
    """Files changed on disk (another program, a `git pull`): audience files are re-read,
    market files and the config reload the project."""
    open_uris = set(ls.workspace.text_documents)
    for change in params.changes:
        where = ls.located(change.uri)
        if where is None:
            continue
        index, key = where
        if Path(key).name in (CONFIG_FILE, PYPROJECT_FILE) or (
                key.endswith((".yaml", ".yml")) and change.uri not in open_uris):
            index.load()
            ls.publish_problems(index)
            ls.recheck_published.add(index)
            ls.schedule(index, set())
        elif index.is_audience_file(key):
            ls.schedule(index, index.disk_changed(key))


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def _did_open(ls: AudienceServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.changed(params.text_document.uri, opened=True)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def _did_change(ls: AudienceServer, params: types.DidChangeTextDocumentParams) -> None:
    ls.changed(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def _did_close(ls: AudienceServer, params: types.DidCloseTextDocumentParams) -> None:
    where = ls.located(params.text_document.uri)
    if where is None:
        return
    index, key = where
    if index.is_market_file(key):
        index.set_market_text(key, None)
        ls.publish_problems(index)
        ls.recheck_published.add(index)
        ls.schedule(index, set())
    elif index.is_audience_file(key):
        ls.schedule(index, index.close(key), 0.0)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def _did_save(ls: AudienceServer, params: types.DidSaveTextDocumentParams) -> None:
    where = ls.located(params.text_document.uri)
    if where is None:
        return
    index, key = where
    if Path(key).name in (CONFIG_FILE, PYPROJECT_FILE):
        index.load()
        ls.publish_problems(index)
        ls.recheck_published.add(index)
        ls.schedule(index, set(), 0.0)


def _at(ls: AudienceServer, doc: types.TextDocumentIdentifier, pos: types.Position) -> tuple[ProjectIndex, str, int] | None:
    where = ls.located(doc.uri)
    if where is None:
        return None
    text = ls.text(doc.uri)
    return where[0], text, offset_at(text, pos)


@server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=[".", " "]))
def _completion(ls: AudienceServer, params: types.CompletionParams) -> types.CompletionList | None:
    got = _at(ls, params.text_document, params.position)
    if got is None:
        return None
    return types.CompletionList(is_incomplete=completion.is_incomplete(got[0]), items=completion.complete(*got))


@server.feature(types.TEXT_DOCUMENT_HOVER)
def _hover(ls: AudienceServer, params: types.HoverParams) -> types.Hover | None:
    got = _at(ls, params.text_document, params.position)
    return hover.hover(*got) if got is not None else None


@server.feature(types.TEXT_DOCUMENT_DEFINITION)
def _definition(ls: AudienceServer, params: types.DefinitionParams) -> list[types.Location] | None:
    got = _at(ls, params.text_document, params.position)
    return navigation.definition(*got) if got is not None else None


@server.feature(types.TEXT_DOCUMENT_REFERENCES)
def _references(ls: AudienceServer, params: types.ReferenceParams) -> list[types.Location] | None:
    got = _at(ls, params.text_document, params.position)
    if got is None:
        return None
    return navigation.references(*got, params.context.include_declaration)


@server.feature(types.TEXT_DOCUMENT_PREPARE_RENAME)
def _prepare_rename(ls: AudienceServer, params: types.PrepareRenameParams) -> types.Range | None:
    got = _at(ls, params.text_document, params.position)
    if got is None:
        return None
    at = navigation.audience_at(got[1], got[2])
    if at is None:
        return None
    from .convert import range_of

    return range_of(got[1], at[1], at[2])


@server.feature(types.TEXT_DOCUMENT_RENAME)
def _rename(ls: AudienceServer, params: types.RenameParams) -> types.WorkspaceEdit | None:
    got = _at(ls, params.text_document, params.position)
    if got is None:
        return None
    try:
        return navigation.rename(*got, params.new_name)
    except navigation.RenameError as exc:
        raise JsonRpcInvalidParams(str(exc)) from exc


@server.feature(types.TEXT_DOCUMENT_FORMATTING)
def _formatting(ls: AudienceServer, params: types.DocumentFormattingParams) -> list[types.TextEdit] | None:
    return actions.format_document(ls.text(params.text_document.uri))


@server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]))
def _code_action(ls: AudienceServer, params: types.CodeActionParams) -> list[types.CodeAction] | None:
    uri = params.text_document.uri
    return actions.code_actions(uri, ls.text(uri), list(params.context.diagnostics))


@server.feature(types.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL, tokens.LEGEND)
def _semantic_tokens(ls: AudienceServer, params: types.SemanticTokensParams) -> types.SemanticTokens:
    return tokens.semantic_tokens(ls.text(params.text_document.uri))


def serve(argv: Any = None) -> None:
    """Run the server over stdin/stdout until the client says exit."""
    logging.basicConfig(level=logging.WARNING, format="audiencelang lsp: %(levelname)s %(message)s")
    gc.set_threshold(100_000, 50, 100)  # as the CLI: many small acyclic nodes, collect rarely
    server.start_io()
