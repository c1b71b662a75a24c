"""Embedding: the public API is typed (issue 16 item 4).

``mypy --strict`` on a consumer script of the public API is clean, and the names it
uses are the real objects (no ``Any`` from the lazy imports).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import audiencelang

REPO = Path(__file__).resolve().parent.parent


def test_mypy_strict_on_a_consumer_script() -> None:
    consumer = REPO / "tests/fixtures/embed/consumer.py"
    out = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir=/dev/null",
                          str(consumer)], cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_reveal_type_is_the_real_signature(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("import audiencelang\nreveal_type(audiencelang.compile_sql)\nreveal_type(audiencelang.parse)\n")
    out = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir=/dev/null",
                          str(probe)], cwd=REPO, capture_output=True, text=True)
    assert "Any" not in out.stdout and "CompileResult" in out.stdout and "ParseResult" in out.stdout, out.stdout


def test_every_exported_name_resolves() -> None:
    for name in audiencelang.__all__:
        assert getattr(audiencelang, name) is not None
    assert audiencelang.compile is audiencelang.compile_sql  # the old name still works
