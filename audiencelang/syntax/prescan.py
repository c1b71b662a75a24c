"""A cheap count of a file's conditions and list values, before Lark builds a tree.

Parsing a 4.5 MB audience of 200,000 ``or`` terms took ~100 s and 2.3 GB in Lark (the
tree, positions, then our builder) before the E121 limit, counted while building, could
refuse it. This scan runs first: one regular-expression pass in C over the text (strings
and comments skipped), stopping at the first item over a limit, so such a file is refused
in well under a second with memory bounded by the text itself (bench/bench_prescan.py,
docs/performance.md).

What it counts is a **lower bound** of what the builder counts (E121, docs/errors.md), so
it never refuses a file the builder would accept:

- every comparison operator (``=``, ``!=``, ``<``, ``<=``, ``>``, ``>=``) outside strings and
  comments: each belongs to exactly one field or aggregate condition;
- every ``performed`` directly after ``include``, ``exclude``, ``and``, ``or``, ``not`` or ``(``:
  a ``performed`` condition (``first``/``last performed`` are not counted, as the builder
  does not count them either);
- every value of ``in [...]``/``not in [...]`` lists: the first where the list opens (when
  something other than ``]`` follows), each other at the comma before it (when something
  other than ``]`` follows: a trailing comma is no value).

A file that does not parse is not refused here unless it is over a limit anyway; the
diagnostic is the builder's own (same code, message and hint) at the item over the limit.
"""

from __future__ import annotations

import re

__all__ = ["Excess", "first_excess"]

# strings and comments first, so that nothing inside them counts
_TOKENS = re.compile(
    r'"(?:[^"\\\n\r]|\\[^\n\r])*"'  # a string (an unterminated one is a syntax error later)
    r"|#[^\n]*"  # a comment
    r"|(?P<cmp>!=|<=|>=|=|<|>)"
    r"|(?P<perf>(?:\b(?:include|exclude|and|or|not)\b|\()\s*performed\b)"
    r"|(?P<list>\bin\s*\[)(?P<first>(?=\s*[^\s\]]))?"  # a list, and its first value if any
    r"|(?P<comma>,)(?P<next>(?=\s*[^\s\]]))?"  # a separator, and the value after it if any
    r"|(?P<close>\])"
)


class Excess:
    """The first item over a limit: ``what`` is ``"conditions"`` or ``"list values"``."""

    __slots__ = ("end", "start", "what")

    def __init__(self, what: str, start: int, end: int) -> None:
        self.what = what
        self.start = start
        self.end = end


def first_excess(text: str, max_conditions: int, max_list_values: int) -> Excess | None:
    """The first condition or list value over its limit, by the lower-bound count above."""
    if len(text) <= max_conditions and len(text) <= max_list_values:
        return None  # every item counted is at its own character of the text: none can be over
    conditions = 0
    values = 0
    in_list = False
    for m in _TOKENS.finditer(text):
        kind = m.lastgroup
        if kind is None:  # a string or a comment
            continue
        if kind in ("comma", "next", "list", "first"):
            if kind in ("list", "first"):
                in_list = True
            if in_list and kind in ("next", "first"):
                values += 1
                if values > max_list_values:
                    return Excess("list values", m.start(), m.end())
            continue
        if kind == "close":
            in_list = False
        else:  # cmp, perf
            conditions += 1
            if conditions > max_conditions:
                start = _condition_start(text, m.start()) if kind == "cmp" else m.end() - len("performed")
                return Excess("conditions", start, m.end())
    return None


def _condition_start(text: str, op: int) -> int:
    """Where the condition of the comparison operator at ``op`` starts, as the builder
    locates it: its field name (``age`` of ``age > 3``), or its aggregate's function
    (``count`` of ``count(purchase) >= 2``)."""
    i = op
    while i > 0 and text[i - 1] in " \t\r\n":
        i -= 1
    if i > 0 and text[i - 1] == ")":
        depth = 0
        while i > 0:
            i -= 1
            if text[i] == ")":
                depth += 1
            elif text[i] == "(":
                depth -= 1
                if depth == 0:
                    break
        while i > 0 and text[i - 1] in " \t\r\n":
            i -= 1
    while i > 0 and (text[i - 1].isalnum() or text[i - 1] in "_."):
        i -= 1
    return i
