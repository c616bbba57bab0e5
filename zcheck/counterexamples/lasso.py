"""Counterexamples: a liveness counterexample as a lasso, checked on the concrete evaluator.

Input: a trace decoded and replayed on a liveness product (system/liveness.py), whose
states and steps still carry the product's variables and its `live.save` parameter.
Output: the trace over the model alone with its `Lasso` (where the loop starts, and
which fairness groups were enabled and taken on it), or why it is not a lasso of the
property: the loop does not close (or the last state is not a dead end), the property
does not fail on the loop, or a fairness condition does not hold there. Every check is
made again on concrete values, independently of the product's monitor variables.
"""

from __future__ import annotations

import dataclasses
from typing import assert_never

from zcheck.counterexamples.trace import FairRow, Lasso, Trace, TraceStep
from zcheck.spec import typed as t
from zcheck.system.evaluate import Env, EvalError, Value, evaluate
from zcheck.system.implicit_props import Unsupported, enabled
from zcheck.system.ir import FairKind, Fairness, Property, System, TemporalOp
from zcheck.system.liveness import SAVE, SHADOW, is_monitor, shadow_equal


def attach(trace: Trace, product: System, prop: Property) -> Trace | str:
    """`trace` as a checked lasso of `prop`, or what is wrong with it."""
    assert prop.temporal is not None
    model_vars = [v for v in product.vars if not is_monitor(v.name)]
    states = [_model(trace.initial)] + [_model(s.state) for s in trace.steps]
    steps = tuple(_strip(s, states[s.index]) for s in trace.steps)
    try:
        en = {tr.name: enabled(tr) for tr in product.transitions}
        loop = _loop_start(trace, states, model_vars, en)
        if isinstance(loop, str):
            return loop
        failing = _property_fails(prop, states, loop, trace.rigid)
        if failing is not None:
            return failing
        rows = tuple(_row(g, states, steps, loop, en, trace.rigid) for g in product.fairness)
    except (EvalError, Unsupported) as exc:
        return f"cannot evaluate the loop on the concrete evaluator: {exc}"
    size = max(1, len(states) - 1 - loop)
    unfair = [r.name for r, g in zip(rows, product.fairness) if not _fair(r, g, size)]
    if unfair:
        return f"the loop is not fair to {', '.join(unfair)}"
    return dataclasses.replace(trace, kind="liveness", initial=states[0], steps=steps, explanation=None,
                               witnesses=(), lasso=Lasso(loop, rows))


def _model(state: dict[str, Value]) -> dict[str, Value]:
    return {n: v for n, v in state.items() if not is_monitor(n)}


def _strip(s: TraceStep, state: dict[str, Value]) -> TraceStep:
    return dataclasses.replace(s, params=tuple(p for p in s.params if p[0] != SAVE), state=state)


def _loop_start(trace: Trace, states: list[dict[str, Value]], model_vars: list, en: dict[str, t.TExpr]  # type: ignore[type-arg]
                ) -> int | str:
    """The state the last one repeats (the first step with `live.save` starts the loop),
    or the last index for a dead end."""
    k = len(trace.steps)
    saves = [s.index - 1 for s in trace.steps if any(n == SAVE and v is True for n, v, *_ in _named(s))]
    if saves and _same(states[saves[0]], states[k], model_vars, trace.rigid):
        return saves[0]
    env = Env(states[k], rigid=trace.rigid)
    if not any(evaluate(e, env) for e in en.values()):
        return k
    return "the last state neither repeats the loop's first state nor is a dead end"


def _named(s: TraceStep) -> list[tuple[str, Value]]:
    return [(n, v) for n, _typ, v in s.params]


def _same(a: dict[str, Value], b: dict[str, Value], model_vars: list, rigid: dict[str, Value]) -> bool:  # type: ignore[type-arg]
    both = {**b, **{SHADOW + n: v for n, v in a.items()}}
    env = Env(both, rigid=rigid)
    return all(evaluate(shadow_equal(v), env) for v in model_vars)


def _property_fails(prop: Property, states: list[dict[str, Value]], loop: int, rigid: dict[str, Value]) -> str | None:
    """None when the property fails on the lasso, else why not."""
    temporal = prop.temporal
    assert temporal is not None
    k = len(states) - 1
    on_loop = range(loop, k) if loop < k else range(k, k + 1)
    p = [bool(evaluate(temporal.p, Env(s, rigid=rigid))) for s in states]
    match temporal.op:
        case TemporalOp.ALWAYS_EVENTUALLY:
            ok = not any(p[i] for i in on_loop)
        case TemporalOp.EVENTUALLY_ALWAYS:
            ok = not all(p[i] for i in on_loop)
        case TemporalOp.LEADS_TO:
            assert temporal.q is not None
            q = [bool(evaluate(temporal.q, Env(s, rigid=rigid))) for s in states]
            first = min(on_loop)
            ok = not any(q[i] for i in range(first, k + 1)) and any(
                p[i] and not any(q[j] for j in range(i, k + 1)) for i in range(0, k + 1))
        case _:
            assert_never(temporal.op)
    return None if ok else f"`{prop.name}` does not fail on the loop"


def _row(g: Fairness, states: list[dict[str, Value]], steps: tuple[TraceStep, ...], loop: int,
         en: dict[str, t.TExpr], rigid: dict[str, Value]) -> FairRow:
    k = len(states) - 1
    if loop == k:  # a dead end: nothing is enabled, nothing is taken
        return FairRow(g.name, g.kind.value, (), ())
    on = tuple(i for i in range(loop, k) if any(evaluate(en[n], Env(states[i], rigid=rigid)) for n in g.transitions))
    taken = tuple(s.index for s in steps[loop:] if s.transition in g.transitions)
    return FairRow(g.name, g.kind.value, on, taken)


def _fair(row: FairRow, g: Fairness, loop_states: int) -> bool:
    """Weak: taken on the loop, or disabled in one of its `loop_states` states; strong:
    taken, or enabled in none."""
    match g.kind:
        case FairKind.WEAK:
            return bool(row.taken) or len(row.enabled) < loop_states
        case FairKind.STRONG:
            return bool(row.taken) or not row.enabled
        case _:
            assert_never(g.kind)
