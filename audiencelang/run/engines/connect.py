""":func:`connect`: a path or URL to the :class:`~audiencelang.run.engines.base.Engine` it names
(the table of targets is in :mod:`audiencelang.run.engines`)."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from audiencelang.diagnostics import error
from audiencelang.redact import redact
from audiencelang.run.engines.base import (
    _SQLITE_MAGIC,
    _SQLITE_SUFFIXES,
    DEFAULT_DB_NAME,
    Engine,
    RunError,
)
from audiencelang.run.engines.files import _open_chdb, _open_duckdb, _open_sqlite
from audiencelang.run.engines.servers import (
    _CONNINFO_RE,
    _open_mysql,
    _open_postgres,
    _open_redshift,
    _redact,
)
from audiencelang.run.engines.spark import _open_spark_connect, _open_spark_local

if TYPE_CHECKING:
    pass


# --------------------------------------------------------------------------- connect


def _is_sqlite_file(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return f.read(len(_SQLITE_MAGIC)) == _SQLITE_MAGIC
    except OSError:
        return False


def _url_path(rest: str) -> Path:
    """``sqlite:///rel.db`` → ``rel.db``; ``sqlite:////abs.db`` → ``/abs.db`` (SQLAlchemy style)."""
    return Path(urllib.parse.unquote(rest.split("?", 1)[0]))


def connect(target: str | Path | None, *, project_root: Path | str | None = None) -> Engine:
    """Open the database named by ``target`` (a path or URL; see the module docs).

    ``None`` means ``audiencelang.duckdb`` in ``project_root`` (default: the current
    folder). Raises :class:`RunError` (E601 missing file, E602 cannot connect, E603
    unsupported target, E604 unsafe session, E615 redshift:// URL of a server that is not
    Redshift-like); never creates a file.
    """
    if target is None:
        root = Path(project_root) if project_root is not None else Path()
        path = root / DEFAULT_DB_NAME
        engine = _open_duckdb(path, str(path))
        engine.default_db = True
        return engine
    text = str(target)
    if not text.strip():
        raise RunError(error("E603", "empty database target", None, "pass --db PATH_OR_URL"))
    if "\x00" in text:
        raise RunError(error("E603", "database target contains a NUL character"))
    lower = text.lower()
    if lower.startswith(("postgresql://", "postgres://")) or _CONNINFO_RE.match(text):
        return _open_postgres(text)
    if lower.startswith("redshift://"):
        return _open_redshift(text)
    if lower.startswith(("mysql://", "mariadb://")):
        return _open_mysql(text)
    if lower.startswith("sc://"):
        return _open_spark_connect(text)
    openers: tuple[tuple[str, Callable[[Path, str], Engine]], ...] = (("duckdb:", _open_duckdb), ("sqlite:", _open_sqlite),
                                            ("chdb:", _open_chdb),
                                                              ("spark+local:", _open_spark_local))
    for scheme, opener in openers:
        if lower.startswith(scheme):
            rest = text[len(scheme):]
            if not rest.startswith("///") or len(rest) == 3:
                raise RunError(error(
                    "E603", f"malformed {scheme[:-1]} URL: {redact(text)}", None,
                    f"use {scheme}///relative/path or {scheme}////absolute/path"))
            path = _url_path(rest[3:])
            if scheme == "duckdb:" and str(path) == ":memory:":
                return _open_duckdb(path, text)
            return opener(path, redact(text))
    other = re.match(r"([A-Za-z][A-Za-z0-9+.-]*)://", text)
    if other:
        scheme = other.group(1)
        raise RunError(error(
            "E603", f"unsupported database URL scheme '{scheme}': {_redact(text)}", None,
            "supported: a DuckDB or SQLite file path, duckdb:///PATH, sqlite:///PATH, "
            "postgresql://USER@HOST/DB, redshift://USER@HOST:5439/DB, mysql://USER@HOST:3306/DB, chdb:///FOLDER, spark+local:///FOLDER, sc://HOST:15002"))
    path = Path(text).expanduser()
    shown = redact(text)
    if path.suffix.lower() in _SQLITE_SUFFIXES or (path.is_file() and _is_sqlite_file(path)):
        return _open_sqlite(path, shown)
    return _open_duckdb(path, shown)
