"""Front end: the LALR parser for grammar.lark, built once per grammar and kept on disk.

Input: the grammar's text and the Lark options. Output: a `Lark` parser. Building the
LALR tables takes about 0.17 s of CPU, loading saved ones 0.02 s, so the tables are
saved (`Lark.save`) in the user's cache directory, in a file named by the SHA-256 of
everything they depend on: the grammar, the options, Lark's version and the Python
that pickled them. A changed grammar gets a new file; nothing is ever read for a
grammar it was not built from.

The file is written atomically (a temporary file in the same directory, then
`os.replace`), so a zcheck process never reads another's half-written file; a file
that cannot be loaded (truncated, corrupt, unreadable) is rebuilt and replaced. When
the directory cannot be written (a read-only home), the parser is built in memory and
nothing is saved. `ZCHECK_CACHE_DIR` names another directory (tests, sandboxes).

Lark's own `cache=True` kept the tables in the shared temporary directory, written in
place: a concurrent run could load a half-written file, and a pickle any local user
could plant was loaded.
"""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Mapping

import lark
from lark import Lark

from zcheck import atomic

CACHE_ENV = "ZCHECK_CACHE_DIR"


class Source(Enum):
    """Where the parser of one `load` came from."""

    LOADED = "loaded"  # the saved tables
    BUILT = "built"  # built from the grammar (and saved when the directory allows)


@dataclass(frozen=True)
class Loaded:
    parser: Lark
    source: Source
    path: Path | None  # the cache file (None: no cache directory)


def cache_dir() -> Path | None:
    """`$ZCHECK_CACHE_DIR`, else `$XDG_CACHE_HOME/zcheck`, else `~/.cache/zcheck`
    (None when no home directory is known)."""
    named = os.environ.get(CACHE_ENV)
    if named:
        return Path(named)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "zcheck"
    home = os.path.expanduser("~")
    return None if home == "~" else Path(home) / ".cache" / "zcheck"


def cache_key(grammar: str, options: Mapping[str, Any]) -> str:
    """The SHA-256 of what the saved tables depend on."""
    h = hashlib.sha256()
    for part in (grammar, repr(sorted(options.items())), lark.__version__, sys.implementation.cache_tag or ""):
        h.update(part.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


def load(grammar: str, options: Mapping[str, Any], directory: Path | None = None) -> Loaded:
    """The parser for `grammar` with `options`: loaded from the cache when a good copy
    is there, else built (and saved). `directory` defaults to `cache_dir()`."""
    where = directory if directory is not None else cache_dir()
    if where is None:
        return Loaded(Lark(grammar, **options), Source.BUILT, None)
    path = where / f"parser-{cache_key(grammar, options)}.lark"
    saved = _read(path)
    if saved is not None:
        return Loaded(saved, Source.LOADED, path)
    parser = Lark(grammar, **options)
    _write(path, parser)
    return Loaded(parser, Source.BUILT, path)


def _read(path: Path) -> Lark | None:
    try:
        with open(path, "rb") as fh:
            return Lark.load(fh)
    except FileNotFoundError:
        return None
    except Exception:  # noqa: BLE001 - any damage to the file (truncated, corrupt, unreadable): rebuild it
        return None


def _write(path: Path, parser: Lark) -> None:
    """Save atomically; a directory that cannot be written is no error (nothing saved)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        atomic.replace(str(path), parser.save)
    except OSError:
        pass
