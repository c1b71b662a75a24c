"""The language server, end to end: the real `audiencelang lsp` process, driven by pytest-lsp.

One server serves a copy of the example project (markets de, fr, us; in the copy
market fr lacks the trait `loyalty_tier`, so per-market findings can be seen); a
second one serves a project whose config does not parse.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

try:
    import pytest_lsp
except ImportError:  # pragma: no cover - the dev extra brings it
    if os.environ.get("AUDIENCELANG_REQUIRE_ENGINES"):
        raise
    pytest.skip("pytest-lsp (dev extra) and pygls (lsp extra) are not installed", allow_module_level=True)
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
PUBLISH = types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS

pytestmark = pytest.mark.asyncio(loop_scope="module")


def _server() -> ClientServerConfig:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return ClientServerConfig(server_command=[sys.executable, "-m", "audiencelang.cli", "lsp"], server_env=env)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lsp") / "shop"
    shutil.copytree(EXAMPLES, root)
    fr = root / "markets" / "fr.yaml"
    fr.write_text("".join(line for line in fr.read_text().splitlines(keepends=True)
                          if "loyalty_tier" not in line))
    return root


@pytest_lsp.fixture(config=_server(), scope="module")
async def client(lsp_client: LanguageClient, project: Path) -> Any:
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=types.ClientCapabilities(), root_uri=project.as_uri(),
        initialization_options={"debounce_ms": 10}))
    yield
    await lsp_client.shutdown_session()


async def _diagnostics(client: LanguageClient, uri: str, ok: Callable[[list[types.Diagnostic]], bool],
                       timeout: float = 15) -> list[types.Diagnostic]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        got = client.diagnostics.get(uri)
        if got is not None and ok(got):
            return got
        left = deadline - loop.time()
        if left <= 0:
            raise AssertionError(f"no matching diagnostics for {uri}; last: {got}")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(client.wait_for_notification(PUBLISH), left)


_versions: dict[str, int] = {}


def _open(client: LanguageClient, path: Path, text: str | None = None) -> str:
    uri = path.as_uri()
    _versions[uri] = 1
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=uri, language_id="audience", version=1, text=path.read_text() if text is None else text)))
    return uri


def _change(client: LanguageClient, uri: str, text: str) -> None:
    _versions[uri] += 1
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=_versions[uri]),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))


def _pos(text: str, needle: str, after: int = 0) -> types.Position:
    """The position just after the first ``needle`` (or ``after`` characters into it)."""
    i = text.index(needle) + (after if after else len(needle))
    line = text.count("\n", 0, i)
    return types.Position(line=line, character=i - (text.rfind("\n", 0, i) + 1))


async def _complete(client: LanguageClient, uri: str, text: str, needle: str) -> dict[str, types.CompletionItem]:
    got = await client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=_pos(text, needle)))
    assert got is not None
    items = got.items if isinstance(got, types.CompletionList) else got
    return {i.label: i for i in items}


async def _hover(client: LanguageClient, uri: str, text: str, needle: str, after: int = 1) -> str:
    got = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=_pos(text, needle, after)))
    assert got is not None, needle
    assert isinstance(got.contents, types.MarkupContent)
    return got.contents.value


DRAFT = """\
audience draft_one {
  title "Draft"
  owner "me@example.com"
  description "A draft."
  include countri = "DE" and loyalty_tier = "gold"
}
"""


async def test_diagnostics_on_open_and_change_name_the_market(client: LanguageClient, project: Path) -> None:
    path = project / "audiences" / "draft.aud"
    path.write_text(DRAFT)
    uri = _open(client, path)
    diags = await _diagnostics(client, uri, lambda ds: len(ds) >= 2)
    by_code = {(d.code, d.message.split("\n")[0]) for d in diags}
    assert ("E301", "unknown trait 'countri' (no market defines it)") in by_code
    fr = [d for d in diags if "'loyalty_tier'" in d.message]
    assert len(fr) == 1 and "market 'fr'" in fr[0].message, fr  # only fr lacks it, and says so
    unknown = next(d for d in diags if "countri" in d.message)
    assert "hint: did you mean 'country'?" in unknown.message
    assert unknown.range.start == types.Position(line=4, character=10)
    # the same codes and messages as `audiencelang check`
    from audiencelang.check import check_project
    from audiencelang.project import load_project
    report = check_project(load_project(project), paths=[path])
    assert sorted(d.code for d in diags) == sorted(d.code for d in report.diagnostics)
    assert {d.message.split("\n")[0] for d in diags} == {d.message for d in report.diagnostics}
    # an edit that fixes both: the diagnostics go away
    _change(client, uri, DRAFT.replace("countri", "country").replace(' and loyalty_tier = "gold"', ""))
    assert not await _diagnostics(client, uri, lambda ds: not ds)


async def test_a_dependent_file_is_rechecked_when_its_reference_disappears(client: LanguageClient,
                                                                          project: Path) -> None:
    lifecycle = project / "audiences" / "lifecycle.aud"
    cart = (project / "audiences" / "cart_abandoners.aud").as_uri()
    uri = _open(client, lifecycle)
    text = lifecycle.read_text()
    _change(client, uri, text.replace("audience existing_customers", "audience existing_customerz"))
    diags = await _diagnostics(client, cart, lambda ds: any(d.code == "E305" for d in ds))
    assert any("unknown audience 'existing_customers'" in d.message for d in diags)
    _change(client, uri, text)
    await _diagnostics(client, cart, lambda ds: not ds)


async def test_completion_by_context(client: LanguageClient, project: Path) -> None:
    text = ("audience comp {\n  include age > 3 and \n  exclude performed \n"
            "  include performed purchase where \n  include sum(purchase.\n  require consent \n"
            "  activate \n  include in audience \n  include performed purchase in last 3 days\n  \n}\n")
    uri = _open(client, project / "audiences" / "comp.aud", text)
    traits = await _complete(client, uri, text, "age > 3 and ")
    assert {"country", "age", "loyalty_tier"} <= set(traits) and "purchase" not in traits
    assert traits["age"].detail == "trait · integer · de, fr, us"
    assert traits["loyalty_tier"].detail == "trait · string · de, us · missing in fr"
    assert {"performed", "not", "has consent", "in audience", "count"} <= set(traits)  # keywords that fit
    assert "include" not in traits and "title" not in traits and "in" not in traits  # and only those
    after_trait = await _complete(client, uri, text, "include age ")
    assert {"in", "not in", "between", "is null", "starts with"} <= set(after_trait)
    assert "in audience" not in after_trait and "age" not in after_trait
    after_event = await _complete(client, uri, text, "include performed purchase ")
    assert {"at least", "exactly", "where", "in last", "and"} <= set(after_event)
    events = await _complete(client, uri, text, "exclude performed ")
    assert set(events) == {"add_to_cart", "page_view", "purchase", "session"}
    props = await _complete(client, uri, text, "purchase where ")
    assert {"channel", "coupon", "revenue"} <= set(props) and "age" not in props
    assert props["revenue"].detail is not None and props["revenue"].detail.startswith("property")
    dotted = await _complete(client, uri, text, "sum(purchase.")
    assert set(dotted) == {"channel", "coupon", "revenue"}
    assert set(await _complete(client, uri, text, "consent ")) == {"ads_personalization", "email_marketing"}
    dests = await _complete(client, uri, text, "activate ")
    assert set(dests) == {"meta_ads", "newsletter", "tiktok_ads"}
    assert "min size 1,000" in (dests["meta_ads"].detail or "")
    auds = await _complete(client, uri, text, "in audience ")
    assert {"existing_customers", "cart_abandoners"} <= set(auds) and "comp" not in auds
    assert {"days", "weeks"} <= set(await _complete(client, uri, text, "in last 3 "))
    clause = await _complete(client, uri, text, "in last 3 days\n  ")
    assert {"include", "exclude", "require consent", "activate", "min size", "title"} <= set(clause)
    assert "min" not in clause and "require" not in clause


async def test_completion_and_hover_in_a_file_with_syntax_errors(client: LanguageClient, project: Path) -> None:
    text = "audience broken {\n  include age > > 3 and performed \n  activate meta_ads\n}\n"
    uri = _open(client, project / "audiences" / "broken.aud", text)
    diags = await _diagnostics(client, uri, lambda ds: bool(ds))
    assert diags[0].code.startswith("E1")
    events = await _complete(client, uri, text, "and performed ")
    assert "purchase" in events
    assert "**destination `meta_ads`**" in await _hover(client, uri, text, "meta_ads")
    assert "integer" in await _hover(client, uri, text, "age")


async def test_hover(client: LanguageClient, project: Path) -> None:
    path = project / "audiences" / "cart_abandoners.aud"
    text = path.read_text()
    uri = _open(client, path)
    trait = await _hover(client, uri, text, "country in")
    assert "| de | `crm.kunden.land` | string |" in trait or "| de |" in trait
    assert "trait `country`" in trait
    event = await _hover(client, uri, text, "purchase in last")
    assert "event `purchase`" in event and "| fr |" in event
    ref = await _hover(client, uri, text, "existing_customers")
    assert "Existing customers" in ref and "crm-team@example.com" in ref
    assert "Bought at least once" in ref and "lifecycle.aud" in ref
    dest = await _hover(client, uri, text, "activate meta_ads", len("activate m"))
    assert "minimum size: 1,000" in dest and "ads_personalization" in dest and "email_sha256" in dest


async def test_definition_references_and_rename(client: LanguageClient, project: Path) -> None:
    cart = project / "audiences" / "cart_abandoners.aud"
    text = cart.read_text()
    uri = _open(client, cart)
    where = types.TextDocumentIdentifier(uri=uri)
    pos = _pos(text, "in audience existing", len("in audience e"))
    defs = await client.text_document_definition_async(types.DefinitionParams(text_document=where, position=pos))
    assert isinstance(defs, list) and len(defs) == 1
    assert defs[0].uri == (project / "audiences" / "lifecycle.aud").as_uri()
    assert defs[0].range.start == types.Position(line=3, character=9)
    refs = await client.text_document_references_async(types.ReferenceParams(
        text_document=where, position=pos, context=types.ReferenceContext(include_declaration=True)))
    assert refs is not None
    assert sorted((Path(r.uri[7:]).name, r.range.start.line) for r in refs) == [
        ("cart_abandoners.aud", 13), ("lifecycle.aud", 3), ("lifecycle.aud", 34)]
    edit = await client.text_document_rename_async(types.RenameParams(
        text_document=where, position=pos, new_name="known_customers"))
    assert edit is not None and edit.changes is not None
    assert sum(len(v) for v in edit.changes.values()) == 3
    assert all(e.new_text == "known_customers" for v in edit.changes.values() for e in v)
    with pytest.raises(Exception, match="already exists"):
        await client.text_document_rename_async(types.RenameParams(
            text_document=where, position=pos, new_name="cart_abandoners"))


async def test_formatting_and_quick_fixes(client: LanguageClient, project: Path) -> None:
    messy = ('audience   fix_me {\ntitle "Fix"\n owner "me@example.com"\n'
             'include  countri = "DE"\n  activate meta_ads\n}\n')
    path = project / "audiences" / "fix_me.aud"
    uri = _open(client, path, messy)
    doc = types.TextDocumentIdentifier(uri=uri)
    edits = await client.text_document_formatting_async(types.DocumentFormattingParams(
        text_document=doc, options=types.FormattingOptions(tab_size=2, insert_spaces=True)))
    from audiencelang.syntax.formatter import format_str
    assert edits is not None and len(edits) == 1 and edits[0].new_text == format_str(messy)
    diags = await _diagnostics(client, uri, lambda ds: {"E301", "E401"} <= {str(d.code) for d in ds})
    got = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=doc, range=types.Range(start=types.Position(line=0, character=0),
                                             end=types.Position(line=6, character=0)),
        context=types.CodeActionContext(diagnostics=diags)))
    assert got is not None
    titles = {a.title: a for a in got if isinstance(a, types.CodeAction)}
    assert "Replace with 'country'" in titles
    add = titles["Add 'require consent ads_personalization'"]
    assert add.edit is not None and add.edit.changes is not None
    (ins,) = add.edit.changes[uri]
    assert ins.range.start == types.Position(line=4, character=0)
    assert ins.new_text == "  require consent ads_personalization\n"


async def test_semantic_tokens(client: LanguageClient, project: Path) -> None:
    path = project / "audiences" / "cart_abandoners.aud"
    uri = _open(client, path)
    got = await client.text_document_semantic_tokens_full_async(types.SemanticTokensParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    assert got is not None
    legend = ["keyword", "string", "number", "comment", "operator", "variable", "event", "property",
              "namespace", "enumMember", "type", "macro"]
    text = path.read_text().split("\n")
    line = col = 0
    seen: dict[str, str] = {}
    data = got.data
    for i in range(0, len(data), 5):
        line += data[i]
        col = data[i + 1] if data[i] else col + data[i + 1]
        seen[text[line][col:col + data[i + 2]]] = legend[data[i + 3]]
    assert seen["cart_abandoners"] == "namespace" and seen["include"] == "keyword"
    assert seen["country"] == "variable" and seen["add_to_cart"] == "event"
    assert seen["existing_customers"] == "namespace" and seen["meta_ads"] == "type"
    assert seen["ads_personalization"] == "enumMember" and seen["1000"] == "number"


async def test_a_market_file_edited_while_open_updates_diagnostics(client: LanguageClient, project: Path) -> None:
    aud = project / "audiences" / "market_dep.aud"
    aud.write_text('audience market_dep {\n  title "M"\n  owner "me@example.com"\n  description "D"\n  include city = "Paris"\n}\n')
    aud_uri = _open(client, aud)
    await _diagnostics(client, aud_uri, lambda ds: not ds)
    fr = project / "markets" / "fr.yaml"
    fr_text = fr.read_text()
    fr_uri = _open(client, fr)
    edited = "".join(line for line in fr_text.splitlines(keepends=True) if not line.strip().startswith("city:"))
    assert edited != fr_text
    _change(client, fr_uri, edited)
    diags = await _diagnostics(client, aud_uri, lambda ds: bool(ds))
    assert [d.code for d in diags] == ["E301"] and "market 'fr'" in diags[0].message
    _change(client, fr_uri, "market: fr\nprofiles: [oops\n")  # a market file that does not parse
    found = await _diagnostics(client, fr_uri, lambda ds: bool(ds))
    assert found[0].code.startswith("E2")
    _change(client, fr_uri, fr_text)
    await _diagnostics(client, fr_uri, lambda ds: not ds)
    await _diagnostics(client, aud_uri, lambda ds: not ds)


# ---------------------------------------------------------------------- a project that does not load


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lsp-broken")
    (root / "audiencelang.toml").write_text('markets = ["markets"\n[destinations.x\n')
    (root / "audiences").mkdir()
    (root / "audiences" / "a.aud").write_text('audience a {\n  include age > 3\n  activate x\n}\n')
    (root / "audiences" / "latin1.aud").write_bytes(b'audience b { title "caf\xe9" }\n')
    return root


@pytest_lsp.fixture(config=_server(), scope="module")
async def broken_client(lsp_client: LanguageClient, broken: Path) -> Any:
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=types.ClientCapabilities(), root_uri=broken.as_uri()))
    yield
    await lsp_client.shutdown_session()


async def test_an_unreadable_project_is_reported_and_the_server_keeps_running(
        broken_client: LanguageClient, broken: Path) -> None:
    cfg = (broken / "audiencelang.toml").as_uri()
    diags = await _diagnostics(broken_client, cfg, lambda ds: bool(ds))
    assert diags[0].code.startswith("E2") and diags[0].severity == types.DiagnosticSeverity.Error
    path = broken / "audiences" / "a.aud"
    uri = _open(broken_client, path)
    text = path.read_text()
    await _diagnostics(broken_client, uri, lambda ds: True)
    assert "trait `age`" in await _hover(broken_client, uri, text, "age")
    latin1 = broken / "audiences" / "latin1.aud"
    uri2 = _open(broken_client, latin1, "audience b {\n  title \n}\n")
    await _diagnostics(broken_client, uri2, lambda ds: bool(ds))
    items = await _complete(broken_client, uri2, "audience b {\n  title \n}\n", "title ")
    assert items == {}  # a string goes there: nothing to offer, and no error either


async def test_files_changed_on_disk_are_read_again(client: LanguageClient, project: Path) -> None:
    user = project / "audiences" / "watch_user.aud"
    user.write_text('audience watch_user {\n  title "W"\n  owner "me@example.com"\n  description "D"\n'
                    '  include in audience watch_base\n}\n')
    uri = _open(client, user)
    await _diagnostics(client, uri, lambda ds: [d.code for d in ds] == ["E305"])
    base = project / "audiences" / "watch_base.aud"  # written by another program, never opened
    base.write_text('audience watch_base {\n  title "B"\n  owner "me@example.com"\n  description "D"\n'
                    '  include age > 30\n}\n')
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=base.as_uri(), type=types.FileChangeType.Created)]))
    await _diagnostics(client, uri, lambda ds: not ds)
    base.unlink()
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=base.as_uri(), type=types.FileChangeType.Deleted)]))
    await _diagnostics(client, uri, lambda ds: [d.code for d in ds] == ["E305"])
