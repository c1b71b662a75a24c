"""Generated differential scenarios (tests/datagen.py) written out as audiencelang projects.

A :class:`~tests.datagen.Scenario` is a market, rows for it and audiences as ASTs; the
differential tests compile those ASTs and run the SQL themselves. Here each scenario
becomes what a user has: a folder with ``audiencelang.toml``, ``markets/m.yaml`` and one
``.aud`` file per audience, next to a DuckDB file holding the rows (the source every
engine's loader copies from), so that ``audiencelang run`` itself reads, checks, compiles,
runs and writes the members (tests/test_run_generated.py).

The scenarios come from a fixed hypothesis seed (:data:`SEED`), generated only (no
database of earlier examples, no shrinking): the same projects on every run and in
every process.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed

from audiencelang import ast
from audiencelang.eval import evaluate, render_audience
from tests import engines
from tests.datagen import Scenario, scenarios

#: The seed of every generated project (change it to see other projects; CI keeps one).
SEED = 20261207
MARKET = "m"


#: Scenarios drawn before :func:`generate` picks (hypothesis draws its smallest examples
#: first: a market with three profiles and no events says little).
POOL = 10


def generate(count: int, *, identifiers: str = "hostile", samples: bool = True,
             n_audiences: int = 10) -> list[Scenario]:
    """``count`` scenarios, the same ones on every call with the same arguments: from
    :data:`POOL` drawn ones, those whose audiences do not all have the same size, with
    integer and text profile ids both among them."""
    drawn: list[Scenario] = []

    @hypothesis_seed(SEED)
    @settings(max_examples=POOL, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(scenarios(identifiers=identifiers, samples=samples, n_audiences=n_audiences))
    def collect(scn: Scenario) -> None:
        scn.audiences = [_ordered(a) for a in scn.audiences]
        scn.refs = {k: _ordered(a) for k, a in scn.refs.items()}
        drawn.append(scn)

    collect()
    informative = [s for s in drawn if len({len(evaluate(s.checked(a), s.data, as_of=s.as_of))
                                            for a in s.audiences}) > 2]
    chosen = informative[:count]
    text_ids = [s for s in informative if _id_kind(s) == "string"]
    if text_ids and all(_id_kind(s) != "string" for s in chosen):
        chosen[-1] = text_ids[0]
    assert len(chosen) == count, f"only {len(chosen)} of {POOL} generated scenarios are informative"
    return chosen


def _ordered(node: Any) -> Any:
    """``node`` with every ``between`` of reversed literal bounds written low to high: the
    generator draws both bounds freely, which the checker refuses (E315) and, in a
    referenced audience, takes every audience that references it along."""
    from pydantic import BaseModel

    from audiencelang.check.lint import _instant

    if isinstance(node, tuple):
        return tuple(_ordered(n) for n in node)
    if not isinstance(node, BaseModel):
        return node
    node = node.model_copy(update={k: _ordered(getattr(node, k)) for k in type(node).model_fields})
    if isinstance(node, ast.Between):
        lo, hi = node.low, node.high
        if isinstance(lo, ast.NumberLit) and isinstance(hi, ast.NumberLit):
            swap = lo.value > hi.value
        else:
            times = (ast.DateLit, ast.TimestampLit)
            swap = isinstance(lo, times) and isinstance(hi, times) and _instant(lo) > _instant(hi)
        if swap:
            node = node.model_copy(update={"low": hi, "high": lo})
    return node


def _id_kind(scn: Scenario) -> str:
    prof = scn.market.profiles
    return scn.columns[prof.table][prof.id]


@dataclass
class GeneratedProject:
    scenario: Scenario
    root: Path
    source: Path
    """The DuckDB file holding the scenario's rows (tables named as the market names them)."""
    names: list[str]
    """The project's audiences (the generated ones and the one they may reference) that the
    checker accepts (any it refuses is left out of the folder)."""

    @property
    def integer_ids(self) -> bool:
        return _id_kind(self.scenario) == "integer"

    def expected(self, name: str, *, ascii_case: bool = False) -> set[Any]:
        """The reference evaluator's members of audience ``name``."""
        scn = self.scenario
        aud = next((a for a in scn.audiences if a.name.value == name), None) or scn.refs[name]
        return evaluate(scn.checked(aud), scn.data, as_of=scn.as_of, ascii_case_folding=ascii_case)

    @property
    def as_of(self) -> str:
        return self.scenario.as_of.isoformat().replace("+00:00", "Z")

    def read_members(self, path: Path) -> set[Any]:
        """The ``member_id`` column of a member file written by ``run --output FILE`` (CSV:
        text, an integer id is converted; Parquet: the id column's own type)."""
        if path.suffix == ".parquet":
            import duckdb

            con = duckdb.connect()
            try:
                ids = [r[0] for r in con.execute("SELECT member_id FROM read_parquet(?)", [str(path)]).fetchall()]
            finally:
                con.close()
        else:
            with path.open(newline="", encoding="utf-8") as f:
                rows = list(csv.DictReader(f))
            ids = [int(r["member_id"]) if self.integer_ids else r["member_id"] for r in rows]
        assert len(ids) == len(set(ids)), f"a member twice in {path}"
        return set(ids)


def write_project(scn: Scenario, root: Path) -> GeneratedProject:
    """``scn`` as a project folder ``root`` plus ``root/source.duckdb`` with its rows."""
    import duckdb

    (root / "markets").mkdir(parents=True)
    (root / "audiences").mkdir()
    (root / "audiencelang.toml").write_text('audiences = ["audiences"]\nmarkets = ["markets"]\n',
                                            encoding="utf-8")
    doc = scn.market.model_dump(mode="json", exclude_none=True)
    doc["market"] = MARKET
    # JSON is YAML: every hostile name and value stays exactly what the market says
    (root / "markets" / f"{MARKET}.yaml").write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    for aud in [*scn.audiences, *scn.refs.values()]:
        (root / "audiences" / f"{aud.name.value}.aud").write_text(render_audience(aud), encoding="utf-8")
    source = root / "source.duckdb"
    con = duckdb.connect(str(source))
    try:
        for table, cols in scn.columns.items():
            engines.duckdb_load(con, table, cols, scn.data.get(table, []))
    finally:
        con.close()
    return GeneratedProject(scn, root, source, _keep_checked(root))


def _keep_checked(root: Path) -> list[str]:
    """Remove the audience files that do not check; the names of those left."""
    from audiencelang.check import check_audience
    from audiencelang.project import load_project

    project = load_project(root)
    refused = []
    for name in sorted(project.audiences()):
        checked, _diags = check_audience(project, name, MARKET)
        if checked is None:
            refused.append(name)
    for name in refused:
        (root / "audiences" / f"{name}.aud").unlink()
    return sorted(set(project.audiences()) - set(refused))


def write_projects(scns: Sequence[Scenario], folder: Path) -> list[GeneratedProject]:
    return [write_project(scn, folder / f"p{i}") for i, scn in enumerate(scns)]
