"""The market files the demo generator reads: raw YAML mappings, checked enough to build tables from."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # duckdb and ruamel are imported where used: `audiencelang --version` stays fast
    pass


DUCKDB_TYPES = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "decimal": "DECIMAL(18, 2)",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",  # naive, holding UTC (spec §1.6)
}


class DemoError(ValueError):
    """A project or market file the demo generator cannot use (message says why)."""


# --------------------------------------------------------------------------- loading


def _read_yaml(path: Path) -> dict[str, Any]:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    yaml = YAML(typ="safe", pure=True)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, YAMLError) as exc:
        raise DemoError(f"{path}: cannot read market schema: {exc}") from None
    if not isinstance(data, dict):
        raise DemoError(f"{path}: a market schema must be a mapping")
    return data


def _market_paths_of_project(root: Path) -> list[Path]:
    patterns: list[str] = ["markets"]
    config = root / "audiencelang.toml"
    pyproject = root / "pyproject.toml"
    try:
        if config.is_file():
            patterns = list(tomllib.loads(config.read_text("utf-8")).get("markets", patterns))
        elif pyproject.is_file():
            tool = tomllib.loads(pyproject.read_text("utf-8")).get("tool", {})
            patterns = list(tool.get("audiencelang", {}).get("markets", patterns))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise DemoError(f"{root}: cannot read project config: {exc}") from None
    paths: set[Path] = set()
    for pattern in patterns:
        if not isinstance(pattern, str):
            raise DemoError(f"{root}: `markets` must be a list of strings")
        target = root / pattern
        if target.is_dir():
            paths.update(p for p in target.iterdir() if p.suffix in {".yaml", ".yml"})
        else:
            paths.update(root.glob(pattern))
    if not paths and not config.is_file():
        paths.update(p for p in root.iterdir() if p.suffix in {".yaml", ".yml"})
    return sorted(p for p in paths if p.is_file())


def load_market_specs(
    project: str | os.PathLike[str] | Mapping[str, Any] | Iterable[Any],
) -> list[dict[str, Any]]:
    """The raw market schemas (spec §2) of ``project``, sorted by market name.

    ``project`` is a project folder (its ``audiencelang.toml`` says where the
    markets are; without one, ``markets/`` or the folder's own ``*.yaml``), one
    market YAML file, one market mapping, or an iterable of files/mappings.
    """
    items: list[Any]
    if isinstance(project, Mapping):
        items = [project]
    elif isinstance(project, str | os.PathLike):
        path = Path(project)
        if path.is_dir():
            items = list(_market_paths_of_project(path))
        elif path.is_file():
            items = [path]
        else:
            raise DemoError(f"{path}: no such project folder or market file")
    else:
        items = list(project)
    specs: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, Mapping):
            spec = dict(item)
        elif isinstance(item, str | os.PathLike):
            spec = _read_yaml(Path(item))
        elif hasattr(item, "model_dump"):
            spec = dict(item.model_dump(mode="json", by_alias=True))
        else:
            raise DemoError(f"not a market schema: {item!r}")
        _validate(spec)
        specs.append(spec)
    if not specs:
        raise DemoError(f"{project}: no market schemas found")
    names = [s["market"] for s in specs]
    if len(set(names)) != len(names):
        raise DemoError(f"market names must be unique, got {names}")
    return sorted(specs, key=lambda s: str(s["market"]))


def _need(mapping: Any, key: str, where: str) -> Any:
    if not isinstance(mapping, Mapping) or key not in mapping:
        raise DemoError(f"{where}: missing `{key}`")
    return mapping[key]


def _validate(spec: Mapping[str, Any]) -> None:
    market = str(_need(spec, "market", "market schema"))
    profiles = _need(spec, "profiles", market)
    for key in ("table", "id", "traits"):
        _need(profiles, key, f"{market}: profiles")
    for name, trait in dict(profiles["traits"] or {}).items():
        _type_of(trait, f"{market}: trait {name}")
    for name, event in dict(spec.get("events") or {}).items():
        for key in ("table", "user", "time"):
            _need(event, key, f"{market}: event {name}")
        if event.get("where") is not None:
            _need(event["where"], "column", f"{market}: event {name}: where")
            _need(event["where"], "equals", f"{market}: event {name}: where")
        for pname, prop in dict(event.get("properties") or {}).items():
            _type_of(prop, f"{market}: property {name}.{pname}")
    consent = spec.get("consent")
    if consent is not None:
        for key in ("table", "user", "purpose", "status", "time", "statuses", "purposes"):
            _need(consent, key, f"{market}: consent")
        for key in ("granted", "denied", "revoked"):
            _need(consent["statuses"], key, f"{market}: consent.statuses")
        for pname, purpose in dict(consent["purposes"] or {}).items():
            _need(purpose, "value", f"{market}: consent purpose {pname}")


def _type_of(column: Any, where: str) -> str:
    _need(column, "column", where)
    kind = str(_need(column, "type", where))
    if kind not in DUCKDB_TYPES:
        raise DemoError(f"{where}: unknown type {kind!r} (one of {', '.join(DUCKDB_TYPES)})")
    return kind
