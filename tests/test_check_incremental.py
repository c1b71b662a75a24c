"""`check FILE...` parses only what FILE needs (an index of audience names), and the check
cache: on generated projects, the incremental check reports for every file it reports
exactly what a whole-project check reports; with a cache (cold, warm, after edits, with
a corrupt cache file) the report is the same as without (docs/cache.md)."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audiencelang.check import CheckReport, check_project
from audiencelang.check.cache import CheckCache, cache_folder
from audiencelang.check.incremental import check_incremental, tool_digest
from audiencelang.cli import main
from audiencelang.diagnostics import Diagnostic
from audiencelang.project import load_project
from tests.test_check_helpers import FIXTURES, aud

REPO = Path(__file__).resolve().parent.parent
NAMES = ("a", "b", "c", "d", "e")
# conditions; some pairs mean the same (L010): 1 / 01 / 1.0 are not all equal, "DE" / "D\u0045" are
CONDITIONS = (
    "age > 1", "age > 01", "age > 1.0", 'country = "DE"', 'country = "D\\u0045"', 'region = "x"',
    "not not age > 1", "performed purchase in last 3 days", "performed purchase in last 03 day",
    "signup in last 7 days",
)


@st.composite
def file_texts(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 12)) == 0:
        return "audience broken {\n  include age >\n}\n# audience ghost { }\n"
    blocks = []
    for name in draw(st.lists(st.sampled_from(NAMES), min_size=0, max_size=2, unique=True)):
        conds = draw(st.lists(st.sampled_from(CONDITIONS), min_size=1, max_size=2))
        refs = draw(st.lists(st.sampled_from((*NAMES, "gone", "ee")), max_size=2))
        body = " and ".join([*conds, *(f"in audience {r}" for r in refs)])
        extra = "\n  require consent ads\n  activate meta_ads" if draw(st.booleans()) else ""
        note = '\n  # in audience z\n  tags ["in audience y"]' if draw(st.integers(0, 4)) == 0 else ""
        blocks.append(aud(f"include {body}{extra}{note}", name))
    return "\n".join(blocks)


def per_file(diags: tuple[Diagnostic, ...]) -> dict[str | None, list[Diagnostic]]:
    out: dict[str | None, list[Diagnostic]] = {}
    for d in diags:
        out.setdefault(d.span.path if d.span is not None else None, []).append(d)
    return out


def write_project(root: Path, files: list[str], lint: str) -> None:
    shutil.copytree(FIXTURES / "markets", root / "markets")
    (root / "audiencelang.toml").write_text((FIXTURES / "config.toml").read_text() + lint)
    (root / "audiences").mkdir()
    for i, text in enumerate(files):
        (root / "audiences" / f"f{i}.aud").write_text(text)


def assert_exact(report: CheckReport, whole: CheckReport) -> None:
    got, want = per_file(report.diagnostics), per_file(whole.diagnostics)
    for k in report.files:
        assert got.get(k, []) == want.get(k, []), k
    assert {p for p in got if p is not None and p.endswith(".aud")} <= set(report.files)
    for p in set(got) | set(want):  # the config's and the market files' findings
        if p is None or not p.endswith(".aud"):  # L013 and E405-E407 come with the whole project only
            if set(report.files) >= {k for k, _ in whole.audiences}:
                assert got.get(p, []) == want.get(p, []), p
            else:
                assert [d for d in want.get(p, []) if d.code not in PROJECT_CODES] == got.get(p, []), p
    want_auds = [x for x in whole.audiences if x[0] in set(report.files)]
    assert sorted(report.audiences) == sorted(want_auds)


PROJECT_CODES = frozenset({"L013", "E405", "E406", "E407"})
LINTS = ("", '\n[lint]\nselect = ["L"]\n')


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(file_texts(), min_size=2, max_size=5), st.data())
def test_check_files_equals_the_whole_project_check_for_every_file_it_reports(files: list[str],
                                                                             data: st.DataObject) -> None:
    """Generated projects (renames, references to missing audiences, cycles, duplicate names and
    meanings, files that do not parse), some files changed: `check CHANGED...` reports every
    file that gains a new kind of finding, and for each file it reports exactly the findings
    of a whole-project check; with a cache (written before the change) the same."""
    changed = data.draw(st.sets(st.integers(0, len(files) - 1), min_size=1))
    new = {i: data.draw(file_texts()) for i in changed}
    lint = data.draw(st.sampled_from(LINTS))
    root = Path(tempfile.mkdtemp(prefix="incr-"))
    try:
        write_project(root, files, lint)
        cache_dir = root / ".audiencelang_cache"
        before = per_file(check_project(load_project(root)).diagnostics)
        warm = CheckCache(cache_dir, tool_digest())
        first = check_incremental(load_project(root), cache=warm)
        assert first.diagnostics == check_project(load_project(root)).diagnostics
        for i, text in new.items():
            (root / "audiences" / f"f{i}.aud").write_text(text)
        whole = check_project(load_project(root))
        after = per_file(whole.diagnostics)
        given_keys = [f"audiences/f{i}.aud" for i in sorted(changed)]
        report = check_incremental(load_project(root), paths=given_keys)
        assert_exact(report, whole)
        assert set(given_keys) <= set(report.files)
        broken = {k for k, found in after.items() if k not in given_keys and k is not None
                  and {d.code for d in found} - {d.code for d in before.get(k, [])}}
        assert broken <= set(report.files), (broken, report.files)
        cached = check_incremental(load_project(root), paths=given_keys,
                                   cache=CheckCache(cache_dir, tool_digest()))
        assert_exact(cached, whole)
        # unchanged since: the name graph the cache stored answers (the 2nd time with its suspects),
        # as the files' facts do without it
        runs = [check_incremental(load_project(root), paths=given_keys, cache=CheckCache(cache_dir, tool_digest()))
                for _ in range(2)]
        no_graph = CheckCache(cache_dir, tool_digest())
        no_graph._graph = None
        assert runs[0] == runs[1] == check_incremental(load_project(root), paths=given_keys, cache=no_graph)
        assert_exact(runs[1], whole)
        again = check_incremental(load_project(root), cache=CheckCache(cache_dir, tool_digest()))
        assert again == check_incremental(load_project(root))
        assert again.diagnostics == whole.diagnostics and again.files == whole.files
        assert again.audiences == whole.audiences
        assert (cache_dir / ".gitignore").read_text().splitlines()[-1] == "*"
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _corrupt(folder: Path) -> None:
    for f in sorted((folder / "v1").rglob("*.json")):
        f.write_bytes(f.read_bytes()[: len(f.read_bytes()) // 2])


def test_a_corrupt_or_foreign_cache_is_ignored_and_rewritten(tmp_path: Path) -> None:
    files = [aud("include age > 1 and in audience b", "a"), aud("include age > 01", "b"),
             aud("include in audience gone", "c")]
    write_project(tmp_path, files, "")
    plain = check_incremental(load_project(tmp_path))
    folder = cache_folder(tmp_path)
    assert check_incremental(load_project(tmp_path), cache=CheckCache(folder, tool_digest())) == plain
    _corrupt(folder)
    assert check_incremental(load_project(tmp_path), cache=CheckCache(folder, tool_digest())) == plain
    assert check_incremental(load_project(tmp_path), cache=CheckCache(folder, tool_digest())) == plain
    for f in sorted((folder / "v1").rglob("*.json")):  # valid JSON, but nested past any parser's depth
        f.write_text("[" * 100_000 + "]" * 100_000)
    assert check_incremental(load_project(tmp_path), cache=CheckCache(folder, tool_digest())) == plain
    # another version's entries are never used
    assert check_incremental(load_project(tmp_path), cache=CheckCache(folder, "another build")) == plain
    # an edit made within the clock's resolution is seen (the content, not the time, decides)
    p = tmp_path / "audiences" / "f1.aud"
    st_before = p.stat()
    p.write_text(aud("include age > 2", "b"))
    os.utime(p, ns=(st_before.st_atime_ns, st_before.st_mtime_ns))
    edited = check_incremental(load_project(tmp_path), cache=CheckCache(folder, tool_digest()))
    assert edited == check_incremental(load_project(tmp_path))
    assert edited.diagnostics == check_project(load_project(tmp_path)).diagnostics


def test_the_library_writes_no_cache_unless_given_one(tmp_path: Path) -> None:
    write_project(tmp_path, [aud("include age > 1", "a")], "")
    check_project(load_project(tmp_path))
    check_incremental(load_project(tmp_path), paths=["audiences/f0.aud"])
    assert not (tmp_path / ".audiencelang_cache").exists()


def test_cli_check_caches_and_clean_removes_the_cache(tmp_path: Path) -> None:
    files = [aud("include age > 1", "a"), aud("include in audience a and country = \"DE\"", "b"),
             aud("include in audience b", "c")]
    write_project(tmp_path, files, "")
    runner = CliRunner()
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        no_cache = runner.invoke(main, ["check", "--no-cache", "--format", "json"])
        assert not (tmp_path / ".audiencelang_cache").exists()
        cold = runner.invoke(main, ["check", "--format", "json"])
        assert (tmp_path / ".audiencelang_cache" / ".gitignore").read_text().splitlines()[-1] == "*"
        warm = runner.invoke(main, ["check", "--format", "json"])
        assert no_cache.stdout == cold.stdout == warm.stdout
        time.sleep(0.01)
        (tmp_path / "audiences" / "f0.aud").write_text(aud("include age > 1", "renamed"))
        one = runner.invoke(main, ["check", "--format", "concise", "audiences/f0.aud"])
        assert one.exit_code == 1 and "audiences/f1.aud" in one.stdout and "E305" in one.stdout
        whole = runner.invoke(main, ["check", "--format", "concise", "--no-cache"])
        assert one.stdout == whole.stdout
        cleaned = runner.invoke(main, ["clean"])
        assert cleaned.exit_code == 0 and not (tmp_path / ".audiencelang_cache").exists()
        assert runner.invoke(main, ["clean"]).exit_code == 0  # nothing to remove: fine
    finally:
        os.chdir(old)


def test_market_files_read_from_the_cache_check_the_same(tmp_path: Path) -> None:
    """`check` keeps each market file's YAML as read (data and spans) in its cache and
    validates it as always: the same findings at the same places, from the cache as from
    the YAML; a changed market file is read again."""
    write_project(tmp_path, [aud("include age > 1", "a")], "")
    shutil.copytree(REPO / "examples" / "markets", tmp_path / "markets", dirs_exist_ok=True)
    bad = (REPO / "examples" / "markets" / "fr.yaml").read_text().replace("market: fr", "market: xx\nextra: 1.50", 1)
    (tmp_path / "markets" / "xx.yaml").write_text(bad)
    runner = CliRunner()
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        fresh = runner.invoke(main, ["check", "--no-cache", "--format", "json"])
        assert '"E205"' in fresh.stdout  # the unknown key, at its line
        runs = [runner.invoke(main, ["check", "--format", "json", "audiences/f0.aud"]) for _ in range(2)]
        assert (tmp_path / ".audiencelang_cache" / "v1" / "markets" / "documents.json").is_file()
        assert runs[0].stdout == runs[1].stdout == runner.invoke(
            main, ["check", "--no-cache", "--format", "json", "audiences/f0.aud"]).stdout
        assert '"E205"' in runs[1].stdout
        (tmp_path / "markets" / "xx.yaml").write_text(bad.replace("extra: 1.50", "extra2: 1.50"))
        edited = runner.invoke(main, ["check", "--format", "json", "audiences/f0.aud"])
        assert "extra2" in edited.stdout and edited.stdout == runner.invoke(
            main, ["check", "--no-cache", "--format", "json", "audiences/f0.aud"]).stdout
    finally:
        os.chdir(old)


def _many_files() -> list[str]:
    """Every kind of finding, also ones a file's parse worker computes (lint walk, market
    findings) next to ones that need every file (duplicates, cycles, unknown references, L009, L010)."""
    files = []
    for i in range(48):
        cond = CONDITIONS[i % len(CONDITIONS)]
        name = f"a{i}"
        if i % 6 == 1:
            files.append(aud(f"include {cond} and in audience a{i - 1}", name))
        elif i % 6 == 2:
            files.append(aud('include region = "x"\n  activate meta_ads', name))  # E401; region: aa only
        elif i % 6 == 3:
            files.append(aud(f"include {cond}\n  require consent sms\n  activate sms_push", name)
                         + "# audiencelang: ignore[L009]\n" + aud("include in audience gone", f"b{i}"))
        elif i % 6 == 4:
            files.append(aud("include age > 1 and in audience c" + str(i), f"c{i}")
                         + aud(f"include {cond} and in audience c{i}", f"c{i}"))  # a cycle, a duplicate
        elif i % 12 == 5:
            files.append("audience broken {\n  include age >\n}\n")
        else:
            files.append(aud(f"include {cond}\n  activate nowhere", "a0" if i == 11 else name, meta=i % 4 != 0))
    return files


def test_a_check_in_worker_processes_reports_what_one_process_reports(tmp_path: Path) -> None:
    """The command line parses a large project in worker processes, which also check each
    audience on its own and send back its facts: the report is that of a check in one process
    (`check_project`), cold, warm and without a cache, for every lint selection.

    It runs in a fresh interpreter: a process that already runs other threads (a test
    session that started Spark's gateway, a server) parses serially, by design."""
    import multiprocessing

    proc = multiprocessing.get_context("spawn").Process(target=_worker_check_equals_one_process,
                                                         args=(str(tmp_path),))
    proc.start()
    proc.join(600)
    if proc.is_alive():  # a hang is a failure, and leaves no process behind
        proc.kill()
        proc.join()
    assert proc.exitcode == 0, "the worker check differs from the one-process check (traceback above)"


def _worker_check_equals_one_process(where: str) -> None:
    import threading

    from audiencelang.process import options
    from audiencelang.syntax import parser

    assert threading.active_count() == 1
    tmp_path = Path(where)
    parser.PARALLEL_MIN_FILES = 2
    extras: list[object] = []
    real = parser.parse_files_with

    def spy(files: Any, extra: Any, **kw: Any) -> Any:
        got = real(files, extra, **kw)
        if extra is not None:
            extras.extend(more for _, more in got)
        return got

    parser.parse_files_with = spy  # type: ignore[assignment]
    for lint in LINTS:
        root = tmp_path / f"p{len(lint)}"
        write_project(root, _many_files(), lint)
        options.worker_processes = False
        want = check_project(load_project(root))
        options.worker_processes = True
        assert {"E305", "E306", "E307", "E401", "E402", "E101"} <= {d.code for d in want.diagnostics}
        assert any(d.market is not None for d in want.diagnostics)
        for cache in (None, CheckCache(root / "c", tool_digest()), CheckCache(root / "c", tool_digest())):
            extras.clear()
            got = check_incremental(load_project(root), cache=cache)
            assert got.diagnostics == want.diagnostics
            assert (got.files, got.audiences, got.markets) == (want.files, want.audiences, want.markets)
            if cache is None:  # the workers did check every file
                assert len(extras) == len(got.files) and all(x is not None for x in extras)
        assert check_incremental(load_project(root), markets=["bb"]).diagnostics == \
            check_project(load_project(root), markets=["bb"]).diagnostics
