"""Reading files from disk without being hung or flooded by them.

A FIFO in the article folder blocked ``vigil run`` until killed, ``/dev/zero`` as a feed read
2.7 GB before a MemoryError, and a symlink in the rules folder echoed ``/etc/shadow``. Every
local file vigil reads (articles, local feeds, rule files) comes through :func:`read_capped`:
regular files only (opened without blocking, then checked), at most ``limit`` bytes.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from vigil.errors import LocalFileError

MAX_ARTICLE_BYTES = 5 * 1024 * 1024
MAX_YAML_BYTES = 4 * 1024 * 1024  # a rules, feeds or recipients file


def read_capped(path: Path, limit: int) -> bytes:
    """The bytes of the regular file ``path``, refused when it holds more than ``limit``."""
    try:
        # O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        reason = "a symlink loop" if exc.errno == errno.ELOOP else exc.strerror
        raise LocalFileError(f"cannot read {path}: {reason}") from None
    status = os.fstat(fd)
    if not stat.S_ISREG(status.st_mode):
        os.close(fd)
        raise LocalFileError(f"{path} is {_kind(status.st_mode)}, not a regular file: skipped")
    if status.st_size > limit:
        os.close(fd)
        raise LocalFileError(
            f"{path} is larger than {_size(limit)} ({_size(status.st_size)}): skipped"
        )
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:  # it grew while being read
        raise LocalFileError(f"{path} is larger than {_size(limit)}: skipped")
    return data


def unreadable(path: Path, limit: int) -> str | None:
    """Why :func:`read_capped` would refuse ``path`` (looked up without opening it), or None."""
    try:
        status = path.stat()
    except OSError as exc:
        reason = "a symlink loop" if exc.errno == errno.ELOOP else exc.strerror
        return f"cannot read {path}: {reason}"
    if not stat.S_ISREG(status.st_mode):
        return f"{path} is {_kind(status.st_mode)}, not a regular file: skipped"
    if status.st_size > limit:
        return f"{path} is larger than {_size(limit)} ({_size(status.st_size)}): skipped"
    return None


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a plain file"


def _size(count: int) -> str:
    return f"{count / 1024 / 1024:.1f} MB" if count >= 1024 * 1024 else f"{count} bytes"


def inside(path: Path, folder: Path) -> bool:
    """Whether ``path``, its links followed, stays inside ``folder``."""
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError):  # a symlink loop
        return False
