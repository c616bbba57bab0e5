"""Counterexamples: decode a Z3 model into a `Trace`, replaying it on the evaluator.

Input: a `Violated` result (its `EncodedExecution`). Only the nondeterministic choices
are read from the model — initial picks, the transition and parameters of each step,
`any` picks, witnesses — and the states are recomputed by the concrete evaluator. Every
recomputed state is then compared with the model's state (maps exactly, by a fresh
solver query), every step must be enabled, and the property must fail on the evaluator.
Any disagreement raises `ReplayError`: an internal error, never a result.

An `ExplicitExecution` (the explicit-state engine) carries the choices themselves; it
is replayed the same way on its whole system, a choice it leaves out (a variable
outside the property's cone) taking the first value in range, and the replayed states
are compared with the engine's on the variables it tracked.
"""

from __future__ import annotations

from typing import Mapping

import z3

from zcheck.checker.encode import Encoding, literal
from zcheck.checker.maps import MapTerm
from zcheck.checker.results import ExplicitExecution, Violated
from zcheck.counterexamples import lasso
from zcheck.counterexamples.explain import explain
from zcheck.counterexamples.trace import Explanation, Trace, TraceStep
from zcheck.counterexamples.values import key_text, scalar_of, scalar_text
from zcheck.spec import typed as t
from zcheck.spec.types import INT, BoolT, BvT, MapT, RangeT, Type
from zcheck.system.evaluate import AssertOutcome, Chooser, Env, EvalError, Value, evaluate
from zcheck.system.implicit_props import DEADLOCK, STUCK, cycle_text, waits_in
from zcheck.spec.threads import ENV
from zcheck.system.threads import LOCKDEP, Threads, holds as holds_class
from zcheck.system.ir import System, Transition
from zcheck.system.pmap import PMap
from zcheck.system.semantics import holds, initial, step


class ReplayError(Exception):
    """A counterexample that does not replay on the concrete evaluator (a zcheck bug)."""


def scalar(model: z3.ModelRef, term: z3.ExprRef, typ: Type) -> int | bool:
    v = model.eval(term, model_completion=True)
    if isinstance(typ, BoolT):
        return bool(z3.is_true(v))
    if isinstance(typ, BvT):
        return v.as_long()  # type: ignore[no-any-return]
    return v.as_long()  # type: ignore[no-any-return]


def _picker(model: z3.ModelRef, terms: Mapping[str, z3.ExprRef]) -> Chooser:
    def choose(s: t.SHavoc, env: Env) -> Value:
        term = terms.get(s.choice)
        if term is None:
            raise ReplayError(f"no value in the model for pick `{s.choice}`")
        return scalar(model, term, s.domain)

    return choose


def _step_picks(enc: Encoding, tr: Transition, k: int) -> dict[str, z3.ExprRef]:
    havocs = [s for s in t.walk_stmts(tr.body) if isinstance(s, t.SHavoc)]
    return {s.choice: enc.pick(tr.name, s.choice, s.domain, k) for s in havocs}


def decode(v: Violated) -> Trace:
    """The replayed trace of `v`; for a liveness product (system/liveness.py), the lasso
    over the model, checked again on concrete values (counterexamples/lasso.py)."""
    trace = _decode(v)
    if v.prop.temporal is None:
        return trace
    sysm = v.execution.system if isinstance(v.execution, ExplicitExecution) else v.execution.encoding.sys  # type: ignore[union-attr]
    out = lasso.attach(trace, sysm, v.prop)
    if isinstance(out, str):
        raise ReplayError(out)
    return out


def _decode(v: Violated) -> Trace:
    if isinstance(v.execution, ExplicitExecution):
        return _decode_explicit(v, v.execution)
    ex = v.execution
    assert ex is not None, "decode needs the execution (it is dropped only after decoding)"
    enc, model, sysm = ex.encoding, ex.model, ex.encoding.sys
    start = initial(sysm, _picker(model, enc.init_picks))
    if not start.ok:
        raise ReplayError("the initial state of the counterexample violates an `assume` or `require` of init")
    _same_state(enc, model, enc.state(0), start.state, 0)
    state, steps, last = start.state, [], None
    for k in range(ex.steps):
        idx = scalar(model, enc.act(k), INT)
        tr = sysm.transitions[int(idx)]
        params = {name: scalar(model, enc.param(tr, name, typ, k), typ) for name, typ in tr.params}
        out = step(sysm, tr, state, params, _picker(model, _step_picks(enc, tr, k)), start.rigid)
        is_last_site = ex.where == "site" and k == ex.steps - 1
        if not out.enabled and not is_last_site:
            raise ReplayError(f"step {k + 1} ({tr.name}) is not enabled on the evaluator")
        if not is_last_site:
            _same_state(enc, model, enc.state(k + 1), out.state, k + 1)
        last = out
        shown = tuple((n, typ, params[n]) for n, typ in tr.params)
        picks = tuple((name, value) for name, value in out.choices.items())
        steps.append(TraceStep(k + 1, tr.name, shown, picks, tr.span, out.state))
        state = out.state
    wit_values = tuple((w.name, w.type, scalar(model, w.const, w.type)) for w in ex.witnesses)
    return _finish(v, sysm, ex.where, wit_values, start.state, start.rigid, tuple(steps), last, start.outcome.asserts)


def _decode_explicit(v: Violated, ex: ExplicitExecution) -> Trace:
    sysm = ex.system
    start = initial(sysm, _recorded(dict(ex.init_picks)))
    if not start.ok:
        raise ReplayError("the initial state of the counterexample violates an `assume` or `require` of init")
    _same_tracked(ex, start.state, 0)
    by_name = {tr.name: tr for tr in sysm.transitions}
    state, steps, last = start.state, [], None
    for k, move in enumerate(ex.moves):
        tr = by_name.get(move.transition)
        if tr is None:
            raise ReplayError(f"step {k + 1}: the model has no transition `{move.transition}`")
        params = dict(move.params)
        out = step(sysm, tr, state, params, _recorded(dict(move.picks)), start.rigid)
        is_last_site = ex.where == "site" and k == len(ex.moves) - 1
        if not out.enabled and not is_last_site:
            raise ReplayError(f"step {k + 1} ({tr.name}) is not enabled on the evaluator")
        if not is_last_site:
            _same_tracked(ex, out.state, k + 1)
        last = out
        shown = tuple((n, typ, params[n]) for n, typ in tr.params)
        steps.append(TraceStep(k + 1, tr.name, shown, tuple(out.choices.items()), tr.span, out.state))
        state = out.state
    return _finish(v, sysm, ex.where, ex.witnesses, start.state, start.rigid, tuple(steps), last,
                   start.outcome.asserts)


def _recorded(picks: dict[str, Value]) -> Chooser:
    """The recorded choice, else the first value the `any` allows (a variable the
    engine did not track: any value replays)."""

    def choose(s: t.SHavoc, env: Env) -> Value:
        if s.choice in picks:
            return picks[s.choice]
        return _first_value(s, env)

    return choose


def _first_value(s: t.SHavoc, env: Env) -> Value:
    typ = s.domain
    if isinstance(typ, MapT):
        return PMap.const(_first_scalar(typ.value, None))
    lo = int(evaluate(s.lo, env)) if s.lo is not None else None  # type: ignore[arg-type]
    return _first_scalar(typ, lo)


def _first_scalar(typ: Type, lo: int | None) -> int | bool:
    match typ:
        case BoolT():
            return False
        case RangeT(lo=a):
            return max(a, lo) if lo is not None else a
        case BvT():
            return max(0, lo) if lo is not None else 0
        case _:
            return lo if lo is not None else 0


def _same_tracked(ex: ExplicitExecution, state: dict[str, Value], k: int) -> None:
    if k >= len(ex.states):
        return
    for name, want in ex.states[k].items():
        if state.get(name) != want:
            raise ReplayError(f"`{name}` in state {k}: explicit engine {want}, evaluator {state.get(name)}")


def _finish(
    v: Violated, sysm: System, where: str, wit_values: tuple[tuple[str, Type, Value], ...],
    init_state: dict[str, Value], rigid: dict[str, Value], steps: tuple[TraceStep, ...],
    last: object, init_asserts: tuple[AssertOutcome, ...],
) -> Trace:
    prop = v.prop
    texts = sysm.sources.texts
    final = steps[-1].state if steps else init_state
    verdict = "reached" if prop.kind == "cover" else "violated"
    why: Explanation | None
    if where == "state":
        assert prop.expr is not None
        try:
            value = holds(prop, final, rigid)
        except EvalError as exc:
            raise ReplayError(f"cannot evaluate `{prop.name}` on the final state: {exc}") from None
        if value != (prop.kind == "cover"):
            raise ReplayError(f"`{prop.name}` does not {'hold' if prop.kind == 'cover' else 'fail'} in the final state")
        if prop.kind == "implicit" and prop.name in (DEADLOCK, STUCK):
            why = concurrency_explanation(sysm, prop.name, final, rigid)
        else:
            why = explain(prop.expr, Env(final, rigid=rigid), wit_values, prop.kind == "cover", texts)
        return Trace(prop.name, prop.kind, verdict, init_state, rigid, steps, wit_values, why, None)
    outcomes = init_asserts if where == "init-site" else getattr(last, "asserts", ())
    failed = [a for a in outcomes if a.prop == prop.name and not a.ok]
    if not failed:
        raise ReplayError(f"no site of `{prop.name}` fails when the last step is replayed")
    site = failed[0]
    if prop.name.startswith("transitions("):
        why = lifecycle_explanation(sysm, prop.name[len("transitions("):-1], site, wit_values,
                                    steps[-1].transition if steps else "init")
    elif prop.name == LOCKDEP and prop.kind == "implicit":
        why = lockdep_explanation(sysm, site, steps, init_state, rigid)
    else:
        why = explain(site.stmt.cond, site.env, wit_values, False, texts)
    return Trace(prop.name, prop.kind, verdict, init_state, rigid, steps, wit_values, why, site.stmt.span)


def _same_state(enc: Encoding, model: z3.ModelRef, terms: dict, state: dict[str, Value], k: int) -> None:  # type: ignore[type-arg]
    for var in enc.sys.vars:
        got = state[var.name]
        if isinstance(var.type, MapT):
            assert isinstance(got, PMap)
            if not _same_map(enc, model, terms[var.name], got, var.type, var.name, k):
                raise ReplayError(f"map `{var.name}` in state {k} differs between the solver and the evaluator")
        elif scalar(model, terms[var.name], var.type) != got:
            want = scalar(model, terms[var.name], var.type)
            raise ReplayError(f"`{var.name}` in state {k}: solver {want}, evaluator {got}")


def _same_map(enc: Encoding, model: z3.ModelRef, term: MapTerm, pmap: PMap, typ: MapT, name: str, k: int) -> bool:
    """Exact comparison. Both maps are piecewise constant; every breakpoint of the
    solver's map is one of the encoding's breakpoint terms for this state, and every
    breakpoint of the evaluator's is in the PMap, so agreeing at all those points and
    just left of them means agreeing everywhere."""
    points = set(pmap.keys)
    bps = enc.bps(k)
    if bps is None or name not in bps:
        return True
    for b in bps[name]:
        points.add(int(scalar(model, b, typ.key)))
    probe = set(points) | {p - 1 for p in points} | {0}
    for p in sorted(probe):
        key = literal(p, typ.key)
        if scalar(model, term.read(key), typ.value) != pmap.get(p):
            return False
    return True


def concurrency_explanation(sysm: System, name: str, state: dict[str, Value], rigid: dict[str, Value]) -> Explanation:
    """Deadlock: the wait-for cycle. Stuck: where each instance is and what it waits for."""
    rows = waits_in(sysm, state, rigid)
    if name == DEADLOCK:
        return Explanation(f"wait-for cycle: {cycle_text(rows)}", (), None)
    pcs = [(v.name[:-len(".pc")], scalar_text(scalar_of(state[v.name]), v.type)) for v in sysm.vars if v.exact_domain]
    values = tuple((inst, f"at {pc}") for inst, pc in pcs)
    waits = "; ".join(f"{a} waits for {what} held by {b}" for a, what, b in rows)
    text = "no step of any instance and no action is enabled" + (f" ({waits})" if waits else "")
    return Explanation(text, values, None)


def lockdep_explanation(sysm: System, site: AssertOutcome, steps: tuple[TraceStep, ...],
                        init_state: dict[str, Value], rigid: dict[str, Value]) -> Explanation:
    """The acquisitions that recorded the reverse order (one, or a chain of them), each a
    fact of the trace, and the step taking the lock now."""
    now = steps[-1].transition if steps else "init"
    # the site reads the recorded order as a `let` of the flag (system.threads.lockdep_sites)
    flags = sorted({"lockdep." + n.name[len("dep#"):].rsplit("@", 1)[0] for n in t.walk(site.stmt.cond)
                    if isinstance(n, t.Local) and n.name.startswith("dep#")})
    if not flags:
        return Explanation(f"`{now}` takes a second lock of one class without `nested` (possible recursive "
                           "locking)", (), site.stmt.span)
    held, taken = flags[0][len("lockdep."):].split(">", 1)
    edges = _direct_orders(sysm, steps, init_state, rigid)
    chain = _order_path(edges, held, taken)
    parts = [f"step {k} ({who}) took `{b}` while holding `{a}`" for a, b, k, who in chain]
    parts.append(f"step {len(steps)} ({now}) takes `{held}` while holding `{taken}`")
    return Explanation("lock order inversion: " + "; ".join(parts), (), site.stmt.span)


def _direct_orders(sysm: System, steps: tuple[TraceStep, ...], init_state: dict[str, Value],
                   rigid: dict[str, Value]) -> list[tuple[str, str, int, str]]:
    """(A, B, step, transition): at that step its owner took class B while holding A."""
    if sysm.owners is None:
        return []
    th = Threads(sysm.owners, {lk.name: lk for lk in sysm.locks})
    out: list[tuple[str, str, int, str]] = []
    prev = init_state
    for s in steps[:-1]:
        head = s.transition.split(".", 1)[0]
        owner = head if head in sysm.owners.members else ENV
        held = {c: bool(evaluate(holds_class(th, th.locks[c], owner), Env(prev, rigid=rigid))) for c in th.locks}
        after = {c: bool(evaluate(holds_class(th, th.locks[c], owner), Env(s.state, rigid=rigid))) for c in th.locks}
        for b in th.locks:
            if after[b] and not held[b]:
                out += [(a, b, s.index, s.transition) for a in th.locks if a != b and held[a]]
        prev = s.state
    return out


def _order_path(edges: list[tuple[str, str, int, str]], start: str, goal: str) -> list[tuple[str, str, int, str]]:
    """The earliest-recorded chain of orders start -> ... -> goal (breadth first)."""
    paths: dict[str, list[tuple[str, str, int, str]]] = {start: []}
    frontier = [start]
    while frontier:
        nxt = []
        for x in frontier:
            for e in edges:
                if e[0] == x and e[1] not in paths:
                    paths[e[1]] = paths[x] + [e]
                    nxt.append(e[1])
        frontier = nxt
    return paths.get(goal, [])


def lifecycle_explanation(sysm: System, var: str, site: AssertOutcome, witnesses: tuple, writer: str) -> Explanation:  # type: ignore[type-arg]
    """`memmap[0x5]: UNINIT -> INIT` is not an edge the writer may take (and which it may)."""
    block = next(b for b in sysm.lifecycles if b.var == var)
    vtype = sysm.var(var).type
    old, new = site.env.old[var], site.env.state[var]
    if isinstance(vtype, MapT):
        key = next((v for _, _, v in witnesses), None)
        assert isinstance(old, PMap) and isinstance(new, PMap) and key is not None
        a, b = old.get(int(key)), new.get(int(key))
        where = f"{var}[{key_text(int(key), vtype.key)}]"
        vt = vtype.value
    else:
        assert not isinstance(old, PMap) and not isinstance(new, PMap)
        a, b, where, vt = old, new, var, vtype
    name = next((tr.writer for tr in sysm.transitions if tr.name == writer), writer)
    allowed = [f"{scalar_text(src, vt)} -> {scalar_text(dst, vt)}" for src, dst, ws in block.edges if name in ws]
    text = f"{where}: {scalar_text(a, vt)} -> {scalar_text(b, vt)} is not an edge `{name}` may take"
    return Explanation(text, (("allowed for it", ", ".join(allowed) or "none"),), block.span)
