"""An index of a project's audience names: who defines, refers to and means what, per file.

``check FILE...`` (:mod:`audiencelang.check.incremental`) uses it to find the files a
check of FILE needs, and the files a change to FILE can break, without parsing every
file. Each file's facts come either from its parse (exact: :func:`facts_of_file`) or
from a scan of its text (:func:`scan_text`: a few regular expressions, about 30 µs a
file). A scan over-approximates: it finds every audience a file defines and every
name it refers to when the file parses (and maybe more: a trait called ``audience``,
a file that does not parse), so a set of files chosen through it is never too small;
what is then checked is parsed.

For lint L010 (two audiences with the same members) an audience's *atoms* — the names,
numbers, dates and strings its members depend on — must all appear in the text of any
file holding an audience with the same members (:func:`could_mean_the_same`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from audiencelang import ast

__all__ = ["AudienceFacts", "FileFacts", "could_mean_the_same", "facts_of_file", "scan_text"]

_STRIP = re.compile(r'"[^"\\\n\r]*(?:\\[^\n\r][^"\\\n\r]*)*"|#[^\n]*')
_AUDIENCE = re.compile(r"audience\s+([a-z_][a-z0-9_]*)")
_ACTIVATE = re.compile(r"(?<![a-z0-9_])activate\s+([a-z_][a-z0-9_]*)")
_WORD = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")
_STR = {str}


@dataclass(frozen=True)
class AudienceFacts:
    """One audience as the index sees it. ``mkey`` (a digest of its meaning, lint L010)
    and ``atoms`` are known for parsed files only."""

    name: str
    refs: tuple[str, ...]
    activates: tuple[str, ...]
    has_include: bool = True
    mkey: str | None = None
    atoms: tuple[tuple[str, ...], ...] | None = None  # names, numbers, dates, strings

    def to_json(self) -> list[object]:
        return [self.name, list(self.refs), list(self.activates), self.has_include, self.mkey,
                [list(a) for a in self.atoms] if self.atoms is not None else None]

    @classmethod
    def from_json(cls, v: list[object]) -> AudienceFacts:
        name, refs, acts, inc, mkey, atoms = v
        assert type(name) is str and type(refs) is list and type(acts) is list
        assert type(inc) is bool and (mkey is None or type(mkey) is str)
        # the types of the items in bulk (a set of types per list), not one call per item
        assert {type(x) for x in refs} <= _STR and {type(x) for x in acts} <= _STR
        at = None
        if atoms is not None:
            assert type(atoms) is list and len(atoms) == 4
            a0, a1, a2, a3 = atoms
            assert type(a0) is list and type(a1) is list and type(a2) is list and type(a3) is list
            assert {type(x) for x in a0} | {type(x) for x in a1} | {type(x) for x in a2} | {type(x) for x in a3} <= _STR
            at = (tuple(a0), tuple(a1), tuple(a2), tuple(a3))
        return cls(name, tuple(refs), tuple(acts), inc, mkey, at)


@dataclass(frozen=True)
class FileFacts:
    """The audiences of one file. ``exact``: from the parse (``ok``: the file parsed into
    audiences a check sees); else from a scan of its text."""

    exact: bool
    audiences: tuple[AudienceFacts, ...]

    @property
    def names(self) -> Iterator[str]:
        return (a.name for a in self.audiences)

    @property
    def refs(self) -> set[str]:
        return {r for a in self.audiences for r in a.refs}

    def to_json(self) -> dict[str, object]:
        return {"exact": self.exact, "audiences": [a.to_json() for a in self.audiences]}

    @classmethod
    def from_json(cls, v: object) -> FileFacts:
        assert type(v) is dict and type(v.get("exact")) is bool and type(v.get("audiences")) is list
        return cls(v["exact"], tuple([AudienceFacts.from_json(a) for a in v["audiences"]]))


def scan_text(text: str) -> FileFacts:
    """Names a file defines and refers to, read with regular expressions (strings and
    comments removed first). Every name the parse would find is found."""
    if "audience" not in text:
        return FileFacts(False, ())
    plain = _STRIP.sub(" ", text)
    out: list[tuple[str, int, list[str]]] = []  # name, start, refs
    head: list[str] = []  # refs before any definition (a file that does not parse)
    for m in _AUDIENCE.finditer(plain):
        s = m.start()
        if s > 0 and plain[s - 1] in _WORD:
            continue
        j = s - 1
        while j >= 0 and plain[j] in " \t\f\r\n":
            j -= 1
        if j >= 1 and plain[j - 1:j + 1] == "in" and (j < 2 or plain[j - 2] not in _WORD):
            (out[-1][2] if out else head).append(m.group(1))
        else:
            out.append((m.group(1), s, []))
    auds: list[AudienceFacts] = []
    acts = [(m.start(), m.group(1)) for m in _ACTIVATE.finditer(plain)]
    for i, (name, start, refs) in enumerate(out):
        end = out[i + 1][1] if i + 1 < len(out) else len(plain)
        mine = tuple(a for s, a in acts if start <= s < end)
        auds.append(AudienceFacts(name, tuple(dict.fromkeys(refs if i else [*head, *refs])), mine))
    if head and not out:
        auds.append(AudienceFacts("", tuple(dict.fromkeys(head)), ()))
    return FileFacts(False, tuple(auds))


_K_NAME = re.compile(r'\{"kind":"name","value":"([a-z_][a-z0-9_]*)"\}')
_K_REF = re.compile(r'\{"audience":\{"kind":"name","value":"([a-z_][a-z0-9_]*)"\},"kind":"in_audience"\}')
_K_NUMBER = re.compile(r'\{"kind":"number","value":"-?([0-9.]+)"\}')
_K_WHOLE = re.compile(r'"amount":([0-9]+),"kind":"(?:last|ago|duration)","unit"|'
                      r'"amount":([0-9]+),"kind":"calendar","period":"last"|'
                      r'"distinct_days":(?:true|false),"kind":"count","n":([0-9]+)')
_K_DATE = re.compile(r'\{"kind":"date","value":"([0-9]{4}-[0-9]{2}-[0-9]{2})"\}')
_K_STRING = re.compile(r'\{"kind":"string","value":("(?:[^"\\]|\\.)*")\}')


def facts_of_file(file: ast.File | None) -> FileFacts:
    """The exact facts of a parsed file (``None``: it did not parse; it defines nothing)."""
    import json

    from audiencelang.review.meaning import membership_key

    if file is None:
        return FileFacts(True, ())
    auds = []
    for a in file.audiences:
        acts = tuple(x.destination.value for x in a.activate)
        key = membership_key(a)  # the meaning as canonical JSON: the atoms are read from it
        refs = tuple(dict.fromkeys(_K_REF.findall(key)))
        if a.include is None:
            auds.append(AudienceFacts(a.name.value, refs, acts, False, None, ((), (), (), ())))
            continue
        names = set(_K_NAME.findall(key)) | set(a.required_purposes)
        numbers = {m for m in _K_NUMBER.findall(key) if "E" not in m}
        numbers |= {x for m in _K_WHOLE.findall(key) for x in m if x}
        dates = set(_K_DATE.findall(key))
        strings = {json.loads(m) for m in _K_STRING.findall(key)}
        atoms = (tuple(sorted(names)), tuple(sorted(numbers)), tuple(sorted(dates)), tuple(sorted(strings)))
        digest = hashlib.blake2b(key.encode(), digest_size=16).hexdigest()
        auds.append(AudienceFacts(a.name.value, refs, acts, True, digest, atoms))
    return FileFacts(True, tuple(auds))


_TOKEN = re.compile(r"[a-z_][a-z0-9_]*|[0-9]+(?:\.[0-9]+)?")


def tokens_of(text: str) -> frozenset[str]:
    """The names and numbers of a text outside strings and comments; a number also in its
    normal forms (``007`` -> ``7``, ``3.0`` -> ``3.0`` and ``3``)."""
    from decimal import Decimal, InvalidOperation

    out: set[str] = set()
    for t in _TOKEN.findall(_STRIP.sub(" ", text)):
        out.add(t)
        if t[0].isdigit():
            try:
                d = Decimal(t)
            except InvalidOperation:  # pragma: no cover - the pattern is a decimal
                continue
            out.add(str(d))
            if d == d.to_integral_value():
                out.add(str(int(d)))
    return frozenset(out)


def could_mean_the_same(atoms: Iterable[tuple[str, ...]], text: str,
                        tokens: Callable[[], frozenset[str]] | None = None) -> bool:
    """False when no audience in ``text`` can have the members of an audience with
    ``atoms`` (a necessary condition: True may still be a different audience).
    ``tokens``: gives :func:`tokens_of` ``text`` (memoised by the caller)."""
    names, numbers, dates, strings = atoms
    if not all(x in text for x in names) or not all(x in text for x in numbers):
        return False
    if not all(x in text for x in dates):
        return False
    if "\\" not in text and not all(x in text for x in strings):
        return False
    words = tokens() if tokens is not None else tokens_of(text)
    return all(x in words for x in names) and all(x in words for x in numbers)
