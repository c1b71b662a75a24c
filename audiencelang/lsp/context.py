"""What each word of an audience file is, from its tokens alone.

The editor needs answers while the text is half written and does not parse, so
completion, hover, navigation and semantic tokens share one tolerant pass: a
small tokenizer and a left-to-right classifier that gives every name its role
(trait, event, property of an event, audience, purpose, destination, unit).
The keywords are read from ``grammar/audience.lark``; nothing here is a second
parser: what may follow the cursor comes from Lark (:mod:`.completion`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

__all__ = ["Role", "Tok", "classify", "grammar_keywords", "token_at", "tokenize"]


class Role(StrEnum):
    KEYWORD = "keyword"
    STRING = "string"
    NUMBER = "number"
    COMMENT = "comment"
    OPERATOR = "operator"
    PUNCT = "punct"
    TRAIT = "trait"
    EVENT = "event"
    PROPERTY = "property"
    AUDIENCE_DEF = "audience_def"
    AUDIENCE_REF = "audience_ref"
    PURPOSE = "purpose"
    DESTINATION = "destination"
    UNIT = "unit"
    OTHER = "other"


@dataclass
class Tok:
    kind: str  # comment, string, time, number, word, op, punct, other
    text: str
    start: int
    end: int
    role: Role = Role.OTHER
    event: str | None = None  # for a property: the event it belongs to
    first_on_line: bool = False


_TOKEN_RE = re.compile(
    r"""(?P<comment>\#[^\n]*)
      | (?P<string>"(?:[^"\\\n\r]|\\[^\n\r])*"?)
      | (?P<time>[0-9]{4}-[0-9]{2}-[0-9]{2}(?:T[0-9:.]+(?:Z|[+-][0-9]{2}:[0-9]{2})?)?)
      | (?P<number>-?[0-9]+(?:\.[0-9]+)?)
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<op>!=|<=|>=|=|<|>)
      | (?P<punct>[{}\[\](),.])
      | (?P<other>\S)""",
    re.VERBOSE,
)


def tokenize(text: str) -> list[Tok]:
    out: list[Tok] = []
    prev = 0
    for m in _TOKEN_RE.finditer(text):
        first = prev == 0 or "\n" in text[prev:m.start()]
        out.append(Tok(m.lastgroup or "other", m.group(), m.start(), m.end(), first_on_line=first))
        prev = m.end()
    return out


def _regex_words(pattern: str) -> list[str]:
    """The phrases a keyword regex of the grammar matches (``starts\\s+with`` -> ``starts with``)."""
    out: list[str] = []
    for alt in pattern.split("|"):
        phrase = alt.replace(r"\s+", " ")
        if phrase.endswith("?") and phrase[-2:-1].isalpha():
            out += [phrase[:-2], phrase[:-1]]
        elif re.fullmatch(r"[a-z ]+", phrase):
            out.append(phrase)
    return out


@lru_cache(maxsize=1)
def keyword_phrases() -> dict[str, list[str]]:
    """Grammar terminal name -> the keyword phrases it stands for (``MATCH_OP`` -> contains, ...).

    Read from the grammar Lark built, so a keyword added to ``audience.lark`` appears here."""
    from audiencelang.syntax import build_parser

    out: dict[str, list[str]] = {}
    for t in build_parser().terminals:
        if t.pattern.type == "str":
            if re.fullmatch(r"[a-z]+", t.pattern.value):
                out[t.name] = [t.pattern.value]
        elif t.name not in ("NAME", "STRING", "NUMBER", "DATE", "TIMESTAMP", "COMMENT", "WS", "CMP_OP"):
            words = _regex_words(t.pattern.value)
            if words:
                out[t.name] = words
    return out


@lru_cache(maxsize=1)
def grammar_keywords() -> frozenset[str]:
    """Every keyword word of the grammar (multi-word phrases split into words)."""
    return frozenset(w for phrases in keyword_phrases().values() for p in phrases for w in p.split())


AGG_FUNCS = frozenset({"count", "sum", "avg", "min", "max"})
UNITS = frozenset({"minute", "minutes", "hour", "hours", "day", "days", "week", "weeks",
                   "month", "months", "year", "years"})
_CLAUSE = frozenset({"title", "owner", "description", "tags", "include", "exclude", "require",
                     "activate", "audience"})
_WHERE_END = frozenset({"at", "exactly", "since"})


def classify(toks: list[Tok]) -> list[Tok]:
    """Give each token its :class:`Role` (in place; returns ``toks``)."""
    kws = grammar_keywords()
    words = [t for t in toks if t.kind != "comment"]
    for t in toks:
        if t.kind == "comment":
            t.role = Role.COMMENT
    depth = 0
    where_event: str | None = None  # inside `where`: the event whose properties the names are
    where_depth = 0
    in_require = False
    agg_event: str | None = None  # the event of the aggregate just closed, for `) where`
    for i, t in enumerate(words):
        p1 = words[i - 1].text if i >= 1 else ""
        p2 = words[i - 2].text if i >= 2 else ""
        nxt = words[i + 1].text if i + 1 < len(words) else ""
        if t.kind == "string":
            t.role = Role.STRING
            continue
        if t.kind in ("number", "time"):
            t.role = Role.NUMBER
            continue
        if t.kind == "op":
            t.role = Role.OPERATOR
            continue
        if t.kind in ("punct", "other"):
            t.role = Role.PUNCT
            if t.text == "(":
                depth += 1
            elif t.text == ")":
                depth -= 1
                if where_event is not None and depth < where_depth:
                    where_event = None
                if i >= 3 and p2 == "(" and words[i - 3].text in AGG_FUNCS:
                    agg_event = p1  # count(E)
                elif i >= 5 and p2 == "." and words[i - 4].text == "(" and words[i - 5].text in AGG_FUNCS:
                    agg_event = words[i - 3].text  # sum(E.p)
            elif t.text in "{}":
                where_event, in_require, depth = None, False, 0
            elif t.text != ",":
                in_require = False
            continue
        # a word
        name_slot = p1 in ("performed", "activate", "consent", ".", "audience")
        name_slot = name_slot or (p1 == "," and in_require) or (p1 == "(" and p2 in AGG_FUNCS)
        # a clause keyword starting a line starts a clause, even after an unfinished one
        line_start = t.text in _CLAUSE and (i == 0 or t.first_on_line)
        if t.text in kws and (not name_slot or line_start):
            t.role = Role.KEYWORD
            if t.text in _CLAUSE or t.text in _WHERE_END or (t.text == "in" and nxt == "last") \
                    or (t.text == "between" and where_event is not None and _is_time(words, i + 1)):
                where_event = None
            if t.text == "consent" and p1 == "require":
                in_require = True
            elif t.text != "consent":
                in_require = False
            if t.text == "where":
                event = _event_before_where(words, i, agg_event)
                if event is not None:
                    where_event, where_depth = event, depth
            if t.text != "where":
                agg_event = None
            continue
        if p1 == "audience":
            t.role = Role.AUDIENCE_REF if p2 == "in" else Role.AUDIENCE_DEF
        elif p1 == "performed" or (p1 == "(" and p2 in AGG_FUNCS):
            t.role = Role.EVENT
        elif p1 == "activate":
            t.role = Role.DESTINATION
        elif p1 == "consent" or (p1 == "," and in_require):
            t.role = Role.PURPOSE
        elif p1 == "." and i >= 2 and words[i - 2].role is Role.EVENT:
            t.role, t.event = Role.PROPERTY, words[i - 2].text
        elif i >= 2 and words[i - 1].kind == "number" and p2 == "last":
            t.role = Role.UNIT
        elif where_event is not None:
            t.role, t.event = Role.PROPERTY, where_event
        else:
            t.role = Role.TRAIT
        if t.role is not Role.PURPOSE:
            in_require = False
    return toks


def _is_time(words: list[Tok], i: int) -> bool:
    return i < len(words) and words[i].kind == "time"


def _event_before_where(words: list[Tok], i: int, agg_event: str | None) -> str | None:
    """The event a `where` at ``words[i]`` filters: `performed E [count/window] where`, or an
    aggregate `f(E[.p]) where`."""
    if i >= 1 and words[i - 1].text == ")" and agg_event is not None:
        return agg_event
    for j in range(i - 1, -1, -1):
        w = words[j]
        if w.role is Role.EVENT:
            return w.text
        if w.text in _CLAUSE or w.text in ("and", "or", "not", "{", "}"):
            return None
    return None


def token_at(toks: list[Tok], offset: int) -> Tok | None:
    """The token that covers ``offset`` (or ends right at it: the cursor after a word)."""
    for t in toks:
        if t.start <= offset < t.end:
            return t
    for t in toks:
        if t.end == offset and t.kind == "word":
            return t
    return None
