"""Benchmark: the explicit-state engine's speed, in states visited per second of CPU time.

    python3 bench/explicit_speed.py [--budget N] [--only library|lock_workers|baselines]

Three sections, printed as Markdown tables:

1. library — every property of every model in zcheck/models (default constants), each
   searched alone in its own cone (as a portfolio would call `exhaust`), with a state
   budget. `bound` is `finite_domain`'s product of the cone's domain sizes ("-": a
   type of the cone is unbounded, `int` counters mostly; the search may still end).
   Per model: the properties decided by exhaustion, the states visited and the rate.
2. lock_workers — bench/models/lock_workers.zdl with 2 and 3 worker threads, with and
   without symmetry reduction: the throughput figure.
3. baselines — one model searched three ways: by the engine (compiled successor
   functions), by a BFS that runs the concrete evaluator over the typed IR for every
   state (what the engine would be without compiling), and by the test explorer
   tests/differential/explicit.py (its own interpreter of the generator's model).

Rates are states / CPU seconds of the search alone (`Stats.cpu_seconds`: after the
initial states, compiling and symmetry detection; re-compiling when a property is
decided is included). CPU time, not wall time, because the machines this runs on are
shared: under load the process gets a fraction of a core and wall-clock rates drop
with it, while the work per state does not change.
"""

from __future__ import annotations

import argparse
import glob
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import machine, table  # noqa: E402

from zcheck import api  # noqa: E402
from zcheck.checker.explicit import Stop, explore, finite_domain  # noqa: E402
from zcheck.checker.results import Proved, Violated  # noqa: E402

LOCK_PROPS = ["bounded", "deadlock", "stuck", "lockdep"]


def rate(states: int, seconds: float) -> str:
    return f"{states / seconds:,.0f}" if seconds > 0 and states >= 1000 else "-"


# ---------------------------------------------------------------- 1. the library


def library(budget: int, timeout: float) -> str:
    rows, detail = [], []
    for path in sorted(glob.glob(str(ROOT / "zcheck" / "models" / "*.zdl"))):
        system = api.build(path)
        decided = states = finite = unsupported = 0
        cpu = 0.0
        biggest = (0, "", 0.0)
        for p in api.select(system, None):
            bound = finite_domain(system, p)
            ex = explore(system, [p], budget, timeout=timeout)
            st, r = ex.stats, ex.results[p.name]
            finite += bound is not None
            if st.stop is Stop.UNSUPPORTED:
                unsupported += 1
                continue
            decided += isinstance(r, (Proved, Violated))
            states += st.states
            cpu += st.cpu_seconds
            biggest = max(biggest, (st.states, p.name, st.cpu_seconds))
            if bound is not None:
                detail.append([Path(path).stem, p.name, f"{bound.states:,}", f"{st.states:,}",
                               _verdict(r), f"{st.cpu_seconds:.3f}", rate(st.states, st.cpu_seconds)])
        n = len(api.select(system, None))
        rows.append([Path(path).stem, str(n), str(finite), str(unsupported), str(decided), f"{states:,}",
                     f"{cpu:.2f}", rate(states, cpu), f"{biggest[1]} ({biggest[0]:,} states, {rate(*biggest[::2])}/s)"])
    out = table(["model", "properties", "finite cone", "not enumerable", "decided", "states (sum)", "CPU s",
                 "states/CPU-s", "largest search"], rows)
    out += "\n\nProperties whose cone is finite by its types (`finite_domain` is not None):\n\n"
    out += table(["model", "property", "bound", "states", "verdict", "CPU s", "states/CPU-s"], detail)
    return out


def _verdict(r: object) -> str:
    if isinstance(r, Violated):
        return f"violated at {r.depth}"
    return "proved" if isinstance(r, Proved) else "unknown"


# ---------------------------------------------------------------- 2. threads


def lock_workers(budget: int) -> str:
    rows = []
    path = str(ROOT / "bench" / "models" / "lock_workers.zdl")
    for workers in ("2", "3"):
        system = api.build(path, overrides={"NW": workers})
        props = api.select(system, LOCK_PROPS)
        for symmetry in (True, False):
            ex = explore(system, props, budget, symmetry=symmetry)
            st = ex.stats
            verdicts = sorted({_verdict(r) for r in ex.results.values()})
            rows.append([workers, "yes" if st.symmetry else "no", f"{st.states:,}", f"{st.successors:,}",
                         st.stop.value, ", ".join(verdicts), f"{st.cpu_seconds:.2f}", f"{st.seconds:.2f}",
                         rate(st.states, st.cpu_seconds), rate(st.states, st.seconds)])
    return table(["workers", "symmetry", "states", "successors", "search", "verdicts", "CPU s", "wall s",
                  "states/CPU-s", "states/wall-s"], rows)


# ---------------------------------------------------------------- 3. baselines


def _gen_workers():  # type: ignore[no-untyped-def]
    """lock_workers.zdl in the generator's vocabulary (no process locals: one global per
    worker; a slot is picked with two `any bool`)."""
    from tests.differential.gen import (
        AnyBool, Assign, Bin, If, Ite, Let, Lit, LockDecl, LockOp, Model, Name, Not, Proc, Prop, Quant, Read, Store,
        TBool, TMap, TRange, VarDecl,
    )

    r3, r4, r5 = TRange(3), TRange(4), TRange(5)
    vars_ = [VarDecl("load", TMap(3, r5), 0), VarDecl("moves", r4, 0)]
    procs = []
    for k in range(3):
        cur, held, seen = f"cur{k}", f"held{k}", f"seen{k}"
        vars_ += [VarDecl(cur, r3, 0), VarDecl(held, TBool(), False), VarDecl(seen, r5, 0)]
        slot = Read("load", Name(cur))
        pick = (Let(f"a{k}", AnyBool()), Let(f"b{k}", AnyBool()),
                Assign(cur, Ite(Name(f"a{k}"), Ite(Name(f"b{k}"), Lit(2, r3), Lit(1, r3)), Lit(0, r3))))
        move = If(Name(held), (Store("load", Name(cur), Bin("-", slot, Lit(1, r5))), Assign(held, Lit(False, TBool()))),
                  (If(Bin("&&", Bin("<", slot, Lit(3, r5)), Bin("<", Name(seen), Lit(2, r5))),
                      (Store("load", Name(cur), Bin("+", slot, Lit(1, r5))), Assign(held, Lit(True, TBool()))), ()),))
        steps = ((If(Not(Name(held)), pick, ()),), (Assign(seen, slot),), (LockOp("acquire", "A"),),
                 (LockOp("acquire", "B"), move), (LockOp("release", "B"),),
                 (LockOp("release", "A"), Assign("moves", Bin("%", Bin("+", Name("moves"), Lit(1, r4)), Lit(4, r4)))))
        procs.append(Proc(f"w{k}", 1, steps, True))
    bounded = Quant("forall", "j", 3, Bin("<=", Read("load", Name("j")), Lit(3, r5)))
    return Model(tuple(vars_), (), (), (Prop("invariant", "bounded", bounded),), tuple(procs),
                 (LockDecl("A", "mutex"), LockDecl("B", "mutex")))


def _interpreted_bfs(system, props, budget: int) -> tuple[int, float]:  # type: ignore[no-untyped-def]
    """Breadth-first search running the concrete evaluator over the typed IR for every
    state (the same cone, layout and initial states as the engine; no compiling)."""
    from zcheck.checker import explicit_layout as ec
    from zcheck.checker.explicit_trace import initial_states, transition_runs
    from zcheck.system.cone import slice_system

    sliced = slice_system(system, props)
    layout = ec.make_layout(sliced, (), ec.interpreted_maps(sliced))
    starts = list(initial_states(sliced, layout, {}))
    rigid = starts[0].rigid
    seen = {s.key for s in starts}
    frontier = [s.key for s in starts]
    t0 = time.process_time()
    while frontier and len(seen) <= budget:
        nxt = []
        for key in frontier:
            state, _ = layout.unpack(key)
            for tr in sliced.transitions:
                for _, out in transition_runs(tr, state, rigid):
                    if out.enabled:
                        k = layout.pack(out.state, rigid)
                        if k not in seen:
                            seen.add(k)
                            nxt.append(k)
            if len(seen) > budget:
                break
        frontier = nxt
    return len(seen), time.process_time() - t0


def baselines(budget: int) -> str:
    from tests.differential.explicit import TooBig, explore as oracle
    from tests.differential.gen import render

    model = _gen_workers()
    system = api.build("<gen-workers>", None, None, text=render(model))
    props = api.select(system, None)
    rows = []
    ex = explore(system, props, budget, symmetry=False)
    rows.append(["engine (compiled)", f"{ex.stats.states:,}", ex.stats.stop.value, f"{ex.stats.cpu_seconds:.2f}",
                 rate(ex.stats.states, ex.stats.cpu_seconds)])
    small = min(budget, 4_000)
    n, cpu = _interpreted_bfs(system, props, small)
    rows.append(["evaluator over the IR, per state", f"{n:,}", "budget" if n > small else "exhausted", f"{cpu:.2f}",
                 rate(n, cpu)])
    t0 = time.process_time()
    try:
        got = oracle(model, 10_000, max_states=small).states
        stop = "exhausted"
    except TooBig:
        got, stop = small, "budget"
    cpu = time.process_time() - t0
    rows.append(["tests/differential/explicit.py", f"{got:,}", stop, f"{cpu:.2f}", rate(got, cpu)])
    head = ("The lock_workers model with three distinct worker processes (no symmetry), every "
            "property of the model; the two interpreters stop after "
            f"{small:,} states.\n\n")
    return head + table(["search", "states", "search", "CPU s", "states/CPU-s"], rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--budget", type=int, default=1_000_000, help="states per search (default 1 000 000)")
    ap.add_argument("--library-budget", type=int, default=200_000, help="states per library property")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per library property")
    ap.add_argument("--only", choices=["library", "lock_workers", "baselines"])
    args = ap.parse_args()
    facts = machine()
    print(f"# explicit-state engine speed\n\n{facts['cpu']}, {facts['cores']} cores, Python {facts['python']}, "
          f"commit {facts['commit']}\n")
    if args.only in (None, "lock_workers"):
        print("## lock_workers (threads)\n\n" + lock_workers(args.budget) + "\n", flush=True)
    if args.only in (None, "baselines"):
        print("## compiled vs interpreted\n\n" + baselines(args.budget) + "\n", flush=True)
    if args.only in (None, "library"):
        print("## library models, one property at a time\n\n" + library(args.library_budget, args.timeout) + "\n")


if __name__ == "__main__":
    main()
