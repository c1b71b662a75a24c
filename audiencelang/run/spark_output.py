"""``run --output PATH.parquet`` on Spark: Spark writes the members itself (issue 17, item 2).

On other engines the member rows come to this process in batches and are written here
(:mod:`audiencelang.run.output`). On Spark that would pull every member through the
driver; instead the statement becomes a DataFrame that Spark's own writer saves as
Parquet, so the members never leave the executors:

* **What you get**: ``PATH.parquet`` is a **folder** in Spark's layout, one
  ``part-*.parquet`` file per partition of the result (Spark's ``_SUCCESS`` marker and
  checksum files are removed), with the
  columns ``member_id`` (and ``identifier`` with ``--destination``) in the statement's own
  types. DuckDB (``read_parquet('PATH.parquet/*.parquet')``), pyarrow, pandas and Spark
  read the folder as one table. Not coalesced to a single file: one file would force the
  whole result through one task (docs/run.md, "Member files on Spark").
* **Nothing half-written**: Spark writes into ``.PATH.parquet.PID.XXXX.tmp`` next to the
  target; only when the write succeeded is the folder renamed to ``PATH.parquet`` (an
  existing file or folder there is moved aside first and removed after). On failure the
  temporary folder is removed; one left by a killed run (its process gone) is removed by
  the next write of the same target.
* **Counts**: the number of rows written is read from the Parquet footers (no Spark job);
  with ``--destination`` the audience size is ``df.count()`` of the members statement,
  computed by Spark. Gates still come from the ``counts`` statement.
* **Where**: Spark local (``spark+local://``) always; Spark Connect (``sc://``) only when
  the server runs on this machine (a loopback host), since the server writes to *its*
  filesystem and this process renames the folder; the folder must then appear here, or
  the run fails with E730 (and removes what it can). Other Connect servers: the rows
  are streamed to this process as before.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from audiencelang.diagnostics import error
from audiencelang.run.engines import RunError, SparkEngine
from audiencelang.run.output import output_format, remove_stale_temp_files

__all__ = ["count_with_spark", "spark_writes", "write_with_spark"]


def spark_writes(engine: object, out_path: Path | None) -> bool:
    """Whether Spark writes ``out_path`` itself: a ``.parquet`` target on an engine whose
    files this process sees (local Spark, a Connect server on this machine)."""
    return (out_path is not None and isinstance(engine, SparkEngine) and engine.shares_files
            and output_format(out_path) == "parquet")


def _dir_mode(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o7777 if path.is_dir() else 0o777 & ~_umask()
    except OSError:
        return 0o777 & ~_umask()


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()


def _rows_written(folder: Path) -> int:
    """Rows in the Parquet files of ``folder``, from their footers (DuckDB reads a
    ``COUNT(*)`` from the row-group metadata)."""
    import duckdb

    files = [str(f) for f in sorted(folder.glob("*.parquet"))]
    if not files:
        return 0
    with duckdb.connect(":memory:", config={"autoinstall_known_extensions": False,
                                            "autoload_known_extensions": False}) as con:
        found = con.execute("SELECT COUNT(*) FROM read_parquet(?)", [files]).fetchone()
    return int(found[0]) if found else 0


def write_with_spark(engine: SparkEngine, sql: str, out_path: Path, columns: Sequence[str], *,
                     audience: str | None, market: str | None) -> int:
    """Run ``sql`` on ``engine`` and let Spark write its first ``len(columns)`` columns,
    named ``columns``, to the Parquet folder ``out_path``; the number of rows written.
    ``RunError`` (E605/E606 from the statement, E730 for a folder this process cannot
    see); ``OSError`` when the target's folder cannot hold the temporary folder."""
    folder = out_path.parent if str(out_path.parent) else Path()
    remove_stale_temp_files(out_path)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_path.name}.{os.getpid()}.", suffix=".tmp", dir=folder))
    try:
        try:
            df = engine.connection.sql(sql)
            n = len(columns)
            positional = df.toDF(*[f"_c{i}" for i in range(len(df.columns))])
            out: Any = positional.select(*[f"_c{i}" for i in range(n)]).toDF(*columns)
            out.write.mode("overwrite").parquet("file://" + str(tmp.absolute()))
        except Exception as exc:
            raise engine.translate(exc, audience, market) from None
        # what Spark wrote is visible here (_SUCCESS may be turned off; Spark writes a part
        # file even for no rows); a remote server's files are not, this folder stays empty
        if not ((tmp / "_SUCCESS").exists() or any(tmp.glob("*.parquet"))):
            raise RunError(error(
                "E730", f"the Spark Connect server {engine.target} wrote the members to a folder "
                f"{tmp} this process cannot see (the server has its own filesystem)", None,
                "write CSV (--output FILE.csv, streamed here) or run where the server's files are "
                "visible", audience=audience, market=market))
        rows = _rows_written(tmp)
        (tmp / "_SUCCESS").unlink(missing_ok=True)
        for crc in tmp.glob(".*.crc"):  # Hadoop's checksum files: not part of the output
            crc.unlink(missing_ok=True)
        tmp.chmod(_dir_mode(out_path))
        _replace(tmp, out_path)
        return rows
    except BaseException:
        _remove(tmp)
        raise


def count_with_spark(engine: SparkEngine, sql: str, *, audience: str | None, market: str | None) -> int:
    """The number of rows of ``sql``, counted by Spark (no row reaches this process)."""
    try:
        return int(engine.connection.sql(sql).count())
    except Exception as exc:
        raise engine.translate(exc, audience, market) from None


def _replace(new: Path, target: Path) -> None:
    """Move folder ``new`` to ``target``; an existing ``target`` (file or folder) is moved
    aside first and removed once ``new`` is in place (put back if that fails)."""
    if not target.exists() and not target.is_symlink():
        os.replace(new, target)
        return
    aside = new.with_name(new.name[: -len(".tmp")] + ".old.tmp")
    os.replace(target, aside)
    try:
        os.replace(new, target)
    except BaseException:
        os.replace(aside, target)
        raise
    _remove(aside)
