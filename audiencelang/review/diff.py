"""What changed between two versions of a project, audience by audience, in words.

Entry point: :func:`diff_projects` (two loaded projects -> :class:`ProjectDiff`).
``audiencelang diff`` loads the versions (:mod:`audiencelang.review.revisions`), calls
it, adds member impact (:mod:`audiencelang.review.impact`) and renders the result
(:mod:`audiencelang.review.render`).

Everything is computed from the ASTs and the loaded config and market models, never
from text lines: a change that leaves the AST as it was is "formatting only".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from audiencelang import ast
from audiencelang.project import Project
from audiencelang.review import words
from audiencelang.review.meaning import expr_key, membership_key, plain

__all__ = ["AudienceDiff", "Change", "MarketChange", "ProjectDiff", "diff_projects"]

Status = Literal["added", "removed", "renamed", "changed", "affected", "formatting"]


@dataclass
class Change:
    """One change in words. ``section``: include, exclude, consent, gate, activation,
    metadata, markets, config, market, references, formatting."""

    section: str
    text: str


@dataclass
class Impact:
    """Members of one audience in one market before and after (``--db``)."""

    market: str
    before: int | None
    after: int | None
    entered: int
    left: int
    gates: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None


@dataclass
class AudienceDiff:
    name: str
    status: Status
    file: str | None
    old_name: str | None = None
    old_file: str | None = None
    changes: list[Change] = field(default_factory=list)
    compiles_before: dict[str, str] = field(default_factory=dict)
    """Market -> ``ok`` or the first error, in the base version."""
    compiles_after: dict[str, str] = field(default_factory=dict)
    impact: list[Impact] = field(default_factory=list)

    @property
    def members_may_change(self) -> bool:
        return self.status != "formatting"


@dataclass
class MarketChange:
    market: str
    status: Literal["added", "removed", "changed"]
    file: str | None
    changes: list[str] = field(default_factory=list)
    audiences: list[str] = field(default_factory=list)


@dataclass
class ConfigChange:
    text: str
    audiences: list[str] = field(default_factory=list)


@dataclass
class ProjectDiff:
    base: str
    head: str
    audiences: list[AudienceDiff] = field(default_factory=list)
    markets: list[MarketChange] = field(default_factory=list)
    config: list[ConfigChange] = field(default_factory=list)
    unchanged: int = 0
    as_of: str | None = None
    database: str | None = None

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in ("added", "removed", "renamed", "changed", "affected", "formatting")}
        for a in self.audiences:
            out[a.status] += 1
        out["unchanged"] = self.unchanged
        return out


# --------------------------------------------------------------------------- helpers


def _audiences(project: Project | None) -> dict[str, tuple[str, ast.Audience]]:
    return dict(project.audiences()) if project is not None else {}


def _source(project: Project, key: str, node: ast.Node) -> str | None:
    from audiencelang.files import FileProblem, read_bounded
    from audiencelang.syntax.parser import MAX_FILE_BYTES

    try:
        text = read_bounded(project.path_of(key), MAX_FILE_BYTES).decode("utf-8-sig", "replace")
    except FileProblem:
        return None
    return text[node.span.start:node.span.end]


def _compiles(project: Project | None, name: str) -> dict[str, str]:
    """Market -> ``ok`` or the first error message, for one audience."""
    if project is None:
        return {}
    from audiencelang.check import check_audience

    out: dict[str, str] = {}
    for m in sorted(project.markets):
        checked, diags = check_audience(project, name, m)
        if checked is not None:
            out[m] = "ok"
        else:
            err = next((d for d in diags if d.is_error), None)
            out[m] = err.message if err is not None else "does not compile"
    return out


# --------------------------------------------------------------------------- expressions


def _items(e: ast.Node, kind: str) -> list[ast.Node]:
    if isinstance(e, ast.And | ast.Or) and e.kind == kind:
        return list(e.items)
    return [e]


def expr_changes(section: str, old: ast.Node | None, new: ast.Node | None) -> list[str]:
    """The changes of one clause (``include`` or ``exclude``) in words."""
    if old is None and new is None:
        return []
    if old is None:
        assert new is not None
        return [f"{section} {words.code(new)} added"]
    if new is None:
        return [f"{section} {words.code(old)} removed"]
    if plain(old) == plain(new):
        return []
    if expr_key(old) == expr_key(new):
        return [f"conditions of {section} reordered or regrouped (same meaning)"]
    kinds = {e.kind for e in (old, new) if isinstance(e, ast.And | ast.Or)}
    if len(kinds) > 1:
        return [f"{section} changed from {words.code(old)} to {words.code(new)}"]
    kind = kinds.pop() if kinds else "and"
    olds, news = _items(old, kind), _items(new, kind)
    # 1. identical conditions
    new_keys = [expr_key(n) for n in news]
    left_old: list[ast.Node] = []
    for o in olds:
        k = expr_key(o)
        if k in new_keys:
            i = new_keys.index(k)
            new_keys[i] = "\0taken"
            continue
        left_old.append(o)
    left_new = [n for n, k in zip(news, new_keys, strict=True) if k != "\0taken"]
    # 2. the same subject: one changed condition
    out: list[str] = []
    where = "" if section == "include" else f" (in {section})"
    unpaired_new = list(left_new)
    gone: list[ast.Node] = []
    for o in left_old:
        s = words.subject(o)
        match = next((n for n in unpaired_new if words.subject(n) == s), None)
        if match is None:
            gone.append(o)
            continue
        unpaired_new.remove(match)
        out.extend(p + where for p in words.condition_change(o, match))
    noun = "condition" if kind == "and" else "alternative"
    for o in gone:
        out.append(f"{noun} {words.code(o)} removed from {section}")
    for n in unpaired_new:
        out.append(f"{noun} {words.code(n)} added to {section}")
    return out


# --------------------------------------------------------------------------- one audience


def _meta_changes(old: ast.Audience, new: ast.Audience) -> list[str]:
    out: list[str] = []
    for f in ("title", "owner", "description"):
        a, b = getattr(old, f), getattr(new, f)
        if (a.value if a else None) == (b.value if b else None):
            continue
        if a is None:
            out.append(f"{f} {words.text(b)} added")
        elif b is None:
            out.append(f"{f} {words.text(a)} removed")
        else:
            out.append(f"{f} changed from {words.text(a)} to {words.text(b)}")
    ta = [t.value for t in old.tags or ()]
    tb = [t.value for t in new.tags or ()]
    added = [t for t in tb if t not in ta]
    removed = [t for t in ta if t not in tb]
    if added:
        out.append("tags added: " + ", ".join(f'"{t}"' for t in added))
    if removed:
        out.append("tags removed: " + ", ".join(f'"{t}"' for t in removed))
    return out


def audience_changes(old: ast.Audience, new: ast.Audience) -> list[Change]:
    """Every change between two versions of one audience, in words (metadata included)."""
    out: list[Change] = []
    for section in ("include", "exclude"):
        out.extend(Change(section, t) for t in expr_changes(section, getattr(old, section), getattr(new, section)))
    pa, pb = old.required_purposes, new.required_purposes
    out.extend(Change("consent", f"requires consent `{p}`") for p in pb if p not in pa)
    out.extend(Change("consent", f"requires consent `{p}` no more") for p in pa if p not in pb)
    ma = words.text(old.min_size) if old.min_size is not None else None
    mb = words.text(new.min_size) if new.min_size is not None else None
    if ma != mb:
        if ma is None:
            out.append(Change("gate", f"min size {mb} added"))
        elif mb is None:
            out.append(Change("gate", f"min size {ma} removed"))
        else:
            out.append(Change("gate", f"min size {ma} → {mb}"))
    da = [a.destination.value for a in old.activate]
    db = [a.destination.value for a in new.activate]
    out.extend(Change("activation", f"activates `{d}`") for d in dict.fromkeys(db) if d not in da)
    out.extend(Change("activation", f"activates `{d}` no more") for d in dict.fromkeys(da) if d not in db)
    out.extend(Change("metadata", t) for t in _meta_changes(old, new))
    # a field this module does not know yet (a newer clause): say it changed
    known = {"span", "kind", "name", "title", "owner", "description", "tags", "tags_span", "include",
             "exclude", "require_consent", "min_size", "activate"}
    for f in sorted(set(type(old).model_fields) | set(type(new).model_fields)):
        if f not in known and plain(getattr(old, f, None)) != plain(getattr(new, f, None)):
            out.append(Change(f, f"{f.replace('_', ' ')} changed"))
    if not out and plain(old.model_copy(update={"name": new.name})) != plain(new):
        # e.g. `require consent a, a`, an `activate` written twice, an empty `tags []`
        out.append(Change("formatting", "clauses written differently (same meaning)"))
    return out


def _compile_changes(before: dict[str, str], after: dict[str, str]) -> list[Change]:
    out: list[Change] = []
    for m in sorted(set(before) | set(after)):
        a, b = before.get(m), after.get(m)
        if a == b or a is None or b is None:
            continue  # a market added or removed is reported under markets
        if a == "ok":
            out.append(Change("markets", f"stops compiling in market `{m}`: {b}"))
        elif b == "ok":
            out.append(Change("markets", f"compiles again in market `{m}` (was: {a})"))
        else:
            out.append(Change("markets", f"still does not compile in market `{m}`, now: {b}"))
    return out


# --------------------------------------------------------------------------- names an audience uses


@dataclass
class _Uses:
    traits: set[str] = field(default_factory=set)
    events: set[str] = field(default_factory=set)
    purposes: set[str] = field(default_factory=set)
    refs: set[str] = field(default_factory=set)
    unknown: bool = False


def _uses(aud: ast.Audience) -> _Uses:
    u = _Uses(purposes=set(aud.required_purposes))
    stack: list[ast.Node] = [e for e in (aud.include, aud.exclude) if e is not None]
    while stack:
        e = stack.pop()
        if isinstance(e, ast.And | ast.Or):
            stack.extend(e.items)
        elif isinstance(e, ast.Not):
            stack.append(e.operand)
        elif isinstance(e, ast.Performed | ast.FirstLastPerformed):
            u.events.add(e.event.value)
        elif isinstance(e, ast.Sequence):  # spec §8: each step names an event
            u.events.update(s.event.value for s in e.steps)
        elif isinstance(e, ast.InAudience):
            u.refs.add(e.audience.value)
        elif isinstance(e, ast.HasConsent):
            u.purposes.add(e.purpose.value)
        elif isinstance(e, ast.InSample):
            pass  # names no trait, event or purpose: its bucket depends on the id alone
        elif isinstance(getattr(e, "target", None), ast.Name):
            u.traits.add(e.target.value)  # type: ignore[attr-defined]
        elif isinstance(getattr(e, "target", None), ast.Aggregate):
            u.events.add(e.target.event.value)  # type: ignore[attr-defined]
        else:  # a form this module does not know: every name in it may be anything
            u.unknown = True
            for n in ast.walk(e):
                if isinstance(n, ast.Name):
                    u.traits.add(n.value)
                    u.events.add(n.value)
    return u


# --------------------------------------------------------------------------- markets and config


def _dump(model: Any) -> Any:
    return model.model_dump(mode="json") if model is not None else None


def _market_changes(old: Any, new: Any) -> tuple[list[str], _Uses, bool]:
    """Phrases, the names whose mapping changed, and whether every audience is affected."""
    out: list[str] = []
    touched = _Uses()
    a, b = _dump(old), _dump(new)
    everything = False
    pa, pb = a["profiles"], b["profiles"]
    for f in ("table", "id"):
        if pa.get(f) != pb.get(f):
            out.append(f"profile {f} changed from `{pa.get(f)}` to `{pb.get(f)}`")
            everything = True

    def names(kind: str, da: dict[str, Any], dbb: dict[str, Any], into: set[str]) -> None:
        for n in sorted(set(da) | set(dbb)):
            x, y = da.get(n), dbb.get(n)
            if x == y:
                continue
            into.add(n)
            if x is None:
                out.append(f"{kind} `{n}` added")
            elif y is None:
                out.append(f"{kind} `{n}` removed")
            else:
                diffs = sorted(k for k in set(x) | set(y) if x.get(k) != y.get(k))
                out.append(f"{kind} `{n}` changed ({', '.join(diffs)})")

    names("trait", pa.get("traits", {}), pb.get("traits", {}), touched.traits)
    names("event", a.get("events", {}), b.get("events", {}), touched.events)
    ca, cb = a.get("consent") or {}, b.get("consent") or {}
    names("consent purpose", ca.get("purposes", {}), cb.get("purposes", {}), touched.purposes)
    rest_a = {k: v for k, v in ca.items() if k != "purposes"}
    rest_b = {k: v for k, v in cb.items() if k != "purposes"}
    if rest_a != rest_b:
        out.append("consent table settings changed")
        touched.purposes |= set(ca.get("purposes", {})) | set(cb.get("purposes", {}))
    for k in sorted((set(a) | set(b)) - {"market", "profiles", "events", "consent"}):
        if a.get(k) != b.get(k):
            out.append(f"`{k}` changed from `{a.get(k)}` to `{b.get(k)}`")
            everything = True
    return out, touched, everything


def _affects(u: _Uses, touched: _Uses) -> bool:
    return bool(u.traits & touched.traits or u.events & touched.events or u.purposes & touched.purposes)


def _config_changes(old: Project | None, new: Project | None) -> list[tuple[str, str | None]]:
    """Phrases, each with the destination it concerns (``None``: no audience in particular)."""
    out: list[tuple[str, str | None]] = []
    ca = old.config if old is not None else None
    cb = new.config if new is not None else None
    da = {k: _dump(v) for k, v in (ca.destinations if ca else {}).items()}
    dbb = {k: _dump(v) for k, v in (cb.destinations if cb else {}).items()}
    for d in sorted(set(da) | set(dbb)):
        x, y = da.get(d), dbb.get(d)
        if x == y:
            continue
        if x is None:
            out.append((f"destination `{d}` added", d))
        elif y is None:
            out.append((f"destination `{d}` removed", d))
        else:
            for k in sorted(set(x) | set(y)):
                if x.get(k) != y.get(k):
                    out.append((f"destination `{d}`: {k.replace('_', ' ')} {_val(x.get(k))} → {_val(y.get(k))}", d))
    if ca is not None and cb is not None:
        for k in ("lint", "audiences", "markets"):
            if _dump(getattr(ca, k)) != _dump(getattr(cb, k)) if k == "lint" else getattr(ca, k) != getattr(cb, k):
                out.append((f"config `{k}` settings changed", None))
    return out


def _val(v: object) -> str:
    if v is None:
        return "none"
    if isinstance(v, list):
        return "[" + ", ".join(str(x) for x in v) + "]"
    return str(v)


# --------------------------------------------------------------------------- the project


def diff_projects(old: Project | None, new: Project | None, *, base: str = "base",
                  head: str = "head") -> ProjectDiff:
    """Compare two loaded projects (``None``: the project does not exist on that side)."""
    out = ProjectDiff(base=base, head=head)
    A, B = _audiences(old), _audiences(new)
    only_old = [n for n in A if n not in B]
    only_new = [n for n in B if n not in A]
    # renames: same members, new name (a unique match each way)
    renamed: dict[str, str] = {}
    keys_old: dict[str, list[str]] = {}
    for n in only_old:
        keys_old.setdefault(membership_key(A[n][1]), []).append(n)
    keys_new: dict[str, list[str]] = {}
    for n in only_new:
        keys_new.setdefault(membership_key(B[n][1]), []).append(n)
    for k, olds in keys_old.items():
        news = keys_new.get(k, [])
        if len(olds) == 1 and len(news) == 1:
            renamed[news[0]] = olds[0]

    diffs: dict[str, AudienceDiff] = {}
    for n in sorted(set(A) | set(B)):
        if n in renamed.values():
            continue
        if n in renamed:
            o = renamed[n]
            d = AudienceDiff(n, "renamed", B[n][0], old_name=o, old_file=A[o][0])
            d.changes.append(Change("name", f"renamed from `{o}` (same members)"))
            d.changes.extend(c for c in audience_changes(A[o][1], B[n][1])
                             if c.section not in ("include", "exclude", "consent"))
        elif n not in A:
            d = AudienceDiff(n, "added", B[n][0])
        elif n not in B:
            d = AudienceDiff(n, "removed", None, old_file=A[n][0])
        else:
            d = AudienceDiff(n, "changed", B[n][0], old_file=A[n][0])
            oa, na = A[n][1], B[n][1]
            if plain(oa) == plain(na):
                assert old is not None and new is not None
                if _source(old, A[n][0], oa) == _source(new, B[n][0], na):
                    d.status = "formatting"  # a placeholder: dropped below unless affected
                    d.changes = []
                else:
                    d.status = "formatting"
                    d.changes = [Change("formatting", "formatting or comments only (same AST)")]
            else:
                d.changes = audience_changes(oa, na)
                if d.changes and all(c.text.endswith("(same meaning)") for c in d.changes):
                    d.status = "formatting"  # and/or items reordered: the same members
        diffs[n] = d

    # markets
    ma = old.markets if old is not None else {}
    mb = new.markets if new is not None else {}
    mfa = old.market_files if old is not None else {}
    mfb = new.market_files if new is not None else {}
    touched_by_market: dict[str, tuple[str, _Uses, bool]] = {}
    for m in sorted(set(ma) | set(mb)):
        if m not in ma:
            out.markets.append(MarketChange(m, "added", mfb.get(m)))
        elif m not in mb:
            out.markets.append(MarketChange(m, "removed", mfa.get(m)))
        elif _dump(ma[m]) != _dump(mb[m]):
            phrases, touched, everything = _market_changes(ma[m], mb[m])
            out.markets.append(MarketChange(m, "changed", mfb.get(m), phrases))
            touched_by_market[m] = (m, touched, everything)

    uses = {n: _uses(B[n][1]) for n in B}
    uses_old = {n: _uses(A[n][1]) for n in A}

    def mark(name: str, section: str, text: str) -> None:
        d = diffs.get(name)
        if d is None or d.status in ("added", "removed"):
            return
        d.changes.append(Change(section, text))
        if d.status == "formatting":
            d.status = "affected"

    for mc in out.markets:
        for n in sorted(B):
            u = uses[n]
            if mc.status != "changed":
                if n in A:
                    mc.audiences.append(n)
                continue
            _, touched, everything = touched_by_market[mc.market]
            if everything or u.unknown or _affects(u, touched) or _affects(uses_old.get(n, _Uses()), touched):
                mc.audiences.append(n)
                mark(n, "market", f"market `{mc.market}` changed: " + "; ".join(mc.changes))

    # config
    for text, dest in _config_changes(old, new):
        cc = ConfigChange(text)
        if dest is not None:
            for n in sorted(set(A) | set(B)):
                acts = {a.destination.value for a in (B[n][1].activate if n in B else ())} | \
                       {a.destination.value for a in (A[n][1].activate if n in A else ())}
                if dest in acts:
                    cc.audiences.append(n)
                    mark(n, "config", text)
        out.config.append(cc)

    # compile status per market, on both sides
    for n, d in diffs.items():
        before_name = d.old_name or n
        d.compiles_before = _compiles(old, before_name) if d.status != "added" else {}
        d.compiles_after = _compiles(new, n) if d.status != "removed" else {}
        if d.status not in ("added", "removed"):
            cc_ = _compile_changes(d.compiles_before, d.compiles_after)
            if cc_:
                d.changes.extend(cc_)
                if d.status == "formatting":
                    d.status = "affected"

    # references: an audience that refers to a changed one changes with it
    changed = {n for n, d in diffs.items() if d.status in ("changed", "affected", "removed")}
    for _ in range(len(diffs) + 1):
        grew = False
        for n, d in diffs.items():
            if n not in B:
                continue
            hits = sorted(r for r in uses[n].refs if r in changed and r != n)
            said = {c.text for c in d.changes}
            for r in hits:
                text = f"refers to `{r}`, which changed"
                if text not in said:
                    d.changes.append(Change("references", text))
                    if d.status == "formatting":
                        d.status = "affected"
                    if n not in changed and d.status in ("changed", "affected"):
                        changed.add(n)
                        grew = True
        if not grew:
            break

    for n in sorted(diffs):
        d = diffs[n]
        if d.status == "formatting" and not d.changes:
            out.unchanged += 1
            continue
        out.audiences.append(d)
    return out


def affected_markets(d: AudienceDiff) -> Iterable[str]:
    """Markets where the audience compiles on at least one side."""
    return sorted(m for m in set(d.compiles_before) | set(d.compiles_after)
                  if d.compiles_before.get(m) == "ok" or d.compiles_after.get(m) == "ok")
