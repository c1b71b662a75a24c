"""``audiencelang compile`` (spec §6) end to end through the click entry point."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
import sqlglot
from click.testing import CliRunner

from audiencelang.cli import main
from audiencelang.project import load_project
from audiencelang.sql import DIALECTS, compile, parse_as_of
from audiencelang.sql.command import MARKER

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_prints_one_statement_equal_to_the_library_output() -> None:
    code, out, err = run("compile", "cart_abandoners", "--market", "de", "--dialect", "postgres",
                         "--as-of", "2026-11-01T00:00:00Z", "--project", str(EXAMPLES))
    assert code == 0, err
    assert len(sqlglot.parse(out, read="postgres")) == 1
    lib = compile(load_project(EXAMPLES), "cart_abandoners", "de", "postgres",
                  as_of=parse_as_of("2026-11-01T00:00:00Z"))
    assert lib.query is not None and out == lib.query.sql


def test_as_of_forms_name_the_same_instant() -> None:
    outs = set()
    for ts in ("2026-11-01T00:00:00Z", "2026-11-01T01:00:00+01:00", "2026-11-01", "2026-10-31T19:00:00-05:00"):
        code, out, err = run("compile", "lapsed_high_value", "--market", "us", "--dialect", "duckdb",
                             "--as-of", ts, "--project", str(EXAMPLES))
        assert code == 0, err
        outs.add(out)
    assert len(outs) == 1


def test_destination_size_and_explain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDIENCELANG_EXTRA_ROOTS", str(REPO / "examples" / "markets"))  # bench's market
    base = ["--market", "de", "--dialect", "duckdb", "--as-of", "2026-11-01", "--project", str(EXAMPLES)]
    code, out, _ = run("compile", "cart_abandoners", *base, "--destination", "meta_ads")
    assert code == 0 and '"identifier"' in out and ">= 1000" in out
    code, out, _ = run("compile", "cart_abandoners", *base, "--size")
    assert code == 0 and out.rstrip().endswith('FROM "members"') and 'AS "size"' in out
    code, out, _ = run("compile", "cart_abandoners", *base, "--explain")
    plan = json.loads(out)
    assert plan["audience"] == "cart_abandoners" and plan["as_of"] == "2026-11-01T00:00:00Z"
    assert [s["table"] for s in plan["scans"]] == [["web", "ereignisse"], ["shop", "bestellungen"]]
    # how this dialect reads the scans: DuckDB splits, packs, joins once
    assert plan["strategy"]["scans"] == "one per row filter"
    assert plan["strategy"]["semi_join"] == ["ev_add_to_cart"]  # `country in [3 values]`: selective
    assert plan["strategy"]["profiles_filtered_by"] == ["country"]
    code, out, _ = run("compile", "frequency_capped", "--market", "de", "--dialect", "postgres",
                       "--as-of", "2026-11-01", "--project", str(REPO / "bench"), "--explain")
    strategy = json.loads(out)["strategy"]
    assert code == 0 and strategy["scans"] == "one per event table" and strategy["packed"]["words"] == 0
    assert strategy["tests_after_joins"] is True and strategy["profiles_filtered_by"] == []
    assert strategy["inner_join"] == ["events_web_ereignisse"]
    code, out, _ = run("compile", "frequency_capped", "--market", "de", "--dialect", "sqlite",
                       "--as-of", "2026-11-01", "--project", str(REPO / "bench"), "--explain")
    strategy = json.loads(out)["strategy"]
    assert strategy["inner_join"] == [] and strategy["left_join"] == ["events_web_ereignisse",
                                                                      "events_shop_bestellungen"]
    code, out, _ = run("compile", "frequency_capped", "--market", "de", "--dialect", "duckdb",
                       "--as-of", "2026-11-01", "--project", str(REPO / "bench"), "--explain")
    strategy = json.loads(out)["strategy"]
    assert strategy["packed"] == {"scans": ["ev_add_to_cart", "ev_purchase"], "tests": 3, "words": 1}
    assert strategy["inner_join"] == ["ev_page_view", "ev_session"] and strategy["left_join"] == []
    assert strategy["tests_after_joins"] is False


def test_compiled_sql_runs_on_the_demo_shaped_schema(tmp_path: Path) -> None:
    """The statement runs on DuckDB tables with the example market's own names (no data)."""
    code, out, err = run("compile", "munich_early_adopters", "--market", "de", "--dialect", "duckdb",
                         "--project", str(EXAMPLES))  # no --as-of: the warehouse clock
    assert code == 0, err
    con = duckdb.connect()
    for ddl in (
        "CREATE SCHEMA crm", "CREATE SCHEMA web", "CREATE SCHEMA shop", "CREATE SCHEMA legal",
        'CREATE TABLE crm.kunden (kunden_id BIGINT, ort VARCHAR, angemeldet_am DATE, email_hash VARCHAR)',
        'CREATE TABLE web.ereignisse (kunden_id BIGINT, zeitpunkt TIMESTAMP, ereignis VARCHAR, preis DECIMAL(18,2), '
        'kategorie VARCHAR, geraet VARCHAR, pfad VARCHAR)',
        'CREATE TABLE shop.bestellungen (kunde BIGINT, bestellt_am TIMESTAMP, umsatz DECIMAL(18,2))',
        'CREATE TABLE legal.einwilligungen (kunden_id BIGINT, zweck VARCHAR, status VARCHAR, '
        'geaendert_am TIMESTAMP, bestaetigt_am TIMESTAMP)',
        "INSERT INTO crm.kunden VALUES (1, 'MÜNCHEN', DATE '2020-01-01', 'h')",
    ):
        con.execute(ddl)
    assert con.execute(out).fetchall() == []  # no sessions, no consent: nobody


@pytest.mark.parametrize(("args", "code_", "needle"), [
    (["--dialect", "oracle9"], 2, "E500"),
    (["--dialect", "duckdb", "--as-of", "yesterday"], 2, "E903"),
    (["--dialect", "duckdb", "--as-of", "2026-11-01T00:00:00"], 2, "E903"),  # no time zone
    (["--dialect", "duckdb", "--market", "xx"], 2, "E910"),
    (["--dialect", "duckdb", "--destination", "tiktok_ads"], 2, "E502"),
])
def test_usage_errors_exit_2_without_traceback(args: list[str], code_: int, needle: str) -> None:
    full = ["compile", "cart_abandoners", "--market", "de", *args, "--project", str(EXAMPLES)]
    if "--market" in args:
        full = ["compile", "cart_abandoners", *args, "--project", str(EXAMPLES)]
    code, out, err = run(*full)
    assert code == code_ and out == ""
    assert needle in err and "Traceback" not in err


def test_unknown_audience_and_missing_arguments() -> None:
    code, _, err = run("compile", "cart_abandoner", "--market", "de", "--dialect", "duckdb", "--project", str(EXAMPLES))
    assert code == 2 and "did you mean 'cart_abandoners'" in err
    code, _, err = run("compile", "--market", "de", "--dialect", "duckdb", "--project", str(EXAMPLES))
    assert code == 2 and "which audience" in err


def _copy_examples(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    shutil.copytree(EXAMPLES, root)
    return root


def test_check_errors_exit_1(tmp_path: Path) -> None:
    root = _copy_examples(tmp_path)
    (root / "audiences" / "broken.aud").write_text("audience broken { include colour = \"red\" }\n")
    code, out, err = run("compile", "broken", "--market", "de", "--dialect", "duckdb", "--project", str(root))
    assert code == 1 and out == "" and "colour" in err


def test_a_date_before_the_year_1000_checks_and_compiles_on_every_dialect(tmp_path: Path) -> None:
    """Issue 12.1: 'since 0001-01-01' checked clean, then compile failed with an internal E506."""
    root = _copy_examples(tmp_path)
    (root / "audiences" / "early.aud").write_text(
        'audience early_buyers {\n  owner "a@b.c"\n  description "d"\n'
        "  include performed purchase since 0001-01-01 and signup_date after 0999-12-31\n}\n")
    code, out, err = run("check", str(root / "audiences" / "early.aud"))
    assert code == 0, out + err
    for dialect in DIALECTS:
        code, out, err = run("compile", "early_buyers", "-m", "de", "-d", dialect, "--as-of", "2026-11-01",
                             "--project", str(root))
        if dialect == "clickhouse":  # Date32/DateTime64 start in 1900: a located E505, not a crash
            assert code == 1 and "error[E505]" in err and "outside ClickHouse's" in err and "early.aud:" in err
            continue
        assert code == 0, (dialect, err)
        assert "0001-01-01" in out and "1000-01-01" in out and "E506" not in err


def test_all_writes_every_statement_atomically(tmp_path: Path) -> None:
    root = _copy_examples(tmp_path)
    out_dir = tmp_path / "sql"
    code, _, err = run("compile", "--all", "--out", str(out_dir), "--dialect", "trino",
                       "--as-of", "2026-11-01", "--project", str(root))
    assert code == 0, err
    files = sorted(p.name for p in out_dir.iterdir() if p.name != MARKER)
    assert (out_dir / MARKER).is_file()
    project = load_project(root)
    expected = []
    for name, (_key, aud) in project.audiences().items():
        for m in project.markets:
            expected.append(f"{name}__{m}.sql")
            expected += [f"{name}__{m}__{a.destination.value}.sql" for a in aud.activate]
    assert files == sorted(expected)
    for f in out_dir.glob("*.sql"):
        assert len(sqlglot.parse(f.read_text(), read="trino")) == 1
    before = {p.name: p.read_text() for p in out_dir.iterdir()}

    # a failing run leaves the previous folder exactly as it was, and no temporary folder behind
    (root / "audiences" / "broken.aud").write_text("audience broken { include colour = \"red\" }\n")
    code, _, err = run("compile", "--all", "--out", str(out_dir), "--dialect", "trino",
                       "--as-of", "2026-11-01", "--project", str(root))
    assert code == 1 and "nothing written" in err
    assert {p.name: p.read_text() for p in out_dir.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["proj", "sql"]

    # a successful run replaces the folder (stale files disappear)
    (root / "audiences" / "broken.aud").unlink()
    (out_dir / "stale.sql").write_text("-- old")
    code, _, err = run("compile", "--all", "--out", str(out_dir), "--dialect", "duckdb", "--project", str(root))
    assert code == 0, err
    assert "stale.sql" not in {p.name for p in out_dir.iterdir()}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["proj", "sql"]


def test_all_out_writes_through_a_symlink_and_keeps_folder_permissions(tmp_path: Path) -> None:
    """--out LINK (a link to an empty folder): the statements land in the link's target and
    the link stays; an existing folder keeps its permissions across runs."""
    root = _copy_examples(tmp_path)
    target = tmp_path / "real"
    target.mkdir()
    target.chmod(0o755)
    link = tmp_path / "link"
    link.symlink_to(target, target_is_directory=True)
    for _ in range(2):  # an empty folder, then one with the marker
        code, _, err = run("compile", "--all", "--out", str(link), "--dialect", "duckdb", "--project", str(root))
        assert code == 0, err
        assert link.is_symlink() and link.resolve() == target.resolve()
        assert (target / MARKER).is_file() and any(target.glob("*.sql"))
        assert target.stat().st_mode & 0o777 == 0o755
    target.chmod(0o750)
    code, _, err = run("compile", "--all", "--out", str(target), "--dialect", "duckdb", "--project", str(root))
    assert code == 0, err
    assert target.stat().st_mode & 0o777 == 0o750
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "proj", "real"]


# --------------------------------------------------------------------------- --out never deletes what it did not write


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("target", [".", "audiences", "markets", ".."])
def test_all_refuses_to_replace_the_project_or_its_sources(tmp_path: Path, target: str) -> None:
    root = _copy_examples(tmp_path)
    (root / "README.txt").write_text("my notes")
    before = _tree(tmp_path)
    code, out, err = run("compile", "--all", "--out", str(root / target), "--dialect", "duckdb",
                         "--as-of", "2026-11-01", "--project", str(root))
    assert code == 2 and out == ""
    assert "E904" in err and "refusing to replace" in err and "hint" in err and "Traceback" not in err
    assert _tree(tmp_path) == before  # nothing deleted, nothing added
    # even a marker does not make the project folder replaceable
    (root / "audiences" / MARKER).write_text("")
    code, _, err = run("compile", "--all", "--out", str(root / "audiences"), "--dialect", "duckdb",
                       "--as-of", "2026-11-01", "--project", str(root))
    assert code == 2 and "E904" in err and (root / "audiences" / "cart_abandoners.aud").is_file()


def test_all_refuses_a_non_empty_folder_it_did_not_write(tmp_path: Path) -> None:
    root = _copy_examples(tmp_path)
    other = tmp_path / "important"
    other.mkdir()
    (other / "thesis.tex").write_text("years of work")
    code, _, err = run("compile", "--all", "--out", str(other), "--dialect", "duckdb",
                       "--as-of", "2026-11-01", "--project", str(root))
    assert code == 2 and "E904" in err and MARKER in err
    assert _tree(other) == {"thesis.tex": b"years of work"}
    # an empty existing folder is fine, and so is one written by an earlier run (marker present)
    empty = tmp_path / "empty"
    empty.mkdir()
    for _ in range(2):
        code, _, err = run("compile", "--all", "--out", str(empty), "--dialect", "duckdb",
                           "--as-of", "2026-11-01", "--project", str(root))
        assert code == 0, err
        assert (empty / MARKER).is_file() and len(list(empty.glob("*.sql"))) > 10
    # remove the marker: the folder is the user's again
    (empty / MARKER).unlink()
    code, _, err = run("compile", "--all", "--out", str(empty), "--dialect", "duckdb",
                       "--as-of", "2026-11-01", "--project", str(root))
    assert code == 2 and "E904" in err


# --------------------------------------------------------------------------- consistency with `run`


def _one_market_project(tmp_path: Path) -> Path:
    root = _copy_examples(tmp_path)
    for m in ("fr", "us"):
        (root / "markets" / f"{m}.yaml").unlink()
    return root


def test_market_defaults_to_the_only_market(tmp_path: Path) -> None:
    root = _one_market_project(tmp_path)
    code, out, err = run("compile", "cart_abandoners", "--dialect", "duckdb", "--as-of", "2026-11-01",
                         "--project", str(root))
    assert code == 0, err
    code2, out2, _ = run("compile", "cart_abandoners", "--market", "de", "--dialect", "duckdb",
                         "--as-of", "2026-11-01", "--project", str(root))
    assert code2 == 0 and out == out2 and "| market de |" in out.splitlines()[0]
    # with several markets it is still required, and the message lists them
    code, out, err = run("compile", "cart_abandoners", "--dialect", "duckdb", "--project", str(EXAMPLES))
    assert code == 2 and out == "" and "which market" in err and "de, fr, us" in err


def test_all_with_market_compiles_that_market_only(tmp_path: Path) -> None:
    root = _copy_examples(tmp_path)
    out_dir = tmp_path / "sql"
    code, _, err = run("compile", "--all", "--market", "fr", "--out", str(out_dir), "--dialect", "duckdb",
                       "--as-of", "2026-11-01", "--project", str(root))
    assert code == 0, err
    names = [p.name for p in out_dir.glob("*.sql")]
    assert names and all("__fr" in n for n in names)
    assert len(names) == len([n for n in _all_names(root) if "__fr" in n])
    code, _, err = run("compile", "--all", "--market", "xx", "--out", str(out_dir), "--dialect", "duckdb",
                       "--project", str(root))
    assert code == 2 and "E910" in err


def _all_names(root: Path) -> list[str]:
    project = load_project(root)
    out = []
    for name, (_key, aud) in project.audiences().items():
        for m in project.markets:
            out += [f"{name}__{m}.sql", *(f"{name}__{m}__{a.destination.value}.sql" for a in aud.activate)]
    return out


def test_usage_errors_use_runs_codes_and_no_location_line() -> None:
    code, _, err = run("compile", "no_such", "--market", "de", "--dialect", "duckdb", "--project", str(EXAMPLES))
    assert code == 2 and "error[E610]: unknown audience 'no_such'" in err and "E305" not in err
    code, _, err = run("compile", "no_such", "-m", "de", "--dialect", "duckdb", "--project", str(EXAMPLES))
    _code, _, run_err = run("run", "no_such", "-m", "de", "--project", str(EXAMPLES))
    assert "E610" in run_err and code == 2
    for args in (["--dialect", "oracle9"], ["--dialect", "duckdb", "--market", "xx"]):
        code, _, err = run("compile", "cart_abandoners", *args, "--project", str(EXAMPLES))
        assert code == 2 and "-->" not in err, err


@pytest.mark.parametrize(("dialect", "hint"), [
    ("postgre", "hint: did you mean 'postgres'?"),
    ("oracle9", "hint: supported: " + ", ".join(sorted(DIALECTS))),
])
def test_unknown_dialect_has_one_hint(dialect: str, hint: str) -> None:
    code, _, err = run("compile", "cart_abandoners", "-m", "de", "--dialect", dialect, "--project", str(EXAMPLES))
    assert code == 2 and "E500" in err
    assert err.count("hint:") == 1 and hint in err, err


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_every_dialect_compiles_without_as_of(dialect: str) -> None:
    code, out, err = run("compile", "lapsed_high_value", "-m", "de", "--dialect", dialect, "--project", str(EXAMPLES))
    assert code == 0 and err == "", err
    assert "as_of warehouse current time (UTC)" in out.splitlines()[0]
    assert len([t for t in sqlglot.parse(out, read=dialect) if t is not None]) == 1
