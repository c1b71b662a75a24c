"""The grammar's text (``grammar/audience.lark``, packaged as ``audiencelang/_grammar``),
read without importing the parser (``check``'s cache keys include it)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["grammar_text"]


def grammar_text() -> str:
    packaged = resources.files("audiencelang").joinpath("_grammar/audience.lark")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    source = Path(__file__).resolve().parent.parent / "grammar" / "audience.lark"
    return source.read_text(encoding="utf-8")
