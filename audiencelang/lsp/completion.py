"""Completion by context.

Keywords: what the grammar accepts at the cursor, asked of Lark's interactive
LALR parser on the current audience up to the cursor (so the list is exactly
what may follow). Names: what kind of name the cursor stands at (from
:func:`.context.classify`): traits, events, properties of the event in scope,
consent purposes, destinations, audiences, units. When the text before the
cursor does not parse, names still come from the context and keywords are left
out rather than guessed.
"""

from __future__ import annotations

from functools import lru_cache

from lark import Token
from lark.exceptions import LarkError
from lark.parsers.lalr_interactive_parser import InteractiveParser
from lsprotocol import types

from audiencelang.syntax import build_parser
from audiencelang.syntax.parser import UNITS

from . import catalog
from .context import Role, Tok, classify, keyword_phrases, tokenize
from .index import ProjectIndex

__all__ = ["complete"]

_KIND = {
    Role.TRAIT: types.CompletionItemKind.Field,
    Role.EVENT: types.CompletionItemKind.Event,
    Role.PROPERTY: types.CompletionItemKind.Property,
    Role.PURPOSE: types.CompletionItemKind.EnumMember,
    Role.DESTINATION: types.CompletionItemKind.Module,
    Role.AUDIENCE_REF: types.CompletionItemKind.Reference,
    Role.UNIT: types.CompletionItemKind.Unit,
}

#: Keywords offered with the words that follow them; each phrase is offered only where the
#: grammar accepts all of its words (``in audience`` in an expression, not after a trait).
_PHRASES = {"in": ["in", "in audience", "in last", "in sample"], "has": ["has consent"], "require": ["require consent"],
            "min": ["min", "min size"], "is": ["is null", "is not null"], "ignoring": ["ignoring case"],
            "not": ["not", "not in"]}


def _parser_at(text: str) -> InteractiveParser | None:
    """Lark's interactive parser after ``text`` (``None`` when ``text`` does not parse)."""
    try:
        ip: InteractiveParser = build_parser().parse_interactive(text)
        ip.exhaust_lexer()
        return ip
    except LarkError:
        return None


def _accepts(ip: InteractiveParser) -> set[str]:
    got: set[str] = ip.accepts()  # type: ignore[no-untyped-call]
    return got


@lru_cache(maxsize=1)
def _terminal_of_word() -> dict[str, str]:
    return {words[0]: term for term, words in keyword_phrases().items() if len(words) == 1}


def _phrase_fits(ip: InteractiveParser, term: str, label: str, alternatives: list[str]) -> bool:
    """Whether the grammar accepts ``label``, a phrase of :data:`_PHRASES` whose first word is
    the accepted terminal ``term``: every further word in turn; a bare keyword only when
    something other than the next words of its ``alternatives`` may follow it."""
    words = label.split()
    terminals = _terminal_of_word()
    ip = ip.copy()  # type: ignore[no-untyped-call]
    try:
        ip.feed_token(Token(term, words[0]))
        for w in words[1:]:
            nxt = terminals.get(w)
            if nxt is None or nxt not in _accepts(ip):
                return False
            ip.feed_token(Token(nxt, w))
        if len(words) == 1:
            followers = {terminals.get(a.split()[1]) for a in alternatives if len(a.split()) > 1}
            return bool(_accepts(ip) - followers)
    except LarkError:
        return False
    return True


def _block_start(toks: list[Tok]) -> int:
    """Offset of the `audience` keyword that opens the block the cursor is in (0 if none)."""
    words = [t for t in toks if t.kind != "comment"]
    for i in range(len(words) - 1, -1, -1):
        t = words[i]
        if t.text == "audience" and (i == 0 or words[i - 1].text == "}"):
            return t.start
    return 0


_CLAUSES = frozenset({"title", "owner", "description", "tags", "include", "exclude", "require", "min",
                      "activate"})


def _clause_start(toks: list[Tok]) -> int | None:
    """Offset of the clause keyword that starts the clause the cursor is in."""
    for t in reversed(toks):
        if t.role is Role.KEYWORD and t.text in _CLAUSES:
            return t.start
        if t.text in ("{", "}"):
            return None
    return None


#: Most audience names offered at once (a project may have thousands).
MAX_ITEMS = 200


def _names(index: ProjectIndex, role: Role, event: str | None, current: str | None,
           partial: str) -> list[types.CompletionItem]:
    entries: dict[str, catalog.Entry] = {}
    if role is Role.TRAIT:
        entries = catalog.traits(index.markets)
    elif role is Role.EVENT:
        entries = catalog.events(index.markets)
    elif role is Role.PROPERTY and event is not None:
        entries = catalog.properties(index.markets, event)
    elif role is Role.PURPOSE:
        entries = catalog.purposes(index.markets)
    if entries:
        return [types.CompletionItem(label=e.name, kind=_KIND[role], detail=f"{role.value} · {e.detail()}",
                                     sort_text=f"0{e.name}")
                for e in entries.values()]
    out: list[types.CompletionItem] = []
    if role is Role.DESTINATION:
        for name, dest in sorted(index.config.destinations.items()):
            consent = ", ".join(dest.consent) or "no consent"
            out.append(types.CompletionItem(label=name, kind=_KIND[role], sort_text=f"0{name}",
                                            detail=f"destination · min size {dest.min_size:,} · {consent}"))
    elif role is Role.AUDIENCE_REF:
        names = [n for n in index.audience_names() if n != current]
        if len(names) > MAX_ITEMS:  # a big project: the closest names; the client asks again as you type
            names = [n for n in names if n.startswith(partial)] or [n for n in names if partial in n]
        for name in names[:MAX_ITEMS]:
            found = index.audience(name)
            title = ""
            if found is not None and found[1] is not None and found[1].title is not None:
                title = f" · {found[1].title.value}"
            out.append(types.CompletionItem(label=name, kind=_KIND[role], sort_text=f"0{name}",
                                            detail=f"audience{title} · {found[0] if found else ''}"))
    elif role is Role.UNIT:
        out = [types.CompletionItem(label=u, kind=_KIND[role], detail="time unit", sort_text=f"0{u}")
               for u in sorted(UNITS)]
    return out


def complete(index: ProjectIndex, text: str, offset: int) -> list[types.CompletionItem]:
    """Completion items at ``offset`` (a code-point offset into ``text``). Audience names are
    capped at :data:`MAX_ITEMS` (those starting with the word typed so far first): the list
    is then incomplete (:func:`is_incomplete`) and the client asks again as the user types."""
    toks = tokenize(text[:offset])
    last = toks[-1] if toks else None
    closed_string = last is not None and last.kind == "string" and len(last.text) >= 2 and last.text.endswith('"')
    if last is not None and last.end == offset and last.kind in ("comment", "string", "number", "time") \
            and not closed_string:
        return []  # inside a comment, string or number
    cut = offset
    partial = ""
    if toks and toks[-1].kind == "word" and toks[-1].end == offset:
        cut, partial = toks[-1].start, toks[-1].text
        toks = toks[:-1]
    probe = Tok("word", "x", cut, cut)
    classify([*toks, probe])
    ip = _parser_at(text[_block_start(toks):cut])
    if ip is None:  # an error earlier in the block: try from the clause the cursor is in
        clause = _clause_start(toks)
        if clause is not None:
            ip = _parser_at("audience _ {\n" + text[clause:cut])
    accepted = _accepts(ip) if ip is not None else None
    current = None
    words = [t for t in toks if t.kind == "word"]
    for i in range(len(words) - 1, 0, -1):
        if words[i].role is Role.AUDIENCE_DEF:
            current = words[i].text
            break
    items: list[types.CompletionItem] = []
    if accepted is None or "NAME" in accepted:
        items += _names(index, probe.role, probe.event, current, partial)
    if ip is not None and accepted is not None:
        phrases = keyword_phrases()
        seen: set[str] = set()
        for term in sorted(accepted):
            for word in phrases.get(term, []):
                alternatives = _PHRASES.get(word)
                for label in alternatives or [word]:
                    if label not in seen and (alternatives is None or _phrase_fits(ip, term, label, alternatives)):
                        seen.add(label)
                        items.append(types.CompletionItem(label=label, kind=types.CompletionItemKind.Keyword,
                                                          detail="keyword", sort_text=f"1{label}"))
    return items


def is_incomplete(index: ProjectIndex) -> bool:
    """Whether audience completion may have been cut at :data:`MAX_ITEMS`."""
    return len(index.defined_in) > MAX_ITEMS
