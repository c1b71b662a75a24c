"""Untrusted inputs, secrets and files (docs/security.md), each through the CLI in a
subprocess with a timeout, so that a regression fails instead of hanging the suite."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

TIMEOUT = 60
MARKET = """\
market: m
profiles:
  table: crm.kunden
  id: id
  traits:
    country: {column: country, type: string}
    email: {column: email, type: string}
"""
AUDIENCE = 'audience a {\n  owner "t@example.com"\n  description "t"\n  include country = "DE"\n}\n'


def cli(*args: object, cwd: Path | None = None, timeout: float = TIMEOUT) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parent.parent), NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "audiencelang.cli", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout, env=env, check=False)


def project(root: Path, config: str = "", audience: str = AUDIENCE) -> Path:
    (root / "markets").mkdir(parents=True, exist_ok=True)
    (root / "audiences").mkdir(exist_ok=True)
    (root / "markets" / "m.yaml").write_text(MARKET)
    (root / "audiences" / "a.aud").write_text(audience)
    (root / "audiencelang.toml").write_text(config)
    return root


def kunden_db(path: Path, select: str = "SELECT * FROM (VALUES (1, 'DE', 'a@x'), (2, 'FR', 'b@x')) "
              "AS t(id, country, email)") -> Path:
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA crm")
    con.execute(f"CREATE VIEW crm.kunden AS {select}")
    con.close()
    return path


# --------------------------------------------------------------------------- untrusted DuckDB files


@pytest.mark.parametrize("reader", [
    "SELECT 1 AS id, 'DE' AS country, content AS email FROM read_text('{secret}')",
    "SELECT 1 AS id, 'DE' AS country, column0 AS email FROM read_csv('{secret}', header = false)",
    "SELECT 1 AS id, 'DE' AS country, file AS email FROM glob('{folder}/*')",
])
def test_duckdb_file_views_cannot_read_local_files(tmp_path: Path, reader: str) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET\n")
    root = project(tmp_path / "p")
    db = kunden_db(tmp_path / "untrusted.duckdb", reader.format(secret=secret, folder=tmp_path))
    out = tmp_path / "members.csv"
    r = cli("run", "a", "--db", db, "--as-of", "2026-11-01", "--output", out, cwd=root)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "error[E605]" in r.stderr and "external access off" in r.stderr
    assert "TOPSECRET" not in r.stdout + r.stderr and "secret.txt" not in r.stdout
    assert not out.exists()


# --------------------------------------------------------------------------- passwords


@pytest.mark.parametrize(("target", "secret"), [
    ("postgresql://u:s3cretpw@127.0.0.1:1/db", "s3cretpw"),
    ("postgres://u:s3cr%40etpw@127.0.0.1:1/db", "s3cr"),
    ("postgresql://u@127.0.0.1:1/db?sslmode=disable&password=s3cretpw", "s3cretpw"),
    ("host=127.0.0.1 port=1 user=u password=s3cretpw dbname=db", "s3cretpw"),
    ("host=127.0.0.1 port=1 password='s3cret pw' dbname=db", "s3cret"),
    ("postgresql://u:pa@ss3cretpw@127.0.0.1:1/db", "ss3cretpw"),
    ("mysql://u:s3cretpw@127.0.0.1:1/db", "s3cretpw"),
    ("sqlite:///missing.sqlite?password=s3cretpw", "s3cretpw"),
])
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_run_never_prints_a_password(tmp_path: Path, target: str, secret: str, fmt: str) -> None:
    root = project(tmp_path)
    r = cli("run", "a", "--db", target, "--as-of", "2026-11-01", "--format", fmt, cwd=root)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "error[E60" in r.stderr and "***" in r.stderr
    assert secret not in r.stdout + r.stderr
    if fmt == "json":
        return
    r = cli("run", "--all", "--db", target, "--as-of", "2026-11-01", "--format", fmt, cwd=root)
    assert secret not in r.stdout + r.stderr


def test_redact_forms() -> None:
    from audiencelang.redact import redact

    assert redact("at postgresql://u:pw@h:5/d?x=1 and") == "at postgresql://u:***@h:5/d?x=1 and"
    assert redact("postgresql://u:pa@ss@h/d") == "postgresql://u:***@h/d"
    assert redact("postgresql://u@h/d?a=1&password=pw&b=2") == "postgresql://u@h/d?a=1&password=***&b=2"
    assert redact("host=h password = 'a b\\' c' user=u") == "host=h password = *** user=u"
    assert redact("postgresql://u@h:5432/d") == "postgresql://u@h:5432/d"
    assert redact("/data/audiencelang.duckdb") == "/data/audiencelang.duckdb"


# --------------------------------------------------------------------------- PostgreSQL sessions


@pytest.mark.postgres
def test_postgres_run_all_rolls_back_after_a_fetch_error(tmp_path: Path, postgres_cluster: Any) -> None:
    import psycopg

    market = MARKET + "    ratio: {column: ratio, type: integer}\n"
    root = project(tmp_path)
    (root / "markets" / "m.yaml").write_text(market)
    # a_broken reads `ratio`, which divides by zero while the rows are fetched (not when the
    # statement is declared); b_fine reads only `country` and must still run.
    (root / "audiences" / "a.aud").write_text(AUDIENCE.replace("audience a", "audience a_broken")
                                              .replace('country = "DE"', "ratio = 1"))
    (root / "audiences" / "b.aud").write_text(AUDIENCE.replace("audience a", "audience b_fine"))
    with postgres_cluster.database("sec") as name:
        with psycopg.connect(postgres_cluster.url(name), autocommit=True) as con:
            con.execute("CREATE SCHEMA crm")
            con.execute("CREATE TABLE crm.base (id bigint, country text, email text)")
            con.execute("INSERT INTO crm.base SELECT i, 'DE', 'x' FROM generate_series(1, 5) AS i")
            con.execute("CREATE VIEW crm.kunden AS SELECT id, country, email, "
                        "1 / (id - id) AS ratio FROM crm.base")
        r = cli("run", "--all", "--db", postgres_cluster.url(name), "--as-of", "2026-11-01",
                "--format", "json", cwd=root)
    assert r.returncode == 1, r.stdout + r.stderr
    results = {x["audience"]: x for x in json.loads(r.stdout)}
    assert results["a_broken"]["status"] == "failed"
    assert "division by zero" in r.stderr
    assert results["b_fine"]["status"] == "ok", r.stderr
    assert results["b_fine"]["size"] == 5
    assert "transaction is aborted" not in r.stderr


@pytest.mark.postgres
def test_postgres_session_has_jit_off(postgres_url: str) -> None:
    from audiencelang.run.engines import connect

    with connect(postgres_url) as engine:
        assert engine.fetch_all("SELECT current_setting('jit')")[1] == [("off",)]
        assert engine.fetch_all("SELECT current_setting('enable_nestloop')")[1] == [("off",)]


# --------------------------------------------------------------------------- files


def test_demo_generate_never_replaces_a_file_it_did_not_write(tmp_path: Path) -> None:
    root = project(tmp_path, config="# my project\n")
    config = root / "audiencelang.toml"
    r = cli("demo", "generate", "--db", config, "--profiles", "10", cwd=root)
    assert r.returncode == 2 and "error[E900]" in r.stderr and "refusing to replace" in r.stderr
    assert config.read_text() == "# my project\n"
    other = kunden_db(tmp_path / "mine.duckdb")  # a DuckDB file, but not a demo file
    r = cli("demo", "generate", "--db", other, "--profiles", "10", cwd=root)
    assert r.returncode == 2 and "refusing to replace" in r.stderr
    assert duckdb.connect(str(other), read_only=True).execute(
        "SELECT count(*) FROM crm.kunden").fetchall() == [(2,)]
    demo = tmp_path / "demo.duckdb"
    for seed in ("1", "2"):  # a file demo generate wrote is replaced
        r = cli("demo", "generate", "--db", demo, "--profiles", "10", "--seed", seed, cwd=root)
        assert r.returncode == 0, r.stderr


def test_run_output_keeps_permissions_and_cleans_up_after_a_killed_write(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    db = kunden_db(tmp_path / "k.duckdb")
    out = tmp_path / "out" / "members.csv"
    out.parent.mkdir()
    out.write_text("old\n")
    out.chmod(0o600)
    # A writer killed mid-write (os._exit: no cleanup runs) leaves its temporary file.
    killed = subprocess.run([sys.executable, "-c", (
        "import os, sys; from audiencelang.run.output import open_writer\n"
        "w = open_writer(sys.argv[1], ['member_id']); w.write([(1,)] * 1000); os._exit(9)"), out],
        env=dict(os.environ, PYTHONPATH=str(Path(__file__).parent.parent)), timeout=TIMEOUT, check=False)
    assert killed.returncode == 9
    assert len(list(out.parent.iterdir())) == 2  # members.csv and the orphan
    r = cli("run", "a", "--db", db, "--as-of", "2026-11-01", "--output", out, cwd=root)
    assert r.returncode == 0, r.stderr
    assert out.read_text().splitlines() == ["member_id", "1"]
    assert oct(out.stat().st_mode & 0o777) == oct(0o600)
    assert [p.name for p in out.parent.iterdir()] == ["members.csv"]


# --------------------------------------------------------------------------- config paths


@pytest.mark.parametrize("entry", ["/proc/self/environ", "{outside}/leak.yaml", "../outside/*.yaml",
                                   "markets/../../outside", "link", "links/*.yaml"])
def test_config_entries_cannot_leave_the_project(tmp_path: Path, entry: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "leak.yaml").write_text("LEAKED_SECRET: [\n")  # a YAML error would quote it
    root = project(tmp_path / "p")
    (root / "link").symlink_to(outside)
    (root / "links").mkdir()
    (root / "links" / "m.yaml").symlink_to(outside / "leak.yaml")
    entry = entry.format(outside=outside)
    (root / "audiencelang.toml").write_text(f'markets = ["markets", "{entry}"]\n')
    env_secret = "ENV_SECRET_VALUE_42"
    for command in (["check"], ["compile", "a", "--market", "m", "--dialect", "duckdb"]):
        r = subprocess.run([sys.executable, "-m", "audiencelang.cli", *command], cwd=root, capture_output=True,
                           text=True, timeout=TIMEOUT, check=False,
                           env=dict(os.environ, PYTHONPATH=str(Path(__file__).parent.parent),
                                    AUDIENCELANG_TEST_SECRET=env_secret))
        both = r.stdout + r.stderr
        assert "E214" in both and "audiencelang.toml:1" in both, both
        assert "leaves the project root" in both
        assert "LEAKED_SECRET" not in both and env_secret not in both


# --------------------------------------------------------------------------- patterns


@pytest.mark.parametrize("command", [["check"], ["compile", "a" * 40 + "1", "--market", "m", "--dialect", "duckdb"],
                                     ["run", "a" * 40 + "1", "--as-of", "2026-11-01", "--db", "{db}"]])
def test_naming_pattern_cannot_hang(tmp_path: Path, command: list[str]) -> None:
    name = "a" * 40 + "1"  # fails `^(a|a)+$` only at its end: 2^40 ways for a backtracking engine
    root = project(tmp_path / "p", config='[lint]\nnaming = "^(a|a)+$"\n',
                   audience=AUDIENCE.replace("audience a", f"audience {name}"))
    db = kunden_db(tmp_path / "k.duckdb")
    r = cli(*[c.format(db=db) for c in command], cwd=root, timeout=30)
    assert r.returncode in (0, 1), r.stderr
    if command[0] == "check":
        assert "L001" in r.stdout + r.stderr


def test_per_file_ignores_glob_cannot_hang(tmp_path: Path) -> None:
    glob = "*a" * 14 + "*b"  # 14 stars before a `b` that never comes: C(60, 14) tries
    root = project(tmp_path / "p", config=f'[lint]\nper-file-ignores = {{"{glob}" = ["L001"]}}\n')
    (root / "audiences" / "a.aud").rename(root / "audiences" / ("a" * 60 + ".aud"))
    r = cli("check", cwd=root, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("pattern", [r"^(a)\\1$", "^(?=a)[a-z]+$"])
def test_backtracking_only_patterns_are_e211(tmp_path: Path, pattern: str) -> None:
    root = project(tmp_path / "p", config=f'[lint]\nnaming = "{pattern}"\n')
    r = cli("check", cwd=root)
    assert r.returncode == 1 and "E211" in r.stdout + r.stderr and "RE2" in r.stdout + r.stderr
    assert "absl" not in r.stderr  # RE2's own logging stays off


def test_extra_roots_are_an_explicit_opt_in_from_the_environment(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "m.yaml").write_text(MARKET)
    root = project(tmp_path / "p", config='markets = ["../shared/m.yaml"]\n')
    (root / "markets" / "m.yaml").unlink()
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parent.parent))
    env.pop("AUDIENCELANG_EXTRA_ROOTS", None)
    run = [sys.executable, "-m", "audiencelang.cli", "check"]
    r = subprocess.run(run, cwd=root, capture_output=True, text=True, timeout=TIMEOUT, env=env, check=False)
    assert "E214" in r.stdout + r.stderr
    env["AUDIENCELANG_EXTRA_ROOTS"] = "../shared"
    r = subprocess.run(run, cwd=root, capture_output=True, text=True, timeout=TIMEOUT, env=env, check=False)
    assert r.returncode == 0 and "E214" not in r.stdout + r.stderr, r.stdout + r.stderr
