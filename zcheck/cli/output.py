"""Output: every file zcheck writes is written atomically, and what reaches a terminal is
safe to show.

`write_atomic(path, text)` writes to a temporary file in the target's directory,
flushes and fsyncs it, gives it the mode of the file it replaces (or the umask's
default for a new file), and renames it over the target. So a full disk, a quota, an
unwritable directory or a Ctrl-C in the middle leaves the original file exactly as it
was, never a truncated model or report; the error comes back as `OutputError`, carrying
the OS error, for the command to turn into exit 2 (or, for `verify -o`, into verdicts
printed to standard output anyway).

`terminal_safe(text)` escapes what a terminal would obey rather than show: C0 controls
but newline and tab, DEL, C1 controls and the Unicode bidirectional overrides, each as
`\\uXXXX` (which is also a valid escape inside a JSON string). Model text reaches the
output through comments, paths and quoted source lines, so a model cannot clear the
screen, move the cursor or reorder a line to fake a PROVED verdict. `SafeStream` applies
it to standard output and error for every command but `fmt` (whose output is the model).
"""

from __future__ import annotations

import os
import stat
import sys
from types import MappingProxyType
from typing import Any, Sequence, TextIO

from zcheck import atomic
from zcheck.diagnostics import NO_SPAN, Diagnostic, DiagnosticError, Sources, render


class OutputError(Exception):
    """A file could not be written; the target is untouched."""

    def __init__(self, path: str, exc: OSError) -> None:
        super().__init__(f"cannot write `{path}`: {exc.strerror or exc}")
        self.path = path
        self.os_error = exc


def _mode_for(path: str) -> int:
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def write_atomic(path: str, text: str) -> None:
    """Replace `path` by `text` (UTF-8) in one rename; raise OutputError on any OS error."""
    target = os.path.realpath(path)  # through a symlink: replace the file it names, keep the link
    data = text.encode("utf-8")
    try:
        atomic.replace(target, lambda fh: fh.write(data), _mode_for(target))
    except OSError as exc:
        raise OutputError(path, exc) from None


_BIDI = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
_UNSAFE = MappingProxyType({c: f"\\u{c:04x}" for c in (*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), *_BIDI)
                            if c not in (0x09, 0x0A)})


def terminal_safe(text: str) -> str:
    """`text` with every control character but newline and tab written as `\\uXXXX`."""
    return text.translate(_UNSAFE)


class SafeStream:
    """A text stream that writes `terminal_safe` text to the stream it wraps."""

    def __init__(self, inner: TextIO) -> None:
        self.inner = inner

    def write(self, text: str) -> int:
        return self.inner.write(terminal_safe(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def stderr_terminal() -> TextIO | None:
    """Standard error as the process got it (not the SafeStream around it), when it is a
    terminal that can redraw in place (not TERM=dumb): where live progress may go."""
    err = sys.stderr
    stream = err.inner if isinstance(err, SafeStream) else err
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):  # closed, or not a real stream
        return None
    return stream if tty and os.environ.get("TERM", "") not in ("dumb", "unknown") else None


def emit(text: str, output: str | None) -> None:
    """A report to `output` (atomically) or to standard output. A report that cannot be
    written goes to standard output after a ZC405 error: the verdicts are never lost,
    and the exit code still says their class."""
    if output:
        try:
            write_atomic(output, terminal_safe(text))
            return
        except OutputError as exc:
            sys.stderr.write(render(Diagnostic("ZC405", f"{exc}; the report follows on standard output",
                                               NO_SPAN)) + "\n")
    sys.stdout.write(text)


def emit_or_fail(text: str, output: str | None) -> None:
    """`text` to `output` (atomically) or to standard output; a file that cannot be
    written is a ZC405 error (exit 2)."""
    if not output:
        sys.stdout.write(text)
        return
    try:
        write_atomic(output, text)
    except OutputError as exc:
        raise DiagnosticError([Diagnostic("ZC405", str(exc), NO_SPAN)]) from None


def print_diagnostics(diags: Sequence[Diagnostic], sources: Sources | None = None) -> None:
    """Diagnostics (warnings, mostly) on standard error, each with its source line."""
    for d in diags:
        sys.stderr.write(render(d, sources) + "\n")
