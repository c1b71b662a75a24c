"""Market schema models (spec §2).

A market schema maps the logical names used in audiences (traits, events,
properties, consent purposes) onto one market's physical tables and columns.
The models are frozen and reject unknown keys. Load them from YAML with
:func:`audiencelang.schema.load_market`, which turns every problem into an
``E2xx`` diagnostic with a file/line/column.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Literal, TypeAlias
from zoneinfo import ZoneInfo, available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    PrivateAttr,
    StrictBool,
    StrictInt,
    StrictStr,
    StringConstraints,
    model_validator,
)
from pydantic import Field as PydanticField
from pydantic.json_schema import WithJsonSchema
from pydantic_core import PydanticCustomError

from audiencelang.diagnostics import Span, nearest

__all__ = [
    "NAME_PATTERN",
    "Consent",
    "Event",
    "EventFilter",
    "Field",
    "FieldType",
    "KeyPath",
    "Market",
    "Profiles",
    "Purpose",
    "Statuses",
    "Warehouse",
    "WarehouseDialect",
    "is_valid_name",
    "split_table",
    "time_zones",
]

#: Logical names (markets, traits, events, properties, purposes, destinations).
NAME_PATTERN = r"^[a-z_][a-z0-9_]*$"
_NAME_RE = re.compile(NAME_PATTERN)
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")

#: A path of keys into a market (or config) document, e.g. ``("events", "purchase", "time")``.
KeyPath: TypeAlias = tuple[str | int, ...]

FieldType = Literal["string", "integer", "decimal", "boolean", "date", "timestamp"]
"""The column types a trait or event property may have."""


def is_valid_name(name: str) -> bool:
    """True when ``name`` is a valid logical name (``[a-z_][a-z0-9_]*``)."""
    return bool(_NAME_RE.fullmatch(name))


def _check_name(value: str) -> str:
    if not _NAME_RE.fullmatch(value):
        raise PydanticCustomError(
            "audiencelang_E208",
            "invalid name '{name}': names match [a-z_][a-z0-9_]* (lower case letters, digits, underscores)",
            {"name": value},
        )
    return value


def _check_column(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("audiencelang_E212", "a column name must not be empty", {})
    if _CONTROL_RE.search(value):
        raise PydanticCustomError(
            "audiencelang_E212", "column name '{name}' contains a control character", {"name": value}
        )
    return value


def split_table(table: str) -> tuple[str, ...]:
    """Split a possibly schema-qualified table name into its parts.

    ``"crm.kunden"`` → ``("crm", "kunden")``; ``"db.crm.kunden"`` → three parts;
    ``"kunden"`` → ``("kunden",)``. Identifiers are case-sensitive and kept as written
    (no folding, no quoting). Raises ``ValueError`` for an empty part or more than
    three parts (the market loader reports these as E212).
    """
    parts = tuple(table.split("."))
    if len(parts) > 3:
        raise ValueError(f"table name {table!r} has {len(parts)} parts; at most catalog.schema.table")
    if any(not p or p != p.strip() for p in parts):
        raise ValueError(f"table name {table!r} has an empty part or surrounding spaces")
    if _CONTROL_RE.search(table):
        raise ValueError(f"table name {table!r} contains a control character")
    return parts


def _check_table(value: str) -> str:
    try:
        split_table(value)
    except ValueError as exc:
        raise PydanticCustomError("audiencelang_E212", "{why}", {"why": str(exc)}) from None
    return value


@lru_cache(maxsize=1)
def time_zones() -> frozenset[str]:
    """The IANA time zone names of the tz database this Python reads (system or ``tzdata``).

    ``localtime`` (the machine's own zone, a symlink on many systems), ``posixrules``
    and ``Factory`` are files of the database but not zones a market can mean.
    """
    return frozenset(available_timezones() - {"localtime", "posixrules", "Factory"})


def _check_timezone(value: str) -> str:
    if value not in time_zones():
        close = nearest(value, set(time_zones()))
        hint = (" — did you mean " + ", ".join(f"'{c}'" for c in close) + "?") if close else ""
        raise PydanticCustomError(
            "audiencelang_E207",
            "unknown time zone '{zone}': expected an IANA name such as Europe/Berlin or UTC{hint}",
            {"zone": value, "hint": hint},
        )
    return value


TimeZone = Annotated[
    StrictStr,
    AfterValidator(_check_timezone),
    WithJsonSchema({"type": "string", "minLength": 1, "examples": ["UTC", "Europe/Berlin", "Asia/Tokyo"]}),
]
"""An IANA time zone name (``Europe/Berlin``), checked against the tz database."""

Name = Annotated[
    str, AfterValidator(_check_name), WithJsonSchema({"type": "string", "pattern": NAME_PATTERN})
]
"""A logical name, validated against :data:`NAME_PATTERN`."""
Column = Annotated[StrictStr, AfterValidator(_check_column)]
"""A physical column name, case-sensitive, as written."""
Table = Annotated[StrictStr, AfterValidator(_check_table)]
"""A physical table name, optionally ``schema.table`` or ``catalog.schema.table``."""
ColumnValue = StrictBool | StrictInt | Annotated[Decimal, PydanticField(allow_inf_nan=False)] | StrictStr
"""A literal a column is compared with: string, integer, decimal number or boolean."""
ConsentValue = Annotated[StrictStr, StringConstraints(min_length=1)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, use_attribute_docstrings=True)


class Field(_Model):
    """A trait or event property: ``{column: ..., type: ...}``."""

    column: Column
    type: FieldType


class Profiles(_Model):
    """The profile table: one row per profile, keyed by ``id``."""

    table: Table
    id: Column
    unique_id: StrictBool = False
    """The table holds one row per id (a primary key or a unique constraint the warehouse
    keeps): members then need no de-duplication, which makes every statement cheaper. Without
    it, a repeated id is still one member (docs/semantics.md); ``check --db`` verifies the
    claim (E735)."""
    traits: dict[Name, Field] = PydanticField(default_factory=dict)

    @property
    def table_parts(self) -> tuple[str, ...]:
        return split_table(self.table)


class EventFilter(_Model):
    """``where: {column, equals}``: keeps only the rows of a shared event table with that value."""

    column: Column
    equals: ColumnValue


class Event(_Model):
    """One logical event: rows of ``table``, joined to profiles by ``user``, timed by ``time``."""

    table: Table
    user: Column
    time: Column
    where: EventFilter | None = None
    properties: dict[Name, Field] = PydanticField(default_factory=dict)
    retention_days: Annotated[StrictInt, PydanticField(ge=1)] | None = None
    """How many days of history the table keeps (used by lint rules; no effect on SQL)."""

    @property
    def table_parts(self) -> tuple[str, ...]:
        return split_table(self.table)


class Statuses(_Model):
    """The values of the consent ``status`` column meaning granted / denied / revoked."""

    granted: ConsentValue
    denied: ConsentValue
    revoked: ConsentValue

    @model_validator(mode="after")
    def _distinct(self) -> Statuses:
        if self.granted in (self.denied, self.revoked):
            raise PydanticCustomError(
                "audiencelang_E209",
                "the 'granted' status value '{value}' must differ from 'denied' and 'revoked'",
                {"value": self.granted},
            )
        return self


class Purpose(_Model):
    """One consent purpose: the ``purpose`` column value and how consent is decided."""

    value: ConsentValue
    mode: Literal["opt_in", "opt_out"]
    max_age_days: Annotated[StrictInt, PydanticField(ge=1)] | None = None
    double_opt_in: StrictBool = False

    @model_validator(mode="after")
    def _opt_in_only(self) -> Purpose:
        if self.mode == "opt_out" and (self.max_age_days is not None or self.double_opt_in):
            key = "max_age_days" if self.max_age_days is not None else "double_opt_in"
            raise PydanticCustomError(
                "audiencelang_E209",
                "{key} only applies to mode: opt_in (an opt_out purpose holds unless denied or revoked)",
                {"key": key},
            )
        return self


class Consent(_Model):
    """The consent table: one row per change (user, purpose, status, time, confirmation)."""

    table: Table
    user: Column
    purpose: Column
    status: Column
    time: Column
    confirmed: Column | None = None
    statuses: Statuses
    purposes: dict[Name, Purpose] = PydanticField(default_factory=dict)

    @property
    def table_parts(self) -> tuple[str, ...]:
        return split_table(self.table)

    @model_validator(mode="after")
    def _double_opt_in_needs_confirmed(self) -> Consent:
        if self.confirmed is None:
            for name, purpose in self.purposes.items():
                if purpose.double_opt_in:
                    raise PydanticCustomError(
                        "audiencelang_E209",
                        "purpose '{name}' has double_opt_in: true but consent has no 'confirmed' column",
                        {"name": name, "_loc": ("purposes", name, "double_opt_in")},
                    )
        return self


WarehouseDialect = Literal["bigquery", "clickhouse", "databricks", "duckdb", "mysql", "postgres", "redshift",
                           "snowflake", "spark", "sqlite", "trino", "tsql"]
"""The SQL dialects audiencelang writes (``audiencelang.sql.DIALECTS``; a test keeps them equal)."""

_ENV_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,199}")


def _check_env(value: str) -> str:
    if not _ENV_RE.fullmatch(value):
        raise PydanticCustomError(
            "audiencelang_E207",
            "url_env names an environment variable (letters, digits and '_', not starting with a digit); "
            "the URL itself belongs in that variable, never in the file (the value is not shown: it may "
            "hold a password)", {})
    return value


EnvName = Annotated[StrictStr, AfterValidator(_check_env),
                    WithJsonSchema({"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,199}$"})]
"""The name of an environment variable."""


class Warehouse(_Model):
    """Where the market's data lives (docs/markets.md, "warehouse"): the SQL dialect of its
    warehouse and the environment variable that holds the connection URL. The URL itself
    (with its credentials) is never written in a file."""

    dialect: WarehouseDialect
    """The dialect ``compile`` writes for this market and the engine ``run`` expects."""
    url_env: EnvName
    """The environment variable holding the ``--db`` URL or path of the market's warehouse."""


class Market(_Model):
    """One market schema file (spec §2)."""

    market: Name
    timezone: TimeZone = "UTC"
    """The market's IANA time zone (spec §9): dates are its local days, calendar windows its local calendar."""
    profiles: Profiles
    events: dict[Name, Event] = PydanticField(default_factory=dict)
    consent: Consent | None = None
    warehouse: Warehouse | None = None
    """Where the market's data lives: ``run``/``explain`` without ``--db`` connect there."""

    _source: str | None = PrivateAttr(default=None)
    _key_spans: dict[KeyPath, Span] = PrivateAttr(default_factory=dict)
    _value_spans: dict[KeyPath, Span] = PrivateAttr(default_factory=dict)

    @property
    def zone(self) -> ZoneInfo:
        """The market's time zone as a :class:`zoneinfo.ZoneInfo`."""
        return ZoneInfo(self.timezone)

    @property
    def source(self) -> str | None:
        """The path the market was loaded from (as given to the loader), if any."""
        return self._source

    def span_of(self, path: KeyPath = ()) -> Span:
        """The span of the key at ``path`` in the source file.

        ``market.span_of(("events", "purchase", "time"))`` points at the ``time:`` key.
        When ``path`` is not in the file (a defaulted key), the span of its nearest
        present ancestor is returned; ``()`` gives the start of the file. A market
        built in Python (not loaded) gives a span without a path.
        """
        return _lookup(self._key_spans, path, self._source)

    def value_span_of(self, path: KeyPath) -> Span:
        """Like :meth:`span_of`, but the span of the value written at ``path``."""
        if path in self._value_spans:
            return self._value_spans[path]
        return self.span_of(path)

    def _attach(self, source: str | None, keys: dict[KeyPath, Span], values: dict[KeyPath, Span]) -> None:
        self._source = source
        self._key_spans = keys
        self._value_spans = values


def _lookup(spans: dict[KeyPath, Span], path: KeyPath, source: str | None) -> Span:
    for n in range(len(path), -1, -1):
        found = spans.get(path[:n])
        if found is not None:
            return found
    return Span(path=source)
