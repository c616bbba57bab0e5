"""System: initial states and steps of a `System` on the concrete evaluator.

Input: a `System` and the nondeterministic choices (initial values, constants,
parameters, `any` picks); output: states and the outcome of each step. Shared by the
simulator, by trace replay, and by tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from zcheck.spec import typed as t
from zcheck.system.evaluate import BodyOutcome, Chooser, Env, EvalError, Value, default_value, evaluate, run_body
from zcheck.system.ir import Property, System, Transition


def init_choice(name: str) -> str:
    return f"init:{name}"


def const_choice(name: str) -> str:
    return f"const:{name}"


@dataclass(frozen=True)
class Initial:
    ok: bool  # False: the choices violate an `assume` or a `require` of `init`
    state: dict[str, Value]
    rigid: dict[str, Value]
    outcome: BodyOutcome


def initial(system: System, choose: Chooser) -> Initial:
    rigid: dict[str, Value] = {}
    for name, typ in system.rigid:
        rigid[name] = choose(t.SHavoc(name, None, typ, None, None, const_choice(name)), Env({}))
    state: dict[str, Value] = {}
    env0 = Env({}, rigid=rigid)
    for v in system.vars:
        if v.init is None:
            state[v.name] = choose(t.SHavoc(v.name, None, v.type, None, None, init_choice(v.name)), env0)
        else:
            state[v.name] = default_value(v.type, evaluate(_init_expr(v.init, state), Env(state, rigid=rigid)))
    outcome = run_body(system.init, state, {}, choose, rigid)
    ok = outcome.enabled and all(bool(evaluate(a, Env(outcome.state, rigid=rigid))) for a in system.assumes)
    return Initial(ok, outcome.state, rigid, outcome)


def _init_expr(e: t.TExpr, state: Mapping[str, Value]) -> t.TExpr:
    return e


def step(system: System, tr: Transition, state: Mapping[str, Value], params: Mapping[str, Value],
         choose: Chooser, rigid: Mapping[str, Value]) -> BodyOutcome:
    return run_body(tr.body, state, params, choose, rigid)


def holds(prop: Property, state: Mapping[str, Value], rigid: Mapping[str, Value]) -> bool:
    """Value of a state predicate (invariant, cover, lemma, state part of an implicit)."""
    if prop.expr is None:
        return True
    return bool(evaluate(prop.expr, Env(state, rigid=rigid)))


__all__ = ["Initial", "initial", "step", "holds", "EvalError", "init_choice", "const_choice"]
