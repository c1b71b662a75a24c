"""A NON-editable install works: the wheel ships the grammar and parses a file.

Builds the wheel with pip (hatchling via build isolation), installs it without
dependencies into a fresh virtualenv whose dependencies come from the running
environment's site-packages (a .pth line, so the editable install there is
*not* activated), and parses an example file from outside the source tree.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CHECK = """
import sys
from pathlib import Path
import audiencelang
from audiencelang.syntax import parse
path = sys.argv[1]
result = parse(Path(path).read_text(encoding="utf-8"), path)
assert result.file is not None and not result.diagnostics, result.diagnostics
print(audiencelang.__file__)
print(",".join(a.name.value for a in result.file.audiences))
"""


@pytest.mark.slow
def test_wheel_ships_grammar_and_parses_without_source_tree(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels),
                    str(REPO)], check=True, timeout=600)
    (wheel,) = wheels.glob("audiencelang-*.whl")
    assert "audiencelang/_grammar/audience.lark" in zipfile.ZipFile(wheel).namelist()

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)],
                   check=True, timeout=600)
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          check=True, capture_output=True, text=True).stdout.strip()
    # Dependencies (lark, pydantic, ...) from this environment, searched after the wheel.
    Path(site, "zz_deps.pth").write_text(sysconfig.get_path("purelib") + "\n")

    aud = REPO / "examples" / "audiences" / "lifecycle.aud"
    out = subprocess.run([str(python), "-c", CHECK, str(aud)], cwd=tmp_path, check=True,
                         capture_output=True, text=True, timeout=120).stdout.splitlines()
    assert out[0].startswith(site), out
    assert out[1] == "existing_customers,first_time_buyers,new_signups"
    version = subprocess.run([str(env_dir / "bin" / "audiencelang"), "--version"], cwd=tmp_path,
                             check=True, capture_output=True, text=True, timeout=60).stdout
    assert "audiencelang" in version
