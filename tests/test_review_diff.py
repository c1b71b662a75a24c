"""``audiencelang diff``: changes in words from the ASTs, on a git history of the example
project (tests/review_history.py), with member impact held to running both versions."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from audiencelang.cli import main
from audiencelang.project import load_project
from audiencelang.review import words
from audiencelang.review.diff import diff_projects, expr_changes
from audiencelang.syntax import parse
from tests.review_history import History, make_history

GOLDEN = Path(__file__).parent / "golden" / "review"
UPDATE = os.environ.get("AUDIENCELANG_UPDATE_GOLDEN") == "1"
AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    return make_history(tmp_path_factory.mktemp("history"))


def _diff(history: History, *args: str) -> Any:
    result = CliRunner().invoke(main, ["diff", "--project", str(history.repo), *args], catch_exceptions=False)
    return result


def _json(history: History, *args: str) -> dict[str, Any]:
    r = _diff(history, *args, "--format", "json")
    assert r.exit_code == 0, r.output
    out: dict[str, Any] = json.loads(r.stdout)
    return out


def _changes(doc: dict[str, Any]) -> dict[str, list[str]]:
    return {a["name"]: [c["text"] for c in a["changes"]] for a in doc["audiences"]}


def test_diff_reports_every_change_in_words(history: History) -> None:
    doc = _json(history, "v1", "v2")
    assert doc["version"] == 1 and doc["base"] == "v1" and doc["head"] == "v2"
    status = {a["name"]: a["status"] for a in doc["audiences"]}
    assert status == {
        "cart_abandoners": "changed", "holiday_shoppers": "removed", "lapsed_high_value": "changed",
        "loyal_fr": "added", "munich_early_adopters": "formatting", "newsletter_winback": "changed",
        "vip_spenders": "renamed",
    }
    assert doc["summary"]["unchanged"] == 6
    ch = _changes(doc)
    assert ch["cart_abandoners"] == ["window of `performed add_to_cart` widened from 7 to 14 days",
                                     'list of `country in [...]`: added "FR"']
    assert ch["lapsed_high_value"] == ["condition `lifetime_value >= 500` narrowed to `lifetime_value >= 1000`",
                                       "min size 500 → 1000", "activates `tiktok_ads` no more"]
    assert ch["newsletter_winback"][:4] == ["requires consent `ads_personalization`",
                                            "requires consent `email_marketing` no more",
                                            "activates `tiktok_ads`", "activates `newsletter` no more"]
    assert "stops compiling in market `fr`: market 'fr' has no trait 'loyalty_tier'" in ch["newsletter_winback"]
    vip = next(a for a in doc["audiences"] if a["name"] == "vip_spenders")
    assert vip["old_name"] == "big_spenders" and vip["old_file"] == "audiences/big_spenders.aud"
    assert "stops compiling in market `fr`: market 'fr' has no trait 'loyalty_tier'" in ch["vip_spenders"]
    assert ch["munich_early_adopters"] == ["formatting or comments only (same AST)"]
    loyal = next(a for a in doc["audiences"] if a["name"] == "loyal_fr")
    assert loyal["markets"]["de"] == {"before": None, "after": "ok"}
    assert loyal["markets"]["fr"]["after"] == "market 'fr' has no trait 'loyalty_tier'"
    (fr,) = doc["markets"]
    assert fr["market"] == "fr" and fr["changes"] == ["trait `loyalty_tier` removed"]
    assert fr["audiences"] == ["loyal_fr", "newsletter_winback", "vip_spenders"]


def test_diff_defaults_to_head_against_the_working_tree(history: History) -> None:
    r = _diff(history)
    assert r.exit_code == 0
    assert r.stdout.splitlines()[:2] == ["audiencelang diff HEAD → working tree", "1 changed, 11 unchanged"]
    assert "  - window of `performed add_to_cart` widened from 48 to 72 hours (in exclude)" in r.stdout
    # nothing of the user's tree was touched
    st = subprocess.run(["git", "status", "--porcelain"], cwd=history.repo, capture_output=True, text=True)
    assert st.stdout == " M audiences/engaged_browsers.aud\n"


@pytest.mark.parametrize(("args", "golden"), [
    (("v1", "v2"), "diff_v1_v2.md"),
    ((), "diff_head_working_tree.md"),
    (("v2", "v2"), "diff_no_changes.md"),
])
def test_diff_markdown_is_golden(history: History, args: tuple[str, ...], golden: str) -> None:
    r = _diff(history, *args, "--format", "markdown")
    assert r.exit_code == 0
    path = GOLDEN / golden
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(r.stdout, encoding="utf-8")
    assert r.stdout == path.read_text(encoding="utf-8"), "markdown differs (AUDIENCELANG_UPDATE_GOLDEN=1)"


def test_diff_unknown_revision_and_no_repository(history: History, tmp_path: Path) -> None:
    r = _diff(history, "no-such-rev")
    assert r.exit_code == 2 and "error[E921]: unknown revision 'no-such-rev'" in r.stderr
    r = _diff(history, "--", "--upload-pack=x")
    assert r.exit_code == 2 and "E921" in r.stderr
    plain = tmp_path / "plain"
    import shutil

    shutil.copytree(history.snapshots["v1"], plain)
    r = CliRunner().invoke(main, ["diff", "--project", str(plain)])
    assert r.exit_code == 2 and "error[E920]" in r.stderr and "not inside a git repository" in r.stderr


# --------------------------------------------------------------------------- words, unit level


def _expr(text: str) -> Any:
    res = parse(f"audience a {{ include {text} }}")
    assert res.file is not None, res.diagnostics
    return res.file.audiences[0].include


@pytest.mark.parametrize(("old", "new", "said"), [
    ("performed purchase in last 7 days", "performed purchase in last 14 days",
     ["window of `performed purchase` widened from 7 to 14 days"]),
    ("performed purchase in last 2 weeks", "performed purchase in last 7 days",
     ["window of `performed purchase` narrowed from 2 weeks to 7 days"]),
    ("performed purchase at least 3 times", "performed purchase at least 5 times",
     ["count of `performed purchase` narrowed from at least 3 times to at least 5 times"]),
    ("performed purchase", "performed purchase where revenue > 50",
     ["filter of `performed purchase` added: where `revenue > 50`"]),
    ("age >= 18", "age >= 18 and country in [\"DE\"]", ['condition `country in ["DE"]` added to include']),
    ("age >= 18 and country = \"FR\"", "age >= 18", ['condition `country = "FR"` removed from include']),
    ("age >= 18 and country = \"DE\"", "country = \"DE\" and age >= 18",
     ["conditions of include reordered or regrouped (same meaning)"]),
    ("age < 30", "age < 40", ["condition `age < 30` widened to `age < 40`"]),
    ("not performed purchase in last 7 days", "not performed purchase in last 30 days",
     ["window of `not performed purchase` widened from 7 to 30 days"]),
    ("age >= 18", "performed purchase", ["condition `age >= 18` removed from include",
                                         "condition `performed purchase` added to include"]),
])
def test_expression_changes_in_words(old: str, new: str, said: list[str]) -> None:
    assert expr_changes("include", _expr(old), _expr(new)) == said


def test_unknown_node_kinds_fall_back_to_a_generic_change() -> None:
    """A language form added later (another branch's AST) must not break diff."""
    from audiencelang import ast

    class Sequence(ast.Node):  # stands for a node this module has never seen
        kind: str = "sequence"
        steps: tuple[str, ...] = ()

    a, b = Sequence(steps=("add_to_cart", "purchase")), Sequence(steps=("add_to_cart",))
    got = words.condition_change(a, b)
    assert got == ["condition `<sequence>` changed to `<sequence>`"]
    old = ast.And.model_construct(items=(_expr("age >= 18"), a))
    new = ast.And.model_construct(items=(_expr("age >= 18"), b))
    assert expr_changes("include", old, new) == ["condition `<sequence>` changed to `<sequence>`"]
    assert words.describe(a) == "<sequence>"


def test_config_change_is_reported_with_the_audiences_it_affects(history: History, tmp_path: Path) -> None:
    import shutil

    other = tmp_path / "p"
    shutil.copytree(history.snapshots["v2"], other)
    cfg = other / "audiencelang.toml"
    cfg.write_text(cfg.read_text().replace("[destinations.tiktok_ads]\nmin_size = 1000",
                                           "[destinations.tiktok_ads]\nmin_size = 100"))
    d = diff_projects(load_project(history.snapshots["v2"]), load_project(other))
    assert [(c.text, c.audiences) for c in d.config] == [
        ("destination `tiktok_ads`: min size 1000 → 100", ["engaged_browsers", "newsletter_winback"])]
    assert [(a.name, a.status, [c.text for c in a.changes]) for a in d.audiences] == [
        ("engaged_browsers", "affected", ["destination `tiktok_ads`: min size 1000 → 100"]),
        ("newsletter_winback", "affected", ["destination `tiktok_ads`: min size 1000 → 100"]),
    ]


def test_a_referrer_changes_with_the_audience_it_refers_to(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for side, window in (("a", 7), ("b", 14)):
        root = tmp_path / side
        (root / "audiencelang.toml").write_text("")
        (root / "audiences").mkdir()
        (root / "markets").mkdir()
        (root / "audiences" / "x.aud").write_text(
            f"audience base {{ include performed purchase in last {window} days }}\n"
            "audience top { include in audience base and age >= 18 }\n")
    d = diff_projects(load_project(tmp_path / "a"), load_project(tmp_path / "b"))
    assert [(a.name, a.status, [c.text for c in a.changes]) for a in d.audiences] == [
        ("base", "changed", ["window of `performed purchase` widened from 7 to 14 days"]),
        ("top", "affected", ["refers to `base`, which changed"]),
    ]


def test_a_market_change_affects_sequence_and_first_performed_audiences_by_their_events(
        history: History, tmp_path: Path) -> None:
    """Spec §8 forms name their events like ``performed``: a market change to another name
    leaves them unchanged; a change to one of their events affects them."""
    import shutil

    base = tmp_path / "base"
    shutil.copytree(history.snapshots["v2"], base)
    (base / "audiences" / "seq.aud").write_text(
        "audience seq { include performed page_view then add_to_cart within 2 days in last 30 days }\n")
    unrelated, related = tmp_path / "unrelated", tmp_path / "related"
    shutil.copytree(base, unrelated)
    shutil.copytree(base, related)
    de = unrelated / "markets" / "de.yaml"
    de.write_text(de.read_text().replace("    loyalty_tier:   {column: treuestufe, type: string}\n", "", 1))
    d = diff_projects(load_project(base), load_project(unrelated))
    (m,) = d.markets
    assert "new_buyers" not in m.audiences and "seq" not in m.audiences
    assert {a.name for a in d.audiences}.isdisjoint({"new_buyers", "seq"})
    de = related / "markets" / "de.yaml"
    text = de.read_text()
    i = text.index("  page_view:")
    de.write_text(text[:i] + text[i:].replace("time: zeitpunkt", "time: zeit", 1))
    text = de.read_text()
    i = text.index("  purchase:")
    de.write_text(text[:i] + text[i:].replace("time: ", "time: x_", 1))
    d = diff_projects(load_project(base), load_project(related))
    (m,) = d.markets
    assert {"new_buyers", "seq"} <= set(m.audiences)
    status = {a.name: a.status for a in d.audiences}
    assert status["new_buyers"] == "affected" and status["seq"] == "affected"


# --------------------------------------------------------------------------- member impact


@pytest.fixture(scope="module")
def demo_db(history: History, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from audiencelang.run.demo import generate

    path = tmp_path_factory.mktemp("diffdb") / "demo.duckdb"
    generate(path, history.snapshots["v1"], profiles=6000, events_per_profile=20, seed=11, as_of=AS_OF)
    yield path


def _members(snapshot: Path, audience: str, market: str, db: str) -> tuple[set[Any], dict[str, str]] | None:
    """Members and gate statuses from ``run`` on one version (``None``: it does not run there)."""
    from audiencelang.run.engines import connect
    from audiencelang.run.execute import run_audience

    project = load_project(snapshot)
    if audience not in project.audiences():
        return None
    with connect(db) as engine:
        r = run_audience(project, audience, market, engine=engine, as_of=AS_OF, collect_members=True)
    if not r.ok:
        return None
    assert r.members is not None
    return set(r.members), {g.destination: g.status_text for g in r.gates}


def _hold_impact_to_run(history: History, db: str) -> None:
    doc = _json(history, "v1", "v2", "--db", db, "--as-of", "2026-11-01T00:00:00Z")
    assert doc["as_of"] == "2026-11-01T00:00:00Z"
    moved = 0
    seen = 0
    for a in doc["audiences"]:
        if a["status"] == "formatting":
            assert a["impact"] == []
            continue
        for i in a["impact"]:
            assert i["error"] is None, (a["name"], i)
            before = _members(history.snapshots["v1"], a["old_name"] or a["name"], i["market"], db)
            after = _members(history.snapshots["v2"], a["name"], i["market"], db)
            b = before[0] if before else set()
            f = after[0] if after else set()
            assert i["before"] == (len(b) if before else None), (a["name"], i)
            assert i["after"] == (len(f) if after else None), (a["name"], i)
            assert (i["entered"], i["left"]) == (len(f - b), len(b - f)), (a["name"], i)
            for g in i["gates"]:
                assert g["before"] == (before[1].get(g["destination"]) if before else None), (a["name"], g)
                assert g["after"] == (after[1].get(g["destination"]) if after else None), (a["name"], g)
            moved += i["entered"] + i["left"]
            seen += 1
    assert seen >= 10 and moved > 0  # not a comparison of empty sets


def test_member_impact_on_duckdb_agrees_with_run(history: History, demo_db: Path) -> None:
    _hold_impact_to_run(history, str(demo_db))


def test_member_impact_in_text_and_markdown(history: History, demo_db: Path) -> None:
    r = _diff(history, "v1", "v2", "--db", str(demo_db), "--as-of", "2026-11-01")
    assert r.exit_code == 0, r.output
    lapsed = r.stdout.split("changed: lapsed_high_value", 1)[1].split("\n\n", 1)[0]
    assert "    de: members " in lapsed and "      meta_ads: " in lapsed and "      tiktok_ads: " in lapsed
    md = _diff(history, "v1", "v2", "--db", str(demo_db), "--as-of", "2026-11-01", "--format", "markdown")
    assert "| market | before | after | enter | leave | gates |" in md.stdout


@pytest.mark.postgres
def test_member_impact_on_postgres_agrees_with_run(history: History, demo_db: Path, postgres_cluster: Any,
                                                  tmp_path: Path) -> None:
    import psycopg

    from tests.pgcluster import copy_duckdb_into

    with postgres_cluster.database("diff") as name:
        url = postgres_cluster.url(name)
        with psycopg.connect(url) as conn:
            copy_duckdb_into(conn, demo_db, tmp_path)
            conn.commit()
        _hold_impact_to_run(history, url)


def test_project_in_a_subfolder_and_a_revision_without_it(tmp_path: Path) -> None:
    """The project need not be at the repository's top; a revision before it existed is empty."""
    from tests.review_history import _commit, _git

    repo = tmp_path / "mono"
    repo.mkdir()
    (repo / "README.md").write_text("other things\n")
    _git(repo, "init", "-q", "-b", "main")
    _commit(repo, "before the project")
    proj = repo / "teams" / "crm"
    (proj / "audiences").mkdir(parents=True)
    (proj / "markets").mkdir()
    (proj / "audiencelang.toml").write_text("")
    (proj / "audiences" / "a.aud").write_text("audience a { include performed purchase in last 7 days }\n")
    _commit(repo, "the project")
    (proj / "audiences" / "a.aud").write_text("audience a { include performed purchase in last 30 days }\n")
    run = CliRunner().invoke(main, ["diff", "--project", str(proj), "--format", "json"])
    assert run.exit_code == 0, run.output
    doc = json.loads(run.stdout)
    assert _changes(doc) == {"a": ["window of `performed purchase` widened from 7 to 30 days"]}
    run = CliRunner().invoke(main, ["diff", "HEAD~1", "HEAD", "--project", str(proj), "--format", "json"])
    doc = json.loads(run.stdout)
    assert [(a["name"], a["status"], a["file"]) for a in doc["audiences"]] == [("a", "added", "audiences/a.aud")]


def test_links_in_a_revision_are_not_followed(tmp_path: Path) -> None:
    """A committed symbolic link (to a file outside the project) is not extracted."""
    from tests.review_history import _commit, _git

    repo = tmp_path / "r"
    (repo / "audiences").mkdir(parents=True)
    (repo / "markets").mkdir()
    (repo / "audiencelang.toml").write_text("")
    (repo / "audiences" / "a.aud").write_text("audience a { include age > 1 }\n")
    secret = tmp_path / "secret.aud"
    secret.write_text("audience leaked { include age > 2 }\n")
    _git(repo, "init", "-q", "-b", "main")
    _commit(repo, "one")
    (repo / "audiences" / "link.aud").symlink_to(secret)
    _commit(repo, "a link")
    run = CliRunner().invoke(main, ["diff", "HEAD~1", "HEAD", "--project", str(repo), "--format", "json"])
    assert run.exit_code == 0, run.output
    assert json.loads(run.stdout)["audiences"] == []


# --------------------------------------------------------------------------- properties

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests import strategies as S  # noqa: E402


@settings(max_examples=150, deadline=None)
@given(S.audiences(st.just("a")), S.audiences(st.just("a")))
def test_any_two_audiences_compare_without_error(old: Any, new: Any) -> None:
    """Changes in words for any pair of audiences: no error, nothing for an equal pair, and
    something for a pair whose AST differs."""
    from audiencelang.review.diff import audience_changes
    from audiencelang.review.meaning import plain

    assert audience_changes(old, old) == []
    got = audience_changes(old, new)
    assert (got == []) == (plain(old) == plain(new))
    assert all(c.text for c in got)
    words.audience_meaning(new)
