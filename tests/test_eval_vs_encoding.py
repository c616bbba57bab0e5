"""Cross-check: the concrete evaluator against the Z3 encoding, expression by expression.

Every counterexample is replayed on the evaluator (zcheck/system/evaluate.py) and every
verdict comes from the encoding (zcheck/checker/encode.py); if the two read one
expression differently, a real trace can fail to replay or a replayed trace can be the
wrong one. Here hypothesis draws random finite models (tests/differential/gen.py: maps,
ranges, enums, `%`, `min`/`max`, `if`, nested reads, quantifiers) and random concrete
states, including map entries outside the key range and values outside the value
range (both are reachable: a range violation is reported and the value kept). Each
property expression is evaluated by the evaluator and encoded over the same state as
Z3 constants; a fresh solver must prove the encoding equal to the evaluator's value.
Not only whole properties: every closed sub-expression of every property and of every
action's conditions, assignments and stores (with random parameter values), so that
each operator is compared on its own. And each property in the form the engines ask
it (`violation`: outer quantifiers replaced by witness constants) must be satisfiable
exactly when the evaluator finds the property false.
Both encodings of quantifiers are checked: test points at the maps' breakpoints (what
BMC uses) and Z3 quantifiers (what k-induction uses when breakpoints are unknown).
"""

from __future__ import annotations

import os
import sys

import pytest
import z3
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.differential.gen import models, render  # noqa: E402
from zcheck.api import build  # noqa: E402
from zcheck.checker.encode import Ctx, expr, literal, violation  # noqa: E402
from zcheck.checker.maps import MapConst, MapFill  # noqa: E402
from zcheck.spec import typed as t  # noqa: E402
from zcheck.spec.types import BoolT, EnumT, MapT, RangeT, Type  # noqa: E402
from zcheck.system.evaluate import Env, EvalError, evaluate  # noqa: E402
from zcheck.system.pmap import PMap  # noqa: E402

EXAMPLES = int(os.environ.get("ZCHECK_EVAL_EXAMPLES", "150"))


def scalar_values(typ: Type) -> st.SearchStrategy:
    """Values a variable of `typ` can hold: its domain and, for ranges, a little outside."""
    if isinstance(typ, BoolT):
        return st.booleans()
    if isinstance(typ, EnumT):
        return st.integers(0, len(typ.members) - 1)
    if isinstance(typ, RangeT):
        return st.integers(typ.lo - 2, typ.hi + 1)
    return st.integers(-8, 8)


@st.composite
def states(draw, system) -> dict:  # type: ignore[no-untyped-def]
    state = {}
    for v in system.vars:
        if isinstance(v.type, MapT):
            m = PMap.const(draw(scalar_values(v.type.value)))
            for _ in range(draw(st.integers(0, 4))):
                lo = draw(scalar_values(v.type.key))
                m = m.fill(lo, lo + draw(st.integers(1, 3)), draw(scalar_values(v.type.value)))
            state[v.name] = m
        else:
            state[v.name] = draw(scalar_values(v.type))
    return state


def encoded_state(system, state: dict) -> tuple[dict, dict]:  # type: ignore[no-untyped-def]
    """Z3 terms for the state (maps as fills over a constant, as BMC builds them) and
    the breakpoints of each map."""
    cur, bps = {}, {}
    for v in system.vars:
        value = state[v.name]
        if isinstance(v.type, MapT):
            term = MapConst(literal(value.vals[0], v.type.value), False)
            for lo, hi, val in value.segments():
                if lo is not None and hi is not None:
                    term = MapFill(term, z3.IntVal(lo), z3.IntVal(hi), literal(val, v.type.value))
            if value.keys:  # the last segment runs to +inf
                term = MapFill(term, z3.IntVal(value.keys[-1]), z3.IntVal(10**9), literal(value.vals[-1], v.type.value))
            cur[v.name] = term
            bps[v.name] = [z3.IntVal(k) for k in value.keys]
        else:
            cur[v.name] = literal(value, v.type)
    return cur, bps


def same_value(term: z3.ExprRef, value: object) -> bool:
    s = z3.Solver()
    s.set("timeout", 10_000)
    want = z3.BoolVal(bool(value)) if isinstance(value, bool) else z3.IntVal(int(value))  # type: ignore[call-overload]
    s.add(term != want)
    answer = s.check()
    assert answer != z3.unknown, f"the solver could not decide {term} == {value}"
    return answer == z3.unsat


def closed_subterms(e):  # type: ignore[no-untyped-def]
    """Every sub-expression of e with no free quantified variable, e first."""
    out = []
    for n in t.walk(e):
        bound = {q.var for q in t.walk(n) if isinstance(q, t.Quant)}
        if all(b.name in bound for b in t.walk(n) if isinstance(b, t.Bound)) and not isinstance(n.type, MapT):
            out.append(n)
    return out


def expressions(system):  # type: ignore[no-untyped-def]
    """The expressions to compare: every closed sub-expression of every property, and of
    every `if` condition, `require`, assignment and store of every action that reads
    only the state and the action's parameters."""
    for p in system.properties:
        if p.expr is not None:
            yield from ((p.name, x, ()) for x in closed_subterms(p.expr))
    for tr in system.transitions:
        for stmt in statements(tr.body):
            for x in stmt_exprs(stmt):
                if not any(isinstance(n, (t.Local, t.Old)) for n in t.walk(x)):
                    yield from ((tr.name, y, tr.params) for y in closed_subterms(x))


def statements(body):  # type: ignore[no-untyped-def]
    for s in body:
        yield s
        if isinstance(s, t.SIf):
            yield from statements(s.then)
            yield from statements(s.else_)


def stmt_exprs(s):  # type: ignore[no-untyped-def]
    match s:
        case t.SAssign(value=x) | t.SRequire(cond=x) | t.SIf(cond=x):
            return [x]
        case t.SStore(index=i, value=x):
            return [i, x]
        case _:
            return []


@pytest.mark.filterwarnings("ignore:The recursion limit will not be reset")
@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(st.data())
def test_evaluator_and_encoding_agree_on_every_property(data: st.DataObject) -> None:
    text = render(data.draw(models()))
    system = build("<model>", text=text)
    state = data.draw(states(system))
    cur, bps = encoded_state(system, state)
    compared = 0
    for where, x, params in expressions(system):
        args = {name: data.draw(scalar_values(typ)) for name, typ in params}
        env = Env(state, state, params=args)
        try:
            want = evaluate(x, env)
        except EvalError:  # the evaluator declines some quantifier shapes (tested elsewhere)
            event("evaluator declined")
            continue
        z3_args = {name: literal(v, typ) for (name, typ), v in zip(params, args.values())}
        for label, points in (("test points", bps), ("z3 quantifiers", None)):
            term = expr(x, Ctx(cur, cur, z3_args, bps=points, old_bps=points))
            assert same_value(term, want), (
                f"{where}: the evaluator says {want} for {x}, the encoding ({label}) disagrees\n"
                f"state: {state}, parameters: {args}\n--- model ---\n{text}")
        compared += 1
    event(f"compared {min(compared, 50) // 10 * 10}+ expressions")
    for p in system.properties:  # the query form: outer quantifiers become witness constants
        if p.expr is None:
            continue
        try:
            ok = evaluate(p.expr, Env(state, state))
        except EvalError:
            continue
        for label, points in (("test points", bps), ("z3 quantifiers", None)):
            bad, _ = violation(p.expr, Ctx(cur, cur, bps=points, old_bps=points), f"{p.name}@0")
            s = z3.Solver()
            s.set("timeout", 10_000)
            s.add(bad)
            answer = s.check()
            assert answer != z3.unknown, f"{p.name}: the solver could not decide the violation query"
            assert (answer == z3.sat) == (not ok), (
                f"{p.name}: the evaluator says {ok}, the violation query ({label}) is {answer}\n"
                f"state: {state}\n--- model ---\n{text}")
