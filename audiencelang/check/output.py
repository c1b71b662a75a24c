"""Machine-readable renderings of a :class:`~audiencelang.check.CheckReport`:
``json`` (versioned, documented in docs/checks.md), ``github`` workflow
annotations, ``sarif`` 2.1.0 and ``junit`` XML. Text formats live in
:mod:`audiencelang.report`. Every function returns a string; same input, same
bytes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

from audiencelang.__about__ import __version__
from audiencelang.check import _SEVERITY_RANK, CheckReport
from audiencelang.check.rules import RULES, docs_url
from audiencelang.diagnostics import Diagnostic, Severity
from audiencelang.report import render_concise, render_text

__all__ = ["FORMATS", "JSON_VERSION", "render", "render_github", "render_json", "render_junit", "render_sarif"]

JSON_VERSION = 1
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _rule_name(code: str) -> str | None:
    r = RULES.get(code)
    return r.name if r else None


def diagnostic_json(d: Diagnostic) -> dict[str, object]:
    s = d.span
    return {
        "code": d.code,
        "rule": _rule_name(d.code),
        "severity": d.severity.value,
        "message": d.message,
        "path": s.path if s else None,
        "line": s.line if s else None,
        "column": s.column if s else None,
        "end_line": s.end_line if s else None,
        "end_column": s.end_column if s else None,
        "market": d.market,
        "audience": d.audience,
        "hints": list(d.hints),
        "url": docs_url(d.code),
    }


def render_json(report: CheckReport) -> str:
    doc = {
        "version": JSON_VERSION,
        "tool": {"name": "audiencelang", "version": __version__},
        "diagnostics": [diagnostic_json(d) for d in report.diagnostics],
        "summary": {**report.summary(), "market_names": list(report.markets)},
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------------- github


def _gh_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(s: str) -> str:
    return _gh_data(s).replace(":", "%3A").replace(",", "%2C")


_GH_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def render_github(report: CheckReport) -> str:
    """GitHub Actions workflow commands (one annotation per diagnostic), then the full text report."""
    out: list[str] = []
    for d in report.diagnostics:
        props: list[str] = []
        s = d.span
        if s is not None and s.path:
            props.append(f"file={_gh_prop(s.path)}")
            props.append(f"line={s.line}")
            props.append(f"col={s.column}")
            if s.end_line:
                props.append(f"endLine={s.end_line}")
            if s.end_line == s.line and s.end_column:
                props.append(f"endColumn={s.end_column}")
        market = f" [{d.market}]" if d.market else ""
        props.append(f"title={_gh_prop(d.code + market)}")
        msg = d.message + "".join(f"\nhint: {h}" for h in d.hints)
        out.append(f"::{_GH_LEVEL[d.severity]} {','.join(props)}::{_gh_data(msg)}\n")
    return "".join(out) + render_full(report)


# ---------------------------------------------------------------------- sarif

_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def render_sarif(report: CheckReport) -> str:
    """SARIF 2.1.0: one run, the full rule table (stable ids = codes), one result per diagnostic."""
    codes = sorted(set(RULES) | {d.code for d in report.diagnostics})
    index = {c: i for i, c in enumerate(codes)}
    rules: list[dict[str, object]] = []
    for c in codes:
        r = RULES.get(c)
        entry: dict[str, object] = {"id": c, "helpUri": docs_url(c)}
        if r is not None:
            entry.update({
                "name": r.name,
                "shortDescription": {"text": r.summary},
                "fullDescription": {"text": r.explanation},
                "defaultConfiguration": {"level": _SARIF_LEVEL[r.severity]},
                "help": {"text": f"{r.explanation}\n\nBad:\n{r.bad}\n\nGood:\n{r.good}"},
            })
        else:
            entry["shortDescription"] = {"text": f"{c} (see the documentation)"}
        rules.append(entry)
    results: list[dict[str, object]] = []
    for d in report.diagnostics:
        res: dict[str, object] = {
            "ruleId": d.code,
            "ruleIndex": index[d.code],
            "level": _SARIF_LEVEL[d.severity],
            "message": {"text": d.message + "".join(f"\nhint: {h}" for h in d.hints)},
        }
        props = {k: v for k, v in (("market", d.market), ("audience", d.audience)) if v is not None}
        if props:
            res["properties"] = props
        s = d.span
        if s is not None and s.path:
            region: dict[str, int] = {"startLine": max(1, s.line), "startColumn": max(1, s.column)}
            if s.end_line >= s.line:
                region["endLine"] = s.end_line
                if s.end_line > s.line or s.end_column > s.column:
                    region["endColumn"] = s.end_column
            res["locations"] = [{"physicalLocation": {
                "artifactLocation": {"uri": s.path.replace("\\", "/")},
                "region": region,
            }}]
        results.append(res)
    doc = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "audiencelang",
                "version": __version__,
                "informationUri": docs_url("L000").split("#")[0].rsplit("/", 1)[0] + "/checks.md",
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
            "properties": {"markets": list(report.markets)},
        }],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------------- junit


def render_junit(report: CheckReport, fail_on: Severity | str = Severity.WARNING) -> str:
    """JUnit XML: one testsuite per market, one testcase per audience in it; a testcase
    fails with every diagnostic of that audience for that market (market-independent ones
    count for every market) that fails ``check`` (severity at least ``fail_on``, as the exit
    code); the others are listed in the testcase's ``<system-out>``. Diagnostics tied to no
    audience (config, market files, syntax) go to a ``project`` testcase."""
    from xml.sax.saxutils import escape, quoteattr  # (imports urllib, http, ssl: junit only)

    level = _SEVERITY_RANK[Severity(fail_on)]
    by_aud: dict[tuple[str, str], list[Diagnostic]] = {}
    loose: list[Diagnostic] = []
    for d in report.diagnostics:
        path = d.span.path if d.span else None
        if d.audience is not None and path is not None:
            by_aud.setdefault((path, d.audience), []).append(d)
        else:
            loose.append(d)
    suites: list[str] = []
    total_tests = total_fail = 0

    def failing(diags: list[Diagnostic]) -> list[Diagnostic]:
        return [x for x in diags if _SEVERITY_RANK[x.severity] >= level]

    def lines(diags: list[Diagnostic]) -> str:
        return escape("".join(
            f"{x.severity.value}[{x.code}]{' [market ' + x.market + ']' if x.market else ''} "
            f"{x.span.path if x.span else '<project>'}:{x.span.line if x.span else 0}:"
            f"{x.span.column if x.span else 0}: {x.message}\n" for x in diags))

    def case(name: str, classname: str, diags: list[Diagnostic]) -> str:
        if not diags:
            return f"    <testcase name={quoteattr(name)} classname={quoteattr(classname)}/>\n"
        fails = failing(diags)
        rest = [x for x in diags if x not in fails]
        body = ""
        if fails:
            first = fails[0]
            body += (f"      <failure type={quoteattr(first.code)} message={quoteattr(first.message)}>"
                     f"{lines(fails)}</failure>\n")
        if rest:
            body += f"      <system-out>{lines(rest)}</system-out>\n"
        return (f"    <testcase name={quoteattr(name)} classname={quoteattr(classname)}>\n"
                f"{body}    </testcase>\n")

    for market in report.markets:
        cases: list[str] = []
        fails = 0
        for key, aud in report.audiences:
            diags = [d for d in by_aud.get((key, aud), []) if d.market in (None, market)]
            fails += bool(failing(diags))
            cases.append(case(aud, f"{market}.{key}", diags))
        total_tests += len(cases)
        total_fail += fails
        suites.append(f"  <testsuite name={quoteattr('audiencelang check: market ' + market)} "
                      f"tests=\"{len(cases)}\" failures=\"{fails}\" errors=\"0\" skipped=\"0\">\n"
                      + "".join(cases) + "  </testsuite>\n")
    # project-level findings, and audience findings when no market exists
    if not report.markets:
        loose = list(report.diagnostics)
    total_tests += 1
    total_fail += bool(failing(loose))
    suites.append(f"  <testsuite name=\"audiencelang check: project\" tests=\"1\" "
                  f"failures=\"{int(bool(failing(loose)))}\" "
                  f"errors=\"0\" skipped=\"0\">\n" + case("project", "project", loose) + "  </testsuite>\n")
    return (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"audiencelang\" tests=\"{total_tests}\" "
            f"failures=\"{total_fail}\" errors=\"0\">\n" + "".join(suites) + "</testsuites>\n")


# ---------------------------------------------------------------------- text


def _summary_line(report: CheckReport) -> str:
    n = len(report.diagnostics)
    if n == 0:
        a, f, m = len(report.audiences), len(report.files), len(report.markets)
        return (f"All checks passed ({a} audience{'s' * (a != 1)} in {f} file{'s' * (f != 1)}, "
                f"{m} market{'s' * (m != 1)}).\n")
    parts = [f"{report.errors} error{'s' * (report.errors != 1)}",
             f"{report.warnings} warning{'s' * (report.warnings != 1)}"]
    if report.infos:
        parts.append(f"{report.infos} info")
    return f"Found {n} finding{'s' * (n != 1)} ({', '.join(parts)}).\n"


def render_full(report: CheckReport, sources: Mapping[str, str] | None = None) -> str:
    return render_text(report.diagnostics, sources) + _summary_line(report)


def render_concise_report(report: CheckReport) -> str:
    return render_concise(report.diagnostics) + _summary_line(report)


FORMATS: dict[str, Callable[[CheckReport], str]] = {
    "full": render_full,
    "concise": render_concise_report,
    "json": render_json,
    "github": render_github,
    "sarif": render_sarif,
    "junit": render_junit,
}


def render(report: CheckReport, fmt: str, fail_on: Severity | str = Severity.WARNING) -> str:
    """Render ``report`` in one of :data:`FORMATS` (``text`` is an alias of ``full``);
    ``fail_on`` is the ``--fail-on`` level (JUnit fails a test case only for what fails ``check``)."""
    if fmt == "junit":
        return render_junit(report, fail_on)
    return FORMATS["full" if fmt == "text" else fmt](report)
