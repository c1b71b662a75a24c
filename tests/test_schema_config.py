"""Project config (spec §3): audiencelang.toml and [tool.audiencelang]; problems are E2xx with a line."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audiencelang.diagnostics import Diagnostic
from audiencelang.machine import machine_json_schemas
from audiencelang.schema import DEFAULT_NAMING, ProjectConfig, load_config, load_config_text
from audiencelang.schema.jsonschema import (
    ast_json_schema,
    config_json_schema,
    dumps,
    market_json_schema,
)

FIXTURES = Path(__file__).parent / "fixtures" / "schema"
SPEC_TOML = FIXTURES / "spec_project" / "audiencelang.toml"
DOCS = Path(__file__).parents[1] / "docs" / "schemas"


def only(diags: list[Diagnostic]) -> Diagnostic:
    assert len(diags) == 1, [(d.code, d.message) for d in diags]
    return diags[0]


def test_spec_example_loads_exactly_as_written() -> None:
    config, diags = load_config(SPEC_TOML, display="audiencelang.toml")
    assert diags == [] and config is not None
    assert config.audiences == ["audiences"] and config.markets == ["markets"]
    meta = config.destinations["meta_ads"]
    assert (meta.min_size, meta.consent, meta.identifier) == (1000, ["ads_personalization"], "email_sha256")
    news = config.destinations["newsletter"]
    assert (news.min_size, news.consent, news.identifier) == (0, ["email_marketing"], None)
    assert config.lint.naming == "^[a-z]+(_[a-z0-9]+)*$"  # as the spec writes it (not the default)
    assert config.lint.require == ["owner", "description"]
    span = config.span_of(("destinations", "meta_ads", "min_size"))
    assert (span.path, span.line, span.column) == ("audiencelang.toml", 5, 1)
    assert config.span_of(("destinations", "newsletter")).line == 9
    assert config.span_of(("lint", "naming")).line == 13
    assert config.is_set(("audiences",)) and not config.is_set(("lint", "select"))


def test_empty_config_means_every_default(tmp_path: Path) -> None:
    f = tmp_path / "audiencelang.toml"
    f.write_text("")
    config, diags = load_config(f)
    assert diags == [] and config is not None
    assert config.model_dump() == ProjectConfig().model_dump()
    assert config.lint.naming == DEFAULT_NAMING and config.lint.require == ["owner", "description"]
    assert config.lint.select is None and config.lint.ignore == [] and config.destinations == {}


def test_pyproject_tool_table(tmp_path: Path) -> None:
    f = FIXTURES / "pyproject_project" / "pyproject.toml"
    config, diags = load_config(f, display="pyproject.toml")
    assert diags == [] and config is not None
    assert config.audiences == ["audiences/*.aud"]
    assert config.destinations["meta_ads"].min_size == 100
    assert config.lint.ignore == ["L003"]
    assert config.lint.per_file_ignores == {"audiences/legacy_*.aud": ["L001", "L002"]}
    assert config.span_of(("destinations", "meta_ads", "min_size")).line == 9
    assert config.span_of(()).line == 5  # the [tool.audiencelang] header


def test_pyproject_without_tool_table(tmp_path: Path) -> None:
    f = tmp_path / "pyproject.toml"
    f.write_text('[project]\nname = "x"\n')
    config, diags = load_config(f)
    d = only(diags)
    assert config is None and d.code == "E204" and "[tool.audiencelang]" in d.message


def test_lint_settings_ruff_style() -> None:
    config, diags = load_config_text(
        """
[lint]
select = ["L"]
ignore = ["L004"]
severity = {L002 = "warning", L0 = "info"}

[lint.per-file-ignores]
"legacy/**" = ["L001"]
"*_test.aud" = ["L003"]
""",
        path="audiencelang.toml",
    )
    assert diags == [] and config is not None
    lint = config.lint
    assert lint.select == ["L"]
    assert lint.ignored_for("legacy/old/a.aud") == ["L004", "L001"]
    assert lint.ignored_for("audiences/a_test.aud") == ["L004", "L003"]
    assert lint.ignored_for("audiences/a.aud") == ["L004"]
    assert lint.severity_for("L002") == "warning"
    assert lint.severity_for("L005") == "info"
    assert lint.severity_for("E301") is None


CASES = [
    # (name, toml, code, line, column, words)
    ("syntax", 'audiences = ["a"\nmarkets = 1\n', "E202", 2, 1, ["TOML syntax error"]),
    ("duplicate key", 'audiences = ["a"]\naudiences = ["b"]\n', "E203", 2, 1, ["duplicate key 'audiences'"]),
    ("duplicate table", "[lint]\n[destinations.a]\n  [lint]\n", "E203", 3, 3, ["duplicate key 'lint'"]),
    ("unknown top key", 'audience = ["a"]\n', "E205", 1, 1, ["unknown key 'audience'"]),
    ("unknown destination key", "[destinations.meta_ads]\nminsize = 10\n", "E205", 2, 1,
     ["unknown key 'minsize'", "destinations.meta_ads"]),
    ("wrong type", '[destinations.meta_ads]\n\nmin_size = "1000"\n', "E207", 3, 1,
     ["destinations.meta_ads.min_size", "expected an integer", "'1000'"]),
    ("negative min", "[destinations.meta_ads]\nmin_size = -1\n", "E207", 2, 1, [">= 0"]),
    ("audiences not a list", 'audiences = "audiences"\n', "E207", 1, 1, ["expected a list"]),
    ("bad regex", '[lint]\nnaming = "^[a-z+$"\n', "E211", 2, 1, ["invalid regular expression"]),
    ("bad require", '[lint]\nrequire = ["owner", "descripton"]\n', "E207", 2, 1, ["one of title, owner"]),
    ("bad selector", '[lint]\nignore = ["l001"]\n', "E207", 2, 1, ["rule selector"]),
    ("bad severity", '[lint]\nseverity = {L001 = "fatal"}\n', "E207", 2, 13, ["error, warning, info"]),
    ("bad destination name", '[destinations.Meta]\nmin_size = 1\n', "E208", 1, 1, ["invalid destination name 'Meta'"]),
    ("bad identifier", '[destinations.meta]\nidentifier = "E-Mail"\n', "E208", 2, 1, ["E-Mail"]),
    ("inline table key", 'destinations = {meta = {min_size = "x"}}\n', "E207", 1, 25, ["min_size"]),
]


@pytest.mark.parametrize(("text", "code", "line", "column", "words"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_config_diagnostics(text: str, code: str, line: int, column: int, words: list[str]) -> None:
    config, diags = load_config_text(text, path="audiencelang.toml")
    d = only(diags)
    assert config is None
    assert (d.code, d.span and d.span.path, d.span and d.span.line, d.span and d.span.column) == (
        code, "audiencelang.toml", line, column), d.message
    for w in words:
        assert w in d.message, d.message


def test_pyproject_diagnostic_line_is_in_the_tool_table() -> None:
    text = '[project]\nname = "x"\nmin_size = 3\n\n[tool.audiencelang.destinations.meta]\nmin_size = "3"\n'
    _, diags = load_config_text(text, path="pyproject.toml", pyproject=True)
    d = only(diags)
    assert (d.code, d.span and d.span.line) == ("E207", 6)


def test_not_utf8_config(tmp_path: Path) -> None:
    f = tmp_path / "audiencelang.toml"
    f.write_bytes(b'audiences = ["\xe4"]\n')
    d = only(load_config(f, display="audiencelang.toml")[1])
    assert (d.code, d.span and d.span.path, d.span and d.span.line) == ("E201", "audiencelang.toml", 1)


# ----------------------------------------------------------------------------- JSON Schemas


@pytest.mark.parametrize(("name", "make"), [("market", market_json_schema), ("config", config_json_schema),
                                            ("ast", ast_json_schema),
                                            *((n, lambda n=n: machine_json_schemas()[n])
                                              for n in ("diagnostic", "check", "run", "compile-explain", "deliver",
                                                        "deliveries", "rule", "diff", "graph"))])
def test_committed_json_schemas_are_current(name: str, make: object) -> None:
    committed = (DOCS / f"{name}.schema.json").read_text(encoding="utf-8")
    assert callable(make)
    assert committed == dumps(make()), (
        f"docs/schemas/{name}.schema.json is stale; regenerate with: "
        ".venv/bin/python -m audiencelang.schema.jsonschema docs/schemas"
    )


def test_config_json_schema_validates_the_spec_example() -> None:
    schema = json.loads((DOCS / "config.schema.json").read_text())
    jsonschema.validate(tomllib.loads(SPEC_TOML.read_text()), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"destinations": {"meta": {"min_size": -1}}}, schema)


def test_schema_regeneration_command_is_deterministic(tmp_path: Path) -> None:
    for _ in range(2):
        subprocess.run([sys.executable, "-m", "audiencelang.schema.jsonschema", str(tmp_path)], check=True,
                       capture_output=True)
    assert (tmp_path / "market.schema.json").read_text() == (DOCS / "market.schema.json").read_text()
    assert (tmp_path / "config.schema.json").read_bytes().endswith(b"}\n")


SPEC_TEXT = SPEC_TOML.read_text(encoding="utf-8")


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_mangled_configs_never_raise(data: st.DataObject) -> None:
    text = SPEC_TEXT
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(text)))
        j = data.draw(st.integers(i, min(len(text), i + 30)))
        text = text[:i] + data.draw(st.sampled_from(["", "=", " ", "\n", "[", "]", '"', "{", "}", "x", "-1", "."])) + text[j:]
    for pyproject in (False, True):
        config, diags = load_config_text(text, path="c.toml", pyproject=pyproject)
        assert (config is None) == any(d.is_error for d in diags)
        for d in diags:
            assert d.code.startswith("E2") and d.span is not None and d.span.path == "c.toml" and d.span.line >= 1


@pytest.mark.parametrize("which", ["market", "config"])
def test_cli_schema_command_prints_the_committed_schema(which: str) -> None:
    from click.testing import CliRunner

    from audiencelang.cli import main

    result = CliRunner().invoke(main, ["schema", which])
    assert result.exit_code == 0, result.output
    assert result.output == (DOCS / f"{which}.schema.json").read_text(encoding="utf-8")
