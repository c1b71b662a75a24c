"""`audiencelang fmt` and `audiencelang parse --format json`, through the real CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from audiencelang import ast
from audiencelang.cli import main

UGLY = "audience t{include a=1 and b=2}\n"
PRETTY = "audience t {\n  include a = 1 and b = 2\n}\n"
BROKEN = "audience t { include a = }\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "audiences" / "sub").mkdir(parents=True)
    (tmp_path / "audiences" / "ugly.aud").write_text(UGLY)
    (tmp_path / "audiences" / "sub" / "pretty.aud").write_text(PRETTY)
    (tmp_path / "audiences" / "notes.txt").write_text(UGLY)  # not an .aud: never touched
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "skip.aud").write_text(UGLY)
    return tmp_path


def run(*args: str, cwd: Path | None = None, stdin: str | None = None) -> tuple[int, str, str]:
    runner = CliRunner()
    old = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        r = runner.invoke(main, list(args), input=stdin, catch_exceptions=False)
    finally:
        os.chdir(old)
    return r.exit_code, r.stdout, r.stderr


def test_check_lists_files_that_would_change_and_writes_nothing(project: Path) -> None:
    code, out, err = run("fmt", "--check", cwd=project)
    assert code == 1
    assert out.splitlines() == [f"would reformat {Path('audiences/ugly.aud')}"]
    assert (project / "audiences" / "ugly.aud").read_text() == UGLY
    assert "1 file would be reformatted, 1 file left unchanged" in err


def test_check_passes_on_formatted_files(project: Path) -> None:
    code, out, _ = run("fmt", "--check", str(project / "audiences" / "sub"))
    assert (code, out) == (0, "")


def test_diff_prints_unified_diff_and_writes_nothing(project: Path) -> None:
    code, out, _ = run("fmt", "--diff", "audiences/ugly.aud", cwd=project)
    assert code == 1
    assert out.startswith("--- a/audiences/ugly.aud\n+++ b/audiences/ugly.aud\n")
    assert "-audience t{include a=1 and b=2}\n" in out
    assert "+  include a = 1 and b = 2\n" in out
    assert (project / "audiences" / "ugly.aud").read_text() == UGLY


def test_rewrites_in_place_only_changed_files(project: Path) -> None:
    pretty = project / "audiences" / "sub" / "pretty.aud"
    os.utime(pretty, (1_000_000, 1_000_000))
    code, _, err = run("fmt", cwd=project)
    assert code == 0
    assert (project / "audiences" / "ugly.aud").read_text() == PRETTY
    assert pretty.stat().st_mtime == 1_000_000  # unchanged files are not rewritten
    assert (project / "audiences" / "notes.txt").read_text() == UGLY
    assert (project / ".hidden" / "skip.aud").read_text() == UGLY
    assert not list((project / "audiences").glob(".*tmp"))  # no temp files left behind
    assert "1 file reformatted, 1 file left unchanged" in err
    assert run("fmt", "--check", cwd=project)[0] == 0


@pytest.mark.parametrize(("bom", "eol"), [(b"\xef\xbb\xbf", b"\r\n"), (b"", b"\r\n"), (b"\xef\xbb\xbf", b"\n")])
def test_line_endings_and_bom_are_kept(tmp_path: Path, bom: bytes, eol: bytes) -> None:
    f = tmp_path / "a.aud"
    f.write_bytes(bom + b"audience t{\r\n  include a=1 and b=2\n}".replace(b"\r\n", eol))
    assert run("fmt", str(f))[0] == 0
    assert f.read_bytes() == bom + PRETTY.encode().replace(b"\n", eol)
    assert run("fmt", "--check", str(f))[0] == 0  # and it stays formatted
    assert f.read_bytes() == bom + PRETTY.encode().replace(b"\n", eol)
    r = CliRunner().invoke(main, ["fmt", "-"], input=bom + UGLY.encode().replace(b"\n", eol))
    assert r.exit_code == 0 and r.stdout_bytes == bom + PRETTY.encode().replace(b"\n", eol)


def test_symlinked_file_is_written_through(tmp_path: Path) -> None:
    real = tmp_path / "real" / "a.aud"
    real.parent.mkdir()
    real.write_text(UGLY)
    real.chmod(0o640)
    (tmp_path / "audiences").mkdir()
    link = tmp_path / "audiences" / "a.aud"
    link.symlink_to(real)
    code, _, err = run("fmt", "audiences", cwd=tmp_path)
    assert code == 0, err
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert real.read_text() == PRETTY and real.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in real.parent.iterdir()) == ["a.aud"]  # no temporary file left


def test_unparseable_file_is_untouched_and_reported(project: Path) -> None:
    bad = project / "audiences" / "bad.aud"
    bad.write_text(BROKEN)
    code, _, err = run("fmt", cwd=project)
    assert code == 1
    assert bad.read_text() == BROKEN
    assert (project / "audiences" / "ugly.aud").read_text() == PRETTY  # the others still get formatted
    assert "error[E101]" in err and f"{Path('audiences/bad.aud')}:1:26" in err
    assert "1 file could not be formatted" in err


def test_non_utf8_file_is_untouched(tmp_path: Path) -> None:
    f = tmp_path / "a.aud"
    f.write_bytes(b'audience t { include a = "\xff" }')
    code, _, err = run("fmt", str(f))
    assert code == 1 and "E113" in err
    assert f.read_bytes() == b'audience t { include a = "\xff" }'


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = run("fmt", str(tmp_path / "nope.aud"))
    assert code == 2
    assert "nope.aud: no such file or folder" in err


def test_stdin_to_stdout() -> None:
    code, out, _ = run("fmt", "-", stdin=UGLY)
    assert (code, out) == (0, PRETTY)
    code, out, _ = run("fmt", "--check", "-", stdin=UGLY)
    assert (code, out) == (1, "would reformat <stdin>\n")
    code, out, err = run("fmt", "-", stdin=BROKEN)
    assert code == 1 and out == BROKEN and "E101" in err and "<stdin>:1:26" in err


def test_parse_json_round_trips_through_the_ast(tmp_path: Path) -> None:
    f = tmp_path / "a.aud"
    f.write_text('# hi\naudience t {\n  include performed p where x = "\\u00e9" in last 2 days\n'
                 "    and sum(p.v) > 1.50\n  activate d\n}\n")
    code, out, _ = run("parse", str(f), "--format", "json")
    assert code == 0
    data = json.loads(out)
    file = ast.File.model_validate(data)
    assert file.audiences[0].include.items[0].where.value.value == "é"  # type: ignore[union-attr]
    assert file.comments[0].text == "# hi"
    from audiencelang.syntax import parse_file

    parsed = parse_file(f).file
    assert parsed is not None and file == parsed
