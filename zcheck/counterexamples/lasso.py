"""Counterexamples: a liveness counterexample as a lasso, checked on the concrete evaluator.

`check` is the one check of a lasso, used by decoding and by `zcheck replay`. Input: the
states and steps of a run over the model, the index `loop` of the state the last one
repeats (`loop == length`: a dead end), the system (the model, or its liveness product:
the product's monitor variables are left out) and the liveness property. Output: the
`Lasso` (with its fairness rows: the loop states where each group is enabled and the
loop steps that take it), or a `NotALasso` saying why not: the loop does not close (or
the last state is not a dead end), the property does not fail on the loop, a fairness
condition does not hold there, or the evaluator cannot decide.

`attach` turns a trace decoded on a liveness product (system/liveness.py), whose states
and steps still carry the product's variables and its `live.save` parameter, into the
trace over the model with its checked `Lasso`. Every check is made on concrete values,
independently of the product's monitor variables.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import Enum
from typing import Mapping, Sequence, assert_never

from zcheck.counterexamples.lasso_text import condition, numbers
from zcheck.counterexamples.trace import FairRow, Lasso, Trace, TraceStep
from zcheck.spec import typed as t
from zcheck.system.evaluate import Env, EvalError, Value, evaluate
from zcheck.system.implicit_props import Unsupported, enabled
from zcheck.system.ir import FairKind, Fairness, Property, StateVar, System, TemporalOp
from zcheck.system.liveness import SAVE, SHADOW, is_monitor, shadow_equal

State = Mapping[str, Value]


class Fault(Enum):
    """Why a run is not a lasso of the property."""

    OPEN = "open"  # the last state neither repeats state `loop` nor is a dead end
    HOLDS = "holds"  # the property does not fail on the loop
    UNFAIR = "unfair"  # a fairness condition does not hold on the loop
    UNDECIDED = "undecided"  # the concrete evaluator cannot decide


@dataclass(frozen=True)
class NotALasso:
    fault: Fault
    why: str


def attach(trace: Trace, product: System, prop: Property) -> Trace | str:
    """`trace` (decoded on `product`) as a checked lasso of `prop`, or what is wrong with it."""
    states = [_model(trace.initial)] + [_model(s.state) for s in trace.steps]
    steps = tuple(_strip(s, states[s.index]) for s in trace.steps)
    out = check(product, prop, states, steps, _loop_start(product, trace, states), trace.rigid)
    if isinstance(out, NotALasso):
        return out.why
    return dataclasses.replace(trace, kind="liveness", initial=states[0], steps=steps, explanation=None,
                               witnesses=(), lasso=out)


def check(system: System, prop: Property, states: Sequence[State], steps: Sequence[TraceStep], loop: int,
          rigid: State) -> Lasso | NotALasso:
    """The lasso of `prop` that `states` (0 .. k) and `steps` (1 .. k) form with the last
    state repeating state `loop` (a dead end when loop == k), or why they do not form one."""
    k = len(states) - 1
    assert 0 <= loop <= k and len(steps) == k
    try:
        en = {tr.name: enabled(tr) for tr in system.transitions}
        open_ = _open(system, states, loop, en, rigid)
        if open_ is not None:
            return NotALasso(Fault.OPEN, open_)
        at = _failure(system, prop, states, loop, rigid)
        if isinstance(at, NotALasso):
            return at
        rows = tuple(_row(g, states, steps, loop, en, rigid) for g in system.fairness)
    except (EvalError, Unsupported) as exc:
        return NotALasso(Fault.UNDECIDED, f"cannot evaluate the loop on the concrete evaluator: {exc}")
    lasso = Lasso(loop, rows, at)
    unfair = [_unfair_text(r, lasso.loop_states(k)) for r in rows if not fair(r, lasso.loop_states(k))]
    if unfair:
        return NotALasso(Fault.UNFAIR, f"the loop is not fair to {'; '.join(unfair)}")
    return lasso


def closes(system: System, a: State, b: State, rigid: State) -> str | None:
    """None when `b` is the state `a` (every model variable equal), else the first variable
    that differs."""
    both = {**b, **{SHADOW + n: v for n, v in a.items()}}
    env = Env(both, rigid=rigid)
    return next((v.name for v in _model_vars(system) if not evaluate(shadow_equal(v), env)), None)


def fair(row: FairRow, loop_states: range) -> bool:
    """Weak: taken on the loop, or disabled in one of its states; strong: taken, or
    enabled in none."""
    match row.kind:
        case FairKind.WEAK:
            return bool(row.taken) or len(row.enabled) < len(loop_states)
        case FairKind.STRONG:
            return bool(row.taken) or not row.enabled
        case _:
            assert_never(row.kind)


# ---------------------------------------------------------------- the product's trace


def _model(state: State) -> dict[str, Value]:
    return {n: v for n, v in state.items() if not is_monitor(n)}


def _strip(s: TraceStep, state: dict[str, Value]) -> TraceStep:
    return dataclasses.replace(s, params=tuple(p for p in s.params if p[0] != SAVE), state=state)


def _loop_start(product: System, trace: Trace, states: Sequence[State]) -> int:
    """The state the last one repeats (the first step with `live.save` starts the loop)
    when it does; else the last index (a dead end, which `check` confirms or refutes)."""
    k = len(trace.steps)
    saves = [s.index - 1 for s in trace.steps if any(n == SAVE and v is True for n, _typ, v in s.params)]
    try:
        if saves and closes(product, states[saves[0]], states[k], trace.rigid) is None:
            return saves[0]
    except EvalError:
        pass  # `check` says the evaluator cannot decide
    return k


# ---------------------------------------------------------------- the three checks


def _model_vars(system: System) -> list[StateVar]:
    return [v for v in system.vars if not is_monitor(v.name)]


def _open(system: System, states: Sequence[State], loop: int, en: Mapping[str, t.TExpr],
          rigid: State) -> str | None:
    """None when the last state repeats state `loop`, or is a dead end (loop == k)."""
    k = len(states) - 1
    if loop < k:
        differs = closes(system, states[loop], states[k], rigid)
        if differs is None:
            return None
        return f"state {k} is not state {loop} again (they differ in `{differs}`): the loop does not close"
    env = Env(states[k], rigid=rigid)
    moves = [n for n, e in en.items() if evaluate(e, env)]
    return f"state {k} is not a dead end: `{moves[0]}` is enabled in it" if moves else None


def _failure(system: System, prop: Property, states: Sequence[State], loop: int, rigid: State) -> int | None | NotALasso:
    """Where the property fails on the lasso (see `Lasso.at`), or why it does not."""
    temporal = prop.temporal
    assert temporal is not None
    k = len(states) - 1
    on_loop = Lasso(loop).loop_states(k)
    p = [bool(evaluate(temporal.p, Env(s, rigid=rigid))) for s in states]
    text = condition(system, temporal.p)
    match temporal.op:
        case TemporalOp.ALWAYS_EVENTUALLY:
            true_at = [i for i in on_loop if p[i]]
            if true_at:
                return NotALasso(Fault.HOLDS, f"`{text}` holds in loop state {true_at[0]}, so it holds again and again")
            return None
        case TemporalOp.EVENTUALLY_ALWAYS:
            false_at = [i for i in on_loop if not p[i]]
            if not false_at:
                return NotALasso(Fault.HOLDS, f"`{text}` holds in every loop state ({numbers(on_loop)}), so it stays true")
            return false_at[0]
        case TemporalOp.LEADS_TO:
            assert temporal.q is not None
            q = [bool(evaluate(temporal.q, Env(s, rigid=rigid))) for s in states]
            goal = condition(system, temporal.q)
            q_on_loop = [i for i in range(on_loop.start, k + 1) if q[i]]
            if q_on_loop:
                return NotALasso(Fault.HOLDS, f"`{goal}` holds in loop state {q_on_loop[0]}, so it follows every `{text}`")
            pending = [i for i in range(k + 1) if p[i] and not any(q[j] for j in range(i, k + 1))]
            if not pending:
                return NotALasso(Fault.HOLDS, f"`{goal}` holds at or after every state where `{text}` holds")
            return pending[0]
        case _:
            assert_never(temporal.op)


def _row(g: Fairness, states: Sequence[State], steps: Sequence[TraceStep], loop: int,
         en: Mapping[str, t.TExpr], rigid: State) -> FairRow:
    k = len(states) - 1
    if loop == k:  # a dead end: nothing is enabled, nothing is taken
        return FairRow(g.name, g.kind, (), ())
    on = tuple(i for i in range(loop, k) if any(evaluate(en[n], Env(states[i], rigid=rigid)) for n in g.transitions))
    taken = tuple(s.index for s in steps[loop:] if s.transition in g.transitions)
    return FairRow(g.name, g.kind, on, taken)


def _unfair_text(row: FairRow, loop_states: range) -> str:
    """`toggle` (strong fair: enabled in loop states 4..5, never taken)."""
    if row.kind is FairKind.WEAK:
        return f"`{row.name}` (weak fair: enabled in every loop state, {numbers(loop_states)}, never taken)"
    return f"`{row.name}` (strong fair: enabled in loop states {numbers(row.enabled)}, never taken)"
