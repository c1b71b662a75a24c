"""Untrusted inputs, secrets and files (docs/security.md), each through the CLI in a
subprocess with a timeout, so that a regression fails instead of hanging the suite."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
