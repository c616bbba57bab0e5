"""Explicit-state breadth-first exploration of a `gen.Model` (independent of zcheck).

Semantics (docs/semantics-notes.md, /work/shared/ZDL.md):
- state 0 = var initialisers, then the `init` block; a trace of N steps has states 0..N;
- one action fires per step, its parameter ranging over its `0 .. n` type; the action is
  enabled for a parameter value when every `require` on its executed path holds;
  statements run sequentially (later writes win, reads see earlier writes);
- an invariant is violated at N when the shortest path to a state falsifying it has N
  steps (state 0 included); a cover is reached at N when the nearest state satisfying it
  is N steps away;
- `assert e` in an action is violated at N when the N-th step runs that action, every
  `require` before the assert on the executed path holds and `e` is false there; a later
  `require` does not cancel it, and a failing assert does not block the step. Asserts in
  `init` are checked at depth 0;
- `%` is Euclidean (remainder in 0 .. |d|-1); the generator never divides by zero.

Since BFS visits states in order of their shortest distance, the first depth at which a
property is decided is the shortest one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from .gen import (
    Assert, Assign, Bin, Call, Fill, If, InRange, Ite, Lit, Model, Name, Not, Quant, Read,
    Require, Store, TBool, TEnum, TMap, ENUM_MEMBERS,
)


class _Disabled(Exception):
    """A `require` failed: the action is not enabled for this parameter value."""


def euclid_mod(a: int, b: int) -> int:
    if b == 0:
        raise ZeroDivisionError("the generator never divides by zero")
    return a % abs(b)  # Python's result has the divisor's sign; with |b| it is in 0 .. |b|-1


def eval_expr(e, state: dict, env: dict):
    match e:
        case Lit(value, _):
            return value
        case Name(name):
            return env[name] if name in env else state[name]
        case Read(m, index):
            i = eval_expr(index, state, env)
            table = state[m]
            if not 0 <= i < len(table):
                raise AssertionError(f"generator bug: index {i} outside the key range of {m}")
            return table[i]
        case Not(arg):
            return not eval_expr(arg, state, env)
        case Bin(op, a, b):
            if op == "&&":
                return eval_expr(a, state, env) and eval_expr(b, state, env)
            if op == "||":
                return eval_expr(a, state, env) or eval_expr(b, state, env)
            if op == "->":
                return (not eval_expr(a, state, env)) or eval_expr(b, state, env)
            x, y = eval_expr(a, state, env), eval_expr(b, state, env)
            match op:
                case "<->":
                    return bool(x) == bool(y)
                case "+":
                    return x + y
                case "-":
                    return x - y
                case "%":
                    return euclid_mod(x, y)
                case "==":
                    return x == y
                case "!=":
                    return x != y
                case "<":
                    return x < y
                case "<=":
                    return x <= y
                case ">":
                    return x > y
                case ">=":
                    return x >= y
            raise ValueError(op)
        case Ite(c, a, b):
            return eval_expr(a, state, env) if eval_expr(c, state, env) else eval_expr(b, state, env)
        case Call(fn, a, b):
            x, y = eval_expr(a, state, env), eval_expr(b, state, env)
            return min(x, y) if fn == "min" else max(x, y)
        case Quant(kind, var, n, body):
            vals = (eval_expr(body, state, {**env, var: j}) for j in range(n))
            return all(vals) if kind == "forall" else any(vals)
        case InRange(elem, lo, hi):
            return lo <= eval_expr(elem, state, env) < hi
    raise TypeError(e)


def exec_stmts(stmts, state: dict, env: dict, failed: list) -> None:
    """Run statements in place on `state` (maps are lists). Raises `_Disabled` on a failed
    `require`; appends names of failed asserts (reached before any failed require) to `failed`."""
    for s in stmts:
        match s:
            case Assign(var, value):
                state[var] = eval_expr(value, state, env)
            case Store(m, index, value):
                i = eval_expr(index, state, env)
                v = eval_expr(value, state, env)
                if not 0 <= i < len(state[m]):
                    raise AssertionError(f"generator bug: index {i} outside the key range of {m}")
                state[m][i] = v
            case Fill(m, lo, hi, value):
                v = eval_expr(value, state, env)
                for i in range(lo, hi):
                    state[m][i] = v
            case If(c, then, else_):
                exec_stmts(then if eval_expr(c, state, env) else else_, state, env, failed)
            case Require(c):
                if not eval_expr(c, state, env):
                    raise _Disabled()
            case Assert(name, c):
                if not eval_expr(c, state, env):
                    failed.append(name)
            case _:
                raise TypeError(s)


def _in_type(t, x) -> bool:
    if isinstance(t, TBool):
        return isinstance(x, bool)
    if isinstance(t, TEnum):
        return isinstance(x, int) and not isinstance(x, bool) and 0 <= x < len(ENUM_MEMBERS)
    return isinstance(x, int) and not isinstance(x, bool) and 0 <= x < t.n


def _freeze(model: Model, state: dict) -> tuple:
    for v in model.vars:  # the generator promises every write stays in its type
        x = state[v.name]
        ok = all(_in_type(v.typ.val, y) for y in x) if isinstance(v.typ, TMap) else _in_type(v.typ, x)
        if not ok:
            raise AssertionError(f"generator bug: {v.name} = {x!r} is outside {v.typ}")
    data = tuple(tuple(state[v.name]) if isinstance(v.typ, TMap) else state[v.name] for v in model.vars)
    return data + tuple(state[pc] for pc in pc_names(model))


def pc_names(model: Model) -> list[str]:
    """One program counter per process instance (not a model variable: kept apart)."""
    return [f"{p.name}[{i}].pc" for p in model.procs for i in range(p.count)]


def thaw(model: Model, key: tuple) -> dict:
    n = len(model.vars)
    state = {v.name: (list(x) if isinstance(v.typ, TMap) else x) for v, x in zip(model.vars, key[:n])}
    state.update(zip(pc_names(model), key[n:]))
    return state


def initial_state(model: Model, failed: list | None = None) -> dict:
    state = {v.name: ([v.init] * v.typ.key if isinstance(v.typ, TMap) else v.init) for v in model.vars}
    exec_stmts(model.init, state, {}, failed if failed is not None else [])
    state.update((pc, 0) for pc in pc_names(model))
    return state


def moves(model: Model, key: tuple):
    """Every (successor state or None when disabled, failed assert names) from `key`:
    each action with each parameter value, then each enabled process step."""
    for a in model.actions:
        values = range(a.param[1]) if a.param else [None]
        for val in values:
            env = {a.param[0]: val} if a.param else {}
            yield _run(model, key, a.body, env, None)
    for p in model.procs:
        for i in range(p.count):
            pc_key = f"{p.name}[{i}].pc"
            pc = thaw(model, key)[pc_key]
            if pc >= len(p.steps):
                continue  # done
            nxt = pc + 1
            if nxt == len(p.steps) and p.loop:
                nxt = 0
            yield _run(model, key, p.steps[pc], {}, (pc_key, nxt))


def _run(model: Model, key: tuple, body, env: dict, pc_update):
    state = thaw(model, key)
    failed: list = []
    try:
        exec_stmts(body, state, env, failed)
    except _Disabled:
        return None, failed
    if pc_update is not None:
        state[pc_update[0]] = pc_update[1]
    return state, failed


@dataclass
class Expected:
    """Shortest depth per property (None: not violated / not reached within the bound)."""
    depth: dict = field(default_factory=dict)  # name -> Optional[int]
    kind: dict = field(default_factory=dict)  # name -> "invariant" | "cover" | "assert"
    states: int = 0  # distinct reachable states within the bound
    diameter: int = 0  # the largest shortest distance of a state within the bound
    layers: list = field(default_factory=list)  # layers[d]: states first reached at depth d

    def describe(self) -> str:
        return ", ".join(f"{n}({self.kind[n]})={self.depth[n]}" for n in self.depth)


class TooBig(Exception):
    pass


def explore(model: Model, depth: int, max_states: int = 200_000) -> Expected:
    res = Expected()
    invs = [p for p in model.props if p.kind == "invariant"]
    covers = [p for p in model.props if p.kind == "cover"]
    for p in model.props:
        res.depth[p.name], res.kind[p.name] = None, p.kind
    for name in model.asserts():
        res.depth[name], res.kind[name] = None, "assert"

    def hit(name: str, d: int) -> None:
        if res.depth[name] is None:  # BFS order: the first hit is the shortest
            res.depth[name] = d

    def check_state(state: dict, d: int) -> None:
        for p in invs:
            if res.depth[p.name] is None and not eval_expr(p.expr, state, {}):
                hit(p.name, d)
        for p in covers:
            if res.depth[p.name] is None and eval_expr(p.expr, state, {}):
                hit(p.name, d)

    failed: list = []
    s0 = initial_state(model, failed)
    for name in failed:
        hit(name, 0)
    check_state(s0, 0)
    k0 = _freeze(model, s0)
    seen = {k0}
    frontier = [k0]
    res.layers.append(frontier)
    for d in range(1, depth + 1):
        nxt = []
        for key in frontier:
            for state, failed in moves(model, key):
                for name in failed:
                    hit(name, d)
                if state is None:
                    continue
                k = _freeze(model, state)
                if k not in seen:
                    seen.add(k)
                    nxt.append(k)
                    check_state(state, d)
                    if len(seen) > max_states:
                        raise TooBig(f"more than {max_states} states")
        frontier = nxt
        if not frontier:
            break
        res.layers.append(frontier)
        res.diameter = d
    res.states = len(seen)
    return res
