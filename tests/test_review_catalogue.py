"""`audiencelang docs --out DIR`: the static catalogue, its escaping, its output folder,
the deliveries chart, and a real headless Chromium (search, links, no console errors)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pytest
from click.testing import CliRunner

from audiencelang.cli import main
from audiencelang.project import load_project
from audiencelang.review.catalogue import MARKER, Delivery, build_catalogue, deliveries_html
from tests.browser import browser, file_url, find_browser
from tests.conftest import unavailable

EXAMPLES = Path(__file__).parents[1] / "examples"

HOSTILE = '''audience hostile_one {
  title "</script><script>document.title='PWNED'</script>"
  owner "\\"><img src=x onerror=\\"document.title='PWNED'\\">"
  description "<!-- & <b>bold</b> \\u2028"
  tags ["<i>x</i>", "retargeting"]
  include country in ["<script>"] and in audience cart_abandoners
}
'''


@pytest.fixture(scope="module")
def project_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cat") / "shop"
    shutil.copytree(EXAMPLES, root)
    (root / "audiences" / "hostile.aud").write_text(HOSTILE, encoding="utf-8")
    de = root / "markets" / "de.yaml"  # a trait only market de has: vip_scored compiles there only
    de.write_text(de.read_text().replace("    country:  ", "    vip_score: {column: vip, type: integer}\n    country:  ", 1))
    (root / "audiences" / "vip.aud").write_text(
        'audience vip_scored {\n  owner "vip-team@example.com"\n  include vip_score > 3\n}\n', encoding="utf-8")
    return root


def _docs(project: Path, out: Path) -> Any:
    return CliRunner().invoke(main, ["docs", "--project", str(project), "--out", str(out)])


@pytest.fixture(scope="module")
def site(project_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site") / "docs"
    r = _docs(project_dir, out)
    assert r.exit_code == 0, r.output
    return out


# --------------------------------------------------------------------------- pages


def test_every_audience_has_a_page_with_meaning_markets_destinations_references(site: Path) -> None:
    names = [*load_project(EXAMPLES).audiences(), "hostile_one", "vip_scored"]
    pages = sorted(p.stem for p in (site / "audiences").glob("*.html"))
    assert pages == sorted(names)
    page = (site / "audiences" / "cart_abandoners.html").read_text()
    assert "Includes profiles who performed add_to_cart in the last 7 days and country in" in page
    assert "Members must have consent ads_personalization, email_marketing." in page
    assert "<td>meta_ads</td><td class=\"n\">1,000</td><td>ads_personalization</td><td>email_sha256</td>" in page
    assert 'Refers to: <a href="../audiences/existing_customers.html"><code>existing_customers</code></a>' in page
    assert 'Referred to by: <a href="../audiences/hostile_one.html"><code>hostile_one</code></a>' in page
    assert "<td>de</td><td><span class=\"ok\">compiles</span></td>" in page
    assert "audience cart_abandoners {\n  title &quot;Cart abandoners DACH&quot;" in page  # the source
    assert "No deliveries recorded." in page
    # an audience that does not compile somewhere says why, with its code
    vip = (site / "audiences" / "vip_scored.html").read_text()
    assert "<td>de</td><td><span class=\"ok\">compiles</span></td>" in vip
    assert re.search(r"<td>fr</td><td><span class=\"err\">does not compile: E3\d\d</span> [^<]*vip_score", vip)
    assert "Not activated anywhere." in vip


def test_user_strings_are_escaped(site: Path) -> None:
    for f in [site / "index.html", site / "audiences" / "hostile_one.html"]:
        text = f.read_text()
        body = text.split("<body>", 1)[1]
        # the only script element is the index's own (and its JSON data), never the audience's
        assert "<script>document" not in body and "<img" not in body and "<i>x</i>" not in body
        assert body.count("<script") == (2 if f.name == "index.html" else 0)
        assert "<!--" not in body
    page = (site / "audiences" / "hostile_one.html").read_text()
    assert "&lt;/script&gt;&lt;script&gt;document.title=&#x27;PWNED&#x27;&lt;/script&gt;" in page
    index = (site / "index.html").read_text()
    assert "\\u003c/script\\u003e\\u003cscript\\u003e" in index  # inside the JSON index


def test_pages_forbid_network_and_foreign_scripts(site: Path) -> None:
    for f in [site / "index.html", *(site / "audiences").glob("*.html")]:
        text = f.read_text()
        csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', text)
        assert csp is not None and "default-src &#x27;none&#x27;" in csp.group(1), f
        assert "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")
        assert "https://" not in text


# --------------------------------------------------------------------------- output folder


def test_output_folder_is_marked_and_only_replaced_when_ours(project_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "docs"
    assert _docs(project_dir, out).exit_code == 0
    assert (out / MARKER).is_file()
    (out / "stale.html").write_text("x")
    assert _docs(project_dir, out).exit_code == 0  # ours: replaced whole
    assert not (out / "stale.html").exists() and (out / "index.html").is_file()

    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    r = _docs(project_dir, foreign)
    assert r.exit_code == 2 and r.stderr.startswith("error[E904]: refusing to replace "), r.output
    assert (foreign / "notes.txt").read_text() == "keep me" and not (foreign / "index.html").exists()

    r = _docs(project_dir, project_dir)  # the project itself
    assert r.exit_code == 2 and "holds the project's own files" in r.stderr
    assert (project_dir / "audiencelang.toml").is_file()

    empty = tmp_path / "empty"
    empty.mkdir()
    assert _docs(project_dir, empty).exit_code == 0


def test_unwritable_output_is_a_diagnostic(project_dir: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = _docs(project_dir, blocker / "docs")
    assert r.exit_code == 2 and r.stderr.startswith("error[E902]: cannot write "), r.output


# --------------------------------------------------------------------------- deliveries


def _t(day: int) -> dt.datetime:
    return dt.datetime(2026, 10, day, tzinfo=dt.UTC)


def test_deliveries_latest_size_and_chart_with_the_gate() -> None:
    records = [
        Delivery(_t(3), "de", "meta_ads", 1200, 1000),
        Delivery(_t(1), "de", "meta_ads", 400, 1000),   # out of order on purpose
        Delivery(_t(2), "de", "meta_ads", 800, 1000),
        Delivery(_t(2), "fr", "tiktok_ads", 90, 1000),
    ]
    out = deliveries_html(records)
    rows = re.findall(r"<tr><td>(\w+)</td><td>(\w+)</td><td>([\d-]+)</td><td class=\"n\">([\d,]+)</td>"
                      r"<td class=\"n\">([\d,]+)</td><td class=\"(\w+)\">", out)
    assert rows == [("de", "meta_ads", "2026-10-03", "1,200", "1,000", "activatable"),
                    ("fr", "tiktok_ads", "2026-10-02", "90", "1,000", "held")]
    svgs = re.findall(r"<svg.*?</svg>", out)
    assert len(svgs) == 2
    first = ET.fromstring(svgs[0])
    ns = "{http://www.w3.org/2000/svg}"
    assert len(first.findall(f"{ns}circle")) == 3
    sizes = first.find(f"{ns}polyline[@class='size']")
    gate = first.find(f"{ns}polyline[@class='gate']")
    assert sizes is not None and gate is not None
    ys = [float(p.split(",")[1]) for p in sizes.attrib["points"].split()]
    assert ys[0] > ys[1] > ys[2]  # in time order, growing (SVG y grows downwards)
    gate_y = {float(p.split(",")[1]) for p in gate.attrib["points"].split()}
    assert len(gate_y) == 1 and ys[1] > gate_y.pop() > ys[2]  # 800 below the 1,000 line, 1,200 above
    assert "min 1,000" in svgs[0]
    titles = [c.findtext(f"{ns}title") for c in first.findall(f"{ns}circle")]
    assert titles == ["2026-10-01: 400 (held, min 1,000)", "2026-10-02: 800 (held, min 1,000)",
                      "2026-10-03: 1,200 (activatable, min 1,000)"]


def test_deliveries_escape_names_and_say_when_none() -> None:
    assert deliveries_html([]) == '<p class="muted">No deliveries recorded.</p>'
    out = deliveries_html([Delivery(_t(1), "<m>", "<d&>", 5, 0)])
    assert "<m>" not in out and "&lt;m&gt;" in out and "&lt;d&amp;&gt;" in out
    ET.fromstring(re.search(r"<svg.*?</svg>", out).group(0))  # type: ignore[union-attr]


def test_deliveries_reach_the_audience_page(project_dir: Path) -> None:
    files = build_catalogue(load_project(project_dir),
                            {"cart_abandoners": [Delivery(_t(1), "de", "meta_ads", 1500, 1000)]})
    assert "<svg" in files["audiences/cart_abandoners.html"]
    assert "<svg" not in files["audiences/big_spenders.html"]


# --------------------------------------------------------------------------- in a real browser


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    found = find_browser()
    if found is None:
        unavailable("chromium and chromedriver not found (apt-get install -y chromium chromium-driver)")
    assert found is not None
    with browser(*found) as b:
        yield b


def _visible(b: Any) -> list[str]:
    return list(b.run("return Array.from(document.querySelectorAll('#audiences tbody tr'))"
                      ".filter(function (r) { return !r.hidden; })"
                      ".map(function (r) { return r.querySelector('a').textContent; });"))


def _errors(b: Any) -> list[Any]:
    return [e for e in b.console() if e.get("level") in ("SEVERE", "WARNING")]


def test_catalogue_in_chromium_search_filters_links_resolve_no_errors(chromium: Any, site: Path) -> None:
    b = chromium
    b.console()  # drop anything from before
    b.open(file_url(site / "index.html"))
    everyone = _visible(b)
    n = len(load_project(EXAMPLES).audiences()) + 2  # the examples, hostile_one and vip_scored
    assert sorted(everyone) == sorted([*load_project(EXAMPLES).audiences(), "hostile_one", "vip_scored"])
    assert len(everyone) == n and b.run("return document.title") == "Audiences of shop"
    assert b.run("return document.getElementById('count').textContent") == f"{n} of {n} audiences"

    b.type_into("#q", "lapsed")  # a name
    assert _visible(b) == ["lapsed_high_value"]
    b.type_into("#q", "vip-team")  # an owner
    assert set(_visible(b)) == {"big_spenders", "vip_scored"}
    b.type_into("#q", "retargeting")  # a tag
    assert set(_visible(b)) == {"abandoned_carts", "cart_abandoners", "engaged_browsers", "hostile_one"}
    b.type_into("#q", "")
    b.run("var s = document.getElementById('f-market'); s.value = 'fr'; s.dispatchEvent(new Event('change'));")
    in_fr = _visible(b)
    assert "vip_scored" not in in_fr and len(in_fr) == len(everyone) - 1
    b.run("var s = document.getElementById('f-market'); s.value = '';"
          "var d = document.getElementById('f-destination'); d.value = 'tiktok_ads'; d.dispatchEvent(new Event('change'));")
    assert set(_visible(b)) == {n for n in everyone
                                if "<td>tiktok_ads</td>" in (site / "audiences" / f"{n}.html").read_text()}
    assert _errors(b) == []

    # the hostile audience's strings did not run
    b.open(file_url(site / "audiences" / "hostile_one.html"))
    assert b.run("return document.title") != "PWNED"
    assert b.run("return document.querySelectorAll('img, script').length") == 0
    assert b.run("return document.querySelector('dd').textContent").startswith("</script><script>")
    assert _errors(b) == []

    # every link on every page resolves to a file that exists; no page logs an error
    pages = [site / "index.html", *sorted((site / "audiences").glob("*.html"))]
    checked = 0
    for page in pages:
        b.open(file_url(page))
        hrefs = b.run("return Array.from(document.querySelectorAll('a[href]')).map(function (a) { return a.href; })")
        for href in hrefs:
            u = urlparse(href)
            assert u.scheme == "file", (page, href)
            assert Path(unquote(u.path)).is_file(), (page, href)
            checked += 1
        assert _errors(b) == [], page
    assert checked >= n + n * 1  # the index links every page; every page links back


def test_the_console_check_can_fail(chromium: Any, site: Path) -> None:
    """The log the browser test reads does carry uncaught exceptions."""
    chromium.open(file_url(site / "index.html"))
    chromium.console()
    chromium.run("setTimeout(function () { throw new Error('canary'); }, 0);")
    import time

    for _ in range(50):
        errs = _errors(chromium)
        if errs:
            break
        time.sleep(0.05)
    assert any("canary" in e["message"] for e in errs)


# --------------------------------------------------------------------------- docs --db


def _deliver_twice(tmp_path: Path) -> tuple[Path, Path, list[Any]]:
    """tests/deliverkit.py's project, delivered three times to ``ads`` on DuckDB (gate 3: open,
    open, held); returns the project, the database and the results."""
    from audiencelang.deliver import connect, deliver
    from tests.deliverkit import load, make_project
    from tests.test_deliver import steps

    root = make_project(tmp_path / "p")
    project = load_project(root)
    db = tmp_path / "data.duckdb"
    results = []
    for (as_of, data, _), _n in zip(steps(), range(3), strict=False):
        load("duckdb", db, data)
        with connect(db) as engine:
            results.append(deliver(project, "buyers", "m", "ads", engine=engine,
                                   as_of=as_of.replace(tzinfo=dt.UTC), output=tmp_path / "out"))
        assert results[-1].ok, results[-1].diagnostics
    return root, db, results


def test_docs_db_shows_the_recorded_deliveries(tmp_path: Path) -> None:
    root, db, results = _deliver_twice(tmp_path)
    before = db.read_bytes()
    out = tmp_path / "site"
    res = CliRunner().invoke(main, ["docs", "--project", str(root), "--out", str(out), "--db", str(db)])
    assert res.exit_code == 0, res.output
    assert "3 recorded deliveries" in res.output
    assert db.read_bytes() == before  # read-only
    page = (out / "audiences" / "buyers.html").read_text()
    rows = re.findall(r"<tr><td>(\w+)</td><td>(\w+)</td><td>([\d-]+)</td><td class=\"n\">([\d,]+)</td>"
                      r"<td class=\"n\">([\d,]+)</td><td class=\"(\w+)\">", page)
    sizes = [r.gate.size for r in results]
    assert [r.status for r in results] == ["delivered", "delivered", "held"] and sizes[-1] < 3
    assert rows == [("m", "ads", "2026-10-03", str(sizes[-1]), "3", "held")]
    svg = ET.fromstring(re.search(r"<svg.*?</svg>", page, re.S).group(0))  # type: ignore[union-attr]
    ns = "{http://www.w3.org/2000/svg}"
    titles = [c.findtext(f"{ns}title") for c in svg.findall(f"{ns}circle")]
    assert titles == [f"2026-10-0{i + 1}: {n} ({'activatable' if n >= 3 else 'held'}, min 3)"
                      for i, n in enumerate(sizes)]
    assert "No deliveries recorded." in (out / "audiences" / "blocked.html").read_text()


def test_docs_db_without_deliveries_and_with_a_missing_database(tmp_path: Path, project_dir: Path) -> None:
    import duckdb

    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    out = tmp_path / "site"
    res = CliRunner().invoke(main, ["docs", "--project", str(project_dir), "--out", str(out), "--db", str(empty)])
    assert res.exit_code == 0, res.output
    assert "No deliveries recorded." in (out / "audiences" / "cart_abandoners.html").read_text()
    gone = tmp_path / "site2"
    res = CliRunner().invoke(main, ["docs", "--project", str(project_dir), "--out", str(gone),
                                    "--db", str(tmp_path / "missing.duckdb")])
    assert res.exit_code == 1 and "error[E601]" in res.output
    assert not gone.exists()
