"""Hand-written Z3 encoding of bench/models/seed.zdl (ZDL.md section 11).

The peer of `zcheck verify bench/models/seed.zdl` in bench/run.py: the same
transition system written directly against the z3 Python API, the way an engineer
would do it by hand, without any of zcheck's machinery.

Encoding
  * Step k has one copy of each state variable: the scalar ``max_pfn@k`` is a z3
    constant; the maps ``zone_of@k`` and ``buddy@k`` are array *terms* over Int,
    built from ``K`` and ``Lambda`` (``m[lo .. hi] := v`` is
    ``Lambda p. If(lo <= p < hi, v, m[p])``). Never ``ForAll p: m[p] == ...``.
  * One action fires per step, chosen by ``act@k`` (an enum); its parameters are
    ``start@k`` and ``nr@k`` (both actions take the same two int parameters).
  * The range guard ``forall p in s .. e :: zone_of[p] == NONE`` is a z3 ``ForAll``.
  * The violation of ``forall p :: phi(p)`` at step k is ``not phi(w)`` for a fresh
    witness constant ``w@NAME@k``: no quantifier in the query.
  * Incremental BMC: one solver; depth k adds ``trans(k-1)``, then every property
    not yet violated is checked with ``push; add bad(k); check; pop``. The first
    depth at which a property is sat is its shortest counterexample.

Why the maps are terms and not array constants ``zone_of@k == Lambda(...)``:
measured on this model (z3 5.4), equating a fresh array constant with a Lambda makes
the incremental solver (the one used after the first ``push``) answer nothing for the
depth-2 counterexample within 30 s (it turns each Lambda into a quantified
definition and MBQI loops); with the maps as Lambda terms the same query is sat in
a few milliseconds. See bench/handwritten/variants.py and docs/benchmarks.md.

Expected (worked out by hand):
  * device_above_max_pfn: violated at depth 2, e.g. add_dev(0x40000, 0x8000),
    add_ram(0x48000, 0x8000); not at depth 1 (a free range lies above BOOT_END =
    max_pfn and add_dev leaves max_pfn alone, so the device pfn is >= max_pfn).
  * device_not_allocatable: holds at every depth. buddy is [0, BOOT_END) forever
    (no action writes it) and zone_of there is NORMAL forever (the free_range
    guard keeps both actions off it).
  * With skip_device_maxpfn=False, device_above_max_pfn is violated at depth 1:
    add_dev(0x40000, 0x8000) itself moves max_pfn to 0x48000, above its own pfns.
"""

from __future__ import annotations

import time

import z3

SECTION = 0x8000
BOOT_END = 0x40000

Zone, (NONE, NORMAL, DEVICE) = z3.EnumSort("zone_t", ["NONE", "NORMAL", "DEVICE"])
Action, (ADD_RAM, ADD_DEV) = z3.EnumSort("seed_action", ["add_ram", "add_dev"])
PROPERTIES = ("device_above_max_pfn", "device_not_allocatable")


def in_range(p: z3.ArithRef, lo, hi) -> z3.BoolRef:
    """``p in lo .. hi`` (half-open)."""
    return z3.And(lo <= p, p < hi)


def assign_range(m: z3.ArrayRef, lo, hi, value) -> z3.ArrayRef:
    """``m[lo .. hi] := value`` as a Lambda term."""
    p = z3.Int("p")
    return z3.Lambda([p], z3.If(in_range(p, lo, hi), value, m[p]))


def forall_in(lo, hi, body) -> z3.BoolRef:
    """``forall p in lo .. hi :: body(p)`` as a z3 ForAll."""
    p = z3.Int("p")
    return z3.ForAll([p], z3.Implies(in_range(p, lo, hi), body(p)))


class State:
    """The state of step k: a z3 constant per scalar, a z3 term per map."""

    def __init__(self, k: int, zone_of: z3.ArrayRef, buddy: z3.ArrayRef) -> None:
        self.k = k
        self.max_pfn = z3.Int(f"max_pfn@{k}")
        self.zone_of = zone_of
        self.buddy = buddy


def init() -> tuple[State, z3.BoolRef]:
    """State 0 (var initialisers, then the init block) and its constraint."""
    zone_of = assign_range(z3.K(z3.IntSort(), NONE), 0, BOOT_END, NORMAL)
    buddy = assign_range(z3.K(z3.IntSort(), z3.BoolVal(False)), 0, BOOT_END, True)
    s = State(0, zone_of, buddy)
    return s, s.max_pfn == BOOT_END


def trans(s: State, skip_device_maxpfn: bool) -> tuple[State, z3.BoolRef]:
    """State k+1 and T(s_k, s_{k+1}): exactly one of add_ram / add_dev fires."""
    k = s.k
    act = z3.Const(f"act@{k}", Action)
    start, nr = z3.Int(f"start@{k}"), z3.Int(f"nr@{k}")
    end = start + nr

    def free_range(lo, hi):
        return forall_in(lo, hi, lambda p: s.zone_of[p] == NONE)

    # add_ram and add_dev have the same guard (written twice, as in the model)
    guard_ram = z3.And(nr > 0, start >= 0, start % SECTION == 0, nr % SECTION == 0,
                       free_range(start, end))
    guard_dev = z3.And(nr > 0, start >= 0, start % SECTION == 0, nr % SECTION == 0,
                       free_range(start, end))
    grown = z3.If(s.max_pfn >= end, s.max_pfn, end)  # max(max_pfn, start + nr)

    t = State(k + 1,
              zone_of=assign_range(s.zone_of, start, end,
                                   z3.If(act == ADD_RAM, NORMAL, DEVICE)),
              buddy=s.buddy)
    constraint = z3.And(
        z3.Or(z3.And(act == ADD_RAM, guard_ram), z3.And(act == ADD_DEV, guard_dev)),
        t.max_pfn == z3.If(act == ADD_RAM, grown,
                           s.max_pfn if skip_device_maxpfn else grown),
    )
    return t, constraint


def bad(name: str, s: State) -> z3.BoolRef:
    """The negation of invariant ``name`` in state s, with a fresh witness pfn."""
    w = z3.Int(f"w@{name}@{s.k}")
    if name == "device_above_max_pfn":  # zone_of[p] == DEVICE -> p >= max_pfn
        return z3.And(s.zone_of[w] == DEVICE, z3.Not(w >= s.max_pfn))
    if name == "device_not_allocatable":  # buddy[p] -> zone_of[p] != DEVICE
        return z3.And(s.buddy[w], z3.Not(s.zone_of[w] != DEVICE))
    raise ValueError(name)


def decode(model: z3.ModelRef, k: int) -> list[str]:
    """The actions of a k-step trace, e.g. ``add_dev(0x40000, 0x8000)``."""
    steps = []
    for j in range(k):
        act = model.eval(z3.Const(f"act@{j}", Action), model_completion=True)
        start = model.eval(z3.Int(f"start@{j}"), model_completion=True).as_long()
        nr = model.eval(z3.Int(f"nr@{j}"), model_completion=True).as_long()
        steps.append(f"{act}({start:#x}, {nr:#x})")
    return steps


def run(depth: int, skip_device_maxpfn: bool = True, traces: bool = False,
        timeout_ms: int | None = None) -> dict:
    """BMC up to ``depth`` steps (states 0..depth).

    Returns ``{"violations": {property: shortest violation depth or None},
    "solve_time": seconds inside solver.check(), "checks": number of checks}``
    and, with ``traces=True``, ``"traces": {property: [action, ...]}``.
    Raises RuntimeError if the solver answers unknown.
    """
    solver = z3.Solver()
    if timeout_ms is not None:
        solver.set("timeout", timeout_ms)
    state, c0 = init()
    solver.add(c0)
    found: dict[str, int | None] = {name: None for name in PROPERTIES}
    found_traces: dict[str, list[str]] = {}
    solve_time = 0.0
    checks = 0
    for k in range(depth + 1):
        if k > 0:
            state, c = trans(state, skip_device_maxpfn)
            solver.add(c)
        for name in PROPERTIES:
            if found[name] is not None:
                continue
            solver.push()
            try:
                solver.add(bad(name, state))
                t0 = time.perf_counter()
                r = solver.check()
                solve_time += time.perf_counter() - t0
                checks += 1
                if r == z3.sat:
                    found[name] = k
                    if traces:
                        found_traces[name] = decode(solver.model(), k)
                elif r != z3.unsat:
                    raise RuntimeError(f"{name} at depth {k}: {r} ({solver.reason_unknown()})")
            finally:
                solver.pop()
        if all(v is not None for v in found.values()):
            break
    out = {"violations": found, "solve_time": solve_time, "checks": checks}
    if traces:
        out["traces"] = found_traces
    return out


if __name__ == "__main__":
    import sys

    d = int(sys.argv[1]) if len(sys.argv) > 1 else 4
    t0 = time.perf_counter()
    out = run(d, traces=True)
    print(out, f"wall={time.perf_counter() - t0:.3f}s")
