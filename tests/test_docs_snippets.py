"""Every snippet in docs/*.md and README.md runs as a new user would paste it.

Found automatically (new pages and snippets are picked up):

* fenced blocks tagged ``sh``, ``console``, ``bash`` or ``shell``, and untagged blocks whose
  lines start with ``audiencelang``: every ``audiencelang ...`` command (also written
  ``.venv/bin/audiencelang ...`` or ``[.venv/bin/]python -m audiencelang...``, after a ``$ ``
  prompt, continued with ``\\``) runs, and so does ``cd DIR``; other commands (``make``,
  ``pytest``, ``pip``) are not audiencelang's and are left alone. Each command exits 0,
  unless the doc shows its output as an error (a ``# error[E...]: ...`` comment line after
  the command, with its indented ``#   = hint: ...`` lines; after a ``$ `` prompt, the lines
  up to the next prompt): then it exits 1 or 2 and the shown lines appear in its output;
* blocks tagged ``python`` are executed. ``print(X)  # LITERAL`` and ``X  # LITERAL`` check
  that X equals the Python literal; a comment line holding a literal right after
  ``NAME = ...`` checks NAME; a block followed by a paragraph ``prints`` and a block
  checks the printed text. Other comments are prose.

In expected text ``…`` stands for anything. Each block runs in its own copy of a folder
laid out like the repository (``README.md``, ``examples/`` and small demo data in
``demo/demo.duckdb`` and ``examples/audiencelang.duckdb``, generated once per module), from
its root. ``history/repo`` is the git repository of the example project that
tests/test_review_diff.py uses (tags ``v1``, ``v2``, one uncommitted edit), for ``diff``.
A ``/tmp/...`` path in a command becomes a fresh folder of the copy; a command piped or
redirected (``| ...``, ``> FILE``) runs without the pipe or redirection.

Marks, in an HTML comment on the line before the block (keep them few and say why):
``<!-- snippet: skip (reason) -->`` does not run it; ``<!-- snippet: cwd DIR -->`` runs
it from DIR of that copy. ``demo generate`` commands and ``generate(...)`` calls make
DEMO_PROFILES profiles whatever the doc says (the docs show real sizes; here only
whether the command works matters).
"""

from __future__ import annotations

import ast
import contextlib
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from audiencelang.cli import main
from tests.review_history import make_history

REPO = Path(__file__).resolve().parent.parent
PAGES = [*sorted((REPO / "docs").glob("*.md")), REPO / "README.md"]
DEMO_PROFILES = 600
SHELL_TAGS = {"sh", "console", "bash", "shell"}
_FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.S | re.M)
_MARK = re.compile(r"<!--\s*snippet:\s*(skip|cwd)\s*(.*?)\s*-->\s*$")


@dataclass
class Snippet:
    page: str
    line: int
    tag: str
    body: str
    mark: tuple[str, str] | None = None
    prints: str | None = None  # the block shown after "prints"
    id: str = field(init=False)

    def __post_init__(self) -> None:
        self.id = f"{self.page}:{self.line}"


def _is_cli_line(line: str) -> bool:
    return bool(re.match(r"(\$ )?(\.venv/bin/)?(audiencelang\b|python -m audiencelang)", line.strip()))


def snippets() -> list[Snippet]:
    out: list[Snippet] = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        blocks = list(_FENCE.finditer(text))
        for i, m in enumerate(blocks):
            tag, body = m.group(1).strip(), m.group(2)
            lines = [x for x in body.splitlines() if x.strip()]
            runnable = tag == "python" or tag in SHELL_TAGS or (tag == "" and lines and _is_cli_line(lines[0]))
            if not runnable:
                continue
            before = text[: m.start()].rstrip("\n").rsplit("\n", 1)[-1]
            mark = _MARK.search(before)
            s = Snippet(str(page.relative_to(REPO)), text[: m.start()].count("\n") + 1, tag, body,
                        (mark.group(1), mark.group(2)) if mark else None)
            if tag == "python" and i + 1 < len(blocks):
                between = text[m.end(): blocks[i + 1].start()].strip().rstrip(":").lower()
                if between == "prints":
                    s.prints = blocks[i + 1].group(2)
            out.append(s)
    return out


SNIPPETS = snippets()


# --------------------------------------------------------------------------- the sandbox


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from audiencelang.run.demo import generate

    root = tmp_path_factory.mktemp("docs-template")
    shutil.copytree(REPO / "examples", root / "examples",
                    ignore=shutil.ignore_patterns("*.duckdb", "build", ".*"))
    (root / "demo").mkdir()
    generate(root / "demo" / "demo.duckdb", root / "examples", profiles=DEMO_PROFILES, events_per_profile=8)
    shutil.copy(root / "demo" / "demo.duckdb", root / "examples" / "audiencelang.duckdb")
    shutil.copy(REPO / "README.md", root / "README.md")
    make_history(root / "history")  # history/repo: the git repository of tests/test_review_diff.py
    return root


@pytest.fixture
def sandbox(template: Path, tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(template, root)
    return root


@contextlib.contextmanager
def inside(folder: Path):  # type: ignore[no-untyped-def]
    old = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(old)


def _shown(expected: str, output: str) -> bool:
    """``expected`` appears in ``output``, white space aside, ``…`` matching anything."""
    parts = [re.escape(" ".join(p.split())) for p in expected.strip().split("…")]
    return re.search(".*?".join(parts), " ".join(output.split()), re.S) is not None


# --------------------------------------------------------------------------- shell snippets


def commands(s: Snippet) -> list[tuple[str, list[str]]]:
    """(command line, expected output lines) per command, continuation lines joined."""
    raw = s.body.replace("\\\n", " ").splitlines()
    prompt = any(x.startswith("$ ") for x in raw)
    out: list[tuple[str, list[str]]] = []
    for line in raw:
        if not line.strip():
            continue
        if prompt:
            if line.startswith("$ "):
                out.append((line[2:], []))
            elif out:
                out[-1][1].append(line)
            continue
        stripped = line.strip()
        if stripped.startswith("#"):
            shown = stripped[1:].strip()  # an error line, and its indented hint lines
            if out and (re.match(r"(error|warning)\[", shown) or (out[-1][1] and stripped[1:].startswith("  "))):
                out[-1][1].append(shown)
            continue
        out.append((stripped, []))
    return out


def run_cli(argv: list[str], stdin: str | None = None) -> tuple[int, str]:
    r = CliRunner().invoke(main, argv, input=stdin)
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        raise r.exception
    return r.exit_code, r.stdout + r.stderr


def run_shell(s: Snippet, root: Path) -> None:
    cwd = root / (s.mark[1] if s.mark and s.mark[0] == "cwd" else "")
    for line, expected in commands(s):
        argv = shlex.split(line, comments=True)
        for i, arg in enumerate(argv):  # a pipe or redirection: only the audiencelang part runs
            if arg in ("|", ">", ">>", "<", "2>", "&&", ";"):
                argv = argv[:i]
                break
        if not argv:
            continue
        for i, arg in enumerate(argv):  # /tmp/... is shared with every other run: a fresh folder instead
            if arg.startswith("/tmp/"):
                argv[i] = str(root / "tmp" / arg.removeprefix("/tmp/"))
                Path(argv[i]).parent.mkdir(parents=True, exist_ok=True)
        if argv[0] == "cd":
            cwd = (cwd / argv[1]).resolve()
            continue
        argv[0] = argv[0].removeprefix(".venv/bin/")
        if argv[0] == "python" and argv[1:2] == ["-m"] and argv[2].startswith("audiencelang"):
            with inside(cwd):
                p = subprocess.run([sys.executable, *argv[1:]], capture_output=True, text=True, timeout=120,
                                   env={**os.environ, "PYTHONPATH": str(REPO)})
            code, output = p.returncode, p.stdout + p.stderr
        elif argv[0] == "audiencelang":
            args = argv[1:]
            if args[:2] == ["demo", "generate"] and "--help" not in args:
                if "--profiles" in args:
                    args[args.index("--profiles") + 1] = str(DEMO_PROFILES)
                else:
                    args += ["--profiles", str(DEMO_PROFILES)]
            with inside(cwd):
                code, output = run_cli(args)
        else:
            continue  # not an audiencelang command (make, pytest, pip, ...)
        where = f"{s.id}: {line}"
        if expected and re.match(r"(error|warning)\[", expected[0]):
            assert code in (1, 2), f"{where}: exit {code}, expected an error\n{output}"
        else:
            assert code == 0, f"{where}: exit {code}\n{output}"
        for shown in expected:
            assert _shown(shown, output), f"{where}: output lacks {shown!r}\n{output}"


# --------------------------------------------------------------------------- python snippets


class _Checks(ast.NodeTransformer):
    """``print(X)  # LIT`` / ``X  # LIT`` / ``NAME = ...`` + ``# LIT``: assert the value."""

    def __init__(self, source: str) -> None:
        self.lines = source.splitlines()

    def _literal(self, text: str) -> tuple[bool, object]:
        try:
            return True, ast.literal_eval(text.strip())
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return False, None

    def _comment(self, node: ast.stmt) -> str | None:
        line = self.lines[(node.end_lineno or node.lineno) - 1]
        m = re.match(r"\s*#\s?(.*)$", line[node.end_col_offset or 0:])
        return m.group(1) if m else None

    def _check(self, value: ast.expr, literal: object, node: ast.stmt) -> list[ast.stmt]:
        test = ast.parse(f"assert __v == {literal!r}, (__v, {literal!r})").body[0]
        assign = ast.Assign(targets=[ast.Name("__v", ast.Store())], value=value)
        return [ast.copy_location(assign, node), ast.copy_location(test, node)]

    def visit_Expr(self, node: ast.Expr) -> object:
        comment = self._comment(node)
        if comment is None:
            return node
        ok, literal = self._literal(comment)
        if not ok:
            return node
        call = node.value
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "print" \
                and len(call.args) == 1 and not call.keywords:
            return [*self._check(call.args[0], literal, node), node]
        return self._check(call, literal, node)

    def visit_Assign(self, node: ast.Assign) -> object:
        nxt = (node.end_lineno or node.lineno)
        if len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) and nxt < len(self.lines):
            following = self.lines[nxt].strip()
            if following.startswith("#"):
                ok, literal = self._literal(following[1:])
                if ok:
                    test = ast.parse(f"assert {node.targets[0].id} == {literal!r}, {node.targets[0].id}").body[0]
                    return [node, ast.copy_location(test, node)]
        return node


def run_python(s: Snippet, root: Path) -> None:
    cwd = root / (s.mark[1] if s.mark and s.mark[0] == "cwd" else "")
    body = re.sub(r"profiles=[\d_]+", f"profiles={DEMO_PROFILES}", s.body)
    tree = ast.fix_missing_locations(_Checks(body).visit(ast.parse(body, f"{s.id}")))
    out = io.StringIO()
    with inside(cwd), contextlib.redirect_stdout(out):
        exec(compile(tree, s.id, "exec"), {"__name__": "__snippet__"})
    if s.prints is not None:
        for line in s.prints.strip().splitlines():
            assert _shown(line, out.getvalue()), f"{s.id}: output lacks {line!r}\n{out.getvalue()}"


# --------------------------------------------------------------------------- the tests


def test_snippets_are_found() -> None:
    pages = {s.page for s in SNIPPETS}
    assert {"README.md", "docs/run.md", "docs/sql.md", "docs/api.md", "docs/eval.md"} <= pages
    assert sum(s.tag == "python" for s in SNIPPETS) >= 10


@pytest.mark.parametrize("snippet", SNIPPETS, ids=lambda s: s.id)
def test_snippet_runs(snippet: Snippet, sandbox: Path) -> None:
    if snippet.mark is not None and snippet.mark[0] == "skip":
        assert snippet.mark[1].startswith("(") and len(snippet.mark[1]) > 5, "say why"
        pytest.skip(snippet.mark[1])
    if snippet.tag == "python":
        run_python(snippet, sandbox)
    else:
        run_shell(snippet, sandbox)
