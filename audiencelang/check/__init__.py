"""Checking: name resolution, types, activation policy and lint rules -> diagnostics.

Library API (nothing here prints, exits or reads the working directory)::

    from audiencelang.project import load_project
    from audiencelang.check import check_project, check_audience

    report = check_project(load_project("path/to/project"))
    report.diagnostics        # sorted, deterministic
    checked, diags = check_audience(project, "cart_abandoners", "de")

Every audience is checked against every market. Market-specific findings carry
``Diagnostic.market``; when every checked market reports the same finding at the
same place, it is reported once with ``market=None``.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from audiencelang import ast
from audiencelang.arguments import returns_diagnostics
from audiencelang.check.checked import CheckedAudience
from audiencelang.check.dependents import with_dependents
from audiencelang.check.lint import (
    AudienceFacts,
    LintFilter,
    Suppression,
    audience_facts,
    parse_suppressions,
)
from audiencelang.check.project_rules import audience_findings, unused_destinations
from audiencelang.check.resolve import Finding, MarketIndex, check_in_market
from audiencelang.check.rules import RULES, Rule, get_rule
from audiencelang.diagnostics import Diagnostic, Severity, Span, did_you_mean, error
from audiencelang.gcpause import paused_gc
from audiencelang.safematch import Pattern, PatternError, compile_regex

if TYPE_CHECKING:
    from audiencelang.project import Project

__all__ = ["RULES", "CheckReport", "CheckedAudience", "Rule", "check_audience", "check_project", "get_rule"]

#: How many levels of ``in audience`` references an audience may stand on (E308).
MAX_REFERENCE_DEPTH = 100
_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}


def _sort_key(d: Diagnostic) -> tuple[str, int, int, str, str, str]:
    return (*d.sort_key(), d.message)


@dataclass(frozen=True)
class CheckReport:
    """The result of :func:`check_project`.

    ``diagnostics`` is sorted by file, line, column, market, code, message. ``files``
    are the audience files reported on (keys relative to the project root),
    ``audiences`` the ``(file key, audience name)`` pairs checked, ``markets`` the
    markets checked against."""

    diagnostics: tuple[Diagnostic, ...]
    files: tuple[str, ...] = ()
    audiences: tuple[tuple[str, str], ...] = ()
    markets: tuple[str, ...] = ()

    def count(self, severity: Severity) -> int:
        return sum(1 for d in self.diagnostics if d.severity is severity)

    @property
    def errors(self) -> int:
        return self.count(Severity.ERROR)

    @property
    def warnings(self) -> int:
        return self.count(Severity.WARNING)

    @property
    def infos(self) -> int:
        return self.count(Severity.INFO)

    def fails(self, fail_on: Severity | str = Severity.WARNING) -> bool:
        """True when some diagnostic is at least as severe as ``fail_on``."""
        level = _SEVERITY_RANK[Severity(fail_on)]
        return any(_SEVERITY_RANK[d.severity] >= level for d in self.diagnostics)

    def summary(self) -> dict[str, int]:
        return {
            "errors": self.errors, "warnings": self.warnings, "infos": self.infos,
            "files": len(self.files), "audiences": len(self.audiences), "markets": len(self.markets),
        }


@dataclass
class _Def:
    key: str
    aud: ast.Audience
    facts: AudienceFacts | None = None
    own: list[Diagnostic] = field(default_factory=list)  # market-independent, before config


class CheckContext:
    """What checking one audience on its own needs of the project: the lint settings and
    patterns, each market's index and the destinations' identifiers (no audience file).

    Built before the files are parsed, it lets the parse workers check each audience they
    parse (:func:`check_alone`) so the whole-project pass only adds what needs every file."""

    def __init__(self, project: Project) -> None:
        self.config = project.config
        self.config_broken = project.config_failed
        self.lint = project.config.lint
        self.indexes = {name: MarketIndex.of(m) for name, m in sorted(project.markets.items())}
        self.dest_ident: dict[str, list[str | None]] = {
            d: [c.identifier] for d, c in self.config.destinations.items()
        }
        try:  # RE2: linear-time matching whatever the pattern (audiencelang.safematch)
            self.naming: Pattern | None = compile_regex(self.lint.naming)
        except PatternError:
            self.naming = None
        try:
            self.owner_re: Pattern | None = (
                compile_regex(self.lint.owner_pattern) if self.lint.owner_pattern is not None else None)
        except PatternError:
            self.owner_re = None


#: One audience checked on its own: its market-independent walk and its findings in each
#: market checked (:func:`check_alone`).
Alone = tuple[AudienceFacts, dict[str, list[Finding]]]


def check_alone(aud: ast.Audience, ctx: CheckContext, markets: Iterable[str]) -> Alone:
    """What :class:`_Checker` computes for one audience without looking at other files."""
    return (audience_facts(aud, ctx.lint, ctx.naming, ctx.owner_re),
            {m: check_in_market(aud, ctx.indexes[m], ctx.dest_ident) for m in markets})


class _Checker:
    """Everything derived from one project, computed once and cached."""

    def __init__(self, project: Project) -> None:
        self.project = project
        ctx = project.check_context()
        if ctx is None:
            ctx = CheckContext(project)
        self.config = ctx.config
        self.config_broken = ctx.config_broken
        self.lint = ctx.lint
        self.indexes = ctx.indexes
        self.dest_ident = ctx.dest_ident
        self.naming = ctx.naming
        self.owner_re = ctx.owner_re
        alone = project.checked_alone()
        self.defs: dict[str, _Def] = {}
        self.all: list[_Def] = []
        self.by_file: dict[str, list[_Def]] = {}
        for key, f in project.files.items():
            for aud in f.audiences:
                d = _Def(key, aud)
                self.all.append(d)
                self.by_file.setdefault(key, []).append(d)
                first = self.defs.get(aud.name.value)
                if first is None:
                    self.defs[aud.name.value] = d
                elif first.key != key:  # E112 covers duplicates inside one file
                    s = first.aud.name.span
                    d.own.append(error("E306", f"audience '{aud.name.value}' is already defined in {first.key}",
                                       aud.name.span, f"first defined at {first.key}:{s.line}:{s.column}",
                                       "audience names are unique across the project: rename one",
                                       audience=aud.name.value))
        self._analysed = False
        self._lock = threading.Lock()
        self._market_cache: dict[tuple[int, str], list[Finding]] = {}
        self._alone: dict[int, AudienceFacts] = {}
        if alone:  # checked by the parse workers (check_alone, with this context)
            for d in self.all:
                got = alone.get(id(d.aud))
                if got is not None:
                    self._alone[id(d.aud)] = got[0]
                    for m, found in got[1].items():
                        self._market_cache[(id(d.aud), m)] = found
        self._suppressions: dict[str, list[Suppression]] = {}

    # ------------------------------------------------------------------ market-independent

    def analyse(self) -> None:
        """Walk every audience once (references are needed for cycles), then resolve references."""
        if self._analysed:
            return
        with self._lock:  # threads checking one project share this checker (docs/api.md)
            if not self._analysed:
                self._analyse()
                self._analysed = True

    def _analyse(self) -> None:
        unknown: dict[str, tuple[str, ...]] = {}
        for d in self.all:
            got = self._alone.get(id(d.aud))
            d.facts = got if got is not None else audience_facts(d.aud, self.lint, self.naming, self.owner_re)
            d.own.extend(d.facts.diagnostics)
            self._activation(d)
            for ref in d.facts.refs:
                if ref.value not in self.defs:
                    hints = unknown.get(ref.value)
                    if hints is None:  # once per name: many files may refer to one missing audience
                        hints = unknown[ref.value] = self.project.audience_hints(ref.value)
                    d.own.append(error("E305", f"unknown audience '{ref.value}'", ref.span, *hints,
                                       audience=d.aud.name.value))
        self._cycles()
        found = audience_findings([(d.key, d.aud, [r.value for r in d.facts.refs] if d.facts is not None else [])
                                   for d in self.all], self.project.membership_keys())
        for d in self.all:
            d.own.extend(found.get(id(d.aud), ()))
        self._depths()

    def _activation(self, d: _Def) -> None:
        if self.config_broken:
            return  # destinations are unknown, not wrong: the config's own error says why
        required = set(d.aud.required_purposes)
        name = d.aud.name.value
        for act in d.aud.activate:
            dest = self.config.destinations.get(act.destination.value)
            if dest is None:
                hints = did_you_mean(act.destination.value, self.config.destinations.keys() | set()) or (
                    f"define it under [destinations.{act.destination.value}] in the project config",)
                d.own.append(error("E402", f"unknown destination '{act.destination.value}'", act.destination.span,
                                   *hints, audience=name))
                continue
            for p in dest.consent:
                if p not in required:
                    d.own.append(error(
                        "E401",
                        f"destination '{act.destination.value}' requires consent purpose '{p}', "
                        f"but audience '{name}' does not 'require consent {p}'",
                        act.span, f"add the line:  require consent {p}",
                        "every member delivered to a destination must hold the purposes it requires (spec §4)",
                        audience=name))

    def _cycles(self) -> None:
        graph: dict[str, list[str]] = {}
        for n, d in self.defs.items():
            assert d.facts is not None
            graph[n] = [r.value for r in d.facts.refs if r.value in self.defs]
        for scc in _sccs(graph):
            members = set(scc)
            if len(scc) == 1 and scc[0] not in graph[scc[0]]:
                continue
            for start in sorted(members):
                path = _cycle_from(start, graph, members)
                d = self.defs[start]
                assert d.facts is not None
                ref = next(r for r in d.facts.refs if r.value == path[1])
                cycle = " -> ".join(path)
                d.own.append(error("E307", f"audience '{start}' refers to itself through a cycle: {cycle}", ref.span,
                                   "break the cycle: an audience cannot (indirectly) contain itself",
                                   audience=start))

    def _depths(self) -> None:
        """E308 for every audience that stands on more than MAX_REFERENCE_DEPTH levels of
        ``in audience`` references (iteratively: chains are as long as a project makes them)."""
        depth: dict[str, int] = {}
        for root in self.defs:
            stack = [root]
            on_stack = {root}
            while stack:
                n = stack[-1]
                facts = self.defs[n].facts
                assert facts is not None
                refs = [r.value for r in facts.refs if r.value in self.defs]
                todo = [r for r in dict.fromkeys(refs) if r not in depth and r not in on_stack]
                if todo:
                    stack.extend(todo)
                    on_stack.update(todo)
                    continue
                # a reference back onto the stack is a cycle (E307): it counts as 0 here
                depth[n] = 1 + max((depth.get(r, -1) for r in refs), default=-1)
                stack.pop()
                on_stack.discard(n)
        for n, d in self.defs.items():
            if depth[n] > MAX_REFERENCE_DEPTH:
                assert d.facts is not None
                deepest = max((r for r in d.facts.refs if r.value in depth), key=lambda r: depth[r.value])
                d.own.append(error(
                    "E308", f"audience '{n}' stands on {depth[n]} levels of 'in audience' references; "
                            f"the limit is {MAX_REFERENCE_DEPTH}",
                    deepest.span,
                    "every level is one more step of the compiled SQL statement, which grows with the "
                    "square of the depth",
                    "refer to audiences that are not built on long chains: write the conditions of "
                    "some levels into one audience", audience=n))

    # ------------------------------------------------------------------ per market

    def findings(self, d: _Def, market: str) -> list[Finding]:
        k = (id(d.aud), market)
        got = self._market_cache.get(k)
        if got is None:
            got = check_in_market(d.aud, self.indexes[market], self.dest_ident)
            self._market_cache[k] = got
        return got

    def diagnostics_of(self, d: _Def, markets: Sequence[str]) -> list[Diagnostic]:
        """Market-independent plus market-specific diagnostics of one audience (before config)."""
        self.analyse()
        out = list(d.own)
        name = d.aud.name.value
        groups: dict[tuple[str, Span | None, str], list[tuple[str, Finding]]] = {}
        for m in markets:
            for f in self.findings(d, m):
                groups.setdefault((f.code, f.span, f.every), []).append((m, f))
        for (_code, _span, _every), found in groups.items():
            if len(markets) > 1 and len({m for m, _ in found}) == len(markets):
                f = found[0][1]
                out.append(Diagnostic(code=f.code, severity=f.severity, message=f.every, span=f.span,
                                      hints=f.hints, audience=name))
            else:
                for m, f in found:
                    out.append(Diagnostic(code=f.code, severity=f.severity, message=f.message, span=f.span,
                                          hints=f.hints, market=m, audience=name))
        return out

    # ------------------------------------------------------------------ config and suppression

    def suppressions(self, key: str) -> list[Suppression]:
        got = self._suppressions.get(key)
        if got is None:
            f = self.project.files.get(key)
            got = parse_suppressions(f) if f is not None else []
            self._suppressions[key] = got
        return got

    def finish(self, key: str, diags: Iterable[Diagnostic], *, unused: bool, all_markets: bool) -> list[Diagnostic]:
        """Apply ``[lint]`` selection, severities and suppression comments to a file's diagnostics;
        with ``unused``, add L000 for suppressions that silenced nothing."""
        flt = LintFilter.for_file(self.lint, key)
        sup = self.suppressions(key)
        for s in sup:
            s.used.clear()
        out: list[Diagnostic] = []
        for d in diags:
            if d.code.startswith("L"):
                if not flt.enabled(d.code):
                    continue
                hits = [s for s in sup if s.covers(d)]
                if hits:
                    for s in hits:
                        s.used.add(d.code)
                    continue
                sev = flt.severity(d.code, d.severity)
                if sev is not d.severity:
                    d = d.model_copy(update={"severity": sev})
            out.append(d)
        if unused and flt.enabled("L000"):
            for s in sup:
                for code in s.codes:
                    if code in s.used:
                        continue
                    rule = RULES.get(code)
                    if rule is None:
                        msg = f"suppression names '{code}', which is not a rule code"
                        hint = "run 'audiencelang rule --all' for the list of lint rules"
                    elif not rule.is_lint:
                        msg = f"'{code}' is an error and cannot be suppressed"
                        hint = "fix the error; only lint rules (L-codes) can be suppressed"
                    elif not flt.enabled(code) or (code == "L005" and not all_markets):
                        continue
                    else:
                        msg = f"unused suppression: no {code} ({rule.name}) finding in {s.where}"
                        hint = "remove the code from the comment"
                    out.append(Diagnostic(code="L000", severity=flt.severity("L000", Severity.WARNING),
                                          message=msg, span=s.comment.span, hints=(hint,)))
        return out


def _sccs(graph: dict[str, list[str]]) -> list[list[str]]:
    """Strongly connected components (iterative Tarjan), in a deterministic order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            v, i = work.pop()
            if i == 0:
                index[v] = low[v] = counter
                counter += 1
                stack.append(v)
                on.add(v)
            succ = graph[v]
            if i < len(succ):
                work.append((v, i + 1))
                w = succ[i]
                if w not in index:
                    work.append((w, 0))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                out.append(sorted(comp))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])
    return out


def _cycle_from(start: str, graph: dict[str, list[str]], members: set[str]) -> list[str]:
    """The shortest cycle ``start -> ... -> start`` inside one component (BFS)."""
    prev: dict[str, str] = {}
    queue = [start]
    seen = {start}
    while queue:
        nxt: list[str] = []
        for v in queue:
            for w in graph[v]:
                if w == start:
                    path = [v]
                    while path[-1] != start:
                        path.append(prev[path[-1]])
                    return [*reversed(path), start]
                if w in members and w not in seen:
                    seen.add(w)
                    prev[w] = v
                    nxt.append(w)
        queue = nxt
    return [start, start]  # unreachable for a real cycle


_CHECKERS: weakref.WeakKeyDictionary[Project, _Checker] = weakref.WeakKeyDictionary()


_CHECKERS_LOCK = threading.Lock()


def _checker(project: Project) -> _Checker:
    got = _CHECKERS.get(project)
    if got is None:
        with _CHECKERS_LOCK:  # one checker per project, also when threads ask at once
            got = _CHECKERS.get(project)
            if got is None:
                got = _Checker(project)
                _CHECKERS[project] = got
    return got


def _unknown_market(name: str, known: Iterable[str]) -> Diagnostic:
    known_set = set(known)
    hints = did_you_mean(name, known_set) or ("the project defines no market",)
    return error("E910", f"unknown market '{name}'", None, *hints, market=name)


@returns_diagnostics(lambda d, _: CheckReport(diagnostics=(d,)))
def check_project(project: Project, *, paths: Iterable[str | Path] | None = None,
                  markets: Iterable[str] | None = None) -> CheckReport:
    """Check every audience of ``project`` (or those in ``paths``) against every market (or
    ``markets``), lint them, and return the sorted diagnostics with the project's own loading
    diagnostics (config, market files, syntax) for the reported files.

    ``paths`` are file keys or paths (absolute, or relative to the project root); folders
    select every audience file below them. Default: :attr:`Project.targets`. The files of
    audiences that the selected files can break are checked too
    (:func:`audiencelang.check.dependents.with_dependents`): for every file it reports, the
    report holds exactly what a check of the whole project reports."""
    # The walk allocates many small objects but no garbage cycles; with a large project
    # loaded, generational collections would rescan every AST node again and again.
    with paused_gc():
        return _check_project(project, paths, markets)


def _check_project(project: Project, paths: Iterable[str | Path] | None,
                   markets: Iterable[str] | None, *, reported: Sequence[str] | None = None,
                   whole: bool | None = None) -> CheckReport:
    """``reported``: exactly these file keys (no dependents added; the incremental check
    chose them); ``whole``: whether the config's project-level findings are reported
    (default: when every file of ``project`` is)."""
    ch = _checker(project)
    diags: list[Diagnostic] = []
    if markets is None:
        chosen = list(ch.indexes)
    else:
        chosen = []
        for m in markets:
            if m in ch.indexes:
                if m not in chosen:
                    chosen.append(m)
            else:
                diags.append(_unknown_market(m, ch.indexes))
        chosen.sort()
    all_markets = len(chosen) == len(ch.indexes)
    targets = _select(project, paths) if reported is None else list(reported)
    if reported is None and len(targets) < len(project.files):  # what a change to these files can break elsewhere
        ch.analyse()
        suspects = {d.aud.name.value for d in ch.all
                    if any(x.code in _CROSS_FILE and LintFilter.for_file(ch.lint, d.key).enabled(x.code)
                           for x in d.own)}
        targets = with_dependents(targets, [(d.key, d.aud, d.facts.refs if d.facts else ()) for d in ch.all],
                                  ch.defs, suspects)
    target_set = set(targets)
    for d in project.diagnostics:
        p = d.span.path if d.span is not None else None
        if p is not None and p.endswith(".aud") and p not in target_set:
            continue
        diags.append(d)
    checked: list[tuple[str, str]] = []
    for key in targets:
        found: list[Diagnostic] = []
        for entry in ch.by_file.get(key, ()):
            checked.append((key, entry.aud.name.value))
            found.extend(ch.diagnostics_of(entry, chosen))
        diags.extend(ch.finish(key, found, unused=True, all_markets=all_markets))
    # project-level findings of the config: when the whole project is reported on
    if whole is None:
        whole = target_set >= set(ch.by_file)
    if project.config_path is not None and not ch.config_broken and whole:
        config_key = project.key_of(project.config_path)
        unused = unused_destinations(ch.config, (d.aud for d in ch.all))
        diags.extend(ch.finish(config_key, unused, unused=False, all_markets=all_markets))
        diags.extend(_suppression_findings(ch, chosen))
    elif project.config_path is not None and not ch.config_broken:
        # `check FILE`: the config's findings about a suppression audience defined in one of
        # the files, or referencing one (E406, E407): a change there is what breaks it
        ch.analyse()
        names = {n for dest in ch.config.destinations for n in ch.config.suppression_of(dest)}
        affected = {n for n in names if n in ch.defs
                    and any(dep.key in target_set for dep in _closure(ch, [ch.defs[n]]))}
        if affected:
            diags.extend(_suppression_findings(ch, chosen, only=affected))
    diags.sort(key=_sort_key)
    return CheckReport(tuple(diags), tuple(targets), tuple(checked), tuple(chosen))


#: Errors a change in another file can cause: a duplicate name, a cycle through references.
_CROSS_FILE = frozenset({"E306", "E307", "E308", "L009", "L010"})  # findings another file can cause


def _select(project: Project, paths: Iterable[str | Path] | None) -> list[str]:
    if paths is None:
        return sorted(project.targets)
    keys = set(project.files) | set(project.targets)
    out: set[str] = set()
    for p in paths:
        key = project.key_of(Path(p))
        if key in (".", ""):
            out |= keys
            continue
        prefix = key.rstrip("/") + "/"
        out |= {k for k in keys if k == key or k.startswith(prefix)}
    return sorted(out)


def _not_checked(d: Diagnostic, _: object) -> tuple[CheckedAudience | None, list[Diagnostic]]:
    return None, [d]


@returns_diagnostics(_not_checked)
def check_audience(project: Project, name: str, market: str) -> tuple[CheckedAudience | None, list[Diagnostic]]:
    """Check one audience for one market, with every audience it references (transitively).

    Returns the :class:`CheckedAudience` (``None`` when any of them has an error in that
    market) and the diagnostics: those of the audience itself (errors, and lint findings
    after ``[lint]`` config and suppression comments), plus the errors of the audiences it
    references. An unknown ``name`` is E610 and an unknown ``market`` E910, the codes the
    ``run`` and ``compile`` commands report for them."""
    ch = _checker(project)
    if market not in ch.indexes:
        return None, [_unknown_market(market, ch.indexes)]
    root = ch.defs.get(name)
    if root is None:
        return None, [error("E610", f"unknown audience '{name}'", None,
                            *did_you_mean(name, ch.defs.keys() | set()), market=market, audience=name)]
    ch.analyse()
    order = _closure(ch, [root])
    out: list[Diagnostic] = []
    for dep in order:
        found = ch.finish(dep.key, ch.diagnostics_of(dep, [market]), unused=False, all_markets=False)
        out.extend(found if dep is root else [x for x in found if x.is_error])
    # a file that did not parse cleanly cannot compile
    keys = {dep.key for dep in order}
    out.extend(x for x in project.diagnostics if x.is_error and x.span is not None and x.span.path in keys)
    out.sort(key=_sort_key)
    blocked = _blocked_destinations(root.aud, out)
    blocking = {id(x) for found in blocked.values() for x in found}
    if any(x.is_error and id(x) not in blocking for x in out):
        return None, out
    destinations = {
        a.destination.value: ch.config.destinations[a.destination.value]
        for a in root.aud.activate if a.destination.value not in blocked
    }
    # spec §11: each destination's suppression audiences are checked in this market and
    # carried along (the SQL anti-joins them); one that cannot be used blocks that destination
    suppress: dict[str, tuple[str, ...]] = {}
    for dest in list(destinations):
        act_span = next(a.span for a in root.aud.activate if a.destination.value == dest)
        problems = suppression_problems(ch, dest, market, act_span)
        if problems:
            blocked = {**blocked, dest: tuple(problems)}
            del destinations[dest]
            continue
        names = tuple(ch.config.suppression_of(dest))
        if names:
            suppress[dest] = names
            known = {d.aud.name.value for d in order}
            order.extend(d for d in _closure(ch, [ch.defs[n] for n in names]) if d.aud.name.value not in known)
    checked = CheckedAudience(
        name=name, audience=root.aud, market=ch.indexes[market].market, file=root.key,
        audiences={d.aud.name.value: d.aud for d in sorted(order, key=lambda x: x.aud.name.value)},
        destinations=destinations, blocked=blocked, suppress=suppress,
    )
    return checked, out


def _suppression_findings(ch: _Checker, markets: Sequence[str],
                          only: set[str] | None = None) -> list[Diagnostic]:
    """E405-E407 for every destination's suppression list, at its config key; E407 once
    per market where the audience does not compile (spec §11). ``only``: about these
    suppression audiences only."""
    out: list[Diagnostic] = []
    seen: set[tuple[str, str]] = set()
    for dest in sorted(ch.config.destinations):
        for m in markets:
            for x in suppression_problems(ch, dest, m, None, only=only):
                key = (x.code, x.message)
                if key not in seen:
                    seen.add(key)
                    out.append(x if x.code == "E407" else x.model_copy(update={"market": None}))
    return out


def _closure(ch: _Checker, roots: list[_Def]) -> list[_Def]:
    """``roots`` and every audience they reference, transitively (each once)."""
    order: list[_Def] = []
    seen = {d.aud.name.value for d in roots}
    stack = list(reversed(roots))
    while stack:
        d = stack.pop()
        order.append(d)
        assert d.facts is not None
        for r in d.facts.refs:
            if r.value in ch.defs and r.value not in seen:
                seen.add(r.value)
                stack.append(ch.defs[r.value])
    return order


def suppression_problems(ch: _Checker, destination: str, market: str, span: Span | None, *,
                         only: set[str] | None = None) -> list[Diagnostic]:
    """Why the suppression audiences of ``destination`` cannot be used in ``market``
    (spec §11): E405 unknown, E406 it activates destinations itself, E407 it does not
    check in ``market``. ``span``: where to report (the config key when ``None``)."""
    ch.analyse()
    out: list[Diagnostic] = []
    dest = ch.config.destinations.get(destination)
    own = dest.suppress if dest is not None else []
    for name in ch.config.suppression_of(destination):
        if only is not None and name not in only:
            continue
        # a name of the top-level list is reported once, there; one of the destination's, there
        top = name in ch.config.suppress
        of = "(top-level suppress)" if top else f"of destination '{destination}'"
        key = ("suppress",) if top else ("destinations", destination, "suppress")
        where = span if span is not None else ch.config.span_of(key)
        assert top or name in own
        d = ch.defs.get(name)
        if d is None:
            out.append(error("E405", f"suppression audience '{name}' {of} does not exist",
                             where, *ch.project.audience_hints(name), market=market))
            continue
        if d.aud.activate:
            out.append(error("E406", f"suppression audience '{name}' {of} activates "
                                     "destinations itself", where,
                             f"remove the 'activate' clauses from '{name}': a suppression list is never delivered",
                             market=market))
            continue
        if any(x.is_error for dep in _closure(ch, [d]) for x in ch.diagnostics_of(dep, [market])):
            out.append(error("E407", f"suppression audience '{name}' {of} does not "
                                     f"compile in market '{market}'", where,
                             f"run: audiencelang check {d.key}", market=market))
    return out


#: Errors about one ``activate D`` clause: they forbid delivering to D, nothing else.
ACTIVATION_CODES = frozenset({"E401", "E402", "E403"})


def _blocked_destinations(aud: ast.Audience, found: list[Diagnostic]) -> dict[str, tuple[Diagnostic, ...]]:
    blocked: dict[str, list[Diagnostic]] = {}
    for x in found:
        if not x.is_error or x.code not in ACTIVATION_CODES or x.span is None:
            continue
        for a in aud.activate:
            s = a.span
            if s.path == x.span.path and s.start <= x.span.start and x.span.end <= s.end:
                blocked.setdefault(a.destination.value, []).append(x)
                break
    return {k: tuple(v) for k, v in sorted(blocked.items())}
