"""Market schemas and the project config: models and loading with source locations."""

from audiencelang.schema.config import (
    DEFAULT_NAMING,
    Destination,
    LintConfig,
    ProjectConfig,
)
from audiencelang.schema.loader import (
    load_config,
    load_config_text,
    load_market,
    load_market_text,
)
from audiencelang.schema.market import (
    NAME_PATTERN,
    Consent,
    Event,
    EventFilter,
    Field,
    FieldType,
    KeyPath,
    Market,
    Profiles,
    Purpose,
    Statuses,
    is_valid_name,
    split_table,
)

__all__ = [
    "DEFAULT_NAMING",
    "NAME_PATTERN",
    "Consent",
    "Destination",
    "Event",
    "EventFilter",
    "Field",
    "FieldType",
    "KeyPath",
    "LintConfig",
    "Market",
    "Profiles",
    "ProjectConfig",
    "Purpose",
    "Statuses",
    "is_valid_name",
    "load_config",
    "load_config_text",
    "load_market",
    "load_market_text",
    "split_table",
]
