"""Checker: make a counterexample's values simple without changing its length.

Input: the assertions of a satisfiable BMC query (init, transitions, the violation).
Output: a model of the same formulas whose choices are smallest, lexicographically by
step: first the arguments of step 1 (absolute values summed), then step 2, ..., then
the witness. Section-aligned models get section-aligned values for free (the guards
require alignment; the smallest aligned value is chosen). Z3's optimiser runs under a
time limit; when it gives up, the original model is kept.
"""

from __future__ import annotations

import z3

from zcheck.checker.encode import Encoding, Witness, havocs
from zcheck.spec.types import BoolT, IntT, RangeT

MAX_PROBES = 64


def _abs(x: z3.ExprRef) -> z3.ExprRef:
    return z3.If(x >= 0, x, -x)


def _step_cost(enc: Encoding, k: int) -> z3.ExprRef | None:
    terms = []
    for i, tr in enumerate(enc.sys.transitions):
        parts = [_abs(enc.param(tr, n, ty, k)) for n, ty in tr.params if isinstance(ty, (IntT, RangeT))]
        parts += [_abs(enc.pick(tr.name, s.choice, s.domain, k)) for s in havocs(tr.body)
                  if isinstance(s.domain, (IntT, RangeT))]
        if parts:
            terms.append(z3.If(enc.act(k) == i, z3.Sum(parts), z3.IntVal(0)))
    return z3.Sum(terms) if terms else None


def minimise(solver: z3.Solver, enc: Encoding, bad: z3.ExprRef, steps: int,
             witnesses: tuple[Witness, ...], model: z3.ModelRef) -> z3.ModelRef:
    """Lexicographic minimisation by bisection on the incremental solver (deterministic:
    the same calls in the same order, no optimiser time limit)."""
    objectives = [c for c in (_step_cost(enc, k) for k in range(steps)) if c is not None]
    objectives += [_abs(w.const) for w in witnesses if not isinstance(w.type, BoolT) and z3.is_int(w.const)]
    solver.push()
    try:
        solver.add(bad)
        for cost in objectives:
            model = _bisect(solver, cost, model)
            solver.add(cost <= model.eval(cost, model_completion=True))
        return model
    finally:
        solver.pop()


def _bisect(solver: z3.Solver, cost: z3.ExprRef, model: z3.ModelRef) -> z3.ModelRef:
    lo, hi = 0, model.eval(cost, model_completion=True).as_long()
    for _ in range(MAX_PROBES):
        if lo >= hi:
            break
        mid = (lo + hi) // 2
        answer = solver.check(cost <= mid)
        if answer == z3.sat:
            model = solver.model()
            hi = model.eval(cost, model_completion=True).as_long()
        elif answer == z3.unsat:
            lo = mid + 1
        else:
            break
    return model
