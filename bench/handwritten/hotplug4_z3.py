"""Hand-written Z3 encoding of bench/models/hotplug4.zdl (section-granular hotplug).

The peer of `zcheck verify bench/models/hotplug4.zdl` in bench/run.py, written
directly against the z3 Python API. Same encoding choices as seed_z3.py:

  * step k: the maps ``kind@k``, ``reserved@k``, ``buddy@k`` are array terms over
    Int built from ``K`` and ``Lambda`` (one term per map per step; a range
    assignment is ``Lambda p. If(lo <= p < hi, v, m[p])``). seed_z3.py explains why
    they are not array constants equated with the Lambda;
  * one action per step, ``act@k`` (an enum of the five actions); every action takes
    ``(start, nr)``, so the parameters ``start@k``, ``nr@k`` are shared;
  * every ``forall p in start .. start + nr :: ...`` guard is a z3 ``ForAll``;
  * the violation of ``forall p :: phi(p)`` is ``not phi(w)`` with a fresh ``w``;
  * incremental BMC, one solver, ``push``/``pop`` around each property's query.

Expected (worked out by hand). Let I(p) be

    (buddy[p] -> kind[p] == RAM && !reserved[p]) && (kind[p] == NONE -> !buddy[p] && !reserved[p])

I holds initially (boot RAM is buddy and not reserved; the rest is NONE and clear)
and every action preserves it:
  add_ram/add_dev: the range is NONE, so by I not buddy; it becomes RAM/DEVICE and
      reserved, buddy stays false;
  online:  the range is RAM and reserved; it becomes buddy and not reserved;
  offline: the range is buddy (so RAM); it becomes not buddy and reserved;
  remove:  the range is RAM and not buddy; it becomes NONE and not reserved.
So buddy_is_ram, buddy_not_reserved and none_is_clean hold at every depth.

With bug_online_device=True, online also accepts reserved DEVICE pages:
add_dev(0x40000, 0x8000); online(0x40000, 0x8000) puts DEVICE pages in the buddy
allocator, so buddy_is_ram is violated at depth 2 (not at 1: one action cannot
both create a device range and online it; boot RAM is not reserved). The weaker
J(p) = (buddy[p] -> !reserved[p]) && (kind[p] == NONE -> !buddy[p] && !reserved[p])
is still preserved by every action (online sets buddy and clears reserved; offline
clears buddy; add_* need NONE, hence not buddy; remove needs not buddy), so
buddy_not_reserved and none_is_clean still hold.
"""

from __future__ import annotations

import time

import z3

SECTION = 0x8000
BOOT_END = 0x40000

Kind, (NONE, RAM, DEVICE) = z3.EnumSort("kind_t", ["NONE", "RAM", "DEVICE"])
Action, (ADD_RAM, ADD_DEV, ONLINE, OFFLINE, REMOVE) = z3.EnumSort(
    "hotplug4_action", ["add_ram", "add_dev", "online", "offline", "remove"])
PROPERTIES = ("buddy_is_ram", "buddy_not_reserved", "none_is_clean")


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
    """The maps of step k, as z3 array terms."""

    def __init__(self, k: int, kind: z3.ArrayRef, reserved: z3.ArrayRef,
                 buddy: z3.ArrayRef) -> None:
        self.k = k
        self.kind = kind
        self.reserved = reserved
        self.buddy = buddy


def init() -> State:
    """State 0: var initialisers, then ``kind[0 .. BOOT_END] := RAM`` and
    ``buddy[0 .. BOOT_END] := true``."""
    return State(
        0,
        kind=assign_range(z3.K(z3.IntSort(), NONE), 0, BOOT_END, RAM),
        reserved=z3.K(z3.IntSort(), z3.BoolVal(False)),
        buddy=assign_range(z3.K(z3.IntSort(), z3.BoolVal(False)), 0, BOOT_END, True),
    )


def trans(s: State, bug_online_device: bool) -> tuple[State, z3.BoolRef]:
    """State k+1 and T(s_k, s_{k+1}): exactly one of the five actions fires."""
    k = s.k
    act = z3.Const(f"act@{k}", Action)
    start, nr = z3.Int(f"start@{k}"), z3.Int(f"nr@{k}")
    end = start + nr
    sections = z3.And(nr > 0, start >= 0, start % SECTION == 0, nr % SECTION == 0)

    def onlinable(p):
        ok = s.kind[p] == RAM
        if bug_online_device:
            ok = z3.Or(ok, s.kind[p] == DEVICE)
        return z3.And(ok, s.reserved[p])

    guards = {
        ADD_RAM: forall_in(start, end, lambda p: s.kind[p] == NONE),
        ADD_DEV: forall_in(start, end, lambda p: s.kind[p] == NONE),
        ONLINE: forall_in(start, end, onlinable),
        OFFLINE: forall_in(start, end, lambda p: s.buddy[p]),
        REMOVE: forall_in(start, end,
                          lambda p: z3.And(s.kind[p] == RAM, z3.Not(s.buddy[p]))),
    }
    enabled = z3.Or([z3.And(act == a, sections, g) for a, g in guards.items()])

    is_ = lambda *actions: z3.Or([act == a for a in actions])  # noqa: E731
    t = State(
        k + 1,
        kind=z3.If(is_(ADD_RAM), assign_range(s.kind, start, end, RAM),
             z3.If(is_(ADD_DEV), assign_range(s.kind, start, end, DEVICE),
             z3.If(is_(REMOVE), assign_range(s.kind, start, end, NONE),
                   s.kind))),
        reserved=z3.If(is_(ADD_RAM, ADD_DEV, OFFLINE),
                       assign_range(s.reserved, start, end, True),
                 z3.If(is_(ONLINE, REMOVE),
                       assign_range(s.reserved, start, end, False),
                       s.reserved)),
        buddy=z3.If(is_(ONLINE), assign_range(s.buddy, start, end, True),
              z3.If(is_(OFFLINE), assign_range(s.buddy, start, end, False),
                    s.buddy)),
    )
    return t, enabled


def bad(name: str, s: State) -> z3.BoolRef:
    """The negation of invariant ``name`` in state s, with a fresh witness pfn."""
    w = z3.Int(f"w@{name}@{s.k}")
    if name == "buddy_is_ram":  # buddy[p] -> kind[p] == RAM
        return z3.And(s.buddy[w], z3.Not(s.kind[w] == RAM))
    if name == "buddy_not_reserved":  # buddy[p] -> !reserved[p]
        return z3.And(s.buddy[w], s.reserved[w])
    if name == "none_is_clean":  # kind[p] == NONE -> !buddy[p] && !reserved[p]
        return z3.And(s.kind[w] == NONE, z3.Or(s.buddy[w], s.reserved[w]))
    raise ValueError(name)


def decode(model: z3.ModelRef, k: int) -> list[str]:
    """The actions of a k-step trace, e.g. ``online(0x40000, 0x8000)``."""
    steps = []
    for j in range(k):
        act = model.eval(z3.Const(f"act@{j}", Action), model_completion=True)
        start = model.eval(z3.Int(f"start@{j}"), model_completion=True).as_long()
        nr = model.eval(z3.Int(f"nr@{j}"), model_completion=True).as_long()
        steps.append(f"{act}({start:#x}, {nr:#x})")
    return steps


def run(depth: int, bug_online_device: bool = False, traces: bool = False,
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
    state = init()
    found: dict[str, int | None] = {name: None for name in PROPERTIES}
    found_traces: dict[str, list[str]] = {}
    solve_time = 0.0
    checks = 0
    for k in range(depth + 1):
        if k > 0:
            state, c = trans(state, bug_online_device)
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
    bug = len(sys.argv) > 2 and sys.argv[2] in ("1", "true", "bug")
    t0 = time.perf_counter()
    out = run(d, bug_online_device=bug, traces=True)
    print(out, f"wall={time.perf_counter() - t0:.3f}s")
