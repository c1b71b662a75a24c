"""The Python examples of docs/api.md (compile part) run as written, from the repository root."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BLOCKS = re.findall(r"```python\n(.*?)```", (REPO / "docs" / "api.md").read_text(encoding="utf-8"), re.S)


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_api_examples_run(code: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(REPO)
    exec(compile(code, "docs/api.md", "exec"), {"__name__": "docs_example"})
    out = capsys.readouterr().out
    assert out.strip(), "every example prints something"
    assert "Traceback" not in out and os.getcwd() == str(REPO)


def test_sql_doc_commands_name_real_options() -> None:
    text = (REPO / "docs" / "sql.md").read_text(encoding="utf-8")
    from click.testing import CliRunner

    from audiencelang.cli import main

    help_text = CliRunner().invoke(main, ["compile", "--help"]).stdout
    for option in sorted(set(re.findall(r"`(--[a-z-]+)", text))):
        assert option in help_text, option
