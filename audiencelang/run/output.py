"""Member files written by ``audiencelang run --output FILE``: CSV or Parquet, atomically.

The format is chosen by the file's extension (``.csv``, ``.parquet``); anything
else is a usage error, reported before any query runs (:func:`output_format`).
Rows are written to a temporary file in the target's folder, which replaces the
target (``os.replace``) only when every row has been written: a failed run leaves
neither a new file nor a partial one, and an existing file stays as it was (its
permissions too). The temporary file is named ``.NAME.PID.XXXX.tmp``; one left by a
killed run (its process gone) is removed by the next write of the same file.

* CSV: the ``csv`` module, a header row, ``\\r\\n`` line ends (RFC 4180), UTF-8,
  NULL as an empty field, timestamps in ISO 8601.
* Parquet: the rows go through a DuckDB table in a temporary buffer file next to
  the output (``.NAME.PID.XXXX.buffer.tmp``, at most 64 MB of it in memory; removed
  after the write, or by the next write when the run was killed) and DuckDB writes the
  file. Column types are given by the caller (``types``: the profile id's type for
  ``member_id``, the identifier trait's for ``identifier``), so the schema is the same
  whether the file holds members or none (a held gate); a column without a given
  type follows its values (integers ``BIGINT``, text ``VARCHAR``, ...; only NULLs in
  the first batch: ``VARCHAR``).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import os
import shutil
import stat
import tempfile
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

__all__ = ["FORMATS", "LOGICAL_TYPES", "MemberWriter", "OutputFormat", "duckdb_type", "open_writer",
           "output_format"]

OutputFormat = Literal["csv", "parquet"]
FORMATS: dict[str, OutputFormat] = {".csv": "csv", ".parquet": "parquet"}


#: The memory DuckDB may use for the rows of one Parquet file before it writes them to its
#: buffer file (the rest waits on disk).
PARQUET_BUFFER_MEMORY = "64MB"


def output_format(path: str | os.PathLike[str]) -> OutputFormat:
    """The format for ``path`` by its extension; ``ValueError`` (with a message for the user)
    when the extension is not one of ``.csv``, ``.parquet``."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        shown = suffix or "no extension"
        raise ValueError(f"cannot write members to {os.fspath(path)}: unknown output format "
                         f"({shown}); use a file ending in .csv or .parquet")
    return FORMATS[suffix]


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
            return value.isoformat().replace("+00:00", "Z")
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


LOGICAL_TYPES: dict[str, str] = {
    "string": "VARCHAR", "integer": "BIGINT", "decimal": "DECIMAL(38, 10)", "boolean": "BOOLEAN",
    "date": "DATE", "timestamp": "TIMESTAMP",
}
"""The Parquet (DuckDB) column type of each logical market type."""


def duckdb_type(value: Any) -> str:
    """The DuckDB column type that holds ``value`` (a Python value read from a database)."""
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int):
        return "BIGINT" if -(2**63) <= value < 2**63 else "HUGEINT"
    if isinstance(value, float):
        return "DOUBLE"
    if isinstance(value, Decimal):
        return "DECIMAL(38, 10)"
    if isinstance(value, dt.datetime):
        return "TIMESTAMPTZ" if value.tzinfo is not None else "TIMESTAMP"
    if isinstance(value, dt.date):
        return "DATE"
    if isinstance(value, bytes | bytearray | memoryview):
        return "BLOB"
    return "VARCHAR"


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _mode_for(path: Path) -> int:
    """The permissions a replaced file keeps (a 0600 file stays 0600); new files get 0666 & ~umask."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _temp_prefix(path: Path, pid: int) -> str:
    return f".{path.name}.{pid}."


def remove_stale_temp_files(path: Path) -> None:
    """Delete temporary files of earlier writes of ``path`` whose process is gone (a run
    killed mid-write): they are named ``.NAME.PID.XXXX.tmp`` next to ``path`` (folders of
    that name too: Spark's, :mod:`audiencelang.run.spark_output`)."""
    folder = path.parent if str(path.parent) else Path()
    prefix = f".{path.name}."
    try:
        names = [n for n in os.listdir(folder) if n.startswith(prefix) and n.endswith((".tmp", ".tmp.wal"))]
    except OSError:
        return
    for name in names:
        pid_text = name[len(prefix):].split(".", 1)[0]
        if not pid_text.isdigit() or _alive(int(pid_text)):
            continue
        stale = folder / name
        if stale.is_dir() and not stale.is_symlink():  # a Spark-written folder (run/spark_output.py)
            shutil.rmtree(stale, ignore_errors=True)
            continue
        with contextlib.suppress(OSError):
            stale.unlink()


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class MemberWriter:
    """Write rows to a temporary file; :meth:`commit` moves it into place, :meth:`abort`
    deletes it. As a context manager it commits on success and aborts on an exception."""

    def __init__(self, path: Path, columns: Sequence[str], fmt: OutputFormat,
                 types: Sequence[str | None] | None = None) -> None:
        self.path = path
        self.columns = list(columns)
        self._given = list(types) if types is not None else [None] * len(self.columns)
        self.format = fmt
        self.rows = 0
        folder = path.parent if str(path.parent) else Path()
        remove_stale_temp_files(path)
        fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(path, os.getpid()), suffix=".tmp", dir=folder)
        self._tmp = Path(tmp)
        self._done = False
        self._file: Any = None
        self._csv: Any = None
        self._con: Any = None
        self._types: list[str] | None = None
        if fmt == "csv":
            self._file = os.fdopen(fd, "w", encoding="utf-8", newline="")
            self._csv = csv.writer(self._file)
            self._csv.writerow(self.columns)
        else:
            os.close(fd)
            import duckdb

            # the rows wait in a DuckDB file next to the output (not in memory: a member list
            # of any size costs a bounded buffer, docs/scaling.md), removed after the write
            bfd, buffer = tempfile.mkstemp(prefix=_temp_prefix(path, os.getpid()), suffix=".buffer.tmp", dir=folder)
            os.close(bfd)
            self._buffer: Path | None = Path(buffer)
            self._buffer.unlink()
            self._con = duckdb.connect(str(self._buffer), config={
                "memory_limit": PARQUET_BUFFER_MEMORY, "threads": 1, "preserve_insertion_order": True,
                "autoinstall_known_extensions": False,
                "autoload_known_extensions": False})

    def write(self, batch: Sequence[Sequence[Any]]) -> None:
        if not batch:
            return
        self.rows += len(batch)
        if self._csv is not None:
            self._csv.writerows([_csv_value(v) for v in row] for row in batch)
            return
        if self._types is None:
            types = []
            for i in range(len(self.columns)):
                first = next((r[i] for r in batch if r[i] is not None), None)
                given = self._given[i]
                types.append(given if given is not None else "VARCHAR" if first is None else duckdb_type(first))
            self._types = types
            ddl = ", ".join(f"{_quote(c)} {t}" for c, t in zip(self.columns, types, strict=True))
            self._con.execute(f"CREATE TABLE members ({ddl})")
        lists: list[list[Any]] = [[] for _ in self.columns]
        for row in batch:
            for i, value in enumerate(row):
                if value is not None and self._types[i] == "VARCHAR" and not isinstance(value, str):
                    value = str(value)
                lists[i].append(value)
        params = ", ".join(f"unnest(${i + 1})" for i in range(len(self.columns)))
        self._con.execute(f"INSERT INTO members SELECT {params}", lists)

    def commit(self) -> None:
        if self._done:
            return
        try:
            if self._file is not None:
                self._file.flush()
                os.fsync(self._file.fileno())
                self._file.close()
            else:
                if self._types is None:  # no rows at all: the columns still get their type
                    ddl = ", ".join(f"{_quote(c)} {t or 'VARCHAR'}"
                                    for c, t in zip(self.columns, self._given, strict=True))
                    self._con.execute(f"CREATE TABLE members ({ddl})")
                self._tmp.unlink(missing_ok=True)
                self._con.table("members").write_parquet(str(self._tmp))
                self._con.close()
                self._drop_buffer()
            with contextlib.suppress(OSError):  # mkstemp makes 0600: keep the file's mode, else the usual one
                self._tmp.chmod(_mode_for(self.path))
            os.replace(self._tmp, self.path)
            self._done = True
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        self._done = True
        with contextlib.suppress(Exception):
            if self._file is not None:
                self._file.close()
        with contextlib.suppress(Exception):
            if self._con is not None:
                self._con.close()
        self._drop_buffer()
        self._tmp.unlink(missing_ok=True)

    def _drop_buffer(self) -> None:
        buffer: Path | None = getattr(self, "_buffer", None)
        if buffer is not None:
            for leftover in (buffer, buffer.with_name(buffer.name + ".wal")):
                leftover.unlink(missing_ok=True)
            self._buffer = None

    def __enter__(self) -> MemberWriter:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()


def open_writer(path: str | os.PathLike[str], columns: Sequence[str],
                types: Sequence[str | None] | None = None) -> MemberWriter:
    """A :class:`MemberWriter` for ``path`` (format by extension; ``ValueError`` if unknown,
    ``OSError`` if the folder cannot hold the temporary file). ``types``: the Parquet
    (DuckDB) type per column, ``None`` for "from the values"; CSV ignores them."""
    target = Path(path)
    return MemberWriter(target, columns, output_format(target), types)
