"""Project config models (spec §3): ``audiencelang.toml`` or ``[tool.audiencelang]``.

Load them with :func:`audiencelang.schema.load_config`, which reports every
problem as an ``E2xx`` diagnostic with a file and line.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, PrivateAttr, StrictInt, StrictStr
from pydantic import Field as PydanticField
from pydantic_core import PydanticCustomError

from audiencelang.diagnostics import Span
from audiencelang.safematch import PatternError, compile_regex, glob_match
from audiencelang.schema.market import KeyPath, Name, _lookup

__all__ = [
    "DEFAULT_NAMING",
    "Destination",
    "LintConfig",
    "MetadataField",
    "ProjectConfig",
    "RuleSeverity",
    "StateConfig",
]

DEFAULT_NAMING = r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$"
_SELECTOR_RE = re.compile(r"^(ALL|[A-Z]+[0-9]*)$")

MetadataField = Literal["title", "owner", "description", "tags"]
RuleSeverity = Literal["error", "warning", "info"]


def _check_regex(value: str) -> str:
    try:
        compile_regex(value)
    except PatternError as exc:
        raise PydanticCustomError(
            "audiencelang_E211", "invalid regular expression '{pattern}': {why}", {"pattern": value, "why": str(exc)}
        ) from None
    return value


def _check_selector(value: str) -> str:
    if not _SELECTOR_RE.fullmatch(value):
        raise PydanticCustomError(
            "audiencelang_E207",
            "invalid rule selector '{sel}': use a code (L001), a prefix (L0, L) or ALL",
            {"sel": value},
        )
    from audiencelang.check.rules import RULES  # here: check imports this module

    lint = sorted(code for code, rule in RULES.items() if rule.is_lint)
    if value != "ALL" and not any(code.startswith(value) for code in lint):
        # an unknown code would select nothing: `select = ["L999"]` switched every rule off
        raise PydanticCustomError(
            "audiencelang_E207",
            "unknown rule selector '{sel}': no lint rule code starts with it (the lint rules are {first}-{last})",
            {"sel": value, "first": lint[0], "last": lint[-1]},
        )
    return value


def _glob_match(key: str, pattern: str) -> bool:
    """Match a posix path against a glob in linear time (:func:`audiencelang.safematch.glob_match`)."""
    return glob_match(key, pattern)


Regex = Annotated[StrictStr, AfterValidator(_check_regex)]
Selector = Annotated[StrictStr, AfterValidator(_check_selector)]


def _default_require() -> list[MetadataField]:
    return ["owner", "description"]


class _Model(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", strict=True, populate_by_name=True, use_attribute_docstrings=True
    )


class Destination(_Model):
    """``[destinations.NAME]``: where an audience may be activated, and its policy."""

    min_size: Annotated[StrictInt, PydanticField(ge=0)] = 0
    """Members needed before anything is delivered (spec §5)."""
    consent: list[Name] = PydanticField(default_factory=list)
    """Consent purposes every member must have; the audience must ``require consent`` each."""
    identifier: Name | None = None
    """The trait delivered with each member (the ``identifier`` column)."""
    suppress: list[Name] = PydanticField(default_factory=list)
    """Audiences whose members are never delivered to this destination (spec §11)."""


class LintConfig(_Model):
    """``[lint]``: naming convention, required metadata, ruff-style rule selection."""

    naming: Regex = DEFAULT_NAMING
    """Regular expression every audience name must match (full match, RE2 syntax: linear time)."""
    require: list[MetadataField] = PydanticField(default_factory=lambda: _default_require())
    """Metadata clauses every audience must have."""
    select: list[Selector] | None = None
    """Rule codes or prefixes to enable; ``None`` means the default rule set."""
    ignore: list[Selector] = PydanticField(default_factory=list)
    """Rule codes or prefixes to disable."""
    per_file_ignores: dict[StrictStr, list[Selector]] = PydanticField(
        default_factory=dict, alias="per-file-ignores"
    )
    """Glob (relative to the project root) → rule codes to disable in matching files."""
    severity: dict[Selector, RuleSeverity] = PydanticField(default_factory=dict)
    """Rule code or prefix → severity override."""
    owners: list[StrictStr] | None = None
    """The owners an audience may name (L014); ``None``: any."""
    owner_pattern: Regex | None = PydanticField(default=None, alias="owner-pattern")
    """Regular expression every ``owner`` must match (full match, RE2 syntax, L014)."""

    def ignored_for(self, file_key: str) -> list[str]:
        """The ``ignore`` selectors plus those of every ``per-file-ignores`` glob matching
        ``file_key`` (a posix path relative to the project root; ``**`` spans folders)."""
        out = list(self.ignore)
        for pattern, codes in self.per_file_ignores.items():
            if _glob_match(file_key, pattern):
                out.extend(c for c in codes if c not in out)
        return out

    def severity_for(self, code: str) -> RuleSeverity | None:
        """The configured severity for a rule code (longest matching prefix wins), if any."""
        best: tuple[int, RuleSeverity] | None = None
        for sel, sev in self.severity.items():
            if sel == "ALL" or code.startswith(sel):
                rank = -1 if sel == "ALL" else len(sel)
                if best is None or rank > best[0]:
                    best = (rank, sev)
        return best[1] if best else None


_SCHEMA_NAME_RE = r"^[A-Za-z_][A-Za-z0-9_]{0,62}$"


class StateConfig(_Model):
    """``[state]``: where ``deliver`` keeps what it delivered (spec §11, docs/deliver.md)."""

    schema_: Annotated[StrictStr, PydanticField(pattern=_SCHEMA_NAME_RE)] = PydanticField(
        default="audiencelang_state", alias="schema")
    """The warehouse schema holding the delivery state tables (created on first use; on
    SQLite, an attached database file named after it, next to the data file)."""


class ProjectConfig(_Model):
    """The whole project config (spec §3)."""

    audiences: list[StrictStr] = PydanticField(default_factory=lambda: ["audiences"])
    """Folders (searched recursively for ``*.aud``) or globs, relative to the project root."""
    markets: list[StrictStr] = PydanticField(default_factory=lambda: ["markets"])
    """Folders (searched recursively for ``*.yaml``/``*.yml``) or globs, relative to the root."""
    suppress: list[Name] = PydanticField(default_factory=list)
    """Audiences whose members are never delivered to any destination (spec §11)."""
    destinations: dict[Name, Destination] = PydanticField(default_factory=dict)
    lint: LintConfig = PydanticField(default_factory=LintConfig)
    state: StateConfig = PydanticField(default_factory=StateConfig)
    """Where ``deliver`` records deliveries (spec §11)."""

    _source: str | None = PrivateAttr(default=None)
    _key_spans: dict[KeyPath, Span] = PrivateAttr(default_factory=dict)

    @property
    def source(self) -> str | None:
        """The config file this was loaded from, if any."""
        return self._source

    def span_of(self, path: KeyPath = ()) -> Span:
        """The (line-level) span of a key, e.g. ``("destinations", "meta_ads", "min_size")``.

        Falls back to the nearest present ancestor, then to the start of the config
        (the ``[tool.audiencelang]`` header in a ``pyproject.toml``)."""
        return _lookup(self._key_spans, path, self._source)

    def suppression_of(self, destination: str) -> list[str]:
        """The audiences suppressed for ``destination``: the top-level ``suppress`` list,
        then the destination's own, each name once, in that order."""
        dest = self.destinations.get(destination)
        names = [*self.suppress, *(dest.suppress if dest is not None else [])]
        return list(dict.fromkeys(names))

    def is_set(self, path: KeyPath) -> bool:
        """True when the key at ``path`` is written in the loaded config file."""
        return path in self._key_spans

    def _attach(self, source: str | None, keys: dict[KeyPath, Span]) -> None:
        self._source = source
        self._key_spans = keys
