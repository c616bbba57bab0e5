"""Checker: PDR in a separate process, beside the engines of the parent (the portfolio).

The child comes from a fork server (a process that never ran Z3: forking a process
whose Z3 has started timer threads left children hanging on their first timeout), gets
the `System` pickled, runs `run_pdr` on each property in turn and streams one
`PdrOutcome` per property back through a pipe, so that what it proved before being
stopped is kept. The server preloads nothing: a run forks one child, which imports
what it needs while unpickling the `System`; preloading zcheck in the server made
`start` wait 0.45 s for it, a third of a short `verify`. The parent runs BMC and
k-induction meanwhile and collects the outcomes at the end; the child is killed when
the time is up, which also bounds Spacer calls that overrun their own timeout.
Certificates are re-checked in the child by fresh solvers on a fresh encoding
(pdr.recheck) before being reported.

Where a fork server is unavailable, or this process may not have children (a daemonic
process, as a Dask worker is), the same work runs in-process, after BMC.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
from dataclasses import dataclass

from zcheck.checker.pdr import PdrStatus, run_pdr
from zcheck.system.ir import Property, System


@dataclass(frozen=True)
class PdrOutcome:
    name: str
    certificate: str | None  # the re-checked invariant, or None (not proved)
    seconds: float
    detail: str  # how it was proved (`Proved.detail`); "" when not proved
    status: PdrStatus = PdrStatus.UNKNOWN  # how the attempt ended
    why: str = ""  # PdrAttempt.explain(): one line for the output


def attempt(system: System, p: Property, budget: int, wall_clock: float | None = None) -> PdrOutcome:
    """PDR on one property with `budget` Z3 resource units (deterministic); `wall_clock`
    (seconds) is the deadline's safety net, which can only make the attempt unknown."""
    start = time.monotonic()
    try:
        a = run_pdr(system, p, budget, wall_clock=wall_clock)
    except Exception as exc:  # noqa: BLE001 - a crash of the prover is "not proved", and said
        return PdrOutcome(p.name, None, time.monotonic() - start, "", PdrStatus.UNKNOWN,
                          f"PDR failed: {type(exc).__name__}")
    proof = a.proof
    return PdrOutcome(p.name, proof.certificate[0] if proof is not None else None, time.monotonic() - start,
                      proof.detail if proof is not None else "", a.status, a.explain())


def _orphan_watch(owner: int) -> None:
    """End the child when the zcheck process that started it is gone. Its parent is the
    fork server, not zcheck, so a zcheck killed with SIGKILL (no chance to stop the job)
    left the child solving for its whole budget: 40 minutes of CPU, once."""
    while True:
        time.sleep(0.5)
        try:
            os.kill(owner, 0)
        except ProcessLookupError:
            os._exit(0)
        except PermissionError:  # alive, another user's: cannot happen for our own parent
            pass


def _child(conn, system: System, props: list[Property], budget: int,  # type: ignore[no-untyped-def]
           owner: int | None = None) -> None:
    """The child's work. Ctrl-C belongs to the parent (a terminal sends it to the whole
    process group): the child ignores it and is killed by the parent, which may close
    the pipe first; a send into a closed pipe then ends the child without a word. If
    the parent (`owner`) disappears without stopping it, the child ends too."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if owner is not None:
        import threading

        threading.Thread(target=_orphan_watch, args=(owner,), daemon=True, name="zcheck-orphan").start()
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))
    try:
        for p in props:
            conn.send(attempt(system, p, budget))
        conn.close()
    except (BrokenPipeError, EOFError, OSError):
        os._exit(0)  # the parent stopped listening: nothing to report, nothing to print


def _main_is_importable() -> bool:
    """A fork-server child re-runs the parent's `__main__` (as `__mp_main__`): safe for
    `python -m ...`, the `zcheck` console script and any script that guards its work
    with `if __name__ == "__main__"`; not for stdin, `-c` or an unguarded script, whose
    top-level code would run again in the child. Those get PDR in-process."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if getattr(main, "__spec__", None) is not None:
        return True
    if path is None:
        return not hasattr(main, "__file__")  # interactive: nothing is re-imported
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return "__name__" in fh.read()
    except OSError:
        return False


class PdrJob:
    """PDR on `props`, running while the caller does other work."""

    def __init__(self, system: System, props: list[Property], budget: int):
        self.system, self.props, self.budget = system, props, budget
        self.outcomes: dict[str, PdrOutcome] = {}
        self._proc = None
        self._conn = None
        if not _main_is_importable() or multiprocessing.current_process().daemon:
            return  # a daemonic process (a Dask worker's) may not start children: PDR in-process
        try:
            ctx = multiprocessing.get_context("forkserver")
            parent, child = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_child, args=(child, system, props, budget, os.getpid()), daemon=True)
            proc.start()
        except (OSError, RuntimeError, ValueError):  # no fork server here: PDR runs in-process
            return
        child.close()
        self._proc, self._conn = proc, parent

    def proved(self) -> set[str]:
        """The properties proved so far (non-blocking), for BMC to stop checking."""
        try:
            while self._conn is not None and self._conn.poll(0):
                o = self._conn.recv()
                self.outcomes[o.name] = o
        except (EOFError, OSError):
            pass
        return {name for name, o in self.outcomes.items() if o.certificate is not None}

    def collect(self, wait: float | None) -> dict[str, PdrOutcome]:
        """Every outcome (each attempt is bounded by its budget), or those received
        within `wait` seconds (the deadline, a safety net); the child is then stopped."""
        if self._proc is None:
            return self._in_process(wait)
        end = None if wait is None else time.monotonic() + wait
        try:
            while len(self.outcomes) < len(self.props):
                left = None if end is None else end - time.monotonic()
                if (left is not None and left <= 0) or not self._conn.poll(left):  # type: ignore[union-attr]
                    break
                o = self._conn.recv()  # type: ignore[union-attr]
                self.outcomes[o.name] = o
        except (EOFError, OSError):
            pass
        finally:
            self.stop()
        return self.outcomes

    def kill(self) -> None:
        """Kill the child without waiting (safe from another thread: a signal only)."""
        proc = self._proc
        if proc is not None:
            try:
                proc.kill()
            except (OSError, ValueError):  # already gone or closed
                pass

    def stop(self) -> None:
        self.kill()
        if self._proc is not None:
            self._proc.join()
        if self._conn is not None:
            self._conn.close()
        self._proc, self._conn = None, None

    def _in_process(self, wait: float | None) -> dict[str, PdrOutcome]:
        end = None if wait is None else time.monotonic() + wait
        for p in self.props:
            left = None if end is None else end - time.monotonic()
            if left is not None and left <= 0:
                break
            # in-process, nothing can stop an attempt from outside: the deadline goes in
            # (a 10 s timeout once ended after 44 s, one attempt running on its rlimit)
            self.outcomes[p.name] = attempt(self.system, p, self.budget, left)
        return self.outcomes
