"""Finding and loading a project (config, markets, audience files) — spec §3."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from audiencelang.diagnostics import Diagnostic
from audiencelang.project import find_project_root, load_project

FIXTURES = Path(__file__).parent / "fixtures" / "schema"
SPEC = FIXTURES / "spec_project"
PYPROJECT = FIXTURES / "pyproject_project"

MARKET = "market: {name}\nprofiles:\n  table: kunden\n  id: id\n  traits:\n    age: {{column: alter, type: integer}}\n"
AUDIENCE = 'audience {name} {{\n  owner "a@example.com"\n  description "d"\n  include age >= 18\n}}\n'


def codes(diags: list[Diagnostic]) -> list[str]:
    return [d.code for d in diags]


def make(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        f = tmp_path / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text, encoding="utf-8")
    return tmp_path


def test_spec_project_loads() -> None:
    project = load_project(SPEC)
    assert project.diagnostics == []
    assert project.root == SPEC.absolute()
    assert project.config_path == SPEC.absolute() / "audiencelang.toml"
    assert project.config.destinations["meta_ads"].min_size == 1000
    # *.yaml and *.yml, sorted by path; keyed by the market name
    assert list(project.markets) == ["ch", "de"]
    assert project.market_files == {"ch": "markets/ch.yml", "de": "markets/de.yaml"}
    assert project.markets["de"].span_of(("events", "purchase")).path == "markets/de.yaml"
    # audience files found recursively, keyed by posix path relative to the root
    assert list(project.files) == ["audiences/cart_abandoners.aud", "audiences/crm/customers.aud"]
    auds = project.audiences()
    assert list(auds) == ["cart_abandoners", "existing_customers"]
    key, node = auds["existing_customers"]
    assert key == "audiences/crm/customers.aud" and node.name.value == "existing_customers"
    assert node.name.span.path == "audiences/crm/customers.aud"
    assert project.targets == ("audiences/cart_abandoners.aud", "audiences/crm/customers.aud")


def test_loading_is_cached_per_project() -> None:
    project = load_project(SPEC)
    assert project.markets is project.markets
    assert project.files is project.files
    assert project.diagnostics is project.diagnostics


def test_walking_up_from_a_subfolder_finds_the_project() -> None:
    assert find_project_root(SPEC / "audiences" / "crm") == SPEC.absolute()
    assert find_project_root(SPEC / "audiences" / "crm" / "customers.aud") == SPEC.absolute()
    project = load_project(SPEC / "audiences" / "crm")
    assert project.root == SPEC.absolute() and project.diagnostics == []


def test_pyproject_tool_table_marks_the_project() -> None:
    deep = PYPROJECT / "src" / "deep"
    assert find_project_root(deep) == PYPROJECT.absolute()
    project = load_project(deep)
    assert project.config_path == PYPROJECT.absolute() / "pyproject.toml"
    assert project.diagnostics == []
    assert list(project.files) == ["audiences/newsletter.aud"]  # the glob audiences/*.aud
    assert project.markets["us"].profiles.table_parts == ("Analytics", "Customers")
    assert project.config.lint.ignored_for("audiences/legacy_x.aud") == ["L003", "L001", "L002"]


def test_pyproject_without_tool_table_is_not_a_project(tmp_path: Path) -> None:
    make(tmp_path, {"pyproject.toml": '[project]\nname = "x"\n', "sub/a.txt": ""})
    assert find_project_root(tmp_path / "sub") != tmp_path


def test_audiencelang_toml_wins_over_pyproject(tmp_path: Path) -> None:
    make(tmp_path, {
        "pyproject.toml": '[tool.audiencelang]\nmarkets = ["nowhere"]\n',
        "audiencelang.toml": 'markets = ["m"]\n',
        "m/x.yaml": MARKET.format(name="x"),
    })
    project = load_project(tmp_path)
    assert project.config_path == tmp_path / "audiencelang.toml"
    assert list(project.markets) == ["x"] and project.diagnostics == []


def test_nested_project_uses_the_nearest_config(tmp_path: Path) -> None:
    make(tmp_path, {"audiencelang.toml": "", "inner/audiencelang.toml": "", "inner/audiences/a.aud": AUDIENCE.format(name="a")})
    project = load_project(tmp_path / "inner" / "audiences")
    assert project.root == tmp_path / "inner" and list(project.audiences()) == ["a"]


def test_no_project_is_a_diagnostic_not_an_exception(tmp_path: Path) -> None:
    if find_project_root(tmp_path) is not None:
        pytest.skip("a config file exists above the temporary folder")
    project = load_project(tmp_path)
    assert codes(project.diagnostics) == ["E200"]
    d = project.diagnostics[0]
    assert "audiencelang.toml" in d.message and d.span is not None and d.span.path == str(tmp_path)
    assert project.config_path is None and project.markets == {} and project.files == {}


def test_no_start_folder_given() -> None:
    project = load_project()
    assert codes(project.diagnostics) == ["E200"]


def test_duplicate_market_name_across_files(tmp_path: Path) -> None:
    make(tmp_path, {
        "audiencelang.toml": "",
        "markets/a_de.yaml": MARKET.format(name="de"),
        "markets/b_de.yml": "# copy\n" + MARKET.format(name="de"),
    })
    project = load_project(tmp_path)
    d, = project.diagnostics
    assert (d.code, d.span and d.span.path, d.span and d.span.line, d.span and d.span.column) == (
        "E210", "markets/b_de.yml", 2, 9)
    assert "markets/a_de.yaml" in d.message and d.market == "de"
    assert project.market_files == {"de": "markets/a_de.yaml"}


def test_broken_files_are_reported_and_the_rest_still_loads(tmp_path: Path) -> None:
    make(tmp_path, {
        "audiencelang.toml": "[destinations.x]\nmin_size = -5\n",
        "markets/good.yaml": MARKET.format(name="good"),
        "markets/bad.yaml": "market: bad\nprofiles: {table: t}\n",
        "audiences/good.aud": AUDIENCE.format(name="good"),
        "audiences/bad.aud": "audience bad {\n  include age >=\n}\n",
    })
    project = load_project(tmp_path)
    by_code = {d.code: d for d in project.diagnostics}
    assert by_code["E207"].span and by_code["E207"].span.path == "audiencelang.toml"
    assert by_code["E206"].span and by_code["E206"].span.path == "markets/bad.yaml"
    syntax = [d for d in project.diagnostics if d.code.startswith("E1")]
    assert syntax and all(d.span and d.span.path == "audiences/bad.aud" for d in syntax)
    assert list(project.markets) == ["good"]
    assert list(project.files) == ["audiences/good.aud"]
    assert project.config.destinations == {}  # config errors: defaults are used


def test_globs_and_explicit_files(tmp_path: Path) -> None:
    make(tmp_path, {
        "audiencelang.toml": 'audiences = ["team_a/*.aud", "shared/common.aud"]\nmarkets = ["schemas/**/*.yaml"]\n',
        "team_a/x.aud": AUDIENCE.format(name="x"),
        "team_a/nested/skipped.aud": AUDIENCE.format(name="skipped"),
        "shared/common.aud": AUDIENCE.format(name="common"),
        "shared/other.aud": AUDIENCE.format(name="other"),
        "schemas/eu/de.yaml": MARKET.format(name="de"),
        "schemas/eu/notes.yml": "not: a market\n",
    })
    project = load_project(tmp_path)
    assert project.diagnostics == []
    assert list(project.files) == ["shared/common.aud", "team_a/x.aud"]
    assert list(project.markets) == ["de"]


def test_hidden_folders_are_skipped(tmp_path: Path) -> None:
    make(tmp_path, {
        "audiencelang.toml": "",
        "audiences/a.aud": AUDIENCE.format(name="a"),
        "audiences/.cache/b.aud": AUDIENCE.format(name="b"),
    })
    assert list(load_project(tmp_path).files) == ["audiences/a.aud"]


def test_configured_entry_matching_nothing(tmp_path: Path) -> None:
    make(tmp_path, {"audiencelang.toml": '\naudiences = ["audience"]\n'})
    project = load_project(tmp_path)
    d, = project.diagnostics
    assert (d.code, d.span and d.span.path, d.span and d.span.line) == ("E213", "audiencelang.toml", 2)
    assert "'audience'" in d.message


def test_default_folders_may_be_absent(tmp_path: Path) -> None:
    make(tmp_path, {"audiencelang.toml": ""})
    assert load_project(tmp_path).diagnostics == []


def test_paths_select_targets_but_all_files_load(tmp_path: Path) -> None:
    make(tmp_path, {
        "audiencelang.toml": "",
        "audiences/a.aud": AUDIENCE.format(name="a"),
        "audiences/b.aud": AUDIENCE.format(name="b"),
        "drafts/c.aud": AUDIENCE.format(name="c"),
    })
    project = load_project(tmp_path, paths=[tmp_path / "audiences" / "b.aud", Path("drafts")])
    assert project.targets == ("audiences/b.aud", "drafts/c.aud")
    assert list(project.files) == ["audiences/a.aud", "audiences/b.aud", "drafts/c.aud"]
    assert project.diagnostics == []
    # root may be omitted: the search starts at the first path
    again = load_project(paths=[tmp_path / "drafts" / "c.aud"])
    assert again.root == tmp_path and again.targets == ("drafts/c.aud",)


def test_missing_path_is_reported(tmp_path: Path) -> None:
    make(tmp_path, {"audiencelang.toml": ""})
    project = load_project(tmp_path, paths=[Path("nope.aud")])
    assert codes(project.diagnostics) == ["E201"]


def test_copy_of_spec_project_is_independent_of_location(tmp_path: Path) -> None:
    shutil.copytree(SPEC, tmp_path / "p")
    here = load_project(tmp_path / "p")
    there = load_project(SPEC)
    assert list(here.files) == list(there.files)
    assert [d.model_dump() for d in here.diagnostics] == [d.model_dump() for d in there.diagnostics]
