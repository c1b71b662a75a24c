"""A :class:`~audiencelang.review.diff.ProjectDiff` as text, Markdown (a pull-request
comment) or JSON (stable, ``"version": 1``; documented in docs/review.md)."""

from __future__ import annotations

import json
from typing import Any

from audiencelang.review.diff import AudienceDiff, Impact, ProjectDiff

__all__ = ["JSON_VERSION", "render"]

JSON_VERSION = 1

_STATUS_WORD = {"added": "added", "removed": "removed", "renamed": "renamed", "changed": "changed",
                "affected": "affected", "formatting": "formatting only"}


def render(diff: ProjectDiff, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(as_json(diff), indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        return markdown(diff)
    return text(diff)


# --------------------------------------------------------------------------- JSON


def _impact_json(i: Impact) -> dict[str, Any]:
    return {"market": i.market, "before": i.before, "after": i.after, "entered": i.entered, "left": i.left,
            "gates": i.gates, "error": i.error}


def as_json(diff: ProjectDiff) -> dict[str, Any]:
    return {
        "version": JSON_VERSION,
        "base": diff.base,
        "head": diff.head,
        "as_of": diff.as_of,
        "summary": diff.counts(),
        "audiences": [
            {
                "name": a.name, "status": a.status, "file": a.file, "old_name": a.old_name,
                "old_file": a.old_file,
                "changes": [{"section": c.section, "text": c.text} for c in a.changes],
                "markets": {m: {"before": a.compiles_before.get(m), "after": a.compiles_after.get(m)}
                            for m in sorted(set(a.compiles_before) | set(a.compiles_after))},
                "impact": [_impact_json(i) for i in a.impact],
            }
            for a in diff.audiences
        ],
        "markets": [{"market": m.market, "status": m.status, "file": m.file, "changes": m.changes,
                     "audiences": m.audiences} for m in diff.markets],
        "config": [{"text": c.text, "audiences": c.audiences} for c in diff.config],
    }


# --------------------------------------------------------------------------- text


def _num(n: int | None) -> str:
    return "—" if n is None else f"{n:,}"


def _impact_lines(i: Impact) -> list[str]:
    if i.error is not None:
        return [f"{i.market}: members not computed: {i.error}"]
    lines = [f"{i.market}: members {_num(i.before)} → {_num(i.after)} (+{i.entered:,} enter, -{i.left:,} leave)"]
    for g in i.gates:
        lines.append(f"  {g['destination']}: {g['before'] or '—'} → {g['after'] or '—'}")
    return lines


def _headline(a: AudienceDiff) -> str:
    name = a.name if a.old_name is None else f"{a.old_name} → {a.name}"
    where = a.file or a.old_file or ""
    return f"{_STATUS_WORD[a.status]}: {name}" + (f" ({where})" if where else "")


def _added_removed_lines(a: AudienceDiff) -> list[str]:
    side = a.compiles_after if a.status != "removed" else a.compiles_before
    ok = [m for m, s in side.items() if s == "ok"]
    bad = [(m, s) for m, s in side.items() if s != "ok"]
    out = []
    if ok:
        out.append("compiles in " + ", ".join(f"`{m}`" for m in ok) if a.status != "removed"
                   else "compiled in " + ", ".join(f"`{m}`" for m in ok))
    out.extend(f"does not compile in market `{m}`: {s}" for m, s in bad)
    return out


def _body(a: AudienceDiff) -> list[str]:
    body = [ch.text for ch in a.changes]
    if a.status in ("added", "removed"):
        body = _added_removed_lines(a) + body
    return body


def text(diff: ProjectDiff) -> str:
    c = diff.counts()
    lines = [f"audiencelang diff {diff.base} → {diff.head}"
             + (f" (members as of {diff.as_of})" if diff.as_of else "")]
    lines.append(", ".join(f"{v} {k}" for k, v in c.items() if v) or "no audiences")
    for a in diff.audiences:
        lines.append("")
        lines.append(_headline(a))
        body = _body(a)
        lines.extend(f"  - {t}" for t in body)
        for i in a.impact:
            lines.extend(f"    {x}" for x in _impact_lines(i))
    for m in diff.markets:
        lines.append("")
        lines.append(f"market {m.status}: {m.market}" + (f" ({m.file})" if m.file else ""))
        lines.extend(f"  - {t}" for t in m.changes)
        if m.audiences:
            lines.append("  audiences: " + ", ".join(m.audiences))
    if diff.config:
        lines.append("")
        lines.append("config changed:")
        for cc in diff.config:
            lines.append(f"  - {cc.text}" + (f" (audiences: {', '.join(cc.audiences)})" if cc.audiences else ""))
    if not diff.audiences and not diff.markets and not diff.config:
        lines.append("no changes")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- Markdown


def _md(s: str) -> str:
    """Escape what Markdown tables and HTML would take as markup; inside code spans only
    the table's ``|`` (GitHub shows entities there literally)."""
    parts = s.split("`")
    for i in range(0, len(parts), 2):
        parts[i] = parts[i].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "`".join(parts).replace("|", "\\|")


def _members_cell(a: AudienceDiff) -> str:
    if not a.impact:
        return ""
    parts = []
    for i in a.impact:
        if i.error is not None:
            parts.append(f"{i.market}: error")
        else:
            parts.append(f"{i.market}: {_num(i.before)} → {_num(i.after)} (+{i.entered:,}/-{i.left:,})")
    return "<br>".join(parts)


def markdown(diff: ProjectDiff) -> str:
    c = diff.counts()
    out = [f"### audiencelang diff `{diff.base}` → `{diff.head}`", ""]
    summary = ", ".join(f"{v} {k}" for k, v in c.items() if v) or "no audiences"
    out.append(summary + (f" · members as of `{diff.as_of}`" if diff.as_of else ""))
    out.append("")
    has_impact = any(a.impact for a in diff.audiences)
    if diff.audiences:
        head = "| audience | change | summary |" + (" members |" if has_impact else "")
        out.append(head)
        out.append("|---|---|---|" + ("---|" if has_impact else ""))
        for a in diff.audiences:
            name = f"`{a.name}`" if a.old_name is None else f"`{a.old_name}` → `{a.name}`"
            body = _body(a)
            first = body[0] if body else ""
            more = f" (+{len(body) - 1} more)" if len(body) > 1 else ""
            row = f"| {name} | {_STATUS_WORD[a.status]} | {_md(first)}{more} |"
            if has_impact:
                row += f" {_members_cell(a)} |"
            out.append(row)
        out.append("")
    for a in diff.audiences:
        body = _body(a)
        if not body and not a.impact:
            continue
        name = a.name if a.old_name is None else f"{a.old_name} → {a.name}"
        out.append(f"<details><summary><code>{_md(name)}</code>: {_STATUS_WORD[a.status]}</summary>")
        out.append("")
        out.extend(f"- {_md(t)}" for t in body)
        if a.impact:
            out.append("")
            out.append("| market | before | after | enter | leave | gates |")
            out.append("|---|---:|---:|---:|---:|---|")
            for i in a.impact:
                if i.error is not None:
                    out.append(f"| {i.market} | | | | | error: {_md(i.error)} |")
                    continue
                gates = "<br>".join(_md(f"{g['destination']}: {g['before'] or '—'} → {g['after'] or '—'}")
                                    for g in i.gates)
                out.append(f"| {i.market} | {_num(i.before)} | {_num(i.after)} | {i.entered:,} | {i.left:,} "
                           f"| {gates} |")
        out.append("")
        out.append("</details>")
        out.append("")
    if diff.markets or diff.config:
        out.append("<details><summary>markets and config</summary>")
        out.append("")
        for m in diff.markets:
            out.append(f"- market `{m.market}` {m.status}" + (f" (`{m.file}`)" if m.file else ""))
            out.extend(f"  - {_md(t)}" for t in m.changes)
            if m.audiences:
                out.append("  - affects: " + ", ".join(f"`{n}`" for n in m.audiences))
        for cc in diff.config:
            out.append(f"- config: {_md(cc.text)}" + (
                " (affects: " + ", ".join(f"`{n}`" for n in cc.audiences) + ")" if cc.audiences else ""))
        out.append("")
        out.append("</details>")
        out.append("")
    if not diff.audiences and not diff.markets and not diff.config:
        out.append("No changes to audiences, markets or config.")
        out.append("")
    return "\n".join(out)
