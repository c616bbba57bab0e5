"""Checker: initial states and traces of the explicit-state engine, on the concrete evaluator.

Input: a `System` sliced to the checked properties, the `Layout` of its states, and the
engine's path of states. Output: the initial states with the choices that make them
(`initial_states`), and for a violation an `ExplicitExecution` (`rebuild`): the
transition, parameters and `any` picks of every step, found by running each step on
the evaluator — every parameter value and pick, depth first, in order — until one
reaches the next state of the path (a state of the same orbit, under symmetry
reduction). A step the compiled code takes and the evaluator cannot is a bug of the
engine and raises `ExplicitError`; `decode` then replays the execution once more, on
the whole system.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Callable, Iterator, TypeVar

from zcheck.checker.explicit_compile import Compiled
from zcheck.checker.explicit_layout import HAVOC_WIDTH, Layout, Unsupported, domain_values
from zcheck.checker.results import ExplicitExecution, ExplicitMove
from zcheck.spec import typed as t
from zcheck.spec.types import BvT, IntT, MapT, RangeT, Type
from zcheck.system.evaluate import (
    AssertOutcome, BodyOutcome, Chooser, Env, EvalError, Value, evaluate, quantifier_values, run_body,
)
from zcheck.system.ir import Property, System, Transition
from zcheck.system.pmap import PMap
from zcheck.system.semantics import initial

MAP_CHOICES = 4096  # an `any` initial map over more functions is not enumerated

R = TypeVar("R")
Key = tuple[Any, ...]


class ExplicitError(AssertionError):
    """The compiled code and the evaluator disagree: a bug in the explicit engine."""


class _More(Exception):
    def __init__(self, values: tuple[Value, ...]) -> None:
        super().__init__()
        self.values = values


def pick_values(s: t.SHavoc, env: Env) -> tuple[Value, ...]:
    """The values an `any` can take in `env`, in increasing order."""
    dom = s.domain
    if isinstance(dom, MapT):
        return _maps(dom)
    if s.lo is not None and s.hi is not None:
        lo, hi = int(evaluate(s.lo, env)), int(evaluate(s.hi, env))  # type: ignore[arg-type]
        match dom:
            case IntT():
                pass
            case RangeT(lo=a, hi=b):
                lo, hi = max(lo, a), min(hi, b)
            case BvT(width=w):
                lo, hi = max(lo, 0), min(hi, 1 << w)
            case _:
                return tuple(v for v in _values(dom, s) if lo <= int(v) < hi)
        if hi - lo > HAVOC_WIDTH:
            raise Unsupported(f"an `any in lo .. hi` over {hi - lo} values")
        return tuple(range(lo, hi))
    return _values(dom, s)


def _values(dom: Type, s: t.SHavoc) -> tuple[int | bool, ...]:
    vals = domain_values(dom)
    if vals is None:
        raise Unsupported(f"`{s.var}` takes any value of {dom}: too many to enumerate")
    return vals


def _maps(typ: MapT) -> tuple[Value, ...]:
    keys, vals = domain_values(typ.key), domain_values(typ.value)
    if keys is None or vals is None or len(vals) ** len(keys) > MAP_CHOICES:
        raise Unsupported(f"a map of type {typ} with any initial value has too many values to enumerate")
    out = []
    for combo in itertools.product(vals, repeat=len(keys)):
        m = PMap.const(vals[0])
        for k, v in zip(keys, combo):
            m = m.store(int(k), v)
        out.append(m)
    return tuple(out)


def runs(run: Callable[[Chooser], R], fixed: dict[str, Value] | None = None) -> Iterator[tuple[R, dict[str, Value]]]:
    """`run` with every sequence of picks, in lexicographic order of the picks, with the
    picks (by `SHavoc.choice`) of each; `fixed` choices take the given value."""
    pending: list[tuple[Value, ...]] = [()]
    while pending:
        prefix = pending.pop()
        picks: dict[str, Value] = {}
        used = [0]

        def choose(s: t.SHavoc, env: Env) -> Value:
            if fixed is not None and s.choice in fixed:
                v = fixed[s.choice]
            elif used[0] < len(prefix):
                v = prefix[used[0]]
                used[0] += 1
            else:
                raise _More(pick_values(s, env))
            picks[s.choice] = v
            return v

        try:
            result = run(choose)
        except _More as more:
            pending.extend(prefix + (v,) for v in reversed(more.values))
            continue
        yield result, picks


@dataclass(frozen=True)
class Start:
    """An initial state, the choices that make it, and its init-block assert sites."""

    key: Key
    state: dict[str, Value]
    rigid: dict[str, Value]
    picks: dict[str, Value]
    asserts: tuple[AssertOutcome, ...]


def initial_states(system: System, layout: Layout, fixed: dict[str, Value]) -> Iterator[Start]:
    """Every initial state (the assumes and the init block's requires hold)."""
    for ini, picks in runs(lambda choose: initial(system, choose), fixed):
        if ini.ok:
            yield Start(layout.pack(ini.state, ini.rigid), ini.state, ini.rigid, picks, ini.outcome.asserts)


def transition_runs(tr: Transition, state: dict[str, Value], rigid: dict[str, Value]
                    ) -> Iterator[tuple[tuple[tuple[str, Value], ...], BodyOutcome]]:
    """Every run of `tr` from `state`: each parameter value, each sequence of picks."""
    domains = []
    for name, typ in tr.params:
        vals = domain_values(typ)
        if vals is None:
            raise Unsupported(f"parameter `{name}` of `{tr.name}` has type {typ}")
        domains.append(vals)
    for combo in itertools.product(*domains):
        params = dict(zip((n for n, _ in tr.params), combo))
        for out, _ in runs(lambda choose: run_body(tr.body, state, params, choose, rigid)):
            yield tuple(params.items()), out


# ---------------------------------------------------------------- traces


@dataclass(frozen=True)
class Path:
    """What the search found: the states from an initial one, and how it ends."""

    start: Start
    keys: tuple[Key, ...]  # the states (orbit representatives), keys[0] ~ start.key
    where: str  # "state" | "site" | "init-site"


def rebuild(full: System, sliced: System, compiled: Compiled, same: Callable[[Key, Key], bool],
            prop: Property, prop_id: int, path: Path) -> ExplicitExecution:
    layout = compiled.layout
    state, rigid = path.start.state, path.start.rigid
    key = path.start.key
    moves: list[ExplicitMove] = []
    states = [state]
    for k, target in enumerate(path.keys[1:], 1):
        move, state = _step_to(sliced, compiled, state, rigid, key, target, same, k)
        key = layout.pack(state, rigid)
        moves.append(move)
        states.append(state)
    site: AssertOutcome | None = None
    if path.where == "site":
        move, out = _failing_step(sliced, compiled, state, rigid, key, prop, prop_id)
        moves.append(move)
        states.append(out.state)
        site = next(a for a in out.asserts if a.prop == prop.name and not a.ok)
    elif path.where == "init-site":
        site = next(a for a in path.start.asserts if a.prop == prop.name and not a.ok)
    if site is not None:
        wits = witnesses(site.stmt.cond, site.env, True)
    else:
        assert prop.expr is not None
        wits = witnesses(prop.expr, Env(states[-1], rigid=rigid), prop.kind != "cover")
    cone = [v.name for v in sliced.vars]
    return ExplicitExecution(full, tuple(path.start.picks.items()), tuple(moves), path.where, wits,
                             tuple({n: s[n] for n in cone} for s in states))


def _step_to(sliced: System, compiled: Compiled, state: dict[str, Value], rigid: dict[str, Value], key: Key,
             target: Key, same: Callable[[Key, Key], bool], k: int) -> tuple[ExplicitMove, dict[str, Value]]:
    layout = compiled.layout
    for ti, tr in enumerate(sliced.transitions):
        out: list[Key] = []
        compiled.per_transition[ti](key, out, [])
        if not any(same(o, target) for o in out):
            continue
        for params, res in transition_runs(tr, state, rigid):
            if res.enabled and same(layout.pack(res.state, rigid), target):
                return ExplicitMove(tr.name, params, tuple(res.choices.items())), res.state
        raise ExplicitError(f"step {k}: the compiled `{tr.name}` reaches the next state, the evaluator does not")
    raise ExplicitError(f"step {k}: no transition reaches the next state of the path")


def _failing_step(sliced: System, compiled: Compiled, state: dict[str, Value], rigid: dict[str, Value], key: Key,
                  prop: Property, prop_id: int) -> tuple[ExplicitMove, BodyOutcome]:
    for ti, tr in enumerate(sliced.transitions):
        fails: list[int] = []
        compiled.per_transition[ti](key, [], fails)
        if prop_id not in fails:
            continue
        for params, res in transition_runs(tr, state, rigid):
            if any(a.prop == prop.name and not a.ok for a in res.asserts):
                return ExplicitMove(tr.name, params, tuple(res.choices.items())), res
        raise ExplicitError(f"the compiled `{tr.name}` fails a site of `{prop.name}`, the evaluator does not")
    raise ExplicitError(f"no transition fails a site of `{prop.name}` in the last state of the path")


def witnesses(e: t.TExpr, env: Env, negate: bool) -> tuple[tuple[str, Type, Value], ...]:
    """Values of the outermost quantified variables that make `e` false (negate) or true,
    along the sub-formulas that decide it (the concrete counterpart of
    `encode.violation`'s witness constants); () when the evaluator cannot decide."""
    try:
        found = _witness(e, negate, env)
    except EvalError:
        return ()
    return tuple(found or ())


def _witness(x: t.TExpr, neg: bool, env: Env) -> list[tuple[str, Type, Value]] | None:
    match x:
        case t.Quant(kind=kind, var=var, var_type=vt, body=body) if (kind == "forall") == neg:
            for v in quantifier_values(x, env):
                inner = _witness(body, neg, env.bind(var, v))
                if inner is not None:
                    return [(t.display_name(var), vt, v), *inner]
            return None
        case t.Unop(op="not", arg=a):
            return _witness(a, not neg, env)
        case t.Binop(op="implies", left=a, right=b) if neg:
            return _witness(b, True, env) if evaluate(a, env) else None
        case t.Binop(op="and" | "or", left=a, right=b) if (x.op == "and") == neg:  # one side decides
            first = _witness(a, neg, env)
            return first if first is not None else _witness(b, neg, env)
        case t.Binop(op="and" | "or", left=a, right=b):  # both sides must
            wa, wb = _witness(a, neg, env), _witness(b, neg, env)
            return None if wa is None or wb is None else wa + wb
        case _:
            return [] if bool(evaluate(x, env)) != neg else None
