"""Checker: partial-order reduction for BMC, as constraints on adjacent steps.

Two transitions are independent when neither writes a state variable the other reads
or writes (guards, assert conditions, indices, `any` bounds: every read of the body,
system/cone.py's `accesses`). From a state where `a` then `b` can be taken, `b` then `a`
can be taken too (neither guard reads what the other writes), with the same choices,
and both orders end in the same state (the writes are disjoint). So forbidding one of
the two orders at adjacent steps — `a` at step k and `b` at step k + 1 when `b` comes
before `a` in the system's transition order — loses no state at any depth: sorting a
path's adjacent independent pairs into that order (each swap removes one inversion)
gives a path of the same length to the same last state. BMC's verdicts and shortest
depths are unchanged; a counterexample may show another order of the same steps. An
assert that fails in the last step stays reachable: if the pair before it is
forbidden, the failing step can move one earlier (its reads are untouched), which
would be a shorter violation. This is the peephole reduction of Wang, Yang, Kahlon
and Gupta (TACAS 2008), which removes every redundant order of two threads.

Not for k-induction or PDR: their paths start anywhere and check the property in every
intermediate state, which reordering changes.
"""

from __future__ import annotations

import z3

from zcheck.system.cone import accesses
from zcheck.system.ir import System

Table = tuple[tuple[int, ...], ...]  # per transition a: the earlier transitions b it may not precede


def forbidden_successors(system: System) -> Table:
    """For each transition `a`, the earlier transitions independent of it: `a` at step k
    and one of them at step k + 1 is the order BMC does not explore."""
    rw = []
    for tr in system.transitions:
        reads: set[str] = set()
        writes: set[str] = set()
        accesses(tr.body, lambda _prop: True, reads, writes)
        rw.append((frozenset(reads), frozenset(writes)))
    return tuple(tuple(b for b in range(a) if _independent(rw[a], rw[b])) for a in range(len(rw)))


def _independent(x: tuple[frozenset[str], frozenset[str]], y: tuple[frozenset[str], frozenset[str]]) -> bool:
    (rx, wx), (ry, wy) = x, y
    return not (wx & (ry | wy)) and not (wy & rx)


def canonical(table: Table, act_k: z3.ArithRef, act_next: z3.ArithRef) -> z3.BoolRef | None:
    """Steps k and k + 1 in canonical order (None: no pair to forbid)."""
    parts = [z3.Implies(act_k == a, z3.And([act_next != b for b in earlier]))
             for a, earlier in enumerate(table) if earlier]
    return z3.And(parts) if parts else None


def pairs(table: Table) -> int:
    """How many ordered pairs the table forbids (for reports and tests)."""
    return sum(len(e) for e in table)
