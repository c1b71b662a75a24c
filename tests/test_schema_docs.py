"""The YAML/TOML examples in docs/markets.md and docs/config.md load without a diagnostic."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from audiencelang.schema import load_config_text, load_market_text

DOCS = Path(__file__).parents[1] / "docs"


def blocks(page: str, lang: str) -> list[str]:
    text = (DOCS / page).read_text(encoding="utf-8")
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.DOTALL)


def test_docs_have_examples() -> None:
    assert len(blocks("markets.md", "yaml")) >= 1
    assert len(blocks("config.md", "toml")) >= 3


@pytest.mark.parametrize("text", blocks("markets.md", "yaml"))
def test_market_examples_load(text: str) -> None:
    market, diags = load_market_text(text, path="docs/markets.md")
    assert diags == [] and market is not None


@pytest.mark.parametrize("text", blocks("config.md", "toml"))
def test_config_examples_load(text: str) -> None:
    pyproject = "[tool.audiencelang]" in text
    config, diags = load_config_text(text, path="docs/config.md", pyproject=pyproject)
    assert diags == [] and config is not None
