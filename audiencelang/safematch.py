"""Matching with user-supplied patterns in linear time (docs/security.md).

Python's ``re`` backtracks: ``[lint] naming = "^(a|a)+$"`` took exponential time on a
35-character audience name, and a ``per-file-ignores`` glob with many ``*`` took
polynomial time of high degree on a long path. Both go through RE2 here (the
``google-re2`` package), whose matching time is linear in the text, whatever the
pattern; its memory is bounded by ``Options.max_mem``.

RE2 accepts Python's syntax except backreferences (``\\1``) and lookaround
(``(?=…)``, ``(?<!…)``), which need backtracking: such a pattern is an E211 error.
"""

from __future__ import annotations

from typing import Protocol

import re2  # type: ignore[import-untyped]  # google-re2 ships no stubs

__all__ = ["Pattern", "PatternError", "compile_regex", "glob_match", "glob_regex"]

_SPECIAL = frozenset("\\.^$|?*+()[]{}")


class PatternError(ValueError):
    """A pattern RE2 cannot compile; the message says why."""


class Pattern(Protocol):
    """What the callers use of a compiled pattern."""

    @property
    def pattern(self) -> str: ...

    def fullmatch(self, text: str) -> object | None: ...


def _options() -> re2.Options:
    options = re2.Options()
    options.log_errors = False  # RE2 would print its own message on stderr
    return options


def compile_regex(pattern: str) -> Pattern:
    """``pattern`` compiled by RE2 (linear-time matching); :class:`PatternError` when it is
    not a valid RE2 pattern (e.g. a backreference or a lookaround)."""
    try:
        return re2.compile(pattern, _options())  # type: ignore[no-any-return]
    except re2.error as exc:
        why = exc.args[0] if exc.args else "invalid pattern"
        if isinstance(why, bytes):
            why = why.decode("utf-8", "replace")
        raise PatternError(f"{why} (patterns use RE2 syntax: no backreferences or lookaround)") from None


def _escape(ch: str) -> str:
    return "\\" + ch if ch in _SPECIAL else ch


def glob_regex(pattern: str) -> str:
    """The RE2 pattern of a path glob: ``*`` and ``?`` stay in one folder, ``**`` spans
    folders (``**/`` also matches no folder at all); every other character is literal."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(_escape(pattern[i]))
            i += 1
    return "".join(out)


def glob_match(key: str, pattern: str) -> bool:
    """Match a posix path against a glob (:func:`glob_regex`) in linear time. A pattern
    without ``/`` also matches the file name alone (like ruff's per-file-ignores)."""
    rx = compile_regex(glob_regex(pattern))
    if rx.fullmatch(key):
        return True
    return "/" not in pattern and rx.fullmatch(key.rsplit("/", 1)[-1]) is not None
