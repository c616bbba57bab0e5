"""Top level: where independent jobs run — the one scheduler of `verify --jobs`,
`sweep` and `test`.

Input: a module-level function, the argument tuples of its calls (the jobs), and where
to run them. Output: the results by job index, and the jobs that gave none (`Ran`).

- `Local(1)`: in this process, one after the other.
- `Local(n)`: in up to n worker processes (a `ProcessPoolExecutor`, at most one per
  core). A worker ignores Ctrl-C (the parent acts on it) and is killed by the kernel if
  the parent dies first; Ctrl-C, SIGTERM or a crash kill the workers before the
  exception goes on, so no worker outlives the run.
- `Cluster(address)`: on a Dask distributed cluster (`pip install 'zcheck[cluster]'`),
  one task per job. The workers import zcheck and read the model at the same path as
  this process. A worker that dies in the middle of a task (killed, out of memory, its
  machine gone) makes the scheduler run the task again on another worker (Dask's
  `distributed.scheduler.allowed-failures`, 3 by default); a task that kills that many
  workers is reported lost. Ctrl-C cancels the tasks not finished; a task already
  running on a worker cannot be stopped by Dask and ends at its own deadline.

Every place runs the same calls, so it gives the same results. Results are handed to
`on_done` in this thread as they come (in completion order), for the caller to show
progress or keep what is done if the run is interrupted. `until` (a `time.monotonic()`
value) stops the waiting: the jobs not finished by then are lost ("timeout") and, on
this machine, their workers killed.
"""

from __future__ import annotations

import os
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, Sequence, TypeVar, assert_never

T = TypeVar("T")
Work = Sequence[tuple[Any, ...]]
OnDone = Callable[[int, T], None]

CONNECT_TIMEOUT = 10.0  # seconds to reach a Dask scheduler
CLOSE_TIMEOUT = 10.0  # seconds to wait for a Dask client to close


@dataclass(frozen=True)
class Local:
    workers: int  # 1: in this process


@dataclass(frozen=True)
class Cluster:
    address: str  # a Dask scheduler, `tcp://HOST:8786`


Where = Local | Cluster


@dataclass(frozen=True)
class Ran(Generic[T]):
    results: dict[int, T]
    lost: dict[int, str] = field(default_factory=dict)  # job index -> why it has no result


class SchedulerError(Exception):
    """The cluster cannot be used: the `cluster` extra is missing or the scheduler is
    unreachable (nothing was run)."""


def in_process(where: Where, jobs: int) -> bool:
    """`run` calls the jobs in this process (nothing is pickled: they may take objects
    of this process, a live display)."""
    return isinstance(where, Local) and (where.workers <= 1 or jobs <= 1)


def run(fn: Callable[..., T], work: Work, where: Where, on_done: OnDone[T] | None = None,
        until: float | None = None) -> Ran[T]:
    """Call `fn(*w)` for each job `w` of `work` (see the module docstring)."""
    done = on_done if on_done is not None else _ignore
    if in_process(where, len(work)):
        return _in_process(fn, work, done, until)
    match where:
        case Local(workers=n):
            return _pool(fn, work, min(n, os.cpu_count() or 1, len(work)), done, until)
        case Cluster(address=address):
            return _cluster(fn, work, address, done, until)
        case _:
            assert_never(where)


def _ignore(i: int, result: object) -> None:
    pass


def _left(until: float | None) -> float | None:
    return None if until is None else max(0.0, until - time.monotonic())


def _in_process(fn: Callable[..., T], work: Work, on_done: OnDone[T], until: float | None) -> Ran[T]:
    results: dict[int, T] = {}
    for i, w in enumerate(work):
        if _left(until) == 0.0:
            return Ran(results, {j: "timeout" for j in range(i, len(work))})
        results[i] = fn(*w)
        on_done(i, results[i])
    return Ran(results)


# ---------------------------------------------------------------- processes on this machine


def _pool(fn: Callable[..., T], work: Work, workers: int, on_done: OnDone[T], until: float | None) -> Ran[T]:
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_worker_init)
    try:
        index: dict[Future[T], int] = {pool.submit(fn, *w): i for i, w in enumerate(work)}
        results, pending = _collect(index, on_done, until)
        if pending:  # out of time: what runs is killed
            kill_workers(pool)
        return Ran(results, {index[f]: "timeout" for f in pending})
    except BaseException:  # Ctrl-C, SIGTERM, a worker's crash: no worker outlives the run
        kill_workers(pool)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _collect(index: dict[Future[T], int], on_done: OnDone[T], until: float | None) -> tuple[dict[int, T], set[Future[T]]]:
    results: dict[int, T] = {}
    pending = set(index)
    while pending and _left(until) != 0.0:
        finished, pending = wait(pending, timeout=_left(until), return_when=FIRST_COMPLETED)
        for f in sorted(finished, key=index.__getitem__):
            results[index[f]] = f.result()
            on_done(index[f], results[index[f]])
    return results, pending


def _worker_init() -> None:
    """A worker process: Ctrl-C and SIGTERM are the parent's to act on (it kills the
    workers); on Linux the kernel kills the worker if the parent dies first."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def kill_workers(pool: ProcessPoolExecutor) -> None:
    """Stop a process pool now: pending jobs cancelled, running workers killed."""
    procs = list((getattr(pool, "_processes", None) or {}).values())  # before shutdown forgets them
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        proc.kill()
    for proc in procs:
        proc.join(timeout=5)


# ---------------------------------------------------------------- a Dask cluster


def _cluster(fn: Callable[..., T], work: Work, address: str, on_done: OnDone[T], until: float | None) -> Ran[T]:
    try:
        import distributed
    except ImportError:
        raise SchedulerError("`--scheduler` needs Dask's `distributed`: pip install 'zcheck[cluster]'") from None
    try:
        client = distributed.Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError, ValueError) as exc:
        raise SchedulerError(f"cannot reach the Dask scheduler at `{address}`: {exc}") from None
    run_id = uuid.uuid4().hex[:12]
    futures: list[Any] = []
    try:
        futures = [client.submit(fn, *w, key=f"zcheck-{run_id}-{i}", pure=False) for i, w in enumerate(work)]
        with client.as_current():  # `distributed.wait` asks for the current client
            return _gather(distributed, futures, on_done, until)
    finally:
        client.cancel([f for f in futures if not f.done()])  # type: ignore[no-untyped-call]
        client.close(timeout=CLOSE_TIMEOUT)  # type: ignore[no-untyped-call]


def _gather(distributed: Any, futures: list[Any], on_done: OnDone[T], until: float | None) -> Ran[T]:
    index = {f.key: i for i, f in enumerate(futures)}
    results: dict[int, T] = {}
    lost: dict[int, str] = {}
    pending = set(futures)
    while pending and _left(until) != 0.0:
        try:
            ready = distributed.wait(pending, timeout=_left(until), return_when="FIRST_COMPLETED")
        except TimeoutError:
            break
        for f in sorted(ready.done, key=lambda f: index[f.key]):
            _take(distributed, f, index[f.key], results, lost, on_done)
        pending = set(ready.not_done)
    lost.update({index[f.key]: "timeout" for f in pending})
    return Ran(results, lost)


def _take(distributed: Any, f: Any, i: int, results: dict[int, T], lost: dict[int, str], on_done: OnDone[T]) -> None:
    """The result of a finished task; a task that killed its workers is lost (the
    exception of a task that raised goes on: a bug in the job, as in a local run)."""
    try:
        results[i] = f.result()
    except distributed.KilledWorker as exc:
        lost[i] = f"the workers running it died ({exc})"
        return
    on_done(i, results[i])

