"""Atomic file replacement, shared by every stage that writes a file.

`replace(path, write, mode)` lets `write` fill a temporary file in `path`'s directory,
flushes and fsyncs it, gives it `mode` and renames it over `path`: a reader sees the old
file or the new one, never a half-written one, and on any OS error (raised to the
caller) the temporary file is removed and `path` is untouched.
"""

from __future__ import annotations

import os
import tempfile
from typing import BinaryIO, Callable


def replace(path: str, write: Callable[[BinaryIO], object], mode: int | None = None) -> None:
    folder = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
