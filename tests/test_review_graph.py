"""``audiencelang graph``: audiences, references across files, destinations; cycles are errors."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from audiencelang.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _graph(root: Path, fmt: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, ["graph", "--project", str(root), "--format", fmt], catch_exceptions=False)
    return r.exit_code, r.stdout, r.stderr


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    (tmp_path / "audiencelang.toml").write_text('[destinations.meta_ads]\nmin_size = 100\n'
                                                '[destinations.unused_dest]\n')
    (tmp_path / "audiences").mkdir()
    (tmp_path / "markets").mkdir()
    for name, text in files.items():
        (tmp_path / "audiences" / name).write_text(text)
    return tmp_path


def test_graph_json_of_the_examples() -> None:
    code, out, err = _graph(EXAMPLES, "json")
    assert code == 0 and err == ""
    doc = json.loads(out)
    assert doc["version"] == 1 and doc["cycles"] == []
    by = {a["name"]: a for a in doc["audiences"]}
    assert by["cart_abandoners"]["references"] == ["existing_customers"]  # lifecycle.aud: across files
    assert by["existing_customers"]["referenced_by"] == ["cart_abandoners", "new_signups"]
    assert by["cart_abandoners"]["activates"] == ["meta_ads", "newsletter"]
    dests = {d["name"]: d for d in doc["destinations"]}
    assert dests["tiktok_ads"]["audiences"] == ["engaged_browsers", "holiday_shoppers", "lapsed_high_value"]


def test_graph_mermaid_and_dot() -> None:
    code, out, _ = _graph(EXAMPLES, "mermaid")
    assert code == 0 and out.startswith("flowchart LR\n")
    assert "  a_cart_abandoners -->|in audience| a_existing_customers\n" in out
    assert "  a_cart_abandoners -.->|activate| d_meta_ads\n" in out
    assert "linkStyle" not in out
    code, out, _ = _graph(EXAMPLES, "dot")
    assert code == 0 and out.startswith("digraph audiences {")
    assert '  "a:cart_abandoners" -> "a:existing_customers";\n' in out
    assert '  "a:cart_abandoners" -> "d:meta_ads" [style=dashed];\n' in out


def test_a_cycle_is_an_error_and_marked(tmp_path: Path) -> None:
    root = _project(tmp_path, {
        "a.aud": "audience a { include in audience b }\n",
        "b.aud": "audience b { include in audience c and age > 1 }\naudience c { include in audience a }\n",
        "d.aud": "audience d { include in audience a\n activate meta_ads }\n",
    })
    code, out, err = _graph(root, "mermaid")
    assert code == 1
    assert err == "error[E307]: audiences refer to each other in a cycle: a -> b -> c -> a\n"
    assert "  a_a -->|cycle| a_b\n" in out and "  a_d -->|in audience| a_a\n" in out
    assert "  linkStyle 0,1,2 stroke:#d00,stroke-width:3px\n" in out
    code, out, _ = _graph(root, "json")
    doc = json.loads(out)
    assert code == 1 and doc["cycles"] == [["a", "b", "c", "a"]]
    assert [e["cycle"] for e in doc["edges"] if e["kind"] == "reference"] == [True, True, True, False]
    code, out, _ = _graph(root, "dot")
    assert code == 1 and '  "a:a" -> "a:b" [color=red, penwidth=2, label="cycle"];\n' in out


def test_unknown_reference_and_destination_are_drawn_as_missing(tmp_path: Path) -> None:
    root = _project(tmp_path, {"a.aud": "audience a { include in audience nope\n activate tiktok }\n"})
    code, out, _ = _graph(root, "mermaid")
    assert code == 0
    assert '  a_nope["nope (unknown)"]:::missing\n' in out and '  d_tiktok[/"tiktok"/]:::missing\n' in out
    assert '  d_unused_dest[/"unused_dest"/]\n' in out
