"""Checker: which edges of `transitions` blocks can be taken within a bound (exact).

For each listed edge SRC -> DST of a variable V, BMC asks whether some trace of at most
`depth` steps has a step after which V (for a map: V at some key) goes from SRC to DST.
An edge with no such trace is "never taken up to the depth" — a warning (ZC902) that
usually means the model cannot exercise part of the lifecycle it declares. The answer
is exact for the bound (no sampling); `unknown` edges (time ran out) are not reported.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import z3

from zcheck.checker.encode import Encoding, literal, sort_of
from zcheck.checker.maps import MapTerm
from zcheck.spec.checked import TransitionsInfo
from zcheck.spec.types import MapT
from zcheck.system.ir import System


@dataclass(frozen=True)
class EdgeResult:
    var: str
    src: int | bool
    dst: int | bool
    taken_at: int | None  # the shortest depth at which the edge is taken, or None
    decided: bool  # False: time ran out before `depth`


def _moves(enc: Encoding, info: TransitionsInfo, k: int, src: int | bool, dst: int | bool) -> z3.BoolRef:
    """Step k moves the variable (at a fresh key, for maps) from src to dst."""
    before, after = enc.state(k)[info.var], enc.state(k + 1)[info.var]
    typ = next(v.type for v in enc.sys.vars if v.name == info.var)
    a, b = literal(src, info.value_type), literal(dst, info.value_type)
    if isinstance(before, MapTerm):
        assert isinstance(typ, MapT) and isinstance(after, MapTerm)
        key = z3.Const(f"edge!{info.var}@{k}", sort_of(typ.key))
        return z3.And(before.read(key) == a, after.read(key) == b)
    return z3.And(before == a, after == b)


def edge_coverage(system: System, depth: int, timeout: float | None = None) -> list[EdgeResult]:
    """Every listed edge with the shortest depth that takes it (None: not within depth)."""
    start = time.monotonic()
    enc = Encoding(system)
    solver = z3.Solver()
    solver.set("random_seed", 0)
    solver.add(enc.init())
    edges = [(info, src, dst) for info in system.lifecycles for src, dst, _ in info.edges]
    taken: dict[int, int] = {}
    for k in range(depth):
        solver.add(enc.trans(k))
        for i, (info, src, dst) in enumerate(edges):
            if i in taken:
                continue
            if timeout is not None:
                left = timeout - (time.monotonic() - start)
                if left <= 0:
                    return _results(edges, taken, complete=False)
                solver.set("timeout", max(1, int(left * 1000)))
            answer = solver.check(_moves(enc, info, k, src, dst))
            if answer == z3.sat:
                taken[i] = k + 1
            elif answer == z3.unknown:
                return _results(edges, taken, complete=False)
        if len(taken) == len(edges):
            break
    return _results(edges, taken, complete=True)


def _results(edges, taken: dict[int, int], complete: bool) -> list[EdgeResult]:  # type: ignore[no-untyped-def]
    return [EdgeResult(info.var, src, dst, taken.get(i), i in taken or complete)
            for i, (info, src, dst) in enumerate(edges)]
