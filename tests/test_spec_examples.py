"""The contract's own examples (docs/spec/LANGUAGE.md, a verbatim copy of the spec), end to end.

The spec's §1 audience, §2 market and §3 config are written into a project exactly as
printed, and the §6/§7 commands are run on it as a user would type them.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "docs" / "spec" / "LANGUAGE.md"
SHARED_SPEC = REPO.parent / "shared" / "spec" / "LANGUAGE.md"


def _blocks(lang: str | None = None) -> list[str]:
    text = SPEC.read_text(encoding="utf-8")
    return [body for kind, body in re.findall(r"```(\w*)\n(.*?)```", text, re.S) if lang is None or kind == lang]


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "audiencelang.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_the_copy_is_the_contract() -> None:
    if not SHARED_SPEC.exists():
        pytest.skip("no ../shared/spec beside this checkout")
    assert SPEC.read_bytes() == SHARED_SPEC.read_bytes(), "docs/spec/LANGUAGE.md must stay a verbatim copy"


@pytest.fixture(scope="module")
def spec_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("spec")
    (root / "audiences").mkdir()
    (root / "markets").mkdir()
    audience = next(b for b in _blocks("") if b.startswith("# audiences/cart_abandoners.aud"))
    (root / "audiences" / "cart_abandoners.aud").write_text(audience, encoding="utf-8")
    (root / "markets" / "de.yaml").write_text(_blocks("yaml")[0], encoding="utf-8")
    (root / "audiencelang.toml").write_text(_blocks("toml")[0], encoding="utf-8")
    # The spec's audience references `existing_customers`, which the spec does not show.
    (root / "audiences" / "existing_customers.aud").write_text(
        'audience existing_customers {\n  owner "crm-team@example.com"\n'
        '  description "Bought at least once."\n  include performed purchase\n}\n', encoding="utf-8")
    return root


def test_check_reports_exactly_the_policy_error_the_spec_itself_implies(spec_project: Path) -> None:
    # §3's newsletter requires email_marketing; §1's audience activates it without
    # `require consent email_marketing`: §4 makes that an error, and only that.
    r = _cli("check", "--format", "concise", cwd=spec_project)
    assert r.returncode == 1, r.stdout + r.stderr
    lines = [line for line in r.stdout.splitlines() if re.search(r"\b[EL]\d{3}\b", line)]
    assert len(lines) == 1, r.stdout
    assert lines[0].startswith("audiences/cart_abandoners.aud:20:3: E401")
    assert "newsletter" in lines[0] and "email_marketing" in lines[0]


def test_compile_as_written_in_section_6(spec_project: Path) -> None:
    r = _cli("compile", "cart_abandoners", "--market", "de", "--dialect", "duckdb",
             "--as-of", "2024-05-01T00:00:00Z", cwd=spec_project)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("-- audience cart_abandoners | market de | dialect duckdb")
    again = _cli("compile", "cart_abandoners", "--market", "de", "--dialect", "duckdb",
                 "--as-of", "2024-05-01T00:00:00Z", cwd=spec_project)
    assert again.stdout == r.stdout  # same input, same SQL, byte for byte


def test_compile_for_the_blocked_destination_is_refused(spec_project: Path) -> None:
    r = _cli("compile", "cart_abandoners", "--market", "de", "--dialect", "duckdb",
             "--destination", "newsletter", cwd=spec_project)
    assert r.returncode == 1
    assert "E401" in r.stderr and r.stdout == ""


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "sqlite", "snowflake", "bigquery", "redshift",
                                     "databricks", "spark", "trino", "clickhouse"])
def test_compile_for_meta_ads_in_every_named_dialect(spec_project: Path, dialect: str) -> None:
    r = _cli("compile", "cart_abandoners", "--market", "de", "--dialect", dialect,
             "--as-of", "2024-05-01T00:00:00Z", "--destination", "meta_ads", cwd=spec_project)
    assert r.returncode == 0, r.stderr
    import sqlglot

    statements = [s for s in sqlglot.parse(r.stdout, read=dialect) if s is not None]
    assert len(statements) == 1
    names = [c.alias_or_name for c in statements[0].selects]
    assert names == ["member_id", "identifier"]


def test_run_writes_members_and_reports_gates(spec_project: Path) -> None:
    gen = _cli("demo", "generate", "--profiles", "6000", cwd=spec_project)
    assert gen.returncode == 0, gen.stderr
    out = spec_project / "members.csv"
    r = _cli("run", "cart_abandoners", "--market", "de", "--as-of", "2026-11-01T00:00:00Z",
             "--output", str(out), cwd=spec_project)
    assert r.returncode == 0, r.stderr
    assert "meta_ads" in r.stdout and "newsletter" not in r.stdout
    assert "E401" in r.stderr  # the blocked destination is reported, not delivered
    size = int(re.search(r"\(audience\)\s+1000\s+([\d,]+)", r.stdout).group(1).replace(",", ""))  # type: ignore[union-attr]
    with duckdb.connect() as con:
        rows = con.execute("SELECT count(*) FROM read_csv_auto(?)", [str(out)]).fetchall()
    assert rows == [(size,)]


def test_fmt_is_idempotent_on_the_spec_file(spec_project: Path, tmp_path: Path) -> None:
    f = tmp_path / "a.aud"
    f.write_text((spec_project / "audiences" / "cart_abandoners.aud").read_text(encoding="utf-8"))
    assert _cli("fmt", str(f), cwd=tmp_path).returncode == 0
    once = f.read_text(encoding="utf-8")
    assert "# audiences/cart_abandoners.aud" in once  # comments kept
    assert _cli("fmt", "--check", str(f), cwd=tmp_path).returncode == 0
    assert f.read_text(encoding="utf-8") == once


def test_console_script_exit_codes_and_complete_output(tmp_path: Path) -> None:
    """The console script ends `check` without interpreter teardown: output is still whole."""
    examples = REPO / "examples"
    clean = _cli("check", "--format", "json", cwd=examples)
    assert clean.returncode == 0 and clean.stdout.rstrip().endswith("}")
    bad = tmp_path / "bad.aud"
    bad.write_text("audience x { include }\n", encoding="utf-8")
    found = _cli("check", "--project", str(examples), str(bad), cwd=tmp_path)
    assert found.returncode == 1 and "E101" in found.stdout
    usage = _cli("check", "--output-format", "nope", cwd=examples)
    assert usage.returncode == 2
