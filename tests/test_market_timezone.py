"""Spec §9: a market's `timezone:` (IANA name, default UTC), checked against the tz database."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from audiencelang.schema import load_market_text

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "docs" / "spec" / "LANGUAGE.md"
BODY = "profiles: {table: crm.kunden, id: kunden_id}\n"


def _spec_yaml() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", SPEC.read_text(encoding="utf-8"), re.S)


def _section_9_fragment() -> str:
    section = SPEC.read_text(encoding="utf-8").split("## 9.", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```yaml\n(.*?)```", section, re.S)[0]


def test_the_spec_fragment_completes_the_spec_market() -> None:
    # §9 shows only the keys it adds; they complete §2's market (its `market:` line replaced).
    fragment = _section_9_fragment()
    assert fragment == "market: jp\ntimezone: Asia/Tokyo\n"
    rest = "".join(line for line in _spec_yaml()[0].splitlines(keepends=True) if not line.startswith("market:"))
    market, diags = load_market_text(fragment + rest, path="markets/jp.yaml")
    assert diags == [] and market is not None
    assert (market.market, market.timezone, market.zone.key) == ("jp", "Asia/Tokyo", "Asia/Tokyo")


def test_default_is_utc() -> None:
    market, diags = load_market_text("market: de\n" + BODY)
    assert diags == [] and market is not None and market.timezone == "UTC"


@pytest.mark.parametrize("zone", ["America/St_Johns", "Pacific/Kiritimati", "Australia/Lord_Howe", "UTC"])
def test_far_zones_load(zone: str) -> None:
    market, diags = load_market_text(f"market: x\ntimezone: {zone}\n" + BODY)
    assert diags == [] and market is not None and market.zone.key == zone


@pytest.mark.parametrize(("value", "words"), [
    ("Asia/Tokio", ["unknown time zone 'Asia/Tokio'", "did you mean 'Asia/Tokyo'"]),
    ("'../../etc/passwd'", ["unknown time zone '../../etc/passwd'"]),
    ("localtime", ["unknown time zone 'localtime'"]),  # the machine's zone: never a market's
    ("''", ["unknown time zone ''"]),
    ("9", ["expected a string", "number 9"]),
])
def test_unknown_zone_is_e207_at_the_key(value: str, words: list[str]) -> None:
    text = "market: x\n" + BODY + f"timezone: {value}\n"
    market, diags = load_market_text(text, path="markets/x.yaml")
    assert market is None and len(diags) == 1, diags
    d = diags[0]
    assert d.code == "E207" and d.span is not None
    assert (d.span.path, d.span.line, d.span.column) == ("markets/x.yaml", 3, 1)
    for w in words:
        assert w in d.message, d.message


def test_json_schema_knows_the_key() -> None:
    schema = json.loads((REPO / "docs" / "schemas" / "market.schema.json").read_text())
    doc = YAML(typ="safe").load("market: jp\ntimezone: Asia/Tokyo\n" + BODY)
    jsonschema.validate(doc, schema)
    doc["timezone"] = 9
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, schema)
