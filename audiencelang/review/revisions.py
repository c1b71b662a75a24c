"""Load a project as it was at a git revision, through git itself.

``git archive REV -- PREFIX`` writes the project's folder at REV into a private
temporary folder, which is loaded like any project; the user's working tree, index
and HEAD are never touched. The working tree side (no revision) is the project as
it is on disk.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audiencelang.project import (
    CONFIG_FILE,
    PYPROJECT_FILE,
    Project,
    find_project_root,
    load_project,
)

__all__ = ["GitError", "Version", "open_version", "repository_of"]

#: The label of the working tree side.
WORKING_TREE = "working tree"


class GitError(Exception):
    """git is missing, the folder is not in a repository, or a revision is unknown.
    ``code`` is the diagnostic code (E920, E921)."""

    def __init__(self, code: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.hint = hint


def _git(cwd: Path, *args: str, binary: bool = False) -> subprocess.CompletedProcess[bytes]:
    exe = shutil.which("git")
    if exe is None:
        raise GitError("E920", "git is not installed (diff reads the revisions through git)")
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    return subprocess.run([exe, *args], cwd=cwd, capture_output=True, env=env, check=False)


@dataclass(frozen=True)
class Repository:
    top: Path
    """The repository's top folder."""
    prefix: str
    """The project root relative to ``top`` (posix, ``""`` at the top)."""


def repository_of(project_root: Path) -> Repository:
    """The git repository holding ``project_root`` (E920 when there is none)."""
    got = _git(project_root, "rev-parse", "--show-toplevel")
    if got.returncode != 0:
        raise GitError("E920", f"{project_root} is not inside a git repository",
                       "diff compares git revisions: run it in a clone of the project")
    top = Path(got.stdout.decode("utf-8", "replace").strip())
    rel = os.path.relpath(project_root.resolve(), top.resolve())
    return Repository(top, "" if rel == "." else Path(rel).as_posix())


def resolve_revision(repo: Repository, rev: str) -> str:
    """The commit id of ``rev`` (any revision git understands), or E921."""
    if not rev or rev.startswith("-") or "\0" in rev:
        raise GitError("E921", f"not a revision: {rev!r}")
    got = _git(repo.top, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")
    if got.returncode != 0:
        raise GitError("E921", f"unknown revision '{rev}'",
                       "give a commit, branch or tag git knows (git log --oneline), e.g. HEAD~1 or origin/main")
    return got.stdout.decode().strip()


@dataclass
class Version:
    """One side of a diff: a label (the revision as given, or ``working tree``), the commit,
    and the project (``None`` when the project did not exist at that revision)."""

    label: str
    commit: str | None
    project: Project | None
    _tmp: tempfile.TemporaryDirectory[str] | None = field(default=None, repr=False)

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> Version:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: members are vetted by :func:`_safe`; say so where tarfile has extraction filters (3.11.4+)
_TRUSTED: dict[str, Any] = {"filter": "fully_trusted"} if hasattr(tarfile, "fully_trusted_filter") else {}


def _safe(member: tarfile.TarInfo, dest: Path) -> tarfile.TarInfo | None:
    """Regular files and folders inside ``dest`` only (what ``filter="data"`` allows, and
    stricter: no links at all; a project needs none)."""
    if not (member.isfile() or member.isdir()):
        return None
    target = (dest / member.name).resolve()
    if member.name.startswith("/") or not target.is_relative_to(dest.resolve()):
        return None
    return member


def _extract(top: Path, args: list[str], dest: Path) -> None:
    """Stream ``git archive`` into ``dest``; nothing when the path did not exist at that
    revision (git: pathspec did not match)."""
    exe = shutil.which("git")
    if exe is None:
        raise GitError("E920", "git is not installed (diff reads the revisions through git)")
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    with subprocess.Popen([exe, *args], cwd=top, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          env=env) as proc:
        assert proc.stdout is not None
        try:
            with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
                for member in tar:
                    ok = _safe(member, dest)
                    if ok is not None:
                        tar.extract(ok, dest, set_attrs=False, **_TRUSTED)
        except tarfile.ReadError:
            pass  # no archive: the project folder did not exist at that revision
        proc.stdout.close()
        proc.wait()


def open_version(project_root: Path, rev: str | None, repo: Repository | None = None) -> Version:
    """The project at ``rev`` (``None``: the working tree). Raises :class:`GitError`."""
    if rev is None:
        return Version(WORKING_TREE, None, load_project(project_root))
    repo = repo or repository_of(project_root)
    commit = resolve_revision(repo, rev)
    tmp = tempfile.TemporaryDirectory(prefix="audiencelang-diff-")
    try:
        args = ["archive", "--format=tar", commit]
        if repo.prefix:
            args += ["--", repo.prefix]
        _extract(repo.top, args, Path(tmp.name))
        root = Path(tmp.name) / repo.prefix if repo.prefix else Path(tmp.name)
        if not ((root / CONFIG_FILE).is_file() or (root / PYPROJECT_FILE).is_file()) \
                or find_project_root(root) != root.absolute():
            tmp.cleanup()
            return Version(rev, commit, None)
        return Version(rev, commit, load_project(root), tmp)
    except BaseException:
        tmp.cleanup()
        raise
