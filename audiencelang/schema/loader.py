"""Loading market schemas (YAML) and the project config (TOML) with source locations.

Every problem becomes an ``E2xx`` :class:`~audiencelang.diagnostics.Diagnostic`
pointing at the file, line and column of the offending key; nothing raises.

=====  ==========================================================
code   meaning
=====  ==========================================================
E200   no project found (no ``audiencelang.toml`` / ``[tool.audiencelang]``)
E201   file cannot be read (missing, unreadable, not UTF-8)
E202   YAML or TOML syntax error
E203   duplicate key in a mapping
E204   empty file, or the document is not a mapping
E205   unknown key
E206   missing required key
E207   wrong type or invalid value
E208   invalid logical name (market, trait, event, property, purpose, destination)
E209   inconsistent consent settings
E210   two market files declare the same market name
E211   invalid regular expression in ``[lint] naming``
E212   invalid table or column name
E213   a configured ``audiences`` / ``markets`` entry matches no file
=====  ==========================================================
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
import types
import typing
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from audiencelang.diagnostics import Diagnostic, Span, did_you_mean, error
from audiencelang.files import FileProblem, read_bounded
from audiencelang.schema.config import ProjectConfig
from audiencelang.schema.market import KeyPath, Market

__all__ = ["decode_text", "load_config", "load_config_text", "load_market", "load_market_text", "read_text"]

if TYPE_CHECKING:  # ruamel.yaml is imported when a YAML text is read (not for a cached document)
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError

M = TypeVar("M", bound=BaseModel)


# --------------------------------------------------------------------------- text and spans


class _Lines:
    """Line start offsets of a text, to turn (line, column) into spans with offsets."""

    def __init__(self, text: str, path: str | None) -> None:
        self.text = text
        self.path = path
        self.starts = [0]
        for i, ch in enumerate(text):
            if ch == "\n":
                self.starts.append(i + 1)

    def span(self, line0: int, col0: int, length: int = 1) -> Span:
        line0 = max(0, min(line0, len(self.starts) - 1))
        start = min(self.starts[line0] + col0, len(self.text))
        end = min(start + max(length, 0), len(self.text))
        return Span(
            path=self.path,
            line=line0 + 1,
            column=col0 + 1,
            end_line=line0 + 1,
            end_column=col0 + 1 + (end - start),
            start=start,
            end=end,
        )

    def token_length(self, line0: int, col0: int) -> int:
        """Length of the scalar token at a position (quoted string, or up to , } ] # or EOL)."""
        if line0 >= len(self.starts):
            return 1
        start = self.starts[line0] + col0
        line_end = self.text.find("\n", start)
        rest = self.text[start : line_end if line_end >= 0 else len(self.text)]
        if not rest:
            return 0
        if rest[0] in "\"'":
            close = rest.find(rest[0], 1)
            return close + 1 if close > 0 else len(rest)
        if rest[0] in "{[":
            return 1
        m = re.match(r"[^,}\]#]*", rest)
        return len(m.group(0).rstrip()) if m else 1


#: Largest market/config file read (bytes); bigger files are an E201.
MAX_FILE_BYTES = 8 * 1024 * 1024


def read_text(path: Path, display: str) -> tuple[str | None, list[Diagnostic]]:
    """Read a UTF-8 file (a leading BOM is dropped) through :func:`~audiencelang.files.read_bounded`.
    Problems become E201."""
    try:
        data = read_bounded(path, MAX_FILE_BYTES)
    except FileProblem as exc:
        if exc.missing:
            return None, [error("E201", f"file not found: {display}", Span(path=display))]
        hint = _TOO_LARGE_HINT if exc.too_large else None
        return None, [error("E201", f"cannot read {display}: {exc.reason}", Span(path=display), *([hint] if hint else []))]
    return decode_text(data, display)


_TOO_LARGE_HINT = "market files and the config are text; a project needs no file this large"


def decode_text(data: bytes, display: str) -> tuple[str | None, list[Diagnostic]]:
    """The text of a market or config file's bytes (UTF-8, a leading BOM dropped), as
    :func:`read_text` gives it: too many bytes or bad UTF-8 are E201. The in-memory
    project (:meth:`audiencelang.project.Project.from_sources`) decodes through here too."""
    if len(data) > MAX_FILE_BYTES:
        return None, [error("E201", f"cannot read {display}: it is larger than {MAX_FILE_BYTES:,} bytes",
                            Span(path=display), _TOO_LARGE_HINT)]
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        good = data[: exc.start].decode("utf-8", errors="replace")
        lines = _Lines(good, display)
        line0 = len(lines.starts) - 1
        col0 = len(good) - lines.starts[line0]
        return None, [
            error(
                "E201",
                f"{display} is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})",
                lines.span(line0, col0, 0),
                "save the file as UTF-8",
            )
        ]


# --------------------------------------------------------------------------- YAML


def _yaml() -> YAML:
    from ruamel.yaml import YAML

    y = YAML(typ="rt")
    y.allow_duplicate_keys = False
    return y


#: Most nodes a market document may have, as written and once YAML aliases are expanded
#: ("billion laughs"). A large real market has a few thousand.
MAX_NODES = 50_000
#: Most digits of a number in a market file or the config (Python refuses ``int()`` of
#: more than 4,300; no size, value or limit needs more than a few dozen).
MAX_DIGITS = 100
_LONG_NUMBER_RE = re.compile(r"[-+]?(?:0[xob])?[0-9a-fA-F_]*[0-9][0-9a-fA-F_]*")
_DIGIT_RUN_RE = re.compile(rf"[0-9a-fA-F_]{{{MAX_DIGITS - 5},}}")
_STANDARD_TAG = "tag:yaml.org,2002:"


def _prescan_yaml(text: str, lines: _Lines) -> Diagnostic | None:
    """Bound the work before building anything: count the YAML events (the pure-Python
    parser takes ~50 us each; a file under the size cap can hold millions), and refuse
    explicit tags (``!!set``, ``!!python/tuple``: the round-trip loader builds internal
    classes for them) and over-long numbers at their place. Syntax errors are left to the
    loader, which reports them."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError
    from ruamel.yaml.events import AliasEvent, NodeEvent

    # Fast path (a third of a small file's load time otherwise): a text has at most two nodes
    # a character ('?' alone is a key and a value), a tag needs a '!', a long number a long
    # run of digits.
    if len(text) < MAX_NODES // 2 and "!" not in text and not _DIGIT_RUN_RE.search(text):
        return None
    count = 0
    try:
        for event in YAML(typ="safe", pure=True).parse(text):
            if not isinstance(event, NodeEvent):
                continue
            count += 1
            mark = event.start_mark
            if count > MAX_NODES:
                return error("E202", f"the market file has more than {MAX_NODES:,} YAML nodes",
                             lines.span(mark.line, mark.column, 1),
                             "a market file maps names onto tables and columns; split or shorten it")
            if isinstance(event, AliasEvent):
                continue
            tag = getattr(event, "tag", None)
            if tag is not None:
                shown = "!!" + tag[len(_STANDARD_TAG):] if tag.startswith(_STANDARD_TAG) else tag
                return error("E207", f"YAML tags such as '{shown}' are not supported in a market file",
                             lines.span(mark.line, mark.column, len(shown) if shown.startswith("!") else 1),
                             "remove the tag and write a plain value: a string, number, boolean, list or mapping")
            value = getattr(event, "value", None)
            if (isinstance(value, str) and len(value) > MAX_DIGITS and getattr(event, "style", None) is None
                    and _LONG_NUMBER_RE.fullmatch(value)):
                return error("E207", f"a number with {len(value):,} characters; numbers in a market file "
                             f"have at most {MAX_DIGITS} digits", lines.span(mark.line, mark.column, len(value)),
                             "quote it if it is meant as a string")
    except (YAMLError, RecursionError):
        return None
    return None


class _TooBig(Exception):
    pass


class _Budget:
    def __init__(self, limit: int = MAX_NODES) -> None:
        self.left = limit

    def take(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise _TooBig


def _plain(node: object, budget: _Budget) -> object:
    """ruamel round-trip objects → plain Python (floats become Decimal, for exactness)."""
    budget.take()
    if isinstance(node, Mapping):
        return {_plain(k, budget): _plain(v, budget) for k, v in node.items()}
    if isinstance(node, list | tuple) and not isinstance(node, str):
        return [_plain(v, budget) for v in node]
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return Decimal(repr(float(node)))
    if isinstance(node, str):
        return str(node)
    return node


def _index_yaml(
    node: object,
    lines: _Lines,
    prefix: KeyPath,
    keys: dict[KeyPath, Span],
    values: dict[KeyPath, Span],
    budget: _Budget,
) -> None:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    budget.take()
    if isinstance(node, CommentedMap):
        for k, v in node.items():
            if not isinstance(k, str | int):
                continue
            path = (*prefix, k)
            pos = node.lc.data.get(k)
            if pos is not None:
                kl, kc, vl, vc = pos
                keys[path] = lines.span(kl, kc, len(str(k)))
                length = lines.token_length(vl, vc) if not isinstance(v, CommentedMap | CommentedSeq) else 1
                values[path] = lines.span(vl, vc, length)
            _index_yaml(v, lines, path, keys, values, budget)
    elif isinstance(node, CommentedSeq):
        for i, v in enumerate(node):
            path = (*prefix, i)
            pos = node.lc.data.get(i)
            if pos is not None:
                il, ic = pos[0], pos[1]
                sp = lines.span(il, ic, lines.token_length(il, ic))
                keys[path] = sp
                values[path] = sp
            _index_yaml(v, lines, path, keys, values, budget)


def load_market(path: Path | str, *, display: str | None = None) -> tuple[Market | None, list[Diagnostic]]:
    """Load one market schema file.

    Returns the market (``None`` when any error was found) and the diagnostics.
    Spans name ``display`` (default: ``str(path)``) as their path.
    """
    p = Path(path)
    shown = display if display is not None else str(path)
    text, diags = read_text(p, shown)
    if text is None:
        return None, diags
    return load_market_text(text, path=shown)


class MarketDocuments(Protocol):
    """Where read market documents are kept between processes (the check cache): the plain
    data and the spans of a market text, as :func:`market_document_json` writes them."""

    def market_document(self, text: str, path: str | None) -> object | None: ...

    def put_market_document(self, text: str, path: str | None, document: object) -> None: ...


def load_market_text(text: str, *, path: str | None = None,
                     documents: MarketDocuments | None = None) -> tuple[Market | None, list[Diagnostic]]:
    """Load a market schema from YAML text (``path`` is used in spans only). ``documents``:
    the YAML read once before for the same text and path (then validated as always)."""
    got = _document_from_json(documents.market_document(text, path)) if documents is not None else None
    if got is None:
        read = _market_document(text, path)
        if isinstance(read, list):
            return None, read
        got = read
        if documents is not None:
            stored = market_document_json(*got)
            if stored is not None:
                documents.put_market_document(text, path, stored)
    data, keys, values = got
    market, diags = _validate(Market, data, keys, values, "market file")
    if market is not None:
        market._attach(path, keys, values)
    return market, diags


def market_document_json(data: object, keys: dict[KeyPath, Span], values: dict[KeyPath, Span]) -> object | None:
    """A read market document as JSON (``None``: it holds a value JSON cannot keep exactly)."""
    def enc(v: object) -> object:
        if v is None or type(v) in (str, int, bool):
            return v
        if type(v) is Decimal:
            return {"decimal": str(v)}
        if type(v) is list:
            return [enc(x) for x in v]
        if type(v) is dict and all(type(k) is str for k in v):
            return {"map": {k: enc(x) for k, x in v.items()}}
        raise TypeError(type(v).__name__)

    def spans(m: dict[KeyPath, Span]) -> list[object]:
        return [[list(k), [s.path, s.line, s.column, s.end_line, s.end_column, s.start, s.end]] for k, s in m.items()]

    try:
        return {"data": enc(data), "keys": spans(keys), "values": spans(values)}
    except TypeError:
        return None


def _document_from_json(doc: object) -> tuple[object, dict[KeyPath, Span], dict[KeyPath, Span]] | None:
    def dec(v: object) -> object:
        if v is None or type(v) in (str, int, bool):
            return v
        if type(v) is list:
            return [dec(x) for x in v]
        if type(v) is dict and len(v) == 1:
            if type(v.get("decimal")) is str:
                return Decimal(v["decimal"])
            m = v.get("map")
            if type(m) is dict:
                return {k: dec(x) for k, x in m.items()}
        raise ValueError("not a market document")

    def spans(raw: object) -> dict[KeyPath, Span]:
        out: dict[KeyPath, Span] = {}
        assert type(raw) is list
        for item in raw:
            k, s = item
            assert type(k) is list and all(type(x) in (str, int) for x in k) and type(s) is list and len(s) == 7
            out[tuple(k)] = Span(path=s[0], line=s[1], column=s[2], end_line=s[3], end_column=s[4],
                                 start=s[5], end=s[6])
        return out

    if doc is None:
        return None
    try:
        assert isinstance(doc, dict)
        return dec(doc["data"]), spans(doc["keys"]), spans(doc["values"])
    except (AssertionError, KeyError, TypeError, ValueError, InvalidOperation, ValidationError, RecursionError):
        return None


def _market_document(text: str, path: str | None) -> (
        tuple[object, dict[KeyPath, Span], dict[KeyPath, Span]] | list[Diagnostic]):
    """The YAML of a market file read: its plain data and the spans of its keys and values."""
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.constructor import DuplicateKeyError
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    lines = _Lines(text, path)
    problem = _prescan_yaml(text, lines)
    if problem is not None:
        return [problem]
    try:
        doc = _yaml().load(text)
    except DuplicateKeyError as exc:
        return [_yaml_error(exc, lines, "E203")]
    except MarkedYAMLError as exc:
        return [_yaml_error(exc, lines, "E202")]
    except YAMLError as exc:
        return [error("E202", f"YAML error: {exc}", lines.span(0, 0, 0))]
    except RecursionError:
        return [error("E202", "YAML document is nested too deeply", lines.span(0, 0, 0))]
    if doc is None:
        return [
            error("E204", "the market file is empty; expected a mapping with 'market:', 'profiles:' ...", lines.span(0, 0, 0))
        ]
    if not isinstance(doc, CommentedMap):
        return [
            error(
                "E204",
                f"a market file must be a mapping (market:, profiles:, events:, consent:), not {_describe(doc)}",
                lines.span(0, 0, 0),
            )
        ]
    keys: dict[KeyPath, Span] = {(): lines.span(0, 0, 0)}
    values: dict[KeyPath, Span] = {}
    try:
        budget = _Budget()
        _index_yaml(doc, lines, (), keys, values, budget)
        data = _plain(doc, _Budget())
    except (_TooBig, RecursionError):
        return [
            error("E202", f"the YAML document is too large once its aliases are expanded (over {MAX_NODES:,} nodes)",
                  lines.span(0, 0, 0), "market files rarely need anchors (&) and aliases (*); expand them by hand")
        ]
    return data, keys, values


def _yaml_error(exc: MarkedYAMLError, lines: _Lines, code: str) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    line0, col0 = (mark.line, mark.column) if mark is not None else (0, 0)
    problem = (exc.problem or exc.context or "invalid YAML").strip()
    if code == "E203":
        m = re.search(r'found duplicate key "(.*?)" with value', problem)
        name = m.group(1) if m else "?"
        first = exc.context_mark
        where = f" (in the mapping starting on line {first.line + 1})" if first is not None else ""
        return error(
            code,
            f"duplicate key '{name}'{where}",
            lines.span(line0, col0, len(name)),
            "each key may appear only once in a mapping; remove or rename one of them",
        )
    ctx = f" {exc.context.strip()}" if exc.context and exc.problem else ""
    return error(code, f"YAML syntax error: {problem}{ctx}", lines.span(line0, col0, 1))


# --------------------------------------------------------------------------- TOML


_HEADER_RE = re.compile(r"^\s*\[(\[?)\s*([^\[\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY_RE = re.compile(r"""^(\s*)((?:[A-Za-z0-9_\-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_\-]+|"[^"]*"|'[^']*'))*)\s*=""")
_INLINE_KEY_RE = re.compile(r"""([{,]\s*)([A-Za-z0-9_\-]+|"[^"]*"|'[^']*')\s*=""")
_TOML_POS_RE = re.compile(r"\(at line (\d+), column (\d+)\)")


def _split_dotted(key: str) -> tuple[str, ...]:
    parts = re.findall(r"""[A-Za-z0-9_\-]+|"[^"]*"|'[^']*'""", key)
    return tuple(p[1:-1] if p[:1] in "\"'" else p for p in parts)


def _index_toml(text: str, lines: _Lines, prefix: tuple[str, ...]) -> dict[KeyPath, Span]:
    """Key path → span, by scanning headers and ``key =`` lines (tomllib keeps no positions)."""
    keys: dict[KeyPath, Span] = {}
    table: tuple[str, ...] = ()
    in_multiline: str | None = None

    def record(full: tuple[str, ...], line0: int, col0: int, length: int) -> None:
        if full[: len(prefix)] != prefix:
            return
        rel = full[len(prefix) :]
        for n in range(len(rel) + 1):
            keys.setdefault(rel[:n], lines.span(line0, col0, length))

    for line0, line in enumerate(text.split("\n")):
        if in_multiline is not None:
            if line.count(in_multiline) % 2 == 1:
                in_multiline = None
            continue
        header = _HEADER_RE.match(line)
        if header:
            table = _split_dotted(header.group(2))
            col0 = line.index("[")
            record(table, line0, col0, len(line.rstrip()) - col0)
            continue
        m = _KEY_RE.match(line)
        if not m:
            continue
        col0 = len(m.group(1))
        dotted = _split_dotted(m.group(2))
        full = table + dotted
        record(full, line0, col0, len(m.group(2)))
        rest = line[m.end() :]
        for quote in ('"""', "'''"):
            if rest.count(quote) % 2 == 1:
                in_multiline = quote
        if "{" in rest:
            _index_inline(rest, m.end(), full, line0, record)
    return keys


def _index_inline(
    rest: str, offset: int, base: tuple[str, ...], line0: int, record: Callable[[tuple[str, ...], int, int, int], None]
) -> None:
    """Record the keys of (nested) inline tables on one line: ``a = {b = {c = 1}}``."""
    stack = [base]
    i = 0
    pending: tuple[str, ...] | None = None
    while i < len(rest):
        ch = rest[i]
        if ch in "\"'":
            close = rest.find(ch, i + 1)
            i = close + 1 if close > 0 else len(rest)
            continue
        if ch == "{":
            stack.append(pending if pending is not None else stack[-1])
            pending = None
        elif ch == "}" and len(stack) > 1:
            stack.pop()
        elif ch == "#":
            break
        if ch in "{,":
            km = _INLINE_KEY_RE.match(rest, i)
            if km:
                inner = _split_dotted(km.group(2))
                pending = stack[-1] + inner
                record(pending, line0, offset + km.start(2), len(km.group(2)))
                i = km.end()
                continue
        i += 1


def load_config(path: Path | str, *, display: str | None = None) -> tuple[ProjectConfig | None, list[Diagnostic]]:
    """Load ``audiencelang.toml``, or the ``[tool.audiencelang]`` table of a ``pyproject.toml``.

    Returns the config (``None`` when any error was found) and the diagnostics.
    An empty ``audiencelang.toml`` is a valid config with every default.
    """
    p = Path(path)
    shown = display if display is not None else str(path)
    text, diags = read_text(p, shown)
    if text is None:
        return None, diags
    return load_config_text(text, path=shown, pyproject=p.name == "pyproject.toml")


def load_config_text(
    text: str, *, path: str | None = None, pyproject: bool = False
) -> tuple[ProjectConfig | None, list[Diagnostic]]:
    """Load a config from TOML text; with ``pyproject=True`` from its ``[tool.audiencelang]``."""
    lines = _Lines(text, path)
    # tomllib is pure Python (~20 us a value): bound the work before parsing. Every key,
    # value and table needs an '=', a ',' or a '['; counted in strings too, an upper bound.
    if text.count("=") + text.count(",") + text.count("[") > MAX_NODES:
        return None, [error("E202", f"the config has more than {MAX_NODES:,} keys, values and tables",
                            lines.span(0, 0, 0), "a project config names a few folders, destinations and lint settings")]
    try:
        doc: dict[str, Any] = tomllib.loads(text)
    except RecursionError:
        return None, [error("E202", "TOML document is nested too deeply", lines.span(0, 0, 0))]
    except ValueError as exc:
        if not isinstance(exc, tomllib.TOMLDecodeError):  # int() of a number with over 4,300 digits
            return None, [_long_toml_number(text, lines)]
        msg = str(exc)
        m = _TOML_POS_RE.search(msg)
        line0, col0 = (int(m.group(1)) - 1, int(m.group(2)) - 1) if m else (0, 0)
        msg = _TOML_POS_RE.sub("", msg).strip()
        if msg.startswith(("Cannot overwrite a value", "Cannot declare")):
            # tomllib reports a repeated key or table at the end of its line: point at its start
            here = text.split("\n")[line0] if line0 < len(text.split("\n")) else ""
            col0 = len(here) - len(here.lstrip())
            key = re.match(r"\[*\s*([^=\]]*?)\s*(=|\])", here.strip())
            name = key.group(1) if key else here.strip()
            return None, [
                error("E203", f"duplicate key '{name}' (a key or table may be defined only once)",
                      lines.span(line0, col0, max(len(name), 1)))
            ]
        return None, [error("E202", f"TOML syntax error: {msg}", lines.span(line0, col0, 1))]
    prefix: tuple[str, ...] = ("tool", "audiencelang") if pyproject else ()
    keys = _index_toml(text, lines, prefix)
    keys.setdefault((), lines.span(0, 0, 0))
    data: object = doc
    if pyproject:
        tool = doc.get("tool")
        data = tool.get("audiencelang") if isinstance(tool, dict) else None
        if data is None:
            return None, [error("E204", "pyproject.toml has no [tool.audiencelang] table", lines.span(0, 0, 0))]
        if not isinstance(data, dict):
            return None, [
                error("E204", f"tool.audiencelang must be a table, not {_describe(data)}", keys[()])
            ]
    config, diags = _validate(ProjectConfig, data, keys, keys, "config")
    if config is not None:
        config._attach(path, keys)
    return config, diags


def _long_toml_number(text: str, lines: _Lines) -> Diagnostic:
    m = re.search(rf"[0-9][0-9_]{{{MAX_DIGITS},}}", text)
    line0 = text.count("\n", 0, m.start()) if m else 0
    col0 = m.start() - (text.rfind("\n", 0, m.start()) + 1) if m else 0
    n = len(m.group(0)) if m else 0
    return error("E207", f"a number with {n:,} digits is too long to read", lines.span(line0, col0, n),
                 "no setting needs more than a few digits; quote it if it is meant as a string")


# --------------------------------------------------------------------------- pydantic errors → diagnostics


_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "bool_type": "a boolean (true or false)",
    "decimal_type": "a number",
    "is_instance_of": "a number",
    "finite_number": "a finite number",
    "float_type": "a number",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
    "string_too_short": "a non-empty string",
}

_NOUNS = {
    ("profiles", "traits"): "trait",
    ("events",): "event",
    ("consent", "purposes"): "purpose",
    ("destinations",): "destination",
}


def _describe(value: object) -> str:
    if value is None:
        return "null (nothing)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | Decimal | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dt.datetime):
        return f"the timestamp {value.isoformat()}"
    if isinstance(value, dt.date):
        return f"the date {value.isoformat()}"
    return f"a {type(value).__name__}"


def _dotted(path: KeyPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "the top level"


def _data_path(data: object, loc: tuple[int | str, ...]) -> tuple[KeyPath, tuple[int | str, ...]]:
    """Split a pydantic ``loc`` into the part present in the data and the rest."""
    node = data
    path: list[str | int] = []
    for i, seg in enumerate(loc):
        if isinstance(node, dict) and seg in node:
            node = node[seg]
            path.append(seg)
            continue
        if isinstance(node, list) and isinstance(seg, int) and 0 <= seg < len(node):
            node = node[seg]
            path.append(seg)
            continue
        if isinstance(node, dict) and isinstance(seg, str) and seg not in node and _is_field_like(seg):
            return tuple(path), loc[i:]
        # else: a union tag ('str', 'function-after[...]') or '[key]': skip
    return tuple(path), ()


def _is_field_like(seg: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_\-]*", seg)) and seg not in {"str", "int", "bool", "decimal"}


def _unwrap(tp: object) -> list[object]:
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        out: list[object] = []
        for a in typing.get_args(tp):
            out.extend(_unwrap(a))
        return out
    return [tp]


def _model_at(model: type[BaseModel], path: KeyPath) -> type[BaseModel] | None:
    """The model class describing the mapping at ``path`` (for listing its keys)."""
    current: object = model
    for seg in path:
        nxt: object = None
        for tp in _unwrap(current):
            if isinstance(tp, type) and issubclass(tp, BaseModel) and isinstance(seg, str):
                fld = tp.model_fields.get(seg) or next(
                    (f for f in tp.model_fields.values() if f.alias == seg), None
                )
                if fld is not None:
                    nxt = fld.annotation
            elif typing.get_origin(tp) in (dict, list):
                nxt = typing.get_args(tp)[-1]
            if nxt is not None:
                break
        if nxt is None:
            return None
        current = nxt
    for tp in _unwrap(current):
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            return tp
    return None


def _keys_of(model: type[BaseModel] | None) -> list[str]:
    if model is None:
        return []
    return [f.alias or name for name, f in model.model_fields.items()]


def _validate(
    model: type[M], data: object, keys: dict[KeyPath, Span], values: dict[KeyPath, Span], what: str
) -> tuple[M | None, list[Diagnostic]]:
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        return None, _map_errors(model, exc, data, keys, values, what)
    except (RecursionError, ValueError, TypeError) as exc:  # defensive: never a traceback
        return None, [error("E207", f"invalid {what}: {exc}", keys.get(()))]


def _span_at(spans: dict[KeyPath, Span], path: KeyPath) -> Span | None:
    for n in range(len(path), -1, -1):
        if path[:n] in spans:
            return spans[path[:n]]
    return None


def _map_errors(
    model: type[BaseModel],
    exc: ValidationError,
    data: object,
    keys: dict[KeyPath, Span],
    values: dict[KeyPath, Span],
    what: str,
) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    type_errors: dict[KeyPath, list[dict[str, Any]]] = {}
    seen: set[tuple[str, KeyPath, str]] = set()

    def emit(code: str, path: KeyPath, message: str, *hints: str) -> None:
        # problems point at the key (for a missing key: its parent); values are in `values`
        if (code, path, message) in seen:
            return
        seen.add((code, path, message))
        span = _span_at(keys, path)
        out.append(error(code, message, span, *hints))

    for err in exc.errors():
        loc = tuple(err["loc"])
        etype: str = err["type"]
        ctx = err.get("ctx") or {}
        path, rest = _data_path(data, loc)
        if etype.startswith("audiencelang_"):
            extra = ctx.get("_loc")
            if isinstance(extra, tuple):
                path = path + tuple(extra)
            code = etype.removeprefix("audiencelang_")
            noun = _noun(path) if "[key]" in loc or path[-1:] == ("market",) else None
            where = f"{noun} {path[-1]!r}" if noun else _dotted(path)
            msg = str(err["msg"])
            if code == "E208" and noun:
                msg = msg.replace("invalid name", f"invalid {noun} name")
                emit(code, path, msg)
            else:
                emit(code, path, f"{where}: {msg}")
        elif etype == "missing":
            key = str(rest[0]) if rest else str(loc[-1])
            where = f"in {_dotted(path)}" if path else f"in the {what}"
            emit("E206", path, f"missing required key '{key}' {where}")
        elif etype == "extra_forbidden":
            key = str(path[-1]) if path else "?"
            parent = path[:-1]
            allowed = _keys_of(_model_at(model, parent))
            where = f"in {_dotted(parent)}" if parent else f"at the top level of the {what}"
            hints = did_you_mean(key, allowed) if allowed else ()
            emit("E205", path, f"unknown key '{key}' {where}", *hints)
        elif "[key]" in loc and etype == "string_type":
            emit("E208", path, f"{_dotted(path[:-1])}: key {_describe(path[-1])} is not a name")
        else:
            type_errors.setdefault(path, []).append(dict(err))

    for path, errs in type_errors.items():
        got = errs[0].get("input")
        literal = next((e for e in errs if e["type"] == "literal_error"), None)
        bound = next((e for e in errs if e["type"] in ("greater_than_equal", "greater_than")), None)
        if literal is not None:
            choices = re.findall(r"'([^']*)'", str((literal.get("ctx") or {}).get("expected", "")))
            hints = did_you_mean(str(got), choices) if isinstance(got, str) else ()
            expected = "one of " + ", ".join(choices)
            emit("E207", path, f"{_dotted(path)}: expected {expected}, got {_describe(got)}", *hints)
        elif bound is not None:
            ctx = bound.get("ctx") or {}
            limit = ctx.get("ge", ctx.get("gt"))
            op = ">=" if "ge" in ctx else ">"
            emit("E207", path, f"{_dotted(path)}: must be {op} {limit}, got {_describe(got)}")
        else:
            expected_list: list[str] = []
            for e in errs:
                desc = _EXPECTED.get(e["type"], str(e["msg"]).lower())
                if desc not in expected_list:
                    expected_list.append(desc)
            if len(expected_list) > 1:
                expected = ", ".join(expected_list[:-1]) + " or " + expected_list[-1]
            else:
                expected = expected_list[0]
            emit("E207", path, f"{_dotted(path)}: expected {expected}, got {_describe(got)}")
    return out


def _noun(path: KeyPath) -> str | None:
    if path == ("market",):
        return "market"
    parent = path[:-1]
    if len(parent) == 3 and parent[0] == "events" and parent[2] == "properties":
        return "property"
    return _NOUNS.get(tuple(str(p) for p in parent))
