"""JSON Schemas of the market file, the project config and the AST's JSON form.

``audiencelang schema market|config|ast`` print them; the
committed copies live in ``docs/schemas/``. Regenerate them with::

    python -m audiencelang.schema.jsonschema docs/schemas
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from audiencelang.schema.config import ProjectConfig
from audiencelang.schema.market import Market

__all__ = ["ast_json_schema", "config_json_schema", "dumps", "market_json_schema", "write_schemas"]

_BASE = "https://audiencelang.dev/schemas/"


def _close_pattern_maps(node: object) -> None:
    """Mappings keyed by names get ``additionalProperties: false`` (invalid names are errors)."""
    if isinstance(node, dict):
        if "patternProperties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for value in node.values():
            _close_pattern_maps(value)
    elif isinstance(node, list):
        for value in node:
            _close_pattern_maps(value)


def market_json_schema() -> dict[str, Any]:
    """The JSON Schema of a market file (``markets/*.yaml``)."""
    schema = Market.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = _BASE + "market.schema.json"
    schema["title"] = "audiencelang market schema"
    _close_pattern_maps(schema)
    return schema


def config_json_schema() -> dict[str, Any]:
    """The JSON Schema of the project config (``audiencelang.toml`` / ``[tool.audiencelang]``)."""
    schema = ProjectConfig.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = _BASE + "config.schema.json"
    schema["title"] = "audiencelang project config"
    _close_pattern_maps(schema)
    return schema


def ast_json_schema() -> dict[str, Any]:
    """The JSON Schema of the AST's JSON form (``audiencelang parse --format json``)."""
    from audiencelang.syntax.validate import ast_json_schema as make

    return make()


def dumps(schema: dict[str, Any]) -> str:
    """Deterministic text: sorted keys, 2-space indent, trailing newline."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_schemas(folder: Path) -> list[Path]:
    """Write ``market.schema.json``, ``config.schema.json`` and ``ast.schema.json`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    from audiencelang.machine import machine_json_schemas

    for name, schema in (("market", market_json_schema()), ("config", config_json_schema()),
                         ("ast", ast_json_schema()), *machine_json_schemas().items()):
        target = folder / f"{name}.schema.json"
        target.write_text(dumps(schema), encoding="utf-8", newline="\n")
        out.append(target)
    return out


if __name__ == "__main__":  # pragma: no cover
    for written in write_schemas(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/schemas")):
        print(written)
