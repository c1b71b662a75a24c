"""Every JSON document the CLI prints carries a version, uses one diagnostic shape and
matches its committed schema in docs/schemas (issue 16 item 5)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from audiencelang.cli import main
from audiencelang.run.demo import generate

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
SCHEMAS = REPO / "docs/schemas"
AS_OF = "2026-11-01T00:00:00Z"


def validate(doc: Any, name: str) -> None:
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(doc)


def diagnostics_of(doc: Any) -> list[Any]:
    docs = doc if isinstance(doc, list) else [doc]
    return [d for x in docs for d in x.get("diagnostics", [])]


def cli(*args: object) -> Any:
    r = CliRunner().invoke(main, [str(a) for a in args])
    assert r.exit_code in (0, 1), r.output
    return json.loads(r.stdout)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("m") / "demo.duckdb"
    generate(path, EXAMPLES, profiles=200, events_per_profile=6, seed=4)
    return path


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("b")
    (root / "audiencelang.toml").write_text("")
    (root / "markets").mkdir()
    (root / "markets/de.yaml").write_bytes((EXAMPLES / "markets/de.yaml").read_bytes())
    (root / "audiences").mkdir()
    (root / "audiences/a.aud").write_text('audience a {\n  include nope = "x"\n}\n')
    return root


def test_check_json(broken: Path) -> None:
    doc = cli("check", broken, "--format", "json")
    validate(doc, "check")
    assert doc["version"] == 1 and doc["diagnostics"]


def test_run_json_single_and_all(demo_db: Path) -> None:
    one = cli("run", "cart_abandoners", "-m", "de", "--db", demo_db, "--project", EXAMPLES, "--as-of", AS_OF,
              "--format", "json")
    validate(one, "run")
    assert one["version"] == 1
    every = cli("run", "--all", "--db", demo_db, "--project", EXAMPLES, "--as-of", AS_OF, "--format", "json")
    validate(every, "run")
    assert every and all(r["version"] == 1 for r in every)


def test_run_json_diagnostics_share_the_check_shape(demo_db: Path, broken: Path) -> None:
    doc = cli("run", "a", "-m", "de", "--db", demo_db, "--project", broken, "--as-of", AS_OF, "--format", "json")
    validate(doc, "run")
    diags = diagnostics_of(doc)
    assert diags and diags[0]["code"] == "E301"
    for d in diags:
        validate(d, "diagnostic")
    check = cli("check", broken, "--format", "json")["diagnostics"]
    assert set(diags[0]) == set(check[0])


def test_compile_explain_json() -> None:
    doc = cli("compile", "cart_abandoners", "-m", "de", "--dialect", "duckdb", "--project", EXAMPLES,
              "--as-of", AS_OF, "--explain")
    validate(doc, "compile-explain")
    assert doc["version"] == 1


def test_parse_json() -> None:
    doc = cli("parse", EXAMPLES / "audiences/cart_abandoners.aud")
    validate(doc, "ast")
    assert doc["version"] == 1 and doc["diagnostics"] == []
    from audiencelang import tree_from_json

    assert tree_from_json(doc)[1] == []  # what parse prints is accepted back as input


def test_every_document_schema_has_a_version() -> None:
    for name in ("check", "run", "compile-explain", "explain", "ast"):
        text = (SCHEMAS / f"{name}.schema.json").read_text()
        assert '"version"' in text, name


def test_parse_json_with_errors_is_a_versioned_diagnostics_document(tmp_path: Path) -> None:
    bad = tmp_path / "bad.aud"
    bad.write_text("audience a {\n  include age >=\n}\n")
    doc = cli("parse", bad)
    validate(doc, "ast")
    assert doc["version"] == 1 and set(doc) == {"version", "diagnostics"}
    for d in doc["diagnostics"]:
        validate(d, "diagnostic")
    assert doc["diagnostics"][0]["code"].startswith("E1") and doc["diagnostics"][0]["line"] == 3


def test_rule_json_one_and_all() -> None:
    one = cli("rule", "L001", "--format", "json")
    validate(one, "rule")
    assert one["version"] == 1 and one["code"] == "L001"
    every = cli("rule", "--all", "--format", "json")
    validate(every, "rule")
    assert len(every) > 1 and all(r["version"] == 1 for r in every)


def test_diff_and_graph_json(tmp_path: Path) -> None:
    from tests.review_history import make_history

    history = make_history(tmp_path / "h")
    diff = cli("diff", "v1", "v2", "--project", history.repo, "--format", "json")
    validate(diff, "diff")
    assert diff["version"] == 1 and diff["audiences"]
    graph = cli("graph", "--project", EXAMPLES, "--format", "json")
    validate(graph, "graph")
    assert graph["version"] == 1 and graph["edges"]


def test_every_json_the_cli_prints_has_a_committed_schema() -> None:
    """The list of documents in audiencelang/machine.py's docstring and docs/api.md name a schema
    file that exists, and `audiencelang schema NAME` prints each."""
    from audiencelang.machine import machine_json_schemas

    names = set(machine_json_schemas()) | {"ast", "explain"}
    api = (REPO / "docs/api.md").read_text()
    for name in names:
        assert (SCHEMAS / f"{name}.schema.json").exists(), name
        if name != "diagnostic":
            assert f"`{name}.schema.json`" in api, f"docs/api.md does not list {name}.schema.json"
        r = CliRunner().invoke(main, ["schema", name])
        assert r.exit_code == 0 and json.loads(r.stdout)["$id"].endswith(f"/{name}.schema.json")


def test_run_json_when_the_database_cannot_be_opened(tmp_path: Path) -> None:
    """The JSON reader gets the finding in the run document's shape, not an empty stdout."""
    missing = tmp_path / "nowhere.duckdb"
    one = cli("run", "cart_abandoners", "-m", "de", "--db", missing, "--project", EXAMPLES, "--as-of", AS_OF,
              "--format", "json")
    validate(one, "run")
    assert one["status"] == "not_run" and one["diagnostics"][0]["code"] == "E601"
    every = cli("run", "--all", "-m", "de", "--db", missing, "--project", EXAMPLES, "--format", "json")
    validate(every, "run")
    assert every and {r["diagnostics"][0]["code"] for r in every} == {"E601"}
