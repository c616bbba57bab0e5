"""The one Deadline and cancellation object of a command.

`Control` is made once, in main.py, from the moment the process entered `main` and
`--timeout`: everything the command does (reading, parsing, type checking, encoding,
solving, rendering) counts against the same deadline. The engines get their share of
it (`engine_timeout`), minus a margin kept for reporting; a watchdog (`watch`) ends the
process with the verdicts so far if a solver step overruns; while the model loads,
`loading` ends the process with exit 3 at the deadline (the front end holds no Z3
object, so ending from the timer is safe). `cancellable` makes Ctrl-C and SIGTERM reach
a running solver (interrupt.py). A deadline only ever turns what is open into UNKNOWN.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterator

from zcheck.cli.exits import Exit
from zcheck.cli.interrupt import Signals, Terminated
from zcheck.deadline import Deadline

EXIT_MARGIN = 0.15  # seconds of --timeout kept for Python's start before main (0.1 s here) and leaving
STOP_GRACE = 0.25  # ... and for the engines' last steps to end before the watchdog acts


@dataclass(frozen=True)
class Control:
    started: float  # time.monotonic() when `main` was entered
    timeout: float | None = None  # --timeout, seconds from `started`

    @property
    def deadline(self) -> Deadline:
        return Deadline(None if self.timeout is None else self.started + self.timeout)

    def engine_timeout(self) -> float | None:
        """The engines' share of what is left: the rest is kept for reporting."""
        at = self.deadline.at
        return None if at is None else max(0.001, at - time.monotonic() - EXIT_MARGIN - STOP_GRACE)

    def watch(self, fire: Callable[[], None]) -> threading.Timer | None:
        """A daemon timer that calls `fire` just before the deadline (None: no deadline)."""
        at = self.deadline.at
        if at is None:
            return None
        timer = threading.Timer(max(0.0, at - EXIT_MARGIN - time.monotonic()), fire)
        timer.daemon = True
        timer.start()
        return timer

    @contextlib.contextmanager
    def loading(self) -> Iterator[None]:
        """Reading, parsing, type checking and lowering under the deadline (a FIFO with no
        writer, a pathological model): exit 3 at the deadline, nothing checked."""
        timer = self.watch(self._loading_ran_out)
        try:
            yield
        finally:
            if timer is not None:
                timer.cancel()

    def _loading_ran_out(self) -> None:
        sys.stderr.write(f"UNKNOWN: --timeout of {self.timeout:g} s ran out while loading the model; "
                         "nothing was checked\n")
        sys.stderr.flush()
        sys.stdout.flush()
        os._exit(Exit.UNKNOWN)

    @contextlib.contextmanager
    def cancellable(self) -> Iterator[Signals]:
        """Ctrl-C and SIGTERM stop a running Z3 query (imports Z3: not for `check`)."""
        from zcheck.cli.interrupt import interruptible_solvers

        with interruptible_solvers() as signals:
            yield signals


@contextlib.contextmanager
def sigterm_like_ctrl_c() -> Iterator[None]:
    """From the first moment of a command, SIGTERM ends it like Ctrl-C (the verdicts so
    far, no traceback), with exit 143; `Control.cancellable` also stops a running
    solver. Off the main thread no handler can be set, and none is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_term(signum: int, frame: object) -> None:
        raise Terminated()

    old = signal.signal(signal.SIGTERM, on_term)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)
