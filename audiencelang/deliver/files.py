"""The folder of one delivery, written atomically (docs/deliver.md, "Files").

Layout: ``OUTPUT/<audience>/<market>/<destination>/<seq>_<as_of>/`` holding ``entered.csv``,
``exited.csv`` (``.parquet`` with ``fmt="parquet"``), ``members.csv`` with ``full=True``, and
``delivery.json`` (what the delivery is). The files are written into a temporary folder
``.<name>.tmp-<pid>`` beside it, each fsynced, and the folder is renamed into place: a
reader never sees a half-written delivery. ``RECORDED`` is added once the delivery is in
the state tables; a folder without it was written by a run that did not record it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from audiencelang.run.output import OutputFormat, _alive, open_writer

__all__ = ["MARKER", "DeliveryFolder", "key_folder", "recover"]

MARKER = "RECORDED"


def key_folder(output: Path, audience: str, market: str, destination: str) -> Path:
    return output / audience / market / destination


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _seq_of(name: str) -> int | None:
    head = name.split("_", 1)[0]
    return int(head) if head.isdigit() and "." not in name else None


def recover(folder: Path, last_seq: int) -> list[str]:
    """Tidy a key's folder before a delivery (its lock is held): delivery folders up to
    ``last_seq`` are recorded (add ``RECORDED`` when a crash came between the state write
    and the marker); later ones were never recorded: renamed ``NAME.unrecorded``, never
    to be uploaded. Temporary folders of dead processes are removed. Returns what was
    renamed."""
    renamed: list[str] = []
    if not folder.is_dir():
        return renamed
    for child in sorted(folder.iterdir()):
        name = child.name
        if name.startswith(".") and ".tmp-" in name:
            pid = name.rsplit(".tmp-", 1)[1]
            if pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(child, ignore_errors=True)
            continue
        seq = _seq_of(name)
        if seq is None or not child.is_dir():
            continue
        if seq <= last_seq:
            if not (child / MARKER).exists():
                (child / MARKER).touch()
                _fsync_dir(child)
            continue
        target = child.with_name(name + ".unrecorded")
        n = 1
        while target.exists():
            n += 1
            target = child.with_name(f"{name}.unrecorded{n}")
        child.rename(target)
        renamed.append(target.name)
    _fsync_dir(folder)
    return renamed


class DeliveryFolder:
    """Files of one delivery in a temporary folder; :meth:`publish` renames it into place."""

    def __init__(self, final: Path, fmt: OutputFormat) -> None:
        self.final = final
        self.format = fmt
        final.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = final.parent / f".{final.name}.tmp-{os.getpid()}"
        if self.tmp.exists():
            shutil.rmtree(self.tmp)
        self.tmp.mkdir()
        self.files: dict[str, int] = {}

    def write(self, name: str, columns: Sequence[str], batches: Iterable[Sequence[Sequence[Any]]],
              types: Sequence[str | None] | None = None) -> int:
        path = self.tmp / f"{name}.{self.format}"
        with open_writer(path, columns, types) as writer:
            for batch in batches:
                writer.write(batch)
        _fsync_file(path)
        self.files[path.name] = writer.rows
        return writer.rows

    def manifest(self, data: dict[str, Any]) -> None:
        path = self.tmp / "delivery.json"
        with path.open("w", encoding="utf-8") as f:
            json.dump({**data, "files": self.files}, f, indent=2, sort_keys=True, default=str)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())

    def publish(self) -> Path:
        _fsync_dir(self.tmp)
        if self.final.exists():  # recover() moved every unrecorded folder away: a recorded one
            raise FileExistsError(f"delivery folder {self.final} exists already")
        os.rename(self.tmp, self.final)
        _fsync_dir(self.final.parent)
        return self.final

    def discard(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


def mark_recorded(folder: Path) -> None:
    with contextlib.suppress(OSError):
        (folder / MARKER).touch()
        _fsync_dir(folder)
