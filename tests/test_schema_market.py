"""Market schema files (spec §2): the spec example loads; every problem is an E2xx at a position."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from audiencelang.diagnostics import Diagnostic
from audiencelang.schema import Market, load_market, load_market_text, split_table

FIXTURES = Path(__file__).parent / "fixtures" / "schema"
SPEC_MARKET = FIXTURES / "spec_project" / "markets" / "de.yaml"


def only(diags: list[Diagnostic]) -> Diagnostic:
    assert len(diags) == 1, [(d.code, d.message) for d in diags]
    return diags[0]


def load(text: str) -> tuple[Market | None, list[Diagnostic]]:
    return load_market_text(text, path="markets/x.yaml")


# ----------------------------------------------------------------------------- the spec example


def test_spec_example_loads_exactly_as_written() -> None:
    market, diags = load_market(SPEC_MARKET, display="markets/de.yaml")
    assert diags == []
    assert market is not None
    assert market.market == "de"
    assert market.profiles.table == "crm.kunden"
    assert market.profiles.table_parts == ("crm", "kunden")
    assert market.profiles.id == "kunden_id"
    assert list(market.profiles.traits) == ["country", "age", "lifetime_value", "signup_date", "email_sha256"]
    assert market.profiles.traits["age"].column == "alter"
    assert market.profiles.traits["age"].type == "integer"
    cart = market.events["add_to_cart"]
    assert (cart.table, cart.user, cart.time) == ("web.ereignisse", "kunden_id", "zeitpunkt")
    assert cart.where is not None and (cart.where.column, cart.where.equals) == ("ereignis", "warenkorb")
    assert cart.properties["price"].type == "decimal"
    purchase = market.events["purchase"]
    assert purchase.where is None and purchase.retention_days is None
    assert set(purchase.properties) == {"revenue", "channel"}
    consent = market.consent
    assert consent is not None
    assert consent.confirmed == "bestaetigt_am"
    assert (consent.statuses.granted, consent.statuses.denied, consent.statuses.revoked) == (
        "erteilt", "abgelehnt", "widerrufen")
    ads = consent.purposes["ads_personalization"]
    assert (ads.value, ads.mode, ads.max_age_days, ads.double_opt_in) == ("werbung", "opt_in", 365, False)
    mail = consent.purposes["email_marketing"]
    assert (mail.value, mail.max_age_days, mail.double_opt_in) == ("newsletter", None, True)


def test_span_of_points_at_keys_in_the_file() -> None:
    market, _ = load_market(SPEC_MARKET, display="markets/de.yaml")
    assert market is not None
    span = market.span_of(("events", "purchase", "time"))
    assert (span.path, span.line, span.column, span.end_column) == ("markets/de.yaml", 22, 5, 9)
    text = SPEC_MARKET.read_text()
    assert text[span.start:span.end] == "time"
    trait = market.span_of(("profiles", "traits", "age"))
    assert (trait.line, trait.column) == (7, 5)
    value = market.value_span_of(("events", "add_to_cart", "where", "equals"))
    assert text[value.start:value.end] == '"warenkorb"'
    # a key that is not written falls back to its nearest written parent
    missing = market.span_of(("events", "purchase", "retention_days"))
    assert (missing.line, missing.column) == (19, 3)
    assert market.span_of(()).line == 1
    assert market.source == "markets/de.yaml"


def test_market_built_in_python_has_spans_without_path() -> None:
    m = Market.model_validate({"market": "x", "profiles": {"table": "t", "id": "id"}})
    assert m.span_of(("profiles",)).path is None
    assert m.events == {} and m.consent is None


@pytest.mark.parametrize(
    ("table", "parts"),
    [("crm.kunden", ("crm", "kunden")), ("Kunden", ("Kunden",)), ("Cat.CRM.Kunden", ("Cat", "CRM", "Kunden"))],
)
def test_split_table_keeps_case(table: str, parts: tuple[str, ...]) -> None:
    assert split_table(table) == parts


@pytest.mark.parametrize("table", ["a..b", ".a", "a.", "a.b.c.d", "a. b", ""])
def test_split_table_rejects_malformed(table: str) -> None:
    with pytest.raises(ValueError):
        split_table(table)


def test_equals_accepts_numbers_and_booleans() -> None:
    text = """market: x
profiles: {table: t, id: id}
events:
  a: {table: e, user: u, time: t, where: {column: kind, equals: 3}}
  b: {table: e, user: u, time: t, where: {column: amount, equals: 19.99}, retention_days: 90}
  c: {table: e, user: u, time: t, where: {column: is_app, equals: false}}
"""
    market, diags = load(text)
    assert diags == [] and market is not None
    values = [market.events[k].where.equals for k in "abc"]  # type: ignore[union-attr]
    assert values == [3, Decimal("19.99"), False]
    assert type(values[0]) is int and type(values[2]) is bool
    assert market.events["b"].retention_days == 90


# ----------------------------------------------------------------------------- diagnostics

BASE = """market: x
profiles:
  table: crm.kunden
  id: kunden_id
  traits:
    country: {column: land, type: string}
"""

CASES = [
    # (name, text, code, line, column, words in the message)
    ("yaml syntax", "market: x\nprofiles: [1, 2\n", "E202", 3, 1, ["YAML syntax error"]),
    ("duplicate trait", BASE + "    country: {column: land2, type: string}\n", "E203", 7, 5, ["duplicate key 'country'"]),
    ("duplicate top key", BASE + "market: y\n", "E203", 7, 1, ["duplicate key 'market'"]),
    ("unknown key", BASE.replace("  id: kunden_id\n", "  id: kunden_id\n  ids: x\n"), "E205", 5, 3,
     ["unknown key 'ids'", "profiles"]),
    ("unknown top key", BASE + "event:\n  a: {}\n", "E205", 7, 1, ["unknown key 'event'"]),
    ("wrong type", BASE.replace("id: kunden_id", "id: 42"), "E207", 4, 3, ["profiles.id", "expected a string", "42"]),
    ("wrong field type", BASE.replace("type: string", "type: text"), "E207", 6, 29,
     ["profiles.traits.country.type", "one of string, integer"]),
    ("missing required", "market: x\nprofiles:\n  id: kunden_id\n", "E206", 2, 1, ["missing required key 'table'"]),
    ("missing profiles", "market: x\n", "E206", 1, 1, ["missing required key 'profiles'"]),
    ("event without time", BASE + "events:\n  purchase:\n    table: shop.orders\n    user: kunde\n",
     "E206", 8, 3, ["missing required key 'time'", "events.purchase"]),
    ("invalid trait name", BASE + "    Land-Code: {column: lc, type: string}\n", "E208", 7, 5,
     ["invalid trait name 'Land-Code'"]),
    ("invalid event name", BASE + "events:\n  Purchase: {table: t, user: u, time: t}\n", "E208", 8, 3,
     ["invalid event name 'Purchase'"]),
    ("invalid property name", BASE + "events:\n  p:\n    table: t\n    user: u\n    time: t\n"
     "    properties:\n      2nd: {column: c, type: string}\n", "E208", 13, 7, ["invalid property name '2nd'"]),
    ("invalid market name", BASE.replace("market: x", "market: DE"), "E208", 1, 1, ["invalid market name 'DE'"]),
    ("bad table", BASE.replace("crm.kunden", "crm..kunden"), "E212", 3, 3, ["crm..kunden"]),
    ("empty column", BASE.replace("column: land", "column: ''"), "E212", 6, 15, ["empty"]),
    ("string where", BASE + "events:\n  p:\n    table: t\n    user: u\n    time: t\n    where: ereignis\n", "E207",
     12, 5, ["events.p.where", "expected a mapping", "'ereignis'"]),
    ("list equals", BASE + "events:\n  p:\n    table: t\n    user: u\n    time: t\n"
     "    where: {column: k, equals: [1]}\n", "E207", 12, 24, ["events.p.where.equals", "a list"]),
    ("nan equals", BASE + "events:\n  p:\n    table: t\n    user: u\n    time: t\n"
     "    where: {column: k, equals: .nan}\n", "E207", 12, 24, ["finite"]),
    ("retention zero", BASE + "events:\n  p: {table: t, user: u, time: t, retention_days: 0}\n", "E207", 8, 35,
     [">= 1"]),
]

CONSENT = """consent:
  table: legal.einwilligungen
  user: kunden_id
  purpose: zweck
  status: status
  time: geaendert_am
  statuses: {granted: "erteilt", denied: "abgelehnt", revoked: "widerrufen"}
  purposes:
"""

CASES += [
    ("double opt-in without confirmed", BASE + CONSENT
     + "    email_marketing: {value: newsletter, mode: opt_in, double_opt_in: true}\n",
     "E209", 15, 56, ["double_opt_in", "confirmed"]),
    ("max age zero", BASE + CONSENT + "    ads: {value: werbung, mode: opt_in, max_age_days: 0}\n",
     "E207", 15, 41, ["max_age_days", ">= 1"]),
    ("opt-out with max age", BASE + CONSENT + "    ads: {value: werbung, mode: opt_out, max_age_days: 30}\n",
     "E209", 15, 5, ["opt_in"]),
    ("bad mode", BASE + CONSENT + "    ads: {value: werbung, mode: optin}\n", "E207", 15, 27, ["opt_in, opt_out"]),
    ("granted equals denied", BASE + CONSENT.replace('denied: "abgelehnt"', 'denied: "erteilt"')
     + "    ads: {value: werbung, mode: opt_in}\n", "E209", 13, 3, ["granted"]),
    ("missing statuses", BASE + CONSENT.replace(
        '  statuses: {granted: "erteilt", denied: "abgelehnt", revoked: "widerrufen"}\n', "")
     + "    ads: {value: werbung, mode: opt_in}\n", "E206", 7, 1, ["missing required key 'statuses'"]),
    ("invalid purpose name", BASE + CONSENT + "    Ads: {value: werbung, mode: opt_in}\n", "E208", 15, 5,
     ["invalid purpose name 'Ads'"]),
]


@pytest.mark.parametrize(("text", "code", "line", "column", "words"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_diagnostic_position_and_message(text: str, code: str, line: int, column: int, words: list[str]) -> None:
    market, diags = load(text)
    assert market is None
    d = only(diags)
    assert (d.code, d.span is not None and d.span.path, d.span and d.span.line, d.span and d.span.column) == (
        code, "markets/x.yaml", line, column), d.message
    for w in words:
        assert w in d.message, d.message
    assert d.is_error


def test_unknown_key_suggests_the_known_one() -> None:
    _, diags = load(BASE + "events:\n  p: {table: t, user: u, time: t, propertys: {}}\n")
    d = only(diags)
    assert d.code == "E205"
    assert d.hints == ("did you mean 'properties'?",)


def test_field_type_typo_suggests_the_type() -> None:
    _, diags = load(BASE.replace("type: string", "type: strng"))
    assert only(diags).hints == ("did you mean 'string'?",)


def test_several_problems_are_all_reported_in_one_pass() -> None:
    text = BASE.replace("id: kunden_id", "id: 1") + "events:\n  p: {table: t, user: u}\n  q: {table: t, time: t, user: u, x: 1}\n"
    _, diags = load(text)
    assert sorted((d.code, d.span.line) for d in diags if d.span) == [("E205", 9), ("E206", 8), ("E207", 4)]


@pytest.mark.parametrize(
    ("content", "code", "words"),
    [
        (b"", "E204", ["empty"]),
        (b"# only a comment\n", "E204", ["empty"]),
        (b"- market: x\n", "E204", ["mapping", "a list"]),
        (b"just a string\n", "E204", ["mapping"]),
        (b"market: x\nprofiles: {table: t, id: \xff\xfe}\n", "E201", ["not valid UTF-8"]),
    ],
)
def test_file_level_problems(tmp_path: Path, content: bytes, code: str, words: list[str]) -> None:
    f = tmp_path / "m.yaml"
    f.write_bytes(content)
    market, diags = load_market(f, display="markets/m.yaml")
    d = only(diags)
    assert market is None and d.code == code and d.span is not None and d.span.path == "markets/m.yaml"
    assert d.span.line >= 1
    for w in words:
        assert w in d.message


def test_not_utf8_points_at_the_line_of_the_bad_byte(tmp_path: Path) -> None:
    f = tmp_path / "m.yaml"
    f.write_bytes(b"market: x\nprofiles: {table: t, id: \xff}\n")
    d = only(load_market(f)[1])
    assert (d.code, d.span and d.span.line, d.span and d.span.column) == ("E201", 2, 26)


def test_missing_file(tmp_path: Path) -> None:
    d = only(load_market(tmp_path / "nope.yaml")[1])
    assert d.code == "E201" and "not found" in d.message


def test_bom_is_accepted(tmp_path: Path) -> None:
    f = tmp_path / "m.yaml"
    f.write_bytes(b"\xef\xbb\xbf" + BASE.encode())
    market, diags = load_market(f)
    assert diags == [] and market is not None and market.market == "x"


# ----------------------------------------------------------------------------- never a traceback

SPEC_TEXT = SPEC_MARKET.read_text(encoding="utf-8")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mangled_market_files_never_raise(data: st.DataObject) -> None:
    text = SPEC_TEXT
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(text)))
        j = data.draw(st.integers(i, min(len(text), i + 40)))
        text = text[:i] + data.draw(st.sampled_from(["", ":", " ", "\n", "- ", "{", "]", "'", "A", "1", "\t"])) + text[j:]
    market, diags = load_market_text(text, path="m.yaml")
    assert (market is None) == any(d.is_error for d in diags)
    for d in diags:
        assert d.code.startswith("E2") and d.span is not None and d.span.path == "m.yaml" and d.span.line >= 1


# ----------------------------------------------------------------------------- JSON Schema agreement


def test_committed_json_schema_accepts_the_spec_example() -> None:
    schema = json.loads((Path(__file__).parents[1] / "docs" / "schemas" / "market.schema.json").read_text())
    jsonschema.validate(YAML(typ="safe").load(SPEC_TEXT), schema)
    bad = YAML(typ="safe").load(SPEC_TEXT)
    bad["profiles"]["traits"]["Bad Name"] = {"column": "x", "type": "string"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def test_alias_bomb_is_refused_quickly() -> None:
    text = "a: &a [x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 9):
        name, prev = chr(97 + i), chr(96 + i)
        text += f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]\n"
    market, diags = load(text)
    d = only(diags)
    assert market is None and d.code == "E202" and "aliases" in d.message


def test_anchors_and_merge_keys_work() -> None:
    text = BASE + """events:
  a: &shop {table: shop.orders, user: kunde, time: bestellt_am}
  b:
    <<: *shop
    where: {column: kind, equals: refund}
"""
    market, diags = load(text)
    assert diags == [] and market is not None
    assert market.events["b"].table == "shop.orders" and market.events["b"].where is not None
