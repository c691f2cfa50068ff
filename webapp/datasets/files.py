"""Opening a dataset's files as untrusted input: only regular files inside the dataset, of bounded size,
read as UTF-8 text without NUL characters; each refusal is a message (and a line), never a hang."""

from __future__ import annotations

import os
import stat
from pathlib import Path

# Far above any curated file (the bundled seed is 80 kB in all); a bound on what one file may cost.
MAX_FILE_BYTES = 20 * 1024 * 1024

_NOT_REGULAR = (
    (stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
)


class FileRefused(Exception):
    """The file is not read; ``message`` says why, ``line`` where (1 when it is the whole file)."""

    def __init__(self, message: str, line: int = 1) -> None:
        super().__init__(message)
        self.message, self.line = message, line


def _kind(mode: int) -> str:
    return next((name for test, name in _NOT_REGULAR if test(mode)), "not a regular file")


def read_bytes(path: Path, *, root: Path | None = None, limit: int | None = None) -> bytes:
    """The bytes of a regular file (inside ``root``, a resolved directory, when given).

    A FIFO, socket or device is refused from its ``stat`` and never opened; a link that leads
    out of ``root`` is refused; so is a file larger than ``limit`` (default ``MAX_FILE_BYTES``).
    """
    limit = MAX_FILE_BYTES if limit is None else limit
    if root is not None and not path.resolve().is_relative_to(root):
        raise FileRefused(f"this file is a link to a file outside the dataset ({path.resolve()}): "
                          "only files inside the dataset directory are read")
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise FileRefused("this file is a link to a file that does not exist" if path.is_symlink()
                          else "this file does not exist") from None
    except OSError as error:
        raise FileRefused(f"cannot read this file: {error.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise FileRefused(f"this is {_kind(info.st_mode)}, not a regular file: it is not read")
    if info.st_size > limit:
        raise FileRefused(f"this file is {info.st_size:,} bytes; at most {limit:,} are read")
    # O_NONBLOCK: should the file be swapped for a FIFO since the stat, opening it still cannot hang.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as error:
        raise FileRefused(f"cannot read this file: {error.strerror}") from None
    with os.fdopen(descriptor, "rb") as handle:
        mode = os.fstat(handle.fileno()).st_mode
        if not stat.S_ISREG(mode):
            raise FileRefused(f"this is {_kind(mode)}, not a regular file: it is not read")
        raw = handle.read(limit + 1)
    if len(raw) > limit:
        raise FileRefused(f"this file is more than {limit:,} bytes; at most {limit:,} are read")
    return raw


def decode(raw: bytes) -> str:
    """UTF-8 text without NUL characters; a refusal names the line of the first bad byte."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise FileRefused(f"not UTF-8 text: {error.reason} at byte {error.start:,}",
                          raw.count(b"\n", 0, error.start) + 1) from None
    nul = text.find("\x00")
    if nul >= 0:
        column = nul - text.rfind("\n", 0, nul)
        raise FileRefused(f"a NUL character (column {column}): a dataset file must be text",
                          text.count("\n", 0, nul) + 1)
    return text


def read_text(path: Path, *, root: Path | None = None, limit: int | None = None) -> str:
    """``read_bytes`` then ``decode``."""
    return decode(read_bytes(path, root=root, limit=limit))
