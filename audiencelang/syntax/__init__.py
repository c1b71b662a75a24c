"""Syntax: text -> typed AST (with spans), and the canonical formatter.

Public entry points: :func:`parse`, :func:`parse_file`, :func:`parse_bytes`.
"""

from audiencelang.syntax.parser import (
    MAX_DEPTH,
    MAX_FILE_BYTES,
    ParseResult,
    build_parser,
    parse,
    parse_bytes,
    parse_file,
    parse_files,
)

__all__ = ["MAX_DEPTH", "MAX_FILE_BYTES", "ParseResult", "build_parser", "parse", "parse_bytes", "parse_file", "parse_files"]
