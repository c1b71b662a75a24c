"""Parsing many files at once (worker processes) gives exactly what parsing one by one gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from audiencelang.syntax import parse_file, parse_files, parser

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples" / "audiences").glob("*.aud"))


def _corpus(tmp_path: Path) -> list[tuple[Path, str]]:
    files: list[tuple[Path, str]] = []
    for i in range(40):
        src = EXAMPLES[i % len(EXAMPLES)]
        text = src.read_text(encoding="utf-8")
        if i % 7 == 3:
            text += "\naudience broken { include country = }\n"  # a syntax error
        if i % 11 == 5:
            text = text.replace("audience ", f"audience x{i}_", 1)
        dst = tmp_path / f"f{i:02}.aud"
        dst.write_text(text, encoding="utf-8")
        files.append((dst, f"f{i:02}.aud"))
    (tmp_path / "bad.aud").write_bytes(b"audience a { include x = \xff }")
    files.append((tmp_path / "bad.aud", "bad.aud"))
    files.append((tmp_path / "missing.aud", "missing.aud"))
    return files


def test_parallel_parse_equals_serial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = _corpus(tmp_path)
    monkeypatch.setattr(parser, "PARALLEL_MIN_FILES", 2)
    serial = [parse_file(p, d) for p, d in files]
    parallel = parse_files(files, jobs=2)
    assert len(parallel) == len(serial)
    for a, b in zip(serial, parallel, strict=True):
        assert a.file == b.file
        assert a.diagnostics == b.diagnostics
        assert a.comments == b.comments
    codes = {d.code for r in parallel for d in r.diagnostics}
    assert {"E101", "E113", "E901"} <= codes


def test_small_batches_stay_in_process(tmp_path: Path) -> None:
    files = _corpus(tmp_path)[:3]
    assert [r.file for r in parse_files(files)] == [parse_file(p, d).file for p, d in files]
