"""The bodies of ``audiencelang diff`` and ``audiencelang graph`` (the click commands in
``audiencelang/cli.py`` call :func:`diff_command` and :func:`graph_command`).

Exit codes: ``diff`` 0 when it reported (changes are not findings), 1 when a database
statement failed for ``--db``, 2 usage (not a git repository E920, unknown revision
E921, no project, bad ``--as-of`` E903, ``--as-of`` without ``--db``);
``graph`` 0, 1 when references form a cycle (E307), 2 usage.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def _usage(code: str, message: str, hint: str | None = None) -> int:
    sys.stderr.write(f"error[{code}]: {message}\n")
    if hint:
        sys.stderr.write(f"  = hint: {hint}\n")
    return EXIT_USAGE


def _write(text: str, output: Path | None) -> int:
    if output is None:
        sys.stdout.write(text)
        return EXIT_OK
    import contextlib
    import os
    import tempfile

    path = output.absolute()
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        return _usage("E902", f"cannot write {output}: {exc.strerror or exc}")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        return _usage("E902", f"cannot write {output}: {exc.strerror or exc}")
    return EXIT_OK


def _project_root(project_dir: Path | None) -> Path | None:
    from audiencelang.project import find_project_root

    return find_project_root((project_dir or Path.cwd()).absolute())


def diff_command(base: str | None, head: str | None, *, project_dir: Path | None, fmt: str,
                 db: str | None, as_of: str | None, output: Path | None) -> int:
    from audiencelang.review.diff import diff_projects
    from audiencelang.review.render import render
    from audiencelang.review.revisions import GitError, open_version, repository_of

    root = _project_root(project_dir)
    if root is None:
        return _usage("E200", f"no audiencelang project found from {(project_dir or Path.cwd()).absolute()}",
                      "run diff inside a project (a folder with audiencelang.toml, or below one)")
    if as_of is not None and db is None:
        return _usage("E900", "--as-of needs --db (the reference time of the member counts)")
    pinned = None
    if as_of is not None:
        from audiencelang.run.execute import parse_as_of

        try:
            pinned = parse_as_of(as_of)
        except ValueError as exc:
            return _usage("E903", f"invalid --as-of: {exc}")
    try:
        repo = repository_of(root)
        old = open_version(root, base or "HEAD", repo)
        try:
            new = open_version(root, head, repo)
        except BaseException:
            old.close()
            raise
    except GitError as exc:
        return _usage(exc.code, str(exc), exc.hint)
    with old, new:
        diff = diff_projects(old.project, new.project, base=old.label, head=new.label)
        status = EXIT_OK
        if db is not None:
            from audiencelang.review.impact import add_impact
            from audiencelang.run.engines import RunError, connect

            try:
                engine = connect(db, project_root=root)
            except RunError as exc:
                d = exc.diagnostic
                sys.stderr.write(f"error[{d.code}]: {d.message}\n")
                return EXIT_FINDINGS
            with engine:
                when = pinned if pinned is not None else engine.now()
                add_impact(diff, old.project, new.project, engine, when)
            if any(i.error for a in diff.audiences for i in a.impact):
                status = EXIT_FINDINGS
        written = _write(render(diff, fmt), output)
        return written or status


def graph_command(*, project_dir: Path | None, fmt: str, output: Path | None) -> int:
    from audiencelang.project import load_project
    from audiencelang.review.graph import build_graph, render_graph

    root = _project_root(project_dir)
    if root is None:
        return _usage("E200", f"no audiencelang project found from {(project_dir or Path.cwd()).absolute()}",
                      "run graph inside a project (a folder with audiencelang.toml, or below one)")
    project = load_project(root)
    graph = build_graph(project)
    for c in graph.cycles:
        sys.stderr.write(f"error[E307]: audiences refer to each other in a cycle: {' -> '.join(c)}\n")
    written = _write(render_graph(graph, fmt), output)
    return written or (EXIT_FINDINGS if graph.cycles else EXIT_OK)


def explain_command(audience: str, *, market: str | None, profile: str, db: str | None, as_of: str | None,
                    project_dir: Path | None, fmt: str) -> int:
    """``audiencelang explain``: exit 0 explained (member or not), 1 the audience does not
    check in the market, no such profile (E640), a value that does not fit the market
    schema (E641) or a database error (E6xx), 2 usage."""
    import json

    from audiencelang.check import check_audience
    from audiencelang.diagnostics import did_you_mean
    from audiencelang.project import load_project
    from audiencelang.review.explain import ExplainError, as_json, explain_profile, render_text
    from audiencelang.run.engines import RunError
    from audiencelang.run.execute import parse_as_of
    from audiencelang.run.warehouse import market_engine

    pinned = None
    if as_of is not None:
        try:
            pinned = parse_as_of(as_of)
        except ValueError as exc:
            return _usage("E903", f"invalid --as-of: {exc}")
    root = _project_root(project_dir)
    if root is None:
        return _usage("E200", f"no audiencelang project found from {(project_dir or Path.cwd()).absolute()}",
                      "run explain inside a project (a folder with audiencelang.toml, or below one)")
    project = load_project(root)
    if market is None:
        if len(project.markets) != 1:
            return _usage("E910", "which market? give --market M",
                          f"markets of this project: {', '.join(sorted(project.markets)) or 'none'}")
        market = next(iter(project.markets))
    elif market not in project.markets:
        return _usage("E910", f"unknown market '{market}'", *did_you_mean(market, list(project.markets))[:1])
    if audience not in project.audiences():
        return _usage("E610", f"unknown audience '{audience}'",
                      *did_you_mean(audience, list(project.audiences()))[:1])
    checked, diags = check_audience(project, audience, market)
    if checked is None:
        from audiencelang.report import render_text as render_diags

        sys.stderr.write(render_diags([d for d in diags if d.is_error]))
        return EXIT_FINDINGS
    opened = market_engine(project.markets[market], db=db, project_root=root)  # --db, else the market's warehouse
    if opened.engine is None:
        from audiencelang.report import render_text as render_diags

        sys.stderr.write(render_diags(list(opened.diagnostics)))
        return EXIT_FINDINGS
    try:
        with opened.engine as engine:
            when = pinned if pinned is not None else engine.now()
            result = explain_profile(checked, engine, profile, when)
    except (RunError, ExplainError) as exc:
        d = exc.diagnostic
        sys.stderr.write(f"error[{d.code}]: {d.message}\n" + "".join(f"  = hint: {h}\n" for h in d.hints))
        return EXIT_FINDINGS
    if fmt == "json":
        sys.stdout.write(json.dumps(as_json(result), indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(render_text(result))
    return EXIT_OK


def docs_command(*, project_dir: Path | None, out: Path, db: str | None = None) -> int:
    """``audiencelang docs --out DIR [--db URL]``: exit 0 written, 1 the database could not be
    read (nothing written), 2 usage (no project, E904 a folder it must not replace, E902 the
    file system refused). ``db``: read the recorded deliveries from the state tables
    (``[state] schema``; read-only, nothing is created) and show them on the pages."""
    from audiencelang.project import load_project
    from audiencelang.review.catalogue import OutputRefused, build_catalogue, write_catalogue

    root = _project_root(project_dir)
    if root is None:
        return _usage("E200", f"no audiencelang project found from {(project_dir or Path.cwd()).absolute()}",
                      "run docs inside a project (a folder with audiencelang.toml, or below one)")
    project = load_project(root)
    deliveries = None
    if db is not None:
        from audiencelang.run.engines import RunError

        try:
            deliveries = recorded_deliveries(project, db)
        except RunError as exc:
            d = exc.diagnostic
            sys.stderr.write(f"error[{d.code}]: {d.message}\n" + "".join(f"  = hint: {h}\n" for h in d.hints))
            return EXIT_FINDINGS
    files = build_catalogue(project, deliveries)
    try:
        write_catalogue(project, files, out)
    except OutputRefused as exc:
        return _usage("E904", str(exc), exc.hint)
    except OSError as exc:
        return _usage("E902", f"cannot write {out}: {exc.strerror or exc}")
    shown = ""
    if deliveries is not None:
        n = sum(map(len, deliveries.values()))
        shown = f", {n} recorded deliver{'y' if n == 1 else 'ies'}"
    sys.stderr.write(f"wrote a catalogue of {len(files) - 1} audience(s){shown} to {out} "
                     f"(open {out / 'index.html'})\n")
    return EXIT_OK


def recorded_deliveries(project: Any, db: str) -> dict[str, list[Any]]:
    """Audience name -> its recorded deliveries (:class:`audiencelang.review.catalogue.Delivery`:
    the deliverable list's size, which the gate counts, and the gate's minimum), read with
    :func:`audiencelang.deliver.history` on a read-only connection (run's). Raises ``RunError``."""
    from audiencelang.deliver import history
    from audiencelang.review.catalogue import Delivery
    from audiencelang.run.engines import connect

    out: dict[str, list[Any]] = {}
    with connect(db, project_root=project.root) as engine:
        rows = history(project, engine=engine)
    for r in reversed(rows):  # oldest first
        out.setdefault(r.audience, []).append(Delivery(r.as_of, r.market, r.destination, r.deliverable, r.min_size))
    return out
