"""``audiencelang docs --out DIR``: a static HTML catalogue of the project's audiences.

It works from ``file://`` with no server and fetches nothing: ``index.html`` lists every
audience as plain HTML (readable without JavaScript) and carries its search index as
embedded JSON, which a little inline script filters by name, owner, tag, market and
destination. One page per audience (``audiences/NAME.html``) shows its metadata, its
meaning in words (:mod:`audiencelang.review.words`), the markets it compiles in (and
the diagnostic where it does not), destinations with consent and gates, references
both ways (:mod:`audiencelang.review.graph`), its source, and the recorded deliveries
(:func:`deliveries_html`: latest size and an inline SVG chart per market and
destination).

Everything from the project — audience text, metadata, names, diagnostics — is
untrusted: each string goes through :func:`html.escape`; the JSON index is escaped so
that no ``</script>`` can end its element; every page carries a Content-Security-Policy
that allows only the index's own script (by its hash) and no network access.

Entry points: :func:`build_catalogue` (project -> ``{relative path: text}``) and
:func:`write_catalogue` (those files into a folder, replaced whole, only a folder the
catalogue wrote before, marked by :data:`MARKER`).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from audiencelang import ast
from audiencelang.project import Project

__all__ = [
    "MARKER",
    "AudienceEntry",
    "Delivery",
    "build_catalogue",
    "catalogue_entries",
    "deliveries_html",
    "write_catalogue",
]

MARKER = ".audiencelang-docs"
_MARKER_TEXT = ("This folder is written by `audiencelang docs --out`; the next run replaces it whole. "
                "Do not keep other files here.\n")


def esc(s: object) -> str:
    """HTML-escape any value shown on a page (text and attribute values)."""
    return html.escape(str(s), quote=True)


# --------------------------------------------------------------------------- deliveries


class Delivery(NamedTuple):
    """One recorded delivery (spec §11): the gated list's size handed to a destination."""

    as_of: dt.datetime
    market: str
    destination: str
    size: int
    min_size: int


def _num(n: int) -> str:
    return f"{n:,}"


def _day(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%d") if t.tzinfo else t.strftime("%Y-%m-%d")


def _chart(points: Sequence[Delivery], width: int = 420, height: int = 150) -> str:
    """Delivered size over time as an inline SVG line, with the gate's minimum as a dashed
    line. Static: axis labels and a ``<title>`` per point are text, no script needed."""
    left, right, top, bottom = 56, 10, 12, 28
    w, h = width - left - right, height - top - bottom
    times = [p.as_of.timestamp() for p in points]
    t0, t1 = min(times), max(times)
    top_value = max(max(p.size for p in points), max(p.min_size for p in points), 1)

    def x(t: float) -> float:
        return left + (w / 2 if t1 == t0 else (t - t0) / (t1 - t0) * w)

    def y(v: int) -> float:
        return top + h - v / top_value * h

    out = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img">']
    label = (f"delivered size from {_day(points[0].as_of)} to {_day(points[-1].as_of)}: "
             f"{_num(points[0].size)} to {_num(points[-1].size)}; minimum {_num(points[-1].min_size)}")
    out.append(f"<title>{esc(label)}</title>")
    out.append(f'<line x1="{left}" y1="{top + h}" x2="{left + w}" y2="{top + h}" class="axis"/>')
    out.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + h}" class="axis"/>')
    out.append(f'<text x="{left - 4}" y="{top + 4}" text-anchor="end">{esc(_num(top_value))}</text>')
    out.append(f'<text x="{left - 4}" y="{top + h}" text-anchor="end">0</text>')
    out.append(f'<text x="{left}" y="{height - 8}">{esc(_day(points[0].as_of))}</text>')
    if len(points) > 1:
        out.append(f'<text x="{left + w}" y="{height - 8}" text-anchor="end">{esc(_day(points[-1].as_of))}</text>')
    # the gate's minimum: a step line when it changed between deliveries
    gate = []
    for i, p in enumerate(points):
        if i and p.min_size != points[i - 1].min_size:
            gate.append(f"{x(times[i]):.1f},{y(points[i - 1].min_size):.1f}")
        gate.append(f"{x(times[i]):.1f},{y(p.min_size):.1f}")
    if len(points) == 1:
        gate = [f"{left:.1f},{y(points[0].min_size):.1f}", f"{left + w:.1f},{y(points[0].min_size):.1f}"]
    out.append(f'<polyline class="gate" points="{" ".join(gate)}"/>')
    out.append(f'<text class="gate-label" x="{left + w}" y="{y(points[-1].min_size) - 3:.1f}" '
               f'text-anchor="end">min {esc(_num(points[-1].min_size))}</text>')
    line = " ".join(f"{x(t):.1f},{y(p.size):.1f}" for t, p in zip(times, points, strict=True))
    out.append(f'<polyline class="size" points="{line}"/>')
    for t, p in zip(times, points, strict=True):
        state = "activatable" if p.size >= p.min_size else "held"
        out.append(f'<circle class="{state}" cx="{x(t):.1f}" cy="{y(p.size):.1f}" r="3">'
                   f"<title>{esc(_day(p.as_of))}: {esc(_num(p.size))} ({state}, min {esc(_num(p.min_size))})"
                   "</title></circle>")
    out.append("</svg>")
    return "".join(out)


def deliveries_html(records: Iterable[Delivery]) -> str:
    """The deliveries section of an audience page: per market and destination, the latest
    delivered size and whether it reaches the gate, and a chart of the size over the
    recorded deliveries with the gate's minimum drawn in. No records: a sentence saying so."""
    groups: dict[tuple[str, str], list[Delivery]] = {}
    for r in records:
        groups.setdefault((r.market, r.destination), []).append(r)
    if not groups:
        return "<p class=\"muted\">No deliveries recorded.</p>"
    out = ['<table class="deliveries"><thead><tr><th>market</th><th>destination</th><th>latest</th>'
           "<th>size</th><th>minimum</th><th>status</th><th>over time</th></tr></thead><tbody>"]
    for (market, dest), rs in sorted(groups.items()):
        rs = sorted(rs, key=lambda r: r.as_of)
        last = rs[-1]
        state = "activatable" if last.size >= last.min_size else "held"
        out.append(
            f"<tr><td>{esc(market)}</td><td>{esc(dest)}</td><td>{esc(_day(last.as_of))}</td>"
            f'<td class="n">{esc(_num(last.size))}</td><td class="n">{esc(_num(last.min_size))}</td>'
            f'<td class="{state}">{state}</td><td>{_chart(rs)}</td></tr>')
    out.append("</tbody></table>")
    return "".join(out)


# --------------------------------------------------------------------------- gathering


@dataclass
class AudienceEntry:
    name: str
    file: str
    page: str
    """Relative path of its page (``audiences/NAME.html``)."""
    audience: ast.Audience
    source: str | None
    meaning: list[str]
    markets: dict[str, tuple[str, str] | None] = field(default_factory=dict)
    """Market -> ``None`` (compiles) or (code, message) of the first error."""
    blocked: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    """Destination -> market -> activation errors there."""
    references: list[str] = field(default_factory=list)
    referenced_by: list[str] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.audience.title.value if self.audience.title is not None else ""

    @property
    def owner(self) -> str:
        return self.audience.owner.value if self.audience.owner is not None else ""

    @property
    def description(self) -> str:
        return self.audience.description.value if self.audience.description is not None else ""

    @property
    def tags(self) -> list[str]:
        return [t.value for t in self.audience.tags or ()]

    @property
    def destinations(self) -> list[str]:
        return list(dict.fromkeys(a.destination.value for a in self.audience.activate))

    @property
    def compiles_in(self) -> list[str]:
        return [m for m, err in self.markets.items() if err is None]


_SAFE_NAME = re.compile(r"[A-Za-z0-9_-]{1,100}")


def _page_names(names: Iterable[str]) -> dict[str, str]:
    """A file name per audience, unique even on case-insensitive file systems."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for n in sorted(names):
        base = n if _SAFE_NAME.fullmatch(n) else "a-" + hashlib.sha256(n.encode()).hexdigest()[:16]
        cand, i = base, 2
        while cand.lower() in taken:
            cand, i = f"{base}-{i}", i + 1
        taken.add(cand.lower())
        out[n] = f"audiences/{cand}.html"
    return out


def catalogue_entries(project: Project,
                      deliveries: Mapping[str, Sequence[Delivery]] | None = None) -> list[AudienceEntry]:
    """Everything the catalogue shows, per audience (sorted by name). ``deliveries`` maps
    an audience name to its recorded deliveries (none are recorded yet: spec §11)."""
    from audiencelang.check import check_audience
    from audiencelang.review.diff import _source
    from audiencelang.review.graph import build_graph
    from audiencelang.review.words import audience_meaning

    auds = project.audiences()
    pages = _page_names(auds)
    graph = build_graph(project)
    out: list[AudienceEntry] = []
    for name in sorted(auds):
        key, aud = auds[name]
        e = AudienceEntry(name=name, file=key, page=pages[name], audience=aud,
                          source=_source(project, key, aud), meaning=audience_meaning(aud))
        for m in sorted(project.markets):
            checked, diags = check_audience(project, name, m)
            if checked is not None:
                e.markets[m] = None
                for dest, errs in checked.blocked.items():
                    e.blocked.setdefault(dest, {})[m] = [d.message for d in errs]
            else:
                err = next((d for d in diags if d.is_error), None)
                e.markets[m] = (err.code, err.message) if err is not None else ("", "does not compile")
        e.references = [b for a, b in graph.references if a == name]
        e.referenced_by = sorted(a for a, b in graph.references if b == name)
        e.deliveries = list((deliveries or {}).get(name, ()))
        out.append(e)
    return out


# --------------------------------------------------------------------------- pages

_CSS = """
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1b1f24;background:#fff}
main{max-width:1100px;margin:0 auto;padding:1.2rem}
h1{font-size:1.5rem;margin:.2rem 0 .8rem}h2{font-size:1.1rem;margin:1.4rem 0 .4rem}
a{color:#0a58ca}code,pre{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{background:#f5f6f8;padding:.8rem;overflow:auto;border-radius:6px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #e3e5e8;vertical-align:top}
td.n{text-align:right}.tag{display:inline-block;background:#eef1f6;border-radius:9px;padding:0 .45rem;margin:0 .2rem .1rem 0;font-size:12px}
.muted{color:#66707a}.ok,.activatable{color:#137333}.err,.held{color:#b3261e}
.filters{display:flex;flex-wrap:wrap;gap:.5rem;margin:.5rem 0 1rem}.filters input{flex:1 1 16rem;padding:.35rem}
.filters select{padding:.3rem}
svg.chart text{font-size:10px;fill:#66707a}svg.chart .axis{stroke:#c4c8cc}
svg.chart .size{fill:none;stroke:#0a58ca;stroke-width:2}svg.chart .gate{fill:none;stroke:#b3261e;stroke-dasharray:4 3}
svg.chart circle.activatable{fill:#137333}svg.chart circle.held{fill:#b3261e}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dl.meta dt{color:#66707a}dl.meta dd{margin:0}
"""

_SCRIPT = """
(function () {
  "use strict";
  var index = JSON.parse(document.getElementById("catalogue-index").textContent);
  var q = document.getElementById("q");
  var selects = {owner: document.getElementById("f-owner"), tag: document.getElementById("f-tag"),
                 market: document.getElementById("f-market"), destination: document.getElementById("f-destination")};
  var count = document.getElementById("count");
  function fill(sel, values) {
    values.forEach(function (v) { var o = document.createElement("option"); o.value = v; o.textContent = v; sel.appendChild(o); });
  }
  function uniq(key) {
    var seen = {};
    index.audiences.forEach(function (a) { [].concat(a[key]).forEach(function (v) { if (v) { seen[v] = true; } }); });
    return Object.keys(seen).sort();
  }
  fill(selects.owner, uniq("owner")); fill(selects.tag, uniq("tags"));
  fill(selects.market, uniq("markets")); fill(selects.destination, uniq("destinations"));
  function matches(a, words) {
    var hay = [a.name, a.title, a.owner, a.description].concat(a.tags).join(" \\n ").toLowerCase();
    for (var i = 0; i < words.length; i++) { if (hay.indexOf(words[i]) < 0) { return false; } }
    if (selects.owner.value && a.owner !== selects.owner.value) { return false; }
    if (selects.tag.value && a.tags.indexOf(selects.tag.value) < 0) { return false; }
    if (selects.market.value && a.markets.indexOf(selects.market.value) < 0) { return false; }
    if (selects.destination.value && a.destinations.indexOf(selects.destination.value) < 0) { return false; }
    return true;
  }
  function apply() {
    var words = q.value.toLowerCase().split(/\\s+/).filter(function (w) { return w.length > 0; });
    var shown = 0;
    index.audiences.forEach(function (a, i) {
      var row = document.getElementById("row-" + i);
      var ok = matches(a, words);
      row.hidden = !ok;
      if (ok) { shown++; }
    });
    count.textContent = shown + " of " + index.audiences.length + " audiences";
  }
  q.addEventListener("input", apply);
  Object.keys(selects).forEach(function (k) { selects[k].addEventListener("change", apply); });
  var m = /^#q=(.*)$/.exec(window.location.hash);
  if (m) { q.value = decodeURIComponent(m[1]); }
  document.getElementById("filters").hidden = false;
  apply();
})();
"""


def _sha256_b64(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def _page(title: str, body: str, *, script: str | None = None, up: str = "") -> str:
    """One HTML document. The CSP forbids every fetch and every script but ``script``."""
    scripts = f"'sha256-{_sha256_b64(script)}'" if script is not None else "'none'"
    csp = (f"default-src 'none'; script-src {scripts}; style-src 'sha256-{_sha256_b64(_CSS)}'; "
           "img-src data:; base-uri 'none'; form-action 'none'")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{esc(csp)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{esc(title)}</title><style>{_CSS}</style></head>\n<body><main>\n{body}\n</main>"
        + (f"<script>{script}</script>" if script is not None else "")
        + "</body></html>\n"
    )


def _json_for_script(doc: Any) -> str:
    """JSON inside ``<script type="application/json">``: ``<``, ``>`` and ``&`` as ``\\u`` escapes,
    so no text in it can close the element or open a comment."""
    s = json.dumps(doc, ensure_ascii=False, sort_keys=True)
    return (s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _tags(tags: Sequence[str]) -> str:
    return "".join(f'<span class="tag">{esc(t)}</span>' for t in tags)


def index_page(project_name: str, entries: Sequence[AudienceEntry]) -> str:
    doc = {"version": 1, "audiences": [
        {"name": e.name, "title": e.title, "owner": e.owner, "description": e.description, "tags": e.tags,
         "markets": e.compiles_in, "destinations": e.destinations, "page": e.page}
        for e in entries]}
    rows = []
    for i, e in enumerate(entries):
        rows.append(
            f'<tr id="row-{i}"><td><a href="{esc(e.page)}">{esc(e.name)}</a>'
            + (f'<div class="muted">{esc(e.title)}</div>' if e.title else "")
            + f"</td><td>{esc(e.owner)}</td><td>{_tags(e.tags)}</td>"
            f"<td>{esc(', '.join(e.compiles_in))}</td><td>{esc(', '.join(e.destinations))}</td></tr>")
    sel = "".join(f'<select id="f-{k}" aria-label="{k}"><option value="">any {k}</option></select>'
                  for k in ("owner", "tag", "market", "destination"))
    body = (
        f"<h1>Audiences of {esc(project_name)}</h1>"
        '<div class="filters" id="filters" hidden>'
        '<input id="q" type="search" placeholder="Search name, title, owner, tag…" aria-label="search" autofocus>'
        f'{sel}</div><p id="count" class="muted">{len(entries)} audiences</p>'
        '<table id="audiences"><thead><tr><th>audience</th><th>owner</th><th>tags</th><th>compiles in</th>'
        f'<th>destinations</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
        f'<script type="application/json" id="catalogue-index">{_json_for_script(doc)}</script>'
    )
    return _page(f"Audiences of {project_name}", body, script=_SCRIPT)


def _link(entries_by_name: dict[str, AudienceEntry], name: str) -> str:
    e = entries_by_name.get(name)
    if e is None:
        return f'<code>{esc(name)}</code> <span class="err">(unknown audience)</span>'
    return f'<a href="../{esc(e.page)}"><code>{esc(name)}</code></a>'


def audience_page(e: AudienceEntry, project: Project, entries_by_name: dict[str, AudienceEntry]) -> str:
    aud = e.audience
    meta = [("title", esc(e.title)), ("owner", esc(e.owner)), ("description", esc(e.description)),
            ("tags", _tags(e.tags)), ("file", f"<code>{esc(e.file)}</code>")]
    parts = [f'<p><a href="../index.html">← all audiences</a></p><h1><code>{esc(e.name)}</code></h1>']
    parts.append('<dl class="meta">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in meta if v) + "</dl>")
    parts.append("<h2>Meaning</h2><ul>" + "".join(f"<li>{esc(s)}</li>" for s in e.meaning) + "</ul>")
    parts.append("<h2>Markets</h2><table><thead><tr><th>market</th><th>status</th></tr></thead><tbody>")
    for m, err in e.markets.items():
        status = '<span class="ok">compiles</span>' if err is None else \
            f'<span class="err">does not compile: {esc(err[0])}</span> {esc(err[1])}'
        parts.append(f"<tr><td>{esc(m)}</td><td>{status}</td></tr>")
    parts.append("</tbody></table>")
    parts.append("<h2>Consent and destinations</h2>")
    purposes = aud.required_purposes
    parts.append("<p>Requires consent: " + (esc(", ".join(purposes)) if purposes else "none") + ". "
                 + (f"Audience minimum size: {esc(_num(int(aud.min_size.value)))}." if aud.min_size else
                    "No audience minimum size.") + "</p>")
    if e.destinations:
        own = int(aud.min_size.value) if aud.min_size is not None else 0
        parts.append("<table><thead><tr><th>destination</th><th>gate (minimum)</th><th>consent</th>"
                     "<th>identifier</th><th>blocked in</th></tr></thead><tbody>")
        for d in e.destinations:
            cfg = project.config.destinations.get(d)
            if cfg is None:
                parts.append(f'<tr><td>{esc(d)}</td><td colspan="4" class="err">not defined in the config</td></tr>')
                continue
            blocked = "; ".join(f"{m}: {msg}" for m, msgs in sorted(e.blocked.get(d, {}).items()) for msg in msgs)
            parts.append(
                f"<tr><td>{esc(d)}</td><td class=\"n\">{esc(_num(max(own, cfg.min_size)))}</td>"
                f"<td>{esc(', '.join(cfg.consent)) or 'none'}</td><td>{esc(cfg.identifier or '')}</td>"
                f"<td>{esc(blocked) or '—'}</td></tr>")
        parts.append("</tbody></table>")
    else:
        parts.append("<p>Not activated anywhere.</p>")
    parts.append("<h2>References</h2>")
    refs = ", ".join(_link(entries_by_name, n) for n in e.references) or "none"
    back = ", ".join(_link(entries_by_name, n) for n in e.referenced_by) or "none"
    parts.append(f"<p>Refers to: {refs}</p><p>Referred to by: {back}</p>")
    parts.append("<h2>Deliveries</h2>" + deliveries_html(e.deliveries))
    parts.append("<h2>Source</h2>")
    parts.append(f"<pre><code>{esc(e.source)}</code></pre>" if e.source is not None else
                 '<p class="muted">source not readable</p>')
    return _page(f"{e.name} — audience", "".join(parts))


def build_catalogue(project: Project,
                    deliveries: Mapping[str, Sequence[Delivery]] | None = None) -> dict[str, str]:
    """Relative path -> file text of the whole catalogue."""
    entries = catalogue_entries(project, deliveries)
    by_name = {e.name: e for e in entries}
    files = {"index.html": index_page(project.root.name, entries)}
    for e in entries:
        files[e.page] = audience_page(e, project, by_name)
    return files


# --------------------------------------------------------------------------- writing


class OutputRefused(Exception):
    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def write_catalogue(project: Project, files: dict[str, str], out: Path) -> None:
    """Write ``files`` as the folder ``out``, replacing it whole (atomically: a new folder
    renamed into place). Refuses (:class:`OutputRefused`) a folder that holds the project's
    own files, or a non-empty folder without :data:`MARKER` (one the catalogue did not write).
    Raises ``OSError`` when the file system refuses; nothing half-written is left."""
    import os
    import shutil
    import tempfile

    target = out.resolve()
    sources = [project.config_path, *(project.path_of(k) for k in project.files),
               *(project.path_of(k) for k in project.market_files.values())]
    for src in sources:
        if src is not None and _inside(src.resolve(), target):
            raise OutputRefused(f"refusing to replace {out}: it holds the project's own files ({src.resolve()})",
                                "docs --out replaces the whole folder: give it a folder of its own, e.g. --out build/docs")
    if target.exists() and not target.is_dir():
        raise OutputRefused(f"refusing to replace {out}: it is not a folder", "give a folder, e.g. --out build/docs")
    if target.is_dir() and not (target / MARKER).is_file() and any(target.iterdir()):
        raise OutputRefused(f"refusing to replace {out}: the folder is not empty and was not written by "
                            f"`audiencelang docs` (no {MARKER} file in it)",
                            "docs --out replaces the whole folder: give an empty or new folder, e.g. --out build/docs")
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    mask = os.umask(0o022)
    os.umask(mask)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=parent))
    try:
        os.chmod(tmp, 0o777 & ~mask)
        for rel, text in files.items():
            p = tmp / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text, encoding="utf-8")
        (tmp / MARKER).write_text(_MARKER_TEXT, encoding="utf-8")
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=parent))
            os.replace(target, old / "d")
            try:
                os.replace(tmp, target)
            except OSError:
                os.replace(old / "d", target)
                raise
            finally:
                if target.exists():
                    shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
