"""Ctrl-C that reaches a solver in the middle of a query.

Python runs its SIGINT handler only between bytecodes, never inside a long Z3 call, and
Z3's own Ctrl-C handler (its `ctrl_c` option) cancels the query without telling Python,
so a run went on with its next query as if nothing had happened. Here Z3 leaves SIGINT
alone; the signal's wakeup byte wakes a thread that interrupts Z3's context, the query
returns at once, and Python raises KeyboardInterrupt in the main thread, which the
engines turn into "interrupted" verdicts for what is still open.

SIGTERM does the same (its handler raises `Terminated`, a KeyboardInterrupt, so every
engine's Ctrl-C path serves it) and is recorded in the `Signals` the context yields, for
the command to exit 143 (128 + 15, as a process killed by it would) after printing the
verdicts obtained so far.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from dataclasses import dataclass
from typing import Iterator


class Terminated(KeyboardInterrupt):
    """SIGTERM: the run ends like Ctrl-C, with the verdicts so far; the exit is 143."""


@dataclass
class Signals:
    """What reached the process while the context was active."""

    terminated: bool = False


@contextlib.contextmanager
def interruptible_solvers() -> Iterator[Signals]:
    """While active, SIGINT and SIGTERM interrupt the running Z3 query (main thread
    only). Enter it before Z3's main context is created: a context takes the `ctrl_c`
    option when it is made, and one made earlier keeps Z3's own handler."""
    import z3  # here: `Terminated` is imported at every command's start, Z3 is not

    signals = Signals()
    if threading.current_thread() is not threading.main_thread():
        yield signals
        return

    def on_term(signum: int, frame: object) -> None:
        signals.terminated = True
        raise Terminated()

    read, write = os.pipe()
    os.set_blocking(write, False)
    old_fd = signal.set_wakeup_fd(write, warn_on_full_buffer=False)
    old_term = signal.signal(signal.SIGTERM, on_term)
    z3.set_param("ctrl_c", False)
    stop = threading.Event()
    watcher = threading.Thread(target=_watch, args=(read, stop), daemon=True, name="zcheck-sigint")
    watcher.start()
    try:
        yield signals
    finally:
        stop.set()
        signal.signal(signal.SIGTERM, old_term)
        signal.set_wakeup_fd(old_fd)
        os.close(write)  # ends the watcher's read
        watcher.join(timeout=1.0)
        os.close(read)


def _watch(fd: int, stop: threading.Event) -> None:
    import z3

    while not stop.is_set():
        try:
            data = os.read(fd, 64)
        except OSError:
            return
        if not data:
            return
        if (signal.SIGINT in data or signal.SIGTERM in data) and not stop.is_set():
            z3.main_ctx().interrupt()
