"""Checker: each verification in a Z3 context of its own.

Z3 numbers every term it creates, per context, and its solvers break ties by those
numbers: the same query asked in a context that has already seen other terms can come
back with another model. With one shared context a counterexample's witness values would
depend on what ran earlier in the process (a `zcheck test` run, `--jobs` workers reused
across properties, a notebook). `own_context` gives a verification a fresh context as
Z3's default for its duration, so its traces and certificates depend on the model and
the options only. Creating a context costs about 2 ms.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Iterator

import z3
import z3.z3 as z3_module


# Z3's default context is one per process: verifications on two threads (a Dask worker
# with several threads running two `sweep` jobs) take turns rather than swap it under
# each other. Reentrant: a verification inside another on one thread keeps going.
_DEFAULT_CONTEXT = threading.RLock()


@contextlib.contextmanager
def own_context() -> Iterator[z3.Context]:
    """Make a fresh context Z3's default (`z3.main_ctx()`) inside the block, and restore
    the previous one after. Terms made inside keep their context; they must not be
    combined with terms made outside. Two threads wait for each other's block."""
    with _DEFAULT_CONTEXT:
        previous = z3_module._main_ctx
        ctx = z3.Context()
        z3_module._main_ctx = ctx
        try:
            yield ctx
        finally:
            z3_module._main_ctx = previous
