"""The same mistake gets the same code and the same words in `compile`, `run` and `check`
(issue 12, item 13): a bad `--as-of`, a missing `--market`, `-m`, a missing column, a
missing table, the folders `compile --all --out` makes."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from audiencelang.cli import main
from tests.test_run import gate_project

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"


def invoke(*args: str | Path) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert "Traceback" not in r.output and "E900" not in r.stderr
    return r.exit_code, r.stdout, r.stderr


@pytest.mark.parametrize("command", ["compile", "run"])
def test_a_bad_as_of_is_e903_in_compile_and_run(command: str) -> None:
    extra = ["-d", "duckdb"] if command == "compile" else []
    for bad in ("yesterday", "2026-11-01T00:00:00", "2026-02-30"):
        code, out, err = invoke(command, "cart_abandoners", "-m", "de", *extra, "--as-of", bad,
                                "--project", EXAMPLES)
        assert code == 2 and out == "" and err.startswith("error[E903]: "), err


@pytest.mark.parametrize("command", ["compile", "run"])
def test_a_missing_market_is_e910_in_compile_and_run(command: str) -> None:
    extra = ["-d", "duckdb"] if command == "compile" else []
    code, out, err = invoke(command, "cart_abandoners", *extra, "--project", EXAMPLES)
    assert code == 2 and out == ""
    assert err.startswith("error[E910]: which market? give --market M"), err
    assert "markets of this project: de, fr, us" in err


def test_check_takes_m_for_market() -> None:
    code, out, err = invoke("check", "-m", "us", "--format", "concise", "--project", EXAMPLES)
    assert code == 0, out + err
    assert invoke("check", "--market", "us", "--format", "concise", "--project", EXAMPLES)[1] == out


def test_a_missing_column_names_the_market_table_and_the_trait(tmp_path: Path) -> None:
    root = gate_project(tmp_path / "p", 4)
    con = duckdb.connect(str(root / "audiencelang.duckdb"))
    con.execute("ALTER TABLE people RENAME COLUMN age TO alter")
    con.close()
    code, _out, err = invoke("run", "adults", "--project", root)
    assert code == 1
    assert "table people has no column 'age' (trait age)" in err, err
    assert "--> markets/m.yaml:" in err or "markets/m.yaml:" in err
    assert '"src"' not in err.split("the database said:")[0]


def test_a_missing_table_suggests_demo_generate_only_for_the_default_database(tmp_path: Path) -> None:
    root = gate_project(tmp_path / "p", 4)
    own = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(own)).close()  # the user's own database, without the market's table
    code, _out, err = invoke("run", "adults", "--project", root, "--db", own)
    assert code == 1 and "error[E606]" in err and "demo generate" not in err, err
    assert "check --db and the `table:` entries" in err
    os.unlink(root / "audiencelang.duckdb")
    duckdb.connect(str(root / "audiencelang.duckdb")).close()  # the default file, still empty
    code, _out, err = invoke("run", "adults", "--project", root)
    assert code == 1 and "error[E606]" in err and "audiencelang demo generate" in err, err


def test_compile_all_out_folders_follow_the_umask_and_keep_their_mode(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    shutil.copytree(EXAMPLES, root)
    old = os.umask(0o022)
    try:
        new = tmp_path / "build" / "sql"
        code, _out, err = invoke("compile", "--all", "--out", new, "-d", "duckdb", "--as-of", "2026-11-01",
                                 "--project", root)
        assert code == 0, err
        assert stat.S_IMODE(new.stat().st_mode) == 0o755
        assert stat.S_IMODE(new.parent.stat().st_mode) == 0o755
        os.chmod(new, 0o750)
        code, _out, err = invoke("compile", "--all", "--out", new, "-d", "duckdb", "--as-of", "2026-11-01",
                                 "--project", root)
        assert code == 0, err
        assert stat.S_IMODE(new.stat().st_mode) == 0o750
    finally:
        os.umask(old)
