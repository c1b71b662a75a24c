"""`audiencelang lsp` as a command: pygls is imported only when the server starts, and a
missing `lsp` extra is a clear E922 with exit code 2, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _run(code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=60, check=False)


def test_without_the_lsp_extra_the_command_says_what_to_install() -> None:
    out = _run("import sys; sys.modules['pygls'] = None\n"
               "sys.argv = ['audiencelang', 'lsp']\n"
               "from audiencelang.cli import entry; entry()")
    assert out.returncode == 2, out.stderr
    assert out.stderr.startswith("error[E922]: the language server needs the 'lsp' extra")
    assert "pip install 'audiencelang[lsp]'" in out.stderr
    assert "Traceback" not in out.stderr


def test_version_and_help_do_not_import_the_server() -> None:
    out = _run("import sys\n"
               "from click.testing import CliRunner\n"
               "from audiencelang.cli import main\n"
               "r = CliRunner().invoke(main, ['--version'])\n"
               "h = CliRunner().invoke(main, ['lsp', '--help'])\n"
               "print(r.exit_code, h.exit_code, 'pygls' in sys.modules, 'Needs the' in h.output)")
    assert out.stdout.split() == ["0", "0", "False", "True"], out.stderr
