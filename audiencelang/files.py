"""Reading a project file safely: the one function every loader reads through.

Audience files, market files, the project config, ``pyproject.toml`` during project
discovery and the source lines shown in reports are all read with
:func:`read_bounded`. It opens without blocking (a FIFO would wait for a writer),
refuses anything but a regular file (``/dev/zero`` never ends), and reads at most
``limit + 1`` bytes, so the size comes from what was read, never from ``st_size``
(which is 0 for ``/proc`` files and can change between ``stat`` and ``read``).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

__all__ = ["FileProblem", "read_bounded"]

_CHUNK = 1 << 20


class FileProblem(Exception):
    """Why a file could not be read, in words a user knows (``reason``).

    ``missing``: there is no such file; ``too_large``: it has more than the limit."""

    def __init__(self, reason: str, *, missing: bool = False, too_large: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.missing = missing
        self.too_large = too_large


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_bounded(path: Path | str, limit: int) -> bytes:
    """The bytes of the regular file ``path`` (symlinks followed), at most ``limit`` of them.

    Raises :class:`FileProblem` when the file is missing, unreadable, not a regular
    file, or longer than ``limit`` bytes; never blocks and never reads more than
    ``limit + 1`` bytes."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise FileProblem("file not found", missing=True) from None
    except OSError as exc:
        raise FileProblem(exc.strerror or str(exc)) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = _kind(mode)
            raise FileProblem(f"it is {kind}, not a regular file" if kind.startswith("a ") else kind)
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise FileProblem(f"it is larger than {limit:,} bytes", too_large=True)
        return b"".join(chunks)
    except OSError as exc:
        raise FileProblem(exc.strerror or str(exc)) from None
    finally:
        os.close(fd)
