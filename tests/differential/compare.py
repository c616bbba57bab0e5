"""Comparing zcheck's results with the explicit-state BFS (`explicit.Expected`).

One helper for tests/test_differential.py and tests/test_differential_locks.py: every
named invariant, cover and assert (and the implicit concurrency properties the BFS
lists) must have zcheck's verdict and shortest depth; an implicit property the BFS does
not list must not be violated (the generator keeps writes and lock indices in range and
never divides by zero).
"""

from __future__ import annotations

from .explicit import DEADLOCK, STUCK, Expected

HIT = {"invariant": "violated", "assert": "violated", "cover": "reached"}
MISS_OK = {"invariant": {"holds", "proved"}, "assert": {"holds", "proved"},
           "cover": {"not_reached", "unreachable"}}


def compare(expected: Expected, results, depth: int, unchecked: dict | None = None,
            may_skip_waits: bool = False) -> list[str]:
    """Every disagreement between the BFS and zcheck's results, as readable lines.

    UNKNOWN (the solver ran out of time) is not a disagreement as long as it is honest:
    BMC finished every depth up to the one it reports, so the BFS must find nothing
    there either. `unchecked` holds the implicit properties zcheck left out, with why
    (`System.notes`); leaving out `deadlock`/`stuck` is accepted when `may_skip_waits`
    (some body picks or writes a map before a require: ZC904, docs/language.md §6.7)."""
    unchecked = unchecked or {}
    problems: list[str] = []
    by_name: dict = {}
    for r in results:
        by_name.setdefault(r.name, r)
    for name, want in expected.depth.items():
        kind = expected.kind[name]
        r = by_name.get(name)
        if r is None:
            if name in (DEADLOCK, STUCK) and name in unchecked:
                if not may_skip_waits:
                    problems.append(f"{name}: zcheck leaves it out ({unchecked[name]}), but no body picks or "
                                    f"writes a map before a require")
                continue
            problems.append(f"{name} ({kind}): missing from zcheck's results")
            continue
        if r.verdict == "unknown":
            if want is not None and r.depth is not None and want <= r.depth:
                problems.append(f"{name} ({kind}): expected {HIT[kind]} at {want}, zcheck says unknown "
                                f"after finishing depth {r.depth}")
        elif want is None:
            if r.verdict not in MISS_OK[kind]:
                problems.append(f"{name} ({kind}): expected no {HIT[kind]} within depth {depth}, "
                                f"zcheck says {r.verdict} at {r.depth}")
        elif r.verdict != HIT[kind] or r.depth != want:
            problems.append(f"{name} ({kind}): expected {HIT[kind]} at {want}, zcheck says {r.verdict} at {r.depth}")
        if getattr(r, "error", None):
            problems.append(f"{name} ({kind}): zcheck could not replay its own trace: {r.error}")
    for r in results:
        if r.name not in expected.depth and r.verdict == "violated":
            problems.append(f"{r.name} ({r.kind}): violated at {r.depth}, but the generated model keeps "
                            f"writes and lock indices in range and never divides by zero")
    return problems


def report(depth: int, problems: list[str], text: str, expected: Expected, results,
           unchecked: dict | None = None) -> str:
    """The failure message: the disagreements, the model, both sides' answers."""
    got = [f"{r.name} ({r.kind}): {r.verdict} at {r.depth}" for r in results]
    got += [f"{n}: not checked ({why})" for n, why in (unchecked or {}).items()]
    lines = "\n".join(f"  {p}" for p in problems)
    return (f"zcheck disagrees with the explicit-state BFS (depth {depth}):\n{lines}\n--- model ---\n{text}"
            f"--- BFS ---\n  {expected.describe()} ({expected.states} states)\n--- zcheck ---\n"
            + "\n".join(f"  {g}" for g in got))


def compare_live(expected: dict, results, depth: int, engine: str) -> list[str]:
    """Every disagreement between the liveness reference (`liveness.check`: name ->
    Verdict, searched without a depth bound) and zcheck's results on the liveness
    properties. Any engine: a violation must come at the reference's shortest lasso
    length, "proved" only where no fair run violates the property, and a trace must
    replay; a shortest lasso within `depth` must be found (UNKNOWN after finishing a
    smaller depth is honest). With engine `bmc`: "holds" (or that honest UNKNOWN) when
    the shortest lasso is longer than `depth` or there is none."""
    problems: list[str] = []
    for r in results:
        want = expected.get(r.name)
        if want is None:
            continue
        length, bad = want.length, want.violated
        shown = f"violated at {length}" if bad else "no violation"
        if getattr(r, "error", None):
            problems.append(f"{r.name}: zcheck could not replay its own trace: {r.error}")
        if r.verdict == "violated":
            if r.depth != length:
                problems.append(f"{r.name}: reference {shown}, zcheck ({engine}) says violated at {r.depth}")
        elif r.verdict == "proved":
            if bad:
                problems.append(f"{r.name}: reference {shown}, zcheck ({engine}) says PROVED")
        elif r.verdict == "unknown":
            if length is not None and length <= depth and r.depth is not None and length <= r.depth:
                problems.append(f"{r.name}: reference {shown}, zcheck ({engine}) says unknown after depth {r.depth}")
        elif r.verdict == "holds":
            if length is not None and length <= depth:
                problems.append(f"{r.name}: reference {shown}, zcheck ({engine}) says holds to depth {depth}")
        else:
            problems.append(f"{r.name}: zcheck ({engine}) gives the verdict {r.verdict!r} to a liveness property")
    missing = set(expected) - {r.name for r in results}
    problems += [f"{name}: missing from zcheck's results" for name in sorted(missing)]
    return problems


def _walk(stmts):
    """The statements of a body in textual order, branches included."""
    from .gen import If

    for s in stmts:
        yield s
        if isinstance(s, If):
            yield from _walk(s.then)
            yield from _walk(s.else_)


def _changes(s) -> bool:
    """A statement that writes state, a lock or a local pick (an `if` on a trylock too)."""
    from .gen import PICKS, Assign, Fill, If, Let, LockOp, Not, Rcu, Store, TryLock

    if isinstance(s, (Assign, Store, Fill, LockOp, Rcu)):
        return True
    e = s.value if isinstance(s, Let) else s.cond if isinstance(s, If) else None
    e = e.arg if isinstance(e, Not) else e
    return isinstance(e, (TryLock,) + PICKS)


def _waits(s) -> bool:
    from .gen import BLOCKING, LockOp, Require

    return isinstance(s, Require) or (isinstance(s, LockOp) and s.op in BLOCKING)


def _wait_after_change(body: tuple, entered: bool) -> bool:
    seen = entered  # a procedure's first step: the call's arguments were just written
    for s in _walk(body):
        if _waits(s) and seen:
            return True
        seen = seen or _changes(s)
    return False


def may_leave_out_liveness(model) -> bool:
    """zcheck may leave liveness properties unchecked when some move's enabledness is not
    a state predicate: a `require` or blocking lock statement after a write, a lock
    statement or a pick in the same body (a coarse, textual superset of its rule)."""
    from .explicit import flat

    bodies = [(a.body, False) for a in model.actions]
    bodies += [(f.body, bool(f.entry)) for p in model.procs for f in flat(model, p)]
    return any(_wait_after_change(b, entered) for b, entered in bodies)


def run_live(model, depth: int, engine: str, timeout: float | None = None) -> tuple[list[str], list, dict]:
    """zcheck (`verify_system`, engine, depth) on the liveness properties of `model`
    against the reference: (disagreements, zcheck's results, the properties zcheck left
    out with why). Leaving one out is a disagreement unless `may_leave_out_liveness`."""
    from zcheck.api import build, verify_system

    from .explicit import state_graph
    from .liveness import check

    expected = check(model, state_graph(model))
    try:
        system = build("<model>", text=render_model(model))
        notes = dict(system.notes)
        props = [p for p in system.properties if p.name in expected]
        results = list(verify_system(system, props, depth, timeout=timeout, engine=engine).results) if props else []
    except Exception as exc:  # a crash or a rejected valid model is a finding too
        return [f"zcheck raised {type(exc).__name__}: {exc}"], [], {}
    unchecked = {n: notes[n] for n in expected if n in notes}
    problems = compare_live({n: v for n, v in expected.items() if n not in unchecked}, results, depth, engine)
    if unchecked and not may_leave_out_liveness(model):
        problems += [f"{n}: zcheck leaves it out ({why}), but no require or lock wait follows a write or pick"
                     for n, why in unchecked.items()]
    return problems, results, unchecked


def render_model(model) -> str:
    from .gen import render

    return render(model)
